package tack_test

import (
	"strings"
	"testing"

	"github.com/tackhq/tack"
)

func TestCleanName(t *testing.T) {
	tests := []struct {
		in, want string // want "" = refused
	}{
		{"Ada Lovelace", "Ada Lovelace"},
		{"  张伟  ", "张伟"},
		{"曾小贤   Zeng", "曾小贤 Zeng"},
		{"ＦＵＬＬ　ｗｉｄｔｈ", "FULL width"},
		{"Nguyễn Văn Ánh", "Nguyễn Văn Ánh"},
		{"สมชาย ใจดี", "สมชาย ใจดี"},
		{"क्षत्रिय", "क्षत्रिय"},
		{"😀 emoji", "😀 emoji"},
		{"e\u0301\u0301\u0301", "\u00e9\u0301\u0301"}, // composed (NFKC)
		{"", ""},
		{"   ", ""},
		{"zero\u200bwidth", ""},
		{"joiner\u200dhere", ""},
		{"bidi \u202egnp.exe", ""},
		{"isolate \u2066x\u2069", ""},
		{"soft\u00adhyphen", ""},
		{"bom\ufeff", ""},
		{"hangul\u3164filler", ""},
		{"bell\a", ""},
		{"tab\there", ""},
		{"zalgo" + strings.Repeat("\u0336", 40), ""},
		{"e" + strings.Repeat("\u0301", tack.MaxCombining+1), ""},
		{strings.Repeat("名", 65), ""},
		{strings.Repeat("名", 64), strings.Repeat("名", 64)},
		{"\xff\xfe", ""},
	}
	for _, tt := range tests {
		got, err := tack.CleanName("name", tt.in, 64)
		if tt.want == "" {
			if err == nil {
				t.Errorf("CleanName(%+q) = %+q, want refused", tt.in, got)
			} else if tack.ErrorCode(err) != tack.EInvalid {
				t.Errorf("CleanName(%+q): %v, want an invalid error", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanName(%+q) = %+q, %v; want %+q", tt.in, got, err, tt.want)
		}
	}
}

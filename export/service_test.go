package export

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

func TestOrgRange(t *testing.T) {
	now := time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct{ from, to, wantFrom, wantTo, field string }{
		{"", "", "2026-03-01", "2026-03-31", ""},
		{"2026-03-01", "2026-03-31", "2026-03-01", "2026-03-31", ""},
		{"", "2026-02-28", "2026-01-29", "2026-02-28", ""},
		{"2026-01-01", "2026-03-03", "2026-01-01", "2026-03-03", ""}, // 62 days
		{"2026-01-01", "2026-03-04", "", "", "from"},                 // 63
		{"2026-03-02", "2026-03-01", "", "", "from"},
		{"2026-3-1", "", "", "", "from"},
		{"", "tomorrow", "", "", "to"},
	} {
		f, to, err := orgRange(now, c.from, c.to)
		if c.field != "" {
			var e *tack.Error
			if tack.ErrorCode(err) != tack.EInvalid || !errorsAs(err, &e) || e.Field != c.field {
				t.Errorf("%q..%q: %v, want invalid %s", c.from, c.to, err, c.field)
			}
			continue
		}
		if err != nil || f != c.wantFrom || to != c.wantTo {
			t.Errorf("%q..%q = %s..%s, %v; want %s..%s", c.from, c.to, f, to, err, c.wantFrom, c.wantTo)
		}
	}
}

func errorsAs(err error, e **tack.Error) bool {
	x, ok := err.(*tack.Error)
	*e = x
	return ok
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"报告.pdf":           "报告.pdf",
		"../../etc/passwd": "_.._etc_passwd",
		"a\\b:c":           "a_b_c",
		"":                 "file",
		"...":              "file",
		"x\ny":             "x_y",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := safeName(strings.Repeat("长", 300))
	if utf8.RuneCountInString(long) != 100 || !utf8.ValidString(long) {
		t.Errorf("a long name became %d runes", utf8.RuneCountInString(long))
	}
}

package account_test

import (
	"slices"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

func TestNormalizeLogin(t *testing.T) {
	tests := []struct{ in, want string }{ // want "" = refused
		{"Ada@Example.COM", "ada@example.com"},
		{"  ada@example.com ", "ada@example.com"},
		{"ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ", "ada@example.com"},
		{"ada+tag@mail.example.com", "ada+tag@mail.example.com"},
		{"用户@example.com", ""},
		{"аda@example.com", ""}, // Cyrillic а
		{"ada@exаmple.com", ""},
		{"ada\u200b@example.com", ""},
		{"ada@example.com\u200d", ""},
		{"\u202eada@example.com", ""},
		{"ada\u00ad@example.com", ""},
		{"ada@example.com\x00", ""},
		{"Ada <ada@example.com>", ""},
		{"ada@", ""},
		{"13812345678", "+8613812345678"},
		{"+86 138 1234 5678", "+8613812345678"},
		{"+86-138-1234-5678", "+8613812345678"},
		{"8613812345678", "+8613812345678"},
		{"(138) 1234.5678", "+8613812345678"},
		{"１３８１２３４５６７８", "+8613812345678"},
		{"+1 415 555 0100", "+14155550100"},
		{"+44 20 7183 8750", "+442071838750"},
		{"138 1234 5678\u200b", ""},
		{"12345", ""},
		{"+15550001", ""},
		{"138-1234-567x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := account.NormalizeLogin(tt.in)
		if tt.want == "" {
			if err == nil || tack.ErrorCode(err) != tack.EInvalid {
				t.Errorf("NormalizeLogin(%+q) = %q, %v; want refused as invalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeLogin(%+q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestLoginSpellings(t *testing.T) {
	got := account.LoginSpellings("+8613812345678")
	for _, want := range []string{"+8613812345678", "13812345678", "8613812345678"} {
		if !slices.Contains(got, want) {
			t.Errorf("LoginSpellings(+8613812345678) = %v, lacks %s", got, want)
		}
	}
	if got[0] != "+8613812345678" {
		t.Errorf("LoginSpellings starts with %s", got[0])
	}
	if got := account.LoginSpellings("13812345678"); !slices.Contains(got, "+8613812345678") {
		t.Errorf("an old spelling lacks its E.164 form: %v", got)
	}
	if got := account.LoginSpellings("ada@example.com"); !slices.Equal(got, []string{"ada@example.com"}) {
		t.Errorf("email spellings %v", got)
	}
}

func TestNormalizePhoneField(t *testing.T) {
	for in, want := range map[string]string{"": "", "13800000001": "+8613800000001", "+86 10 1234 5678": "+861012345678"} {
		if got, err := account.NormalizePhone("phone", in); err != nil || got != want {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := account.NormalizePhone("phone", "a@b.c"); err == nil {
		t.Error("an email address taken for a phone number")
	}
}

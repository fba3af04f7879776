package account

import (
	"testing"
	"time"
)

func TestHumanWait(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                "a second",
		time.Second:                      "a second",
		1500 * time.Millisecond:          "2 seconds",
		59 * time.Second:                 "59 seconds",
		time.Minute:                      "a minute",
		2*time.Minute - time.Second:      "a minute",
		2 * time.Minute:                  "2 minutes",
		2*time.Minute + time.Second:      "3 minutes",
		59 * time.Minute:                 "59 minutes",
		time.Hour:                        "1 hours",
		3*time.Hour + time.Minute:        "4 hours",
		time.Hour - time.Millisecond:     "60 minutes",
		time.Minute - time.Millisecond:   "60 seconds",
		90*time.Minute + 30*time.Second:  "2 hours",
		100*time.Minute - 30*time.Second: "2 hours",
	} {
		if got := humanWait(d); got != want {
			t.Errorf("humanWait(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7":                 "192.0.2.7",
		"::ffff:192.0.2.7":          "192.0.2.7",
		"2001:db8:1:2:3:4:5:6":      "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1":      "2001:db8:1:2::/64",
		"not an address":            "not an address",
		"":                          "",
		"2001:db8:1:3:3:4:5:6":      "2001:db8:1:3::/64",
		"fe80::1":                   "fe80::/64",
		"::1":                       "::/64",
		"0.0.0.0":                   "0.0.0.0",
		"255.255.255.255":           "255.255.255.255",
		"::ffff:255.255.255.255":    "255.255.255.255",
		"2001:db8::ffff:192.0.2.7":  "2001:db8::/64",
		"64:ff9b::192.0.2.7":        "64:ff9b::/64",
		"2001:0db8:0000:0000::0001": "2001:db8::/64",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPasswordBounds(t *testing.T) {
	for p, ok := range map[string]bool{
		"1234567":                 false,
		"12345678":                true,
		"密码密码密码密码":                true, // 8 characters, 24 bytes
		"密码密码密码密":                 false,
		string(make([]byte, 256)): true,
		string(make([]byte, 257)): false,
	} {
		if err := validatePassword("password", p); (err == nil) != ok {
			t.Errorf("validatePassword(%d bytes) = %v, want ok=%v", len(p), err, ok)
		}
	}
}

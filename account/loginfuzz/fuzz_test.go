package loginfuzz_test

// Package loginfuzz_test fuzzes account's login and name rules from a
// package of its own: account's tests link SQLite, whose instrumentation
// would make every fuzzing run compile for minutes.
import (
	"testing"

	"github.com/tackhq/tack/account"
)

// FuzzNormalizeLogin: a login that normalises normalises to itself again
// (one account per login, whatever spelling was typed), and a name that
// validates validates to itself again.
func FuzzNormalizeLogin(f *testing.F) {
	for _, s := range []string{"Zhang.San@Example.COM", "+86 138 0013 8000", "13800138000", "ｚｈａｎｇ@ｅｘａｍｐｌｅ.com", "a\u200b@b.c", "王五", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := account.NormalizeLogin(s); err == nil {
			if again, err := account.NormalizeLogin(n); err != nil || again != n {
				t.Fatalf("account.NormalizeLogin(%q) = %q, then %q, %v", s, n, again, err)
			}
		}
		if n, err := account.ValidateName(s); err == nil {
			if again, err := account.ValidateName(n); err != nil || again != n {
				t.Fatalf("account.ValidateName(%q) = %q, then %q, %v", s, n, again, err)
			}
		}
	})
}

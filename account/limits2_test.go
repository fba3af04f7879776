package account_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// The production limits on password resets: three requests for one login,
// then one every 10 minutes; ten from one address, then one every 6
// minutes. Logins that do not exist count the same (the answer must not
// tell them apart).
func TestResetDefaultLimits(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{})
	for i := 0; i < 3; i++ {
		if err := r.svc.RequestPasswordReset(ctx, "nobody@example.com", fmt.Sprintf("198.51.100.%d", i)); err != nil {
			t.Fatalf("reset request %d: %v", i, err)
		}
	}
	err := r.svc.RequestPasswordReset(ctx, "nobody@example.com", "198.51.100.99")
	if w := retryAfter(t, "resets of one login", err); !near(w, 10*time.Minute) {
		t.Fatalf("resets of one login: wait %v, want 10m", w)
	}
	for i := 0; i < 10; i++ {
		if err := r.svc.RequestPasswordReset(ctx, fmt.Sprintf("n%d@example.com", i), "203.0.113.7"); err != nil {
			t.Fatalf("reset request %d from one address: %v", i, err)
		}
	}
	err = r.svc.RequestPasswordReset(ctx, "n10@example.com", "203.0.113.7")
	if w := retryAfter(t, "resets from one address", err); !near(w, 6*time.Minute) {
		t.Fatalf("resets from one address: wait %v, want 6m", w)
	}
}

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode is a six-digit code that is none of the codes of the time
// steps around at.
func wrongCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	near := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		near[totpCode(t, secret, at.Add(d))] = true
	}
	for i := 0; ; i++ {
		if c := fmt.Sprintf("%06d", i); !near[c] {
			return c
		}
	}
}

// Turning two-factor sign-in on takes a current code of the new
// authenticator; wrong codes are limited per user: five, then one a
// minute.
func TestTwoFactorEnable(t *testing.T) {
	r := newRig(t, account.Config{})
	a := r.register(t, "tf@example.com", "192.0.2.1")
	if _, err := r.svc.EnableTOTP(as(a), "123456"); errCode(err) != tack.EConflict {
		t.Fatalf("enable without an authenticator set up: %v", err)
	}
	set, err := r.svc.SetUpTOTP(as(a))
	if err != nil || set.Secret == "" {
		t.Fatalf("set up: %+v %v", set, err)
	}
	if _, err := r.svc.EnableTOTP(as(a), wrongCode(t, set.Secret, r.clk.Now())); errCode(err) != tack.EInvalid {
		t.Fatalf("a wrong code: %v", err)
	}
	codes, err := r.svc.EnableTOTP(as(a), totpCode(t, set.Secret, r.clk.Now()))
	if err != nil || len(codes) != account.RecoveryCodes {
		t.Fatalf("enable with the current code: %d codes, %v", len(codes), err)
	}
	if st, err := r.svc.TwoFactorStatus(as(a)); err != nil || !st.Enabled || st.RecoveryCodesLeft != account.RecoveryCodes {
		t.Fatalf("status: %+v %v", st, err)
	}
	if _, err := r.svc.SetUpTOTP(as(a)); errCode(err) != tack.EConflict {
		t.Fatalf("a new authenticator while one is on: %v", err)
	}
	// A recovery code works once.
	if _, err := r.svc.NewRecoveryCodes(as(a), codes[0]); err != nil {
		t.Fatalf("new recovery codes with a recovery code: %v", err)
	}
	if _, err := r.svc.NewRecoveryCodes(as(a), codes[1]); errCode(err) != tack.EInvalid {
		t.Fatalf("an old recovery code after they were replaced: %v", err)
	}
	if err := r.svc.DisableTOTP(as(a), "wrong password", codes[2]); errCode(err) != tack.EForbidden {
		t.Fatalf("disable with a wrong password: %v", err)
	}

	b := r.register(t, "tf2@example.com", "192.0.2.1")
	set, err = r.svc.SetUpTOTP(as(b))
	if err != nil {
		t.Fatal(err)
	}
	wrong := wrongCode(t, set.Secret, r.clk.Now())
	for i := 0; i < 5; i++ {
		if _, err := r.svc.EnableTOTP(as(b), wrong); errCode(err) != tack.EInvalid {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	_, err = r.svc.EnableTOTP(as(b), totpCode(t, set.Secret, r.clk.Now()))
	if w := retryAfter(t, "two-factor codes", err); !near(w, time.Minute) {
		t.Fatalf("two-factor codes: wait %v, want 1m", w)
	}
}

// A two-factor code is good for its own 30-second step and the ones just
// before and after (clocks drift), once, and never for a step older than
// one already used; a recovery code is good once, in any case, with or
// without its dash.
func TestTwoFactorCodes(t *testing.T) {
	r := newRig(t, account.Config{})
	a := r.register(t, "codes@example.com", "192.0.2.1")
	set, err := r.svc.SetUpTOTP(as(a))
	if err != nil {
		t.Fatal(err)
	}
	t0 := r.clk.Now()
	code := func(steps int) string { return totpCode(t, set.Secret, t0.Add(time.Duration(steps)*30*time.Second)) }
	codes, err := r.svc.EnableTOTP(as(a), code(0))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, c string, good bool) {
		t.Helper()
		got, err := r.svc.NewRecoveryCodes(as(a), c)
		if good && err != nil {
			t.Fatalf("%s: %v, want accepted", what, err)
		}
		if !good && errCode(err) != tack.EInvalid {
			t.Fatalf("%s: %v, want refused", what, err)
		}
		if good {
			codes = got
		}
	}
	check("the code that turned it on, again", code(0), false)
	r.clk.advance(90 * time.Second) // now in step 3
	check("the code of the step before", code(2), true)
	check("the code of the step after", code(4), true)
	check("the current code, older than one used", code(3), false)
	r.clk.advance(300 * time.Second) // now in step 13
	check("a code two steps old", code(11), false)
	check("a code two steps ahead", code(15), false)
	check("the current code", code(13), true)
	old := codes
	check("a recovery code in capitals without its dash", strings.ToUpper(strings.ReplaceAll(old[0], "-", "")), true)
	check("a recovery code of the new set", codes[1], true)
	check("a recovery code of a replaced set", old[1], false) // the fifth wrong code: the limit's last
}

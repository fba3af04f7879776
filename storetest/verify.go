package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// TestVerificationStore runs the conformance tests of what account.Store
// keeps for trust: verified logins and pending codes
// (account.VerificationStore), known devices (account.DeviceStore),
// password changes and signing out every other session. open must return a
// new, empty store for each call.
func TestVerificationStore(t *testing.T, open func(t *testing.T) account.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, account.Store)
	}{
		{"SetVerified", testSetVerified},
		{"VerificationLifecycle", testVerificationLifecycle},
		{"ConcurrentAttempts", testConcurrentAttempts},
		{"SetPassword", testSetPassword},
		{"DeleteSessions", testDeleteSessions},
		{"KnownDevices", testKnownDevices},
		{"DeleteExpiredSessions", testDeleteExpiredSessions},
		{"PasswordResets", testPasswordResets},
		{"ConcurrentResetTakes", testConcurrentResetTakes},
		{"SecondFactor", testSecondFactor},
		{"ConcurrentSteps", testConcurrentSteps},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func testSetVerified(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Vera")
	other := newUser(t, as, "Otto")
	got, err := as.User(ctx, u.ID)
	must(t, "User", err)
	if got.VerifiedAt != nil {
		t.Fatalf("a new user is verified at %v", got.VerifiedAt)
	}
	at := now()
	wantNotFound(t, "SetVerified with another login", as.SetVerified(ctx, u.ID, other.Login, at))
	wantNotFound(t, "SetVerified of an unknown user", as.SetVerified(ctx, tack.NewID(), u.Login, at))
	if got, _ = as.User(ctx, u.ID); got.VerifiedAt != nil {
		t.Fatalf("verified by a SetVerified with the wrong login")
	}
	must(t, "SetVerified", as.SetVerified(ctx, u.ID, u.Login, at))
	got, err = as.User(ctx, u.ID)
	must(t, "User", err)
	if got.VerifiedAt == nil {
		t.Fatal("User after SetVerified: VerifiedAt is nil")
	}
	sameTime(t, "User.VerifiedAt", *got.VerifiedAt, at)
	byLogin, _, err := as.UserByLogin(ctx, u.Login)
	must(t, "UserByLogin", err)
	if byLogin.VerifiedAt == nil || !byLogin.VerifiedAt.Equal(at) {
		t.Errorf("UserByLogin.VerifiedAt = %v, want %v", byLogin.VerifiedAt, at)
	}
	list, err := as.Users(ctx, []tack.ID{u.ID, other.ID})
	must(t, "Users", err)
	for _, x := range list {
		if (x.ID == u.ID) != (x.VerifiedAt != nil) {
			t.Errorf("Users: %s VerifiedAt = %v", x.Name, x.VerifiedAt)
		}
	}
}

func testVerificationLifecycle(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Vera")
	_, err := as.CountVerificationAttempt(ctx, u.ID)
	wantNotFound(t, "CountVerificationAttempt with none pending", err)
	must(t, "DeleteVerification with none pending", as.DeleteVerification(ctx, u.ID))

	h1 := sha256.Sum256([]byte("one"))
	v := account.Verification{UserID: u.ID, Channel: account.ChannelEmail, Login: u.Login, CodeHash: h1[:],
		ExpiresAt: now().Add(15 * time.Minute), CreatedAt: now()}
	must(t, "PutVerification", as.PutVerification(ctx, v))
	for want := 1; want <= 3; want++ {
		got, err := as.CountVerificationAttempt(ctx, u.ID)
		must(t, "CountVerificationAttempt", err)
		if got.Attempts != want || got.UserID != u.ID || got.Channel != v.Channel || got.Login != v.Login || !bytes.Equal(got.CodeHash, v.CodeHash) {
			t.Fatalf("CountVerificationAttempt #%d = %+v, want %+v with %d attempts", want, got, v, want)
		}
		sameTime(t, "ExpiresAt", got.ExpiresAt, v.ExpiresAt)
		sameTime(t, "CreatedAt", got.CreatedAt, v.CreatedAt)
	}
	// A new code replaces the old one and its attempts.
	h2 := sha256.Sum256([]byte("two"))
	v2 := account.Verification{UserID: u.ID, Channel: account.ChannelPhone, Login: "+8613800138000", CodeHash: h2[:],
		ExpiresAt: now().Add(time.Minute), CreatedAt: now()}
	must(t, "PutVerification again", as.PutVerification(ctx, v2))
	got, err := as.CountVerificationAttempt(ctx, u.ID)
	must(t, "CountVerificationAttempt", err)
	if got.Attempts != 1 || got.Channel != v2.Channel || got.Login != v2.Login || !bytes.Equal(got.CodeHash, v2.CodeHash) {
		t.Fatalf("after a new code: %+v, want %+v with 1 attempt", got, v2)
	}
	// Another user's verification is its own.
	w := newUser(t, as, "Walt")
	_, err = as.CountVerificationAttempt(ctx, w.ID)
	wantNotFound(t, "another user's CountVerificationAttempt", err)

	must(t, "DeleteVerification", as.DeleteVerification(ctx, u.ID))
	_, err = as.CountVerificationAttempt(ctx, u.ID)
	wantNotFound(t, "CountVerificationAttempt after delete", err)
}

// testConcurrentAttempts: attempts counted concurrently are each counted
// once; the service relies on it to bound guesses.
func testConcurrentAttempts(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Vera")
	h := sha256.Sum256([]byte("code"))
	must(t, "PutVerification", as.PutVerification(ctx, account.Verification{UserID: u.ID, Channel: account.ChannelEmail,
		Login: u.Login, CodeHash: h[:], ExpiresAt: now().Add(time.Hour), CreatedAt: now()}))
	const n = 20
	var wg sync.WaitGroup
	seen := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := as.CountVerificationAttempt(ctx, u.ID)
			seen[i], errs[i] = v.Attempts, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		must(t, "CountVerificationAttempt", err)
	}
	slices.Sort(seen)
	for i, a := range seen {
		if a != i+1 {
			t.Fatalf("concurrent attempts returned %v, want 1..%d each once", seen, n)
		}
	}
}

func testSetPassword(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Pat")
	other := newUser(t, as, "Otto")
	must(t, "SetPassword", as.SetPassword(ctx, u.ID, "new-hash"))
	_, hash, err := as.UserByLogin(ctx, u.Login)
	must(t, "UserByLogin", err)
	if hash != "new-hash" {
		t.Errorf("hash after SetPassword = %q", hash)
	}
	if _, hash, _ = as.UserByLogin(ctx, other.Login); hash != "hash-of-"+string(other.ID) {
		t.Errorf("another user's hash changed to %q", hash)
	}
	wantNotFound(t, "SetPassword of an unknown user", as.SetPassword(ctx, tack.NewID(), "x"))
}

func testDeleteSessions(t *testing.T, as account.Store) {
	ctx := context.Background()
	alice, bob := newUser(t, as, "alice"), newUser(t, as, "bob")
	a1, a2, a3 := newSession(t, as, alice.ID), newSession(t, as, alice.ID), newSession(t, as, alice.ID)
	b1 := newSession(t, as, bob.ID)

	gone, err := as.DeleteSessions(ctx, alice.ID, a2.ID)
	must(t, "DeleteSessions", err)
	if !sameIDs(gone, []tack.ID{a1.ID, a3.ID}) {
		t.Errorf("DeleteSessions returned %v, want %v", gone, []tack.ID{a1.ID, a3.ID})
	}
	for _, s := range []account.Session{a1, a3} {
		_, err := as.SessionByTokenHash(ctx, s.TokenHash)
		wantNotFound(t, "a deleted session", err)
	}
	for _, s := range []account.Session{a2, b1} {
		if _, err := as.SessionByTokenHash(ctx, s.TokenHash); err != nil {
			t.Errorf("session %s gone: %v", s.ID, err)
		}
	}
	gone, err = as.DeleteSessions(ctx, alice.ID, "")
	must(t, "DeleteSessions keeping none", err)
	if !sameIDs(gone, []tack.ID{a2.ID}) {
		t.Errorf("DeleteSessions keeping none returned %v, want [%s]", gone, a2.ID)
	}
	gone, err = as.DeleteSessions(ctx, alice.ID, "")
	must(t, "DeleteSessions with none left", err)
	if len(gone) != 0 {
		t.Errorf("DeleteSessions with none left returned %v", gone)
	}
}

func testKnownDevices(t *testing.T, as account.Store) {
	ctx := context.Background()
	u, other := newUser(t, as, "Dev"), newUser(t, as, "Otto")
	dev := func(user tack.ID, name string, at time.Time) account.KnownDevice {
		h := sha256.Sum256([]byte(string(user) + name))
		return account.KnownDevice{TokenHash: h[:], UserID: user, CreatedAt: at, LastUsedAt: at}
	}
	_, err := as.KnownDevice(ctx, make([]byte, 32))
	wantNotFound(t, "KnownDevice of an unknown hash", err)

	base := now()
	d1 := dev(u.ID, "one", base)
	must(t, "CreateKnownDevice", as.CreateKnownDevice(ctx, d1, 3))
	got, err := as.KnownDevice(ctx, d1.TokenHash)
	must(t, "KnownDevice", err)
	if got.UserID != u.ID || !bytes.Equal(got.TokenHash, d1.TokenHash) {
		t.Errorf("KnownDevice = %+v, want %+v", got, d1)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, d1.CreatedAt)
	sameTime(t, "LastUsedAt", got.LastUsedAt, d1.LastUsedAt)

	later := base.Add(time.Hour)
	must(t, "TouchKnownDevice", as.TouchKnownDevice(ctx, d1.TokenHash, later))
	got, _ = as.KnownDevice(ctx, d1.TokenHash)
	sameTime(t, "LastUsedAt after touch", got.LastUsedAt, later)
	must(t, "TouchKnownDevice of an unknown device", as.TouchKnownDevice(ctx, make([]byte, 32), later))

	// keep bounds the devices of one user, dropping the least recently used.
	d2, d3 := dev(u.ID, "two", base.Add(time.Minute)), dev(u.ID, "three", base.Add(2*time.Minute))
	must(t, "CreateKnownDevice", as.CreateKnownDevice(ctx, d2, 3))
	must(t, "CreateKnownDevice", as.CreateKnownDevice(ctx, d3, 3))
	o1 := dev(other.ID, "one", base)
	must(t, "CreateKnownDevice (other user)", as.CreateKnownDevice(ctx, o1, 3))
	d4 := dev(u.ID, "four", base.Add(3*time.Minute))
	must(t, "CreateKnownDevice", as.CreateKnownDevice(ctx, d4, 3))
	_, err = as.KnownDevice(ctx, d2.TokenHash)
	wantNotFound(t, "the least recently used device beyond keep", err)
	for _, d := range []account.KnownDevice{d1, d3, d4, o1} {
		if _, err := as.KnownDevice(ctx, d.TokenHash); err != nil {
			t.Errorf("device kept: %v", err)
		}
	}
}

func testDeleteExpiredSessions(t *testing.T, as account.Store) {
	ctx := context.Background()
	alice, bob := newUser(t, as, "alice"), newUser(t, as, "bob")
	base := now()
	mk := func(user tack.ID, created, seen time.Duration) account.Session {
		h := sha256.Sum256([]byte(tack.NewID()))
		s := account.Session{ID: tack.NewID(), UserID: user, TokenHash: h[:], Device: "d", Address: "192.0.2.1",
			CreatedAt: base.Add(created), LastSeenAt: base.Add(seen)}
		must(t, "CreateSession", as.CreateSession(ctx, s))
		return s
	}
	fresh := mk(alice.ID, -time.Hour, -time.Minute)
	old := mk(alice.ID, -100*time.Hour, -time.Minute) // past the absolute bound
	idle := mk(bob.ID, -50*time.Hour, -40*time.Hour)  // past the idle bound
	edge := mk(bob.ID, -90*time.Hour, -30*time.Hour)  // exactly at both bounds: kept
	createdBefore, seenBefore := base.Add(-90*time.Hour), base.Add(-30*time.Hour)

	got, err := as.DeleteExpiredSessions(ctx, createdBefore, seenBefore, 1)
	must(t, "DeleteExpiredSessions", err)
	if len(got) != 1 {
		t.Fatalf("limit 1 deleted %d", len(got))
	}
	rest, err := as.DeleteExpiredSessions(ctx, createdBefore, seenBefore, 10)
	must(t, "DeleteExpiredSessions", err)
	all := append(got, rest...)
	var ids []tack.ID
	for _, s := range all {
		ids = append(ids, s.ID)
		switch s.ID {
		case old.ID:
			sameSession(t, "deleted session", s, old)
		case idle.ID:
			sameSession(t, "deleted session", s, idle)
		}
	}
	if !sameIDs(ids, []tack.ID{old.ID, idle.ID}) {
		t.Errorf("deleted %v, want %v", ids, []tack.ID{old.ID, idle.ID})
	}
	for _, s := range []account.Session{fresh, edge} {
		if _, err := as.SessionByTokenHash(ctx, s.TokenHash); err != nil {
			t.Errorf("live session %s deleted: %v", s.ID, err)
		}
	}
	again, err := as.DeleteExpiredSessions(ctx, createdBefore, seenBefore, 10)
	must(t, "DeleteExpiredSessions", err)
	if len(again) != 0 {
		t.Errorf("second sweep deleted %d", len(again))
	}
}

func testPasswordResets(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Rita")
	other := newUser(t, as, "Olaf")
	h := func(s string) []byte { x := sha256.Sum256([]byte(s)); return x[:] }
	_, err := as.TakePasswordReset(ctx, h("none"))
	wantNotFound(t, "TakePasswordReset of nothing", err)
	at := now()
	first := account.PasswordReset{TokenHash: h("first"), UserID: u.ID, Login: u.Login, RequestedBy: u.ID, ExpiresAt: at.Add(time.Hour), CreatedAt: at}
	must(t, "PutPasswordReset", as.PutPasswordReset(ctx, first))
	second := first
	second.TokenHash, second.RequestedBy = h("second"), other.ID
	must(t, "PutPasswordReset again", as.PutPasswordReset(ctx, second))
	must(t, "PutPasswordReset of another user", as.PutPasswordReset(ctx, account.PasswordReset{TokenHash: h("olaf"), UserID: other.ID, Login: other.Login, RequestedBy: other.ID, ExpiresAt: at, CreatedAt: at}))
	_, err = as.TakePasswordReset(ctx, h("first"))
	wantNotFound(t, "TakePasswordReset of a replaced token", err)
	got, err := as.TakePasswordReset(ctx, h("second"))
	must(t, "TakePasswordReset", err)
	if got.UserID != u.ID || got.Login != u.Login || got.RequestedBy != other.ID || !bytes.Equal(got.TokenHash, h("second")) {
		t.Fatalf("TakePasswordReset = %+v, want %+v", got, second)
	}
	sameTime(t, "ExpiresAt", got.ExpiresAt, second.ExpiresAt)
	sameTime(t, "CreatedAt", got.CreatedAt, second.CreatedAt)
	_, err = as.TakePasswordReset(ctx, h("second"))
	wantNotFound(t, "TakePasswordReset twice", err)
	if got, err := as.TakePasswordReset(ctx, h("olaf")); err != nil || got.UserID != other.ID {
		t.Fatalf("the other user's reset: %+v, %v", got, err)
	}
}

// testConcurrentResetTakes: of 20 takes of one token at once, one wins.
func testConcurrentResetTakes(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Ruth")
	x := sha256.Sum256([]byte("token"))
	at := now()
	must(t, "PutPasswordReset", as.PutPasswordReset(ctx, account.PasswordReset{TokenHash: x[:], UserID: u.ID, Login: u.Login, RequestedBy: u.ID, ExpiresAt: at.Add(time.Hour), CreatedAt: at}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := as.TakePasswordReset(ctx, x[:]); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, tack.ErrNotFound) {
				t.Errorf("TakePasswordReset: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d takes of one token succeeded, want 1", won)
	}
}

func testSecondFactor(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Tess")
	other := newUser(t, as, "Olga")
	_, err := as.SecondFactor(ctx, u.ID)
	wantNotFound(t, "SecondFactor of none", err)
	wantNotFound(t, "EnableSecondFactor with none pending", as.EnableSecondFactor(ctx, u.ID, now(), 5, nil))
	wantNotFound(t, "UseSecondFactorStep with none", as.UseSecondFactorStep(ctx, u.ID, 5))
	at := now()
	must(t, "PutPendingSecondFactor", as.PutPendingSecondFactor(ctx, account.SecondFactor{UserID: u.ID, Secret: "FIRST", CreatedAt: at}))
	must(t, "PutPendingSecondFactor again", as.PutPendingSecondFactor(ctx, account.SecondFactor{UserID: u.ID, Secret: "SECOND", CreatedAt: at}))
	f, err := as.SecondFactor(ctx, u.ID)
	must(t, "SecondFactor", err)
	if f.Secret != "SECOND" || f.EnabledAt != nil || f.LastStep != 0 {
		t.Fatalf("pending: %+v", f)
	}
	sameTime(t, "CreatedAt", f.CreatedAt, at)
	wantNotFound(t, "UseSecondFactorStep while pending", as.UseSecondFactorStep(ctx, u.ID, 5))
	h := func(s string) []byte { x := sha256.Sum256([]byte(s)); return x[:] }
	enabled := now()
	must(t, "EnableSecondFactor", as.EnableSecondFactor(ctx, u.ID, enabled, 100, [][]byte{h("a"), h("b"), h("c")}))
	f, err = as.SecondFactor(ctx, u.ID)
	must(t, "SecondFactor", err)
	if f.EnabledAt == nil || f.LastStep != 100 {
		t.Fatalf("enabled: %+v", f)
	}
	sameTime(t, "EnabledAt", *f.EnabledAt, enabled)
	if err := as.PutPendingSecondFactor(ctx, account.SecondFactor{UserID: u.ID, Secret: "THIRD", CreatedAt: at}); tack.ErrorCode(err) != tack.EConflict {
		t.Fatalf("PutPendingSecondFactor over an enabled one: %v", err)
	}
	if f, _ := as.SecondFactor(ctx, u.ID); f.Secret != "SECOND" {
		t.Fatalf("the enabled secret changed to %q", f.Secret)
	}
	wantNotFound(t, "EnableSecondFactor twice", as.EnableSecondFactor(ctx, u.ID, now(), 200, nil))
	wantNotFound(t, "UseSecondFactorStep of the same step", as.UseSecondFactorStep(ctx, u.ID, 100))
	wantNotFound(t, "UseSecondFactorStep of an earlier step", as.UseSecondFactorStep(ctx, u.ID, 99))
	must(t, "UseSecondFactorStep", as.UseSecondFactorStep(ctx, u.ID, 101))
	if n, err := as.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 3 {
		t.Fatalf("RecoveryCodesLeft = %d, %v", n, err)
	}
	must(t, "UseRecoveryCode", as.UseRecoveryCode(ctx, u.ID, h("b")))
	wantNotFound(t, "UseRecoveryCode twice", as.UseRecoveryCode(ctx, u.ID, h("b")))
	wantNotFound(t, "UseRecoveryCode of another user's code", as.UseRecoveryCode(ctx, other.ID, h("a")))
	if n, _ := as.RecoveryCodesLeft(ctx, u.ID); n != 2 {
		t.Fatalf("RecoveryCodesLeft after one used = %d", n)
	}
	must(t, "SetRecoveryCodes", as.SetRecoveryCodes(ctx, u.ID, [][]byte{h("x")}))
	wantNotFound(t, "UseRecoveryCode of a replaced code", as.UseRecoveryCode(ctx, u.ID, h("a")))
	if n, _ := as.RecoveryCodesLeft(ctx, u.ID); n != 1 {
		t.Fatalf("RecoveryCodesLeft after replacing = %d", n)
	}
	must(t, "DeleteSecondFactor", as.DeleteSecondFactor(ctx, u.ID))
	_, err = as.SecondFactor(ctx, u.ID)
	wantNotFound(t, "SecondFactor after delete", err)
	if n, _ := as.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Fatalf("recovery codes left after delete: %d", n)
	}
	must(t, "DeleteSecondFactor of none", as.DeleteSecondFactor(ctx, other.ID))
}

// testConcurrentSteps: of 20 uses of one step at once, one wins.
func testConcurrentSteps(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Tom")
	must(t, "PutPendingSecondFactor", as.PutPendingSecondFactor(ctx, account.SecondFactor{UserID: u.ID, Secret: "S", CreatedAt: now()}))
	must(t, "EnableSecondFactor", as.EnableSecondFactor(ctx, u.ID, now(), 1, nil))
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := as.UseSecondFactorStep(ctx, u.ID, 2); err == nil {
				mu.Lock()
				won++
				mu.Unlock()
			} else if !errors.Is(err, tack.ErrNotFound) {
				t.Errorf("UseSecondFactorStep: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Fatalf("%d uses of one step succeeded, want 1", won)
	}
}

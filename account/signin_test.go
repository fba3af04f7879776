package account_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/sqlite"
)

func newService(t *testing.T, clock tack.Clock) (*account.Service, *sqlite.DB) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return account.NewService(db, nil, clock, account.Config{Argon2: account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}}), db
}

// TestOldPhoneSpellings: an account stored by an older version under a
// digits-only phone number signs in by any spelling of it, and nobody can
// register that number again in its new spelling.
func TestOldPhoneSpellings(t *testing.T) {
	ctx := context.Background()
	svc, db := newService(t, nil)
	dev := account.Device{Name: "test", Address: "192.0.2.1"}
	a, err := svc.Register(ctx, "donor@example.com", "correct horse battery", "Donor", dev)
	if err != nil {
		t.Fatal(err)
	}
	_, hash, err := db.UserByLogin(ctx, a.User.Login)
	if err != nil {
		t.Fatal(err)
	}
	old := account.User{ID: tack.NewID(), Login: "13800138000", Name: "Old", CreatedAt: time.Now()}
	if err := db.CreateUser(ctx, old, hash); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"13800138000", "+86 138 0013 8000", "+8613800138000"} {
		got, err := svc.SignIn(ctx, login, "correct horse battery", dev)
		if err != nil || got.User.ID != old.ID {
			t.Errorf("sign in as %q: %+v %v", login, got.User, err)
		}
	}
	if _, err := svc.Register(ctx, "+86 138 0013 8000", "correct horse battery", "New", dev); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("registering an old account's number again: %v", err)
	}
}

// TestKnownDeviceExpires: a device unused for a year is a stranger again.
func TestKnownDeviceExpires(t *testing.T) {
	ctx := context.Background()
	var skew time.Duration
	svc, _ := newService(t, func() time.Time { return time.Now().Add(skew) })
	a, err := svc.Register(ctx, "dev@example.com", "correct horse battery", "Dev", account.Device{Address: "192.0.2.1"})
	if err != nil || a.DeviceToken == "" {
		t.Fatalf("register: %+v %v", a, err)
	}
	// Lock the login from elsewhere.
	for i := 0; i < 40; i++ {
		svc.SignIn(ctx, "dev@example.com", "wrong", account.Device{Address: fmt.Sprintf("198.51.100.%d", i)})
	}
	if _, err := svc.SignIn(ctx, "dev@example.com", "correct horse battery", account.Device{Address: "203.0.113.1"}); tack.ErrorCode(err) != tack.ERateLimited {
		t.Fatalf("a new device on a locked login: %v", err)
	}
	known := account.Device{Address: "203.0.113.1", Token: a.DeviceToken}
	got, err := svc.SignIn(ctx, "dev@example.com", "correct horse battery", known)
	if err != nil {
		t.Fatalf("known device: %v", err)
	}
	if got.DeviceToken != "" {
		t.Errorf("a known device got a new device token")
	}
	skew = 366 * 24 * time.Hour
	if _, err := svc.SignIn(ctx, "dev@example.com", "correct horse battery", known); tack.ErrorCode(err) != tack.ERateLimited {
		t.Errorf("a device unused for a year: %v, want the stranger's limits", err)
	}
}

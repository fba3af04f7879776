package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/sqlite"
	"github.com/tackhq/tack/storetest"
)

// openTest opens a new database in the test's temporary directory.
func openTest(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestAccountStore(t *testing.T) {
	storetest.TestAccountStore(t, func(t *testing.T) account.Store { return openTest(t) })
}

func TestVerificationStore(t *testing.T) {
	storetest.TestVerificationStore(t, func(t *testing.T) account.Store { return openTest(t) })
}

func TestChatStore(t *testing.T) {
	storetest.TestChatStore(t, func(t *testing.T) (account.Store, chat.Store) {
		db := openTest(t)
		return db, db
	})
}

func TestAttendanceStore(t *testing.T) {
	storetest.TestAttendanceStore(t, func(t *testing.T) attendance.Store { return openTest(t).Attendance() })
}

func TestPrivacyStore(t *testing.T) {
	storetest.TestPrivacyStore(t, func(t *testing.T) (account.Store, org.PrivacyStore) {
		db := openTest(t)
		return db, db
	})
}

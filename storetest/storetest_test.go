// The suite runs here against the SQLite store, so that a change to the
// suite is checked against at least one implementation.
package storetest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/sqlite"
	"github.com/tackhq/tack/storetest"
)

func openSQLite(t *testing.T) *sqlite.DB {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestSQLiteAccount(t *testing.T) {
	storetest.TestAccountStore(t, func(t *testing.T) account.Store { return openSQLite(t) })
}

func TestSQLiteChat(t *testing.T) {
	storetest.TestChatStore(t, func(t *testing.T) (account.Store, chat.Store) { db := openSQLite(t); return db, db })
}

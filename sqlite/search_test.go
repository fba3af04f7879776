package sqlite_test

import (
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
	"github.com/tackhq/tack/storetest"
)

func TestSearchStore(t *testing.T) {
	storetest.TestSearchStore(t, func(t *testing.T) (account.Store, chat.Store, search.Store) {
		db := openTest(t)
		return db, db, db
	})
}

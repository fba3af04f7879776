package postgres_test

import (
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/postgres"
	"github.com/tackhq/tack/search"
	"github.com/tackhq/tack/storetest"
)

func TestSearchStore(t *testing.T) {
	baseDSN(t)
	storetest.TestSearchStore(t, func(t *testing.T) (account.Store, chat.Store, search.Store) {
		db := open(t)
		return db, db, db
	})
}

// TestSearchStoreWholeIndex runs the conformance suite with the plan for
// members of large conversations (the whole index; small databases always
// search per conversation otherwise).
func TestSearchStoreWholeIndex(t *testing.T) {
	baseDSN(t)
	defer postgres.SetPerConversationMax(-1)()
	storetest.TestSearchStore(t, func(t *testing.T) (account.Store, chat.Store, search.Store) {
		db := open(t)
		return db, db, db
	})
}

package postgres_test

import (
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/storetest"
)

func TestMediaStore(t *testing.T) {
	baseDSN(t)
	storetest.TestMediaStore(t, func(t *testing.T) (account.Store, chat.Store, media.Store) {
		db := open(t)
		return db, db, db.Media()
	})
}

func TestApprovalFiles(t *testing.T) {
	baseDSN(t)
	storetest.TestApprovalFiles(t, func(t *testing.T) (account.Store, chat.Store, media.Store, approval.Store) {
		db := open(t)
		return db, db, db.Media(), db.Approvals()
	})
}

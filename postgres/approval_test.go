package postgres_test

import (
	"testing"

	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/storetest"
)

func TestLeaveStore(t *testing.T) {
	baseDSN(t)
	storetest.TestLeaveStore(t, func(t *testing.T) leave.Store { return open(t).Leave() })
}

func TestApprovalStore(t *testing.T) {
	baseDSN(t)
	storetest.TestApprovalStore(t, func(t *testing.T) (approval.Store, leave.Store) {
		db := open(t)
		return db.Approvals(), db.Leave()
	})
}

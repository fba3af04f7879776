package sqlite_test

import (
	"testing"

	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/storetest"
)

func TestLeaveStore(t *testing.T) {
	storetest.TestLeaveStore(t, func(t *testing.T) leave.Store { return openTest(t).Leave() })
}

func TestApprovalStore(t *testing.T) {
	storetest.TestApprovalStore(t, func(t *testing.T) (approval.Store, leave.Store) {
		db := openTest(t)
		return db.Approvals(), db.Leave()
	})
}

package leave

import (
	"context"
	"time"

	"github.com/tackhq/tack"
)

// Balance is what a member has of a leave type.
type Balance struct {
	OrgID     tack.ID `json:"-"`
	UserID    tack.ID `json:"user_id"`
	LeaveType string  `json:"leave_type"`
	Balance   Amount  `json:"balance"`
	// Carried is the part carried over from last year, used first, that
	// expires on CarryExpires (YYYY-MM-DD; "" never).
	Carried      Amount `json:"carried"`
	CarryExpires string `json:"carry_expires,omitempty"`
	// Through is the last month (YYYY-MM) accrual and carry-over were
	// applied for.
	Through   string    `json:"-"`
	Rev       int64     `json:"-"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Line is one ledger line: a change of a balance.
type Line struct {
	ID        tack.ID `json:"id"`
	OrgID     tack.ID `json:"-"`
	UserID    tack.ID `json:"user_id"`
	LeaveType string  `json:"leave_type"`
	Kind      string  `json:"kind"`    // accrual, adjust, deduct, restore, credit, forfeit, expire
	Delta     Amount  `json:"delta"`   // the change
	Balance   Amount  `json:"balance"` // the balance after it
	// Key makes the line happen once: for each (organisation, user, type)
	// a key is used once (accrual:2026-03, deduct:APPROVAL, ...).
	Key        string    `json:"-"`
	ApprovalID tack.ID   `json:"approval_id,omitempty"`
	ActorID    tack.ID   `json:"actor_id,omitempty"` // user ID; "" for the system
	Reason     string    `json:"reason,omitempty"`
	At         time.Time `json:"at"`
}

// Write changes one balance with its ledger lines: the balance becomes
// Balance (Rev PrevRev+1) if it is still at PrevRev (0: it must not exist
// yet), and the lines are added; a line whose key was used fails the
// write.
type Write struct {
	Balance Balance
	PrevRev int64
	Lines   []Line
}

// TypeWrite adds (PrevVersion 0) or replaces a leave type
// (compare-and-set on the version).
type TypeWrite struct {
	OrgID       tack.ID
	Type        Type
	PrevVersion int
}

// Audit is one admin action on leave.
type Audit struct {
	ID      tack.ID   `json:"id"`
	OrgID   tack.ID   `json:"org_id"`
	ActorID tack.ID   `json:"actor_id"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Detail  any       `json:"detail,omitempty"`
	At      time.Time `json:"at"`
}

// Batch is one atomic write of leave.
type Batch struct {
	Types  []TypeWrite
	Writes []Write
	Audit  []Audit
}

// Store keeps leave types, balances and the ledger. Errors: tack.ErrNotFound
// (possibly wrapped) for a missing row; tack.EConflict for a failed
// compare-and-set or a used ledger key, in which case nothing of the batch
// is written. Stores decide nothing. Safe for concurrent use.
type Store interface {
	// Types lists the organisation's stored leave types (changed
	// built-ins and its own), by key.
	Types(ctx context.Context, orgID tack.ID) ([]Type, error)
	// Balance returns one balance.
	Balance(ctx context.Context, orgID, userID tack.ID, leaveType string) (Balance, error)
	// Balances lists a user's balances in orgID, by type.
	Balances(ctx context.Context, orgID, userID tack.ID) ([]Balance, error)
	// Ledger lists a user's ledger lines of orgID (of leaveType only, if
	// not ""), with ID < before (all if ""), newest first.
	Ledger(ctx context.Context, orgID, userID tack.ID, leaveType string, before tack.ID, limit int) ([]Line, error)
	// ApplyLeave writes b atomically.
	ApplyLeave(ctx context.Context, b Batch) error
}

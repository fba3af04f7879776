// Package retention removes an organisation's old messages: each
// organisation may keep its groups' messages for a number of days, after
// which a background job deletes them with their file references (the
// media collector then removes files and blobs no message carries) and
// their search entries. A legal hold on a group exempts it until the hold
// is lifted. Members see both in the conversation's info.
//
// The sweep is a durable deadline job (package deadline), one per
// organisation: it survives a restart and runs on one node at a time.
// Deleting is idempotent (what is gone stays gone), so a sweep that a dead
// node left half done is simply run again.
package retention

import (
	"context"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Limits of a policy.
const (
	MinDays = 1
	MaxDays = 36500 // 100 years
	// MaxReason bounds a hold's reason, in characters.
	MaxReason = 500
)

// SweepJob is the deadline kind of an organisation's sweeps. Each
// organisation has up to two jobs: the periodic sweep (key: the
// organisation ID), which schedules itself again, and a sweep asked for by
// a change (key: the ID + "/now": a new policy, a lifted hold), which runs
// once. Apart, a change made while the periodic sweep runs is never lost
// to the periodic sweep rescheduling itself.
const SweepJob = "retention.sweep"

// nowKey is the key of the sweep a change asks for.
func nowKey(orgID tack.ID) string { return string(orgID) + "/now" }

// Policy is an organisation's retention.
type Policy struct {
	OrgID tack.ID `json:"org_id"`
	// Days: messages older than this are removed; 0 keeps them forever.
	Days      int        `json:"days"`
	UpdatedBy tack.ID    `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Hold exempts one of an organisation's groups from retention.
type Hold struct {
	ConversationID tack.ID   `json:"conversation_id"`
	OrgID          tack.ID   `json:"org_id"`
	Title          string    `json:"title"` // the group's title, as the store reads it
	Reason         string    `json:"reason"`
	SetBy          tack.ID   `json:"set_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// Info is what a conversation's member sees of retention.
type Info struct {
	ConversationID tack.ID `json:"conversation_id"`
	// OrgID is the organisation whose group this is ("" for any other
	// conversation: no retention applies).
	OrgID tack.ID `json:"org_id,omitempty"`
	// Days is the organisation's retention (0: kept forever).
	Days int `json:"days"`
	// LegalHold: the group is exempt from retention.
	LegalHold bool `json:"legal_hold"`
}

// Store keeps policies and holds, and deletes expired messages. Audit
// entries are written in the transaction of the change they record.
type Store interface {
	// Policy returns orgID's policy (Days 0 if none was ever set).
	Policy(ctx context.Context, orgID tack.ID) (Policy, error)
	// PutPolicy stores p (replacing) and the audit entry a.
	PutPolicy(ctx context.Context, p Policy, a org.Audit) error
	// Policies lists the policies with Days > 0.
	Policies(ctx context.Context) ([]Policy, error)
	// GroupOrg returns the organisation of the organisation group convID;
	// an error wrapping tack.ErrNotFound if it is none.
	GroupOrg(ctx context.Context, convID tack.ID) (tack.ID, error)
	// Holds lists orgID's holds, oldest first, with the groups' titles.
	Holds(ctx context.Context, orgID tack.ID) ([]Hold, error)
	// PutHold stores h (replacing a hold on the same group) and a.
	PutHold(ctx context.Context, h Hold, a org.Audit) error
	// DeleteHold deletes the hold on convID of orgID and writes a; an error
	// wrapping tack.ErrNotFound (and nothing written) if there is none.
	DeleteHold(ctx context.Context, orgID, convID tack.ID, a org.Audit) error
	// Held reports whether convID is under a legal hold.
	Held(ctx context.Context, convID tack.ID) (bool, error)
	// Expire deletes, in one transaction, up to limit messages created
	// before before in orgID's groups that are under no hold, with their
	// file references and search entries, and returns how many. In each
	// group it deletes from the oldest message (lowest seq) on and stops at
	// the first one created at or after before. Messages of other
	// conversations are never touched.
	Expire(ctx context.Context, orgID tack.ID, before time.Time, limit int) (int, error)
}

// Package ding is urgent messages (DING): a sender in an organisation
// DINGs chosen colleagues, who each confirm (收到); the sender sees, live,
// who has and who has not. The unconfirmed are reached again on the next
// channel after a while: in the app and by Web Push at once, then by email,
// then by text message (SMS), as the sender chose. A DING may be scheduled
// for later, and re-reminded (at most every 5 minutes).
//
// The humane rules: each recipient's quiet hours (their shifts, or their own
// ranges: attendance.QuietAt) are respected. A DING into someone's quiet
// hours needs a reason, shown to them; counts against the sender's daily
// quota of such DINGs (default 3); and reaches them in the app and by push
// only, never by email or SMS, unless an organisation admin marks it an
// emergency. The organisation decides who may send DINGs at all, and how
// many a sender may send a day.
//
// The package also decides read-receipt policy (receipts.go): each
// organisation chooses off, each user's choice, or on.
package ding

import (
	"context"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/org"
)

// Channels, in the order a DING escalates through them. App is always
// used; the sender chooses the others.
const (
	App   = "app"
	Push  = "push"
	Email = "email"
	SMS   = "sms"
	Call  = "call" // a phone call that reads the DING aloud
)

// Ladder is every channel in escalation order.
var Ladder = []string{App, Push, Email, SMS, Call}

// Who may send DINGs (OrgSettings.Senders).
const (
	SendersEveryone = "everyone"
	SendersAdmins   = "admins"
	SendersListed   = "listed"
)

// Limits and defaults.
const (
	MaxTextRunes       = 1000
	MaxReasonRunes     = 200
	MaxRecipients      = 200
	MaxSchedule        = 30 * 24 * time.Hour
	RemindEvery        = 5 * time.Minute
	DefaultQuietQuota  = 3
	DefaultDailyLimit  = 30
	DefaultEscalateMin = 5
	MaxEscalate        = 24 * time.Hour

	// Deadline kinds: a scheduled DING's sending, and an escalation; keys
	// are the DING's ID.
	SendJob     = "ding.send"
	EscalateJob = "ding.escalate"

	// EventKind is the bus event and stream frame type ("ding").
	EventKind = "ding"
)

// EQuota is the error code of a refusal by quota: the sender's daily DINGs,
// or DINGs into quiet hours, are used up. (429)
const EQuota = "quota_exceeded"

// Ding is one urgent message.
type Ding struct {
	ID        tack.ID  `json:"id"`
	OrgID     tack.ID  `json:"org_id"`
	SenderID  tack.ID  `json:"sender_id"`
	Text      string   `json:"text"`
	Reason    string   `json:"reason,omitempty"`
	Channels  []string `json:"channels"`
	Emergency bool     `json:"emergency"`
	// Quiet: some recipient was in their quiet hours when it was sent.
	Quiet bool `json:"quiet"`
	// EscalateAfterS is how long the unconfirmed wait before each next
	// channel.
	EscalateAfterS int        `json:"escalate_after_s"`
	SendAt         time.Time  `json:"send_at"`
	Sent           bool       `json:"sent"`
	Level          int        `json:"level"` // steps reached (0: app and push)
	RemindedAt     *time.Time `json:"reminded_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	Recipients     []Recipient
}

// Recipient is one person a DING is for.
type Recipient struct {
	UserID tack.ID `json:"user_id"`
	// Quiet: in their quiet hours when the DING was sent (or scheduled).
	Quiet       bool       `json:"quiet"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
}

// View is a DING as the API shows it.
type View struct {
	ID             tack.ID     `json:"id"`
	OrgID          tack.ID     `json:"org_id"`
	SenderID       tack.ID     `json:"sender_id"`
	Text           string      `json:"text"`
	Reason         string      `json:"reason,omitempty"`
	Channels       []string    `json:"channels"`
	Emergency      bool        `json:"emergency"`
	Quiet          bool        `json:"quiet"`
	EscalateAfterS int         `json:"escalate_after_s"`
	SendAt         time.Time   `json:"send_at"`
	Sent           bool        `json:"sent"`
	Reached        []string    `json:"reached"` // channels used so far
	RemindedAt     *time.Time  `json:"reminded_at,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
	Confirmed      []tack.ID   `json:"confirmed"`
	Unconfirmed    []tack.ID   `json:"unconfirmed"`
	Recipients     []Recipient `json:"recipients"`
}

// OrgSettings are an organisation's rules for DINGs and read receipts.
type OrgSettings struct {
	Senders   string    `json:"senders"`    // everyone, admins, listed
	SenderIDs []tack.ID `json:"sender_ids"` // with "listed": these users (and admins)
	// QuietQuota: DINGs into quiet hours per sender per 24 hours.
	QuietQuota int `json:"quiet_quota"`
	// DailyLimit: DINGs per sender per 24 hours.
	DailyLimit int `json:"daily_limit"`
	// EscalateAfterMin: default minutes before the next channel.
	EscalateAfterMin int `json:"escalate_after_min"`
	// Receipts: off, choice or on (see receipts.go); ReceiptNamesMax: in
	// larger groups, counts only.
	Receipts        string    `json:"receipts"`
	ReceiptNamesMax int       `json:"receipt_names_max"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// UserSettings are a person's own choices.
type UserSettings struct {
	// HideReceipts: under the "choice" policy, others do not see that this
	// person read their messages, and this person sees no one's.
	HideReceipts bool `json:"hide_receipts"`
	// PushInQuiet: ordinary messages are pushed during quiet hours too
	// (default: they wait).
	PushInQuiet bool      `json:"push_in_quiet"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Store keeps DINGs and settings. Errors: tack.ErrNotFound for a missing
// DING. Stores check nothing.
type Store interface {
	// CreateDing stores d with its recipients.
	CreateDing(ctx context.Context, d Ding) error
	// Ding returns a DING with its recipients.
	Ding(ctx context.Context, id tack.ID) (Ding, error)
	// DingsOf returns up to limit DINGs of orgID sent by userID (sent) or
	// to userID (not sent), newest first, with their recipients.
	DingsOf(ctx context.Context, orgID, userID tack.ID, sent bool, limit int) ([]Ding, error)
	// Confirm records userID's confirmation at at, once; changed is false
	// if it was confirmed already or userID is not a recipient.
	Confirm(ctx context.Context, id, userID tack.ID, at time.Time) (changed bool, err error)
	// MarkSent sets Sent, once; changed is false if it was set.
	MarkSent(ctx context.Context, id tack.ID) (changed bool, err error)
	// SetLevel moves Level from from to to; changed is false if Level was
	// not from.
	SetLevel(ctx context.Context, id tack.ID, from, to int) (changed bool, err error)
	// SetReminded sets RemindedAt to at if it is unset or not after
	// notAfter; changed is false otherwise.
	SetReminded(ctx context.Context, id tack.ID, at, notAfter time.Time) (changed bool, err error)
	// CountSent counts the DINGs of sender in orgID created at or after
	// since; quietOnly counts only those marked Quiet.
	CountSent(ctx context.Context, orgID, sender tack.ID, since time.Time, quietOnly bool) (int, error)
	// OrgSettings returns orgID's settings, or found false.
	OrgSettings(ctx context.Context, orgID tack.ID) (OrgSettings, bool, error)
	PutOrgSettings(ctx context.Context, orgID tack.ID, s OrgSettings) error
	// UserSettings returns the settings of those of ids that have any.
	UserSettings(ctx context.Context, ids []tack.ID) (map[tack.ID]UserSettings, error)
	PutUserSettings(ctx context.Context, userID tack.ID, s UserSettings) error
}

// Directory is what the service needs of the organisation directory
// (org.Service implements it).
type Directory interface {
	// DirectoryMember returns the member of orgID whose member ID or user
	// ID is id; an error wrapping tack.ErrNotFound if there is none.
	DirectoryMember(ctx context.Context, orgID, id tack.ID) (org.Member, error)
	// DirectoryOrgsOf returns the organisations where userID is active.
	DirectoryOrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error)
}

// Quiet says whether someone is in their quiet hours at t
// (attendance.Service implements it).
type Quiet interface {
	QuietAt(ctx context.Context, userID tack.ID, t time.Time) (bool, error)
}

// Contact is how one recipient is reached outside the app.
type Contact struct {
	UserID tack.ID
	Name   string
	Email  string // work email from the directory
	Phone  string // phone from the directory (E.164)
}

// Notifier reaches a recipient by push, email or SMS. It returns
// ErrNoAddress when the person has no address for that channel.
type Notifier interface {
	Reach(ctx context.Context, channel string, to Contact, d Ding) error
}

// ErrNoAddress: the recipient cannot be reached by that channel.
var ErrNoAddress = tack.Errorf(tack.EInvalid, "no address for this channel")

// Deadlines schedules jobs (deadline.Runner implements it).
type Deadlines interface {
	Schedule(ctx context.Context, j deadline.Job, earlier bool) error
	Cancel(ctx context.Context, kind, key string) error
}

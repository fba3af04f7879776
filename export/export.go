// Package export hands people their data: a member's own export (profile,
// the messages they sent, the files they uploaded, their attendance and
// approvals) and an organisation admin's export (the directory and the
// attendance of a date range), each a ZIP of JSON files (and, for a
// member, the files themselves). Every export is recorded before its first
// byte is written: in the exports log, and for an organisation's also in
// its audit log (action "org.export").
//
// Never exported: secret chats' messages (their text is burned after
// reading and no copy may outlive it), other people's messages, and
// anything of an organisation the caller is not an active member of.
package export

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Kinds of export.
const (
	KindMine = "mine" // a member's own data
	KindOrg  = "org"  // an organisation's directory and attendance
)

// Record is one export, as the log keeps it.
type Record struct {
	ID     tack.ID `json:"id"`
	UserID tack.ID `json:"user_id"`
	// OrgID is the organisation exported ("" for a member's own data).
	OrgID tack.ID   `json:"org_id,omitempty"`
	Kind  string    `json:"kind"`
	At    time.Time `json:"at"`
}

// Message is one message the member sent, as exported.
type Message struct {
	ConversationID    tack.ID         `json:"conversation_id"`
	ConversationKind  string          `json:"conversation_kind"`
	ConversationTitle string          `json:"conversation_title,omitempty"`
	Seq               int64           `json:"seq"`
	ClientID          string          `json:"client_id"`
	Kind              string          `json:"kind"`
	Text              string          `json:"text"`
	ReplyTo           int64           `json:"reply_to,omitempty"`
	Attachments       json.RawMessage `json:"attachments,omitempty"`
	CreatedAt         time.Time       `json:"created_at"`
	EditedAt          *time.Time      `json:"edited_at,omitempty"`
	Recalled          bool            `json:"recalled,omitempty"`
}

// Store keeps the exports log and reads what only an export needs.
type Store interface {
	// RecordExport logs r and, if a is not nil, writes the audit entry a,
	// in one transaction.
	RecordExport(ctx context.Context, r Record, a *org.Audit) error
	// Exports lists up to limit records, newest first: userID's own
	// exports (Kind mine) when orgID is "", else every export of orgID.
	Exports(ctx context.Context, userID, orgID tack.ID, limit int) ([]Record, error)
	// SentMessages returns up to limit messages userID sent with a client
	// ID greater than after, ordered by client ID, never one of a
	// conversation of kind secret. Recalled messages come without text.
	SentMessages(ctx context.Context, userID tack.ID, after string, limit int) ([]Message, error)
	// UploadedFiles returns up to limit IDs of files userID uploaded, with
	// IDs greater than after, in ID order.
	UploadedFiles(ctx context.Context, userID, after tack.ID, limit int) ([]tack.ID, error)
}

// Package chat is conversations and their messages: direct and group chats,
// membership and roles, sending with per-conversation sequence numbers,
// edits, recalls, read positions and receipts.
//
// Ordering: every conversation has two counters. Seq numbers messages
// (gapless, 1, 2, 3...); Mod counts every change to the conversation's
// timeline (a new message, an edit, a recall), so a client that remembers
// the highest Mod it has seen can ask for exactly what changed since.
// Both are assigned in the transaction that stores the change.
package chat

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tackhq/tack"
)

// Conversation kinds (and Secret, in secret.go).
const (
	Direct = "direct"
	Group  = "group"
)

// Member roles.
const (
	Owner  = "owner"
	Admin  = "admin"
	Member = "member"
)

// Message kinds.
const (
	TextMessage   = "text"
	SystemMessage = "system"
	// RobotMessage is posted by a robot or an app; System.Action is
	// "robot", System.Title its name and System.Card its card.
	RobotMessage = "robot"
)

// Limits.
const (
	MaxTextRunes   = 5000
	MaxTitleRunes  = 100
	MaxClientID    = 64
	MaxMentions    = 100
	EditWindow     = 24 * time.Hour
	RecallWindow   = 2 * time.Minute
	DefaultMembers = 500
	MaxMembers     = 10000
)

// Conversation is a direct or group chat. The fields after LastMod are the
// caller's own view and are filled by Service methods.
type Conversation struct {
	ID        tack.ID   `json:"id"`
	Kind      string    `json:"type"`
	Title     string    `json:"title"`
	OwnerID   tack.ID   `json:"owner_id,omitempty"`
	MuteAll   bool      `json:"mute_all"`
	CreatedAt time.Time `json:"created_at"`
	LastSeq   int64     `json:"last_seq"`
	LastMod   int64     `json:"last_mod"`
	// MemberCount is the number of members.
	MemberCount int `json:"member_count"`

	// The caller's view.
	Role        string   `json:"role,omitempty"`
	Muted       bool     `json:"muted"`
	ReadSeq     int64    `json:"read_seq"`
	Unread      int64    `json:"unread"`
	LastMessage *Message `json:"last_message,omitempty"`
	// Peer is the other person of a direct chat.
	Peer tack.ID `json:"peer_id,omitempty"`
	// External is true when someone in the conversation shares none of the
	// caller's organisations (only for callers who belong to one).
	External bool `json:"external"`
}

// Membership is a user's place in a conversation.
type Membership struct {
	ConversationID tack.ID   `json:"conversation_id"`
	UserID         tack.ID   `json:"user_id"`
	Role           string    `json:"role"`
	ReadSeq        int64     `json:"read_seq"`
	JoinedSeq      int64     `json:"joined_seq"`
	JoinedAt       time.Time `json:"joined_at"`
	// Muted is the member's own notification mute of the conversation.
	Muted bool `json:"muted"`
}

// Quote is the message a reply refers to, as it is now.
type Quote struct {
	Seq      int64   `json:"seq"`
	SenderID tack.ID `json:"sender_id"`
	Text     string  `json:"text"`
	Recalled bool    `json:"recalled,omitempty"`
}

// System describes a system event in the timeline.
type System struct {
	// Action: created, added, removed, left, renamed, owner_changed,
	// admin_added, admin_removed, muted, unmuted.
	Action  string    `json:"action"`
	ActorID tack.ID   `json:"actor_id"`
	Users   []tack.ID `json:"users,omitempty"`
	Title   string    `json:"title,omitempty"`
	// Card is the structured part of a robot message (see RobotPost).
	Card json.RawMessage `json:"card,omitempty"`
}

// Message is one entry in a conversation's timeline.
type Message struct {
	ConversationID tack.ID    `json:"conversation_id"`
	Seq            int64      `json:"seq"`
	Mod            int64      `json:"mod"`
	ClientID       string     `json:"client_id,omitempty"`
	SenderID       tack.ID    `json:"sender_id"`
	Kind           string     `json:"kind"`
	Text           string     `json:"text"`
	Mentions       []tack.ID  `json:"mentions,omitempty"`
	MentionAll     bool       `json:"mention_all,omitempty"`
	ReplyTo        int64      `json:"reply_to,omitempty"`
	Quote          *Quote     `json:"quote,omitempty"`
	System         *System    `json:"system,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	EditedAt       *time.Time `json:"edited_at,omitempty"`
	Recalled       bool       `json:"recalled,omitempty"`
	RecalledBy     tack.ID    `json:"recalled_by,omitempty"`
	// Attachments are the files of an image, file, voice or voice_picture
	// message (erased on recall).
	Attachments []Attachment `json:"attachments,omitempty"`
	// Secret chats (see Secret): BurnAfterS > 0 marks a secret message;
	// BurnsAt is when it burns (send + 7 days until revealed, then reveal +
	// BurnAfterS); Burned messages have no text. Hidden is the viewer's
	// view: not revealed yet, so its text is withheld from the recipient.
	BurnAfterS int        `json:"burn_after_s,omitempty"`
	BurnsAt    *time.Time `json:"burns_at,omitempty"`
	RevealedAt *time.Time `json:"revealed_at,omitempty"`
	Burned     bool       `json:"burned,omitempty"`
	Hidden     bool       `json:"hidden,omitempty"`
	// Unread is, on the sender's own messages, how many members have not
	// read it yet. Nil elsewhere.
	Unread *int `json:"unread,omitempty"`
}

// NewMessage is a message to append. The store assigns Seq, Mod.
type NewMessage struct {
	ConversationID tack.ID
	ClientID       string
	SenderID       tack.ID
	Kind           string
	Text           string
	Mentions       []tack.ID
	MentionAll     bool
	ReplyTo        int64
	System         *System
	CreatedAt      time.Time
	// Attachments: the store records each file's use by this message (what
	// gives the conversation's members access to it) in the same transaction.
	Attachments []Attachment
	// BurnAfterS and BurnsAt: a secret message (see Secret).
	BurnAfterS int
	BurnsAt    time.Time
}

// Appended is the outcome of appending one NewMessage.
type Appended struct {
	Message Message
	// Duplicate is true when (sender, client ID) was already stored: Message
	// is the original and nothing was written.
	Duplicate bool
	// PrevReadSeq is the sender's read position before this message moved
	// it up to Message.Seq (0 for duplicates and for senders who are not
	// members, such as system events of departed users).
	PrevReadSeq int64
}

// Position is a member's read position.
type Position struct {
	UserID    tack.ID
	ReadSeq   int64
	JoinedSeq int64
}

// ReadMove asks to move UserID's read position in ConversationID up to Seq.
type ReadMove struct {
	ConversationID tack.ID
	UserID         tack.ID
	Seq            int64
}

// ReadMoved is the outcome of a ReadMove.
type ReadMoved struct {
	Found     bool
	Prev, Now int64
}

// Change alters a conversation and records it in the timeline, atomically.
type Change struct {
	ConversationID tack.ID
	Add            []Membership // new members; Role, JoinedAt set; seqs set by the store
	Remove         []tack.ID
	Roles          map[tack.ID]string // role changes of existing members
	OwnerID        tack.ID            // new owner, or ""
	Title          *string
	MuteAll        *bool
	System         NewMessage // the system message recording the change
}

// ConversationStore keeps conversations and memberships.
//
// Errors: tack.ErrNotFound for a missing conversation or membership. All
// methods are safe for concurrent use. Stores check nothing: the Service
// does, before calling them.
type ConversationStore interface {
	// CreateConversation stores c with its members and first system message
	// in one transaction, and returns that message.
	CreateConversation(ctx context.Context, c Conversation, members []Membership, first NewMessage) (Message, error)
	// DirectBetween returns the ID of the direct conversation of a and b, if any.
	DirectBetween(ctx context.Context, a, b tack.ID) (tack.ID, error)
	Conversation(ctx context.Context, id tack.ID) (Conversation, error)
	// ConversationsOf lists userID's conversations with the caller view
	// (Role, ReadSeq, Unread, LastMessage, Peer) filled, newest first.
	ConversationsOf(ctx context.Context, userID tack.ID) ([]Conversation, error)
	// ConversationMods maps the IDs of userID's conversations to their LastMod.
	ConversationMods(ctx context.Context, userID tack.ID) (map[tack.ID]int64, error)
	Membership(ctx context.Context, convID, userID tack.ID) (Membership, error)
	Memberships(ctx context.Context, convID tack.ID) ([]Membership, error)
	// MembersAmong returns which of ids are members of convID.
	MembersAmong(ctx context.Context, convID tack.ID, ids []tack.ID) ([]tack.ID, error)
	// SetMuted sets userID's own notification mute of convID;
	// tack.ErrNotFound if userID is not a member.
	SetMuted(ctx context.Context, convID, userID tack.ID, muted bool) error
	// ApplyChange applies ch and appends its system message in one
	// transaction, and returns that message.
	ApplyChange(ctx context.Context, ch Change) (Message, error)
}

// MessageStore keeps messages.
type MessageStore interface {
	// Append stores msgs in one transaction, in order, giving each the next
	// Seq and Mod of its conversation; a message whose (SenderID, ClientID)
	// is already stored is not stored again and its original is returned.
	// The sender's read position moves up to each message it sends, and
	// Appended.PrevReadSeq reports where it was. Either all are stored or,
	// on error, none.
	Append(ctx context.Context, msgs []NewMessage) ([]Appended, error)
	Message(ctx context.Context, convID tack.ID, seq int64) (Message, error)
	// Messages returns up to limit messages with seq > after (ascending), or
	// if before > 0, the last limit messages with seq < before (ascending).
	Messages(ctx context.Context, convID tack.ID, after, before int64, limit int) ([]Message, error)
	// MessagesSince returns up to limit messages whose Mod > mod, by Mod.
	MessagesSince(ctx context.Context, convID tack.ID, mod int64, limit int) ([]Message, error)
	// MessagesBySeq returns the messages among seqs that exist.
	MessagesBySeq(ctx context.Context, convID tack.ID, seqs []int64) ([]Message, error)
	// EditMessage replaces the text and mentions of a message, sets EditedAt
	// and gives it the next Mod.
	EditMessage(ctx context.Context, convID tack.ID, seq int64, text string, mentions []tack.ID, mentionAll bool, at time.Time) (Message, error)
	// RecallMessage erases the text and mentions of a message from storage,
	// marks it recalled by by, and gives it the next Mod.
	RecallMessage(ctx context.Context, convID tack.ID, seq int64, by tack.ID) (Message, error)
}

// ReceiptStore keeps read positions.
type ReceiptStore interface {
	// SetReadSeq moves userID's read position in convID up to seq (never
	// down, never past the last seq) and returns the old and new positions.
	SetReadSeq(ctx context.Context, convID, userID tack.ID, seq int64) (prev, now int64, err error)
	// SetReadSeqs applies several moves in one transaction, each as
	// SetReadSeq does, and reports each outcome in order; a move whose
	// membership does not exist has Found false and changes nothing.
	SetReadSeqs(ctx context.Context, moves []ReadMove) ([]ReadMoved, error)
	// Behind returns the positions of members whose ReadSeq < seq.
	Behind(ctx context.Context, convID tack.ID, seq int64) ([]Position, error)
	// SendersBetween returns the distinct senders of text messages (not
	// system events) with from < seq <= to.
	SendersBetween(ctx context.Context, convID tack.ID, from, to int64) ([]tack.ID, error)
}

// Store is everything the chat Service needs.
type Store interface {
	ConversationStore
	MessageStore
	ReceiptStore
	SecretStore
}

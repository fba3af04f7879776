// Package bus carries events between the nodes of a Tack deployment: every
// node publishes what it committed, and every node delivers what it hears to
// the live connections it holds.
//
// The bus is not a source of truth. The database is: an event the bus drops,
// delays or reorders is healed by the receiving connection, which notices the
// gap in a conversation's change counter (Event.Mod) and reads what it missed
// from the store. Implementations may therefore be at-most-once.
package bus

import (
	"context"

	"github.com/tackhq/tack"
)

// Event kinds.
const (
	// Message: a message was stored or changed (new, edited, recalled, or a
	// system event). Sequenced: Mod is the conversation's change counter.
	Message = "message"
	// Read: a member's read position moved. Users lists who needs to know:
	// the reader (all devices) and the senders of the messages now read.
	Read = "read"
	// Member: someone joined or left a conversation. Subject is that user,
	// Action is "added" or "removed". Sent to members before and after.
	Member = "member"
	// Conversation: a conversation's settings changed (title, mute-all, roles).
	Conversation = "conversation"
	// Typing: a member is typing. Ephemeral.
	Typing = "typing"
	// Presence: a user came online or went offline. Ephemeral.
	Presence = "presence"
	// SessionRevoked: a session was signed out or revoked. Subject is the
	// session ID; Users holds its owner. Nodes drop cached sessions and
	// close that session's connections.
	SessionRevoked = "session_revoked"
	// Approval: an approval changed (asked, decided, withdrawn, ...). Users
	// are the people concerned; the payload is the frame they get.
	Approval = "approval"
)

// Event is one thing that happened. Payload is the exact frame sent to
// clients (JSON), encoded once by the publisher so that fan-out to many
// connections never re-encodes.
type Event struct {
	Kind string `json:"k"`
	// ConversationID, when set, addresses the event to the conversation's
	// members (unless Users narrows it).
	ConversationID tack.ID `json:"c,omitempty"`
	// Users, when set, addresses the event to exactly these users.
	Users []tack.ID `json:"u,omitempty"`
	// Subject is the user or session the event is about, where it has one.
	Subject tack.ID `json:"s,omitempty"`
	// Action refines Kind ("added", "removed", ...).
	Action string `json:"a,omitempty"`
	// Mod is the conversation change counter for sequenced events, else 0.
	Mod int64 `json:"m,omitempty"`
	// Payload is the client frame, JSON.
	Payload []byte `json:"p,omitempty"`
	// Origin is the publishing node's ID.
	Origin string `json:"o,omitempty"`
}

// Publisher sends events to every node, this one included.
//
// Publish must not block on slow receivers. It returns an error only when the
// event could not be handed to the bus at all; callers log it and carry on,
// since the store already holds the truth.
type Publisher interface {
	Publish(ctx context.Context, e *Event) error
}

// Subscriber delivers every published event to fn. fn may be called from
// several goroutines at once, but events that one publisher published in
// order arrive in that order. fn must not block for long, nor modify the
// event. The returned func stops delivery; after it returns, fn is
// not called again.
type Subscriber interface {
	Subscribe(fn func(*Event)) (cancel func(), err error)
}

// Bus is both ends, and is closed when the node stops.
type Bus interface {
	Publisher
	Subscriber
	Close() error
}

// Package bus carries events between the nodes of a Tack deployment: every
// node publishes what it committed, and every node delivers what it hears to
// the live connections it holds. A bus may route by interest (see Interest):
// then a node hears the high-volume events (Routed) only for the users and
// conversations of the connections it holds.
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
	// An "added" event's Mod, when not 0, is the conversation change that
	// added them (its system message): their connections catch up from
	// there.
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
	// Mod is the conversation change counter for sequenced events (and
	// the joining change of a Member "added" event), else 0.
	Mod int64 `json:"m,omitempty"`
	// Payload is the client frame, JSON.
	Payload []byte `json:"p,omitempty"`
	// Origin is the publishing node's ID.
	Origin string `json:"o,omitempty"`
}

// Publisher sends events to every node, this one included (for a bus that
// routes by interest, routed events to every node that wants them).
//
// Publish must not block on slow receivers. It returns an error only when the
// event could not be handed to the bus at all; callers log it and carry on,
// since the store already holds the truth.
type Publisher interface {
	Publish(ctx context.Context, e *Event) error
}

// Subscriber delivers every published event to fn (for a bus that routes
// by interest: every event this node wants, see Interest). fn may be called from
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

// Routed reports whether events of kind are routed by interest: Message,
// Read and Typing, the kinds whose volume grows with the traffic. A bus that
// routes (package bus/nats) delivers such an event only to the nodes that
// want its audience (see Interest); every other kind (membership,
// conversation settings, sessions, presence, approvals, ...) reaches every
// node, whose caches and trackers need them all.
func Routed(kind string) bool {
	return kind == Message || kind == Read || kind == Typing
}

// Topic is an audience a node can want to hear: the events addressed to
// one user (User set), or to one conversation (Conversation set). Exactly
// one of the two is set.
type Topic struct {
	User         tack.ID
	Conversation tack.ID
}

// UserTopic is the audience of the events whose Users hold id.
func UserTopic(id tack.ID) Topic { return Topic{User: id} }

// ConversationTopic is the audience of the events addressed to conversation
// id by ConversationID alone (no Users).
func ConversationTopic(id tack.ID) Topic { return Topic{Conversation: id} }

// Interest is implemented by a bus that routes by interest. A node holds a
// topic while it holds a connection that needs it (the hub: a user's first
// connection on the node to its last; a conversation's first subscribed
// connection to its last), and the bus delivers it a routed event (see
// Routed) only when it holds a topic of the event's audience: one of the
// event's Users, else its ConversationID. An event addressed neither way
// reaches every node.
//
// Holds are counted: each Want must be matched by one Drop, and the
// interest in a topic lasts from its first Want to its last Drop. Want and
// Drop never block on the network and may be called with the caller's locks
// held; Sync waits for the network. All three are safe for concurrent use.
type Interest interface {
	// Want adds one hold on each topic. A topic's first hold starts the
	// interest, which takes effect once the bus's server has it: call Sync
	// to wait for that. On a closed bus Want counts the holds and does
	// nothing else.
	Want(topics ...Topic)
	// Drop removes one hold on each topic; the last hold's Drop ends the
	// interest (events to the topic stop arriving soon after). Dropping a
	// topic not held does nothing.
	Drop(topics ...Topic)
	// Sync returns nil once every interest started before the call is in
	// effect: an event published after Sync returns, to a topic held
	// then, is delivered to this node (as reliably as the bus delivers
	// anything). It returns an error when ctx ends first, the bus is
	// disconnected or closed; the interests stay registered then, and take
	// effect when the connection comes back.
	Sync(ctx context.Context) error
}

package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// Notice is a message another service posts (an approvals bot telling
// someone a request waits for them, an automatic reply): a system
// message with text, from From, in From's direct chat with To (made when
// there is none yet), or in ConversationID when it is set.
type Notice struct {
	From           tack.ID
	To             tack.ID
	ConversationID tack.ID
	// ClientID makes the notice once: posting it again returns the first.
	ClientID string
	// Action names the kind of notice (System.Action), e.g. "approval",
	// "auto_reply"; ActorID is who it speaks for.
	Action  string
	ActorID tack.ID
	Text    string
}

// PostNotice posts n. It checks no permission and no reachability: it is
// for services of the same process, which decide who is told what. Like
// other system messages, a notice is not pushed by the push service. It
// returns the message; dup is true when it was posted before.
func (s *Service) PostNotice(ctx context.Context, n Notice) (m Message, dup bool, err error) {
	if err := validClientID(n.ClientID); err != nil || n.ClientID == "" {
		return Message{}, false, tack.Invalid("client_id", "a notice needs a client ID of at most %d characters", MaxClientID)
	}
	if err := validText(n.Text); err != nil {
		return Message{}, false, err
	}
	conv := n.ConversationID
	var evs []*bus.Event
	if conv == "" {
		if n.From == n.To || !n.From.Valid() || !n.To.Valid() {
			return Message{}, false, tack.Invalid("to", "a notice goes to someone else")
		}
		id, err := s.store.DirectBetween(ctx, n.From, n.To)
		switch {
		case err == nil:
			conv = id
		case errors.Is(err, tack.ErrNotFound):
			now := s.clock.Now()
			c := Conversation{ID: tack.NewID(), Kind: Direct, CreatedAt: now}
			ms := []Membership{{ConversationID: c.ID, UserID: n.From, Role: Member, JoinedAt: now},
				{ConversationID: c.ID, UserID: n.To, Role: Member, JoinedAt: now}}
			first := NewMessage{ConversationID: c.ID, SenderID: n.From, Kind: SystemMessage, CreatedAt: now,
				System: &System{Action: "created", ActorID: n.From, Users: []tack.ID{n.To}}}
			msg, err := s.store.CreateConversation(ctx, c, ms, first)
			if tack.ErrorCode(err) == tack.EConflict {
				if conv, err = s.store.DirectBetween(ctx, n.From, n.To); err != nil {
					return Message{}, false, fmt.Errorf("notice: direct chat: %w", err)
				}
				break
			}
			if err != nil {
				return Message{}, false, fmt.Errorf("notice: create direct chat: %w", err)
			}
			conv = c.ID
			evs = append(evs, memberEvent(c.ID, n.From, "added", msg.Mod), memberEvent(c.ID, n.To, "added", msg.Mod), s.messageEvent(msg))
		default:
			return Message{}, false, fmt.Errorf("notice: direct chat: %w", err)
		}
	}
	res, err := s.store.Append(ctx, []NewMessage{{ConversationID: conv, ClientID: n.ClientID, SenderID: n.From, Kind: SystemMessage,
		Text: n.Text, System: &System{Action: n.Action, ActorID: n.ActorID}, CreatedAt: s.clock.Now()}})
	if err != nil {
		return Message{}, false, fmt.Errorf("notice: %w", err)
	}
	if !res[0].Duplicate {
		evs = append(evs, s.messageEvent(res[0].Message))
	}
	s.publishNow(ctx, evs)
	return res[0].Message, res[0].Duplicate, nil
}

// DirectPeer returns the other member of a direct conversation, or ""
// if convID is not a direct conversation or sender is not in it.
func (s *Service) DirectPeer(ctx context.Context, convID, sender tack.ID) (tack.ID, error) {
	c, err := s.store.Conversation(ctx, convID)
	if errors.Is(err, tack.ErrNotFound) || err == nil && c.Kind != Direct {
		return "", nil
	} else if err != nil {
		return "", err
	}
	ms, err := s.store.Memberships(ctx, convID)
	if err != nil {
		return "", err
	}
	peer, in := tack.ID(""), false
	for _, m := range ms {
		if m.UserID == sender {
			in = true
		} else {
			peer = m.UserID
		}
	}
	if !in {
		return "", nil
	}
	return peer, nil
}

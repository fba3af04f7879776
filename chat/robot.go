package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tackhq/tack"
)

// RobotPost is a message a robot or an app posts into a group.
type RobotPost struct {
	// ClientID makes the post idempotent; "" posts a new message.
	ClientID string
	// Name is the robot's name, shown with a robot badge.
	Name string
	Text string
	// Card is the structured part (link, action card, feed card, markdown
	// title), JSON.
	Card       json.RawMessage
	Mentions   []tack.ID
	MentionAll bool
}

// PostRobot posts p into the group convID from the bot user from, through
// the group committer, and returns the message once stored. It checks no
// permission (the platform service did) and from need not be a member;
// mentions of people outside the group are dropped. It is
// tack.ErrNotFound when convID is not a group.
func (s *Service) PostRobot(ctx context.Context, convID, from tack.ID, p RobotPost) (Message, error) {
	if err := validText(p.Text); err != nil {
		return Message{}, err
	}
	if p.ClientID == "" {
		p.ClientID = "robot-" + string(tack.NewID())
	} else if err := validClientID(p.ClientID); err != nil {
		return Message{}, err
	}
	c, err := s.store.Conversation(ctx, convID)
	if errors.Is(err, tack.ErrNotFound) || err == nil && c.Kind != Group {
		return Message{}, errNoConversation
	} else if err != nil {
		return Message{}, fmt.Errorf("robot post: %w", err)
	}
	mentions, err := uniqueIDs("mentions", p.Mentions, MaxMentions)
	if err != nil {
		return Message{}, err
	}
	if len(mentions) > 0 {
		if mentions, err = s.store.MembersAmong(ctx, convID, mentions); err != nil {
			return Message{}, err
		}
	}
	req := &sendReq{ctx: ctx, count: c.MemberCount + 1, kind: c.Kind, done: make(chan sendResult, 1), msg: NewMessage{
		ConversationID: convID, ClientID: p.ClientID, SenderID: from, Kind: RobotMessage, Text: p.Text,
		Mentions: mentions, MentionAll: p.MentionAll, CreatedAt: s.clock.Now(),
		System: &System{Action: "robot", ActorID: from, Title: p.Name, Card: p.Card}}}
	select {
	case s.sendsOf(convID) <- req:
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
	r := <-req.done
	return r.a.Message, r.err
}

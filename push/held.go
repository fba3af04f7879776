package push

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/deadline"
)

// Pushes held in quiet hours. When Config.Quiet holds back a person's push
// of a message (a direct message or a mention), and Config.Deadlines and
// Config.QuietEnd are set, the push waits in the deadline queue under the
// key (person, conversation) until their quiet hours end: one job per
// person and conversation, holding the newest message (a later one
// replaces it, as a push topic would collapse them). The job holds
// identifiers only. When it comes due, on one node, the push is sent if it
// still makes sense: the message is still there (not recalled or burned),
// the person is still a member, has not muted the conversation, has not
// read that far meanwhile, and is not in the app right now. If they are
// quiet again (their hours changed), it waits again.

// HeldJob is the deadline kind of a held push; its key is "user/conversation".
const HeldJob = "push.held"

// Deadlines schedules work for later (deadline.Runner implements it).
type Deadlines interface {
	Schedule(ctx context.Context, j deadline.Job, earlier bool) error
}

// held is a held push's job data.
type held struct {
	User tack.ID `json:"u"`
	Conv tack.ID `json:"c"`
	Seq  int64   `json:"s"`
	Kind string  `json:"k"`
	From tack.ID `json:"f"`
}

// holdable reports whether n is a message's push that can wait for later.
func (s *Service) holdable(n *Notification) bool {
	return s.cfg.Deadlines != nil && s.cfg.QuietEnd != nil && n.ConversationID != "" && n.Seq > 0 &&
		(n.Kind == KindMessage || n.Kind == KindMention)
}

// hold puts n's push to user in the deadline queue until their quiet hours
// end.
func (s *Service) hold(ctx context.Context, user tack.ID, n *Notification) {
	until, err := s.cfg.QuietEnd(ctx, user)
	if err != nil {
		s.log.Warn("push: quiet end", "err", err)
		return
	}
	data, _ := json.Marshal(held{User: user, Conv: n.ConversationID, Seq: n.Seq, Kind: n.Kind, From: n.From})
	j := deadline.Job{Kind: HeldJob, Key: string(user) + "/" + string(n.ConversationID), Due: until, Data: data}
	if err := s.cfg.Deadlines.Schedule(ctx, j, true); err != nil {
		s.log.Warn("push: hold", "err", err)
	}
}

// HandleHeld is the deadline handler of HeldJob: it sends a held push now
// that its person's quiet hours are over (see above).
func (s *Service) HandleHeld(ctx context.Context, j deadline.Job) error {
	var h held
	if err := json.Unmarshal(j.Data, &h); err != nil || !h.User.Valid() || !h.Conv.Valid() {
		return deadline.Permanent(fmt.Errorf("held push data: %v", err))
	}
	n := &Notification{Kind: h.Kind, Users: []tack.ID{h.User}, From: h.From, ConversationID: h.Conv, Seq: h.Seq,
		URL: "/c/" + string(h.Conv)}
	if s.cfg.Quiet != nil && s.cfg.Quiet(ctx, h.User, n) {
		// Quiet again (their hours changed): wait for the new end.
		until, err := s.cfg.QuietEnd(ctx, h.User)
		if err != nil {
			return err
		}
		return s.cfg.Deadlines.Schedule(ctx, deadline.Job{Kind: HeldJob, Key: j.Key, Due: until, Data: j.Data}, false)
	}
	mb, err := s.chats.Membership(ctx, h.Conv, h.User)
	if errors.Is(err, tack.ErrNotFound) {
		return nil // left
	} else if err != nil {
		return err
	}
	if mb.Muted || mb.ReadSeq >= h.Seq {
		return nil // muted since, or read it in the app meanwhile
	}
	m, err := s.chats.Message(ctx, h.Conv, h.Seq)
	if errors.Is(err, tack.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if m.Recalled || m.Burned {
		return nil
	}
	info, err := s.conversation(ctx, h.Conv)
	if err != nil {
		return err
	}
	if info.kind == chat.Secret {
		n.NoPreview = true
	} else {
		n.Text = pushText(m)
		if n.Kind == KindMention {
			c, err := s.chats.Conversation(ctx, h.Conv)
			if err != nil {
				return err
			}
			n.Context = c.Title
		}
	}
	return s.fan(ctx, n, h.Conv)
}

package chat

import (
	"context"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// ReceiptView is what one viewer may see of others' read receipts in one
// conversation (an organisation's read-receipt policy, package ding).
type ReceiptView struct {
	// Show: receipts at all (counts, or names too).
	Show bool
	// Names: who read, not only how many.
	Names bool
	// Hidden, if set, says whose reads are never shown to the viewer as
	// reads (they count as unread).
	Hidden func(reader tack.ID) bool
}

// ReceiptPolicy decides ReceiptViews (Config.Receipts).
type ReceiptPolicy interface {
	ReceiptView(ctx context.Context, viewer tack.ID, c Conversation) (ReceiptView, error)
}

var allReceipts = ReceiptView{Show: true, Names: true}

func (v ReceiptView) hides(reader tack.ID) bool { return v.Hidden != nil && v.Hidden(reader) }

// receiptView returns viewer's view of receipts in c (everything without a
// policy; nothing if the policy fails).
func (s *Service) receiptView(ctx context.Context, viewer tack.ID, c Conversation) ReceiptView {
	if s.cfg.Receipts == nil {
		return allReceipts
	}
	v, err := s.cfg.Receipts.ReceiptView(ctx, viewer, c)
	if err != nil {
		s.log.Warn("receipt policy", "err", err)
		return ReceiptView{}
	}
	return v
}

// Receipts is the answer about one message: who read it and who not (when
// the viewer may see names), and how many.
type Receipts struct {
	Read        []tack.ID `json:"read"`
	Unread      []tack.ID `json:"unread"`
	ReadCount   int       `json:"read_count"`
	UnreadCount int       `json:"unread_count"`
	// CountsOnly: names are withheld (a large group).
	CountsOnly bool `json:"counts_only"`
}

// ReceiptsOf is Receipts under the read-receipt policy: with receipts off
// for the viewer (the organisation's choice, or the viewer hides their own)
// it fails with EForbidden; in large groups it gives counts only; those who
// hide their receipts count as unread.
func (s *Service) ReceiptsOf(ctx context.Context, convID tack.ID, seq int64) (Receipts, error) {
	read, unread, err := s.Receipts(ctx, convID, seq)
	if err != nil {
		return Receipts{}, err
	}
	c, err := s.store.Conversation(ctx, convID)
	if err != nil {
		return Receipts{}, err
	}
	v := s.receiptView(ctx, tack.UserID(ctx), c)
	if !v.Show {
		return Receipts{}, tack.Errorf(tack.EForbidden, "read receipts are off for you here (your organisation's policy, or you hide your own)")
	}
	out := Receipts{Read: []tack.ID{}, Unread: unread}
	for _, u := range read {
		if v.hides(u) {
			out.Unread = append(out.Unread, u)
		} else {
			out.Read = append(out.Read, u)
		}
	}
	out.ReadCount, out.UnreadCount = len(out.Read), len(out.Unread)
	if !v.Names {
		out.Read, out.Unread, out.CountsOnly = []tack.ID{}, []tack.ID{}, true
	}
	return out, nil
}

// policyUnread applies the viewer's receipt view to the unread counts that
// annotate put on their own messages.
func (s *Service) policyUnread(ctx context.Context, viewer tack.ID, ms []Message) {
	if s.cfg.Receipts == nil || len(ms) == 0 {
		return
	}
	c, err := s.store.Conversation(ctx, ms[0].ConversationID)
	if err != nil {
		return
	}
	v := s.receiptView(ctx, viewer, c)
	if !v.Show {
		for i := range ms {
			ms[i].Unread = nil
		}
		return
	}
	if v.Hidden == nil || !v.Names {
		return // nobody hides, or a large group (counts, never a member scan)
	}
	// Readers who hide theirs count as unread: every member but the viewer
	// whose position is at or past the message and who hides.
	all, err := s.store.Behind(ctx, c.ID, 1<<62)
	if err != nil {
		return
	}
	for i := range ms {
		m := &ms[i]
		if m.Unread == nil {
			continue
		}
		n := *m.Unread
		for _, p := range all {
			if p.UserID != viewer && p.ReadSeq >= m.Seq && p.JoinedSeq <= m.Seq && v.hides(p.UserID) {
				n++
			}
		}
		m.Unread = &n
	}
}

// policyReads narrows read events to those who may see them, and returns
// them with the copies it adds: a sender hears that someone read their
// message by name only if their view shows that reader by name; a sender
// whose view shows counts only (a group above the organisation's names
// bound) hears it without who (a copy of the event whose frame has no
// user_id), so that the unread counts on their messages move as they would
// with names; a reader whose reads the view hides is not heard of at all.
// The reader's own devices always hear. evs are the events of moves, one
// each, in order (readEvents).
func (s *Service) policyReads(ctx context.Context, evs []*bus.Event, moves []readMove) []*bus.Event {
	if s.cfg.Receipts == nil {
		return evs
	}
	var anon []*bus.Event
	convs := map[tack.ID]Conversation{}
	// A paired chat's members, from the send cache when it knows both (its
	// sender just sent): a read event per send in a busy direct chat made
	// two store reads each.
	members := map[tack.ID][]tack.ID{}
	now := time.Now()
	for i, e := range evs {
		c, ok := convs[e.ConversationID]
		if !ok {
			if cc, ids, hit := s.cache.known(e.ConversationID, now); hit {
				c = cc
				members[c.ID] = ids
			} else {
				var err error
				if c, err = s.store.Conversation(ctx, e.ConversationID); err != nil {
					e.Users = []tack.ID{e.Subject}
					continue
				}
			}
			convs[e.ConversationID] = c
		}
		users := e.Users
		if users == nil { // a paired chat: both members
			users = []tack.ID{e.Subject}
			ids, ok := members[c.ID]
			if !ok {
				if ms, err := s.store.Memberships(ctx, c.ID); err == nil {
					for _, m := range ms {
						ids = append(ids, m.UserID)
					}
				}
				members[c.ID] = ids
			}
			for _, id := range ids {
				if id != e.Subject {
					users = append(users, id)
				}
			}
		}
		keep := []tack.ID{users[0]}
		var counts []tack.ID
		for _, u := range users[1:] {
			v := s.receiptView(ctx, u, c)
			switch {
			case !v.Show || v.hides(e.Subject):
			case v.Names:
				keep = append(keep, u)
			default:
				counts = append(counts, u)
			}
		}
		e.Users = keep
		if len(counts) > 0 {
			m := moves[i]
			anon = append(anon, &bus.Event{Kind: bus.Read, ConversationID: e.ConversationID, Users: counts, Payload: readFrame(m.conv, "", m.prev, m.now)})
		}
	}
	return append(evs, anon...)
}

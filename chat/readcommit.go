package chat

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// Read positions are group-committed like sends: when many members read at
// once (everyone in a 10,000-member group opening the same announcement),
// their moves share transactions instead of queueing for the one writer
// one by one, and the lookups of whom to tell are shared per conversation.

type readReq struct {
	move ReadMove
	done chan readResult
}

type readResult struct {
	moved ReadMoved
	err   error
}

// maxReadBatch caps the moves one transaction applies.
const maxReadBatch = 1024

// MarkRead moves the caller's read position up to seq (never down, never
// past the last message) and tells who needs to know: the caller's devices
// and the senders of the messages now read. It returns the new position.
func (s *Service) MarkRead(ctx context.Context, convID tack.ID, seq int64) (int64, error) {
	if seq < 0 {
		return 0, tack.Invalid("seq", "seq must not be negative")
	}
	uid, err := caller(ctx)
	if err != nil {
		return 0, err
	}
	if !convID.Valid() {
		return 0, errNoConversation
	}
	// No membership read first: the move finds the membership or reports
	// that there is none.
	req := &readReq{move: ReadMove{ConversationID: convID, UserID: uid, Seq: seq}, done: make(chan readResult, 1)}
	select {
	case s.reads <- req:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	r := <-req.done
	if r.err != nil {
		return 0, fmt.Errorf("mark read: %w", r.err)
	}
	if !r.moved.Found {
		return 0, errNoConversation
	}
	return r.moved.Now, nil
}

func (s *Service) readLoop() {
	defer close(s.readsDone)
	batch := make([]*readReq, 0, maxReadBatch)
	for first := range s.reads {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < maxReadBatch {
			select {
			case r, ok := <-s.reads:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		// Lock rows in one order on every node (no deadlocks on PostgreSQL).
		order := slices.Clone(batch)
		slices.SortStableFunc(order, func(a, b *readReq) int {
			return cmp.Or(cmp.Compare(a.move.ConversationID, b.move.ConversationID), cmp.Compare(a.move.UserID, b.move.UserID))
		})
		moves := make([]ReadMove, len(order))
		for i, r := range order {
			moves[i] = r.move
		}
		res, err := s.store.SetReadSeqs(context.Background(), moves)
		if err != nil {
			s.log.Error("read positions", "count", len(order), "err", err)
			for _, r := range order {
				r.done <- readResult{err: err}
			}
			continue
		}
		for i, r := range order {
			r.done <- readResult{moved: res[i]}
		}
		s.publishReads(order, res)
	}
}

// readMove is a read position that moved and is to be announced.
type readMove struct {
	conv, user tack.ID
	prev, now  int64
	// direct: the conversation is a direct chat, whose only other sender is
	// the peer, so the event goes to the conversation with no lookup.
	direct bool
}

// publishReads announces the moves of one batch of MarkRead calls.
func (s *Service) publishReads(order []*readReq, res []ReadMoved) {
	moves := make([]readMove, 0, len(order))
	for i, r := range order {
		if m := res[i]; m.Found && m.Now > m.Prev {
			moves = append(moves, readMove{conv: r.move.ConversationID, user: r.move.UserID, prev: m.Prev, now: m.Now})
		}
	}
	s.publishNow(context.Background(), s.readEvents(moves))
}

// readEvents addresses each move to the reader's devices and the senders of
// the messages it read (in (prev, now]). Senders are looked up once per
// conversation over the whole range the moves cover.
func (s *Service) readEvents(moves []readMove) []*bus.Event {
	type span struct{ lo, hi int64 }
	spans := map[tack.ID]*span{}
	for _, m := range moves {
		if m.direct {
			continue
		}
		sp := spans[m.conv]
		if sp == nil {
			spans[m.conv] = &span{m.prev, m.now}
		} else {
			sp.lo, sp.hi = min(sp.lo, m.prev), max(sp.hi, m.now)
		}
	}
	ctx := context.Background()
	// seq -> sender of the text messages in each conversation's span.
	senders := map[tack.ID]map[int64]tack.ID{}
	for conv, sp := range spans {
		if sp.hi-sp.lo > 500 {
			continue // far behind: look up per reader below
		}
		ms, err := s.store.Messages(ctx, conv, sp.lo, 0, int(sp.hi-sp.lo))
		if err != nil {
			s.log.Warn("senders of read messages", "err", err)
			continue
		}
		bySeq := make(map[int64]tack.ID, len(ms))
		for _, m := range ms {
			if IsUserMessage(m.Kind) {
				bySeq[m.Seq] = m.SenderID
			}
		}
		senders[conv] = bySeq
	}
	evs := make([]*bus.Event, 0, len(moves))
	for _, m := range moves {
		e := &bus.Event{Kind: bus.Read, ConversationID: m.conv, Subject: m.user, Payload: readFrame(m.conv, m.user, m.prev, m.now)}
		evs = append(evs, e)
		if m.direct {
			continue // to both members
		}
		e.Users = []tack.ID{m.user}
		if bySeq, ok := senders[m.conv]; ok {
			for seq := m.prev + 1; seq <= m.now; seq++ {
				if u, ok := bySeq[seq]; ok && !slices.Contains(e.Users, u) {
					e.Users = append(e.Users, u)
				}
			}
		} else if us, err := s.store.SendersBetween(ctx, m.conv, m.prev, m.now); err == nil {
			for _, u := range us {
				if !slices.Contains(e.Users, u) {
					e.Users = append(e.Users, u)
				}
			}
		}
	}
	s.dropFormerMembers(ctx, evs)
	return s.policyReads(ctx, evs, moves)
}

// dropFormerMembers takes out of read events addressed by user the senders
// who are no longer members: someone removed from a group hears nothing
// more of it, not even who read their old messages. (The reader, first
// in Users, is a member: the move found the membership.)
func (s *Service) dropFormerMembers(ctx context.Context, evs []*bus.Event) {
	senders := map[tack.ID][]tack.ID{}
	for _, e := range evs {
		for _, u := range e.Users[min(1, len(e.Users)):] {
			if !slices.Contains(senders[e.ConversationID], u) {
				senders[e.ConversationID] = append(senders[e.ConversationID], u)
			}
		}
	}
	if len(senders) == 0 {
		return
	}
	members := make(map[tack.ID]map[tack.ID]bool, len(senders))
	for conv, us := range senders {
		in, err := s.store.MembersAmong(ctx, conv, us)
		if err != nil {
			s.log.Warn("members among senders", "err", err) // tell none of them
		}
		set := make(map[tack.ID]bool, len(in))
		for _, u := range in {
			set[u] = true
		}
		members[conv] = set
	}
	for _, e := range evs {
		if len(e.Users) > 1 {
			e.Users = append(e.Users[:1], slices.DeleteFunc(e.Users[1:], func(u tack.ID) bool { return !members[e.ConversationID][u] })...)
		}
	}
}

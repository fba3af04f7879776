package chat

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"testing"

	"github.com/tackhq/tack"
)

// spanStore serves the reads readEvents makes; any other Store method is
// not expected (the embedded nil Store would panic).
type spanStore struct {
	Store
	msgs []Message // seq 1..n
}

func (s spanStore) Messages(_ context.Context, _ tack.ID, after, _ int64, limit int) ([]Message, error) {
	var out []Message
	for _, m := range s.msgs {
		if m.Seq > after && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s spanStore) MembersAmong(_ context.Context, _ tack.ID, ids []tack.ID) ([]tack.ID, error) {
	return ids, nil
}

// Two readers of one conversation in the same batch share one read of
// the span, and each is told only of the senders of what it newly read.
func TestReadEventsOfOneBatch(t *testing.T) {
	conv := tack.NewID()
	sender := func(i int) tack.ID { return tack.ID(fmt.Sprint("sender", i)) }
	st := spanStore{}
	for i := 1; i <= 6; i++ {
		st.msgs = append(st.msgs, Message{ConversationID: conv, Seq: int64(i), Kind: TextMessage, SenderID: sender(i)})
	}
	s := &Service{store: st, log: slog.Default()}
	a, b := tack.ID("reader-a"), tack.ID("reader-b")
	evs := s.readEvents([]readMove{{conv: conv, user: a, prev: 1, now: 3}, {conv: conv, user: b, prev: 4, now: 6}})
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	want := map[tack.ID][]tack.ID{a: {a, sender(2), sender(3)}, b: {b, sender(5), sender(6)}}
	for _, e := range evs {
		if !slices.Equal(e.Users, want[e.Subject]) {
			t.Fatalf("%s is told %v, want %v", e.Subject, e.Users, want[e.Subject])
		}
	}
}

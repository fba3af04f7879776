package hub_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
)

// interest is a bus.Interest that counts holds and whose Sync waits for
// the test: while gate is set, Sync blocks until it is closed.
type interest struct {
	mu    sync.Mutex
	holds map[bus.Topic]int
	syncs int
	gate  chan struct{}
	// synced receives once per Sync called.
	synced chan struct{}
}

func newInterest() *interest {
	return &interest{holds: map[bus.Topic]int{}, synced: make(chan struct{}, 100)}
}

func (in *interest) Want(ts ...bus.Topic) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, t := range ts {
		in.holds[t]++
	}
}

func (in *interest) Drop(ts ...bus.Topic) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, t := range ts {
		if in.holds[t]--; in.holds[t] <= 0 {
			delete(in.holds, t)
		}
	}
}

func (in *interest) Sync(ctx context.Context) error {
	in.mu.Lock()
	in.syncs++
	gate := in.gate
	in.mu.Unlock()
	in.synced <- struct{}{}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (in *interest) held() map[bus.Topic]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[bus.Topic]int{}
	for t, n := range in.holds {
		out[t] = n
	}
	return out
}

// TestInterestFollowsConnections: the hub holds a user while it has a
// connection of theirs and a conversation while a connection is subscribed
// to it, once each however many connections, and Attach syncs.
func TestInterestFollowsConnections(t *testing.T) {
	w := newSrc()
	in := newInterest()
	a, b := tack.NewID(), tack.NewID()
	home, g := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: home, Kind: chat.Group})
	w.join(b, chat.Conversation{ID: home, Kind: chat.Group})
	h := hub.New(w, hub.Config{Interest: in})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var conns []*hub.Conn
	for _, u := range []tack.ID{a, a, b} {
		c, err := h.Attach(ctx, tack.Caller{UserID: u}, newLines())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	want := map[bus.Topic]int{bus.UserTopic(a): 1, bus.UserTopic(b): 1, bus.ConversationTopic(home): 1}
	if got := in.held(); !equal(got, want) {
		t.Fatalf("held %v, want %v", got, want)
	}
	in.mu.Lock()
	syncs := in.syncs
	in.mu.Unlock()
	if syncs != 3 {
		t.Errorf("%d Syncs for 3 attaches", syncs)
	}
	h.Deliver(member(g, b, "added"))
	want[bus.ConversationTopic(g)] = 1
	if got := in.held(); !equal(got, want) {
		t.Fatalf("after b joined g: held %v, want %v", got, want)
	}
	h.Deliver(member(g, b, "removed"))
	delete(want, bus.ConversationTopic(g))
	if got := in.held(); !equal(got, want) {
		t.Fatalf("after b left g: held %v, want %v", got, want)
	}
	for i, c := range conns {
		c.Close(hub.CloseGoingAway, "bye")
		<-c.Done()
		if i == 0 {
			if got := in.held(); !equal(got, want) {
				t.Fatalf("after one of a's two connections ended: held %v, want %v", got, want)
			}
		}
	}
	if got := in.held(); len(got) != 0 {
		t.Fatalf("every connection ended, still held: %v", got)
	}
}

func equal(a, b map[bus.Topic]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestJoinHealsOnceInterestConfirmed: a connection added to a conversation
// this node held no interest in misses the events published before the
// bus had the interest (here: all of them until Sync returns); once Sync
// returns, it reads them from the store, from the change that added it,
// in order and once, and then goes on live.
func TestJoinHealsOnceInterestConfirmed(t *testing.T) {
	w := newSrc()
	in := newInterest()
	a := tack.NewID()
	home, g := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: home, Kind: chat.Group})
	h := hub.New(w, hub.Config{Interest: in})
	_, la := startConn(t, h, tack.Caller{UserID: a}, nil)
	<-in.synced // Attach's
	w.commit(g, "before a joined")
	in.mu.Lock()
	in.gate = make(chan struct{})
	in.mu.Unlock()
	join := w.commit(g, "a was added") // the change that added a
	ev := member(g, a, "added")
	ev.Mod = join.Mod
	h.Deliver(ev)
	recv(t, in.synced, "the join's Sync")
	// Published before the bus had the interest: never reaches this node.
	w.commit(g, "lost 1")
	w.commit(g, "lost 2")
	h.Deliver(w.commit(home, "marker 1"))
	got := la.waitFor(t, "message:marker 1")
	if s := strings.Join(got, ","); strings.Contains(s, "lost") || strings.Contains(s, "added") {
		t.Fatalf("before Sync returned: %v", got)
	}
	close(in.gate) // the bus has the interest
	live := w.commit(g, "live")
	la.waitFor(t, "message:lost 2")
	h.Deliver(live)
	h.Deliver(w.commit(home, "marker 2"))
	got = la.waitFor(t, "message:marker 2")
	var msgs []string
	for _, s := range got {
		if strings.HasPrefix(s, "message:") {
			msgs = append(msgs, strings.TrimPrefix(s, "message:"))
		}
	}
	if s := strings.Join(msgs, ","); s != "marker 1,a was added,lost 1,lost 2,live,marker 2" {
		t.Fatalf("delivered %s, want the join, the lost ones, live once, in order", s)
	}
}

// TestLateConversationHealed: a conversation that appears between Attach's
// read of the mods and the catch-up is subscribed during the catch-up and
// healed from the store once the bus confirms it.
func TestLateConversationHealed(t *testing.T) {
	w := newSrc()
	in := newInterest()
	a := tack.NewID()
	home, late := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: home, Kind: chat.Group})
	h := hub.New(w, hub.Config{Interest: in})
	l := newLines()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := h.Attach(ctx, tack.Caller{UserID: a}, l)
	if err != nil {
		t.Fatal(err)
	}
	<-in.synced
	w.commit(late, "first")
	w.join(a, chat.Conversation{ID: late, Kind: chat.Group})
	in.mu.Lock()
	in.gate = make(chan struct{})
	in.mu.Unlock()
	h.Start(ctx, c, map[tack.ID]int64{home: 0, late: 0})
	recv(t, in.synced, "the catch-up's Sync")
	w.commit(late, "missed while unconfirmed")
	close(in.gate)
	got := l.waitFor(t, "message:missed while unconfirmed")
	if held := in.held(); held[bus.ConversationTopic(late)] != 1 {
		t.Errorf("late conversation not held: %v", held)
	}
	if s := strings.Join(got, ","); !strings.Contains(s, "message:first,") {
		t.Errorf("catch-up lacks the late conversation's history: %v", got)
	}
}

// failing is an interest whose Sync fails, as on a bus cut off from NATS.
type failing struct{ *interest }

func (failing) Sync(context.Context) error { return errors.New("bus away") }

// TestUnconfirmedInterestStillServes: when the bus cannot confirm the
// interest, the connection is served all the same (counted in Unsynced),
// and what the bus then does deliver reaches it.
func TestUnconfirmedInterestStillServes(t *testing.T) {
	w := newSrc()
	a, home := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: home, Kind: chat.Group})
	w.commit(home, "history")
	h := hub.New(w, hub.Config{Interest: failing{newInterest()}})
	_, l := startConn(t, h, tack.Caller{UserID: a}, map[tack.ID]int64{home: 0})
	h.Deliver(w.commit(home, "live"))
	got := strings.Join(l.waitFor(t, "message:live"), ",")
	if !strings.Contains(got, "message:history") {
		t.Errorf("catch-up lacks history: %s", got)
	}
	if h.Unsynced.Load() != 1 {
		t.Errorf("Unsynced = %d, want 1", h.Unsynced.Load())
	}
}

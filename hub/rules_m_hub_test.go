package hub_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
)

// gated is a Writer that records the "type" of every line and whether
// the write's context was still live; once armed, its next Write reports
// on entered and waits for release.
type gated struct {
	mu      sync.Mutex
	types   []string
	dead    int // writes whose context had already ended
	closed  int
	armed   bool
	entered chan struct{}
	release chan struct{}
	wrote   chan struct{}
}

func newGated() *gated {
	return &gated{entered: make(chan struct{}, 1), release: make(chan struct{}), wrote: make(chan struct{}, 1)}
}

func (g *gated) arm() {
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
}

func (g *gated) Write(ctx context.Context, frame []byte) error {
	g.mu.Lock()
	wait := g.armed
	g.armed = false
	g.mu.Unlock()
	if wait {
		g.entered <- struct{}{}
		<-g.release
	}
	g.mu.Lock()
	if ctx.Err() != nil {
		g.dead++
	}
	for _, line := range strings.Split(string(frame), "\n") {
		var e struct{ Type string }
		json.Unmarshal([]byte(line), &e)
		g.types = append(g.types, e.Type)
	}
	g.mu.Unlock()
	g.signal()
	return nil
}

func (g *gated) signal() {
	select {
	case g.wrote <- struct{}{}:
	default:
	}
}

func (g *gated) Close(code int, reason string) {
	g.mu.Lock()
	g.closed = code
	g.mu.Unlock()
	g.signal()
}

func (g *gated) snapshot() (string, int, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return strings.Join(g.types, ","), g.dead, g.closed
}

// waitUntil waits until ok holds of the writer's record.
func (g *gated) waitUntil(t *testing.T, what string, ok func(types string, closed int) bool) string {
	t.Helper()
	for {
		types, _, closed := g.snapshot()
		if ok(types, closed) {
			return types
		}
		select {
		case <-g.wrote:
		case <-t.Context().Done():
			t.Fatalf("waiting for %s: have %s", what, types)
		}
	}
}

func userEvent(user tack.ID, typ string) *bus.Event {
	return &bus.Event{Kind: bus.Conversation, Users: []tack.ID{user}, Payload: []byte(`{"type":"` + typ + `"}`)}
}

// A revocation closes the connection only after what was queued before it
// and the notice itself were written, every one of them.
func TestRevocationDeliversEverythingQueuedBefore(t *testing.T) {
	w := newSrc()
	a, s := tack.NewID(), tack.NewID()
	h := hub.New(w, hub.Config{})
	g := newGated()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := h.Attach(ctx, tack.Caller{UserID: a, SessionID: s}, g)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(ctx, c, nil)
	g.waitUntil(t, "synced", func(ty string, _ int) bool { return strings.HasSuffix(ty, "synced") })
	g.arm()
	h.Deliver(userEvent(a, "e1"))
	recv(t, g.entered, "the writer taking e1")
	for _, ty := range []string{"e2", "e3", "e4"} {
		h.Deliver(userEvent(a, ty))
	}
	h.Deliver(&bus.Event{Kind: bus.SessionRevoked, Subject: s, Users: []tack.ID{a}, Payload: []byte(`{"type":"session_revoked"}`)})
	close(g.release)
	recv(t, c.Done(), "the connection's end")
	types, _, closed := g.snapshot()
	if closed != hub.CloseRevoked {
		t.Fatalf("closed with %d", closed)
	}
	if !strings.HasSuffix(types, "synced,e1,e2,e3,e4,session_revoked") {
		t.Fatalf("written before the close: %s", types)
	}
}

// Every write gets a live context (with a deadline far enough away to
// write a frame), not one that has already ended.
func TestWritesGetALiveContext(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	h := hub.New(w, hub.Config{})
	g := newGated()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := h.Attach(ctx, tack.Caller{UserID: a}, g)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(ctx, c, nil)
	h.Deliver(userEvent(a, "live"))
	g.waitUntil(t, "live", func(ty string, _ int) bool { return strings.Contains(ty, "live") })
	if _, dead, _ := g.snapshot(); dead != 0 {
		t.Fatalf("%d writes got a context that had ended", dead)
	}
}

// The context given to Start, when it differs from Attach's, also ends the
// connection (with CloseGoingAway).
func TestStartContextEndsTheConnection(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	h := hub.New(w, hub.Config{})
	g := newGated()
	c, err := h.Attach(context.Background(), tack.Caller{UserID: a}, g)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.Start(ctx, c, nil)
	g.waitUntil(t, "synced", func(ty string, _ int) bool { return strings.HasSuffix(ty, "synced") })
	cancel()
	recv(t, c.Done(), "the connection's end")
	if _, _, closed := g.snapshot(); closed != hub.CloseGoingAway {
		t.Fatalf("closed with %d, want %d", closed, hub.CloseGoingAway)
	}
}

// QueueLimit events may wait for a busy writer; one more drops the client.
func TestQueueHoldsExactlyQueueLimit(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	h := hub.New(w, hub.Config{QueueLimit: 3})
	g := newGated()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := h.Attach(ctx, tack.Caller{UserID: a}, g)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(ctx, c, nil)
	g.waitUntil(t, "synced", func(ty string, _ int) bool { return strings.HasSuffix(ty, "synced") })
	g.arm()
	h.Deliver(userEvent(a, "busy"))
	recv(t, g.entered, "the writer taking busy")
	for _, ty := range []string{"q1", "q2", "q3"} {
		h.Deliver(userEvent(a, ty))
	}
	if n := h.Dropped.Load(); n != 0 {
		t.Fatalf("dropped with %d queued, QueueLimit 3", 3)
	}
	h.Deliver(userEvent(a, "q4"))
	if n := h.Dropped.Load(); n != 1 {
		t.Fatalf("not dropped with a fourth event queued (dropped %d)", n)
	}
	close(g.release)
	recv(t, c.Done(), "the connection's end")
	if _, _, closed := g.snapshot(); closed != hub.CloseResync {
		t.Fatalf("closed with %d, want %d", closed, hub.CloseResync)
	}
}

// A reply that was written frees its place: with ReplyLimit 1, replies
// sent one after the other, each once the last was written, all go
// through.
func TestWrittenRepliesFreeTheirPlace(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	h := hub.New(w, hub.Config{ReplyLimit: 1, ReplyWait: time.Second})
	c, l := startConn(t, h, tack.Caller{UserID: a}, nil)
	for i, ty := range []string{"r1", "r2", "r3"} {
		if !c.Reply([]byte(`{"type":"` + ty + `"}`)) {
			t.Fatalf("reply %d refused after the earlier ones were written", i+1)
		}
		l.waitFor(t, ty)
	}
}

// Presence goes offline only when the user's last connection ends, not
// when one of several does.
func TestOfflineOnlyWithTheLastConnection(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	var mu sync.Mutex
	var got []string
	h := hub.New(w, hub.Config{OnPresence: func(u tack.ID, online bool, peers []tack.ID) {
		mu.Lock()
		defer mu.Unlock()
		if online {
			got = append(got, "online")
		} else {
			got = append(got, "offline")
		}
	}})
	calls := func() string {
		mu.Lock()
		defer mu.Unlock()
		return strings.Join(got, ",")
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	l1 := newLines()
	c1, err := h.Attach(ctx1, tack.Caller{UserID: a}, l1)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(ctx1, c1, nil)
	l1.waitFor(t, "synced")
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	l2 := newLines()
	c2, err := h.Attach(ctx2, tack.Caller{UserID: a}, l2)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(ctx2, c2, nil)
	l2.waitFor(t, "synced")
	cancel1()
	recv(t, c1.Done(), "the first connection's end")
	if s := calls(); s != "online" {
		t.Fatalf("after one of two connections ended: %s", s)
	}
	cancel2()
	recv(t, c2.Done(), "the last connection's end")
	if s := calls(); s != "online,offline" {
		t.Fatalf("after the last connection ended: %s", s)
	}
}

// A Resume with cursor 0 (the client has nothing of a conversation)
// replays the conversation from its start.
func TestResumeFromZeroReplaysEverything(t *testing.T) {
	w := newSrc()
	a, conv := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: conv, Kind: chat.Group, Title: "g"})
	for _, s := range []string{"m1", "m2"} {
		w.commit(conv, s)
	}
	h := hub.New(w, hub.Config{})
	c, l := startConn(t, h, tack.Caller{UserID: a}, nil)
	h.Resume(c, map[tack.ID]int64{conv: 0})
	got := strings.Join(l.waitCount(t, "synced", 2), ",")
	if got != "hello,conversation:g,synced,message:m1,message:m2,synced" {
		t.Fatalf("resume from 0: %s", got)
	}
}

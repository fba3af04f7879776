package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/sqlite"
)

// heldBus keeps what chat publishes until the test hands it to the hub:
// the test decides what the bus "loses".
type heldBus struct {
	mu     sync.Mutex
	events []*bus.Event
	added  chan struct{}
}

func (b *heldBus) Publish(ctx context.Context, e *bus.Event) error {
	b.mu.Lock()
	b.events = append(b.events, e)
	b.mu.Unlock()
	select {
	case b.added <- struct{}{}:
	default:
	}
	return nil
}

// messages waits until n message events have been published and returns them.
func (b *heldBus) messages(t *testing.T, n int) []*bus.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		b.mu.Lock()
		var out []*bus.Event
		for _, e := range b.events {
			if e.Kind == bus.Message {
				out = append(out, e)
			}
		}
		b.mu.Unlock()
		if len(out) >= n {
			return out
		}
		select {
		case <-b.added:
		case <-deadline:
			t.Fatalf("%d message events published, want %d", len(out), n)
		}
	}
}

type everyone struct{}

func (everyone) Reachable(_ context.Context, _ tack.ID, ids []tack.ID) ([]tack.ID, error) {
	return ids, nil
}

// frames records every frame line a connection writes.
type frames struct {
	mu     sync.Mutex
	seqs   map[int64]int // message seq -> times delivered
	order  []int64
	synced bool // the catch-up is done
	closed int
	wrote  chan struct{}
}

func newFrames() *frames { return &frames{seqs: map[int64]int{}, wrote: make(chan struct{}, 1)} }

func (f *frames) Write(ctx context.Context, frame []byte) error {
	f.mu.Lock()
	for _, line := range strings.Split(string(frame), "\n") {
		var e struct {
			Type    string
			Message *chat.Message
		}
		json.Unmarshal([]byte(line), &e)
		if e.Type == "synced" {
			f.synced = true
		}
		if e.Type == "message" && e.Message.Kind == chat.TextMessage {
			f.seqs[e.Message.Seq]++
			f.order = append(f.order, e.Message.Seq)
		}
	}
	f.mu.Unlock()
	select {
	case f.wrote <- struct{}{}:
	default:
	}
	return nil
}

func (f *frames) Close(code int, reason string) {
	f.mu.Lock()
	f.closed = code
	f.mu.Unlock()
	select {
	case f.wrote <- struct{}{}:
	default:
	}
}

// wait waits until cond holds over the recorded frames.
func (f *frames) wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		f.mu.Lock()
		ok := cond()
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-f.wrote:
		case <-deadline:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// gapFixture is a real SQLite store and chat service, a hub reading from
// it, and a connection of user 1 in a direct chat with user 0.
type gapFixture struct {
	svc  *chat.Service
	bus  *heldBus
	hub  *hub.Hub
	conv tack.ID
	as0  context.Context
	rec  *frames
	conn *hub.Conn
}

func newGapFixture(t *testing.T, cfg hub.Config) *gapFixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var users []tack.ID
	for i := 0; i < 2; i++ {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d@x.y", i), Name: fmt.Sprint("user ", i), CreatedAt: time.Now()}
		if err := db.CreateUser(ctx, u, "x"); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	f := &gapFixture{bus: &heldBus{added: make(chan struct{}, 1)}, rec: newFrames()}
	f.svc = chat.NewService(db, f.bus, everyone{}, nil, chat.Config{SendLimit: &limit.Keyed{Rate: 1e6, Burst: 1e6}})
	t.Cleanup(f.svc.Close)
	f.as0 = tack.WithCaller(ctx, tack.Caller{UserID: users[0]})
	conv, _, err := f.svc.Create(f.as0, chat.Direct, []tack.ID{users[1]}, "")
	if err != nil {
		t.Fatal(err)
	}
	f.conv = conv.ID
	f.hub = hub.New(f.svc, cfg)
	cctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	f.conn, err = f.hub.Attach(cctx, tack.Caller{UserID: users[1]}, f.rec)
	if err != nil {
		t.Fatal(err)
	}
	f.hub.Start(cctx, f.conn, map[tack.ID]int64{})
	// Caught up before the test sends: a catch-up still reading while the
	// test sends would move the cursor past what the bus "loses".
	f.rec.wait(t, "synced", func() bool { return f.rec.synced })
	return f
}

// sendMany sends n messages from user 0, in one goroutine per batch of
// the committer, and returns when all are committed.
func (f *gapFixture) sendMany(t *testing.T, n int) {
	t.Helper()
	var ps []*chat.Pending
	for i := 0; i < n; i++ {
		ps = append(ps, f.svc.Queue(f.as0, f.conv, chat.Draft{ClientID: fmt.Sprint("c", i), Text: fmt.Sprint("message ", i)}))
	}
	for _, p := range ps {
		if _, _, err := p.Wait(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGapLargerThanOneRead: the bus loses 2,000 events of one conversation
// (four store reads' worth); the next event that arrives makes the
// connection read all of them, page by page, and nothing is skipped or
// sent twice.
func TestGapLargerThanOneRead(t *testing.T) {
	f := newGapFixture(t, hub.Config{})
	const lost = 2000
	f.sendMany(t, lost+1)
	evs := f.bus.messages(t, lost+1+1) // + the direct chat's "created"
	f.hub.Deliver(evs[len(evs)-1])     // only the last one arrives
	f.rec.wait(t, "every message", func() bool { return len(f.rec.seqs) >= lost+1 })
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	for seq, n := range f.rec.seqs {
		if n != 1 {
			t.Errorf("seq %d delivered %d times", seq, n)
		}
	}
	for i := 1; i < len(f.rec.order); i++ {
		if f.rec.order[i] <= f.rec.order[i-1] {
			t.Fatalf("seq %d delivered after %d", f.rec.order[i], f.rec.order[i-1])
		}
	}
	if len(f.rec.seqs) != lost+1 {
		t.Fatalf("delivered %d messages, want %d", len(f.rec.seqs), lost+1)
	}
}

// TestGapBeyondMaxHealResyncs: a gap larger than the hub heals closes the
// connection with 4000 so that the client's resume reads it, rather than
// skipping the rest.
func TestGapBeyondMaxHealResyncs(t *testing.T) {
	f := newGapFixture(t, hub.Config{MaxHeal: 1000})
	f.sendMany(t, 2001)
	evs := f.bus.messages(t, 2002)
	f.hub.Deliver(evs[len(evs)-1])
	select {
	case <-f.conn.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("connection not closed")
	}
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	if f.rec.closed != hub.CloseResync {
		t.Fatalf("closed with %d, want %d", f.rec.closed, hub.CloseResync)
	}
	if len(f.rec.seqs) > 1000 {
		t.Fatalf("delivered %d messages, want at most 1000 before the resync", len(f.rec.seqs))
	}
}

// TestRevokedBeforeStart: a connection attached but not started (its
// client has not said hello) is closed by its session's revocation, and a
// connection of a session revoked moments ago is refused.
func TestRevokedBeforeStart(t *testing.T) {
	st := &store{conv: tack.NewID()}
	h := hub.New(st, hub.Config{})
	rec := newRecorder()
	caller := tack.Caller{UserID: tack.NewID(), SessionID: tack.NewID()}
	c, err := h.Attach(context.Background(), caller, rec)
	if err != nil {
		t.Fatal(err)
	}
	h.Deliver(&bus.Event{Kind: bus.SessionRevoked, Subject: caller.SessionID, Users: []tack.ID{caller.UserID}, Payload: []byte(`{"type":"session_revoked"}`)})
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("revoked connection not closed")
	}
	if rec.closed != hub.CloseRevoked {
		t.Fatalf("closed with %d, want %d", rec.closed, hub.CloseRevoked)
	}
	if h.Streams(caller.UserID) != 0 {
		t.Fatalf("revoked connection still attached")
	}
	if _, err := h.Attach(context.Background(), caller, newRecorder()); tack.ErrorCode(err) != tack.EUnauthorized {
		t.Fatalf("attach of a revoked session: %v", err)
	}
}

// stuckWriter writes its first frame (the catch-up) and then blocks until
// released, as a client that stopped reading.
type stuckWriter struct {
	n       atomic.Int32
	first   chan struct{}
	release chan struct{}
	closed  atomic.Int32
}

func (w *stuckWriter) Write(ctx context.Context, frame []byte) error {
	if w.n.Add(1) == 1 {
		close(w.first)
		return nil
	}
	<-w.release
	return nil
}

func (w *stuckWriter) Close(code int, reason string) { w.closed.Store(int32(code)) }

// TestRepliesBounded: a client that sends frames without reading the
// answers has at most ReplyLimit of them queued, and is closed with 1008
// when they stay unread.
func TestRepliesBounded(t *testing.T) {
	st := &store{conv: tack.NewID()}
	h := hub.New(st, hub.Config{ReplyLimit: 8, ReplyWait: 50 * time.Millisecond})
	w := &stuckWriter{first: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, _ := h.Attach(ctx, tack.Caller{UserID: tack.NewID()}, w)
	go h.Serve(ctx, c, nil)
	select {
	case <-w.first:
	case <-time.After(5 * time.Second):
		t.Fatal("no catch-up")
	}
	n := 0
	for c.Reply([]byte(`{"type":"pong"}`)) {
		if n++; n > 1000 {
			t.Fatal("replies queue without bound")
		}
	}
	if n > 16 { // 8 waiting, and at most 8 more in the write that is stuck
		t.Fatalf("%d replies queued, want at most 16", n)
	}
	close(w.release)
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("connection not closed")
	}
	if w.closed.Load() != hub.ClosePolicy || h.Policy.Load() != 1 {
		t.Fatalf("closed with %d (policy closes %d), want %d", w.closed.Load(), h.Policy.Load(), hub.ClosePolicy)
	}
}

// TestStreamsPerUserCapped: the cap refuses one more connection of a user,
// not of another user, and frees up when one ends.
func TestStreamsPerUserCapped(t *testing.T) {
	st := &store{conv: tack.NewID()}
	h := hub.New(st, hub.Config{MaxStreamsPerUser: 3})
	user := tack.Caller{UserID: tack.NewID()}
	var conns []*hub.Conn
	for i := 0; i < 3; i++ {
		c, err := h.Attach(context.Background(), user, newRecorder())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	if _, err := h.Attach(context.Background(), user, newRecorder()); tack.ErrorCode(err) != tack.ERateLimited {
		t.Fatalf("fourth stream: %v, want rate_limited", err)
	}
	if err := h.CanAttach(user.UserID); tack.ErrorCode(err) != tack.ERateLimited {
		t.Fatalf("CanAttach: %v", err)
	}
	if _, err := h.Attach(context.Background(), tack.Caller{UserID: tack.NewID()}, newRecorder()); err != nil {
		t.Fatalf("another user: %v", err)
	}
	conns[0].Close(hub.CloseGoingAway, "bye")
	recv(t, conns[0].Done(), "the connection's end")
	if _, err := h.Attach(context.Background(), user, newRecorder()); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}

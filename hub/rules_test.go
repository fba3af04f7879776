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

// lines is a Writer that records every frame line (type, text) and the
// close code, and signals each write.
type lines struct {
	mu     sync.Mutex
	frames [][]string // per Write, the "type:text" of each line
	closed int
	wrote  chan struct{}
	block  chan struct{}
}

func newLines() *lines { return &lines{wrote: make(chan struct{}, 1)} }

func (l *lines) Write(ctx context.Context, frame []byte) error {
	if l.block != nil {
		<-l.block
	}
	var got []string
	for _, line := range strings.Split(string(frame), "\n") {
		var e struct {
			Type         string
			Message      *chat.Message
			Conversation *chat.Conversation
		}
		json.Unmarshal([]byte(line), &e)
		s := e.Type
		if e.Message != nil {
			s += ":" + e.Message.Text
		}
		if e.Conversation != nil {
			s += ":" + e.Conversation.Title
		}
		got = append(got, s)
	}
	l.mu.Lock()
	l.frames = append(l.frames, got)
	l.mu.Unlock()
	l.signal()
	return nil
}

func (l *lines) signal() {
	select {
	case l.wrote <- struct{}{}:
	default:
	}
}

func (l *lines) Close(code int, reason string) {
	l.mu.Lock()
	l.closed = code
	l.mu.Unlock()
	l.signal()
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, f := range l.frames {
		out = append(out, f...)
	}
	return out
}

// waitFor waits until the recorded lines include want (a marker).
func (l *lines) waitFor(t *testing.T, want string) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got := l.all()
		for _, s := range got {
			if s == want {
				return got
			}
		}
		select {
		case <-l.wrote:
		case <-deadline:
			t.Fatalf("waiting for %q: have %v", want, got)
		}
	}
}

// waitCount waits until want was written n times.
func (l *lines) waitCount(t *testing.T, want string, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got := l.all()
		k := 0
		for _, s := range got {
			if s == want {
				k++
			}
		}
		if k >= n {
			return got
		}
		select {
		case <-l.wrote:
		case <-deadline:
			t.Fatalf("waiting for %d × %q: have %v", n, want, got)
		}
	}
}

func (l *lines) waitClosed(t *testing.T) int {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		c := l.closed
		l.mu.Unlock()
		if c != 0 {
			return c
		}
		select {
		case <-l.wrote:
		case <-deadline:
			t.Fatal("connection not closed")
		}
	}
}

// recv waits for ch with a deadline that fails the test clearly.
func recv[T any](t *testing.T, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("waiting for %s: timed out", what)
	}
}

// world is a Source with several conversations, per user.
type world struct {
	mu    sync.Mutex
	convs map[tack.ID][]chat.Conversation // by user
	msgs  map[tack.ID][]chat.Message      // by conversation, in mod order
}

func newSrc() *world {
	return &world{convs: map[tack.ID][]chat.Conversation{}, msgs: map[tack.ID][]chat.Message{}}
}

func (w *world) join(user tack.ID, c chat.Conversation) {
	w.mu.Lock()
	w.convs[user] = append(w.convs[user], c)
	w.mu.Unlock()
}

func (w *world) ConversationMods(ctx context.Context) (map[tack.ID]int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[tack.ID]int64{}
	for _, c := range w.convs[tack.UserID(ctx)] {
		out[c.ID] = w.lastLocked(c.ID)
	}
	return out, nil
}

func (w *world) lastLocked(id tack.ID) int64 {
	ms := w.msgs[id]
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Mod
}

func (w *world) Conversations(ctx context.Context) ([]chat.Conversation, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []chat.Conversation
	for _, c := range w.convs[tack.UserID(ctx)] {
		c.LastMod = w.lastLocked(c.ID)
		out = append(out, c)
	}
	return out, nil
}

func (w *world) Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error) {
	return chat.Conversation{ID: id, Title: "joined"}, nil
}

func (w *world) Changes(ctx context.Context, id tack.ID, mod int64, limit int) ([]chat.Message, error) {
	return w.ChangesUpTo(ctx, id, mod, 1<<62, limit)
}

func (w *world) ListedChangeFrames(ctx context.Context, id tack.ID, after, upTo int64, limit int) ([]chat.ChangeFrame, error) {
	return changeFrames(w.ChangesUpTo(ctx, id, after, upTo, limit))
}

func (w *world) ChangesUpTo(ctx context.Context, id tack.ID, after, upTo int64, limit int) ([]chat.Message, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []chat.Message
	for _, m := range w.msgs[id] {
		if m.Mod > after && m.Mod <= upTo && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (w *world) commit(conv tack.ID, text string) *bus.Event {
	w.mu.Lock()
	mod := w.lastLocked(conv) + 1
	m := chat.Message{ConversationID: conv, Seq: mod, Mod: mod, Kind: chat.TextMessage, Text: text}
	w.msgs[conv] = append(w.msgs[conv], m)
	w.mu.Unlock()
	return &bus.Event{Kind: bus.Message, ConversationID: conv, Mod: mod, Payload: chat.MessageFrame(&m)}
}

func member(conv, user tack.ID, action string) *bus.Event {
	b, _ := json.Marshal(map[string]any{"type": "member", "action": action})
	return &bus.Event{Kind: bus.Member, ConversationID: conv, Subject: user, Action: action, Payload: b}
}

func startConn(t *testing.T, h *hub.Hub, caller tack.Caller, cursors map[tack.ID]int64) (*hub.Conn, *lines) {
	t.Helper()
	l := newLines()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := h.Attach(ctx, caller, l)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(ctx, c, cursors)
	l.waitFor(t, "synced")
	return c, l
}

// Membership events move a user's connections in and out of a
// conversation's delivery; what a removed member would have got never
// reaches them (a marker sent after arrives first).
func TestMembershipRoutesDelivery(t *testing.T) {
	w := newSrc()
	a, b := tack.NewID(), tack.NewID()
	home, g := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: home, Kind: chat.Group})
	w.join(b, chat.Conversation{ID: home, Kind: chat.Group})
	h := hub.New(w, hub.Config{})
	_, la := startConn(t, h, tack.Caller{UserID: a}, nil)
	h.Deliver(w.commit(g, "before joining"))
	h.Deliver(member(g, a, "added"))
	h.Deliver(w.commit(g, "after joining"))
	h.Deliver(w.commit(home, "marker 1"))
	got := strings.Join(la.waitFor(t, "message:marker 1"), ",")
	if strings.Contains(got, "before joining") || !strings.Contains(got, "conversation:joined,member,message:after joining") {
		t.Fatalf("joining: %s", got)
	}
	// Someone else's membership changes nothing for a.
	h.Deliver(member(g, b, "removed"))
	h.Deliver(w.commit(g, "still here"))
	h.Deliver(w.commit(home, "marker 2"))
	if got := strings.Join(la.waitFor(t, "message:marker 2"), ","); !strings.Contains(got, "still here") {
		t.Fatalf("another's removal unsubscribed a: %s", got)
	}
	h.Deliver(member(g, a, "removed"))
	h.Deliver(w.commit(g, "after leaving"))
	h.Deliver(w.commit(home, "marker 3"))
	if got := strings.Join(la.waitFor(t, "message:marker 3"), ","); strings.Contains(got, "after leaving") || !strings.Contains(got, "member,message:marker 3") {
		t.Fatalf("leaving: %s", got)
	}
}

// Events addressed to users reach those users' connections only; events
// without a payload are for the nodes and reach nobody.
func TestUserAddressedEvents(t *testing.T) {
	w := newSrc()
	a, b := tack.NewID(), tack.NewID()
	h := hub.New(w, hub.Config{})
	_, la := startConn(t, h, tack.Caller{UserID: a}, nil)
	_, lb := startConn(t, h, tack.Caller{UserID: b}, nil)
	h.Deliver(&bus.Event{Kind: bus.Presence, Users: []tack.ID{a}})
	h.Deliver(&bus.Event{Kind: bus.Conversation, Users: []tack.ID{a}, Payload: []byte(`{"type":"for-a"}`)})
	h.Deliver(&bus.Event{Kind: bus.Conversation, Users: []tack.ID{b}, Payload: []byte(`{"type":"for-b"}`)})
	h.Deliver(&bus.Event{Kind: bus.Conversation, Users: []tack.ID{a, b}, Payload: []byte(`{"type":"for-both"}`)})
	ga := strings.Join(la.waitFor(t, "for-both"), ",")
	gb := strings.Join(lb.waitFor(t, "for-both"), ",")
	if ga != "hello,synced,for-a,for-both" || gb != "hello,synced,for-b,for-both" {
		t.Fatalf("a got %s; b got %s", ga, gb)
	}
	// The counter moves once a batch's write has returned, which can be
	// after the client read it: wait for it (with a deadline), then check
	// that nothing more was counted.
	for deadline := time.Now().Add(5 * time.Second); h.Delivered.Load() < 8 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond) // polling the counter, with the deadline above
	}
	if h.Delivered.Load() != 8 {
		t.Fatalf("delivered %d, want 8", h.Delivered.Load())
	}
}

// Mods at or below the cursor are skipped, the next one passes without a
// store read, and only a jump heals.
func TestCursorArithmetic(t *testing.T) {
	w := newSrc()
	a, conv := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: conv, Kind: chat.Group})
	w.commit(conv, "m1")
	w.commit(conv, "m2")
	h := hub.New(w, hub.Config{})
	// The client has seen mod 1: the catch-up sends 2 only.
	_, l := startConn(t, h, tack.Caller{UserID: a}, map[tack.ID]int64{conv: 1})
	if got := strings.Join(l.all(), ","); got != "hello,conversation:,message:m2,synced" {
		t.Fatalf("catch-up: %s", got)
	}
	e3 := w.commit(conv, "m3")
	h.Deliver(&bus.Event{Kind: bus.Message, ConversationID: conv, Mod: 2, Payload: []byte(`{"type":"message","message":{"text":"old"}}`)})
	h.Deliver(e3)
	h.Deliver(e3)
	h.Deliver(w.commit(conv, "m4"))
	got := strings.Join(l.waitFor(t, "message:m4"), ",")
	if got != "hello,conversation:,message:m2,synced,message:m3,message:m4" || h.Healed.Load() != 0 {
		t.Fatalf("in order, no gap: %s (healed %d)", got, h.Healed.Load())
	}
	w.commit(conv, "m5")
	h.Deliver(w.commit(conv, "m6"))
	got = strings.Join(l.waitFor(t, "message:m6"), ",")
	if !strings.HasSuffix(got, "message:m4,message:m5,message:m6") || h.Healed.Load() != 1 {
		t.Fatalf("gap of one: %s (healed %d)", got, h.Healed.Load())
	}
}

// A connection's client that is up to date gets no history; one without
// cursors gets none either but may Resume once.
func TestCatchUpAndResume(t *testing.T) {
	w := newSrc()
	a, conv, other := tack.NewID(), tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: conv, Kind: chat.Group, Title: "g"})
	w.join(a, chat.Conversation{ID: other, Kind: chat.Group, Title: "o"})
	for _, s := range []string{"m1", "m2", "m3"} {
		w.commit(conv, s)
	}
	h := hub.New(w, hub.Config{})
	_, l := startConn(t, h, tack.Caller{UserID: a}, map[tack.ID]int64{conv: 3})
	if got := strings.Join(l.all(), ","); got != "hello,conversation:g,conversation:o,synced" {
		t.Fatalf("up to date: %s", got)
	}
	c, l2 := startConn(t, h, tack.Caller{UserID: a}, nil)
	if got := strings.Join(l2.all(), ","); got != "hello,conversation:g,conversation:o,synced" {
		t.Fatalf("fresh start: %s", got)
	}
	h.Deliver(w.commit(conv, "m4"))
	h.Resume(c, map[tack.ID]int64{conv: 1, other: 0, tack.NewID(): 0})
	got := strings.Join(l2.waitCount(t, "synced", 2), ",")
	if got != "hello,conversation:g,conversation:o,synced,message:m4,message:m2,message:m3,synced" {
		t.Fatalf("resume: %s", got)
	}
	// Only the first Resume counts: a second re-reads nothing (a marker
	// sent after it shows it is done).
	h.Resume(c, map[tack.ID]int64{conv: 0})
	h.Deliver(w.commit(other, "marker"))
	got = strings.Join(l2.waitFor(t, "message:marker"), ",")
	if strings.Count(got, "message:m2") != 1 || strings.Count(got, "message:m1") != 0 {
		t.Fatalf("second resume re-sent history: %s", got)
	}
}

func TestRevocationClosesThatSessionOnly(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	s1, s2 := tack.NewID(), tack.NewID()
	h := hub.New(w, hub.Config{})
	c1, l1 := startConn(t, h, tack.Caller{UserID: a, SessionID: s1}, nil)
	_, l2 := startConn(t, h, tack.Caller{UserID: a, SessionID: s2}, nil)
	h.Deliver(&bus.Event{Kind: bus.SessionRevoked, Subject: s1, Users: []tack.ID{a}, Payload: []byte(`{"type":"session_revoked"}`)})
	if code := l1.waitClosed(t); code != hub.CloseRevoked {
		t.Fatalf("revoked session closed with %d", code)
	}
	recv(t, c1.Done(), "the connection's end")
	if !strings.Contains(strings.Join(l1.all(), ","), "session_revoked") {
		t.Fatalf("the revocation notice was not written first: %v", l1.all())
	}
	h.Deliver(&bus.Event{Kind: bus.Conversation, Users: []tack.ID{a}, Payload: []byte(`{"type":"still"}`)})
	l2.waitFor(t, "still")
	if h.Streams(a) != 1 || !h.Online(a) {
		t.Fatalf("streams %d", h.Streams(a))
	}
	if _, err := h.Attach(context.Background(), tack.Caller{UserID: a, SessionID: s1}, newLines()); tack.ErrorCode(err) != tack.EUnauthorized {
		t.Fatalf("attach with a revoked session: %v", err)
	}
	if _, err := h.Attach(context.Background(), tack.Caller{UserID: a}, newLines()); err != nil {
		t.Fatalf("attach without a session: %v", err)
	}
}

// Presence: online once the first connection caught up, offline when the
// last one ends, with the direct-chat peers.
func TestPresenceAnnouncements(t *testing.T) {
	w := newSrc()
	a, peer := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: tack.NewID(), Kind: chat.Direct, Peer: peer})
	w.join(a, chat.Conversation{ID: tack.NewID(), Kind: chat.Direct, Peer: a}) // notes to self
	w.join(a, chat.Conversation{ID: tack.NewID(), Kind: chat.Group})
	var mu sync.Mutex
	var got []string
	h := hub.New(w, hub.Config{OnPresence: func(u tack.ID, online bool, peers []tack.ID) {
		mu.Lock()
		defer mu.Unlock()
		if u != a || len(peers) != 1 || peers[0] != peer {
			got = append(got, "wrong peers")
		}
		if online {
			got = append(got, "online")
		} else {
			got = append(got, "offline")
		}
	}})
	ctx1, cancel1 := context.WithCancel(context.Background())
	l1 := newLines()
	c1, _ := h.Attach(ctx1, tack.Caller{UserID: a}, l1)
	h.Start(ctx1, c1, nil)
	l1.waitFor(t, "synced")
	_, l2 := startConn(t, h, tack.Caller{UserID: a}, nil)
	_ = l2
	cancel1()
	recv(t, c1.Done(), "the connection's end")
	if len(h.OnlineUsers()) != 1 || h.Connections.Load() != 1 {
		t.Fatalf("online %v, connections %d", h.OnlineUsers(), h.Connections.Load())
	}
	h.Shutdown(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "online,offline" {
		t.Fatalf("presence calls: %v", got)
	}
	if h.Online(a) || h.Connections.Load() != 0 {
		t.Fatal("still online after shutdown")
	}
}

// Frames carry at most MaxBatch events.
func TestMaxBatch(t *testing.T) {
	w := newSrc()
	a, conv := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: conv, Kind: chat.Group})
	h := hub.New(w, hub.Config{MaxBatch: 2})
	c, l := startConn(t, h, tack.Caller{UserID: a}, nil)
	l.mu.Lock()
	l.block = make(chan struct{})
	l.mu.Unlock()
	h.Deliver(w.commit(conv, "m1")) // taken by the writer, which blocks
	for i := 2; i <= 6; i++ {
		h.Deliver(w.commit(conv, "m"))
	}
	close(l.block)
	h.Deliver(w.commit(conv, "last"))
	l.waitFor(t, "message:last")
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.frames[1:] {
		if len(f) > 2 {
			t.Fatalf("a frame of %d events with MaxBatch 2", len(f))
		}
	}
	_ = c
}

func TestCanAttach(t *testing.T) {
	h := hub.New(newSrc(), hub.Config{MaxStreamsPerUser: 2})
	a := tack.NewID()
	for i := 0; i < 2; i++ {
		if err := h.CanAttach(a); err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		startConn(t, h, tack.Caller{UserID: a}, nil)
	}
	if err := h.CanAttach(a); tack.ErrorCode(err) != tack.ERateLimited {
		t.Fatalf("third stream: %v", err)
	}
	if err := h.CanAttach(tack.NewID()); err != nil {
		t.Fatalf("another user: %v", err)
	}
	h.Shutdown(context.Background())
	if err := h.CanAttach(tack.NewID()); tack.ErrorCode(err) != tack.EUnavailable {
		t.Fatalf("after shutdown: %v", err)
	}
	if hub.New(newSrc(), hub.Config{}).CanAttach(a) != nil {
		t.Fatal("no cap configured, yet refused")
	}
}

// A gap that fills exactly MaxHeal changes (the event itself included),
// here one full page of 500, is healed and the connection goes on (more
// than MaxHeal, read page by page, resyncs: TestGapBeyondMaxHealResyncs).
func TestHealExactlyMaxHeal(t *testing.T) {
	w := newSrc()
	a, conv := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: conv, Kind: chat.Group})
	h := hub.New(w, hub.Config{MaxHeal: 500})
	_, l := startConn(t, h, tack.Caller{UserID: a}, nil)
	h.Deliver(w.commit(conv, "first"))
	l.waitFor(t, "message:first")
	for i := 0; i < 499; i++ {
		w.commit(conv, "lost")
	}
	h.Deliver(w.commit(conv, "after the gap"))
	h.Deliver(w.commit(conv, "marker"))
	got := l.waitFor(t, "message:marker")
	if n := strings.Count(strings.Join(got, ","), "message:lost"); n != 499 || h.Healed.Load() != 1 {
		t.Fatalf("healed %d of 499 lost changes (%d heals)", n, h.Healed.Load())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed != 0 {
		t.Fatalf("closed with %d after healing a gap of exactly MaxHeal", l.closed)
	}
}

// With the default limits, a client that reads its replies gets every
// one: 256 may wait at once while its writer is busy.
func TestRepliesWithDefaults(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	h := hub.New(w, hub.Config{})
	c, l := startConn(t, h, tack.Caller{UserID: a}, nil)
	l.mu.Lock()
	l.block = make(chan struct{})
	l.mu.Unlock()
	h.Deliver(&bus.Event{Kind: bus.Conversation, Users: []tack.ID{a}, Payload: []byte(`{"type":"busy"}`)}) // the writer takes it and blocks
	for i := 0; i < 256; i++ {
		if !c.Reply([]byte(`{"type":"pong"}`)) {
			t.Fatalf("reply %d refused", i)
		}
	}
	close(l.block)
	if !c.Reply([]byte(`{"type":"last"}`)) {
		t.Fatal("a reply after the writer caught up was refused")
	}
	got := l.waitFor(t, "last")
	if n := strings.Count(strings.Join(got, ","), "pong"); n != 256 {
		t.Fatalf("%d pongs written, want 256", n)
	}
}

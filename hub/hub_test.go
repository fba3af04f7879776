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

// store is a Source over an in-memory timeline of one conversation.
type store struct {
	mu   sync.Mutex
	conv tack.ID
	msgs []chat.Message // by mod
}

func (s *store) ConversationMods(ctx context.Context) (map[tack.ID]int64, error) {
	return map[tack.ID]int64{s.conv: s.last()}, nil
}
func (s *store) last() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.msgs) == 0 {
		return 0
	}
	return s.msgs[len(s.msgs)-1].Mod
}
func (s *store) Conversations(ctx context.Context) ([]chat.Conversation, error) {
	return []chat.Conversation{{ID: s.conv, LastMod: s.last()}}, nil
}
func (s *store) Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error) {
	return chat.Conversation{ID: id}, nil
}
func (s *store) Changes(ctx context.Context, id tack.ID, mod int64, limit int) ([]chat.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chat.Message
	for _, m := range s.msgs {
		if m.Mod > mod {
			out = append(out, m)
		}
	}
	return out, nil
}

// commit stores a message and returns its event.
func (s *store) commit(text string) *bus.Event {
	s.mu.Lock()
	mod := int64(len(s.msgs) + 1)
	m := chat.Message{ConversationID: s.conv, Seq: mod, Mod: mod, Kind: chat.TextMessage, Text: text}
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
	return &bus.Event{Kind: bus.Message, ConversationID: s.conv, Mod: mod, Payload: chat.MessageFrame(&m)}
}

// recorder is a Writer that records events and the close code.
type recorder struct {
	mu     sync.Mutex
	texts  []string
	closed int
	block  chan struct{}
	wrote  chan struct{}
}

func newRecorder() *recorder { return &recorder{wrote: make(chan struct{}, 1000)} }

func (r *recorder) Write(ctx context.Context, frame []byte) error {
	if r.block != nil {
		<-r.block
	}
	r.mu.Lock()
	for _, line := range strings.Split(string(frame), "\n") {
		var e struct {
			Type    string
			Message *chat.Message
		}
		json.Unmarshal([]byte(line), &e)
		if e.Type == "message" {
			r.texts = append(r.texts, e.Message.Text)
		}
	}
	r.mu.Unlock()
	r.wrote <- struct{}{}
	return nil
}

func (r *recorder) Close(code int, reason string) {
	r.mu.Lock()
	r.closed = code
	r.mu.Unlock()
}

func (r *recorder) waitTexts(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		got := append([]string(nil), r.texts...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.wrote:
		case <-deadline:
			t.Fatalf("have %v, want %d messages", got, n)
		}
	}
}

func TestDuplicatesSkippedAndGapsHealed(t *testing.T) {
	st := &store{conv: tack.NewID()}
	h := hub.New(st, hub.Config{})
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := h.Attach(ctx, tack.Caller{UserID: tack.NewID()}, rec)
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(ctx, c, map[tack.ID]int64{st.conv: 0})
	recv(t, rec.wrote, "the catch-up")
	e1 := st.commit("one")
	h.Deliver(e1)
	h.Deliver(e1)    // the bus repeated itself
	st.commit("two") // the bus lost this one
	h.Deliver(st.commit("three"))
	// A marker sent after them arrives after them: had anything been
	// sent twice, it would be there before the marker.
	h.Deliver(st.commit("marker"))
	got := rec.waitTexts(t, 4)
	if strings.Join(got, ",") != "one,two,three,marker" {
		t.Fatalf("delivered %v, want one,two,three once each, then the marker", got)
	}
	if h.Healed.Load() != 1 {
		t.Fatalf("healed %d gaps, want 1", h.Healed.Load())
	}
}

func TestSlowClientDroppedWithResync(t *testing.T) {
	st := &store{conv: tack.NewID()}
	h := hub.New(st, hub.Config{QueueLimit: 10})
	slow, fast := newRecorder(), newRecorder()
	slow.block = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs, _ := h.Attach(ctx, tack.Caller{UserID: tack.NewID()}, slow)
	cf, _ := h.Attach(ctx, tack.Caller{UserID: tack.NewID()}, fast)
	go h.Serve(ctx, cs, nil)
	go h.Serve(ctx, cf, nil)
	recv(t, fast.wrote, "the catch-up")
	for i := 1; i <= 50; i++ {
		h.Deliver(st.commit("m"))
		fast.waitTexts(t, i) // the fast client keeps up
	}
	close(slow.block)
	select {
	case <-cs.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("slow client not dropped")
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if slow.closed != hub.CloseResync || h.Dropped.Load() != 1 {
		t.Fatalf("slow client closed with %d (dropped %d), want %d", slow.closed, h.Dropped.Load(), hub.CloseResync)
	}
}

func TestShutdownGoesAway(t *testing.T) {
	st := &store{conv: tack.NewID()}
	h := hub.New(st, hub.Config{})
	rec := newRecorder()
	c, _ := h.Attach(context.Background(), tack.Caller{UserID: tack.NewID()}, rec)
	go h.Serve(context.Background(), c, nil)
	h.Shutdown(context.Background())
	if rec.closed != hub.CloseGoingAway {
		t.Fatalf("closed with %d", rec.closed)
	}
	if _, err := h.Attach(context.Background(), tack.Caller{UserID: tack.NewID()}, rec); tack.ErrorCode(err) != tack.EUnavailable {
		t.Fatalf("attach after shutdown: %v", err)
	}
}

func (s *store) ListedChangeFrames(ctx context.Context, id tack.ID, after, upTo int64, limit int) ([]chat.ChangeFrame, error) {
	return changeFrames(s.ChangesUpTo(ctx, id, after, upTo, limit))
}

// changeFrames is what chat.Service's ListedChangeFrames gives for ms: each
// message's frame.
func changeFrames(ms []chat.Message, err error) ([]chat.ChangeFrame, error) {
	cs := make([]chat.ChangeFrame, len(ms))
	for i := range ms {
		cs[i] = chat.ChangeFrame{Mod: ms[i].Mod, Frame: chat.MessageFrame(&ms[i])}
	}
	return cs, err
}

func (s *store) ChangesUpTo(ctx context.Context, id tack.ID, after, upTo int64, limit int) ([]chat.Message, error) {
	ms, err := s.Changes(ctx, id, after, limit)
	var out []chat.Message
	for _, m := range ms {
		if m.Mod <= upTo {
			out = append(out, m)
		}
	}
	return out, err
}

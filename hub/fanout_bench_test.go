package hub_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
)

// source serves one conversation that every connection belongs to.
type source struct{ conv tack.ID }

func (s source) ConversationMods(ctx context.Context) (map[tack.ID]int64, error) {
	return map[tack.ID]int64{s.conv: 0}, nil
}
func (s source) Conversations(ctx context.Context) ([]chat.Conversation, error) {
	return []chat.Conversation{{ID: s.conv}}, nil
}
func (s source) Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error) {
	return chat.Conversation{ID: id}, nil
}
func (s source) Changes(ctx context.Context, id tack.ID, mod int64, limit int) ([]chat.Message, error) {
	return nil, nil
}

// BenchmarkFanout500 delivers messages to a 500-member group whose members
// are all connected to this node: one op is one message reaching all 500.
func BenchmarkFanout500(b *testing.B) {
	const members = 500
	conv := tack.NewID()
	h := hub.New(source{conv}, hub.Config{QueueLimit: 1 << 30})
	var n atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// b.N is known only inside the loop; count against a moving target.
	var want atomic.Int64
	want.Store(1 << 62)
	var conns []*hub.Conn
	for i := 0; i < members; i++ {
		w := &lazyWriter{n: &n, want: &want, done: done, once: &once}
		c, err := h.Attach(ctx, tack.Caller{UserID: tack.NewID()}, w)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
		go h.Serve(ctx, c, nil)
	}
	payload := chat.MessageFrame(&chat.Message{ConversationID: conv, Kind: chat.TextMessage, Text: "a message of ordinary length, about sixty characters long"})
	// Wait for the catch-up frames (hello, conversation, synced) to go out.
	for n.Load() < members*3 {
	}
	base := n.Load()
	b.ReportAllocs()
	b.ResetTimer()
	mod := int64(0)
	for i := 0; i < b.N; i++ {
		mod++
		h.Deliver(&bus.Event{Kind: bus.Message, ConversationID: conv, Mod: mod, Payload: payload})
	}
	want.Store(base + int64(b.N)*members)
	if n.Load() < want.Load() {
		<-done
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*members)/b.Elapsed().Seconds(), "deliveries/s")
	if h.Dropped.Load() > 0 {
		b.Fatalf("%d connections dropped", h.Dropped.Load())
	}
}

type lazyWriter struct {
	n    *atomic.Int64
	want *atomic.Int64
	done chan struct{}
	once *sync.Once
}

func (w *lazyWriter) Write(ctx context.Context, frame []byte) error {
	k := int64(1)
	for _, c := range frame {
		if c == '\n' {
			k++
		}
	}
	if w.n.Add(k) >= w.want.Load() {
		w.once.Do(func() { close(w.done) })
	}
	return nil
}
func (w *lazyWriter) Close(code int, reason string) {}

func (s source) ListedChangeFrames(ctx context.Context, id tack.ID, after, upTo int64, limit int) ([]chat.ChangeFrame, error) {
	return changeFrames(s.ChangesUpTo(ctx, id, after, upTo, limit))
}

func (s source) ChangesUpTo(ctx context.Context, id tack.ID, after, upTo int64, limit int) ([]chat.Message, error) {
	ms, err := s.Changes(ctx, id, after, limit)
	var out []chat.Message
	for _, m := range ms {
		if m.Mod <= upTo {
			out = append(out, m)
		}
	}
	return out, err
}

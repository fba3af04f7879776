package chat

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// batchStore stores every batch it is given and remembers its size.
type batchStore struct {
	Store
	mu      sync.Mutex
	seq     int64
	batches []int
}

func (b *batchStore) Append(_ context.Context, msgs []NewMessage) ([]Appended, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = append(b.batches, len(msgs))
	out := make([]Appended, len(msgs))
	for i, m := range msgs {
		b.seq++
		out[i] = Appended{Message: Message{ConversationID: m.ConversationID, Seq: b.seq, Mod: b.seq, SenderID: m.SenderID, Kind: m.Kind}, PrevReadSeq: b.seq - 1}
	}
	return out, nil
}

func (b *batchStore) sizes() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int(nil), b.batches...)
}

// A lone send commits at once; a send that follows a commit closely waits
// for more (up to CommitLinger) and goes in one batch with them. With a
// linger of an hour the second send can only be answered once the batch
// is full.
func TestCommitLinger(t *testing.T) {
	st := &batchStore{}
	s := &Service{store: st, log: slog.Default(), cfg: Config{MaxBatch: 3, CommitLinger: time.Hour}, publish: make(chan committed, 16)}
	sends := make(chan *sendReq, 16)
	go s.commitLoop(sends)
	defer close(sends)
	conv, u := tack.NewID(), tack.NewID()
	send := func() chan sendResult {
		r := &sendReq{ctx: context.Background(), msg: NewMessage{ConversationID: conv, SenderID: u, Kind: TextMessage, Text: "x"}, kind: Direct, count: 2, done: make(chan sendResult, 1)}
		sends <- r
		return r.done
	}
	wait := func(what string, done chan sendResult) {
		t.Helper()
		select {
		case res := <-done:
			if res.err != nil {
				t.Fatalf("%s: %v", what, res.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: not answered (batches so far %v)", what, st.sizes())
		}
	}
	wait("a lone send", send())
	second := send()
	select {
	case <-second:
		t.Fatalf("a send right after a commit was committed without waiting for more (batches %v)", st.sizes())
	case <-time.After(50 * time.Millisecond):
	}
	third, fourth := send(), send()
	wait("the second send", second)
	wait("the third send", third)
	wait("the fourth send", fourth)
	if got := st.sizes(); len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("batches %v, want [1 3]", got)
	}
}

// A negative CommitLinger never waits: a send right after a commit is
// committed alone.
func TestCommitLingerOff(t *testing.T) {
	st := &batchStore{}
	s := &Service{store: st, log: slog.Default(), cfg: Config{MaxBatch: 3, CommitLinger: -1}, publish: make(chan committed, 16)}
	sends := make(chan *sendReq, 16)
	go s.commitLoop(sends)
	defer close(sends)
	conv, u := tack.NewID(), tack.NewID()
	for i := 0; i < 2; i++ {
		r := &sendReq{ctx: context.Background(), msg: NewMessage{ConversationID: conv, SenderID: u, Kind: TextMessage, Text: "x"}, kind: Direct, count: 2, done: make(chan sendResult, 1)}
		sends <- r
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("send %d waited with lingering off (batches %v)", i, st.sizes())
		}
	}
	if got := st.sizes(); len(got) != 2 {
		t.Fatalf("batches %v, want [1 1]", got)
	}
}

// The linger is on by default (2 ms, the figure BENCHMARKS.md measured);
// a configured value, including "never" (negative), is kept.
func TestCommitLingerDefault(t *testing.T) {
	for _, c := range []struct{ in, want time.Duration }{
		{0, 2 * time.Millisecond},
		{-1, -1},
		{5 * time.Millisecond, 5 * time.Millisecond},
	} {
		s := NewService(&batchStore{}, nil, nil, time.Now, Config{CommitLinger: c.in})
		got := s.cfg.CommitLinger
		s.Close()
		if got != c.want {
			t.Errorf("CommitLinger %v: got %v, want %v", c.in, got, c.want)
		}
	}
}

package chat

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// sinceStore answers MessagesSince after gate is closed, counting reads;
// fail makes the next read fail.
type sinceStore struct {
	Store
	gate  chan struct{}
	reads atomic.Int32
	fail  atomic.Bool
}

func (s *sinceStore) MessagesSince(ctx context.Context, convID tack.ID, after int64, limit int) ([]Message, error) {
	s.reads.Add(1)
	<-s.gate
	if s.fail.Swap(false) {
		return nil, errors.New("disk on fire")
	}
	return []Message{{ConversationID: convID, Seq: after + 1, Mod: after + 1}, {ConversationID: convID, Seq: after + 2, Mod: after + 9}}, nil
}

// Members of a group resuming from the same cursor at once wait for one
// read of the range instead of all reading it.
func TestSnapshotReadOnce(t *testing.T) {
	st := &sinceStore{gate: make(chan struct{})}
	s := &Service{store: st}
	conv := tack.NewID()
	var wg sync.WaitGroup
	got := make([]*snapshotEntry, 8)
	for i := range got {
		wg.Go(func() {
			e, err := s.snapshot(context.Background(), conv, 4, 6, 10)
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			got[i] = e
		})
	}
	for st.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others find the pending read
	close(st.gate)
	wg.Wait()
	if n := st.reads.Load(); n != 1 {
		t.Fatalf("%d reads for one range, want 1", n)
	}
	for i, e := range got {
		if e != got[0] || len(e.msgs) != 1 || e.msgs[0].Mod != 5 {
			t.Fatalf("caller %d: %+v (the change past upTo is the live stream's)", i, e)
		}
	}
}

// A failed read is not kept: the callers that waited for it read for
// themselves, and the next caller reads again; a waiter whose context
// ends stops waiting.
func TestSnapshotFailedRead(t *testing.T) {
	st := &sinceStore{gate: make(chan struct{})}
	st.fail.Store(true)
	s := &Service{store: st}
	conv := tack.NewID()
	first := make(chan error, 1)
	go func() {
		_, err := s.snapshot(context.Background(), conv, 0, 2, 10)
		first <- err
	}()
	for st.reads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.snapshot(ctx, conv, 0, 2, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter whose context ended: %v", err)
	}
	waiter := make(chan *snapshotEntry, 1)
	go func() {
		e, err := s.snapshot(context.Background(), conv, 0, 2, 10)
		if err != nil {
			t.Errorf("waiter: %v", err)
		}
		waiter <- e
	}()
	time.Sleep(20 * time.Millisecond)
	close(st.gate)
	if err := <-first; err == nil {
		t.Fatal("the failed read's caller got no error")
	}
	if e := <-waiter; e == nil || len(e.msgs) != 1 {
		t.Fatalf("the waiter's own read: %+v", e)
	}
	if _, ok := s.snapshots.get(snapshotKey{conv, 0, 2, 10}, time.Now()); ok {
		t.Fatal("a failed read is kept")
	}
	if _, err := s.snapshot(context.Background(), conv, 0, 2, 10); err != nil {
		t.Fatal(err)
	}
	if n := st.reads.Load(); n != 3 {
		t.Fatalf("%d reads, want 3 (the failed one, the waiter's, the next caller's)", n)
	}
	if _, ok := s.snapshots.get(snapshotKey{conv, 0, 2, 10}, time.Now()); !ok {
		t.Fatal("a good read is not kept")
	}
}

// A message without a sender (a system notice) is shared like any other:
// its frame is the one every viewer gets, not an empty one.
func TestListedFramesWithoutSender(t *testing.T) {
	st := &sinceStore{gate: make(chan struct{})}
	close(st.gate)
	s := &Service{store: st}
	ctx := tack.WithCaller(context.Background(), tack.Caller{UserID: tack.NewID()})
	cs, err := s.ListedChangeFrames(ctx, tack.NewID(), 0, 9, 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("frames %+v, %v", cs, err)
	}
	for i, c := range cs {
		if len(c.Frame) == 0 || c.Mod == 0 {
			t.Fatalf("change %d: mod %d, frame %q", i, c.Mod, c.Frame)
		}
	}
}

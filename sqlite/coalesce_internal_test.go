package sqlite

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"

	"github.com/tackhq/tack"
)

// Reads that wait while one is running go together in one many call, each
// user once; a second asker of the same user gets a copy; a failed many
// call fails each of its askers; an asker whose context ends, or who asks
// after the database closed, gets an error instead of waiting.
func TestCoalescer(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	gate := make(chan struct{})
	started := make(chan struct{}, 1)
	var mu sync.Mutex
	var calls [][]tack.ID
	fail := false
	c := coalescer[[]string]{
		one: func(_ context.Context, u tack.ID) ([]string, error) {
			started <- struct{}{}
			<-gate
			return []string{"one " + string(u)}, nil
		},
		many: func(_ context.Context, us []tack.ID) (map[tack.ID][]string, error) {
			mu.Lock()
			calls = append(calls, us)
			f := fail
			mu.Unlock()
			if f {
				return nil, errors.New("disk on fire")
			}
			out := map[tack.ID][]string{}
			for _, u := range us {
				out[u] = []string{"many " + string(u)}
			}
			return out, nil
		},
		clone: func(v []string) []string { return append([]string(nil), v...) },
	}
	c.start(1, stop, &wg)

	first := make(chan []string, 1)
	go func() { v, _ := c.get(context.Background(), "a"); first <- v }()
	<-started // the worker runs the lone read
	got := make([][]string, 4)
	var askers sync.WaitGroup
	for i, u := range []tack.ID{"b", "c", "b", "d"} {
		askers.Go(func() { got[i], _ = c.get(context.Background(), u) })
	}
	for len(c.reqs) < 4 {
		runtime.Gosched() // until all four are queued behind the first
	}
	close(gate)
	if v := <-first; len(v) != 1 || v[0] != "one a" {
		t.Fatalf("the lone read: %v", v)
	}
	askers.Wait()
	if len(calls) != 1 || len(calls[0]) != 3 {
		t.Fatalf("many calls %v, want one of b, c, d", calls)
	}
	for i, want := range []string{"many b", "many c", "many b", "many d"} {
		if len(got[i]) != 1 || got[i][0] != want {
			t.Fatalf("asker %d got %v, want %s", i, got[i], want)
		}
	}
	if &got[0][0] == &got[2][0] {
		t.Fatal("two askers of b share one answer")
	}

	// A failed many call fails everyone in it.
	fail = true
	gate2 := make(chan struct{})
	c.one = func(_ context.Context, u tack.ID) ([]string, error) { started <- struct{}{}; <-gate2; return nil, nil }
	go c.get(context.Background(), "x")
	<-started
	errs := make([]error, 2)
	askers.Go(func() { _, errs[0] = c.get(context.Background(), "y") })
	askers.Go(func() { _, errs[1] = c.get(context.Background(), "z") })
	for len(c.reqs) < 2 {
		runtime.Gosched()
	}
	close(gate2)
	askers.Wait()
	if errs[0] == nil || errs[1] == nil {
		t.Fatalf("a failed read answered %v", errs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.get(ctx, "q"); !errors.Is(err, context.Canceled) {
		t.Fatalf("an asker whose context ended: %v", err)
	}
	close(stop)
	wg.Wait()
	if _, err := c.get(context.Background(), "late"); !errors.Is(err, errClosed) {
		t.Fatalf("after close: %v", err)
	}
}

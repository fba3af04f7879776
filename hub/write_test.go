package hub_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/hub"
)

// boundWriter records each write's context deadline (or, as a
// hub.TimedWriter, its d) and holds every write after the first until the
// write's context ends.
type boundWriter struct {
	mu        sync.Mutex
	deadlines []time.Time
	ds        []time.Duration
	writes    chan struct{}
}

func (w *boundWriter) Write(ctx context.Context, frame []byte) error {
	dl, _ := ctx.Deadline()
	w.mu.Lock()
	w.deadlines = append(w.deadlines, dl)
	n := len(w.deadlines)
	w.mu.Unlock()
	return w.hold(ctx, n)
}

// hold tells of the n-th write and, after the first, holds it until ctx ends.
func (w *boundWriter) hold(ctx context.Context, n int) error {
	w.writes <- struct{}{}
	if n > 1 {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (w *boundWriter) Close(int, string) {}

type timedWriter struct{ boundWriter }

func (w *timedWriter) WriteWithin(ctx context.Context, frame []byte, d time.Duration) error {
	w.mu.Lock()
	w.ds = append(w.ds, d)
	n := len(w.ds)
	w.mu.Unlock()
	return w.hold(ctx, n)
}

// TestWriteBounds: the hub gives a write 30 s (through WriteWithin when the
// Writer has it, else a context deadline), and a write in progress ends
// with the context the connection was started with, not the one it was
// attached with (or the one it was attached and started with).
func TestWriteBounds(t *testing.T) {
	for _, tc := range []struct{ timed, same bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		timed := tc.timed
		st := &store{conv: tack.NewID()}
		h := hub.New(st, hub.Config{})
		bw := &boundWriter{writes: make(chan struct{}, 10)}
		var w hub.Writer = bw
		tw := &timedWriter{boundWriter{writes: bw.writes}}
		if timed {
			w = tw
		}
		start := time.Now()
		ctx, cancel := context.WithCancel(context.Background())
		actx := context.Background()
		if tc.same {
			actx = ctx
		}
		c, err := h.Attach(actx, tack.Caller{UserID: tack.NewID()}, w)
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- h.Serve(ctx, c, nil) }()
		wait := func(what string) {
			select {
			case <-bw.writes:
			case <-time.After(10 * time.Second):
				t.Fatalf("timed %v: no %s", timed, what)
			}
		}
		wait("catch-up")
		c.Reply([]byte(`{"type":"pong"}`))
		wait("second write")
		end := time.Now()
		cancel()
		select {
		case <-served:
		case <-time.After(10 * time.Second):
			t.Fatalf("timed %v: a write in progress did not end with the connection's context", timed)
		}
		if timed {
			if len(tw.deadlines) != 0 || len(tw.ds) != 2 || tw.ds[0] != 30*time.Second || tw.ds[1] != 30*time.Second {
				t.Fatalf("TimedWriter: Write called %d times, WriteWithin given %v; want WriteWithin twice with 30s", len(tw.deadlines), tw.ds)
			}
			continue
		}
		for i, dl := range bw.deadlines {
			if dl.Before(start.Add(30*time.Second)) || dl.After(end.Add(30*time.Second)) {
				t.Fatalf("write %d: deadline %v after the start, want 30s", i, dl.Sub(start))
			}
		}
	}
}

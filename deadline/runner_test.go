package deadline_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/sqlite"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func store(t *testing.T) deadline.Store {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db.Deadlines()
}

func TestRunnerRunsDueJobsOnce(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	r := deadline.NewRunner(store(t), clk.now, nil)
	var ran []string
	r.Handle("burn", func(_ context.Context, j deadline.Job) error { ran = append(ran, j.Key+":"+string(j.Data)); return nil })
	if err := r.Schedule(ctx, deadline.Job{Kind: "burn", Key: "a", Due: clk.now().Add(time.Minute), Data: []byte("x")}, false); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunDue(ctx); n != 0 || err != nil {
		t.Fatalf("ran %d before due (%v)", n, err)
	}
	clk.add(time.Minute)
	if n, err := r.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("ran %d at due (%v)", n, err)
	}
	clk.add(time.Hour)
	if n, _ := r.RunDue(ctx); n != 0 {
		t.Fatalf("a done job ran again")
	}
	if len(ran) != 1 || ran[0] != "a:x" {
		t.Errorf("ran %v", ran)
	}
}

func TestRunnerRetriesThenDrops(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}
	s := store(t)
	r := deadline.NewRunner(s, clk.now, nil)
	r.MaxAttempts = 3
	calls := 0
	r.Handle("k", func(context.Context, deadline.Job) error { calls++; return errors.New("down") })
	r.Handle("p", func(context.Context, deadline.Job) error { return deadline.Permanent(errors.New("never")) })
	r.Handle("panics", func(context.Context, deadline.Job) error { panic("boom") })
	for _, k := range []string{"k", "p", "panics"} {
		if err := r.Schedule(ctx, deadline.Job{Kind: k, Key: "1", Due: clk.now()}, false); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		r.RunDue(ctx)
		clk.add(time.Hour)
	}
	if calls != 3 {
		t.Errorf("a failing job ran %d times, want 3", calls)
	}
	if _, ok, _ := s.Next(ctx); ok {
		t.Error("jobs are left after their attempts ran out")
	}
	if err := r.Schedule(ctx, deadline.Job{Kind: "k", Key: ""}, false); err == nil {
		t.Error("a job without a key was scheduled")
	}
	if err := r.Schedule(ctx, deadline.Job{Kind: "k", Key: "x", Data: make([]byte, deadline.MaxData+1)}, false); err == nil {
		t.Error("oversized data was scheduled")
	}
}

// TestRunnerLoop: Run picks up a job scheduled while it waits.
func TestRunnerLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := deadline.NewRunner(store(t), nil, nil)
	done := make(chan string, 1)
	r.Handle("k", func(_ context.Context, j deadline.Job) error { done <- j.Key; return nil })
	go r.Run(ctx)
	if err := r.Schedule(ctx, deadline.Job{Kind: "k", Key: "now", Due: time.Now()}, false); err != nil {
		t.Fatal(err)
	}
	select {
	case k := <-done:
		if k != "now" {
			t.Errorf("ran %q", k)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the job never ran")
	}
}

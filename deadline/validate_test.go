package deadline_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack/deadline"
)

// A job's kind is 1 to 64 bytes, its key 1 to 200, its data at most
// MaxData: the limits are inclusive.
func TestScheduleLimits(t *testing.T) {
	ctx := context.Background()
	r := deadline.NewRunner(store(t), nil, nil)
	due := time.Now().Add(time.Hour)
	for _, tt := range []struct {
		name string
		j    deadline.Job
		ok   bool
	}{
		{"kind of 64", deadline.Job{Kind: strings.Repeat("k", 64), Key: "a"}, true},
		{"kind of 65", deadline.Job{Kind: strings.Repeat("k", 65), Key: "a"}, false},
		{"no kind", deadline.Job{Key: "a"}, false},
		{"key of 200", deadline.Job{Kind: "k", Key: strings.Repeat("x", 200)}, true},
		{"key of 201", deadline.Job{Kind: "k", Key: strings.Repeat("x", 201)}, false},
		{"no key", deadline.Job{Kind: "k"}, false},
		{"data of MaxData", deadline.Job{Kind: "k", Key: "d", Data: make([]byte, deadline.MaxData)}, true},
		{"data of MaxData+1", deadline.Job{Kind: "k", Key: "e", Data: make([]byte, deadline.MaxData+1)}, false},
	} {
		tt.j.Due = due
		if err := r.Schedule(ctx, tt.j, false); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// flakyStore fails the first Claim (and every Done, when failDone is
// set) and counts the Claims.
type flakyStore struct {
	deadline.Store
	claims   atomic.Int64
	failed   atomic.Bool
	failDone bool
}

func (f *flakyStore) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]deadline.Job, error) {
	f.claims.Add(1)
	if !f.failed.Swap(true) {
		return nil, errors.New("database is locked")
	}
	return f.Store.Claim(ctx, now, lease, limit)
}

func (f *flakyStore) Done(ctx context.Context, kind, key, claim string) error {
	if f.failDone {
		return errors.New("disk full")
	}
	return f.Store.Done(ctx, kind, key, claim)
}

// logged is a slog handler that passes on each warning and error as
// "message attr=value ...".
type logged chan string

func (l logged) Enabled(context.Context, slog.Level) bool { return true }
func (l logged) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelWarn {
		s := rec.Message
		rec.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
		select {
		case l <- s:
		default:
		}
	}
	return nil
}
func (l logged) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l logged) WithGroup(string) slog.Handler      { return l }

func waitLog(t *testing.T, l logged, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case s := <-l:
			if strings.Contains(s, want) {
				return
			}
		case <-deadline:
			t.Fatalf("nothing logged with %q", want)
		}
	}
}

// A store error while the runner runs is logged, and the runner goes on:
// a job due then still runs.
func TestRunnerLogsStoreErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := make(logged, 10)
	r := deadline.NewRunner(&flakyStore{Store: store(t)}, nil, slog.New(l))
	r.Poll = 10 * time.Millisecond
	done := make(chan string, 1)
	r.Handle("k", func(_ context.Context, j deadline.Job) error { done <- j.Key; return nil })
	go r.Run(ctx)
	waitLog(t, l, "deadline: run err=claim: database is locked")
	if err := r.Schedule(ctx, deadline.Job{Kind: "k", Key: "after", Due: time.Now()}, false); err != nil {
		t.Fatal(err)
	}
	select {
	case k := <-done:
		if k != "after" {
			t.Errorf("ran %q", k)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the runner stopped after a store error")
	}
}

// A job that cannot be settled (the store fails) is logged; a dropped job
// is logged with the attempts it had.
func TestRunnerLogsSettling(t *testing.T) {
	ctx := context.Background()
	st := &flakyStore{Store: store(t), failDone: true}
	st.failed.Store(true)
	l := make(logged, 10)
	r := deadline.NewRunner(st, nil, slog.New(l))
	r.MaxAttempts = 2
	r.Handle("ok", func(context.Context, deadline.Job) error { return nil })
	if err := r.Schedule(ctx, deadline.Job{Kind: "ok", Key: "1", Due: time.Now()}, false); err != nil {
		t.Fatal(err)
	}
	if n, err := r.RunDue(ctx); n != 1 || err != nil {
		t.Fatalf("ran %d, %v", n, err)
	}
	waitLog(t, l, "deadline: settle job kind=ok key=1 err=disk full")

	st.failDone = false
	r.Handle("down", func(context.Context, deadline.Job) error { return deadline.Permanent(errors.New("gone")) })
	if err := r.Schedule(ctx, deadline.Job{Kind: "down", Key: "2", Due: time.Now()}, false); err != nil {
		t.Fatal(err)
	}
	r.RunDue(ctx)
	waitLog(t, l, "deadline: job dropped kind=down key=2 attempts=1 err=gone")
}

// Run sleeps until the next job is due, however long Poll is, and does not
// look at the store in between: one look when it starts, one when a
// schedule wakes it (nothing due yet), one at the due time that runs the job.
func TestRunnerWaitsForTheNextJob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := &flakyStore{Store: store(t)}
	st.failed.Store(true)
	r := deadline.NewRunner(st, nil, nil)
	r.Poll = time.Hour
	claims := make(chan int64, 1)
	r.Handle("k", func(context.Context, deadline.Job) error { claims <- st.claims.Load(); return nil })
	go r.Run(ctx)
	for deadline := time.Now().Add(30 * time.Second); st.claims.Load() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the runner never looked at the store")
		}
		time.Sleep(time.Millisecond) // polling for the first look, with its deadline
	}
	if err := r.Schedule(ctx, deadline.Job{Kind: "k", Key: "soon", Due: time.Now().Add(200 * time.Millisecond)}, false); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-claims:
		if n > 3 {
			t.Errorf("%d looks at the store before the job ran, want 3", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the job never ran (the runner waited for Poll, not for the job)")
	}
}

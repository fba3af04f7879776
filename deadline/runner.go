package deadline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tackhq/tack"
)

// Handler runs one job. It must be idempotent (see the package comment).
// A nil error deletes the job; an error runs it again later, after a
// backoff, up to Runner.MaxAttempts; Permanent(err) gives up at once.
type Handler func(ctx context.Context, j Job) error

type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks err as not worth a retry: the job is dropped.
func Permanent(err error) error { return permanent{err} }

// Runner claims due jobs and runs their handlers. Start it once per node;
// nodes sharing a store share the work.
type Runner struct {
	store    Store
	clock    tack.Clock
	log      *slog.Logger
	mu       sync.Mutex
	handlers map[string]Handler
	wake     chan struct{}

	// Poll is the longest wait between two looks at the store (default 1 s):
	// the lateness bound for jobs scheduled by another node.
	Poll time.Duration
	// Lease is how long a claim lasts (default 1 min): a handler must finish
	// within it, or another node may run the job too.
	Lease time.Duration
	// MaxAttempts bounds retries of failing jobs (default 10).
	MaxAttempts int
	// Batch is how many jobs one claim takes (default 32).
	Batch int
}

// NewRunner returns a Runner over store; nil clock is the wall clock.
func NewRunner(store Store, clock tack.Clock, log *slog.Logger) *Runner {
	if log == nil {
		log = slog.Default()
	}
	return &Runner{store: store, clock: clock, log: log, handlers: map[string]Handler{}, wake: make(chan struct{}, 1),
		Poll: time.Second, Lease: time.Minute, MaxAttempts: 10, Batch: 32}
}

// Handle registers h for jobs of kind. Register before Run.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Schedule stores j (see Store.Schedule) and wakes the runner. It validates
// the job first.
func (r *Runner) Schedule(ctx context.Context, j Job, earlier bool) error {
	if j.Kind == "" || j.Key == "" || len(j.Kind) > 64 || len(j.Key) > 200 {
		return fmt.Errorf("deadline: a job needs a kind and a key")
	}
	if len(j.Data) > MaxData {
		return fmt.Errorf("deadline: data of %d bytes exceeds %d", len(j.Data), MaxData)
	}
	if err := r.store.Schedule(ctx, j, earlier); err != nil {
		return fmt.Errorf("deadline: schedule: %w", err)
	}
	r.Wake()
	return nil
}

// Cancel deletes a job.
func (r *Runner) Cancel(ctx context.Context, kind, key string) error {
	if err := r.store.Cancel(ctx, kind, key); err != nil {
		return fmt.Errorf("deadline: cancel: %w", err)
	}
	return nil
}

// Wake makes Run look at the store now.
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run runs due jobs until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	for {
		n, err := r.RunDue(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("deadline: run", "err", err)
		}
		if n > 0 && err == nil {
			continue // there may be more
		}
		wait := r.Poll
		if next, ok, err := r.store.Next(ctx); err == nil && ok {
			if d := next.Sub(r.clock.Now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunDue claims the jobs due now and runs them, one after another; it
// returns how many it ran.
func (r *Runner) RunDue(ctx context.Context) (int, error) {
	jobs, err := r.store.Claim(ctx, r.clock.Now(), r.Lease, r.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim: %w", err)
	}
	for _, j := range jobs {
		r.run(ctx, j)
	}
	return len(jobs), nil
}

func (r *Runner) run(ctx context.Context, j Job) {
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()
	var err error
	if h == nil {
		err = Permanent(errors.New("no handler for this kind"))
	} else {
		hctx, cancel := context.WithTimeout(ctx, r.Lease)
		err = safe(hctx, h, j)
		cancel()
	}
	var p permanent
	switch {
	case err == nil:
		err = r.store.Done(ctx, j.Kind, j.Key, j.Claim)
	case errors.As(err, &p) || j.Attempts+1 >= r.MaxAttempts:
		r.log.Error("deadline: job dropped", "kind", j.Kind, "key", j.Key, "attempts", j.Attempts+1, "err", err)
		err = r.store.Done(ctx, j.Kind, j.Key, j.Claim)
	default:
		backoff := time.Second << min(j.Attempts, 10)
		r.log.Warn("deadline: job failed; retrying", "kind", j.Kind, "key", j.Key, "in", backoff, "err", err)
		err = r.store.Retry(ctx, j.Kind, j.Key, j.Claim, r.clock.Now().Add(backoff))
	}
	if err != nil && ctx.Err() == nil {
		r.log.Warn("deadline: settle job", "kind", j.Kind, "key", j.Key, "err", err)
	}
}

func safe(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panicked: %v", v)
		}
	}()
	return h(ctx, j)
}

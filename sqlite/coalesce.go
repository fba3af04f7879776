package sqlite

import (
	"context"
	"errors"
	"sync"

	"github.com/tackhq/tack"
)

// When thousands of clients reconnect at once (a node restarted, a network
// blip), every stream's start asks for its user's conversation list, one
// small statement each. On SQLite most of such a statement's cost is fixed
// (a read transaction, the driver, the stack the transpiled C needs, grown
// anew on each stream's goroutine), so the reads of one kind that arrive
// together are answered by one statement over all their users, run on a
// few long-lived goroutines. A lone read goes at once: nothing waits for
// company.

// coalesceMax is how many users one statement reads at most.
const coalesceMax = 64

// coalesceWorkers is how many statements of one kind run at once.
const coalesceWorkers = 2

// errClosed answers the reads still waiting when the database closes.
var errClosed = errors.New("sqlite: database closed")

// coalescer answers reads of one kind keyed by user. one reads a single
// user; many reads several (each once) and has an entry for each, empty
// if the user has none. clone copies a value for a second reader of the
// same user in one batch: readers own what they get.
type coalescer[V any] struct {
	reqs  chan *coalesceReq[V]
	one   func(ctx context.Context, user tack.ID) (V, error)
	many  func(ctx context.Context, users []tack.ID) (map[tack.ID]V, error)
	clone func(V) V
	stop  <-chan struct{}
}

type coalesceReq[V any] struct {
	user tack.ID
	done chan coalesceRes[V] // buffered: the worker never blocks on it
}

type coalesceRes[V any] struct {
	v   V
	err error
}

// start runs workers goroutines until stop is closed.
func (c *coalescer[V]) start(workers int, stop <-chan struct{}, wg *sync.WaitGroup) {
	c.reqs, c.stop = make(chan *coalesceReq[V], 1024), stop
	for range workers {
		wg.Go(c.loop)
	}
}

// get reads user's value, in one statement with the reads of other users
// waiting at the same time.
func (c *coalescer[V]) get(ctx context.Context, user tack.ID) (V, error) {
	var zero V
	req := &coalesceReq[V]{user: user, done: make(chan coalesceRes[V], 1)}
	select {
	case c.reqs <- req:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-c.stop:
		return zero, errClosed
	}
	select {
	case r := <-req.done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-c.stop:
		return zero, errClosed
	}
}

func (c *coalescer[V]) loop() {
	batch := make([]*coalesceReq[V], 0, coalesceMax)
	users := make([]tack.ID, 0, coalesceMax)
	for {
		select {
		case <-c.stop:
			return
		case first := <-c.reqs:
			batch = append(batch[:0], first)
		fill:
			for len(batch) < coalesceMax {
				select {
				case r := <-c.reqs:
					batch = append(batch, r)
				default:
					break fill
				}
			}
			c.answer(batch, users[:0])
			clear(batch)
		}
	}
}

// answer reads the values of batch's users and hands them out. The read
// runs under its own context: one reader giving up does not fail the rest.
func (c *coalescer[V]) answer(batch []*coalesceReq[V], users []tack.ID) {
	ctx := context.Background()
	if len(batch) == 1 {
		v, err := c.one(ctx, batch[0].user)
		batch[0].done <- coalesceRes[V]{v, err}
		return
	}
	seen := make(map[tack.ID]bool, len(batch))
	for _, r := range batch {
		if !seen[r.user] {
			seen[r.user] = true
			users = append(users, r.user)
		}
	}
	vals, err := c.many(ctx, users)
	given := make(map[tack.ID]bool, len(users))
	for _, r := range batch {
		if err != nil {
			r.done <- coalesceRes[V]{err: err}
			continue
		}
		v := vals[r.user]
		if given[r.user] {
			v = c.clone(v)
		}
		given[r.user] = true
		r.done <- coalesceRes[V]{v: v}
	}
}

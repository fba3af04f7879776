package api

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// streamCtx is a stream's context: it carries no values and ends, with
// context.Canceled, when the stream does (cancel). It lives inside the
// wsStream. context.WithCancel cost an idle stream about 500 bytes: the
// cancelCtx, its done channel, and the map of children made for the hub's
// AfterFunc, kept for the stream's life. streamCtx keeps what is to run
// when it ends in a slice, and has an AfterFunc method, which
// context.AfterFunc and context.WithCancel use (instead of a map of
// children) for the contexts hung on it.
type streamCtx struct {
	done  chan struct{} // made by init
	ended atomic.Bool
	mu    sync.Mutex
	fns   []*afterFunc // run when it ends (under mu)
}

type afterFunc struct{ f func() }

var _ context.Context = (*streamCtx)(nil)

func (c *streamCtx) init() { c.done = make(chan struct{}) }

func (c *streamCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *streamCtx) Done() <-chan struct{}       { return c.done }
func (c *streamCtx) Value(any) any               { return nil }

func (c *streamCtx) Err() error {
	if c.ended.Load() {
		return context.Canceled
	}
	return nil
}

// AfterFunc arranges for f to run on a goroutine of its own once c ends
// (at once if it has); stop unregisters f and reports whether it did so
// before f was started. context.AfterFunc, and the contexts derived from
// c, call it.
func (c *streamCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.ended.Load() {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	a := &afterFunc{f: f}
	c.fns = append(c.fns, a)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		for i, x := range c.fns {
			if x == a {
				last := len(c.fns) - 1
				c.fns[i] = c.fns[last]
				c.fns[last] = nil
				c.fns = c.fns[:last]
				if len(c.fns) == 0 {
					c.fns = nil // a burst of children is over: drop the array
				}
				return true
			}
		}
		return false
	}
}

// cancel ends c: Done is closed, Err is context.Canceled, and what was
// registered with AfterFunc starts. Calls after the first do nothing.
func (c *streamCtx) cancel() {
	c.mu.Lock()
	if c.ended.Load() {
		c.mu.Unlock()
		return
	}
	c.ended.Store(true)
	close(c.done)
	fns := c.fns
	c.fns = nil
	c.mu.Unlock()
	for _, a := range fns {
		go a.f()
	}
}

// Package inmem is the bus of a single node: events go from publisher to
// subscribers inside the process, in publish order.
package inmem

import (
	"context"
	"sync"

	"github.com/tackhq/tack/bus"
)

// Bus is an in-process bus. The zero value is ready to use.
type Bus struct {
	mu     sync.RWMutex
	subs   map[int]func(*bus.Event)
	nextID int
	closed bool
}

var _ bus.Bus = (*Bus)(nil)

// Publish calls every subscriber with e, synchronously and in order, holding
// a read lock so that publishes from several goroutines interleave but each
// subscriber sees each event once.
func (b *Bus) Publish(ctx context.Context, e *bus.Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil
	}
	for _, fn := range b.subs {
		fn(e)
	}
	return nil
}

// Subscribe registers fn.
func (b *Bus) Subscribe(fn func(*bus.Event)) (func(), error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]func(*bus.Event))
	}
	id := b.nextID
	b.nextID++
	b.subs[id] = fn
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}, nil
}

// Close stops all delivery.
func (b *Bus) Close() error {
	b.mu.Lock()
	b.closed = true
	b.subs = nil
	b.mu.Unlock()
	return nil
}

var _ bus.Interest = (*Bus)(nil)

// Want does nothing: in one process every event reaches the only node.
func (b *Bus) Want(...bus.Topic) {}

// Drop does nothing (see Want).
func (b *Bus) Drop(...bus.Topic) {}

// Sync returns nil at once: there is no server to tell.
func (b *Bus) Sync(context.Context) error { return nil }

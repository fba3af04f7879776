package chat

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/tackhq/tack"
)

// When many members of one group resume at once (a node restarted, a
// network blip), they all ask for the same changes: everything after the
// same mod, up to the same last mod. Such a range is a fixed snapshot (a
// later change gets a higher mod), so its messages are read from the store
// once and shared for a moment; each viewer still gets its own quotes and
// unread counts.

type snapshotKey struct {
	conv        tack.ID
	after, upTo int64
	limit       int
}

type snapshotEntry struct {
	msgs []Message
	at   time.Time
}

type snapshotCache struct {
	mu      sync.Mutex
	entries map[snapshotKey]snapshotEntry
}

const (
	snapshotTTL = 2 * time.Second
	snapshotMax = 4096
)

func (c *snapshotCache) get(k snapshotKey, now time.Time) ([]Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || now.Sub(e.at) > snapshotTTL {
		return nil, false
	}
	return e.msgs, true
}

func (c *snapshotCache) put(k snapshotKey, msgs []Message, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= snapshotMax {
		c.entries = make(map[snapshotKey]snapshotEntry)
	}
	c.entries[k] = snapshotEntry{msgs: msgs, at: now}
}

// ChangesUpTo returns up to limit messages of a conversation whose Mod is
// in (after, upTo], in Mod order, annotated for the caller. It is what a
// resuming client missed between its cursor and the conversation's last
// mod as read when the client attached.
func (s *Service) ChangesUpTo(ctx context.Context, convID tack.ID, after, upTo int64, limit int) ([]Message, error) {
	me, err := s.member(ctx, convID)
	if err != nil {
		return nil, err
	}
	if upTo <= after {
		return nil, nil
	}
	k := snapshotKey{convID, after, upTo, limit}
	now := time.Now()
	shared, ok := s.snapshots.get(k, now)
	if !ok {
		ms, err := s.store.MessagesSince(ctx, convID, after, limit)
		if err != nil {
			return nil, fmt.Errorf("changes: %w", err)
		}
		n := len(ms)
		for n > 0 && ms[n-1].Mod > upTo {
			n-- // committed after the snapshot: the live stream brings it
		}
		shared = ms[:n:n]
		s.snapshots.put(k, shared, now)
	}
	out := make([]Message, len(shared)) // the viewer's own copies
	copy(out, shared)
	if err := s.annotate(ctx, me.UserID, out); err != nil {
		return nil, err
	}
	return out, nil
}

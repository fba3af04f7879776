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
// once and shared for a moment, and so are their frames; each viewer still
// gets its own unread counts and its own view of burn-after-reading
// messages.

type snapshotKey struct {
	conv        tack.ID
	after, upTo int64
	limit       int
}

type snapshotEntry struct {
	at    time.Time
	ready chan struct{} // closed once msgs or err is set
	msgs  []Message     // as stored: each viewer annotates its own copy
	err   error

	mu     sync.Mutex
	frames [][]byte // the frames everyone but their senders sees (see neutralFrames)
}

type snapshotCache struct {
	mu      sync.Mutex
	entries map[snapshotKey]*snapshotEntry
}

const (
	snapshotTTL = 2 * time.Second
	snapshotMax = 4096
)

// closedReady is the ready channel of an entry made complete.
var closedReady = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// get returns k's messages if a fresh entry has them.
func (c *snapshotCache) get(k snapshotKey, now time.Time) ([]Message, bool) {
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if !ok || now.Sub(e.at) > snapshotTTL {
		return nil, false
	}
	select {
	case <-e.ready:
		return e.msgs, e.err == nil
	default:
		return nil, false
	}
}

// claim returns k's fresh entry, or makes a pending one that the caller
// must complete (mine): the members of a group that reconnect together
// then wait for one read instead of all reading at once.
func (c *snapshotCache) claim(k snapshotKey, now time.Time) (e *snapshotEntry, mine bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok && now.Sub(e.at) <= snapshotTTL {
		return e, false
	}
	e = &snapshotEntry{at: now, ready: make(chan struct{})}
	c.store(k, e)
	return e, true
}

// put stores a complete entry.
func (c *snapshotCache) put(k snapshotKey, msgs []Message, now time.Time) *snapshotEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &snapshotEntry{at: now, ready: closedReady, msgs: msgs}
	c.store(k, e)
	return e
}

func (c *snapshotCache) store(k snapshotKey, e *snapshotEntry) {
	if c.entries == nil || len(c.entries) >= snapshotMax {
		c.entries = make(map[snapshotKey]*snapshotEntry)
	}
	c.entries[k] = e
}

// drop removes k's entry if it is still e.
func (c *snapshotCache) drop(k snapshotKey, e *snapshotEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries[k] == e {
		delete(c.entries, k)
	}
}

// viewerDependent reports whether m's frame depends on who views it: the
// sender's own messages carry unread counts, and a burn-after-reading
// message shows its text only to some.
func viewerDependent(m *Message, viewer tack.ID) bool {
	return m.SenderID == viewer || burnView(m)
}

// burnView reports whether m is a burn-after-reading message, whose text
// depends on the viewer (secretView).
func burnView(m *Message) bool { return m.BurnAfterS != 0 && IsUserMessage(m.Kind) }

// neutralFrames returns the stream frames of e's messages as a member who
// sent none of them sees them (with their quotes), made once per entry;
// the frame of a burn-after-reading message is nil (every viewer gets its
// own). The frames are shared: read-only.
func (s *Service) neutralFrames(ctx context.Context, e *snapshotEntry) ([][]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.frames != nil {
		return e.frames, nil
	}
	ms := make([]Message, len(e.msgs))
	copy(ms, e.msgs)
	if err := s.annotate(ctx, "", ms); err != nil {
		return nil, err
	}
	fs := make([][]byte, len(ms))
	for i := range ms {
		if !burnView(&ms[i]) { // even a notice without a sender
			fs[i] = MessageFrame(&ms[i])
		}
	}
	e.frames = fs
	return fs, nil
}

// snapshot returns the entry of the changes of convID in (after, upTo],
// reading them if no fresh entry has them; callers that ask for the same
// range while it is read wait for that read. A failed read is not kept:
// each waiter then reads for itself.
func (s *Service) snapshot(ctx context.Context, convID tack.ID, after, upTo int64, limit int) (*snapshotEntry, error) {
	k := snapshotKey{convID, after, upTo, limit}
	e, mine := s.snapshots.claim(k, time.Now())
	if !mine {
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err == nil {
			return e, nil
		}
		e = &snapshotEntry{ready: closedReady} // read for this caller alone
	}
	ms, err := s.store.MessagesSince(ctx, convID, after, limit)
	if err != nil {
		err = fmt.Errorf("changes: %w", err)
		if mine {
			e.err = err
			s.snapshots.drop(k, e)
			close(e.ready)
		}
		return nil, err
	}
	n := len(ms)
	for n > 0 && ms[n-1].Mod > upTo {
		n-- // committed after the snapshot: the live stream brings it
	}
	e.msgs = ms[:n:n]
	if mine {
		close(e.ready)
	}
	return e, nil
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
	return s.changesUpTo(ctx, me.UserID, convID, after, upTo, limit)
}

// ChangeFrame is one change of a stream's catch-up: its mod and its frame
// (MessageFrame of the message as the caller sees it; read-only, as it may
// be shared with other viewers).
type ChangeFrame struct {
	Mod   int64
	Frame []byte
}

// ListedChangeFrames is ChangesUpTo as stream frames, for a conversation
// that Conversations listed for the same caller moments ago, with upTo at
// most the LastMod it listed (a stream's catch-up): the list showed the
// caller a member when that mod was read, so the membership is not read
// again. Members resuming from the same
// cursor share one read and one encoding of the messages none of them
// sent; each gets its own frames of its own messages and of
// burn-after-reading ones. A caller that is not signed in gets
// tack.EUnauthorized.
func (s *Service) ListedChangeFrames(ctx context.Context, convID tack.ID, after, upTo int64, limit int) ([]ChangeFrame, error) {
	viewer, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if upTo <= after {
		return nil, nil
	}
	e, err := s.snapshot(ctx, convID, after, upTo, limit)
	if err != nil {
		return nil, err
	}
	shared, err := s.neutralFrames(ctx, e)
	if err != nil {
		return nil, err
	}
	out := make([]ChangeFrame, len(e.msgs))
	var own []Message
	var at []int
	for i := range e.msgs {
		m := &e.msgs[i]
		if viewerDependent(m, viewer) {
			own, at = append(own, *m), append(at, i)
			continue
		}
		out[i] = ChangeFrame{Mod: m.Mod, Frame: shared[i]}
	}
	if len(own) > 0 {
		if err := s.annotate(ctx, viewer, own); err != nil {
			return nil, err
		}
		for j, i := range at {
			out[i] = ChangeFrame{Mod: own[j].Mod, Frame: MessageFrame(&own[j])}
		}
	}
	return out, nil
}

func (s *Service) changesUpTo(ctx context.Context, viewer, convID tack.ID, after, upTo int64, limit int) ([]Message, error) {
	if upTo <= after {
		return nil, nil
	}
	e, err := s.snapshot(ctx, convID, after, upTo, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(e.msgs)) // the viewer's own copies
	copy(out, e.msgs)
	if err := s.annotate(ctx, viewer, out); err != nil {
		return nil, err
	}
	return out, nil
}

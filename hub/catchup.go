package hub

import (
	"context"
	"encoding/json"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
)

// Catching a connection up from the store: at its start (from the client's
// cursors), on a late hello (Resume), and when the bus lost events (a gap).

// healPage is how many changes one read of gap healing or resume takes.
const healPage = 500

// catchUp writes the start of a connection: the hello answer, the
// conversations, what changed since the client's cursors, and synced.
func (h *Hub) catchUp(ctx context.Context, c *Conn, cursors map[tack.ID]int64) error {
	// The frames are collected by reference and copied into a write buffer
	// only when written: thousands of connections waiting here for the
	// store at once hold no write buffers.
	var out frames
	out.add(jsonFrame(map[string]any{"type": "hello", "user_id": c.caller.UserID, "session_id": c.caller.SessionID}))
	convs, err := h.src.Conversations(ctx)
	if err != nil {
		return err
	}
	// Conversations joined since Attach read the mods: subscribe, and once
	// the bus has the interest, read from the store what may have been
	// published before it had (queued behind this catch-up).
	var late []tack.ID
	h.mu.Lock()
	for _, conv := range convs {
		if h.subscribeLocked(c, conv.ID) && h.cfg.Interest != nil {
			late = append(late, conv.ID)
		}
	}
	h.mu.Unlock()
	if len(late) > 0 {
		h.sync(ctx)
	}
	for i := range convs {
		if convs[i].Kind == chat.Direct && convs[i].Peer != "" && convs[i].Peer != c.caller.UserID {
			c.peers = append(c.peers, convs[i].Peer)
		}
	}
	if cursors == nil && len(convs) > 0 {
		c.floors = make(map[tack.ID]int64, len(convs))
	}
	if c.cursors == nil && len(convs) > 0 {
		c.cursors = make(map[tack.ID]int64, len(convs))
	}
	for i := range convs {
		conv := &convs[i]
		out.add(jsonFrame(map[string]any{"type": "conversation", "conversation": conv}))
		known, ok := cursors[conv.ID]
		c.cursors[conv.ID] = conv.LastMod
		if c.floors != nil {
			c.floors[conv.ID] = conv.LastMod
		}
		if !ok || known >= conv.LastMod {
			continue
		}
		for known < conv.LastMod {
			cs, err := h.src.ListedChangeFrames(ctx, conv.ID, known, conv.LastMod, 200)
			if err != nil {
				return err
			}
			if len(cs) == 0 {
				break
			}
			for j := range cs {
				out.add(cs[j].Frame)
				known = cs[j].Mod
			}
			if out.size > 256<<10 {
				if err := h.flushFrames(c, &out); err != nil {
					return err
				}
			}
		}
		c.setCursor(conv.ID, max(known, conv.LastMod))
	}
	for _, id := range late {
		c.push(&bus.Event{Kind: healKind, ConversationID: id}, 1<<20)
	}
	out.add(syncedFrame)
	if err := h.flushFrames(c, &out); err != nil {
		return err
	}
	h.announce(c)
	return nil
}

var syncedFrame = []byte(`{"type":"synced"}`)

// frames are the frames of one write, by reference (see catchUp).
type frames struct {
	list [][]byte
	size int // bytes once written, separators included
}

func (f *frames) add(b []byte) {
	f.list = append(f.list, b)
	f.size += len(b) + 1
}

// flushFrames writes f as one batch and empties it.
func (h *Hub) flushFrames(c *Conn, f *frames) error {
	out := newBatch()
	defer out.release()
	for _, b := range f.list {
		out.add(b)
	}
	clear(f.list)
	f.list, f.size = f.list[:0], 0
	return h.flush(c, out)
}

func jsonFrame(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// heal serves a healKind entry: the changes of convID above c's cursor,
// read from the store now, page by page (more than Config.MaxHeal closes
// the connection with CloseResync, as for a gap). Live events of those
// changes, queued behind, are then skipped as sent. A conversation c has no
// cursor in (left, or joined without a known start) or can no longer read
// is skipped.
func (h *Hub) heal(ctx context.Context, c *Conn, out *batch, convID tack.ID) error {
	start, ok := c.cursors[convID]
	if !ok {
		return nil
	}
	cur := start
	defer func() {
		if cur > start {
			h.Healed.Add(1)
			c.cursors[convID] = cur
		}
	}()
	for n := 0; ; {
		ms, err := h.src.Changes(ctx, convID, cur, healPage)
		if err != nil {
			if code := tack.ErrorCode(err); code == tack.ENotFound || code == tack.EForbidden {
				return nil // left it meanwhile
			}
			return err
		}
		for i := range ms {
			if ms[i].Mod > cur {
				out.addJSON(chat.MessageFrameOf(&ms[i]))
				cur = ms[i].Mod
				n++
			}
		}
		if len(ms) < healPage {
			return nil
		}
		if n >= h.cfg.MaxHeal {
			h.Dropped.Add(1)
			return &kickError{code: CloseResync, reason: "too far behind; resume"}
		}
		if out.size() > 256<<10 {
			if err := h.flush(c, out); err != nil {
				return err
			}
		}
	}
}

// Resume asks a connection started without cursors for what the client
// missed before it connected: for each conversation in cursors, every
// change above the client's cursor that the connection has not sent, then
// a "synced" frame. It is queued behind the events already waiting, so
// nothing is sent twice and nothing is skipped. Only the first Resume of a
// connection counts; nil cursors just close that window. Resume does
// nothing on a connection not yet started.
func (h *Hub) Resume(c *Conn, cursors map[tack.ID]int64) {
	var payload []byte
	if cursors != nil {
		payload, _ = json.Marshal(cursors)
	}
	c.push(&bus.Event{Kind: resumeKind, Payload: payload}, 1<<20)
}

// fill appends the changes of convID with mods in (after, upTo] to out,
// page by page, flushing as the batch grows, and returns the highest mod
// it appended (after if none). More than limit changes make it give up
// with CloseResync: the client's resume will read them.
func (h *Hub) fill(ctx context.Context, c *Conn, out *batch, convID tack.ID, after, upTo int64, limit int) (int64, error) {
	cur, n := after, 0
	for cur < upTo {
		if n >= limit {
			h.Dropped.Add(1)
			return cur, &kickError{code: CloseResync, reason: "too far behind; resume"}
		}
		ms, err := h.src.ChangesUpTo(ctx, convID, cur, upTo, healPage)
		if err != nil {
			return cur, err
		}
		for i := range ms {
			if ms[i].Mod > cur {
				out.addJSON(chat.MessageFrameOf(&ms[i]))
				cur = ms[i].Mod
				n++
			}
		}
		if len(ms) < healPage {
			break // caught up: the rest of the range changed again later
		}
		if out.size() > 256<<10 {
			if err := h.flush(c, out); err != nil {
				return cur, err
			}
		}
	}
	return cur, nil
}

// resume serves a Resume request (see Hub.Resume).
func (h *Hub) resume(ctx context.Context, c *Conn, out *batch, payload []byte) error {
	floors := c.floors
	c.floors = nil // one resume per connection
	if payload == nil {
		return nil
	}
	var cursors map[tack.ID]int64
	if err := json.Unmarshal(payload, &cursors); err != nil {
		return err
	}
	for id, known := range cursors {
		floor, ok := floors[id]
		if !ok || known >= floor || known < 0 {
			continue
		}
		if _, err := h.fill(ctx, c, out, id, known, floor, 1<<62); err != nil {
			return err
		}
	}
	out.add([]byte(`{"type":"synced"}`))
	return nil
}

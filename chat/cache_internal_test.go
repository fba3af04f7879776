package chat

import (
	"strconv"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// The send cache keeps what was read unless a change raced with the read
// (its generation moved), forgets a conversation on invalidate, expires
// entries after sendCacheTTL, and is cleared when it holds sendCacheMax
// conversations.
func TestSendCache(t *testing.T) {
	var c sendCache
	conv, u := tack.NewID(), tack.NewID()
	now := time.Unix(1000, 0)
	gen := c.generation(conv)
	c.put(conv, gen, Conversation{ID: conv, Title: "a"}, u, Admin, false, now)
	if got, role, blocked, ok := c.get(conv, u, now); !ok || got.Title != "a" || role != Admin || blocked {
		t.Fatalf("get after put: %+v %q %v %v", got, role, blocked, ok)
	}
	if _, _, _, ok := c.get(conv, tack.NewID(), now); ok {
		t.Fatal("a member never looked up is cached")
	}
	// Expiry: still there at exactly its life, gone after.
	if _, _, _, ok := c.get(conv, u, now.Add(life(conv))); !ok {
		t.Fatal("expired at exactly its life")
	}
	if _, _, _, ok := c.get(conv, u, now.Add(life(conv)+time.Nanosecond)); ok {
		t.Fatal("kept past its life")
	}
	// A read that raced with a change does not store its result.
	gen = c.generation(conv)
	c.invalidate(conv)
	c.put(conv, gen, Conversation{ID: conv, Title: "stale"}, u, Member, true, now)
	if _, _, _, ok := c.get(conv, u, now); ok {
		t.Fatal("a stale read was cached")
	}
	gen = c.generation(conv)
	c.put(conv, gen, Conversation{ID: conv, Title: "b"}, u, Member, true, now)
	if got, _, blocked, ok := c.get(conv, u, now); !ok || got.Title != "b" || !blocked {
		t.Fatal("a fresh read was not cached")
	}
	c.invalidate(conv)
	if _, _, _, ok := c.get(conv, u, now); ok {
		t.Fatal("invalidate kept the entry")
	}
	// Full: cleared when the next conversation would exceed the cap.
	var full sendCache
	for i := 0; i < sendCacheMax; i++ {
		id := tack.ID(strconv.Itoa(i))
		full.put(id, 0, Conversation{}, u, Member, false, now)
	}
	if len(full.convs) != sendCacheMax {
		t.Fatalf("%d entries, want %d", len(full.convs), sendCacheMax)
	}
	full.put(conv, full.generation(conv), Conversation{}, u, Member, false, now)
	if len(full.convs) != 1 {
		t.Fatalf("%d entries after the cap, want 1", len(full.convs))
	}
}

func TestSnapshotCache(t *testing.T) {
	var c snapshotCache
	k := snapshotKey{conv: tack.NewID(), after: 1, upTo: 5, limit: 10}
	now := time.Unix(1000, 0)
	if _, ok := c.get(k, now); ok {
		t.Fatal("empty cache hit")
	}
	c.put(k, []Message{{Seq: 2}}, now)
	if ms, ok := c.get(k, now.Add(snapshotTTL)); !ok || len(ms) != 1 {
		t.Fatal("expired at exactly the TTL")
	}
	if _, ok := c.get(k, now.Add(snapshotTTL+time.Nanosecond)); ok {
		t.Fatal("kept past the TTL")
	}
	other := k
	other.limit = 11
	if _, ok := c.get(other, now); ok {
		t.Fatal("another limit shares the snapshot")
	}
	// Several ranges are held at once, up to the cap.
	c.put(other, []Message{{Seq: 3}}, now)
	if ms, ok := c.get(k, now); !ok || len(ms) != 1 || ms[0].Seq != 2 {
		t.Fatal("a second range pushed out the first")
	}
	if ms, ok := c.get(other, now); !ok || len(ms) != 1 || ms[0].Seq != 3 {
		t.Fatal("the second range is not held")
	}
	// A range being read is claimed once: asked again within the TTL (to
	// its last instant) it is the same entry; after, a new one to read.
	claimed := snapshotKey{conv: tack.NewID(), after: 1, upTo: 2, limit: 10}
	e, mine := c.claim(claimed, now)
	if !mine {
		t.Fatal("a new range is not the caller's to read")
	}
	if again, mine := c.claim(claimed, now.Add(snapshotTTL)); mine || again != e {
		t.Fatal("a range claimed within the TTL is claimed again")
	}
	if again, mine := c.claim(claimed, now.Add(snapshotTTL+time.Nanosecond)); !mine || again == e {
		t.Fatal("a range past the TTL is not read again")
	}
	// Full: cleared when the next range would exceed the cap.
	var full snapshotCache
	for i := 0; i < snapshotMax; i++ {
		full.put(snapshotKey{conv: k.conv, after: int64(i) + 100}, nil, now)
	}
	if len(full.entries) != snapshotMax {
		t.Fatalf("%d entries, want %d", len(full.entries), snapshotMax)
	}
	full.put(k, nil, now)
	if len(full.entries) != 1 {
		t.Fatalf("%d entries after the cap, want 1 (cleared)", len(full.entries))
	}
}

// known answers only when the cache holds every member of the conversation,
// within the TTL, and forgets on invalidate: a read event of a direct chat
// is addressed from it only when both people are known.
func TestSendCacheKnown(t *testing.T) {
	var c sendCache
	conv, a, b := tack.NewID(), tack.NewID(), tack.NewID()
	now := time.Unix(1000, 0)
	dc := Conversation{ID: conv, Kind: Direct, MemberCount: 2}
	c.put(conv, c.generation(conv), dc, a, Member, false, now)
	if _, ids, ok := c.known(conv, now); ok {
		t.Fatalf("known with one of two members cached: %v", ids)
	}
	c.put(conv, c.generation(conv), dc, b, Member, false, now)
	got, ids, ok := c.known(conv, now)
	if !ok || got.ID != conv || len(ids) != 2 || !(ids[0] == a && ids[1] == b || ids[0] == b && ids[1] == a) {
		t.Fatalf("known = %+v, %v, %v; want both members", got, ids, ok)
	}
	if _, _, ok := c.known(conv, now.Add(life(conv))); !ok {
		t.Fatal("forgotten at exactly its life")
	}
	if _, _, ok := c.known(conv, now.Add(life(conv)+time.Nanosecond)); ok {
		t.Fatal("known past its life")
	}
	c.invalidate(conv)
	if _, _, ok := c.known(conv, now); ok {
		t.Fatal("known after invalidate")
	}
	if _, _, ok := c.known(tack.NewID(), now); ok {
		t.Fatal("known for a conversation never cached")
	}
}

// Conversations cached in the same instant expire spread over the second
// half of the TTL, never after it: all at once, a thousand chats read back
// together queued every send behind the read pool (the direct bench's
// paced phase, p99 about 500 ms).
func TestSendCacheLifeSpread(t *testing.T) {
	var c sendCache
	u := tack.NewID()
	now := time.Unix(1000, 0)
	lo, hi := sendCacheTTL, time.Duration(0)
	for i := 0; i < 1000; i++ {
		conv := tack.NewID()
		c.put(conv, c.generation(conv), Conversation{ID: conv}, u, Member, false, now)
		d := c.convs[conv].expires.Sub(now)
		if d < sendCacheTTL/2 || d >= sendCacheTTL {
			t.Fatalf("an entry lives %v, want [%v, %v)", d, sendCacheTTL/2, sendCacheTTL)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > sendCacheTTL*6/10 || hi < sendCacheTTL*9/10 {
		t.Fatalf("lives of 1,000 entries span %v to %v: not spread over [%v, %v)", lo, hi, sendCacheTTL/2, sendCacheTTL)
	}
}

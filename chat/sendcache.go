package chat

import (
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// sendCache keeps, per conversation, what Send checks on every message (the
// conversation's kind, mute switch and member count, and the roles of the
// members who sent lately), so that a send costs no database read.
//
// It is invalidated by every membership and settings change, and by a
// block or unblock between the two people of a direct chat: locally when
// the change is applied, and on every node through the bus (HandleEvent).
// A generation counter per conversation stops a read that raced with a
// change from storing its stale result. Entries also expire, after at most
// sendCacheTTL, which bounds staleness if a bus event is lost; how long
// one lives is spread between half the TTL and the TTL by its
// conversation (life), so that conversations cached together do not all
// expire together: a thousand busy chats read back in the same instant
// queued every send behind the read pool for hundreds of milliseconds.
type sendCache struct {
	mu    sync.Mutex
	convs map[tack.ID]*sendEntry
	gens  map[tack.ID]uint64
}

type sendEntry struct {
	conv    Conversation
	roles   map[tack.ID]string
	blocked bool // a direct chat whose two people blocked one another
	expires time.Time
}

const (
	sendCacheTTL = 5 * time.Second
	sendCacheMax = 100_000 // conversations; cleared when exceeded
)

// get returns the conversation, uid's role and whether the conversation
// is a blocked direct chat, if they are cached.
func (c *sendCache) get(convID, uid tack.ID, now time.Time) (Conversation, string, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.convs[convID]
	if e == nil {
		return Conversation{}, "", false, false
	}
	if now.After(e.expires) {
		delete(c.convs, convID)
		return Conversation{}, "", false, false
	}
	role, ok := e.roles[uid]
	return e.conv, role, e.blocked, ok
}

// known returns the conversation and all its members, if the cache holds
// every member's role (a paired chat whose two people have both sent in
// the last seconds).
func (c *sendCache) known(convID tack.ID, now time.Time) (Conversation, []tack.ID, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.convs[convID]
	if e == nil || now.After(e.expires) || len(e.roles) != e.conv.MemberCount {
		return Conversation{}, nil, false
	}
	ids := make([]tack.ID, 0, len(e.roles))
	for id := range e.roles {
		ids = append(ids, id)
	}
	return e.conv, ids, true
}

// generation is read before the database, and passed to put.
func (c *sendCache) generation(convID tack.ID) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gens[convID]
}

func (c *sendCache) put(convID tack.ID, gen uint64, conv Conversation, uid tack.ID, role string, blocked bool, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens[convID] != gen {
		return // changed while we read
	}
	if c.convs == nil || len(c.convs) >= sendCacheMax {
		c.convs = make(map[tack.ID]*sendEntry)
	}
	e := c.convs[convID]
	if e == nil {
		e = &sendEntry{conv: conv, roles: make(map[tack.ID]string), expires: now.Add(life(convID))}
		c.convs[convID] = e
	}
	e.roles[uid] = role
	e.blocked = blocked
}

// life is how long convID's entry is kept: from sendCacheTTL/2 up to (not
// including) sendCacheTTL (tack.Life).
func life(convID tack.ID) time.Duration { return tack.Life(string(convID), sendCacheTTL) }

func (c *sendCache) invalidate(convID tack.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens == nil {
		c.gens = make(map[tack.ID]uint64)
	}
	c.gens[convID]++
	delete(c.convs, convID)
}

// HandleEvent keeps the Service's caches in step with changes made on any
// node. Wire it to the bus.
func (s *Service) HandleEvent(e *bus.Event) {
	switch e.Kind {
	case bus.Member, bus.Conversation:
		s.cache.invalidate(e.ConversationID)
	}
}

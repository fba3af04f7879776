// Package presence tracks who is online, in memory only. Nodes announce
// their users coming and going over the bus, and re-announce them every
// Heartbeat; an entry not heard of for TTL (a node that died) expires.
// Nothing touches the database.
package presence

import (
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// Heartbeat is how often a node re-announces its online users; TTL is how
// long an announcement lasts.
const (
	Heartbeat = 30 * time.Second
	TTL       = 3 * Heartbeat
)

// Tracker knows, per user, on which nodes it is online and since when it was
// last heard of. The zero value is ready to use; it is safe for concurrent use.
type Tracker struct {
	mu    sync.Mutex
	nodes map[tack.ID]map[string]time.Time // user -> node -> last heard
	now   func() time.Time
}

func (t *Tracker) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

// Handle records a presence event (Action "online" or "offline"; Subject
// the user, or Users for a heartbeat of many).
func (t *Tracker) Handle(e *bus.Event) {
	if e.Kind != bus.Presence {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.nodes == nil {
		t.nodes = make(map[tack.ID]map[string]time.Time)
	}
	now := t.clock()
	set := func(u tack.ID) {
		m := t.nodes[u]
		if e.Action == "offline" {
			delete(m, e.Origin)
			if len(m) == 0 {
				delete(t.nodes, u)
			}
			return
		}
		if m == nil {
			m = make(map[string]time.Time)
			t.nodes[u] = m
		}
		m[e.Origin] = now
	}
	if e.Action == "heartbeat" {
		for _, u := range e.Users {
			set(u)
		}
		return
	}
	set(e.Subject)
}

// Online reports whether user is online on any node.
func (t *Tracker) Online(user tack.ID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock()
	for node, at := range t.nodes[user] {
		if now.Sub(at) < TTL {
			return true
		}
		delete(t.nodes[user], node)
	}
	return false
}

// Sweep forgets expired entries; call it now and then.
func (t *Tracker) Sweep() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock()
	for u, m := range t.nodes {
		for node, at := range m {
			if now.Sub(at) >= TTL {
				delete(m, node)
			}
		}
		if len(m) == 0 {
			delete(t.nodes, u)
		}
	}
}

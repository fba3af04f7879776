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
	mu sync.Mutex
	// nodes holds, per user, the nodes it is online on, each with when it
	// was last heard of. A user is nearly always on one node: a slice of
	// one costs 48 bytes where a map per user cost 400.
	nodes map[tack.ID][]heard
	now   func() time.Time
}

// heard is one node a user is online on.
type heard struct {
	node string
	at   time.Time
}

// index returns the position of node in hs, or -1.
func index(hs []heard, node string) int {
	for i := range hs {
		if hs[i].node == node {
			return i
		}
	}
	return -1
}

// without returns hs without its element i (in place).
func without(hs []heard, i int) []heard {
	hs[i] = hs[len(hs)-1]
	hs[len(hs)-1] = heard{}
	return hs[:len(hs)-1]
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
		t.nodes = make(map[tack.ID][]heard)
	}
	now := t.clock()
	set := func(u tack.ID) {
		hs := t.nodes[u]
		i := index(hs, e.Origin)
		if e.Action == "offline" {
			if i < 0 {
				return
			}
			if hs = without(hs, i); len(hs) == 0 {
				delete(t.nodes, u)
			} else {
				t.nodes[u] = hs
			}
			return
		}
		if i >= 0 {
			hs[i].at = now
			return
		}
		t.nodes[u] = append(hs, heard{node: e.Origin, at: now})
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
	hs := t.nodes[user]
	n := len(hs)
	online := false
	for i := 0; i < len(hs); {
		if now.Sub(hs[i].at) < TTL {
			online = true
			break
		}
		hs = without(hs, i) // expired: forget it
	}
	switch {
	case n == 0:
	case len(hs) == 0:
		delete(t.nodes, user)
	case len(hs) != n:
		t.nodes[user] = hs
	}
	return online
}

// Sweep forgets expired entries; call it now and then.
func (t *Tracker) Sweep() {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock()
	for u, hs := range t.nodes {
		n := len(hs)
		for i := 0; i < len(hs); {
			if now.Sub(hs[i].at) >= TTL {
				hs = without(hs, i)
			} else {
				i++
			}
		}
		switch {
		case len(hs) == 0:
			delete(t.nodes, u)
		case len(hs) != n:
			t.nodes[u] = hs
		}
	}
}

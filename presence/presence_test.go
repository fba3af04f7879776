package presence

import (
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

func TestTracker(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := &Tracker{now: func() time.Time { return now }}
	u := tack.NewID()
	if tr.Online(u) {
		t.Fatal("online before any event")
	}
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "online", Origin: "a"})
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "online", Origin: "b"})
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "offline", Origin: "a"})
	if !tr.Online(u) {
		t.Fatal("offline on a but online on b: should be online")
	}
	now = now.Add(TTL / 2)
	tr.Handle(&bus.Event{Kind: bus.Presence, Action: "heartbeat", Users: []tack.ID{u}, Origin: "b"})
	now = now.Add(TTL - time.Second)
	if !tr.Online(u) {
		t.Fatal("heartbeat did not refresh")
	}
	now = now.Add(2 * time.Second) // node b died: no more heartbeats
	if tr.Online(u) {
		t.Fatal("did not expire")
	}
	tr.Sweep()
	if len(tr.nodes) != 0 {
		t.Fatal("sweep kept entries")
	}
}

// An entry expires at exactly TTL, and Sweep keeps what is still fresh.
func TestTrackerExpiryBoundary(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := &Tracker{now: func() time.Time { return now }}
	u, v := tack.NewID(), tack.NewID()
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "online", Origin: "a"})
	now = now.Add(TTL - time.Nanosecond)
	if !tr.Online(u) {
		t.Fatal("expired before TTL")
	}
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: v, Action: "online", Origin: "a"})
	now = now.Add(time.Nanosecond)
	if tr.Online(u) {
		t.Fatal("still online at exactly TTL")
	}
	tr.Sweep()
	if len(tr.nodes) != 1 || len(tr.nodes[v]) != 1 {
		t.Fatalf("sweep: %v", tr.nodes)
	}
	now = now.Add(TTL - time.Nanosecond)
	tr.Sweep()
	if len(tr.nodes) != 0 {
		t.Fatalf("sweep at exactly TTL kept %v", tr.nodes)
	}
}

// Online forgets the expired nodes of a user it finds online on another,
// and a node heard of again is refreshed, not listed twice.
func TestTrackerOnlineForgetsExpiredNodes(t *testing.T) {
	now := time.Unix(1000, 0)
	tr := &Tracker{now: func() time.Time { return now }}
	u := tack.NewID()
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "online", Origin: "a"})
	now = now.Add(TTL / 2)
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "online", Origin: "b"})
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "online", Origin: "b"})
	if len(tr.nodes[u]) != 2 {
		t.Fatalf("two nodes: %v", tr.nodes[u])
	}
	now = now.Add(TTL / 2) // a expired, b fresh
	if !tr.Online(u) {
		t.Fatal("online on b: should be online")
	}
	if hs := tr.nodes[u]; len(hs) != 1 || hs[0].node != "b" {
		t.Fatalf("after Online: %v, want b only", hs)
	}
	tr.Handle(&bus.Event{Kind: bus.Presence, Subject: u, Action: "offline", Origin: "b"})
	if _, ok := tr.nodes[u]; ok || tr.Online(u) {
		t.Fatalf("offline everywhere: %v", tr.nodes)
	}
}

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

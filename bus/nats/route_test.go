package nats_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	busnats "github.com/tackhq/tack/bus/nats"
	"github.com/tackhq/tack/bus/nats/natstest"
)

// The tests below rely on one NATS server keeping the order of one
// publisher's messages to one subscriber across subjects: a broadcast
// marker published after routed events arrives after them, so once a node
// has the marker, a routed event it has not received never will be.

const markerAction = "marker"

// marker publishes a broadcast event that every node receives.
func marker(t *testing.T, b *busnats.Bus, i int) {
	t.Helper()
	if err := b.Publish(context.Background(), &bus.Event{Kind: bus.Presence, Action: markerAction, Mod: int64(i)}); err != nil {
		t.Fatal(err)
	}
}

// untilMarker waits for marker i and returns the events before it, markers
// left out.
func (c *collector) untilMarker(t *testing.T, i int) []*bus.Event {
	t.Helper()
	for n := 1; ; n++ {
		evs := c.waitFor(t, n)
		if e := evs[n-1]; e.Kind == bus.Presence && e.Action == markerAction && e.Mod == int64(i) {
			var out []*bus.Event
			for _, e := range evs[:n-1] {
				if !(e.Kind == bus.Presence && e.Action == markerAction) {
					out = append(out, e)
				}
			}
			return out
		}
	}
}

func want(t *testing.T, b *busnats.Bus, topics ...bus.Topic) {
	t.Helper()
	b.Want(topics...)
	if err := b.Sync(context.Background()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

func publish(t *testing.T, b *busnats.Bus, e *bus.Event) {
	t.Helper()
	if err := b.Publish(context.Background(), e); err != nil {
		t.Fatal(err)
	}
}

func users(evs []*bus.Event) [][]tack.ID {
	var out [][]tack.ID
	for _, e := range evs {
		out = append(out, e.Users)
	}
	return out
}

// TestRouteByUser: an event with Users reaches the nodes holding one of
// them, once per held user, narrowed to that user; nodes holding none of
// them never see it. Wanting and syncing before the publish is enough: no
// retry.
func TestRouteByUser(t *testing.T) {
	url := natstest.RunServer(t)
	a, b, c := newBus(t, url), newBus(t, url), newBus(t, url)
	ca, cb, cc := collect(t, a), collect(t, b), collect(t, c)
	u1, u2, u3 := tack.NewID(), tack.NewID(), tack.NewID()
	want(t, b, bus.UserTopic(u1))
	want(t, c, bus.UserTopic(u2), bus.UserTopic(u3))
	publish(t, a, &bus.Event{Kind: bus.Read, ConversationID: "conv", Users: []tack.ID{u1, u2, u3, u1}, Payload: []byte(`{"type":"read"}`)})
	marker(t, a, 1)
	if got := ca.untilMarker(t, 1); len(got) != 0 {
		t.Errorf("publisher, holding nobody, received %d routed events", len(got))
	}
	if got := users(cb.untilMarker(t, 1)); !reflect.DeepEqual(got, [][]tack.ID{{u1}}) {
		t.Errorf("node holding u1 received copies for %v, want one for u1", got)
	}
	got := users(cc.untilMarker(t, 1))
	if len(got) != 2 || !(reflect.DeepEqual(got, [][]tack.ID{{u2}, {u3}}) || reflect.DeepEqual(got, [][]tack.ID{{u3}, {u2}})) {
		t.Errorf("node holding u2 and u3 received copies for %v, want one each", got)
	}
	evs := cb.untilMarker(t, 1)
	if e := evs[0]; e.Kind != bus.Read || e.ConversationID != "conv" || string(e.Payload) != `{"type":"read"}` || e.Origin != a.Origin() {
		t.Errorf("routed event arrived as %+v", *e)
	}
}

// TestRouteByConversation: an event with only a ConversationID reaches the
// nodes holding the conversation; control kinds reach every node.
func TestRouteByConversation(t *testing.T) {
	url := natstest.RunServer(t)
	a, b, c := newBus(t, url), newBus(t, url), newBus(t, url)
	cb, cc := collect(t, b), collect(t, c)
	c1, c2 := tack.NewID(), tack.NewID()
	want(t, b, bus.ConversationTopic(c1))
	want(t, c, bus.ConversationTopic(c2))
	for i, e := range []*bus.Event{
		{Kind: bus.Message, ConversationID: c1, Mod: 1},
		{Kind: bus.Typing, ConversationID: c1},
		{Kind: bus.Read, ConversationID: c2},
		{Kind: bus.Message, ConversationID: c1, Mod: 2},
		{Kind: bus.Member, ConversationID: c1, Action: "added"}, // control: everyone
	} {
		e.Payload = fmt.Appendf(nil, `{"n":%d}`, i)
		publish(t, a, e)
	}
	marker(t, a, 1)
	kinds := func(evs []*bus.Event) (out []string) {
		for _, e := range evs {
			out = append(out, fmt.Sprintf("%s/%s/%d", e.Kind, e.ConversationID, e.Mod))
		}
		return out
	}
	wantB := []string{"message/" + string(c1) + "/1", "typing/" + string(c1) + "/0", "message/" + string(c1) + "/2", "member/" + string(c1) + "/0"}
	if got := kinds(cb.untilMarker(t, 1)); !reflect.DeepEqual(got, wantB) {
		t.Errorf("node holding c1 received %v, want %v", got, wantB)
	}
	wantC := []string{"read/" + string(c2) + "/0", "member/" + string(c1) + "/0"}
	if got := kinds(cc.untilMarker(t, 1)); !reflect.DeepEqual(got, wantC) {
		t.Errorf("node holding c2 received %v, want %v", got, wantC)
	}
	if got := b.Received(); got[bus.Message] != 2 || got[bus.Typing] != 1 || got[bus.Read] != 0 || got[bus.Member] != 1 {
		t.Errorf("Received() = %v", got)
	}
}

// TestRouteFallback: above MaxUserSubjects distinct users an event is
// broadcast once, whole; at the cap it is still routed.
func TestRouteFallback(t *testing.T) {
	url := natstest.RunServer(t)
	a, b, c := newBus(t, url), newBus(t, url), newBus(t, url)
	cb, cc := collect(t, b), collect(t, c)
	many := make([]tack.ID, busnats.MaxUserSubjects+1)
	for i := range many {
		many[i] = tack.NewID()
	}
	want(t, b, bus.UserTopic(many[0]), bus.UserTopic(many[1]))
	publish(t, a, &bus.Event{Kind: bus.Read, Users: many[:busnats.MaxUserSubjects], Mod: 1}) // routed
	publish(t, a, &bus.Event{Kind: bus.Read, Users: many, Mod: 2})                           // broadcast
	marker(t, a, 1)
	got := cb.untilMarker(t, 1)
	if len(got) != 3 || got[0].Mod != 1 || got[1].Mod != 1 || got[2].Mod != 2 || len(got[2].Users) != len(many) {
		t.Errorf("node holding two users received %d events: %v", len(got), users(got))
	}
	got = cc.untilMarker(t, 1)
	if len(got) != 1 || got[0].Mod != 2 || !reflect.DeepEqual(got[0].Users, many) {
		t.Errorf("node holding nobody received %d events, want the broadcast one whole", len(got))
	}
}

// TestInterestRefcount: the first Want subscribes, the last Drop
// unsubscribes, and a Drop of what is not held does nothing.
func TestInterestRefcount(t *testing.T) {
	url := natstest.RunServer(t)
	a, b := newBus(t, url), newBus(t, url)
	cb := collect(t, b)
	u, conv := tack.NewID(), tack.NewID()
	b.Drop(bus.UserTopic(u)) // not held: nothing
	want(t, b, bus.UserTopic(u), bus.ConversationTopic(conv))
	want(t, b, bus.UserTopic(u))
	if n := b.Interests(); n != 2 {
		t.Fatalf("Interests() = %d, want 2", n)
	}
	send := func(i int) []*bus.Event {
		publish(t, a, &bus.Event{Kind: bus.Typing, Users: []tack.ID{u}, Mod: int64(i)})
		publish(t, a, &bus.Event{Kind: bus.Typing, ConversationID: conv, Mod: int64(i)})
		marker(t, a, i)
		return cb.untilMarker(t, i)
	}
	if got := send(1); len(got) != 2 {
		t.Fatalf("holding both: %d events, want 2", len(got))
	}
	b.Drop(bus.UserTopic(u), bus.ConversationTopic(conv))
	if err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := send(2); len(got) != 3 || got[2].Users[0] != u {
		t.Fatalf("user still held once, conversation dropped: %d events in all, want the user's", len(got))
	}
	b.Drop(bus.UserTopic(u))
	b.Drop(bus.UserTopic(u)) // once too many: nothing
	if err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := b.Interests(); n != 0 {
		t.Fatalf("Interests() = %d after the last Drop", n)
	}
	if got := send(3); len(got) != 3 {
		t.Fatalf("nothing held: %d events in all, want no new one", len(got))
	}
	// Held again: subscribed again.
	want(t, b, bus.UserTopic(u))
	if got := send(4); len(got) != 4 {
		t.Fatalf("held again: %d events in all, want one more", len(got))
	}
}

// TestRouteOrder: events one Bus publishes on broadcast, user and
// conversation subjects arrive at a node holding them in publish order.
func TestRouteOrder(t *testing.T) {
	url := natstest.RunServer(t)
	a, b := newBus(t, url), newBus(t, url)
	cb := collect(t, b)
	u, conv := tack.NewID(), tack.NewID()
	want(t, b, bus.UserTopic(u), bus.ConversationTopic(conv))
	const n = 3000
	for i := 1; i <= n; i++ {
		e := &bus.Event{Kind: bus.Message, Mod: int64(i)}
		switch i % 3 {
		case 0:
			e.Users = []tack.ID{u}
		case 1:
			e.ConversationID = conv
		case 2:
			e.Kind = bus.Member // broadcast
		}
		publish(t, a, e)
	}
	for i, e := range cb.waitFor(t, n) {
		if e.Mod != int64(i+1) {
			t.Fatalf("event %d has Mod %d", i, e.Mod)
		}
	}
}

// TestInterestClosed: after Close, Want and Drop do nothing and Sync fails.
func TestInterestClosed(t *testing.T) {
	url := natstest.RunServer(t)
	a := newBus(t, url)
	u := tack.NewID()
	a.Want(bus.UserTopic(u))
	a.Close()
	a.Want(bus.UserTopic(u), bus.UserTopic("bad.id"), bus.Topic{})
	a.Drop(bus.UserTopic(u))
	if err := a.Sync(context.Background()); !errors.Is(err, busnats.ErrClosed) {
		t.Errorf("Sync after Close: %v, want ErrClosed", err)
	}
}

// TestRouteBadIDs: IDs that cannot be subject tokens are broadcast, never
// lost.
func TestRouteBadIDs(t *testing.T) {
	url := natstest.RunServer(t)
	a, b := newBus(t, url), newBus(t, url)
	cb := collect(t, b)
	publish(t, a, &bus.Event{Kind: bus.Read, Users: []tack.ID{"x.y"}, Mod: 1})
	publish(t, a, &bus.Event{Kind: bus.Typing, ConversationID: "a*", Mod: 2})
	marker(t, a, 1)
	if got := cb.untilMarker(t, 1); len(got) != 2 {
		t.Errorf("%d of 2 events with odd IDs arrived", len(got))
	}
}

package platform

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// loopStore is eventStore with outgoing robots.
type loopStore struct {
	*eventStore
	outgoing []Robot
}

func (m loopStore) OutgoingRobots(context.Context) ([]Robot, error) { return m.outgoing, nil }

// loopWorld is fakeWorld with organisation groups.
type loopWorld struct {
	*fakeWorld
	groups map[tack.ID][]tack.ID
}

func (w loopWorld) OrgGroups(_ context.Context, org tack.ID) ([]tack.ID, error) {
	return w.groups[org], nil
}

// countingCaller counts the outgoing robot calls, by URL.
type countingCaller struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingCaller) Call(_ context.Context, url string, _ map[string]string, _ []byte, _ int) (int, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[url]++
	return 200, nil, nil
}

// TestMessageEvents: a committed message reaches the apps subscribed to
// its organisation group's messages, and calls the outgoing robots of its
// conversation that its text mentions, whether or not the conversation is
// an organisation group with subscribers; a text without an '@' calls no
// robot, and a message elsewhere does neither.
func TestMessageEvents(t *testing.T) {
	const orgA = tack.ID("orga000000000000")
	g1, g2, direct := tack.NewID(), tack.NewID(), tack.NewID()
	st := loopStore{eventStore: &eventStore{memStore: memStore{robots: map[tack.ID]Robot{}}, off: map[tack.ID][]string{}}}
	st.apps = []App{{ID: "app1000000000000", OrgID: orgA, Events: []string{EventMessage}, CallbackURL: "https://a.example/cb"}}
	st.outgoing = []Robot{
		{ID: tack.NewID(), ConversationID: g1, Name: "R1", BotID: tack.NewID(), Secret: "SEC1", OutgoingURL: "https://r1.example/"},
		{ID: tack.NewID(), ConversationID: g2, Name: "R2", BotID: tack.NewID(), Secret: "SEC2", OutgoingURL: "https://r2.example/"},
	}
	w := loopWorld{fakeWorld: &fakeWorld{}, groups: map[tack.ID][]tack.ID{orgA: {g1}}}
	caller := &countingCaller{calls: map[string]int{}}
	s := NewService(st, w, w, w, w, func() time.Time { return time.UnixMilli(1700000000000) }, Config{Outgoing: caller})
	frame := func(conv tack.ID, seq int, text string) []byte {
		return []byte(`{"type":"message","message":{"conversation_id":"` + string(conv) + `","seq":` + string(rune('0'+seq)) +
			`,"sender_id":"` + string(tack.NewID()) + `","kind":"text","text":"` + text + `"}}`)
	}
	s.HandleMessage(g1, frame(g1, 1, "hello"))         // an event, no robot
	s.HandleMessage(g1, frame(g1, 2, "@R1 yo"))        // an event and R1
	s.HandleMessage(g2, frame(g2, 1, "@R2 ping"))      // R2 only: g2 has no subscribers
	s.HandleMessage(g2, frame(g2, 2, "hi R2"))         // nothing: no '@'
	s.HandleMessage(direct, frame(direct, 1, "@R2 x")) // nothing: no robot there
	s.Close()                                          // handles what is queued, waits for the calls
	ds := st.deliveries()
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2 (both of g1's messages)", len(ds))
	}
	for _, d := range ds {
		if d.AppID != "app1000000000000" || d.Key != string(g1) {
			t.Fatalf("delivery %+v, want g1's to app1", d)
		}
	}
	caller.mu.Lock()
	defer caller.mu.Unlock()
	if caller.calls["https://r1.example/"] != 1 || caller.calls["https://r2.example/"] != 1 || len(caller.calls) != 2 {
		t.Fatalf("robot calls %v, want R1 and R2 once each", caller.calls)
	}
}

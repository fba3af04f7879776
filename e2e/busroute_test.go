package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack/bus"
	busnats "github.com/tackhq/tack/bus/nats"
	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// tap counts what one node's bus delivers to it: routed events by
// conversation (and Mod, for messages), and the test's markers by origin.
type tap struct {
	mu      sync.Mutex
	msgs    map[string]map[int64]int // conversation -> mod -> copies
	others  map[string]int           // read and typing events by conversation
	markers map[string]bool
	changed chan struct{}
}

const tapMarker = "test_marker" // a kind no node acts on

func newTap(t *testing.T, b bus.Bus) *tap {
	t.Helper()
	tp := &tap{msgs: map[string]map[int64]int{}, others: map[string]int{}, markers: map[string]bool{}, changed: make(chan struct{}, 1)}
	cancel, err := b.Subscribe(func(e *bus.Event) {
		tp.mu.Lock()
		switch e.Kind {
		case bus.Message:
			c := string(e.ConversationID)
			if tp.msgs[c] == nil {
				tp.msgs[c] = map[int64]int{}
			}
			tp.msgs[c][e.Mod]++
		case bus.Read, bus.Typing:
			tp.others[string(e.ConversationID)]++
		case tapMarker:
			tp.markers[e.Origin] = true
		}
		tp.mu.Unlock()
		select {
		case tp.changed <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cancel)
	return tp
}

// waitFor waits until cond (called with tp.mu held) holds.
func (tp *tap) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		tp.mu.Lock()
		ok := cond()
		tp.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-tp.changed:
		case <-deadline:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

func multiNodeConfig(t *testing.T) tacktest.Option {
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	return tacktest.WithConfig(func(c *node.Config) { c.PostgresURL, c.NATSURL = dsn, natsURL })
}

// TestBusRoutesByInterest: three nodes on one PostgreSQL and NATS, two
// users on each; three direct chats, each between users on a different pair
// of nodes. Every message reaches both members once, and each node's bus
// delivers it the messages, read positions and typing of the two chats it
// holds members of, each message once, and nothing of the third chat.
func TestBusRoutesByInterest(t *testing.T) {
	if testing.Short() {
		t.Skip("three nodes on PostgreSQL")
	}
	cfg := multiNodeConfig(t)
	var nodes []*tacktest.Server
	var taps []*tap
	for range 3 {
		s := tacktest.NewServer(t, cfg)
		nodes = append(nodes, s)
		taps = append(taps, newTap(t, s.Node.Bus))
	}
	ctx := ctxT(t)
	var users [3][2]*tacktest.User // users[i] are on node i
	for i := range 3 {
		for j := range 2 {
			users[i][j] = nodes[i].NewUser(t, fmt.Sprintf("n%d-%d", i, j))
		}
	}
	// Chat k: users[k][0] (node k) with users[k+1][1] (node k+1); node
	// k+2 holds nobody in it.
	type chat struct {
		id      string
		members [2]*tacktest.User
		streams [2]*client.Stream
		nodes   [2]int
		other   int
	}
	var chats [3]*chat
	for k := range 3 {
		a, b := users[k][0], users[(k+1)%3][1]
		conv := mustDo[client.Conversation](t)(a.CreateConversation(ctx, "direct", []string{b.ID}, ""))
		chats[k] = &chat{id: string(conv.ID), members: [2]*tacktest.User{a, b}, nodes: [2]int{k, (k + 1) % 3}, other: (k + 2) % 3}
	}
	for _, c := range chats {
		for m := range 2 {
			c.streams[m] = connect(t, c.members[m].Client, nil)
		}
	}

	const perUser = 20
	mods := make([][]int64, 3)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for k, c := range chats {
		for m := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range perUser {
					msg, err := c.members[m].Send(ctx, c.id, client.Draft{ClientID: fmt.Sprintf("c%d-m%d-%d", k, m, n), Text: fmt.Sprintf("chat %d member %d says %d", k, m, n)})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					mods[k] = append(mods[k], msg.Mod)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for k, c := range chats {
		for m := range 2 {
			// Each member gets both sides' messages, each once (collectTexts
			// fails on a duplicate).
			collectTexts(t, c.streams[m], 2*perUser)
			if err := c.members[m].Typing(ctx, c.id); err != nil {
				t.Fatal(err)
			}
		}
		// The last word, then the other member reads up to it.
		last := mustDo[client.Message](t)(c.members[0].Send(ctx, c.id, client.Draft{ClientID: fmt.Sprintf("c%d-last", k), Text: "last"}))
		mods[k] = append(mods[k], last.Mod)
		collectTexts(t, c.streams[1], 1)
		if _, err := c.members[1].MarkRead(ctx, c.id, last.Seq); err != nil {
			t.Fatalf("chat %d: mark read: %v", k, err)
		}
		waitEvent(t, c.streams[0], "the read position", func(e client.Event) bool { return e.Type == "read" && e.Seq == last.Seq })
	}
	// A marker from each node, published after everything above: a node
	// that has every node's marker has everything it will ever get of it.
	for _, s := range nodes {
		if err := s.Node.Bus.Publish(ctx, &bus.Event{Kind: tapMarker}); err != nil {
			t.Fatal(err)
		}
	}
	var origins []string
	for _, s := range nodes {
		origins = append(origins, s.Node.Bus.(*busnats.Bus).Origin())
	}
	for i, tp := range taps {
		tp.waitFor(t, fmt.Sprintf("node %d's markers", i), func() bool {
			for _, o := range origins {
				if !tp.markers[o] {
					return false
				}
			}
			return true
		})
	}
	total := 0
	for k := range chats {
		total += len(mods[k])
	}
	for i, tp := range taps {
		tp.mu.Lock()
		got := 0
		for k, c := range chats {
			n, copies := len(tp.msgs[c.id]), 0
			for _, v := range tp.msgs[c.id] {
				copies += v
			}
			if c.other == i {
				if copies != 0 || tp.others[c.id] != 0 {
					t.Errorf("node %d, holding nobody in chat %d, received %d message and %d read/typing events of it", i, k, copies, tp.others[c.id])
				}
				continue
			}
			for _, mod := range mods[k] {
				if tp.msgs[c.id][mod] != 1 {
					t.Errorf("node %d received message mod %d of chat %d %d times, want once", i, mod, k, tp.msgs[c.id][mod])
				}
			}
			if copies != n {
				t.Errorf("node %d received %d copies of %d messages of chat %d", i, copies, n, k)
			}
			if tp.others[c.id] == 0 {
				t.Errorf("node %d received no read or typing event of chat %d", i, k)
			}
			got += copies
		}
		tp.mu.Unlock()
		rc := nodes[i].Node.Bus.(*busnats.Bus).Received()
		t.Logf("node %d: %d message events received (bus counter %d) of the %d text messages sent in 3 chats (it holds members of 2); read %d, typing %d",
			i, got, rc[bus.Message], total, rc[bus.Read], rc[bus.Typing])
	}
}

// TestMemberAddedAcrossNodes: a user whose stream is on node B is added to
// a group on node A, which node B held no interest in: the stream gets the
// join's system message (published by node A just after the member event,
// most likely before node B subscribed: then read from the store once node
// B's interest is confirmed), and a message sent at once after it, in
// order and once.
func TestMemberAddedAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes on PostgreSQL")
	}
	cfg := multiNodeConfig(t)
	a, b := tacktest.NewServer(t, cfg), tacktest.NewServer(t, cfg)
	ctx := ctxT(t)
	owner, peer := a.NewUser(t, "owner"), a.NewUser(t, "peer")
	joiner := b.NewUser(t, "joiner")
	s := connect(t, joiner.Client, nil)
	const rounds = 10
	for r := range rounds {
		g := mustDo[client.Conversation](t)(owner.CreateConversation(ctx, "group", []string{peer.ID}, fmt.Sprint("group ", r)))
		if err := owner.AddMembers(ctx, string(g.ID), []string{joiner.ID}); err != nil {
			t.Fatal(err)
		}
		// The join's system message, published just after the member
		// event that makes node B subscribe, with nothing after it.
		var last int64
		in := func(e client.Event) bool {
			if e.Type != "message" || string(e.Message.ConversationID) != string(g.ID) {
				return false
			}
			if e.Message.Mod <= last {
				t.Fatalf("round %d: mod %d after mod %d (duplicate or out of order)", r, e.Message.Mod, last)
			}
			last = e.Message.Mod
			return true
		}
		waitEvent(t, s, "the join's system message", func(e client.Event) bool { return in(e) && e.Message.Kind == "system" })
		// Then a message at once.
		sent := mustDo[client.Message](t)(owner.Send(ctx, string(g.ID), client.Draft{ClientID: fmt.Sprint("join-", r), Text: fmt.Sprint("right after the join ", r)}))
		waitEvent(t, s, "the message sent right after the join", func(e client.Event) bool { return in(e) && e.Message.Mod == sent.Mod })
	}
	t.Logf("node B healed %d gaps from the store over %d joins", b.Node.Hub.Healed.Load(), rounds)
}

package nats_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsgo "github.com/nats-io/nats.go"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	busnats "github.com/tackhq/tack/bus/nats"
	"github.com/tackhq/tack/bus/nats/natstest"
)

const wait = 5 * time.Second

func newBus(t testing.TB, url string, opts ...busnats.Option) *busnats.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	b, err := busnats.New(ctx, url, opts...)
	if err != nil {
		t.Fatalf("New(%s): %v", url, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// collector gathers the events a subscriber receives.
type collector struct {
	mu     sync.Mutex
	events []*bus.Event
	ch     chan struct{}
}

func collect(t testing.TB, b bus.Subscriber) *collector {
	t.Helper()
	c := &collector{ch: make(chan struct{}, 1)}
	cancel, err := b.Subscribe(func(e *bus.Event) {
		c.mu.Lock()
		c.events = append(c.events, e)
		c.mu.Unlock()
		select {
		case c.ch <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	t.Cleanup(cancel)
	return c
}

// waitFor waits until c holds n events and returns them.
func (c *collector) waitFor(t testing.TB, n int) []*bus.Event {
	t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		got := len(c.events)
		evs := append([]*bus.Event(nil), c.events...)
		c.mu.Unlock()
		if got >= n {
			return evs
		}
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("got %d events, want %d", got, n)
		}
	}
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

// sample is a control event (broadcast to every node) with every field set.
func sample(i int) *bus.Event {
	return &bus.Event{
		Kind:           bus.Member,
		ConversationID: tack.NewID(),
		Users:          []tack.ID{tack.NewID(), tack.NewID()},
		Subject:        tack.NewID(),
		Action:         "added",
		Mod:            int64(i),
		Payload:        []byte(fmt.Sprintf(`{"type":"message","text":"你好 %d"}`, i)),
	}
}

// testTwoNodes publishes from a and checks both a and b receive the event
// intact, then the other way round.
func testTwoNodes(t *testing.T, a, b *busnats.Bus) {
	ca, cb := collect(t, a), collect(t, b)
	ctx := context.Background()
	e := sample(42)
	if err := a.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	if e.Origin != "" {
		t.Errorf("Publish modified the event: Origin = %q", e.Origin)
	}
	want := *e
	want.Origin = a.Origin()
	for name, c := range map[string]*collector{"publisher": ca, "other node": cb} {
		got := c.waitFor(t, 1)[0]
		if !reflect.DeepEqual(*got, want) {
			t.Errorf("%s received\n%+v\nwant\n%+v", name, *got, want)
		}
	}
	// An explicit Origin is kept; empty fields stay empty.
	e2 := &bus.Event{Kind: bus.Typing, Origin: "elsewhere"}
	if err := b.Publish(ctx, e2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*collector{ca, cb} {
		got := c.waitFor(t, 2)[1]
		if !reflect.DeepEqual(*got, *e2) {
			t.Errorf("received %+v, want %+v", *got, *e2)
		}
	}
}

func TestTwoNodes(t *testing.T) {
	url := natstest.RunServer(t)
	testTwoNodes(t, newBus(t, url), newBus(t, url))
}

// TestEnvNATS runs against the NATS server at TACK_TEST_NATS.
func TestEnvNATS(t *testing.T) {
	url := os.Getenv("TACK_TEST_NATS")
	if url == "" {
		t.Skip("TACK_TEST_NATS is not set; set it to a NATS URL (e.g. nats://127.0.0.1:4222) to test against a real server")
	}
	// A prefix of its own so that concurrent runs do not hear each other.
	p := busnats.WithPrefix("tacktest" + string(tack.NewID()))
	testTwoNodes(t, newBus(t, url, p), newBus(t, url, p))
}

func TestCluster(t *testing.T) {
	urls := natstest.RunCluster(t, 3)
	var buses []*busnats.Bus
	var cs []*collector
	for _, u := range urls {
		b := newBus(t, u)
		buses = append(buses, b)
		cs = append(cs, collect(t, b))
	}
	// Subscriptions propagate between servers asynchronously: retry the
	// first publish until every node hears it.
	ctx := context.Background()
	deadline := time.Now().Add(wait)
	for {
		if err := buses[0].Publish(ctx, &bus.Event{Kind: bus.Presence, Action: "probe"}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // polling: the probe is repeated until every node hears it
		ready := true
		for _, c := range cs {
			ready = ready && c.count() > 0
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cluster never delivered to every node")
		}
	}
	base := make([]int, len(cs))
	for i, c := range cs {
		base[i] = c.count()
	}
	for i, b := range buses {
		if err := b.Publish(ctx, &bus.Event{Kind: bus.Message, Mod: int64(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range cs {
		evs := c.waitFor(t, base[i]+len(buses))[base[i]:]
		seen := map[string]bool{}
		for _, e := range evs {
			if e.Kind != bus.Message {
				continue
			}
			seen[e.Origin] = true
		}
		for _, b := range buses {
			if !seen[b.Origin()] {
				t.Errorf("node %d did not hear node %s", i, b.Origin())
			}
		}
	}
}

// TestOrder checks that events one Bus publishes arrive in order.
func TestOrder(t *testing.T) {
	url := natstest.RunServer(t)
	a, b := newBus(t, url), newBus(t, url)
	c := collect(t, b)
	const n = 5000
	ctx := context.Background()
	for i := 1; i <= n; i++ {
		if err := a.Publish(ctx, &bus.Event{Kind: bus.Message, Mod: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i, e := range c.waitFor(t, n) {
		if e.Mod != int64(i+1) {
			t.Fatalf("event %d has Mod %d", i, e.Mod)
		}
	}
}

// TestSlowSubscriber: a subscriber stuck on one node does not hold up
// publishers, nor delivery on other nodes.
func TestSlowSubscriber(t *testing.T) {
	url := natstest.RunServer(t)
	a, b, c := newBus(t, url), newBus(t, url), newBus(t, url)
	release := make(chan struct{})
	cancel, err := b.Subscribe(func(*bus.Event) { <-release })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	defer close(release)
	fast := collect(t, c)
	const n = 10000
	done := make(chan error, 1)
	go func() {
		for i := 1; i <= n; i++ {
			if err := a.Publish(context.Background(), &bus.Event{Kind: bus.Message, Mod: int64(i)}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Publish blocked behind a stuck subscriber on another node")
	}
	fast.waitFor(t, n)
}

func TestCancel(t *testing.T) {
	url := natstest.RunServer(t)
	a := newBus(t, url)
	var mu sync.Mutex
	calls := 0
	cancel, err := a.Subscribe(func(*bus.Event) { mu.Lock(); calls++; mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	other := collect(t, a)
	ctx := context.Background()
	if err := a.Publish(ctx, &bus.Event{Kind: bus.Typing}); err != nil {
		t.Fatal(err)
	}
	other.waitFor(t, 1)
	cancel()
	cancel() // twice is harmless
	if err := a.Publish(ctx, &bus.Event{Kind: bus.Typing}); err != nil {
		t.Fatal(err)
	}
	other.waitFor(t, 2)
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Errorf("cancelled subscriber called %d times, want 1", calls)
	}
}

func TestClose(t *testing.T) {
	url := natstest.RunServer(t)
	a := newBus(t, url)
	c := collect(t, a)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := a.Publish(context.Background(), &bus.Event{Kind: bus.Typing}); !errors.Is(err, busnats.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, err := a.Subscribe(func(*bus.Event) {}); !errors.Is(err, busnats.ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
	// Another bus on the same server publishes; once its own subscriber
	// has the event, the server has routed it, and the closed bus's
	// subscriber must not have it.
	b := newBus(t, url)
	cb := collect(t, b)
	if err := b.Publish(context.Background(), &bus.Event{Kind: bus.Typing}); err != nil {
		t.Fatal(err)
	}
	cb.waitFor(t, 1)
	if n := c.count(); n != 0 {
		t.Errorf("%d events after Close", n)
	}
}

// TestNewConn: a Bus on a connection it does not own leaves it open.
func TestNewConn(t *testing.T) {
	url := natstest.RunServer(t)
	nc, err := natsgo.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	a, err := busnats.NewConn(ctx, nc, busnats.WithOrigin("node-a"))
	if err != nil {
		t.Fatal(err)
	}
	b := newBus(t, url)
	testTwoNodes(t, a, b)
	if a.Origin() != "node-a" {
		t.Errorf("Origin = %q", a.Origin())
	}
	a.Close()
	if nc.IsClosed() {
		t.Error("Close closed a connection the Bus does not own")
	}
	if err := a.Publish(ctx, &bus.Event{Kind: bus.Typing}); !errors.Is(err, busnats.ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
}

func TestInvalid(t *testing.T) {
	url := natstest.RunServer(t)
	a := newBus(t, url)
	for _, kind := range []string{"", "a.b", "a b", "*", ">"} {
		if err := a.Publish(context.Background(), &bus.Event{Kind: kind}); err == nil {
			t.Errorf("Publish with kind %q: no error", kind)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, p := range []string{"", "a.>", "a b", ".a", "a..b"} {
		if _, err := busnats.New(ctx, url, busnats.WithPrefix(p)); err == nil {
			t.Errorf("New with prefix %q: no error", p)
		}
	}
}

// TestPrefix checks that deployments with different prefixes do not hear
// each other on one server.
func TestPrefix(t *testing.T) {
	url := natstest.RunServer(t)
	a := newBus(t, url, busnats.WithPrefix("one"))
	b := newBus(t, url, busnats.WithPrefix("two.deploy"))
	cb := collect(t, b)
	ca := collect(t, a)
	ctx := context.Background()
	if err := a.Publish(ctx, &bus.Event{Kind: bus.Typing}); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, &bus.Event{Kind: bus.Presence}); err != nil {
		t.Fatal(err)
	}
	if e := ca.waitFor(t, 1)[0]; e.Kind != bus.Typing {
		t.Errorf("prefix one got %q", e.Kind)
	}
	if e := cb.waitFor(t, 1)[0]; e.Kind != bus.Presence {
		t.Errorf("prefix two got %q", e.Kind)
	}
	// Markers published after: each side's own marker arrives after
	// anything the other side's first event could have leaked.
	if err := b.Publish(ctx, &bus.Event{Kind: bus.Read}); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, &bus.Event{Kind: bus.Member}); err != nil {
		t.Fatal(err)
	}
	ea, eb := ca.waitFor(t, 2), cb.waitFor(t, 2)
	if ca.count() != 2 || cb.count() != 2 || ea[1].Kind != bus.Member || eb[1].Kind != bus.Read {
		t.Errorf("cross-talk: %d and %d events", ca.count(), cb.count())
	}
}

// TestConnectWaits checks that New keeps trying until the server is up,
// and gives up when its context ends.
func TestConnectWaits(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := busnats.New(ctx, "nats://127.0.0.1:1"); err == nil {
		t.Fatal("New to a closed port succeeded")
	}
}

// TestReconnect stops the server, publishes while it is away, starts it
// again on the same port, and expects the buffered event to arrive.
func TestReconnect(t *testing.T) {
	o := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	s := runServer(t, o)
	url := s.ClientURL()
	a := newBus(t, url)
	c := collect(t, a)
	ctx := context.Background()
	if err := a.Publish(ctx, &bus.Event{Kind: bus.Message, Mod: 1}); err != nil {
		t.Fatal(err)
	}
	c.waitFor(t, 1)

	s.Shutdown()
	s.WaitForShutdown()
	deadline := time.Now().Add(wait)
	for a.Conn().IsConnected() {
		if time.Now().After(deadline) {
			t.Fatal("client never noticed the server went away")
		}
		time.Sleep(10 * time.Millisecond) // polling for the condition above, with its deadline
	}
	if err := a.Publish(ctx, &bus.Event{Kind: bus.Message, Mod: 2}); err != nil {
		t.Fatalf("Publish while disconnected: %v", err)
	}
	o2 := &server.Options{Host: "127.0.0.1", Port: o.Port, NoLog: true, NoSigs: true}
	runServer(t, o2)
	evs := c.waitFor(t, 2)
	if evs[1].Mod != 2 {
		t.Errorf("after reconnect got Mod %d, want 2", evs[1].Mod)
	}
}

func runServer(t *testing.T, o *server.Options) *server.Server {
	t.Helper()
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(wait) {
		t.Fatal("server not ready")
	}
	if o.Port == -1 {
		o.Port = s.Addr().(interface{ Port() int }).Port()
	}
	return s
}

// BenchmarkLatency measures publish on one node to receipt on another,
// one event in flight at a time: ns/op is the round trip through the server.
func BenchmarkLatency(b *testing.B) {
	url := natstest.RunServer(b)
	pub, sub := newBus(b, url), newBus(b, url)
	ch := make(chan struct{}, 1)
	cancel, err := sub.Subscribe(func(*bus.Event) { ch <- struct{}{} })
	if err != nil {
		b.Fatal(err)
	}
	defer cancel()
	e := sample(1)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := pub.Publish(ctx, e); err != nil {
			b.Fatal(err)
		}
		<-ch
	}
}

// BenchmarkThroughput publishes as fast as it can and waits for the last
// event to arrive on the other node.
func BenchmarkThroughput(b *testing.B) {
	url := natstest.RunServer(b)
	pub, sub := newBus(b, url), newBus(b, url)
	var n int64
	done := make(chan struct{})
	cancel, err := sub.Subscribe(func(e *bus.Event) {
		n++
		if n == int64(b.N) {
			close(done)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer cancel()
	e := sample(1)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := pub.Publish(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}

// BenchmarkJSON is the cost the binary encoding avoids: encoding and
// decoding the event as JSON (compare with BenchmarkEncode).
func BenchmarkJSON(b *testing.B) {
	e := sample(1)
	e.Origin = string(tack.NewID())
	e.Payload = make([]byte, 300)
	for i := range e.Payload {
		e.Payload[i] = 'x'
	}
	b.ReportAllocs()
	var size int
	for i := 0; i < b.N; i++ {
		data, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		var out bus.Event
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes/event")
}

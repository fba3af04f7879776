package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// wsDial opens a raw stream with token and says nothing.
func wsDial(t *testing.T, baseURL, token, query string) *websocket.Conn {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(baseURL, "http", "ws", 1)+"/api/v1/stream"+query, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial stream: %v", err)
	}
	c.SetReadLimit(64 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// rawStream reads a raw socket's events on a goroutine of its own.
type rawStream struct {
	c      *websocket.Conn
	events chan client.Event
	done   chan struct{}
	err    error
}

func readRaw(c *websocket.Conn) *rawStream {
	r := &rawStream{c: c, events: make(chan client.Event, 1<<16), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer close(r.events)
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				r.err = err
				return
			}
			for _, line := range bytes.Split(b, []byte("\n")) {
				var e client.Event
				if json.Unmarshal(line, &e) == nil {
					r.events <- e
				}
			}
		}
	}()
	return r
}

// next waits for an event matching match, failing after d.
func (r *rawStream) next(t *testing.T, what string, d time.Duration, match func(client.Event) bool) client.Event {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case e, ok := <-r.events:
			if !ok {
				t.Fatalf("waiting for %s: stream ended: %v", what, r.err)
			}
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("waiting for %s: nothing within %v", what, d)
		}
	}
}

// closed waits for the stream to end and returns its close status (-1 when
// it ended without one), failing after d.
func (r *rawStream) closed(t *testing.T, d time.Duration) websocket.StatusCode {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case _, ok := <-r.events:
			if !ok {
				return websocket.CloseStatus(r.err)
			}
		case <-timeout:
			t.Fatalf("stream still open after %v", d)
		}
	}
}

func sessionOf(t *testing.T, ctx context.Context, owner *tacktest.User, token string) string {
	t.Helper()
	probe := client.New(owner.BaseURL)
	probe.Token = token
	sess, err := probe.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sess {
		if s.Current {
			return string(s.ID)
		}
	}
	t.Fatal("no current session")
	return ""
}

// TestRevokedBeforeHello: a socket that has not said hello yet is bound to
// its session from the upgrade on, so revoking that session closes it with
// 4001, with or without ?hello=1 (which makes the server wait for the hello).
func TestRevokedBeforeHello(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	for _, q := range []string{"", "?hello=1"} {
		phone := client.New(srv.URL)
		if _, err := phone.SignIn(ctx, a.Login, a.Password); err != nil {
			t.Fatal(err)
		}
		id := sessionOf(t, ctx, a, phone.Token)
		r := readRaw(wsDial(t, srv.URL, phone.Token, q))
		if err := a.RevokeSession(ctx, id); err != nil {
			t.Fatal(err)
		}
		if st := r.closed(t, 10*time.Second); st != 4001 {
			t.Fatalf("query %q: revoked socket closed with %v, want 4001", q, st)
		}
	}
}

// TestRevocationClosesSilentStreamsOnEveryNode: two nodes on one
// PostgreSQL and a real NATS server; a socket on node B that has not said
// hello is closed when its session is signed out through node A.
func TestRevocationClosesSilentStreamsOnEveryNode(t *testing.T) {
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	cfg := func(c *node.Config) { c.PostgresURL, c.NATSURL = dsn, natsURL }
	na := tacktest.NewServer(t, tacktest.WithConfig(cfg))
	nb := tacktest.NewServer(t, tacktest.WithConfig(cfg))
	ctx := ctxT(t)
	a := na.NewUser(t, "A")
	phone := client.New(nb.URL)
	if _, err := phone.SignIn(ctx, a.Login, a.Password); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "?hello=1"} {
		r := readRaw(wsDial(t, nb.URL, phone.Token, q))
		if q == "" {
			// Live at once: the hello answer comes without a hello.
			r.next(t, "synced", 10*time.Second, func(e client.Event) bool { return e.Type == "synced" })
		} else {
			waitStreams(t, nb, a.ID, 1)
		}
		other := client.New(na.URL)
		if _, err := other.SignIn(ctx, a.Login, a.Password); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if err := other.RevokeSession(ctx, sessionOf(t, ctx, a, phone.Token)); err != nil {
			t.Fatal(err)
		}
		if st := r.closed(t, 10*time.Second); st != 4001 {
			t.Fatalf("query %q: socket on node B closed with %v, want 4001", q, st)
		}
		t.Logf("query %q: closed on node B %v after the revocation on node A", q, time.Since(start).Round(time.Millisecond))
		if _, err := phone.SignIn(ctx, a.Login, a.Password); err != nil {
			t.Fatal(err)
		}
	}
}

// waitStreams waits until user has n streams attached on srv.
func waitStreams(t *testing.T, srv *tacktest.Server, user string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Node.Hub.Streams(tack.ID(user)) != n {
		if time.Now().After(deadline) {
			t.Fatalf("user has %d streams, want %d", srv.Node.Hub.Streams(tack.ID(user)), n)
		}
		time.Sleep(5 * time.Millisecond) // polling for the condition above, with its deadline
	}
}

// TestStreamLiveWithoutHello: a client that says nothing is live at once:
// it gets the hello answer and the next message without waiting for a
// hello timeout (the old server waited 2 s).
func TestStreamLiveWithoutHello(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, err := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	r := readRaw(wsDial(t, srv.URL, a.Token, ""))
	// The old server could not answer before its 2 s hello timer: a
	// deadline under it tells the two apart whatever the machine's speed.
	r.next(t, "synced", 1900*time.Millisecond, func(e client.Event) bool { return e.Type == "synced" })
	if _, err := b.Send(ctx, string(conv.ID), client.Draft{ClientID: "live-1", Text: "live"}); err != nil {
		t.Fatal(err)
	}
	r.next(t, "the live message", 10*time.Second, func(e client.Event) bool { return e.Type == "message" && e.Message.Text == "live" })
}

// TestLateHelloResumesExactly: a stream that went live without a hello and
// then says hello with cursors gets exactly what it missed before it
// connected: no gap, and nothing it already had live twice.
func TestLateHelloResumesExactly(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, err := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	cid := string(conv.ID)
	send := func(i int) client.Message {
		m, err := b.Send(ctx, cid, client.Draft{ClientID: fmt.Sprint("m", i), Text: fmt.Sprint("text ", i)})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	var cursor int64
	for i := 1; i <= 10; i++ {
		m := send(i)
		if i == 3 {
			cursor = m.Mod // the client saw up to message 3
		}
	}
	r := readRaw(wsDial(t, srv.URL, a.Token, ""))
	r.next(t, "synced", 10*time.Second, func(e client.Event) bool { return e.Type == "synced" })
	send(11)
	got := map[int64]int{}
	e := r.next(t, "live message 11", 10*time.Second, func(e client.Event) bool { return e.Type == "message" })
	got[e.Message.Seq]++
	hello, _ := json.Marshal(map[string]any{"type": "hello", "cursors": map[string]int64{cid: cursor}})
	if err := r.c.Write(ctx, websocket.MessageText, hello); err != nil {
		t.Fatal(err)
	}
	for {
		e := r.next(t, "the resume", 10*time.Second, func(e client.Event) bool { return e.Type == "message" || e.Type == "synced" })
		if e.Type == "synced" {
			break
		}
		got[e.Message.Seq]++
	}
	send(12)
	e = r.next(t, "live message 12", 10*time.Second, func(e client.Event) bool { return e.Type == "message" })
	got[e.Message.Seq]++
	// Messages 4..12 (the direct chat's first seq is its system event, so
	// count by text seqs the sends returned).
	for seq, n := range got {
		if n != 1 {
			t.Errorf("message seq %d delivered %d times", seq, n)
		}
	}
	msgs, err := a.HistoryAfter(ctx, cid, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Mod > cursor && got[m.Seq] != 1 {
			t.Errorf("message seq %d (mod %d > cursor %d) delivered %d times, want once", m.Seq, m.Mod, cursor, got[m.Seq])
		}
		if m.Mod <= cursor && got[m.Seq] != 0 {
			t.Errorf("message seq %d (mod %d <= cursor %d) delivered again", m.Seq, m.Mod, cursor)
		}
	}
}

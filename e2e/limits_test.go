package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// TestStreamSendRechecksSession: a frame over a stream whose session is
// gone is refused and the stream closed with 4001, even when the
// revocation never reached the connection itself (here: the session is
// deleted and this node's session cache told, as if the hub had missed
// the bus event).
func TestStreamSendRechecksSession(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, err := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	phone := client.New(srv.URL)
	if _, err := phone.SignIn(ctx, a.Login, a.Password); err != nil {
		t.Fatal(err)
	}
	id := tack.ID(sessionOf(t, ctx, a, phone.Token))
	s := connect(t, phone, nil)
	if err := srv.Node.Store.DeleteSession(ctx, tack.ID(a.ID), id); err != nil {
		t.Fatal(err)
	}
	srv.Node.Accounts.HandleEvent(&bus.Event{Kind: bus.SessionRevoked, Subject: id})
	if _, err := s.Send(ctx, string(conv.ID), client.Draft{ClientID: "after-revoke", Text: "should not be stored"}); err == nil {
		t.Fatal("a send over the stream of a deleted session was acknowledged")
	}
	for range s.Events() {
	}
	var ce *client.CloseError
	if !errors.As(s.Err(), &ce) || ce.Code != 4001 {
		t.Fatalf("stream ended with %v, want close 4001", s.Err())
	}
	msgs, err := a.HistoryAfter(ctx, string(conv.ID), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Text == "should not be stored" {
			t.Fatal("the send of a deleted session was stored")
		}
	}
}

// TestUnreadRepliesClosePolicy: a client that sends frames and never reads
// the answers is closed with 1008 once a small number of answers wait, and
// the server stops reading its frames: of 200,000 frames it answers a
// bounded few (the old server queued up to a million answers per socket).
func TestUnreadRepliesClosePolicy(t *testing.T) {
	// The client reads nothing, pongs included: on a loaded machine the
	// keepalive (30 s, then 15 s for the pong) could drop it before its
	// unread replies fill the socket buffers and the policy close comes.
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.StreamPing = 10 * time.Minute }))
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	c := wsDial(t, srv.URL, a.Token, "")
	const frames = 200_000
	frame := []byte(`{"type":"nope","id":"` + strings.Repeat("x", 120) + `"}`)
	wrote := make(chan int, 1)
	go func() {
		n := 0
		for ; n < frames; n++ {
			if c.Write(ctx, websocket.MessageText, frame) != nil {
				break
			}
		}
		wrote <- n
	}()
	// Wait for the server to give up on the socket (without reading it).
	// The writer may stop first: the server closes the socket before it
	// counts the close, so a write error only ends the wait when every frame
	// went through (the server read them all: the bug this test is for).
	deadline := time.Now().Add(60 * time.Second)
	n := -1
	for srv.Node.Hub.Policy.Load() == 0 {
		if n < 0 {
			select {
			case n = <-wrote:
				if n == frames {
					t.Fatalf("all %d frames written and answered room for, no policy close", n)
				}
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no policy close within 60 s (the client wrote %d frames)", n)
		}
		time.Sleep(10 * time.Millisecond) // polling for the condition above, with its deadline
	}
	replies := 0
	var err error
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var b []byte
		if _, b, err = c.Read(rctx); err != nil {
			break
		}
		replies += bytes.Count(b, []byte(`"type":"error"`))
	}
	if st := websocket.CloseStatus(err); st != websocket.StatusPolicyViolation {
		t.Fatalf("closed with %v (%v), want 1008", st, err)
	}
	if n < 0 {
		select {
		case n = <-wrote:
		case <-time.After(30 * time.Second):
			t.Fatal("writes still blocked after the close")
		}
	}
	t.Logf("client wrote %d frames, got %d answers before the 1008 close", n, replies)
	if replies >= n || replies >= frames {
		t.Fatalf("%d answers to %d frames: the server never stopped", replies, n)
	}
}

// TestStreamsPerUserCapped: one user may hold 20 streams on a node; the
// 21st upgrade is refused with 429 rate_limited, and closing one makes room.
func TestStreamsPerUserCapped(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	var streams []*client.Stream
	for i := 0; i < 20; i++ {
		streams = append(streams, connect(t, a.Client, nil))
	}
	dial := func() (*websocket.Conn, *http.Response, error) {
		h := http.Header{"Authorization": {"Bearer " + a.Token}}
		return websocket.Dial(ctx, strings.Replace(srv.URL, "http", "ws", 1)+"/api/v1/stream", &websocket.DialOptions{HTTPHeader: h})
	}
	c, resp, err := dial()
	if err == nil {
		c.CloseNow()
		t.Fatal("the 21st stream of one user was accepted")
	}
	if resp == nil || resp.StatusCode != 429 {
		t.Fatalf("21st stream: %v, want 429", err)
	}
	var body map[string]any
	if resp.Body != nil {
		json.NewDecoder(resp.Body).Decode(&body)
	}
	if errCode(body) != "rate_limited" {
		t.Fatalf("21st stream: body %v, want error code rate_limited", body)
	}
	streams[0].Close()
	waitStreams(t, srv, a.ID, 19)
	c, _, err = dial()
	if err != nil {
		t.Fatalf("after closing one: %v", err)
	}
	c.CloseNow()
}

// TestAnonConnsPerAddressCapped: an address may hold a few connections
// that have not authenticated; past that new ones are answered 429 and
// closed, and a connection that authenticates stops counting.
func TestAnonConnsPerAddressCapped(t *testing.T) {
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.MaxAnonConnsPerAddr = 8 }))
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	if _, err := a.Me(ctx); err != nil { // the client's pooled connection authenticates
		t.Fatal(err)
	}
	a.HTTP.CloseIdleConnections()
	addr := strings.TrimPrefix(srv.URL, "http://")
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	// status sends req (if any) and returns the status line of the answer.
	status := func(c net.Conn, req string) string {
		t.Helper()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if req != "" {
			if _, err := io.WriteString(c, req); err != nil {
				return "write: " + err.Error()
			}
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			return "read: " + err.Error()
		}
		return strings.TrimSpace(line)
	}
	var held []net.Conn
	for i := 0; i < 8; i++ {
		held = append(held, dial())
	}
	if got := status(dial(), ""); !strings.HasPrefix(got, "HTTP/1.1 429") {
		t.Fatalf("9th anonymous connection: %q, want 429", got)
	}
	// One of the eight signs in: it no longer counts, so one more fits.
	me := "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + a.Token + "\r\n\r\n"
	if got := status(held[0], me); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("authenticated request on a held connection: %q", got)
	}
	if got := status(dial(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); !strings.HasPrefix(got, "HTTP/1.1 200") {
		t.Fatalf("a connection after one authenticated: %q, want 200", got)
	}
	if got := status(dial(), ""); !strings.HasPrefix(got, "HTTP/1.1 429") {
		t.Fatalf("past the cap again: %q, want 429", got)
	}
}

// TestSlowBodiesCutOff: 50 clients that send a request body one byte every
// 2 seconds are all cut off (the old server kept them all open), while a
// body that keeps a modest pace, a WebSocket stream and REST calls go on.
func TestSlowBodiesCutOff(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, err := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	s := connect(t, a.Client, nil)
	addr := strings.TrimPrefix(srv.URL, "http://")
	const slow = 50
	type result struct {
		status string
		err    error
	}
	results := make(chan result, slow)
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < slow; i++ {
		go func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				results <- result{err: err}
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
			go func() { // the attacker's pace: one byte every 2 s
				t := time.NewTicker(2 * time.Second)
				defer t.Stop()
				for {
					select {
					case <-t.C:
						if _, err := c.Write([]byte(" ")); err != nil {
							return
						}
					case <-stop:
						return
					}
				}
			}()
			c.SetReadDeadline(time.Now().Add(60 * time.Second))
			all, err := io.ReadAll(c) // until the server closes
			line, _, _ := strings.Cut(string(all), "\r\n")
			results <- result{status: line, err: err}
		}()
	}
	// Meanwhile a body at 5 KB/s, 60 KB over 12 s (longer than the grace),
	// is accepted.
	steady := make(chan error, 1)
	go func() {
		pr, pw := io.Pipe()
		go func() {
			body := `{"login":"steady@example.com","password":"steady password","name":"` + strings.Repeat("s", 60<<10) + `"}`
			for len(body) > 0 {
				n := min(len(body), 1024)
				pw.Write([]byte(body[:n]))
				body = body[n:]
				time.Sleep(200 * time.Millisecond) // the client's pace: 5 KB/s
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/accounts", pr)
		req.ContentLength = int64(len(`{"login":"steady@example.com","password":"steady password","name":"`) + 60<<10 + 2)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			steady <- err
			return
		}
		resp.Body.Close()
		if resp.StatusCode == 408 {
			steady <- fmt.Errorf("a steady body was cut off: %s", resp.Status)
			return
		}
		steady <- nil // (400 for the too-long name is fine: it was read in full)
	}()
	timedOut := 0
	for i := 0; i < slow; i++ {
		select {
		case r := <-results:
			// Closed is EOF, or a reset when the server closed with the
			// client's bytes unread; a timeout means it was still open.
			var ne net.Error
			if errors.As(r.err, &ne) && ne.Timeout() || r.err != nil && r.status == "" && !errors.Is(r.err, syscall.ECONNRESET) {
				t.Fatalf("slow client %d: %v (still open?)", i, r.err)
			}
			if strings.Contains(r.status, "408") {
				timedOut++
			}
		case <-time.After(90 * time.Second):
			t.Fatalf("%d of %d slow clients still open", slow-i, slow)
		}
	}
	t.Logf("%d of %d slow clients were answered 408 before the close", timedOut, slow)
	select {
	case err := <-steady:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("steady upload did not finish")
	}
	if _, err := b.Send(ctx, string(conv.ID), client.Draft{ClientID: "after", Text: "still live"}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, s, "a live message on the long-lived stream", func(e client.Event) bool {
		return e.Type == "message" && e.Message.Text == "still live"
	})
}

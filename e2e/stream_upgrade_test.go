package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tackhq/tack/tacktest"
)

// TestStreamUpgradeChecks: the stream refuses, before taking the
// connection over, a page of another origin (403) and a request that is
// not a WebSocket upgrade (400, a JSON error); a page of this server's own
// origin is let in; a binary frame closes the stream with 1008; a ping is
// answered.
func TestStreamUpgradeChecks(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	wsURL := strings.Replace(srv.URL, "http", "ws", 1) + "/api/v1/stream"
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{"Authorization": {"Bearer " + a.Token}}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: h})
		if c != nil {
			t.Cleanup(func() { c.CloseNow() })
		}
		return c, resp, err
	}
	for _, origin := range []string{"http://evil.example", "null", "http://" + strings.TrimPrefix(srv.URL, "http://") + ".evil.example"} {
		_, resp, err := dial(origin)
		if err == nil || resp == nil || resp.StatusCode != 403 {
			t.Errorf("Origin %q: err %v, response %v; want 403", origin, err, resp)
		}
	}
	c, _, err := dial(srv.URL)
	if err != nil {
		t.Fatalf("same origin refused: %v", err)
	}
	// A ping is answered (Ping waits for the pong; a reader must run).
	readErr := make(chan error, 1)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	go func() {
		for {
			if _, _, err := c.Read(rctx); err != nil {
				readErr <- err
				return
			}
		}
	}()
	if err := c.Ping(rctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if err := c.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if st := websocket.CloseStatus(<-readErr); st != websocket.StatusPolicyViolation {
		t.Fatalf("binary frame: close status %v, want 1008", st)
	}

	// Not an upgrade: a JSON error, the connection not taken over.
	st, body := raw(t, "GET", srv.URL+"/api/v1/stream", a.Token, nil)
	if e, _ := body["error"].(map[string]any); st != 400 || e == nil || e["code"] != "invalid" {
		t.Fatalf("plain GET: %d %v, want 400 invalid", st, body)
	}
}

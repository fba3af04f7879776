package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// raw sends a request and returns the status and decoded error body.
func raw(t *testing.T, method, url, token string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	c, _ := e["code"].(string)
	if m, _ := e["message"].(string); m == "" && c != "" {
		return c + " (no message)"
	}
	return c
}

func TestBadInput(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, _ := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	msgs := srv.URL + "/api/v1/conversations/" + string(conv.ID) + "/messages"
	long := strings.Repeat("字", 5001)
	cases := []struct {
		name, method, url, token, body string
		status                         int
		code                           string
	}{
		{"register: no body", "POST", "/api/v1/accounts", "", "", 400, "invalid"},
		{"register: malformed", "POST", "/api/v1/accounts", "", `{"login":`, 400, "invalid"},
		{"register: body is not an object", "POST", "/api/v1/accounts", "", `["x@y.z"]`, 400, "invalid"},
		{"register: wrong type", "POST", "/api/v1/accounts", "", `{"login":5,"password":"12345678","name":"n"}`, 400, "invalid"},
		{"register: short password", "POST", "/api/v1/accounts", "", `{"login":"x@y.z","password":"short","name":"n"}`, 400, "invalid"},
		{"register: bad login", "POST", "/api/v1/accounts", "", `{"login":"not a login","password":"12345678","name":"n"}`, 400, "invalid"},
		{"register: no name", "POST", "/api/v1/accounts", "", `{"login":"x@y.z","password":"12345678","name":"  "}`, 400, "invalid"},
		{"register: control char", "POST", "/api/v1/accounts", "", `{"login":"x@y.z","password":"12345678","name":"a\u0007"}`, 400, "invalid"},
		{"register: taken", "POST", "/api/v1/accounts", "", `{"login":"` + a.Login + `","password":"12345678","name":"n"}`, 409, "conflict"},
		{"register: trailing data", "POST", "/api/v1/accounts", "", `{"login":"x@y.z","password":"12345678","name":"n"} {}`, 400, "invalid"},
		{"body too large", "POST", "/api/v1/accounts", "", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too_large"},
		{"no token", "GET", "/api/v1/me", "", "", 401, "unauthorized"},
		{"bad token", "GET", "/api/v1/me", "tk_nope", "", 401, "unauthorized"},
		{"unknown endpoint", "GET", "/api/v1/nothing", a.Token, "", 404, "not_found"},
		{"send: no client id", "POST", msgs, a.Token, `{"text":"x"}`, 400, "invalid"},
		{"send: empty text", "POST", msgs, a.Token, `{"client_id":"c","text":"  "}`, 400, "invalid"},
		{"send: text too long", "POST", msgs, a.Token, `{"client_id":"c","text":"` + long + `"}`, 413, "too_large"},
		{"send: NUL in text", "POST", msgs, a.Token, `{"client_id":"c","text":"a\u0000b"}`, 400, "invalid"},
		{"send: client id with space", "POST", msgs, a.Token, `{"client_id":"a b","text":"x"}`, 400, "invalid"},
		{"send: reply to nothing", "POST", msgs, a.Token, `{"client_id":"c","text":"x","reply_to":99}`, 400, "invalid"},
		{"send: bad conversation id", "POST", srv.URL + "/api/v1/conversations/../messages", a.Token, `{"client_id":"c","text":"x"}`, 404, "not_found"},
		{"send: unknown conversation", "POST", srv.URL + "/api/v1/conversations/0000000000000000/messages", a.Token, `{"client_id":"c","text":"x"}`, 404, "not_found"},
		{"history: both cursors", "GET", msgs + "?after_seq=1&before_seq=5", a.Token, "", 400, "invalid"},
		{"history: bad limit", "GET", msgs + "?limit=1000", a.Token, "", 400, "invalid"},
		{"history: negative", "GET", msgs + "?after_seq=-1", a.Token, "", 400, "invalid"},
		{"create: bad type", "POST", "/api/v1/conversations", a.Token, `{"type":"channel","members":[]}`, 400, "invalid"},
		{"create: direct with two others", "POST", "/api/v1/conversations", a.Token, `{"type":"direct","members":["` + b.ID + `","0000000000000000"]}`, 400, "invalid"},
		{"create: unknown member", "POST", "/api/v1/conversations", a.Token, `{"type":"group","members":["0000000000000000"]}`, 400, "invalid"},
		{"create: malformed member", "POST", "/api/v1/conversations", a.Token, `{"type":"group","members":["x"]}`, 400, "invalid"},
		{"receipts: no such message", "GET", msgs + "/999/receipts", a.Token, "", 404, "not_found"},
		{"edit: system message", "PATCH", msgs + "/1", a.Token, `{"text":"x"}`, 403, "forbidden"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := c.url
			if strings.HasPrefix(url, "/") {
				url = srv.URL + url
			}
			status, body := raw(t, c.method, url, c.token, []byte(c.body))
			if status != c.status || errCode(body) != c.code {
				t.Fatalf("got %d %q (%v), want %d %q", status, errCode(body), body, c.status, c.code)
			}
		})
	}
	// Nothing half-written: the conversation holds only its creation event.
	hist, err := a.History(ctx, string(conv.ID), 0, 0, 50)
	if err != nil || len(hist) != 1 {
		t.Fatalf("history after bad input: %d messages, %v", len(hist), err)
	}
}

func TestSignInRateLimit(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	c := client.New(srv.URL)
	var last error
	for i := 0; i < 8; i++ {
		_, last = c.SignIn(ctx, a.Login, "wrong password")
	}
	if apiCode(last) != "rate_limited" {
		t.Fatalf("8th wrong password: %v, want rate_limited", last)
	}
	// Even the right password is refused while limited.
	if _, err := c.SignIn(ctx, a.Login, a.Password); apiCode(err) != "rate_limited" {
		t.Fatalf("right password while limited: %v", err)
	}
}

func TestRevokeSession(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	phone := client.New(srv.URL)
	if _, err := phone.SignIn(ctx, a.Login, a.Password); err != nil {
		t.Fatal(err)
	}
	ps := connect(t, phone, nil)
	sess, _ := a.Sessions(ctx)
	var phoneID string
	for _, s := range sess {
		if !s.Current {
			phoneID = string(s.ID)
		}
	}
	if err := a.RevokeSession(ctx, phoneID); err != nil {
		t.Fatal(err)
	}
	if _, err := phone.Me(ctx); apiCode(err) != "unauthorized" {
		t.Fatalf("revoked token still works: %v", err)
	}
	for range ps.Events() {
	}
	var ce *client.CloseError
	if !errors.As(ps.Err(), &ce) || ce.Code != 4001 {
		t.Fatalf("stream of revoked session ended with %v, want close 4001", ps.Err())
	}
	if err := a.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Me(ctx); apiCode(err) != "unauthorized" {
		t.Fatalf("signed-out token works: %v", err)
	}
}

func TestStreamPolicy(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	dial := func() *websocket.Conn {
		h := http.Header{"Authorization": {"Bearer " + a.Token}}
		c, _, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http", "ws", 1)+"/api/v1/stream", &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	closeStatus := func(c *websocket.Conn) websocket.StatusCode {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for {
			if _, _, err := c.Read(rctx); err != nil {
				return websocket.CloseStatus(err)
			}
		}
	}
	// An oversized frame closes the socket with a policy status.
	c := dial()
	c.Write(ctx, websocket.MessageText, []byte(`{"type":"hello"}`))
	big := append([]byte(`{"type":"ping","x":"`), bytes.Repeat([]byte("x"), 70<<10)...)
	c.Write(ctx, websocket.MessageText, append(big, '"', '}'))
	if st := closeStatus(c); st != websocket.StatusPolicyViolation {
		t.Fatalf("oversized frame: close status %v, want 1008", st)
	}
	// A client that never says hello still gets a fresh start, and one
	// whose first message is something else has it handled.
	for _, first := range []string{"", `{"type":"ping"}`} {
		c = dial()
		if first != "" {
			c.Write(ctx, websocket.MessageText, []byte(first))
		}
		var types []string
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		for !slices.Contains(types, "synced") || (first != "" && !slices.Contains(types, "pong")) {
			_, b, err := c.Read(rctx)
			if err != nil {
				t.Fatalf("first %q: %v after %v", first, err, types)
			}
			for _, line := range bytes.Split(b, []byte("\n")) {
				var e struct{ Type string }
				json.Unmarshal(line, &e)
				types = append(types, e.Type)
			}
		}
		cancel()
		if types[0] != "hello" {
			t.Fatalf("first %q: frames %v, want hello first", first, types)
		}
		c.CloseNow()
	}
	// Without a token the upgrade is refused.
	_, resp, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http", "ws", 1)+"/api/v1/stream", nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("unauthenticated upgrade: %v", err)
	}
	// Bad frames after hello get error replies, and the connection lives.
	s := connect(t, a.Client, nil)
	s.Write(ctx, []byte(`not json`))
	s.Write(ctx, []byte(`{"type":"launch"}`))
	s.Write(ctx, []byte(`{"type":"ping"}`))
	waitEvent(t, s, "error for malformed", func(e client.Event) bool { return e.Type == "error" && e.Error.Code == "invalid" })
	waitEvent(t, s, "pong", func(e client.Event) bool { return e.Type == "pong" })
	if _, err := s.Send(ctx, "0000000000000000", client.Draft{ClientID: "x", Text: "x"}); apiCode(err) != "not_found" {
		t.Fatalf("send to unknown conversation over stream: %v", err)
	}
}

func TestShutdownGoingAway(t *testing.T) {
	srv := tacktest.NewServer(t)
	a := srv.NewUser(t, "A")
	s := connect(t, a.Client, nil)
	srv.Close()
	for range s.Events() {
	}
	var ce *client.CloseError
	if !errors.As(s.Err(), &ce) || ce.Code != 1001 {
		t.Fatalf("stream ended with %v, want close 1001 going away", s.Err())
	}
}

func TestRestartResume(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, _ := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	id := string(conv.ID)
	got := make(chan client.Message, 100)
	synced := make(chan bool, 10)
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.Tail(tctx, nil, func(e client.Event) error {
		if e.Type == "message" && e.Message.Kind == "text" {
			got <- *e.Message
		}
		if e.Type == "synced" {
			synced <- true
		}
		return nil
	})
	select {
	case <-synced:
	case <-time.After(15 * time.Second):
		t.Fatal("the stream never sent synced")
	}
	wait := func(text string) {
		t.Helper()
		select {
		case m := <-got:
			if m.Text != text {
				t.Fatalf("got %q want %q", m.Text, text)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("no %q", text)
		}
	}
	a.Send(ctx, id, client.Draft{ClientID: "1", Text: "before"})
	wait("before")
	srv.Restart(t)
	a.Send(ctx, id, client.Draft{ClientID: "2", Text: "after restart"})
	wait("after restart")
	// Nothing else arrives: a marker sent now is the next message.
	a.Send(ctx, id, client.Draft{ClientID: "3", Text: "marker"})
	wait("marker")
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	srv := tacktest.NewServer(t)
	status, doc := raw(t, "GET", srv.URL+"/api/v1/openapi.json", "", nil)
	if status != 200 {
		t.Fatal(status)
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, rt := range srv.Node.API.Routes() {
		p, _ := paths[rt[1]].(map[string]any)
		if p == nil || p[strings.ToLower(rt[0])] == nil {
			t.Errorf("%s %s is not in the OpenAPI document", rt[0], rt[1])
		}
	}
	for _, must := range []string{"/api/v1/accounts", "/api/v1/sessions", "/api/v1/me", "/api/v1/users", "/api/v1/conversations",
		"/api/v1/conversations/{id}/messages", "/api/v1/conversations/{id}/read", "/api/v1/conversations/{id}/messages/{seq}/receipts",
		"/api/v1/stream", "/healthz", "/metrics", "/api/v1/openapi.json"} {
		if paths[must] == nil {
			t.Errorf("%s missing from the document", must)
		}
	}
	// Every documented path answers with something other than "no such endpoint".
	for path, ops := range paths {
		for method := range ops.(map[string]any) {
			u := srv.URL + strings.NewReplacer("{id}", "0000000000000000", "{user_id}", "0000000000000000", "{seq}", "1", "{code}", "x").Replace(path)
			st, body := raw(t, strings.ToUpper(method), u, "", nil)
			if msg, _ := body["error"].(map[string]any); st == 404 && msg != nil && strings.HasPrefix(msg["message"].(string), "no such endpoint") {
				t.Errorf("%s %s is documented but not routed", method, path)
			}
		}
	}
}

func TestMetricsAndHealth(t *testing.T) {
	const token = "metrics-token-0123456789"
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.MetricsToken = token }))
	srv.NewUser(t, "A")
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"tack_http_requests_total", "tack_stream_connections", "go_goroutines"} {
		if !bytes.Contains(b, []byte(m)) {
			t.Errorf("metrics lack %s", m)
		}
	}
	if st, body := raw(t, "GET", srv.URL+"/healthz", "", nil); st != 200 || body["status"] != "ok" {
		t.Fatalf("healthz %d %v", st, body)
	}
}

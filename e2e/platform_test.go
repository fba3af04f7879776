package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/tacktest"
)

// dingSign is DingTalk's documented robot signature, written out here
// without the platform package: base64(HMAC-SHA256(secret,
// timestamp+"\n"+secret)), URL-encoded.
func dingSign(secret string, ts int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d\n%s", ts, secret)
	return url.QueryEscape(base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

type robotAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func robotPost(t *testing.T, base, query string, body string) robotAnswer {
	t.Helper()
	resp, err := http.Post(base+"/robot/send?"+query, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a robotAnswer
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&a) != nil {
		t.Fatalf("robot answer: HTTP %d", resp.StatusCode)
	}
	return a
}

type robotCreds struct {
	ID          string `json:"id"`
	Webhook     string `json:"webhook"`
	AccessToken string `json:"access_token"`
	Secret      string `json:"secret"`
	BotID       string `json:"bot_id"`
}

// TestRobotWebhook posts through a DingTalk-signed robot webhook exactly
// as DESIGN.md §4b states it: a member of the group receives the message
// over the stream; every refusal answers DingTalk's shape and posts nothing.
func TestRobotWebhook(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t)
	owner, member, outsider := srv.NewUser(t, "群主"), srv.NewUser(t, "Member"), srv.NewUser(t, "Outsider")
	conv := mustDo[client.Conversation](t)(owner.CreateConversation(ctx, "group", []string{member.ID}, "CI"))
	path := "/api/v1/conversations/" + string(conv.ID) + "/robots"

	var creds robotCreds
	if err := member.Do(ctx, "POST", path, map[string]any{"name": "Jenkins"}, &creds); apiCode(err) != "forbidden" {
		t.Fatalf("a plain member adds a robot: %v", err)
	}
	if err := outsider.Do(ctx, "GET", path, nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("an outsider lists robots: %v", err)
	}
	if err := owner.Do(ctx, "POST", path, map[string]any{"name": "Jenkins"}, &creds); err != nil {
		t.Fatal(err)
	}
	if creds.Webhook != "/robot/send?access_token="+creds.AccessToken || !strings.HasPrefix(creds.Secret, "SEC") {
		t.Fatalf("credentials: %+v", creds)
	}
	var list struct {
		Robots []map[string]any `json:"robots"`
	}
	if err := member.Do(ctx, "GET", path, nil, &list); err != nil || len(list.Robots) != 1 {
		t.Fatalf("members see the robot: %v %v", list, err)
	}
	if _, ok := list.Robots[0]["secret"]; ok {
		t.Fatal("the secret is listed")
	}
	s := connect(t, member.Client, nil)

	now := time.Now().UnixMilli()
	q := fmt.Sprintf("access_token=%s&timestamp=%d&sign=%s", creds.AccessToken, now, dingSign(creds.Secret, now))
	if a := robotPost(t, srv.URL, q, `{"msgtype":"text","text":{"content":"构建成功 build #42"},"at":{"atUserIds":["`+member.ID+`"]}}`); a.ErrCode != 0 || a.ErrMsg != "ok" {
		t.Fatalf("signed post: %+v", a)
	}
	e := waitEvent(t, s, "the robot's message", func(e client.Event) bool { return e.Type == "message" && e.Message.Kind == "robot" })
	m := e.Message
	if m.Text != "构建成功 build #42" || string(m.SenderID) != creds.BotID || m.System == nil || m.System.Title != "Jenkins" || len(m.Mentions) != 1 {
		t.Fatalf("robot message: %+v %+v", m, m.System)
	}
	last := m.Seq

	stale := time.Now().Add(-2 * time.Hour).UnixMilli()
	big := `{"msgtype":"text","text":{"content":"` + strings.Repeat("x", platform.MaxRobotBody) + `"}}`
	for _, c := range []struct {
		name, query, body string
		code              int
	}{
		{"wrong signature", fmt.Sprintf("access_token=%s&timestamp=%d&sign=%s", creds.AccessToken, now, dingSign(creds.Secret+"x", now)), `{"msgtype":"text","text":{"content":"x"}}`, 310000},
		{"stale timestamp", fmt.Sprintf("access_token=%s&timestamp=%d&sign=%s", creds.AccessToken, stale, dingSign(creds.Secret, stale)), `{"msgtype":"text","text":{"content":"x"}}`, 310000},
		{"no signature", "access_token=" + creds.AccessToken, `{"msgtype":"text","text":{"content":"x"}}`, 310000},
		{"unknown token", fmt.Sprintf("access_token=%s&timestamp=%d&sign=%s", strings.Repeat("0", 64), now, dingSign(creds.Secret, now)), `{"msgtype":"text","text":{"content":"x"}}`, 300001},
		{"oversized", q, big, 460101},
		{"not JSON", q, `{"msgtype":`, 40035},
		{"unknown type", q, `{"msgtype":"image"}`, 40008},
	} {
		if a := robotPost(t, srv.URL, c.query, c.body); a.ErrCode != c.code {
			t.Errorf("%s: %+v, want %d", c.name, a, c.code)
		}
	}
	// Keyword and IP allow-list robot: a post without the keyword is refused.
	var kw robotCreds
	if err := owner.Do(ctx, "POST", path, map[string]any{"name": "Deploy", "signed": false, "keywords": []string{"部署"}, "ip_allow": []string{"127.0.0.0/8"}}, &kw); err != nil {
		t.Fatal(err)
	}
	if a := robotPost(t, srv.URL, "access_token="+kw.AccessToken, `{"msgtype":"text","text":{"content":"hello"}}`); a.ErrCode != 310000 {
		t.Fatalf("missing keyword: %+v", a)
	}
	var blocked robotCreds
	if err := owner.Do(ctx, "POST", path, map[string]any{"name": "Far", "signed": false, "ip_allow": []string{"203.0.113.0/24"}}, &blocked); err != nil {
		t.Fatal(err)
	}
	if a := robotPost(t, srv.URL, "access_token="+blocked.AccessToken, `{"msgtype":"text","text":{"content":"hello"}}`); a.ErrCode != 310000 || !strings.Contains(a.ErrMsg, "whitelist") {
		t.Fatalf("blocked address: %+v", a)
	}
	h := mustDo[[]client.Message](t)(owner.History(ctx, string(conv.ID), last, 0, 50))
	if len(h) != 0 {
		t.Fatalf("refused posts stored %d messages: %+v", len(h), h[0])
	}
	if a := robotPost(t, srv.URL, "access_token="+kw.AccessToken, `{"msgtype":"actionCard","actionCard":{"title":"部署 v2","text":"**ok**","btns":[{"title":"查看","actionURL":"https://ci.example/42"}]}}`); a.ErrCode != 0 {
		t.Fatalf("action card: %+v", a)
	}
	e = waitEvent(t, s, "the action card", func(e client.Event) bool { return e.Type == "message" && e.Message.Kind == "robot" })
	var card platform.Card
	if e.Message.System == nil || json.Unmarshal(e.Message.System.Card, &card) != nil || card.Type != "actionCard" || len(card.Buttons) != 1 {
		t.Fatalf("card: %+v", e.Message.System)
	}
	// DingTalk's 20 messages a minute per robot: 1 sent, 19 more pass, the 21st is refused.
	for i := 0; i < 19; i++ {
		if a := robotPost(t, srv.URL, q, fmt.Sprintf(`{"msgtype":"text","text":{"content":"n%d"}}`, i)); a.ErrCode != 0 {
			t.Fatalf("post %d: %+v", i+2, a)
		}
	}
	if a := robotPost(t, srv.URL, q, `{"msgtype":"text","text":{"content":"one too many"}}`); a.ErrCode != 130101 {
		t.Fatalf("21st post: %+v", a)
	}
	// A reset token stops the old webhook.
	var reset robotCreds
	if err := owner.Do(ctx, "POST", path+"/"+creds.ID+"/reset", nil, &reset); err != nil {
		t.Fatal(err)
	}
	if a := robotPost(t, srv.URL, q, `{"msgtype":"text","text":{"content":"old"}}`); a.ErrCode != 300001 {
		t.Fatalf("old token after reset: %+v", a)
	}
	if err := outsider.Do(ctx, "DELETE", path+"/"+creds.ID, nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("outsider deletes: %v", err)
	}
	if err := owner.Do(ctx, "DELETE", path+"/"+creds.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
}

// receiver is a callback endpoint that checks signatures and fails the
// first fail requests.
type receiver struct {
	mu     sync.Mutex
	secret string
	fail   int
	calls  int
	good   []map[string]any // bodies of accepted, correctly signed calls
	bad    int              // calls with a wrong signature
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	m := hmac.New(sha256.New, []byte(rc.secret))
	m.Write([]byte(r.Header.Get("X-Tack-Timestamp") + "\n"))
	m.Write(body)
	if r.Header.Get("X-Tack-Signature") != "sha256="+hex.EncodeToString(m.Sum(nil)) {
		rc.bad++
		w.WriteHeader(401)
		return
	}
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(503)
		return
	}
	var v map[string]any
	json.Unmarshal(body, &v)
	rc.good = append(rc.good, v)
}

func (rc *receiver) got() (good []map[string]any, bad, calls int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.good...), rc.bad, rc.calls
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling for the condition, with its deadline
	}
}

type appCreds struct {
	ID             string   `json:"id"`
	ClientID       string   `json:"client_id"`
	ClientSecret   string   `json:"client_secret"`
	CallbackSecret string   `json:"callback_secret"`
	Scopes         []string `json:"scopes"`
}

func appToken(t *testing.T, base string, a appCreds) *client.Client {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"grant_type": "client_credentials", "client_id": a.ClientID, "client_secret": a.ClientSecret})
	resp, err := http.Post(base+"/api/v1/oauth/token", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var g platform.Grant
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&g) != nil || g.ExpiresIn != 7200 || !strings.HasPrefix(g.AccessToken, "tka_") {
		t.Fatalf("token: HTTP %d %+v", resp.StatusCode, g)
	}
	c := client.New(base)
	c.Token = g.AccessToken
	return c
}

func fastPlatform(c *node.Config) {
	c.PlatformEvery = 10 * time.Millisecond
	c.PlatformRetry = platform.Retry{First: 10 * time.Millisecond, Max: 40 * time.Millisecond, GiveUp: time.Hour}
}

// TestAppsScopesAndCallbacks: an app's token works only within its scopes
// and its organisation; a message in an organisation group reaches the
// app's callback signed, on the fourth try after three failures.
func TestAppsScopesAndCallbacks(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t, tacktest.WithConfig(fastPlatform))
	owner, member, other := srv.NewUser(t, "Owner"), srv.NewUser(t, "Member"), srv.NewUser(t, "Other")
	orgA := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	inv := mustDo[client.InvitationOut](t)(owner.CreateInvitation(ctx, string(orgA.ID), map[string]any{}))
	mustDo[client.Joined](t)(member.AcceptInvitation(ctx, inv.Code))
	groupA := mustDo[client.OrgGroup](t)(owner.CreateOrgGroup(ctx, string(orgA.ID), "", ""))
	orgB := mustDo[client.Org](t)(other.CreateOrg(ctx, "Beta", "Asia/Shanghai"))
	groupB := mustDo[client.OrgGroup](t)(other.CreateOrgGroup(ctx, string(orgB.ID), "", ""))

	rc := &receiver{fail: 3}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	apps := "/api/v1/orgs/" + string(orgA.ID) + "/apps"
	body := map[string]any{"name": "HR sync", "scopes": []string{"chat:write"}, "callback_url": hook.URL, "events": []string{"message"}}
	if err := member.Do(ctx, "POST", apps, body, nil); apiCode(err) != "forbidden" {
		t.Fatalf("a member registers an app: %v", err)
	}
	if err := other.Do(ctx, "GET", apps, nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("another organisation's owner lists apps: %v", err)
	}
	var a appCreds
	if err := owner.Do(ctx, "POST", apps, body, &a); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = a.CallbackSecret
	rc.mu.Unlock()
	app := appToken(t, srv.URL, a)

	if err := app.Do(ctx, "GET", "/api/v1/app/directory/members", nil, nil); apiCode(err) != "forbidden" {
		t.Fatalf("directory without directory:read: %v", err)
	}
	if err := member.Do(ctx, "GET", "/api/v1/app/directory/members", nil, nil); apiCode(err) != "unauthorized" {
		t.Fatalf("a user session on an app call: %v", err)
	}
	if err := app.Do(ctx, "POST", "/api/v1/app/messages", map[string]any{"conversation_id": groupB.ConversationID, "msgtype": "text", "text": map[string]string{"content": "hi"}}, nil); apiCode(err) != "not_found" {
		t.Fatalf("posting into another organisation's group: %v", err)
	}
	s := connect(t, member.Client, nil)
	if err := app.Do(ctx, "POST", "/api/v1/app/messages", map[string]any{"conversation_id": groupA.ConversationID, "msgtype": "text", "text": map[string]string{"content": "工资单已发"}}, nil); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, s, "the app's message", func(e client.Event) bool {
		return e.Type == "message" && e.Message.Kind == "robot" && e.Message.Text == "工资单已发"
	})
	// A member's message in the organisation group is an event for the app.
	sent := mustDo[client.Message](t)(member.Send(ctx, string(groupA.ConversationID), client.Draft{ClientID: "cb-1", Text: "早上好"}))
	waitFor(t, "the message event", func() bool {
		good, _, _ := rc.got()
		for _, g := range good {
			if d, _ := g["data"].(map[string]any); d != nil && d["text"] == "早上好" {
				return true
			}
		}
		return false
	})
	good, bad, _ := rc.got()
	if bad != 0 {
		t.Fatalf("%d calls with a wrong signature", bad)
	}
	var ev map[string]any
	for _, g := range good {
		if d, _ := g["data"].(map[string]any); d != nil && d["text"] == "早上好" {
			ev = g
		}
	}
	if ev["type"] != "message" || ev["org_id"] != string(orgA.ID) || ev["id"] == "" || ev["data"].(map[string]any)["seq"] != float64(sent.Seq) {
		t.Fatalf("event: %v", ev)
	}
	var ds struct {
		Deliveries []platform.Delivery `json:"deliveries"`
	}
	if err := owner.Do(ctx, "GET", apps+"/"+a.ID+"/deliveries?state=delivered", nil, &ds); err != nil {
		t.Fatal(err)
	}
	tries := 0
	for _, d := range ds.Deliveries {
		tries += d.Attempts
	}
	// Three failures in all before the first success, across the deliveries made so far.
	if len(ds.Deliveries) == 0 || tries != len(ds.Deliveries)+3 {
		t.Fatalf("deliveries: %d with %d attempts", len(ds.Deliveries), tries)
	}
	// Granting directory:read takes a new token; the old one keeps its scopes.
	if err := owner.Do(ctx, "PATCH", apps+"/"+a.ID, map[string]any{"scopes": []string{"chat:write", "directory:read"}}, nil); err != nil {
		t.Fatal(err)
	}
	app = appToken(t, srv.URL, a)
	var members struct {
		Members []map[string]any `json:"members"`
	}
	if err := app.Do(ctx, "GET", "/api/v1/app/directory/members", nil, &members); err != nil || len(members.Members) != 2 {
		t.Fatalf("directory: %d %v", len(members.Members), err)
	}
	var calls struct {
		Calls []platform.Call `json:"calls"`
	}
	if err := owner.Do(ctx, "GET", apps+"/"+a.ID+"/calls", nil, &calls); err != nil || len(calls.Calls) < 3 {
		t.Fatalf("audit: %+v %v", calls, err)
	}
	// The switchboard: apps off refuses the app's calls; attendance off
	// refuses attendance routes; outsiders still see 404.
	mods := "/api/v1/orgs/" + string(orgA.ID) + "/modules"
	if err := member.Do(ctx, "PUT", mods, map[string]any{"modules": map[string]bool{"apps": false}}, nil); apiCode(err) != "forbidden" {
		t.Fatalf("a member switches modules: %v", err)
	}
	if err := owner.Do(ctx, "PUT", mods, map[string]any{"modules": map[string]bool{"apps": false, "attendance": false}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := app.Do(ctx, "GET", "/api/v1/app/directory/members", nil, nil); apiCode(err) != "module_off" {
		t.Fatalf("app call with apps off: %v", err)
	}
	if err := member.Do(ctx, "GET", "/api/v1/orgs/"+string(orgA.ID)+"/attendance/records", nil, nil); apiCode(err) != "module_off" {
		t.Fatalf("attendance with attendance off: %v", err)
	}
	if err := other.Do(ctx, "GET", "/api/v1/orgs/"+string(orgA.ID)+"/attendance/records", nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("an outsider on a module that is off: %v", err)
	}
	var sb struct {
		Modules map[string]bool `json:"modules"`
	}
	if err := member.Do(ctx, "GET", mods, nil, &sb); err != nil || sb.Modules["apps"] || sb.Modules["attendance"] || !sb.Modules["approvals"] {
		t.Fatalf("switchboard: %v %v", sb, err)
	}
}

// TestCallbacksSurviveRestart: a delivery being retried when the server
// restarts is delivered after it; one that gives up goes to the dead
// letters and an admin's replay delivers it.
func TestCallbacksSurviveRestart(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t, tacktest.WithConfig(fastPlatform))
	owner := srv.NewUser(t, "Owner")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	rc := &receiver{fail: 1 << 30}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	apps := "/api/v1/orgs/" + string(o.ID) + "/apps"
	var a appCreds
	if err := owner.Do(ctx, "POST", apps, map[string]any{"name": "Ops", "callback_url": hook.URL, "events": []string{"message"}}, &a); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = a.CallbackSecret
	rc.mu.Unlock()
	var d platform.Delivery
	if err := owner.Do(ctx, "POST", apps+"/"+a.ID+"/test", nil, &d); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two failed attempts", func() bool { _, _, calls := rc.got(); return calls >= 2 })
	srv.Restart(t)
	owner.BaseURL = srv.URL
	rc.mu.Lock()
	rc.fail = 0
	rc.mu.Unlock()
	waitFor(t, "the delivery after the restart", func() bool { good, _, _ := rc.got(); return len(good) == 1 })
	good, _, _ := rc.got()
	if good[0]["id"] != string(d.EventID) || good[0]["type"] != "test" {
		t.Fatalf("delivered %v", good[0])
	}
	var got platform.Delivery
	waitFor(t, "the delivery marked delivered", func() bool {
		var ds struct {
			Deliveries []platform.Delivery `json:"deliveries"`
		}
		owner.Do(ctx, "GET", apps+"/"+a.ID+"/deliveries", nil, &ds)
		if len(ds.Deliveries) == 1 {
			got = ds.Deliveries[0]
		}
		return got.State == platform.Delivered
	})
	if got.Attempts < 2 {
		t.Fatalf("attempts %d", got.Attempts)
	}
	if err := owner.Do(ctx, "POST", apps+"/"+a.ID+"/deliveries/"+string(d.ID)+"/replay", nil, &got); err != nil || got.State != platform.Pending {
		t.Fatalf("replay: %+v %v", got, err)
	}
	waitFor(t, "the replayed delivery", func() bool { good, _, _ := rc.got(); return len(good) == 2 })
	if good, _, _ := rc.got(); good[1]["id"] != good[0]["id"] {
		t.Fatalf("a replay carries the same event ID: %v %v", good[0]["id"], good[1]["id"])
	}
}

// TestOutgoingRobot: a message that says "@Helper" reaches the robot's URL,
// signed as DingTalk signs outgoing robots; the robot answers once in the
// response body and once later through the session webhook.
func TestOutgoingRobot(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t)
	owner, member := srv.NewUser(t, "Owner"), srv.NewUser(t, "Member")
	conv := mustDo[client.Conversation](t)(owner.CreateConversation(ctx, "group", []string{member.ID}, "Ops"))
	type call struct {
		Text struct {
			Content string `json:"content"`
		} `json:"text"`
		SenderID       string `json:"senderId"`
		SessionWebhook string `json:"sessionWebhook"`
		Signed         bool
	}
	var mu sync.Mutex
	var calls []call
	var secret string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var c call
		json.NewDecoder(r.Body).Decode(&c)
		ts, _ := strconv.ParseInt(r.Header.Get("timestamp"), 10, 64)
		mu.Lock()
		c.Signed = url.QueryEscape(r.Header.Get("sign")) == dingSign(secret, ts)
		calls = append(calls, c)
		mu.Unlock()
		if c.Text.Content == "天气" {
			w.Write([]byte(`{"msgtype":"text","text":{"content":"晴，25°C"}}`))
		}
	}))
	t.Cleanup(hook.Close)
	var creds robotCreds
	if err := owner.Do(ctx, "POST", "/api/v1/conversations/"+string(conv.ID)+"/robots", map[string]any{"name": "Helper", "outgoing_url": hook.URL}, &creds); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	secret = creds.Secret
	mu.Unlock()
	robotSays := func(text string) {
		t.Helper()
		waitFor(t, "the robot saying "+text, func() bool {
			h, _ := member.History(ctx, string(conv.ID), 0, 0, 100)
			for _, m := range h {
				if m.Kind == "robot" && m.Text == text && string(m.SenderID) == creds.BotID {
					return true
				}
			}
			return false
		})
	}
	mustDo[client.Message](t)(member.Send(ctx, string(conv.ID), client.Draft{ClientID: "o1", Text: "@Helper 天气"}))
	robotSays("晴，25°C")
	mustDo[client.Message](t)(member.Send(ctx, string(conv.ID), client.Draft{ClientID: "o2", Text: "no robot named here"}))
	mustDo[client.Message](t)(member.Send(ctx, string(conv.ID), client.Draft{ClientID: "o3", Text: "@Helper 稍后"}))
	waitFor(t, "the second call", func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) == 2 })
	mu.Lock()
	c1, c2 := calls[0], calls[1]
	mu.Unlock()
	if !c1.Signed || !c2.Signed || c1.SenderID != member.ID || c2.Text.Content != "稍后" || !strings.HasPrefix(c2.SessionWebhook, "/robot/session?session=") {
		t.Fatalf("calls: %+v %+v", c1, c2)
	}
	if a := robotPost2(t, srv.URL+c2.SessionWebhook, `{"msgtype":"markdown","markdown":{"title":"t","text":"**稍后回复**"}}`); a.ErrCode != 0 {
		t.Fatalf("session webhook: %+v", a)
	}
	robotSays("**稍后回复**")
	if a := robotPost2(t, srv.URL+c2.SessionWebhook+"0", `{"msgtype":"text","text":{"content":"forged"}}`); a.ErrCode != 300001 {
		t.Fatalf("tampered session: %+v", a)
	}
}

func robotPost2(t *testing.T, u, body string) robotAnswer {
	t.Helper()
	resp, err := http.Post(u, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var a robotAnswer
	if decodeJSON(resp, &a) != nil {
		t.Fatalf("answer of %s", u)
	}
	return a
}

// TestDeadLetters: a delivery that fails for longer than the retry window
// is dead; the admin sees it in the dead-letter list and replays it.
func TestDeadLetters(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.PlatformEvery = 10 * time.Millisecond
		c.PlatformRetry = platform.Retry{First: 10 * time.Millisecond, Max: 20 * time.Millisecond, GiveUp: 150 * time.Millisecond}
	}))
	owner := srv.NewUser(t, "Owner")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "UTC"))
	rc := &receiver{fail: 1 << 30}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	apps := "/api/v1/orgs/" + string(o.ID) + "/apps"
	var a appCreds
	if err := owner.Do(ctx, "POST", apps, map[string]any{"name": "Ops", "callback_url": hook.URL, "events": []string{"approval"}}, &a); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	rc.secret = a.CallbackSecret
	rc.mu.Unlock()
	var d platform.Delivery
	if err := owner.Do(ctx, "POST", apps+"/"+a.ID+"/test", nil, &d); err != nil {
		t.Fatal(err)
	}
	var dead struct {
		Deliveries []platform.Delivery `json:"deliveries"`
	}
	waitFor(t, "the dead letter", func() bool {
		owner.Do(ctx, "GET", apps+"/"+a.ID+"/deliveries?state=dead", nil, &dead)
		return len(dead.Deliveries) == 1
	})
	if x := dead.Deliveries[0]; x.ID != d.ID || x.Attempts < 1 || x.LastStatus != 503 || x.LastError != "HTTP 503" {
		t.Fatalf("dead letter: %+v", x)
	}
	if err := owner.Do(ctx, "POST", apps+"/"+a.ID+"/deliveries/"+string(tack0)+"/replay", nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("replay of nothing: %v", err)
	}
	rc.mu.Lock()
	rc.fail = 0
	rc.mu.Unlock()
	if err := owner.Do(ctx, "POST", apps+"/"+a.ID+"/deliveries/"+string(d.ID)+"/replay", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the replayed dead letter", func() bool { good, _, _ := rc.got(); return len(good) == 1 })
}

const tack0 = "0000000000000000"

// TestAppEventStream: an app without a callback URL (behind a firewall)
// takes its events over a WebSocket; an event it does not acknowledge
// comes back on its next connection, once the lease runs out.
func TestAppEventStream(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.PlatformRetry = platform.Retry{Lease: 300 * time.Millisecond, Timeout: time.Second}
	}))
	owner, member := srv.NewUser(t, "Owner"), srv.NewUser(t, "Member")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "UTC"))
	inv := mustDo[client.InvitationOut](t)(owner.CreateInvitation(ctx, string(o.ID), map[string]any{}))
	mustDo[client.Joined](t)(member.AcceptInvitation(ctx, inv.Code))
	g := mustDo[client.OrgGroup](t)(owner.CreateOrgGroup(ctx, string(o.ID), "", ""))
	apps := "/api/v1/orgs/" + string(o.ID) + "/apps"
	var a appCreds
	if err := owner.Do(ctx, "POST", apps, map[string]any{"name": "Intranet bot", "events": []string{"message"}}, &a); err != nil {
		t.Fatal(err)
	}
	app := appToken(t, srv.URL, a)
	dial := func() *websocket.Conn {
		h := http.Header{"Authorization": {"Bearer " + app.Token}}
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/v1/app/events", &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/v1/app/events", nil); err == nil {
		t.Fatal("a stream without a token was accepted")
	}
	type frame struct {
		Type       string `json:"type"`
		DeliveryID string `json:"delivery_id"`
		Event      struct {
			ID   string         `json:"id"`
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		} `json:"event"`
	}
	read := func(c *websocket.Conn) frame {
		t.Helper()
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		_, b, err := c.Read(rctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var f frame
		json.Unmarshal(b, &f)
		return f
	}
	c1 := dial()
	mustDo[client.Message](t)(member.Send(ctx, string(g.ConversationID), client.Draft{ClientID: "ws-1", Text: "防火墙后面"}))
	f1 := read(c1)
	if f1.Type != "event" || f1.Event.Type != "message" || f1.Event.Data["text"] != "防火墙后面" {
		t.Fatalf("frame: %+v", f1)
	}
	c1.Close(websocket.StatusNormalClosure, "") // no acknowledgement
	c2 := dial()
	defer c2.CloseNow()
	f2 := read(c2)
	if f2.DeliveryID != f1.DeliveryID || f2.Event.ID != f1.Event.ID {
		t.Fatalf("redelivered %+v, want %s", f2, f1.DeliveryID)
	}
	ack, _ := json.Marshal(map[string]string{"type": "ack", "delivery_id": f2.DeliveryID})
	if err := c2.Write(ctx, websocket.MessageText, ack); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery acknowledged", func() bool {
		var ds struct {
			Deliveries []platform.Delivery `json:"deliveries"`
		}
		owner.Do(ctx, "GET", apps+"/"+a.ID+"/deliveries?state=delivered", nil, &ds)
		return len(ds.Deliveries) == 1 && ds.Deliveries[0].Stream
	})
}

// TestRobotMentionsByPhone: DingTalk's at.atMobiles mentions the member
// whose login is that phone number; a phone of no member mentions nobody.
func TestRobotMentionsByPhone(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t)
	owner := srv.NewUser(t, "Owner")
	pc := client.New(srv.URL)
	pu, err := pc.Register(ctx, "+86 138 0013 8000", "correct horse battery", "手机用户")
	if err != nil {
		t.Fatal(err)
	}
	conv := mustDo[client.Conversation](t)(owner.CreateConversation(ctx, "group", []string{string(pu.ID)}, "Ops"))
	var creds robotCreds
	if err := owner.Do(ctx, "POST", "/api/v1/conversations/"+string(conv.ID)+"/robots", map[string]any{"name": "CI"}, &creds); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	q := fmt.Sprintf("access_token=%s&timestamp=%d&sign=%s", creds.AccessToken, now, dingSign(creds.Secret, now))
	if a := robotPost(t, srv.URL, q, `{"msgtype":"text","text":{"content":"@13800138000 build broke"},"at":{"atMobiles":["13800138000","13900000000"]}}`); a.ErrCode != 0 {
		t.Fatalf("post: %+v", a)
	}
	h := mustDo[[]client.Message](t)(owner.History(ctx, string(conv.ID), 0, 0, 10))
	m := h[len(h)-1]
	if m.Kind != "robot" || len(m.Mentions) != 1 || m.Mentions[0] != pu.ID {
		t.Fatalf("mentions: %+v", m.Mentions)
	}
}

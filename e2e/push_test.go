package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
	"github.com/tackhq/tack/tacktest"
)

const pushWait = 15 * time.Second

// pushServer starts a server that may push to the test's loopback
// endpoints, with one sender so that pushes leave in commit order: when a
// later message's push arrives, every earlier message has been decided.
// Its attendance clock reads midday in Shanghai (today, moving on from
// there): pushes are held back in quiet hours (22:00 to 08:00 where
// people work), which would make these tests depend on when they run.
func pushServer(t *testing.T) *tacktest.Server {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Now()
	y, m, d := start.In(sh).Date()
	noon := time.Date(y, m, d, 12, 0, 0, 0, sh)
	return tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.PushAllowLoopback = true
		c.PushWorkers = 1
		c.AttendanceClock = func() time.Time { return noon.Add(time.Since(start)) }
	}))
}

func pushKey(t *testing.T, srv *tacktest.Server) string {
	t.Helper()
	status, body := raw(t, "GET", srv.URL+"/api/v1/push/key", "", nil)
	key, _ := body["key"].(string)
	if status != http.StatusOK || key == "" {
		t.Fatalf("GET /api/v1/push/key = %d %v", status, body)
	}
	return key
}

func subscribe(t *testing.T, u *tacktest.User, b *pushtest.Browser) {
	t.Helper()
	var out map[string]any
	if err := u.Do(ctxT(t), "POST", "/api/v1/push/subscriptions", b.Subscription(), &out); err != nil {
		t.Fatalf("subscribe %s: %v", u.Name, err)
	}
	if out["endpoint"] != b.Endpoint {
		t.Fatalf("subscribe answered %v", out)
	}
}

func setPreviews(t *testing.T, u *tacktest.User, on bool) {
	t.Helper()
	var out push.Settings
	if err := u.Do(ctxT(t), "PUT", "/api/v1/me/push", map[string]bool{"previews": on}, &out); err != nil || out.Previews != on {
		t.Fatalf("PUT /me/push previews=%v: %v %+v", on, err, out)
	}
}

func direct(t *testing.T, a, b *tacktest.User) client.Conversation {
	t.Helper()
	c, err := a.CreateConversation(ctxT(t), "direct", []string{b.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func send(t *testing.T, u *tacktest.User, conv string, d client.Draft) client.Message {
	t.Helper()
	if d.ClientID == "" {
		d.ClientID = string(tack.NewID())
	}
	m, err := u.Send(ctxT(t), conv, d)
	if err != nil {
		t.Fatalf("%s sends: %v", u.Name, err)
	}
	return m
}

// nextPayload waits for b's next push, checks its VAPID signature and
// encryption, and decodes it.
func nextPayload(t *testing.T, b *pushtest.Browser, key string) (push.Payload, pushtest.Push) {
	t.Helper()
	p := b.Next(t, pushWait)
	var pl push.Payload
	if err := b.Open(p, key, &pl); err != nil {
		t.Fatalf("push does not open: %v", err)
	}
	return pl, p
}

func noPushes(t *testing.T, who string, b *pushtest.Browser) {
	t.Helper()
	if got := b.Pending(); len(got) != 0 {
		t.Errorf("%s received %d unexpected pushes", who, len(got))
	}
}

// TestPushDirectMessage: a direct message reaches the other person's
// browser as a push they can decrypt, saying who wrote and nothing of what;
// the sender gets none; with previews on, the text comes too.
func TestPushDirectMessage(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	if raw, err := b64URL(key); err != nil || len(raw) != 65 || raw[0] != 4 {
		t.Fatalf("key %q is not base64url of an uncompressed P-256 point", key)
	}
	alice, bob := srv.NewUser(t, "Alice"), srv.NewUser(t, "張三")
	ab, bb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, alice, ab)
	subscribe(t, bob, bb)
	c := direct(t, bob, alice)

	const secret = "the launch code is 0000 机密"
	m := send(t, bob, string(c.ID), client.Draft{Text: secret})
	pl, p := nextPayload(t, ab, key)
	want := push.Payload{V: 1, Type: "message", Title: "New message from 張三", SenderID: tack.ID(bob.ID), SenderName: "張三",
		ConversationID: c.ID, Seq: m.Seq, URL: "/c/" + string(c.ID), Tag: "c:" + string(c.ID)}
	if pl != want {
		t.Errorf("payload = %+v\nwant      %+v", pl, want)
	}
	if plain, _ := ab.Decrypt(p.Body); strings.Contains(string(plain), "launch") || strings.Contains(string(plain), "机密") {
		t.Errorf("the push carries the message text without previews: %s", plain)
	}
	if p.Header.Get("TTL") == "" || p.Header.Get("TTL") == "0" || p.Header.Get("Urgency") != "normal" || p.Header.Get("Topic") == "" {
		t.Errorf("push headers TTL=%q Urgency=%q Topic=%q", p.Header.Get("TTL"), p.Header.Get("Urgency"), p.Header.Get("Topic"))
	}

	// Alice answers: bob's browser gets that push, and it is bob's first,
	// so nothing came for his own message.
	reply := send(t, alice, string(c.ID), client.Draft{Text: "ok"})
	pl, _ = nextPayload(t, bb, key)
	if pl.Seq != reply.Seq || pl.SenderName != "Alice" || pl.Body != "" {
		t.Errorf("bob's first push = %+v, want the reply %d without text", pl, reply.Seq)
	}

	// Previews on: the text travels, encrypted.
	setPreviews(t, alice, true)
	m = send(t, bob, string(c.ID), client.Draft{Text: secret})
	pl, _ = nextPayload(t, ab, key)
	if pl.Body != secret || pl.Seq != m.Seq || pl.Title != "New message from 張三" {
		t.Errorf("with previews: %+v, want body %q", pl, secret)
	}
	long := strings.Repeat("长", 500)
	m = send(t, bob, string(c.ID), client.Draft{Text: long})
	pl, _ = nextPayload(t, ab, key)
	if r := []rune(pl.Body); len(r) != push.MaxPreviewRunes || r[len(r)-1] != '…' || pl.Seq != m.Seq {
		t.Errorf("a long preview has %d runes, want %d ending in …", len(r), push.MaxPreviewRunes)
	}
	setPreviews(t, alice, false)
	send(t, bob, string(c.ID), client.Draft{Text: secret})
	if pl, _ = nextPayload(t, ab, key); pl.Body != "" {
		t.Errorf("previews off again, yet body %q", pl.Body)
	}
	noPushes(t, "alice", ab)
	noPushes(t, "bob", bb)
}

// TestPushMentionsAndMute: in a group only @mentioned people get a push;
// a muted conversation sends nothing.
func TestPushMentionsAndMute(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	owner, m1, m2 := srv.NewUser(t, "Owner"), srv.NewUser(t, "Ming"), srv.NewUser(t, "Hua")
	b1, b2 := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, m1, b1)
	subscribe(t, m2, b2)
	g, err := owner.CreateConversation(ctxT(t), "group", []string{m1.ID, m2.ID}, "Launch 团队")
	if err != nil {
		t.Fatal(err)
	}
	gid := string(g.ID)
	send(t, owner, gid, client.Draft{Text: "no mention: nobody is pushed"})
	m := send(t, owner, gid, client.Draft{Text: "@Ming look", Mentions: []string{m1.ID}})
	pl, _ := nextPayload(t, b1, key)
	if pl.Type != "mention" || pl.Seq != m.Seq || pl.Title != "Owner mentioned you" || pl.ConversationTitle != "" || pl.Body != "" {
		t.Errorf("mention push = %+v", pl)
	}

	// Ming mutes the group: mentions of him send nothing; Hua still hears.
	if err := m1.Do(ctxT(t), "PUT", "/api/v1/conversations/"+gid+"/settings", map[string]bool{"muted": true}, nil); err != nil {
		t.Fatal(err)
	}
	send(t, owner, gid, client.Draft{Text: "@Ming muted", Mentions: []string{m1.ID}})
	m = send(t, owner, gid, client.Draft{Text: "@all", MentionAll: true})
	pl, _ = nextPayload(t, b2, key)
	if pl.Seq != m.Seq || pl.Type != "mention" {
		t.Errorf("Hua's push = %+v, want the @all %d", pl, m.Seq)
	}
	// A direct chat Ming muted sends nothing either.
	d := direct(t, owner, m1)
	if err := m1.Do(ctxT(t), "PUT", "/api/v1/conversations/"+string(d.ID)+"/settings", map[string]bool{"muted": true}, nil); err != nil {
		t.Fatal(err)
	}
	send(t, owner, string(d.ID), client.Draft{Text: "muted direct"})
	// A marker through Hua: everything before it has been decided.
	m = send(t, owner, gid, client.Draft{Text: "@Hua marker", Mentions: []string{m2.ID}})
	if pl, _ = nextPayload(t, b2, key); pl.Seq != m.Seq {
		t.Errorf("marker push = %+v", pl)
	}
	noPushes(t, "Ming (muted)", b1)

	// With previews, a mention carries the text and the group's title.
	setPreviews(t, m2, true)
	m = send(t, owner, gid, client.Draft{Text: "@Hua 明天见", Mentions: []string{m2.ID}})
	if pl, _ = nextPayload(t, b2, key); pl.Body != "@Hua 明天见" || pl.ConversationTitle != "Launch 团队" {
		t.Errorf("mention with previews = %+v", pl)
	}
}

// TestPushGoneAndSignOut: a push service answering 410 removes the
// subscription; 503 is retried; signing out removes the session's
// subscription; DELETE removes one.
func TestPushGoneAndSignOut(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	ps := srv.Node.Store.(push.Store)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, bob, bb)
	subscribe(t, carol, cb)
	ab, ac := direct(t, alice, bob), direct(t, alice, carol)

	// 503, then accepted: retried.
	bb.Respond(http.StatusServiceUnavailable)
	m := send(t, alice, string(ab.ID), client.Draft{Text: "one"})
	if p := bb.Next(t, pushWait); p.Status != http.StatusServiceUnavailable {
		t.Fatalf("first answer %d", p.Status)
	}
	if pl, _ := nextPayload(t, bb, key); pl.Seq != m.Seq {
		t.Errorf("retried push = %+v", pl)
	}

	// 410: the subscription goes.
	bb.Respond(http.StatusGone)
	send(t, alice, string(ab.ID), client.Draft{Text: "two"})
	if p := bb.Next(t, pushWait); p.Status != http.StatusGone {
		t.Fatalf("answer %d, want 410", p.Status)
	}
	marker := func() {
		t.Helper()
		m := send(t, alice, string(ac.ID), client.Draft{Text: "marker"})
		if pl, _ := nextPayload(t, cb, key); pl.Seq != m.Seq {
			t.Fatalf("marker push = %+v", pl)
		}
	}
	marker()
	if got := targets(t, ps, bob.ID); len(got) != 0 {
		t.Errorf("after 410 bob has %d subscriptions", len(got))
	}
	send(t, alice, string(ab.ID), client.Draft{Text: "three"})
	marker()
	noPushes(t, "bob after 410", bb)

	// Signing out removes that session's subscription only.
	phone := client.New(srv.URL)
	if _, err := phone.SignIn(ctxT(t), bob.Login, bob.Password); err != nil {
		t.Fatal(err)
	}
	pb := pushtest.NewBrowser(t)
	subscribe(t, &tacktest.User{Client: phone, Name: "bob's phone"}, pb)
	subscribe(t, bob, bb)
	if got := targets(t, ps, bob.ID); len(got) != 2 {
		t.Fatalf("bob has %d subscriptions, want 2", len(got))
	}
	if err := phone.SignOut(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	got := targets(t, ps, bob.ID)
	if len(got) != 1 || got[0].Endpoint != bb.Endpoint {
		t.Errorf("after signing out the phone: %d subscriptions", len(got))
	}

	// DELETE with the endpoint: only your own.
	del := func(u *tacktest.User, endpoint string) error {
		return u.Do(ctxT(t), "DELETE", "/api/v1/push/subscriptions", map[string]string{"endpoint": endpoint}, nil)
	}
	if err := del(carol, bb.Endpoint); apiCode(err) != tack.ENotFound {
		t.Errorf("carol deletes bob's subscription: %v, want not_found", err)
	}
	if err := del(bob, bb.Endpoint); err != nil {
		t.Errorf("bob deletes his subscription: %v", err)
	}
	if err := del(bob, bb.Endpoint); apiCode(err) != tack.ENotFound {
		t.Errorf("deleting twice: %v, want not_found", err)
	}
	if got := targets(t, ps, bob.ID); len(got) != 0 {
		t.Errorf("after DELETE %d subscriptions", len(got))
	}
}

func targets(t *testing.T, ps push.Store, user string) []push.Target {
	t.Helper()
	list, err := ps.PushTargets(context.Background(), []tack.ID{tack.ID(user)})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// TestPushActiveUserNotPushed: someone with Tack open (a live stream) gets
// the message there, not as a push.
func TestPushActiveUserNotPushed(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, bob, bb)
	subscribe(t, carol, cb)
	c, ac := direct(t, alice, bob), direct(t, alice, carol)
	// Alice watches bob's presence (shown to friends and colleagues): the
	// node records it before it tells her.
	if _, err := alice.RequestFriend(context.Background(), bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := bob.AcceptFriend(context.Background(), alice.ID); err != nil {
		t.Fatal(err)
	}
	as := connect(t, alice.Client, nil)
	presence := func(online bool) {
		t.Helper()
		waitEvent(t, as, fmt.Sprintf("bob online=%v", online), func(e client.Event) bool {
			return e.Type == "presence" && e.UserID == bob.ID && jsonBool(e.Raw, "online") == online
		})
	}
	bs := connect(t, bob.Client, nil)
	presence(true)
	send(t, alice, string(c.ID), client.Draft{Text: "while you look"})
	collectTexts(t, bs, 1)
	// Pushes are decided after the commit, off the send path: a marker
	// through carol shows that the message above has been decided (while
	// bob was still online) before bob leaves.
	mk := send(t, alice, string(ac.ID), client.Draft{Text: "marker"})
	if pl, _ := nextPayload(t, cb, key); pl.Seq != mk.Seq {
		t.Fatalf("marker push = %+v", pl)
	}
	bs.CloseNow()
	presence(false)
	m := send(t, alice, string(c.ID), client.Draft{Text: "after you left"})
	if pl, _ := nextPayload(t, bb, key); pl.Seq != m.Seq {
		t.Errorf("first push = seq %d, want %d (none while bob was online)", pl.Seq, m.Seq)
	}
}

// TestPushBadInput: every malformed subscription is refused with a precise
// field, and nothing is stored.
func TestPushBadInput(t *testing.T) {
	srv := pushServer(t)
	u := srv.NewUser(t, "U")
	b := pushtest.NewBrowser(t)
	good := b.Subscription()
	with := func(f func(m map[string]any)) map[string]any {
		m := map[string]any{"endpoint": good["endpoint"], "expirationTime": nil,
			"keys": map[string]any{"p256dh": b.P256dh, "auth": b.Auth}}
		f(m)
		return m
	}
	keys := func(m map[string]any) map[string]any { return m["keys"].(map[string]any) }
	past := float64(time.Now().Add(-time.Hour).UnixMilli())
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"no endpoint", with(func(m map[string]any) { delete(m, "endpoint") }), "endpoint"},
		{"relative endpoint", with(func(m map[string]any) { m["endpoint"] = "/push/1" }), "endpoint"},
		{"http endpoint elsewhere", with(func(m map[string]any) { m["endpoint"] = "http://push.example.com/1" }), "endpoint"},
		{"ftp endpoint", with(func(m map[string]any) { m["endpoint"] = "ftp://push.example.com/1" }), "endpoint"},
		{"private address", with(func(m map[string]any) { m["endpoint"] = "https://10.0.0.1/push" }), "endpoint"},
		{"link-local address", with(func(m map[string]any) { m["endpoint"] = "https://169.254.169.254/latest" }), "endpoint"},
		{"user info", with(func(m map[string]any) { m["endpoint"] = "https://a:b@push.example.com/1" }), "endpoint"},
		{"huge endpoint", with(func(m map[string]any) { m["endpoint"] = "https://push.example.com/" + strings.Repeat("a", 3000) }), "endpoint"},
		{"no p256dh", with(func(m map[string]any) { delete(keys(m), "p256dh") }), "keys.p256dh"},
		{"short p256dh", with(func(m map[string]any) { keys(m)["p256dh"] = b.P256dh[:40] }), "keys.p256dh"},
		{"p256dh not base64", with(func(m map[string]any) { keys(m)["p256dh"] = "!!!" + b.P256dh[3:] }), "keys.p256dh"},
		{"p256dh off the curve", with(func(m map[string]any) { keys(m)["p256dh"] = "BA" + strings.Repeat("A", 85) }), "keys.p256dh"},
		{"no auth", with(func(m map[string]any) { delete(keys(m), "auth") }), "keys.auth"},
		{"long auth", with(func(m map[string]any) { keys(m)["auth"] = b.Auth + "AAAA" }), "keys.auth"},
		{"expired", with(func(m map[string]any) { m["expirationTime"] = past }), "expirationTime"},
		{"negative expiry", with(func(m map[string]any) { m["expirationTime"] = -1 }), "expirationTime"},
		{"expiry not a number", with(func(m map[string]any) { m["expirationTime"] = "soon" }), "expirationTime"},
		{"keys not an object", with(func(m map[string]any) { m["keys"] = "x" }), "keys"},
	}
	for _, tc := range cases {
		err := u.Do(ctxT(t), "POST", "/api/v1/push/subscriptions", tc.body, nil)
		e, ok := err.(*client.Error)
		if !ok || e.Status != http.StatusBadRequest || e.Code != tack.EInvalid || e.Field != tc.field {
			t.Errorf("%s: %v (field %q), want 400 invalid on %s", tc.name, err, fieldOf(err), tc.field)
		}
	}
	if got := targets(t, srv.Node.Store.(push.Store), u.ID); len(got) != 0 {
		t.Errorf("bad input stored %d subscriptions", len(got))
	}
	// Signed out: 401. Settings need a boolean.
	if status, _ := raw(t, "POST", srv.URL+"/api/v1/push/subscriptions", "", []byte(`{}`)); status != http.StatusUnauthorized {
		t.Errorf("anonymous subscribe: %d", status)
	}
	for _, body := range []any{map[string]any{}, map[string]any{"previews": "yes"}, map[string]any{"previews": nil}} {
		if err := u.Do(ctxT(t), "PUT", "/api/v1/me/push", body, nil); apiCode(err) != tack.EInvalid {
			t.Errorf("PUT /me/push %v: %v, want invalid", body, err)
		}
	}
	var set push.Settings
	if err := u.Do(ctxT(t), "GET", "/api/v1/me/push", nil, &set); err != nil || set.Previews {
		t.Errorf("GET /me/push = %+v, %v; want previews off", set, err)
	}
	if err := u.Do(ctxT(t), "DELETE", "/api/v1/push/subscriptions", map[string]string{}, nil); apiCode(err) != tack.EInvalid {
		t.Errorf("DELETE without endpoint: %v", err)
	}
}

func fieldOf(err error) string {
	if e, ok := err.(*client.Error); ok {
		return e.Field
	}
	return ""
}

// TestPushKeyKept: the VAPID key survives a restart (browsers' subscriptions
// are bound to it).
func TestPushKeyKept(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	srv.Restart(t)
	if again := pushKey(t, srv); again != key {
		t.Errorf("key changed across a restart: %s -> %s", key, again)
	}
	if k := fmt.Sprint(srv.Node.Push.Key()); k != key {
		t.Errorf("node key %s, served %s", k, key)
	}
}

func b64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// TestPushMultiNodeOnce: two nodes on one PostgreSQL and NATS share one
// VAPID key, and a message is pushed once, by the node that committed it,
// although every node hears of it.
func TestPushMultiNodeOnce(t *testing.T) {
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	var nodes []*tacktest.Server
	for range 2 {
		nodes = append(nodes, tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
			c.PostgresURL, c.NATSURL = dsn, natsURL
			c.PushAllowLoopback, c.PushWorkers = true, 1
		})))
	}
	key := pushKey(t, nodes[0])
	if k := pushKey(t, nodes[1]); k != key {
		t.Fatalf("nodes disagree on the VAPID key: %s, %s", key, k)
	}
	alice, bob := nodes[0].NewUser(t, "Alice"), nodes[0].NewUser(t, "Bob")
	bb := pushtest.NewBrowser(t)
	subscribe(t, bob, bb)
	c := direct(t, alice, bob)
	// Alice's second device listens on node 1.
	other := client.New(nodes[1].URL)
	other.Token = alice.Token
	listener := connect(t, other, nil)

	m1 := send(t, alice, string(c.ID), client.Draft{Text: "one"}) // committed by node 0
	if pl, _ := nextPayload(t, bb, key); pl.Seq != m1.Seq {
		t.Fatalf("first push = %+v", pl)
	}
	collectTexts(t, listener, 1) // node 1 has heard of m1
	alice.BaseURL = nodes[1].URL
	m2 := send(t, alice, string(c.ID), client.Draft{Text: "two"}) // committed by node 1
	// Had node 1 planned m1 when it heard of it, that push would come first.
	if pl, _ := nextPayload(t, bb, key); pl.Seq != m2.Seq {
		t.Errorf("second push = seq %d, want %d: a message was pushed twice", pl.Seq, m2.Seq)
	}
	collectTexts(t, listener, 1)
	noPushes(t, "bob", bb)
}

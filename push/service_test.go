package push_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
	"github.com/tackhq/tack/push/webpush"
	"github.com/tackhq/tack/sqlite"
)

const wait = 10 * time.Second

type fixture struct {
	db   *sqlite.DB
	keys push.Keys
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := push.LoadKeys(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, keys: keys}
}

// user makes a user; with a browser, subscribed on a session of its own.
func (f *fixture) user(t *testing.T, name string, b *pushtest.Browser) tack.ID {
	t.Helper()
	ctx := context.Background()
	u := account.User{ID: tack.NewID(), Login: strings.ToLower(name) + "." + string(tack.NewID()) + "@example.com", Name: name, CreatedAt: time.Now()}
	if err := f.db.CreateUser(ctx, u, "x"); err != nil {
		t.Fatal(err)
	}
	if b == nil {
		return u.ID
	}
	h := sha256.Sum256([]byte(tack.NewID()))
	s := account.Session{ID: tack.NewID(), UserID: u.ID, TokenHash: h[:], CreatedAt: time.Now(), LastSeenAt: time.Now()}
	if err := f.db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	err := f.db.SaveSubscription(ctx, push.Subscription{UserID: u.ID, SessionID: s.ID, Endpoint: b.Endpoint,
		P256dh: b.P256dh, Auth: b.Auth, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (f *fixture) service(t *testing.T, sender push.Sender, cfg push.Config) *push.Service {
	t.Helper()
	if sender == nil {
		sender = webpush.New(f.keys, "ops@example.com", true)
	}
	if cfg.Workers == 0 {
		cfg.Workers = 1
	}
	s := push.NewService(f.db, f.db, f.db, sender, f.keys, nil, cfg)
	t.Cleanup(s.Close)
	return s
}

type online map[tack.ID]bool

func (o online) Online(u tack.ID) bool { return o[u] }

// TestNotifyHook: the hook DING and approvals will use. An urgent notice
// reaches someone active in the app, at high urgency; a plain one does not.
func TestNotifyHook(t *testing.T) {
	f := newFixture(t)
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	alice, bob, carol := f.user(t, "Alice", nil), f.user(t, "Bob", bb), f.user(t, "Carol", cb)
	s := f.service(t, nil, push.Config{Active: online{bob: true}})

	if !s.Notify(push.Notification{Kind: push.KindApproval, Users: []tack.ID{bob}, From: alice, URL: "/approvals/1", Text: "leave"}) {
		t.Fatal("Notify dropped")
	}
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob, alice}, From: alice, Urgent: true, Text: "server down"})
	p := bb.Next(t, wait)
	var pl push.Payload
	if err := bb.Open(p, f.keys.Public, &pl); err != nil {
		t.Fatal(err)
	}
	want := push.Payload{V: 1, Type: "ding", Title: "DING from Alice", SenderID: alice, SenderName: "Alice", URL: "/", Tag: "ding"}
	if pl != want {
		t.Errorf("DING payload = %+v, want %+v", pl, want)
	}
	if p.Header.Get("Urgency") != "high" || p.Header.Get("Topic") != "" {
		t.Errorf("DING Urgency %q Topic %q, want high and none", p.Header.Get("Urgency"), p.Header.Get("Topic"))
	}
	// The approval was planned first; a marker shows it sent nothing.
	s.Notify(push.Notification{Kind: push.KindApproval, Users: []tack.ID{carol}, From: alice})
	if err := cb.Open(cb.Next(t, wait), f.keys.Public, &pl); err != nil || pl.Title != "Approval request from Alice" {
		t.Errorf("approval push %+v %v", pl, err)
	}
	if got := bb.Pending(); len(got) != 0 {
		t.Errorf("bob, active, got %d non-urgent pushes", len(got))
	}
}

// TestQuietSeam: Config.Quiet holds pushes back.
func TestQuietSeam(t *testing.T) {
	f := newFixture(t)
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	bob, carol := f.user(t, "Bob", bb), f.user(t, "Carol", cb)
	var mu sync.Mutex
	var asked []tack.ID
	s := f.service(t, nil, push.Config{Quiet: func(_ context.Context, u tack.ID, _ *push.Notification) bool {
		mu.Lock()
		defer mu.Unlock()
		asked = append(asked, u)
		return u == bob
	}})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}, Urgent: true})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{carol}, Urgent: true})
	cb.Next(t, wait)
	if got := bb.Pending(); len(got) != 0 {
		t.Errorf("quiet bob got %d pushes", len(got))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 {
		t.Errorf("Quiet asked about %v, want bob and carol", asked)
	}
}

// TestRetries: 429 and 5xx are retried a bounded number of times.
func TestRetries(t *testing.T) {
	f := newFixture(t)
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	bob, carol := f.user(t, "Bob", bb), f.user(t, "Carol", cb)
	s := f.service(t, nil, push.Config{Attempts: 3, RetryBase: time.Millisecond})
	bb.Respond(http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway)
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}})
	for i, want := range []int{429, 500, 502} {
		if p := bb.Next(t, wait); p.Status != want {
			t.Fatalf("attempt %d answered %d, want %d", i+1, p.Status, want)
		}
	}
	// One sender: once carol's push arrives, bob's last attempt is done.
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{carol}})
	cb.Next(t, wait)
	if s.Retried.Load() != 2 || s.Failed.Load() != 1 {
		t.Errorf("retried %d failed %d, want 2, 1", s.Retried.Load(), s.Failed.Load())
	}
	// 400 is not retried.
	bb.Respond(http.StatusBadRequest)
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}})
	if p := bb.Next(t, wait); p.Status != 400 {
		t.Fatalf("answered %d", p.Status)
	}
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{carol}})
	cb.Next(t, wait)
	if s.Retried.Load() != 2 || s.Failed.Load() != 2 {
		t.Errorf("after a 400: retried %d failed %d, want 2, 2", s.Retried.Load(), s.Failed.Load())
	}
}

// gate is a Sender that holds every push until released.
type gate struct {
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Send(ctx context.Context, _ push.Subscription, _ []byte, _ push.Options) error {
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestQueueIsBounded: when the push services are slow, work beyond the
// queue is dropped and counted; nobody waits on it.
func TestQueueIsBounded(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", pushtest.NewBrowser(t))
	g := &gate{entered: make(chan struct{}, 100), release: make(chan struct{})}
	s := f.service(t, g, push.Config{Queue: 2, Grace: time.Millisecond})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}})
	select {
	case <-g.entered:
	case <-time.After(wait):
		t.Fatal("the first push never reached the sender")
	}
	refused := 0
	for range 50 {
		if !s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}}) {
			refused++
		}
	}
	if refused == 0 || s.Dropped.Load() < int64(refused) {
		t.Errorf("50 notices into a queue of 2: %d refused, %d dropped", refused, s.Dropped.Load())
	}
	close(g.release)
}

// TestCloseSendsQueued: Close lets queued pushes go out.
func TestCloseSendsQueued(t *testing.T) {
	f := newFixture(t)
	bb := pushtest.NewBrowser(t)
	bob := f.user(t, "Bob", bb)
	s := f.service(t, nil, push.Config{})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}})
	s.Close()
	if got := bb.Pending(); len(got) != 1 {
		t.Errorf("after Close %d pushes arrived, want 1", len(got))
	}
	if s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}}) {
		t.Error("Notify after Close was accepted")
	}
}

// TestSenderRefusesPrivateAddresses: outside tests, pushes never go to
// loopback or private addresses, whatever an endpoint says.
func TestSenderRefusesPrivateAddresses(t *testing.T) {
	f := newFixture(t)
	bb := pushtest.NewBrowser(t)
	sender := webpush.New(f.keys, "mailto:ops@example.com", false)
	for _, endpoint := range []string{bb.Endpoint, strings.Replace(bb.Endpoint, "127.0.0.1", "localhost", 1)} {
		err := sender.Send(context.Background(), push.Subscription{Endpoint: endpoint, P256dh: bb.P256dh, Auth: bb.Auth}, []byte(`{}`), push.Options{TTL: time.Minute})
		if err == nil || !strings.Contains(err.Error(), "not on the internet") {
			t.Errorf("send to %s: %v, want a refusal", endpoint, err)
		}
		if strings.Contains(err.Error(), "/wpush/") {
			t.Errorf("the error shows the endpoint's path: %v", err)
		}
	}
	if got := bb.Pending(); len(got) != 0 {
		t.Errorf("the loopback endpoint received %d requests", len(got))
	}
	// Allowed (tests), it goes through and the browser can read it.
	sender = webpush.New(f.keys, "mailto:ops@example.com", true)
	if err := sender.Send(context.Background(), push.Subscription{Endpoint: bb.Endpoint, P256dh: bb.P256dh, Auth: bb.Auth}, []byte(`{"v":1}`), push.Options{TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	var v struct{ V int }
	if err := bb.Open(bb.Next(t, wait), f.keys.Public, &v); err != nil || v.V != 1 {
		t.Errorf("open: %v %+v", err, v)
	}
}

func TestKeys(t *testing.T) {
	a, err := push.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := push.NewKeys()
	if err := a.Check(); err != nil {
		t.Errorf("fresh keys: %v", err)
	}
	for _, k := range []push.Keys{{Public: a.Public, Private: b.Private}, {Public: "x", Private: a.Private}, {Public: a.Public, Private: "!!"}, {}} {
		if k.Check() == nil {
			t.Errorf("Check(%+v) passed", k)
		}
	}
	// A store handing back a broken pair stops the node from starting.
	if _, err := push.LoadKeys(context.Background(), brokenKeys{}); err == nil {
		t.Error("LoadKeys accepted a mismatched pair")
	}
}

type brokenKeys struct{ push.Store }

func (brokenKeys) VAPIDKeys(context.Context, push.Keys) (push.Keys, error) {
	a, _ := push.NewKeys()
	b, _ := push.NewKeys()
	return push.Keys{Public: a.Public, Private: b.Private}, nil
}

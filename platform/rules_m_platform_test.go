package platform

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/tacktest/logbuf"
)

// rmAppStore keeps one app and its tokens in memory, on top of memStore's
// robots; lookups of robots fail with lookupErr when it is set.
type rmAppStore struct {
	memStore
	app       App
	tmu       sync.Mutex
	tokens    map[string]Token
	lookupErr error
	off       map[tack.ID][]string // modules switched off, by organisation
	outgoing  []Robot
	subsErr   error
	subsReads int
}

func (m *rmAppStore) App(_ context.Context, id tack.ID) (App, error) {
	if id != m.app.ID {
		return App{}, tack.ErrNotFound
	}
	return m.app, nil
}
func (m *rmAppStore) AppByClient(_ context.Context, clientID string) (App, error) {
	if clientID != m.app.ClientID {
		return App{}, tack.ErrNotFound
	}
	return m.app, nil
}
func (m *rmAppStore) CreateToken(_ context.Context, t Token) error {
	m.tmu.Lock()
	defer m.tmu.Unlock()
	m.tokens[t.Hash] = t
	return nil
}
func (m *rmAppStore) Token(_ context.Context, hash string) (Token, error) {
	m.tmu.Lock()
	defer m.tmu.Unlock()
	t, ok := m.tokens[hash]
	if !ok {
		return Token{}, tack.ErrNotFound
	}
	return t, nil
}
func (m *rmAppStore) ModulesOff(_ context.Context, org tack.ID) ([]string, error) {
	return m.off[org], nil
}
func (m *rmAppStore) OutgoingRobots(context.Context) ([]Robot, error) { return m.outgoing, nil }
func (m *rmAppStore) AppsSubscribed(context.Context, string) ([]App, error) {
	m.tmu.Lock()
	m.subsReads++
	m.tmu.Unlock()
	return nil, m.subsErr
}
func (m *rmAppStore) RobotByToken(ctx context.Context, h string) (Robot, error) {
	if m.lookupErr != nil {
		return Robot{}, m.lookupErr
	}
	return m.memStore.RobotByToken(ctx, h)
}

func rmNewStore() *rmAppStore {
	return &rmAppStore{memStore: memStore{robots: map[tack.ID]Robot{}}, tokens: map[string]Token{},
		app: App{ID: tack.NewID(), OrgID: tack.NewID(), ClientID: "client", SecretHash: hashSecret("secret"), Scopes: []string{"chat"}}}
}

func rmService(st *rmAppStore, now time.Time, cfg Config) (*Service, *fakeWorld) {
	w := &fakeWorld{}
	s := NewService(st, w, w, w, w, func() time.Time { return now }, cfg)
	return s, w
}

// An access token lives Config.TokenTTL, two hours when unset (0 or
// less); the grant says so in seconds.
func TestTokenLifetime(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	for _, c := range []struct {
		name string
		ttl  time.Duration
		want int
	}{
		{"unset", 0, 7200},
		{"negative", -time.Minute, 7200},
		{"set", 90 * time.Second, 90},
	} {
		st := rmNewStore()
		s, _ := rmService(st, now, Config{TokenTTL: c.ttl})
		g, err := s.IssueToken(ctx, "client", "secret")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if g.ExpiresIn != c.want {
			t.Errorf("%s: expires in %d s, want %d", c.name, g.ExpiresIn, c.want)
		}
		if tok, _ := st.Token(ctx, hashSecret(g.AccessToken)); !tok.ExpiresAt.Equal(now.Add(time.Duration(c.want) * time.Second)) {
			t.Errorf("%s: stored expiry %v", c.name, tok.ExpiresAt)
		}
		s.Close()
	}
}

// A set AppLimit is the one applied to an app's calls.
func TestSetAppLimitApplies(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	st := rmNewStore()
	s, _ := rmService(st, now, Config{AppLimit: &limit.Keyed{Rate: 1e-9, Burst: 1}})
	defer s.Close()
	g, err := s.IssueToken(ctx, "client", "secret")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authorize(ctx, g.AccessToken, "chat"); err != nil {
		t.Fatalf("first call: %v", err)
	}
	if _, err := s.Authorize(ctx, g.AccessToken, "chat"); tack.ErrorCode(err) != tack.ERateLimited {
		t.Fatalf("second call with a burst of 1: %v", err)
	}
}

// A robot request's timestamp may be off by SignWindow either way,
// inclusive; an hour when unset.
func TestSignWindow(t *testing.T) {
	const secret = "SECabc"
	now := time.UnixMilli(1700000000000)
	check := func(d, window time.Duration) error {
		ms := now.Add(d).UnixMilli()
		return CheckSign(secret, strconv.FormatInt(ms, 10), DingTalkSign(secret, ms), now, window)
	}
	for _, c := range []struct{ edge, past time.Duration }{
		{time.Hour, time.Hour + time.Millisecond},
		{-time.Hour, -time.Hour - time.Millisecond},
	} {
		if err := check(c.edge, time.Hour); err != nil {
			t.Errorf("off by exactly the window (%v): %v", c.edge, err)
		}
		if err := check(c.past, time.Hour); code(err) != CodeSecurity {
			t.Errorf("off by the window and 1 ms (%v): %v", c.past, err)
		}
	}

	ctx := context.Background()
	for _, c := range []struct {
		name   string
		window time.Duration
		off    time.Duration
		code   int
	}{
		{"unset, 59 minutes old", 0, -59 * time.Minute, 0},
		{"unset, 61 minutes old", 0, -61 * time.Minute, CodeSecurity},
		{"negative, 59 minutes old", -time.Second, -59 * time.Minute, 0},
		{"set to a minute, 2 minutes old", time.Minute, -2 * time.Minute, CodeSecurity},
		{"set to a minute, 30 s old", time.Minute, -30 * time.Second, 0},
	} {
		st := rmNewStore()
		s, _ := rmService(st, now, Config{SignWindow: c.window})
		admin := tack.WithCaller(ctx, tack.Caller{UserID: "admin00000000000"})
		name := "CI"
		r, err := s.CreateRobot(admin, tack.NewID(), RobotInput{Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		ms := now.Add(c.off).UnixMilli()
		err = s.RobotSend(ctx, RobotRequest{AccessToken: r.AccessToken, Timestamp: strconv.FormatInt(ms, 10), Sign: DingTalkSign(r.Secret, ms),
			Body: []byte(`{"msgtype":"text","text":{"content":"hi"}}`)})
		if code(err) != c.code || c.code == 0 && err != nil {
			t.Errorf("%s: %v, want code %d", c.name, err, c.code)
		}
		s.Close()
	}
}

// Webhook access tokens are at most 128 bytes: one of 128 is looked up,
// one of 129 is refused without a lookup.
func TestRobotTokenLength(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	st := rmNewStore()
	s, w := rmService(st, now, Config{})
	defer s.Close()
	for _, n := range []int{128, 129} {
		tok := strings.Repeat("t", n)
		st.CreateRobot(ctx, Robot{ID: tack.NewID(), ConversationID: tack.NewID(), Name: "r", TokenHash: hashSecret(tok)})
		before := len(w.posts)
		err := s.RobotSend(ctx, RobotRequest{AccessToken: tok, Body: []byte(`{"msgtype":"text","text":{"content":"hi"}}`)})
		posted := len(w.posts) - before
		switch {
		case n == 128 && (err != nil || posted != 1):
			t.Errorf("a token of 128 bytes: %v, %d posted", err, posted)
		case n == 129 && (code(err) != CodeNoToken || posted != 0):
			t.Errorf("a token of 129 bytes: %v, %d posted", err, posted)
		}
	}
}

// An unknown webhook token stays unknown: asking again does not find a
// robot (a failed lookup is not remembered as one).
func TestUnknownRobotTokenStaysUnknown(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	st := rmNewStore()
	s, w := rmService(st, now, Config{})
	defer s.Close()
	for i := 0; i < 2; i++ {
		err := s.RobotSend(ctx, RobotRequest{AccessToken: "nope", Body: []byte(`{"msgtype":"text","text":{"content":"hi"}}`)})
		if code(err) != CodeNoToken || len(w.posts) != 0 {
			t.Fatalf("try %d: %v, %d posted", i+1, err, len(w.posts))
		}
	}
}

// The Service logs to Config.Logger when one is set: a failed robot
// lookup is reported there (and the caller gets "system busy").
func TestSetLoggerIsUsed(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	st := rmNewStore()
	st.lookupErr = errors.New("disk on fire")
	var buf logbuf.Buffer
	s, _ := rmService(st, now, Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	defer s.Close()
	err := s.RobotSend(ctx, RobotRequest{AccessToken: "tok", Body: []byte(`{"msgtype":"text","text":{"content":"hi"}}`)})
	if code(err) != CodeInternal {
		t.Fatalf("lookup failure: %v", err)
	}
	if !strings.Contains(buf.String(), "disk on fire") {
		t.Fatalf("logged: %q", buf.String())
	}
}

// rmClaimStore hands out one delivery per claim and records outcomes.
type rmClaimStore struct {
	*rmAppStore
	cmu       sync.Mutex
	claim     []Delivery
	outcomes  []Outcome
	finishErr error
}

func (m *rmClaimStore) ClaimDeliveries(context.Context, string, tack.ID, time.Time, time.Duration, int) ([]Delivery, error) {
	m.cmu.Lock()
	defer m.cmu.Unlock()
	ds := m.claim
	m.claim = nil
	return ds, nil
}
func (m *rmClaimStore) FinishDelivery(_ context.Context, _ tack.ID, _ string, o Outcome) error {
	m.cmu.Lock()
	defer m.cmu.Unlock()
	m.outcomes = append(m.outcomes, o)
	return m.finishErr
}

type rmFailing struct{}

func (rmFailing) Send(context.Context, string, map[string]string, []byte) (int, error) {
	return 500, nil
}

// A failed attempt is retried Backoff(attempts so far + 1) later, and
// given up (Dead) only when that retry would come more than GiveUp after
// the delivery was created.
func TestRetrySchedule(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	r := Retry{}.withDefaults()
	for _, c := range []struct {
		name     string
		attempts int
		created  time.Time
		next     time.Duration
		state    string
	}{
		{"first failure", 0, now, r.Backoff(1), Pending},
		{"third failure", 2, now, r.Backoff(3), Pending},
		{"retry exactly GiveUp after creation", 0, now.Add(r.Backoff(1) - r.GiveUp), r.Backoff(1), Pending},
		{"retry past GiveUp", 0, now.Add(r.Backoff(1) - r.GiveUp - time.Millisecond), r.Backoff(1), Dead},
	} {
		st := &rmClaimStore{rmAppStore: rmNewStore()}
		st.app.CallbackURL = "https://a.example/cb"
		st.claim = []Delivery{{ID: tack.NewID(), AppID: st.app.ID, OrgID: st.app.OrgID, Attempts: c.attempts, CreatedAt: c.created, State: Pending}}
		w := &fakeWorld{}
		s := NewService(st, w, w, w, w, func() time.Time { return now }, Config{})
		if n, err := s.Deliver(ctx, "node", rmFailing{}, 10); n != 1 || err != nil {
			t.Fatalf("%s: deliver %d %v", c.name, n, err)
		}
		s.Close()
		if len(st.outcomes) != 1 {
			t.Fatalf("%s: %d outcomes", c.name, len(st.outcomes))
		}
		o := st.outcomes[0]
		if o.State != c.state || (c.state == Pending && !o.NextAt.Equal(now.Add(c.next))) {
			t.Errorf("%s: %s next at +%v, want %s +%v", c.name, o.State, o.NextAt.Sub(now), c.state, c.next)
		}
	}
	if r.Backoff(3) == r.Backoff(1) {
		t.Fatal("the defaults do not tell attempts apart")
	}
}

// Recording an attempt's outcome is logged only when it fails for a
// reason other than a lease lost to another node.
func TestFinishFailureLogged(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	for _, c := range []struct {
		name   string
		err    error
		logged bool
	}{
		{"recorded", nil, false},
		{"lease lost", tack.ErrNotFound, false},
		{"store failure", errors.New("disk on fire"), true},
	} {
		st := &rmClaimStore{rmAppStore: rmNewStore(), finishErr: c.err}
		st.app.CallbackURL = "https://a.example/cb"
		st.claim = []Delivery{{ID: tack.NewID(), AppID: st.app.ID, OrgID: st.app.OrgID, CreatedAt: now, State: Pending}}
		var buf logbuf.Buffer
		w := &fakeWorld{}
		s := NewService(st, w, w, w, w, func() time.Time { return now },
			Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
		s.Deliver(ctx, "node", rmFailing{}, 10)
		s.Close()
		got := strings.Contains(buf.String(), "delivery finish")
		if got != c.logged {
			t.Errorf("%s: logged %v, want %v", c.name, got, c.logged)
		}
	}
}

type rmPhones struct {
	mu    sync.Mutex
	asked int
	ids   map[string]tack.ID
}

func (p *rmPhones) UsersByPhone(_ context.Context, phones []string) (out []tack.ID, _ error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked++
	for _, ph := range phones {
		if id, ok := p.ids[ph]; ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// Mentions by phone number become mentions of the users with those
// phones when Config.Phones is set; a post without phone mentions does
// not ask for any.
func TestRobotMentionsByPhone(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	who := tack.NewID()
	phones := &rmPhones{ids: map[string]tack.ID{"13800000000": who}}
	st := rmNewStore()
	w := &fakeWorld{}
	s := NewService(st, w, w, w, w, func() time.Time { return now }, Config{Phones: phones})
	defer s.Close()
	tok := "robot-token"
	st.CreateRobot(ctx, Robot{ID: tack.NewID(), ConversationID: tack.NewID(), Name: "r", TokenHash: hashSecret(tok)})
	if err := s.RobotSend(ctx, RobotRequest{AccessToken: tok, Body: []byte(`{"msgtype":"text","text":{"content":"hi"}}`)}); err != nil {
		t.Fatal(err)
	}
	if phones.asked != 0 {
		t.Fatalf("a post without phone mentions asked for phones %d times", phones.asked)
	}
	if err := s.RobotSend(ctx, RobotRequest{AccessToken: tok, Body: []byte(`{"msgtype":"text","text":{"content":"hi"},"at":{"atMobiles":["13800000000"]}}`)}); err != nil {
		t.Fatal(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.posts) != 2 || !slices.Contains(w.posts[1].Mentions, who) {
		t.Fatalf("posts %+v", w.posts)
	}
}

// rmOrgWorld is a world where every group is owned by owner, an active
// member of orgs.
type rmOrgWorld struct {
	*fakeWorld
	owner    tack.ID
	orgs     []tack.ID
	ownerErr error
}

func (w rmOrgWorld) Owner(context.Context, tack.ID) (tack.ID, error) { return w.owner, w.ownerErr }
func (w rmOrgWorld) OrgsOf(context.Context, tack.ID) ([]tack.ID, error) {
	return w.orgs, nil
}

// Robots may post in a group unless an organisation its owner is an
// active member of switched robots off; a group without an owner is
// governed by none; a failure to find the owner is an error.
func TestRobotsOnFollowsTheOwnersOrganisations(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	org, other := tack.NewID(), tack.NewID()
	for _, c := range []struct {
		name  string
		w     rmOrgWorld
		off   map[tack.ID][]string
		check func(error) bool
	}{
		{"owner's org has robots off", rmOrgWorld{owner: "admin00000000000", orgs: []tack.ID{other, org}}, map[tack.ID][]string{org: {ModRobots}},
			func(err error) bool { return tack.ErrorCode(err) == EModuleOff }},
		{"owner's org has robots on", rmOrgWorld{owner: "admin00000000000", orgs: []tack.ID{org}}, map[tack.ID][]string{org: {ModApps}},
			func(err error) bool { return err == nil }},
		{"no owner", rmOrgWorld{orgs: []tack.ID{org}}, map[tack.ID][]string{org: {ModRobots}},
			func(err error) bool { return err == nil }},
		{"owner unknown", rmOrgWorld{ownerErr: errors.New("disk on fire")}, nil,
			func(err error) bool { return err != nil && err.Error() == "disk on fire" }},
	} {
		st := rmNewStore()
		st.off = c.off
		c.w.fakeWorld = &fakeWorld{}
		s := NewService(st, c.w, c.w, c.w, c.w, func() time.Time { return now }, Config{})
		if err := s.RobotsOn(ctx, tack.NewID()); !c.check(err) {
			t.Errorf("%s: %v", c.name, err)
		}
		s.Close()
	}
}

// An event for an organisation without subscribers is dropped quietly; a
// failure to read the subscribers is logged.
func TestEventFailureLogged(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	for _, c := range []struct {
		name   string
		err    error
		logged bool
	}{
		{"no subscribers", nil, false},
		{"store failure", errors.New("disk on fire"), true},
	} {
		st := rmNewStore()
		st.subsErr = c.err
		var buf logbuf.Buffer
		s, _ := rmService(st, now, Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
		s.Event(ctx, tack.NewID(), EventDirectory, "k", nil)
		s.Close()
		got := strings.Contains(buf.String(), "platform: event")
		if got != c.logged {
			t.Errorf("%s: logged %v, want %v", c.name, got, c.logged)
		}
	}
}

// rmHeldCaller answers an outgoing robot call with a reply once released.
type rmHeldCaller struct {
	entered chan struct{}
	release chan struct{}
}

func (c rmHeldCaller) Call(context.Context, string, map[string]string, []byte, int) (int, []byte, error) {
	c.entered <- struct{}{}
	<-c.release
	return 200, []byte(`{"msgtype":"text","text":{"content":"pong"}}`), nil
}

// Close waits for the outgoing robot calls in flight: the reply of a call
// still running when Close is called is posted before Close returns.
func TestCloseWaitsForOutgoingCalls(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	st := rmNewStore()
	conv := tack.NewID()
	st.outgoing = []Robot{{ID: tack.NewID(), ConversationID: conv, Name: "R", BotID: tack.NewID(), Secret: "SECx", OutgoingURL: "https://r.example/"}}
	caller := rmHeldCaller{entered: make(chan struct{}, 1), release: make(chan struct{})}
	w := &fakeWorld{}
	s := NewService(st, w, w, w, w, func() time.Time { return now }, Config{Outgoing: caller})
	msg := []byte(`{"conversation_id":"` + string(conv) + `","seq":2,"sender_id":"` + string(tack.NewID()) + `","kind":"text","text":"@R ping"}`)
	s.handleOutgoing(ctx, msg)
	select {
	case <-caller.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the outgoing robot was not called")
	}
	closed := make(chan struct{})
	go func() {
		s.Close()
		close(closed)
	}()
	// Wait until Close has taken every free call slot (it then waits for
	// the one in flight), or has returned without waiting.
	guard := time.After(10 * time.Second)
	for len(s.calls) < cap(s.calls) {
		select {
		case <-closed:
			t.Fatal("Close returned while an outgoing call was in flight")
		case <-guard:
			t.Fatal("Close neither waits nor returns")
		default:
			runtime.Gosched()
		}
	}
	close(caller.release)
	<-closed
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.posts) != 1 {
		t.Fatalf("%d replies posted before Close returned, want 1", len(w.posts))
	}
}

// The default robot limit is 20 messages a minute in bursts of 20: after
// a burst the next message may come 3 s later, not 1 s later.
func TestDefaultRobotLimit(t *testing.T) {
	st := rmNewStore()
	s, _ := rmService(st, time.Now(), Config{})
	defer s.Close()
	l := s.cfg.RobotLimit
	t0 := time.UnixMilli(1700000000000)
	for i := 0; i < 20; i++ {
		if !l.AllowN("r", 1, t0) {
			t.Fatalf("message %d of a burst refused", i+1)
		}
	}
	if l.AllowN("r", 1, t0) {
		t.Fatal("a 21st message in the same instant allowed")
	}
	if l.AllowN("r", 1, t0.Add(time.Second)) {
		t.Fatal("a message 1 s after a burst allowed")
	}
	if !l.AllowN("r", 1, t0.Add(3*time.Second)) {
		t.Fatal("a message 3 s after a burst refused")
	}
}

// A robot looked up by token is trusted for robotTTL, inclusive, and
// looked up again after; the cache holds many robots at once, and is
// emptied only once it holds more than 10,000.
func TestRobotCache(t *testing.T) {
	var c robotCache
	t0 := time.UnixMilli(1700000000000)
	a, b := Robot{ID: tack.NewID()}, Robot{ID: tack.NewID()}
	c.put("a", a, t0)
	c.put("b", b, t0)
	if r, ok := c.get("a", t0.Add(robotTTL)); !ok || r.ID != a.ID {
		t.Error("a robot not trusted for exactly robotTTL")
	}
	if r, ok := c.get("b", t0); !ok || r.ID != b.ID {
		t.Error("the second robot put is missing")
	}
	if _, ok := c.get("a", t0.Add(robotTTL+time.Nanosecond)); ok {
		t.Error("a robot trusted past robotTTL")
	}
	var big robotCache
	for i := 0; i < 10000; i++ {
		big.put(strconv.Itoa(i), a, t0)
	}
	big.put("x", b, t0) // 10,000 held: kept
	if _, ok := big.get("0", t0); !ok {
		t.Fatal("the cache was emptied at 10,000 robots")
	}
	big.put("y", b, t0) // 10,001 held: emptied first
	if _, ok := big.get("0", t0); ok {
		t.Fatal("the cache was not emptied past 10,000 robots")
	}
	if _, ok := big.get("y", t0); !ok {
		t.Fatal("the robot put after emptying is missing")
	}
}

// The organisations with subscribers to an event are read once and then
// answered from memory (for groupsTTL, far longer than this test).
func TestSubscribersReadOnce(t *testing.T) {
	ctx := context.Background()
	st := rmNewStore()
	s, _ := rmService(st, time.Now(), Config{})
	defer s.Close()
	org := tack.NewID()
	for i := 0; i < 3; i++ {
		if ok, err := s.subscribed(ctx, org, EventDirectory); ok || err != nil {
			t.Fatalf("subscribed: %v %v", ok, err)
		}
	}
	st.tmu.Lock()
	defer st.tmu.Unlock()
	if st.subsReads != 1 {
		t.Fatalf("subscribers read %d times, want once", st.subsReads)
	}
}

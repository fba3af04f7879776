package account_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/sqlite"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type mailbox struct {
	mu   sync.Mutex
	to   []string
	text []string
	fail bool
}

func (m *mailbox) SendEmail(_ context.Context, to, _, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return fmt.Errorf("mail server down")
	}
	m.to, m.text = append(m.to, to), append(m.text, text)
	return nil
}

func (m *mailbox) SendSMS(ctx context.Context, to, text string) error {
	return m.SendEmail(ctx, to, "", text)
}

var codeRe = regexp.MustCompile(`\b\d{6}\b`)

func (m *mailbox) lastCode(t *testing.T) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.text) == 0 {
		t.Fatal("no code sent")
	}
	return codeRe.FindString(m.text[len(m.text)-1])
}

type recorder struct {
	mu  sync.Mutex
	evs []*bus.Event
}

func (r *recorder) Publish(_ context.Context, e *bus.Event) error {
	r.mu.Lock()
	r.evs = append(r.evs, e)
	r.mu.Unlock()
	return nil
}

func (r *recorder) revoked() []tack.ID {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []tack.ID
	for _, e := range r.evs {
		if e.Kind == bus.SessionRevoked {
			out = append(out, e.Subject)
		}
	}
	return out
}

type rig struct {
	svc  *account.Service
	db   *sqlite.DB
	clk  *clock
	mail *mailbox
	bus  *recorder
}

func newRig(t *testing.T, cfg account.Config) *rig {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &rig{db: db, clk: &clock{now: time.Now().UTC()}, mail: &mailbox{}, bus: &recorder{}}
	cfg.Argon2 = account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	if cfg.Mailer == nil {
		cfg.Mailer = r.mail
	}
	r.svc = account.NewService(db, r.bus, r.clk.Now, cfg)
	return r
}

const pw = "correct horse battery"

func (r *rig) register(t *testing.T, login, addr string) account.Auth {
	t.Helper()
	a, err := r.svc.Register(context.Background(), login, pw, "Name "+login, account.Device{Name: "test", Address: addr})
	if err != nil {
		t.Fatalf("register %s: %v", login, err)
	}
	return a
}

func as(a account.Auth) context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: a.User.ID, SessionID: a.Session.ID})
}

func errCode(err error) string { return tack.ErrorCode(err) }

func strict(burst float64) *limit.Keyed { return &limit.Keyed{Rate: 1e-9, Burst: burst} }

// Session lifetimes hold at their boundaries: a session unused for exactly
// SessionIdle, or exactly SessionMax old, is signed out.
func TestSessionLifetimes(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{SessionIdle: time.Hour, SessionMax: 3 * time.Hour})
	a := r.register(t, "life@example.com", "192.0.2.1")
	if _, err := r.svc.Authenticate(ctx, a.Token); err != nil {
		t.Fatal(err)
	}
	// Keep it in use every 59 minutes: idle never reached, age grows.
	for i := 0; i < 3; i++ {
		r.clk.advance(59 * time.Minute)
		if _, err := r.svc.Authenticate(ctx, a.Token); err != nil {
			t.Fatalf("used after 59 minutes (round %d): %v", i, err)
		}
	}
	r.clk.advance(3 * time.Minute) // 3 h exactly since sign-in
	if _, err := r.svc.Authenticate(ctx, a.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("a session 3 h old with a 3 h maximum: %v", err)
	}
	if got := r.bus.revoked(); len(got) != 1 || got[0] != a.Session.ID {
		t.Fatalf("revocations published: %v", got)
	}

	b := r.register(t, "idle@example.com", "192.0.2.1")
	r.clk.advance(time.Hour - time.Second)
	if _, err := r.svc.Authenticate(ctx, b.Token); err != nil {
		t.Fatalf("unused for just under the idle lifetime: %v", err)
	}
	r.clk.advance(time.Hour)
	if _, err := r.svc.Authenticate(ctx, b.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("unused for exactly the idle lifetime: %v", err)
	}
	// From the store too (no cache): a fresh service sees the same.
	c := r.register(t, "fresh@example.com", "192.0.2.1")
	r.clk.advance(time.Hour)
	other := account.NewService(r.db, nil, r.clk.Now, account.Config{SessionIdle: time.Hour, SessionMax: 3 * time.Hour})
	if _, err := other.Authenticate(ctx, c.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("idle session from the store: %v", err)
	}
	for _, tok := range []string{"", strings.Repeat("x", 101), "tk_nonsense"} {
		if _, err := r.svc.Authenticate(ctx, tok); errCode(err) != tack.EUnauthorized {
			t.Fatalf("token %q: %v", tok, err)
		}
	}
}

func TestSessionsRevokeAndSweep(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{SessionIdle: time.Hour, SessionMax: 3 * time.Hour})
	a := r.register(t, "s@example.com", "192.0.2.1")
	b, err := r.svc.SignIn(ctx, "s@example.com", pw, account.Device{Name: strings.Repeat("n", 300), Address: "192.0.2.2"})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Session.Device) != 200 {
		t.Fatalf("device name kept %d bytes, want 200", len(b.Session.Device))
	}
	list, err := r.svc.Sessions(as(a))
	if err != nil || len(list) != 2 {
		t.Fatalf("sessions: %v %v", list, err)
	}
	for _, s := range list {
		if s.Current != (s.ID == a.Session.ID) {
			t.Fatalf("current marked wrong: %+v", s)
		}
	}
	if _, err := r.svc.Authenticate(ctx, b.Token); err != nil { // cached now
		t.Fatal(err)
	}
	if err := r.svc.Revoke(as(a), b.Session.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Authenticate(ctx, b.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("revoked token still works: %v", err)
	}
	if err := r.svc.Revoke(as(a), b.Session.ID); errCode(err) != tack.ENotFound {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, err := r.svc.Sessions(context.Background()); errCode(err) != tack.EUnauthorized {
		t.Fatalf("sessions without a caller: %v", err)
	}
	// Expired sessions are not listed, and the sweep ends them.
	r.register(t, "s2@example.com", "192.0.2.1")
	r.clk.advance(time.Hour + time.Second)
	if list, _ := r.svc.Sessions(as(a)); len(list) != 0 {
		t.Fatalf("expired sessions listed: %v", list)
	}
	n, err := r.svc.SweepSessions(ctx)
	if err != nil || n != 2 {
		t.Fatalf("sweep ended %d, %v; want 2", n, err)
	}
	if n, _ := r.svc.SweepSessions(ctx); n != 0 {
		t.Fatalf("second sweep ended %d", n)
	}
}

// A revocation on another node evicts the cached session here.
func TestRevocationEventEvictsCache(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{})
	a := r.register(t, "c@example.com", "192.0.2.1")
	if _, err := r.svc.Authenticate(ctx, a.Token); err != nil {
		t.Fatal(err)
	}
	if err := r.db.DeleteSession(ctx, a.User.ID, a.Session.ID); err != nil {
		t.Fatal(err)
	}
	r.svc.HandleEvent(&bus.Event{Kind: bus.Message, Subject: a.Session.ID})
	if _, err := r.svc.Authenticate(ctx, a.Token); err != nil {
		t.Fatalf("another kind of event evicted the session: %v", err)
	}
	r.svc.HandleEvent(&bus.Event{Kind: bus.SessionRevoked, Subject: a.Session.ID})
	if _, err := r.svc.Authenticate(ctx, a.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("after the revocation event: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{})
	a := r.register(t, "p@example.com", "192.0.2.1")
	b, _ := r.svc.SignIn(ctx, "p@example.com", pw, account.Device{Address: "192.0.2.1"})
	for _, c := range []struct{ cur, next, want string }{
		{"", "new password 1", tack.EInvalid},
		{pw, "short", tack.EInvalid},
		{pw, pw, tack.EInvalid},
		{"wrong password", "new password 1", tack.EForbidden},
	} {
		if err := r.svc.ChangePassword(as(a), c.cur, c.next); errCode(err) != c.want {
			t.Fatalf("change %q→%q: %v, want %q", c.cur, c.next, err, c.want)
		}
	}
	if err := r.svc.ChangePassword(context.Background(), pw, "x"); errCode(err) != tack.EUnauthorized {
		t.Fatalf("no caller: %v", err)
	}
	if err := r.svc.ChangePassword(as(a), pw, "new password 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.SignIn(ctx, "p@example.com", "new password 1", account.Device{Address: "192.0.2.1"}); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if _, err := r.svc.Authenticate(ctx, b.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("another session survived the change: %v", err)
	}
	if _, err := r.svc.Authenticate(ctx, a.Token); err != nil {
		t.Fatalf("the current session ended: %v", err)
	}
	// Wrong current passwords: five in all (one above), then the limit,
	// even for the right one.
	for i := 0; i < 4; i++ {
		if err := r.svc.ChangePassword(as(a), "wrong password", "new password 2"); errCode(err) != tack.EForbidden {
			t.Fatalf("wrong %d: %v", i, err)
		}
	}
	if err := r.svc.ChangePassword(as(a), "new password 1", "new password 2"); errCode(err) != tack.ERateLimited {
		t.Fatalf("sixth attempt: %v", err)
	}
}

// Right answers give their tokens back; wrong ones spend them, per login and
// address; a known device has its own bucket.
func TestSignInLimits(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{SignInPerLoginAddress: strict(2), SignInPerLogin: strict(4), SignInPerAddress: strict(6), SignInPerDevice: strict(1)})
	a := r.register(t, "l@example.com", "192.0.2.1")
	here := account.Device{Address: "192.0.2.1"}
	for i := 0; i < 5; i++ {
		if _, err := r.svc.SignIn(ctx, "l@example.com", pw, here); err != nil {
			t.Fatalf("right password %d: %v", i, err)
		}
	}
	for i := 0; i < 2; i++ {
		if _, err := r.svc.SignIn(ctx, "l@example.com", "wrong", here); errCode(err) != tack.EUnauthorized {
			t.Fatalf("wrong %d: %v", i, err)
		}
	}
	_, err := r.svc.SignIn(ctx, "l@example.com", pw, here)
	if errCode(err) != tack.ERateLimited || !strings.Contains(err.Error(), "try again in") {
		t.Fatalf("third from the same address: %v", err)
	}
	checks := r.svc.PasswordChecks()
	r.svc.SignIn(ctx, "l@example.com", pw, here)
	if r.svc.PasswordChecks() != checks {
		t.Fatal("a limited attempt checked the password")
	}
	// Another address: the per-login bucket (4) has 2 left.
	there := account.Device{Address: "198.51.100.1"}
	if _, err := r.svc.SignIn(ctx, "l@example.com", "wrong", there); errCode(err) != tack.EUnauthorized {
		t.Fatal(err)
	}
	if _, err := r.svc.SignIn(ctx, "l@example.com", "wrong", account.Device{Address: "198.51.100.2"}); errCode(err) != tack.EUnauthorized {
		t.Fatal(err)
	}
	if _, err := r.svc.SignIn(ctx, "l@example.com", pw, account.Device{Address: "198.51.100.3"}); errCode(err) != tack.ERateLimited {
		t.Fatalf("login limit from anywhere: %v", err)
	}
	// The address-only bucket was given back when the login bucket refused:
	// other logins from 198.51.100.3 still get their 6.
	r.register(t, "m@example.com", "203.0.113.9")
	if _, err := r.svc.SignIn(ctx, "m@example.com", pw, account.Device{Address: "198.51.100.3"}); err != nil {
		t.Fatalf("address bucket kept a refused attempt's token: %v", err)
	}
	// The known device of the locked login still signs in, once per its bucket.
	known := account.Device{Address: "198.51.100.9", Token: a.DeviceToken}
	if _, err := r.svc.SignIn(ctx, "l@example.com", pw, known); err != nil {
		t.Fatalf("known device on a locked login: %v", err)
	}
	if _, err := r.svc.SignIn(ctx, "l@example.com", "wrong", known); errCode(err) != tack.EUnauthorized {
		t.Fatal(err)
	}
	if _, err := r.svc.SignIn(ctx, "l@example.com", pw, known); errCode(err) != tack.ERateLimited {
		t.Fatalf("known device past its bucket: %v", err)
	}
	// Unknown logins and nonsense cost the same and tell nothing.
	if _, err := r.svc.SignIn(ctx, "nobody@example.com", pw, account.Device{Address: "192.0.2.50"}); errCode(err) != tack.EUnauthorized {
		t.Fatalf("unknown login: %v", err)
	}
	if _, err := r.svc.SignIn(ctx, strings.Repeat("x", 300), pw, account.Device{Address: "192.0.2.51"}); errCode(err) != tack.EUnauthorized {
		t.Fatalf("nonsense login: %v", err)
	}
	// Spraying from one address: 6 attempts on any logins, then the limit.
	for i := 0; i < 6; i++ {
		if _, err := r.svc.SignIn(ctx, fmt.Sprintf("u%d@example.com", i), "wrong", account.Device{Address: "192.0.2.99"}); errCode(err) != tack.EUnauthorized {
			t.Fatalf("spray %d: %v", i, err)
		}
	}
	if _, err := r.svc.SignIn(ctx, "m@example.com", pw, account.Device{Address: "192.0.2.99"}); errCode(err) != tack.ERateLimited {
		t.Fatalf("seventh login from one address: %v", err)
	}
}

func TestRegisterLimits(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{RegisterPerAddress: strict(2), RegisterGlobal: strict(4)})
	reg := func(login, addr string) error {
		_, err := r.svc.Register(ctx, login, pw, "N", account.Device{Address: addr})
		return err
	}
	if err := reg("a1@example.com", "2001:db8:1:2::1"); err != nil {
		t.Fatal(err)
	}
	if err := reg("a2@example.com", "2001:db8:1:2::2"); err != nil {
		t.Fatal(err)
	}
	if err := reg("a3@example.com", "2001:db8:1:2:ffff::3"); errCode(err) != tack.ERateLimited {
		t.Fatalf("third from the same /64: %v", err)
	}
	if err := reg("b1@example.com", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if err := reg("b1@example.com", "192.0.2.2"); errCode(err) != tack.EConflict {
		t.Fatalf("taken login: %v", err)
	}
	// The conflict spent a global token: 4 in all were taken.
	if err := reg("c1@example.com", "192.0.2.3"); errCode(err) != tack.ERateLimited {
		t.Fatalf("past the node's limit: %v", err)
	}
	// A refusal by the global limit gives the address its token back.
	r2 := newRig(t, account.Config{RegisterPerAddress: strict(1), RegisterGlobal: strict(1)})
	if _, err := r2.svc.Register(ctx, "x@example.com", pw, "N", account.Device{Address: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := r2.svc.Register(ctx, "y@example.com", pw, "N", account.Device{Address: "192.0.2.2"}); errCode(err) != tack.ERateLimited {
		t.Fatal(err)
	}
	for _, bad := range []struct{ login, pass, name string }{
		{"nope", pw, "N"}, {"z@example.com", "short", "N"}, {"z@example.com", pw, ""},
	} {
		if _, err := r.svc.Register(ctx, bad.login, bad.pass, bad.name, account.Device{Address: "192.0.2.77"}); errCode(err) != tack.EInvalid {
			t.Fatalf("register %+v: %v", bad, err)
		}
	}
}

func TestVerificationCodes(t *testing.T) {
	r := newRig(t, account.Config{VerifySendLimit: strict(2)})
	a := r.register(t, "v@example.com", "192.0.2.1")
	ctx := as(a)
	if _, err := r.svc.SendCode(ctx, account.ChannelPhone); errCode(err) != tack.EInvalid {
		t.Fatalf("phone channel for an email login: %v", err)
	}
	if _, err := r.svc.SendCode(ctx, "pigeon"); errCode(err) != tack.EInvalid {
		t.Fatalf("unknown channel: %v", err)
	}
	p, err := r.svc.SendCode(ctx, "")
	if err != nil || p.Channel != account.ChannelEmail || p.SentTo != "v@example.com" || !p.ExpiresAt.Equal(r.clk.Now().Add(account.CodeLifetime).Truncate(time.Microsecond)) {
		t.Fatalf("send: %+v %v", p, err)
	}
	code := r.mail.lastCode(t)
	wrong := fmt.Sprintf("%06d", (mustAtoi(code)+1)%1000000)
	for _, bad := range []string{"12345", "1234567", "12a456"} {
		if _, err := r.svc.ConfirmCode(ctx, bad); errCode(err) != tack.EInvalid {
			t.Fatalf("code %q: %v", bad, err)
		}
	}
	_, err = r.svc.ConfirmCode(ctx, wrong)
	if errCode(err) != tack.EInvalid || !strings.Contains(err.Error(), "4 more tries") {
		t.Fatalf("first wrong code: %v", err)
	}
	// Spaces are ignored; the right code works within its lifetime.
	r.clk.advance(account.CodeLifetime - time.Second)
	u, err := r.svc.ConfirmCode(ctx, code[:3]+" "+code[3:])
	if err != nil || !u.Verified() {
		t.Fatalf("right code: %+v %v", u, err)
	}
	if _, err := r.svc.SendCode(ctx, ""); errCode(err) != tack.EConflict {
		t.Fatalf("already verified: %v", err)
	}
	if _, err := r.svc.ConfirmCode(ctx, code); errCode(err) != tack.EExpired {
		t.Fatalf("code used twice: %v", err)
	}

	// Five tries per code, counted: the fifth wrong one ends it.
	b := r.register(t, "w@example.com", "192.0.2.1")
	if _, err := r.svc.SendCode(as(b), ""); err != nil {
		t.Fatal(err)
	}
	code = r.mail.lastCode(t)
	wrong = fmt.Sprintf("%06d", (mustAtoi(code)+1)%1000000)
	for i := 1; i <= account.CodeAttempts; i++ {
		_, err := r.svc.ConfirmCode(as(b), wrong)
		if errCode(err) != tack.EInvalid {
			t.Fatalf("wrong %d: %v", i, err)
		}
		if i == account.CodeAttempts && !strings.Contains(err.Error(), "ask for a new one") {
			t.Fatalf("last wrong code: %v", err)
		}
	}
	if _, err := r.svc.ConfirmCode(as(b), code); errCode(err) != tack.EExpired {
		t.Fatalf("right code after five wrong ones: %v", err)
	}
	// A code expires at exactly its lifetime.
	if _, err := r.svc.SendCode(as(b), ""); err != nil {
		t.Fatal(err)
	}
	code = r.mail.lastCode(t)
	r.clk.advance(account.CodeLifetime)
	if _, err := r.svc.ConfirmCode(as(b), code); errCode(err) != tack.EExpired {
		t.Fatalf("code at its expiry: %v", err)
	}
	// Two codes per user, then the limit.
	if _, err := r.svc.SendCode(as(b), ""); errCode(err) != tack.ERateLimited {
		t.Fatalf("third code: %v", err)
	}
	if _, err := r.svc.ConfirmCode(context.Background(), code); errCode(err) != tack.EUnauthorized {
		t.Fatalf("no caller: %v", err)
	}
	// A mail failure leaves no code behind.
	c := r.register(t, "x@example.com", "192.0.2.1")
	r.mail.fail = true
	if _, err := r.svc.SendCode(as(c), ""); errCode(err) != tack.EUnavailable {
		t.Fatalf("mail down: %v", err)
	}
	if _, err := r.svc.ConfirmCode(as(c), "000000"); errCode(err) != tack.EExpired {
		t.Fatalf("a code survived a failed send: %v", err)
	}
	// Phone logins need a texter.
	d := r.register(t, "13812345678", "192.0.2.1")
	if r.svc.CanVerify(d.User.Login) {
		t.Fatal("can text without a texter")
	}
	if _, err := r.svc.SendCode(as(d), ""); errCode(err) != tack.EUnavailable {
		t.Fatalf("no texter: %v", err)
	}
	r3 := newRig(t, account.Config{Texter: &mailbox{}})
	if !r3.svc.CanVerify("+8613812345678") {
		t.Fatal("cannot text with a texter")
	}
}

func mustAtoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestSearchAndProfiles(t *testing.T) {
	r := newRig(t, account.Config{})
	a := r.register(t, "me@example.com", "192.0.2.1")
	b := r.register(t, "you@example.com", "192.0.2.1")
	list, err := r.svc.Search(as(a), " you@example.com ", 0)
	if err != nil || len(list) != 1 || list[0].ID != b.User.ID || list[0].Login != "you@example.com" {
		t.Fatalf("exact login: %+v %v", list, err)
	}
	if _, err := r.svc.Search(as(a), strings.Repeat("q", 101), 10); errCode(err) != tack.EInvalid {
		t.Fatalf("long query: %v", err)
	}
	if _, err := r.svc.Search(as(a), strings.Repeat("字", 100), 10); err != nil {
		t.Fatalf("100-character query: %v", err)
	}
	if _, err := r.svc.Search(context.Background(), "x", 10); errCode(err) != tack.EUnauthorized {
		t.Fatalf("no caller: %v", err)
	}
	u, err := r.svc.User(context.Background(), b.User.ID)
	if err != nil || u.Login != "" || u.Name == "" {
		t.Fatalf("public profile: %+v %v", u, err)
	}
	if _, err := r.svc.User(context.Background(), tack.NewID()); errCode(err) != tack.ENotFound {
		t.Fatalf("no such user: %v", err)
	}
	us, err := r.svc.Users(context.Background(), []tack.ID{a.User.ID, b.User.ID, tack.NewID()})
	if err != nil || len(us) != 2 || us[0].Login != "" || us[1].Login != "" {
		t.Fatalf("users: %+v %v", us, err)
	}
	if us, err := r.svc.Users(context.Background(), nil); us != nil || err != nil {
		t.Fatalf("no ids: %v %v", us, err)
	}
	me, err := r.svc.Me(as(a))
	if err != nil || me.Login != "me@example.com" {
		t.Fatalf("me: %+v %v", me, err)
	}
	if _, err := r.svc.Me(context.Background()); errCode(err) != tack.EUnauthorized {
		t.Fatalf("me without a caller: %v", err)
	}
	ids, err := r.svc.Reachable(context.Background(), a.User.ID, []tack.ID{b.User.ID, tack.NewID()})
	if err != nil || len(ids) != 1 || ids[0] != b.User.ID {
		t.Fatalf("reachable: %v %v", ids, err)
	}
	bot1, err := r.svc.Bot(context.Background(), "approvals", "Approvals")
	if err != nil {
		t.Fatal(err)
	}
	bot2, err := r.svc.Bot(context.Background(), "approvals", "Approvals")
	if err != nil || bot2.ID != bot1.ID {
		t.Fatalf("second Bot call made another account: %v %v", bot2.ID, err)
	}
	if _, err := r.svc.SignIn(context.Background(), "bot:approvals", "", account.Device{Address: "192.0.2.1"}); errCode(err) != tack.EUnauthorized {
		t.Fatalf("signing in as a bot: %v", err)
	}
}

func retryAfter(t *testing.T, what string, err error) time.Duration {
	t.Helper()
	var te *tack.Error
	if !errors.As(err, &te) || te.Code != tack.ERateLimited {
		t.Fatalf("%s: %v, want rate limited", what, err)
	}
	return te.RetryAfter
}

func near(d, want time.Duration) bool { return d > want-5*time.Second && d <= want }

// The production limits (the zero Config): each bucket's size, and how
// long the next attempt waits once it is empty.
func TestDefaultLimits(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{})
	a := r.register(t, "d@example.com", "192.0.2.1")
	for i := 0; i < 5; i++ {
		r.svc.SignIn(ctx, "d@example.com", "wrong", account.Device{Address: "192.0.2.200"})
	}
	if w := retryAfter(t, "login and address", signIn(r, "d@example.com", "192.0.2.200", "")); !near(w, 3*time.Minute) {
		t.Fatalf("login and address: wait %v, want 3m", w)
	}
	for i := 0; i < 24; i++ { // 5 wrong above, 24 here, 1 below: 30 for the login
		if err := signIn(r, "d@example.com", fmt.Sprintf("198.51.100.%d", i), "wrong"); errCode(err) != tack.EUnauthorized {
			t.Fatalf("wrong %d from anywhere: %v", i, err)
		}
	}
	signIn(r, "d@example.com", "198.51.100.200", "wrong") // the 30th
	if w := retryAfter(t, "login", signIn(r, "d@example.com", "198.51.100.201", "")); !near(w, 2*time.Minute) {
		t.Fatalf("login from anywhere: wait %v, want 2m", w)
	}
	// Spraying from one address (existing logins: cheap hashes to check):
	// 30 at once, then one every 6 s (time passes meanwhile, so go on
	// until refused).
	for i := 0; i < 40; i++ {
		r.register(t, fmt.Sprintf("spray%d@example.com", i), fmt.Sprintf("192.0.2.%d", 100+i))
	}
	var sprayErr error
	for i := 0; i < 40 && sprayErr == nil; i++ {
		err := signIn(r, fmt.Sprintf("spray%d@example.com", i), "203.0.113.1", "wrong")
		if errCode(err) == tack.ERateLimited {
			if i < 30 {
				t.Fatalf("address refused after %d attempts, want 30", i)
			}
			sprayErr = err
		}
	}
	if w := retryAfter(t, "address", sprayErr); !near(w, 6*time.Second) {
		t.Fatalf("address: wait %v, want 6s", w)
	}
	for i := 0; i < 10; i++ {
		r.svc.SignIn(ctx, "d@example.com", "wrong", account.Device{Address: "192.0.2.9", Token: a.DeviceToken})
	}
	_, err := r.svc.SignIn(ctx, "d@example.com", pw, account.Device{Address: "192.0.2.9", Token: a.DeviceToken})
	if w := retryAfter(t, "device", err); !near(w, time.Minute) {
		t.Fatalf("known device: wait %v, want 1m", w)
	}
	for i := 0; i < 5; i++ {
		r.svc.ChangePassword(as(a), "wrong password", "new password 1")
	}
	if w := retryAfter(t, "password change", r.svc.ChangePassword(as(a), pw, "new password 1")); !near(w, 3*time.Minute) {
		t.Fatalf("password change: wait %v, want 3m", w)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.svc.SendCode(as(a), ""); err != nil {
			t.Fatalf("code %d: %v", i, err)
		}
	}
	_, err = r.svc.SendCode(as(a), "")
	if w := retryAfter(t, "codes", err); !near(w, 10*time.Minute) {
		t.Fatalf("codes: wait %v, want 10m", w)
	}

	reg := newRig(t, account.Config{})
	for i := 0; i < 20; i++ {
		if _, err := reg.svc.Register(ctx, fmt.Sprintf("r%d@example.com", i), pw, "N", account.Device{Address: "192.0.2.1"}); err != nil {
			t.Fatalf("registration %d: %v", i, err)
		}
	}
	_, err = reg.svc.Register(ctx, "r20@example.com", pw, "N", account.Device{Address: "192.0.2.1"})
	if w := retryAfter(t, "registrations per address", err); !near(w, 3*time.Minute) {
		t.Fatalf("registrations per address: wait %v, want 3m", w)
	}
	for i := 0; i < 40; i++ {
		if _, err := reg.svc.Register(ctx, fmt.Sprintf("g%d@example.com", i), pw, "N", account.Device{Address: fmt.Sprintf("198.51.100.%d", i)}); err != nil {
			t.Fatalf("registration %d of the node: %v", 20+i, err)
		}
	}
	_, err = reg.svc.Register(ctx, "g40@example.com", pw, "N", account.Device{Address: "198.51.100.99"})
	if w := retryAfter(t, "registrations", err); !near(w, 6*time.Second) {
		t.Fatalf("registrations on the node: wait %v, want 6s", w)
	}
}

func signIn(r *rig, login, addr, password string) error {
	if password == "" {
		password = pw
	}
	_, err := r.svc.SignIn(context.Background(), login, password, account.Device{Address: addr})
	return err
}

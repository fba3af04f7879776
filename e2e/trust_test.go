package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

// call sends a request with extra headers and a body, and returns the
// status, the response headers and the decoded JSON answer.
func call(t *testing.T, method, url string, headers map[string]string, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, resp.Header, out
}

func jsonFrom(addr string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "X-Forwarded-For": addr}
}

func behindProxy(c *node.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// TestInvitationClaimAttack replays issue 9's first attack: someone
// registers the address an organisation invited (in another case) before
// its owner. With SMTP configured the squatter sees no invitation, cannot
// accept one even with its code, and cannot verify the address; the real
// owner of another invited address verifies and joins.
func TestInvitationClaimAttack(t *testing.T) {
	mail := notifytest.NewSMTPServer(t)
	srv := tacktest.NewServer(t, tacktest.WithSMTP(mail))
	ctx := ctxT(t)
	admin := srv.NewUser(t, "Admin")
	o, err := admin.CreateOrg(ctx, "Acme", "")
	if err != nil {
		t.Fatal(err)
	}
	oid := string(o.ID)
	// An import makes an invitation for every row with an address.
	csv := "name,email,department\nFuture Person,future@acme.com,Secret Projects\nReal Person,real@acme.com,Secret Projects\n"
	if res, err := admin.ImportMembers(ctx, oid, []byte(csv), client.ImportOptions{}); err != nil || !res.Committed {
		t.Fatalf("import: %+v %v", res, err)
	}
	invs, err := admin.Invitations(ctx, oid)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, inv := range invs {
		codes[inv.Target] = inv.Code
	}
	if codes["future@acme.com"] == "" || codes["real@acme.com"] == "" {
		t.Fatalf("import made invitations %v", codes)
	}

	var mine struct {
		Invitations []struct {
			Code string `json:"code"`
		} `json:"invitations"`
	}
	for _, login := range []string{"FUTURE@ACME.COM", "future@acme.com"} {
		attacker := client.New(srv.URL)
		if login == "future@acme.com" {
			if _, err := attacker.Register(ctx, login, "attacker password", "Future Person"); apiCode(err) != "conflict" {
				t.Fatalf("second registration of the same address (%s): %v", login, err)
			}
			continue
		}
		u, err := attacker.Register(ctx, login, "attacker password", "Future Person")
		if err != nil {
			t.Fatal(err)
		}
		if u.Login != "future@acme.com" {
			t.Errorf("login %q stored as %q", login, u.Login)
		}
		if err := attacker.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine); err != nil || len(mine.Invitations) != 0 {
			t.Fatalf("unverified squatter sees invitations %+v (%v)", mine.Invitations, err)
		}
		if _, err := attacker.AcceptInvitation(ctx, codes["future@acme.com"]); apiCode(err) != "forbidden" {
			t.Fatalf("unverified squatter accepts the leaked code: %v", err)
		}
		// The code goes to the address's real owner, not to the squatter.
		if err := attacker.SendVerificationCode(ctx, "email"); err != nil {
			t.Fatal(err)
		}
		mail.Wait(t, "future@acme.com", nil)
		var last error
		for i := 0; i < 6; i++ {
			_, last = attacker.ConfirmVerificationCode(ctx, fmt.Sprintf("%06d", i))
		}
		if apiCode(last) != "expired" {
			t.Fatalf("6th guessed code: %v, want expired", last)
		}
		me, err := attacker.Me(ctx)
		if err != nil || me.VerifiedAt != nil {
			t.Fatalf("squatter verified: %+v %v", me, err)
		}
		if _, err := attacker.Departments(ctx, oid); apiCode(err) != "not_found" {
			t.Fatalf("squatter sees the departments: %v", err)
		}
	}

	// The verified owner of an invited address joins at once.
	real := &tacktest.User{Client: client.New(srv.URL), Login: "real@acme.com"}
	if _, err := real.Register(ctx, "Real@Acme.com", "correct horse battery", "Real Person"); err != nil {
		t.Fatal(err)
	}
	if err := real.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine); err != nil || len(mine.Invitations) != 0 {
		t.Fatalf("before verifying: %+v %v", mine.Invitations, err)
	}
	real.VerifyEmail(t, mail)
	var me map[string]any
	if err := real.Do(ctx, "GET", "/api/v1/me", nil, &me); err != nil || me["verified"] != true {
		t.Fatalf("/me after verifying: %v %v", me, err)
	}
	if err := real.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine); err != nil || len(mine.Invitations) != 1 || mine.Invitations[0].Code != codes["real@acme.com"] {
		t.Fatalf("verified owner's invitations: %+v %v", mine.Invitations, err)
	}
	j, err := real.AcceptInvitation(ctx, mine.Invitations[0].Code)
	if err != nil || j.Status != "active" || j.Member.Name != "Real Person" {
		t.Fatalf("verified owner's accept: %+v %v", j, err)
	}
	depts, err := real.Departments(ctx, oid)
	if err != nil || len(depts) == 0 {
		t.Fatalf("member's departments: %v %v", depts, err)
	}
}

// TestVerificationCodes: the rules of POST /me/verifications and /confirm.
func TestVerificationCodes(t *testing.T) {
	ctx := ctxT(t)
	// No SMTP: nothing to send with, and the server says so.
	plain := tacktest.NewServer(t)
	if err := plain.NewUser(t, "A").SendVerificationCode(ctx, "email"); apiCode(err) != "unavailable" {
		t.Fatalf("without SMTP: %v", err)
	}

	mail := notifytest.NewSMTPServer(t)
	sms := &notifytest.SMS{}
	srv := tacktest.NewServer(t, tacktest.WithSMTP(mail), tacktest.WithConfig(func(c *node.Config) { c.SMS = sms }))
	u := srv.NewUser(t, "Vera")
	for _, bad := range []struct{ channel, code string }{{"phone", "invalid"}, {"carrier-pigeon", "invalid"}} {
		if err := u.SendVerificationCode(ctx, bad.channel); apiCode(err) != bad.code {
			t.Errorf("channel %q: %v, want %s", bad.channel, err, bad.code)
		}
	}
	if _, err := u.ConfirmVerificationCode(ctx, "123456"); apiCode(err) != "expired" {
		t.Errorf("confirm with no code sent: %v", err)
	}
	if err := u.SendVerificationCode(ctx, "email"); err != nil {
		t.Fatal(err)
	}
	first := notifytest.Code(mail.Wait(t, u.Login, nil).Text)
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, err := u.ConfirmVerificationCode(ctx, bad); apiCode(err) != "invalid" {
			t.Errorf("code %q: %v", bad, err)
		}
	}
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, first)+1)%1_000_000)
	if _, err := u.ConfirmVerificationCode(ctx, wrong); apiCode(err) != "invalid" {
		t.Fatalf("wrong code: %v", err)
	}
	// A new code replaces the old one.
	if err := u.SendVerificationCode(ctx, ""); err != nil {
		t.Fatal(err)
	}
	second := notifytest.Code(mail.Wait(t, u.Login, func(m notifytest.Mail) bool { return notifytest.Code(m.Text) != first }).Text)
	if second == first {
		t.Skip("the same code twice (one in a million)")
	}
	if _, err := u.ConfirmVerificationCode(ctx, first); apiCode(err) != "invalid" {
		t.Errorf("replaced code: %v", err)
	}
	// Codes sent are limited: 3, then one per 10 minutes.
	err := u.SendVerificationCode(ctx, "email")
	if err != nil {
		t.Fatal(err)
	}
	third := notifytest.Code(mail.Wait(t, u.Login, func(m notifytest.Mail) bool {
		c := notifytest.Code(m.Text)
		return c != first && c != second
	}).Text)
	st, hdr, body := call(t, "POST", srv.URL+"/api/v1/me/verifications", map[string]string{"Authorization": "Bearer " + u.Token,
		"Content-Type": "application/json"}, `{"channel":"email"}`)
	if st != 429 || errCode(body) != "rate_limited" {
		t.Fatalf("4th code: %d %v", st, body)
	}
	if ra, _ := strconv.Atoi(hdr.Get("Retry-After")); ra < 60 || ra > 600 {
		t.Errorf("Retry-After %q, want the real wait (up to 600 s)", hdr.Get("Retry-After"))
	}
	me, err := u.ConfirmVerificationCode(ctx, third)
	if err != nil || me.VerifiedAt == nil {
		t.Fatalf("right code: %+v %v", me, err)
	}
	if err := u.SendVerificationCode(ctx, "email"); apiCode(err) != "conflict" {
		t.Errorf("verifying again: %v", err)
	}
	for _, m := range mail.Mails() {
		if !strings.Contains(m.Raw, "From: \"Tack\" <tack@tack.example>") && !strings.Contains(m.Raw, "From: Tack <tack@tack.example>") {
			t.Errorf("mail from %q", m.Raw[:strings.Index(m.Raw, "\n")])
		}
	}

	// Phone logins verify through the SMS provider; an unreachable
	// provider is reported, not pretended.
	p := client.New(srv.URL)
	if _, err := p.Register(ctx, "+86 139 0013 9000", "correct horse battery", "Phone Person"); err != nil {
		t.Fatal(err)
	}
	if err := p.SendVerificationCode(ctx, "email"); apiCode(err) != "invalid" {
		t.Errorf("email channel for a phone login: %v", err)
	}
	sms.Fail = errors.New("provider down")
	if err := p.SendVerificationCode(ctx, "phone"); apiCode(err) != "unavailable" {
		t.Errorf("failing provider: %v", err)
	}
	sms.Fail = nil
	if err := p.SendVerificationCode(ctx, "phone"); err != nil {
		t.Fatal(err)
	}
	msg := sms.Wait(t, "+8613900139000")
	if me, err := p.ConfirmVerificationCode(ctx, notifytest.Code(msg.Text)); err != nil || me.VerifiedAt == nil {
		t.Fatalf("phone code: %+v %v", me, err)
	}

	// Attempts are counted before the comparison: 30 concurrent guesses
	// against one code, and still at most 5 are compared.
	g := srv.NewUser(t, "Guesser")
	if err := g.SendVerificationCode(ctx, "email"); err != nil {
		t.Fatal(err)
	}
	right := notifytest.Code(mail.Wait(t, g.Login, nil).Text)
	var wg sync.WaitGroup
	var wrongAnswers, expired atomic.Int32
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			guess := fmt.Sprintf("%06d", (mustAtoi(t, right)+1+i)%1_000_000)
			switch _, err := g.ConfirmVerificationCode(ctx, guess); apiCode(err) {
			case "invalid":
				wrongAnswers.Add(1)
			case "expired":
				expired.Add(1)
			}
		}()
	}
	wg.Wait()
	if wrongAnswers.Load() > 5 {
		t.Errorf("%d guesses were compared, want at most 5", wrongAnswers.Load())
	}
	if _, err := g.ConfirmVerificationCode(ctx, right); apiCode(err) != "expired" {
		t.Errorf("the right code after the guesses: %v, want expired", err)
	}
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("not a code: %q", s)
	}
	return n
}

// TestSignInLimitsHoldUnderConcurrency: 80 concurrent wrong passwords for
// one login from one address reach the password hash at most as often as
// the strict bucket allows, the refusal carries the real wait, and a
// stranger's guesses never lock out a device the user signed in on before.
func TestSignInLimitsHoldUnderConcurrency(t *testing.T) {
	// Real password hashing (about 60 ms each): guesses overlap as they
	// would against a production server.
	srv := tacktest.NewServer(t, tacktest.WithConfig(behindProxy), tacktest.WithConfig(func(c *node.Config) { c.FastHash = false }))
	ctx := ctxT(t)
	victim := srv.NewUser(t, "Victim") // its client keeps a device token
	if victim.DeviceToken == "" {
		t.Fatal("registration gave no device token")
	}
	body := fmt.Sprintf(`{"login":%q,"password":"wrong guess"}`, victim.Login)
	before := srv.Node.Accounts.PasswordChecks()
	var wg sync.WaitGroup
	statuses := make([]int, 80)
	retry := make([]string, 80)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, hdr, _ := call(t, "POST", srv.URL+"/api/v1/sessions", jsonFrom("203.0.113.5"), body)
			statuses[i], retry[i] = st, hdr.Get("Retry-After")
		}()
	}
	wg.Wait()
	checked := srv.Node.Accounts.PasswordChecks() - before
	if checked > 5 {
		t.Errorf("80 concurrent wrong sign-ins: %d reached the password hash, want at most 5", checked)
	}
	limited := 0
	for i, st := range statuses {
		switch st {
		case 401:
		case 429:
			limited++
			if ra, _ := strconv.Atoi(retry[i]); ra < 60 {
				t.Errorf("Retry-After %q, want the real wait (about 3 minutes)", retry[i])
			}
		default:
			t.Errorf("status %d", st)
		}
	}
	if limited < 75 {
		t.Errorf("%d of 80 limited, want at least 75", limited)
	}
	// The owner, from another address, is not locked out by one address.
	if st, _, _ := call(t, "POST", srv.URL+"/api/v1/sessions", jsonFrom("198.51.100.7"),
		fmt.Sprintf(`{"login":%q,"password":%q}`, victim.Login, victim.Password)); st != 200 {
		t.Fatalf("owner from another address: %d", st)
	}
	// Guesses from many addresses exhaust the loose per-login bucket...
	for i := 0; i < 40; i++ {
		call(t, "POST", srv.URL+"/api/v1/sessions", jsonFrom(fmt.Sprintf("192.0.2.%d", i+1)), body)
	}
	if st, _, _ := call(t, "POST", srv.URL+"/api/v1/sessions", jsonFrom("198.51.100.8"),
		fmt.Sprintf(`{"login":%q,"password":%q}`, victim.Login, victim.Password)); st != 429 {
		t.Fatalf("a new device while the login is under attack: %d, want 429", st)
	}
	// ...but a device the user signed in on before keeps signing in.
	if _, err := victim.SignIn(ctx, victim.Login, victim.Password); err != nil {
		t.Fatalf("known device while the login is under attack: %v", err)
	}
	// A device token of another user is no key to this login.
	other := srv.NewUser(t, "Other")
	st, _, _ := call(t, "POST", srv.URL+"/api/v1/sessions", jsonFrom("198.51.100.9"),
		fmt.Sprintf(`{"login":%q,"password":%q,"device_token":%q}`, victim.Login, victim.Password, other.DeviceToken))
	if st != 429 {
		t.Errorf("another user's device token: %d, want 429", st)
	}
}

// TestForwardedForNeedsTrustedProxy: without --trusted-proxy a client
// cannot pick the address its limits count under.
func TestForwardedForNeedsTrustedProxy(t *testing.T) {
	srv := tacktest.NewServer(t)
	a := srv.NewUser(t, "A")
	body := fmt.Sprintf(`{"login":%q,"password":"wrong guess"}`, a.Login)
	for i := 0; i < 5; i++ {
		if st, _, _ := call(t, "POST", srv.URL+"/api/v1/sessions", jsonFrom(fmt.Sprintf("192.0.2.%d", i+1)), body); st != 401 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	if st, _, _ := call(t, "POST", srv.URL+"/api/v1/sessions", jsonFrom("192.0.2.99"), body); st != 429 {
		t.Fatalf("6th guess under a new X-Forwarded-For: %d, want 429", st)
	}
	// Behind a trusted proxy the forwarded address is the client's.
	prox := tacktest.NewServer(t, tacktest.WithConfig(behindProxy))
	b := prox.NewUser(t, "B")
	body = fmt.Sprintf(`{"login":%q,"password":"wrong guess"}`, b.Login)
	for i := 0; i < 5; i++ {
		call(t, "POST", prox.URL+"/api/v1/sessions", jsonFrom("192.0.2.1"), body)
	}
	if st, _, _ := call(t, "POST", prox.URL+"/api/v1/sessions", jsonFrom("192.0.2.2"), body); st != 401 {
		t.Fatalf("another forwarded address: %d, want 401", st)
	}
	// The right-most untrusted hop counts: a client-chosen left part does not.
	for i := 0; i < 5; i++ {
		call(t, "POST", prox.URL+"/api/v1/sessions", jsonFrom(fmt.Sprintf("10.9.9.%d, 192.0.2.3", i)), body)
	}
	if st, _, _ := call(t, "POST", prox.URL+"/api/v1/sessions", jsonFrom("10.9.9.99, 192.0.2.3"), body); st != 429 {
		t.Fatalf("spoofed left-most hop: %d, want 429", st)
	}
}

// TestRegistrationLimits: new accounts per address (IPv6: per /64) and on
// the whole node.
func TestRegistrationLimits(t *testing.T) {
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		behindProxy(c)
		c.RegisterPerHour = 3
	}))
	reg := func(addr string, n int) (int, http.Header) {
		st, hdr, _ := call(t, "POST", srv.URL+"/api/v1/accounts", jsonFrom(addr),
			fmt.Sprintf(`{"login":"r%d-%d@example.com","password":"correct horse battery","name":"R"}`, n, time.Now().UnixNano()))
		return st, hdr
	}
	for i := 0; i < 3; i++ {
		if st, _ := reg("192.0.2.1", i); st != 201 {
			t.Fatalf("registration %d: %d", i, st)
		}
	}
	st, hdr := reg("192.0.2.1", 3)
	if st != 429 {
		t.Fatalf("4th registration from one address: %d, want 429", st)
	}
	if ra, _ := strconv.Atoi(hdr.Get("Retry-After")); ra < 600 || ra > 1200 {
		t.Errorf("Retry-After %q, want the real wait (20 minutes)", hdr.Get("Retry-After"))
	}
	if st, _ := reg("192.0.2.2", 4); st != 201 {
		t.Fatalf("another address: %d", st)
	}
	for i := 0; i < 3; i++ {
		reg(fmt.Sprintf("2001:db8:1:2::%d", i+1), 10+i)
	}
	if st, _ := reg("2001:db8:1:2:ffff::1", 20); st != 429 {
		t.Errorf("another address of the same IPv6 /64: %d, want 429", st)
	}

	global := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		behindProxy(c)
		c.RegisterGlobalPerHour = 20 // bursts of 2
	}))
	for i := 0; i < 3; i++ {
		st, _, body := call(t, "POST", global.URL+"/api/v1/accounts", jsonFrom(fmt.Sprintf("198.51.100.%d", i+1)),
			fmt.Sprintf(`{"login":"g%d@example.com","password":"correct horse battery","name":"G"}`, i))
		if want := map[bool]int{true: 201, false: 429}[i < 2]; st != want {
			t.Fatalf("registration %d from its own address: %d %v, want %d", i, st, body, want)
		}
	}
}

// TestLookAlikeLogins: one login has one account however it is written,
// and logins that merely look like another are refused.
func TestLookAlikeLogins(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	reg := func(login, name string) error {
		_, err := client.New(srv.URL).Register(ctx, login, "correct horse battery", name)
		return err
	}
	if err := reg("ada@example.com", "Ada"); err != nil {
		t.Fatal(err)
	}
	if err := reg("+86 138 0013 8000", "Phone"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ login, want string }{
		{"ADA@Example.COM", "conflict"},
		{"ａｄａ@ｅｘａｍｐｌｅ.ｃｏｍ", "conflict"}, // full-width
		{"13800138000", "conflict"},
		{"+8613800138000", "conflict"},
		{"8613800138000", "conflict"},
		{"１３８００１３８０００", "conflict"},          // full-width digits
		{"аda@example.com", "invalid"},       // Cyrillic а
		{"ada\u200b@example.com", "invalid"}, // zero-width space
		{"ada@exam\u00adple.com", "invalid"}, // soft hyphen
		{"\u202eada@example.com", "invalid"}, // bidi override
		{"138001", "invalid"},
	} {
		if err := reg(c.login, "Look-alike"); apiCode(err) != c.want {
			t.Errorf("register %+q: %v, want %s", c.login, err, c.want)
		}
	}
	for _, login := range []string{"Ada@Example.com", "ａｄａ@example.com"} {
		if _, err := client.New(srv.URL).SignIn(ctx, login, "correct horse battery"); err != nil {
			t.Errorf("sign in as %+q: %v", login, err)
		}
	}
	if u, err := client.New(srv.URL).SignIn(ctx, "138 0013 8000", "correct horse battery"); err != nil || u.Login != "+8613800138000" {
		t.Errorf("sign in by the national number: %+v %v", u, err)
	}
	// Names: no invisible or direction-changing characters, no mark piles.
	for _, name := range []string{"Eve\u202egnp.exe", "Z\u200bero", strings.Repeat("\u0336", 3) + "x" + strings.Repeat("\u0336", 200), "\u3164"} {
		if err := reg(fmt.Sprintf("n%d@example.com", time.Now().UnixNano()), name); apiCode(err) != "invalid" {
			t.Errorf("name %+q: %v", name, err)
		}
	}
	u := srv.NewUser(t, "  Ｗｉｄｅ　Name ")
	if me, _ := u.Me(ctx); me.Name != "Wide Name" {
		t.Errorf("name stored as %q", me.Name)
	}
}

// TestSessionLifetimes: idle and absolute lifetimes sign a session out,
// and its live stream with it.
func TestSessionLifetimes(t *testing.T) {
	var skew atomic.Int64
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	}))
	ctx := ctxT(t)
	day := int64(24 * time.Hour)
	idle := srv.NewUser(t, "Idle")
	busy := srv.NewUser(t, "Busy")
	quiet := srv.NewUser(t, "Quiet") // only a stream open, no requests
	s := connect(t, idle.Client, nil)
	qs := connect(t, quiet.Client, nil)

	// Busy uses its session every 29 days: it lives until 90 days.
	for _, d := range []int64{29, 58, 87} {
		skew.Store(d * day)
		if _, err := busy.Me(ctx); err != nil {
			t.Fatalf("busy session after %d days: %v", d, err)
		}
		if d == 58 {
			if _, err := idle.Me(ctx); apiCode(err) != "unauthorized" {
				t.Fatalf("session unused for 58 days: %v", err)
			}
		}
	}
	for range s.Events() {
	}
	var ce *client.CloseError
	if !errors.As(s.Err(), &ce) || ce.Code != 4001 {
		t.Errorf("stream of the expired session ended with %v, want close 4001", s.Err())
	}
	// The sweep ended the quiet session too, and closed its stream.
	if n, err := srv.Node.Accounts.SweepSessions(ctx); err != nil || n < 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	for range qs.Events() {
	}
	if !errors.As(qs.Err(), &ce) || ce.Code != 4001 {
		t.Errorf("stream of the swept session ended with %v, want close 4001", qs.Err())
	}
	if _, err := quiet.Me(ctx); apiCode(err) != "unauthorized" {
		t.Errorf("swept session: %v", err)
	}
	skew.Store(91 * day)
	if _, err := busy.Me(ctx); apiCode(err) != "unauthorized" {
		t.Fatalf("session after 91 days: %v", err)
	}
	if _, err := busy.SignIn(ctx, busy.Login, busy.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := busy.Me(ctx); err != nil {
		t.Fatalf("new session: %v", err)
	}
}

// TestChangePassword: the new password works, the old does not, and every
// other device is signed out (its live stream closed) while this one
// stays.
func TestChangePassword(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	phone := client.New(srv.URL)
	if _, err := phone.SignIn(ctx, a.Login, a.Password); err != nil {
		t.Fatal(err)
	}
	ps := connect(t, phone, nil)
	for _, c := range []struct{ cur, next, code string }{
		{"wrong password", "new password 123", "forbidden"},
		{a.Password, "short", "invalid"},
		{"", "new password 123", "invalid"},
		{a.Password, a.Password, "invalid"},
	} {
		if err := a.ChangePassword(ctx, c.cur, c.next); apiCode(err) != c.code {
			t.Errorf("change %q -> %q: %v, want %s", c.cur, c.next, err, c.code)
		}
	}
	if _, err := phone.Me(ctx); err != nil {
		t.Fatalf("refused changes signed the phone out: %v", err)
	}
	if err := a.ChangePassword(ctx, a.Password, "new password 123"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Me(ctx); err != nil {
		t.Errorf("the device that changed the password was signed out: %v", err)
	}
	if _, err := phone.Me(ctx); apiCode(err) != "unauthorized" {
		t.Errorf("other device after the change: %v", err)
	}
	for range ps.Events() {
	}
	var ce *client.CloseError
	if !errors.As(ps.Err(), &ce) || ce.Code != 4001 {
		t.Errorf("other device's stream ended with %v, want close 4001", ps.Err())
	}
	if _, err := client.New(srv.URL).SignIn(ctx, a.Login, a.Password); apiCode(err) != "unauthorized" {
		t.Errorf("old password: %v", err)
	}
	if _, err := client.New(srv.URL).SignIn(ctx, a.Login, "new password 123"); err != nil {
		t.Errorf("new password: %v", err)
	}
	// Wrong current passwords are limited before they are checked.
	for i := 0; i < 5; i++ {
		a.ChangePassword(ctx, "wrong password", "another password")
	}
	if err := a.ChangePassword(ctx, "new password 123", "another password"); apiCode(err) != "rate_limited" {
		t.Errorf("6th attempt: %v, want rate_limited", err)
	}
}

// TestCSRFBoundToSession: a cookie-signed write needs the CSRF token of
// its own session; a value planted in the tack_csrf cookie (or another
// session's token) is refused.
func TestCSRFBoundToSession(t *testing.T) {
	srv := tacktest.NewServer(t)
	signUp := func(login string) (session, csrf string) {
		st, hdr, body := call(t, "POST", srv.URL+"/api/v1/accounts", map[string]string{"Content-Type": "application/json"},
			fmt.Sprintf(`{"login":%q,"password":"correct horse battery","name":"W","cookie":true}`, login))
		if st != 201 {
			t.Fatalf("cookie sign-up: %d %v", st, body)
		}
		for _, c := range (&http.Response{Header: hdr}).Cookies() {
			if c.Name == "tack_session" {
				session = c.Value
			}
		}
		return session, body["csrf_token"].(string)
	}
	s1, c1 := signUp("csrf1@example.com")
	s2, c2 := signUp("csrf2@example.com")
	write := func(session, cookieCSRF, header string) int {
		h := map[string]string{"Content-Type": "application/json", "Cookie": "tack_session=" + session + "; tack_csrf=" + cookieCSRF}
		if header != "" {
			h["X-CSRF-Token"] = header
		}
		st, _, _ := call(t, "POST", srv.URL+"/api/v1/conversations", h, `{"type":"group","members":[],"title":"x"}`)
		return st
	}
	if st := write(s1, "planted", "planted"); st != 403 {
		t.Errorf("planted cookie and matching header: %d, want 403", st)
	}
	if st := write(s1, c2, c2); st != 403 {
		t.Errorf("another session's CSRF token: %d, want 403", st)
	}
	if st := write(s1, c1, ""); st != 403 {
		t.Errorf("no header: %d, want 403", st)
	}
	if st := write(s1, "", c1); st != 201 {
		t.Errorf("the session's own token: %d, want 201", st)
	}
	if st := write(s2, c2, c2); st != 201 {
		t.Errorf("second session: %d, want 201", st)
	}
}

// TestSignInRefusesCrossSitePosts: sign-in and registration take JSON
// only, and only from this server's own pages (or from non-browsers).
func TestSignInRefusesCrossSitePosts(t *testing.T) {
	srv := tacktest.NewServer(t)
	a := srv.NewUser(t, "A")
	good := fmt.Sprintf(`{"login":%q,"password":%q}`, a.Login, a.Password)
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, c := range []struct {
		name    string
		path    string
		headers map[string]string
		body    string
		status  int
		code    string
	}{
		{"form post", "/api/v1/sessions", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "login=" + a.Login + "&password=x", 415, "unsupported_media_type"},
		{"text/plain JSON", "/api/v1/sessions", map[string]string{"Content-Type": "text/plain"}, good, 415, "unsupported_media_type"},
		{"no content type", "/api/v1/sessions", map[string]string{}, good, 415, "unsupported_media_type"},
		{"other origin", "/api/v1/sessions", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, good, 403, "forbidden"},
		{"null origin", "/api/v1/sessions", map[string]string{"Content-Type": "application/json", "Origin": "null"}, good, 403, "forbidden"},
		{"cross-site fetch", "/api/v1/sessions", map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, good, 403, "forbidden"},
		{"register from another origin", "/api/v1/accounts", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"},
			`{"login":"x@example.com","password":"correct horse battery","name":"X"}`, 403, "forbidden"},
		{"register as a form", "/api/v1/accounts", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, "--x--", 415, "unsupported_media_type"},
		{"same origin", "/api/v1/sessions", map[string]string{"Content-Type": "application/json; charset=utf-8", "Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}, good, 200, ""},
		{"no origin (not a browser)", "/api/v1/sessions", map[string]string{"Content-Type": "application/json"}, good, 200, ""},
	} {
		st, _, body := call(t, "POST", srv.URL+c.path, c.headers, c.body)
		if st != c.status || errCode(body) != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, st, body, c.status, c.code)
		}
	}
}

// TestMetricsPlacement: /metrics is on its own address; on the main
// address only with the metrics token.
func TestMetricsPlacement(t *testing.T) {
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.MetricsAddr = "127.0.0.1:0"
		c.MetricsToken = "metrics-token-0123456789"
	}))
	get := func(url, token string) (int, string) {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := get(srv.URL+"/metrics", ""); st != 401 {
		t.Errorf("main address without the token: %d", st)
	}
	if st, _ := get(srv.URL+"/metrics", "wrong-token-0123456789"); st != 401 {
		t.Errorf("main address with a wrong token: %d", st)
	}
	if st, b := get(srv.URL+"/metrics", "metrics-token-0123456789"); st != 200 || !strings.Contains(b, "go_goroutines") {
		t.Errorf("main address with the token: %d", st)
	}
	addr := srv.Node.MetricsAddr()
	if addr == nil {
		t.Fatal("no metrics address")
	}
	if st, b := get("http://"+addr.String()+"/metrics", ""); st != 200 || !strings.Contains(b, "go_goroutines") {
		t.Errorf("metrics address: %d", st)
	}
	if st, _ := get("http://"+addr.String()+"/api/v1/me", ""); st != 404 {
		t.Errorf("the metrics address serves the API: %d", st)
	}
	plain := tacktest.NewServer(t)
	if st, _ := get(plain.URL+"/metrics", ""); st != 404 {
		t.Errorf("main address with no token configured: %d, want 404", st)
	}
}

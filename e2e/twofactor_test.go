package e2e

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// TestTwoFactorSignIn: an authenticator app (TOTP) turned on with a code,
// then required at every sign-in: each code works once, recovery codes
// work once each, wrong codes count against the sign-in limits, and turning
// it off needs the password and a code.
func TestTwoFactorSignIn(t *testing.T) {
	var skew atomic.Int64
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	}))
	ctx := ctxT(t)
	a := srv.NewUser(t, "Alice")
	at := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	step := func() { skew.Add(int64(30 * time.Second)) } // the next code
	code := func(secret string) string {
		c, err := totp.GenerateCodeCustom(secret, at(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if st, err := a.TwoFactor(ctx); err != nil || st.Enabled {
		t.Fatalf("before: %+v %v", st, err)
	}
	if _, err := a.EnableTOTP(ctx, "123456"); apiCode(err) != "conflict" {
		t.Errorf("enable before setup: %v", err)
	}
	secret, url, err := a.SetUpTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(url, "otpauth://totp/Tack:") || !strings.Contains(url, "secret="+secret) {
		t.Fatalf("otpauth URL %q", url)
	}
	// Until enabled, sign-in needs no code.
	if _, err := client.New(srv.URL).SignIn(ctx, a.Login, a.Password); err != nil {
		t.Fatalf("sign-in while pending: %v", err)
	}
	for _, bad := range []string{"12345", "abcdef", "000000"} {
		if _, err := a.EnableTOTP(ctx, bad); apiCode(err) != "invalid" {
			t.Errorf("enable with %q: %v", bad, err)
		}
	}
	recovery, err := a.EnableTOTP(ctx, code(secret))
	if err != nil {
		t.Fatal(err)
	}
	if len(recovery) != 10 {
		t.Fatalf("%d recovery codes", len(recovery))
	}
	if st, _ := a.TwoFactor(ctx); !st.Enabled || st.RecoveryCodesLeft != 10 {
		t.Fatalf("after enabling: %+v", st)
	}
	if _, _, err := a.SetUpTOTP(ctx); apiCode(err) != "conflict" {
		t.Errorf("setup while enabled: %v", err)
	}

	// Sign-in: no code, the code already used, then a fresh one.
	c := client.New(srv.URL)
	var ce *client.Error
	if _, err := c.SignIn(ctx, a.Login, a.Password); apiCode(err) != "unauthorized" || !asErr(err, &ce) || ce.Field != "code" {
		t.Fatalf("sign-in without a code: %v", err)
	}
	if _, err := c.SignInWithCode(ctx, a.Login, a.Password, code(secret)); apiCode(err) != "unauthorized" {
		t.Errorf("the code used to enable, again: %v", err)
	}
	if _, err := c.SignInWithCode(ctx, a.Login, "wrong password", code(secret)); apiCode(err) != "unauthorized" {
		t.Errorf("a wrong password with a code: %v", err)
	}
	step()
	fresh := code(secret)
	if _, err := c.SignInWithCode(ctx, a.Login, a.Password, fresh); err != nil {
		t.Fatalf("sign-in with a fresh code: %v", err)
	}
	if _, err := client.New(srv.URL).SignInWithCode(ctx, a.Login, a.Password, fresh); apiCode(err) != "unauthorized" {
		t.Errorf("the same code twice: %v", err)
	}
	// A recovery code, once, in any case and without its dash.
	rc := strings.ToUpper(strings.ReplaceAll(recovery[3], "-", ""))
	if _, err := client.New(srv.URL).SignInWithCode(ctx, a.Login, a.Password, rc); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if _, err := client.New(srv.URL).SignInWithCode(ctx, a.Login, a.Password, recovery[3]); apiCode(err) != "unauthorized" {
		t.Errorf("a recovery code twice: %v", err)
	}
	if st, _ := a.TwoFactor(ctx); st.RecoveryCodesLeft != 9 {
		t.Errorf("recovery codes left: %d", st.RecoveryCodesLeft)
	}

	// New recovery codes need a code; the old ones stop working.
	step()
	again, err := a.NewRecoveryCodes(ctx, code(secret))
	if err != nil || len(again) != 10 {
		t.Fatalf("new recovery codes: %d %v", len(again), err)
	}
	if _, err := client.New(srv.URL).SignInWithCode(ctx, a.Login, a.Password, recovery[0]); apiCode(err) != "unauthorized" {
		t.Errorf("an old recovery code: %v", err)
	}

	// Turning it off: the password and a code.
	step()
	if err := a.DisableTOTP(ctx, "wrong password", code(secret)); apiCode(err) != "forbidden" {
		t.Errorf("disable with a wrong password: %v", err)
	}
	if err := a.DisableTOTP(ctx, a.Password, "000000"); apiCode(err) != "invalid" {
		t.Errorf("disable with a wrong code: %v", err)
	}
	if err := a.DisableTOTP(ctx, a.Password, again[0]); err != nil {
		t.Fatalf("disable with a recovery code: %v", err)
	}
	// (From the device that signed in before: the failures above used up
	// this address's strict limit for Alice's login, as they should.)
	if _, err := c.SignIn(ctx, a.Login, a.Password); err != nil {
		t.Fatalf("sign-in after turning it off: %v", err)
	}

	// Wrong codes count against the sign-in limits like wrong passwords.
	b := srv.NewUser(t, "Bob")
	bs, _, _ := b.SetUpTOTP(ctx)
	if _, err := b.EnableTOTP(ctx, code(bs)); err != nil {
		t.Fatal(err)
	}
	limited := false
	for i := 0; i < 8 && !limited; i++ {
		_, err := client.New(srv.URL).SignInWithCode(ctx, b.Login, b.Password, "000000")
		limited = apiCode(err) == "rate_limited"
	}
	if !limited {
		t.Error("8 wrong codes in a row were never limited")
	}
}

func asErr(err error, target **client.Error) bool {
	e, ok := err.(*client.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestOrgRequiresAdmin2FA: an owner with two-step sign-in requires it of
// the organisation's admins; an admin without it acts as a plain member
// (told so by needs_2fa) until they turn it on; plain members are not
// affected; only the owner changes the rule, and only with it on.
func TestOrgRequiresAdmin2FA(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	owner := srv.NewUser(t, "Owner")
	admin := srv.NewUser(t, "Admin")
	member := srv.NewUser(t, "Member")
	o, err := owner.CreateOrg(ctx, "Acme", "Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	oid := string(o.ID)
	ids := map[string]string{}
	for _, u := range []*tacktest.User{admin, member} {
		inv, err := owner.CreateInvitation(ctx, oid, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		j, err := u.AcceptInvitation(ctx, inv.Code)
		if err != nil {
			t.Fatal(err)
		}
		ids[u.Name] = string(j.Member.ID)
	}
	if _, err := owner.SetMemberRole(ctx, oid, ids["Admin"], "admin", nil); err != nil {
		t.Fatal(err)
	}
	on := map[string]any{"require_admin_2fa": true}
	if _, err := owner.UpdateOrg(ctx, oid, on); apiCode(err) != "conflict" {
		t.Fatalf("turning it on without two-step sign-in oneself: %v", err)
	}
	enable := func(u *tacktest.User) {
		secret, _, err := u.SetUpTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		if _, err := u.EnableTOTP(ctx, code); err != nil {
			t.Fatal(err)
		}
	}
	enable(owner)
	if _, err := admin.UpdateOrg(ctx, oid, on); apiCode(err) != "forbidden" {
		t.Fatalf("an admin changing the rule: %v", err)
	}
	got, err := owner.UpdateOrg(ctx, oid, on)
	if err != nil || !got.RequireAdmin2FA {
		t.Fatalf("the owner turning it on: %+v %v", got, err)
	}
	// The admin without it: told, and a plain member meanwhile.
	a, err := admin.Org(ctx, oid)
	if err != nil || a.Me == nil || !a.Me.Needs2FA {
		t.Fatalf("the admin's view: %+v %v", a.Me, err)
	}
	if _, err := admin.CreateDepartment(ctx, oid, "", "Sales"); apiCode(err) != "forbidden" {
		t.Fatalf("an admin without two-step sign-in creating a department: %v", err)
	}
	if _, err := admin.SetMemberStatus(ctx, oid, ids["Member"], "suspended"); apiCode(err) != "forbidden" {
		t.Fatalf("an admin without two-step sign-in suspending a member: %v", err)
	}
	if m, err := member.Org(ctx, oid); err != nil || m.Me == nil || m.Me.Needs2FA {
		t.Fatalf("a plain member's view: %+v %v", m.Me, err)
	}
	enable(admin)
	if a, _ := admin.Org(ctx, oid); a.Me == nil || a.Me.Needs2FA {
		t.Fatalf("the admin after turning it on: %+v", a.Me)
	}
	if _, err := admin.CreateDepartment(ctx, oid, "", "Sales"); err != nil {
		t.Fatalf("the admin with two-step sign-in: %v", err)
	}
}

// TestSignInAlert: a sign-in from a device never used before brings a
// message from the account security bot (账号安全) naming the device and
// address; a sign-in from a known device brings none.
func TestSignInAlert(t *testing.T) {
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.NoSignInAlerts = false }))
	ctx := ctxT(t)
	u := srv.NewUser(t, "Alice") // registering: no alert
	s := connect(t, u.Client, nil)
	other := client.New(srv.URL)
	if _, err := other.SignIn(ctx, u.Login, u.Password); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, s, "the alert", func(e client.Event) bool {
		return e.Message != nil && e.Message.Kind == "system" && strings.Contains(e.Message.Text, "新设备")
	})
	if !strings.Contains(ev.Message.Text, "127.0.0.1") || !strings.Contains(ev.Message.Text, "New sign-in") {
		t.Fatalf("the alert: %q", ev.Message.Text)
	}
	convs, err := u.Conversations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range convs {
		if c.LastMessage != nil && strings.Contains(c.LastMessage.Text, "新设备") {
			n++
			if c.External {
				t.Error("the security bot's chat is marked external")
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d conversations with an alert, want 1", n)
	}
	// Again from the same device: no second alert.
	if _, err := other.SignIn(ctx, u.Login, u.Password); err != nil {
		t.Fatal(err)
	}
	// Then a third, new device: its alert is the second message.
	if _, err := client.New(srv.URL).SignIn(ctx, u.Login, u.Password); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, s, "the second alert", func(e client.Event) bool {
		return e.Message != nil && e.Message.Seq > ev.Message.Seq && strings.Contains(e.Message.Text, "新设备")
	})
	h, err := u.History(ctx, string(ev.Message.ConversationID), 0, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, m := range h {
		if strings.Contains(m.Text, "新设备") {
			alerts++
		}
	}
	if alerts != 2 {
		t.Fatalf("%d alerts for two new devices and one known, want 2", alerts)
	}
}

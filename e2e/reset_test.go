package e2e

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

var resetToken = regexp.MustCompile(`rs_[A-Za-z0-9_-]{43}`)

func mailsTo(m *notifytest.SMTPServer, addr string) int {
	n := 0
	for _, x := range m.Mails() {
		if slices.Contains(x.To, addr) {
			n++
		}
	}
	return n
}

// TestPasswordReset: forgot password by email. The link goes to the public
// address whatever Host the request names, works once and only within 30
// minutes, signs out every device and proves the login; unknown logins are
// answered alike and get nothing; requests are limited; a server without
// email says so.
func TestPasswordReset(t *testing.T) {
	mail := notifytest.NewSMTPServer(t)
	var skew atomic.Int64
	srv := tacktest.NewServer(t, tacktest.WithSMTP(mail), tacktest.WithConfig(func(c *node.Config) {
		c.PublicURL = "https://chat.example.com/"
		c.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	}))
	ctx := ctxT(t)
	alice := srv.NewUser(t, "Alice")
	phone := client.New(srv.URL)
	if _, err := phone.SignIn(ctx, alice.Login, alice.Password); err != nil {
		t.Fatal(err)
	}
	ps := connect(t, phone, nil)
	anon := client.New(srv.URL)

	// An unknown login: the same answer, no mail.
	if err := anon.RequestPasswordReset(ctx, "nobody@example.com"); err != nil {
		t.Fatalf("unknown login: %v", err)
	}
	if n := mailsTo(mail, "nobody@example.com"); n != 0 {
		t.Fatalf("%d mails to an unknown login", n)
	}
	// Bad input.
	for _, login := range []string{"", "not a login", strings.Repeat("a", 300) + "@example.com"} {
		if err := anon.RequestPasswordReset(ctx, login); apiCode(err) != "invalid" {
			t.Errorf("login %q: %v, want invalid", login, err)
		}
	}
	// A request naming another Host still links to the public address.
	status, _, _ := call(t, "POST", srv.URL+"/api/v1/password-resets", map[string]string{"Content-Type": "application/json", "Host": "evil.example"},
		`{"login":"`+strings.ToUpper(alice.Login)+`"}`)
	if status != 202 {
		t.Fatalf("request: %d", status)
	}
	m := mail.Wait(t, alice.Login, func(x notifytest.Mail) bool { return strings.Contains(x.Text, "rs_") })
	if !strings.Contains(m.Text, "https://chat.example.com/reset#rs_") || strings.Contains(m.Text, "evil") {
		t.Fatalf("the link in the mail:\n%s", m.Text)
	}
	token := resetToken.FindString(m.Text)
	// Cross-site posts are refused.
	if status, _, _ := call(t, "POST", srv.URL+"/api/v1/password-resets/confirm", map[string]string{"Content-Type": "text/plain"}, `{"token":"`+token+`","new_password":"stolen password"}`); status != 415 {
		t.Errorf("a form post: %d, want 415", status)
	}
	// A wrong token, a bad password (which leaves the token usable).
	if err := anon.ResetPassword(ctx, "rs_"+strings.Repeat("A", 43), "new password 456"); apiCode(err) != "expired" {
		t.Errorf("wrong token: %v", err)
	}
	if err := anon.ResetPassword(ctx, "hello", "new password 456"); apiCode(err) != "invalid" {
		t.Errorf("not a token: %v", err)
	}
	if err := anon.ResetPassword(ctx, token, "short"); apiCode(err) != "invalid" {
		t.Errorf("short password: %v", err)
	}
	if err := anon.ResetPassword(ctx, token, "new password 456"); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if err := anon.ResetPassword(ctx, token, "another password 789"); apiCode(err) != "expired" {
		t.Errorf("the token a second time: %v", err)
	}
	for _, c := range []*client.Client{alice.Client, phone} {
		if _, err := c.Me(ctx); apiCode(err) != "unauthorized" {
			t.Errorf("a device after the reset: %v", err)
		}
	}
	for range ps.Events() {
	}
	var ce *client.CloseError
	if !errors.As(ps.Err(), &ce) || ce.Code != 4001 {
		t.Errorf("the stream after the reset ended with %v, want close 4001", ps.Err())
	}
	if _, err := client.New(srv.URL).SignIn(ctx, alice.Login, alice.Password); apiCode(err) != "unauthorized" {
		t.Errorf("old password: %v", err)
	}
	fresh := client.New(srv.URL)
	if _, err := fresh.SignIn(ctx, alice.Login, "new password 456"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	if me, err := fresh.Me(ctx); err != nil || me.VerifiedAt == nil {
		t.Errorf("the login is proven by the mail: %+v %v", me, err)
	}

	// A link older than 30 minutes does not work; a newer request replaces
	// an older link. Requests per login are limited (3, then one per 10
	// minutes).
	bob := srv.NewUser(t, "Bob")
	if err := anon.RequestPasswordReset(ctx, bob.Login); err != nil {
		t.Fatal(err)
	}
	old := resetToken.FindString(mail.Wait(t, bob.Login, func(notifytest.Mail) bool { return true }).Text)
	if err := anon.RequestPasswordReset(ctx, bob.Login); err != nil {
		t.Fatal(err)
	}
	var newer string
	for _, x := range mail.Mails() {
		if slices.Contains(x.To, bob.Login) {
			newer = resetToken.FindString(x.Text)
		}
	}
	if newer == old || newer == "" {
		t.Fatal("no second link")
	}
	if err := anon.ResetPassword(ctx, old, "bob's new password"); apiCode(err) != "expired" {
		t.Errorf("a replaced link: %v", err)
	}
	skew.Store(int64(31 * time.Minute))
	if err := anon.ResetPassword(ctx, newer, "bob's new password"); apiCode(err) != "expired" {
		t.Errorf("a link after 31 minutes: %v", err)
	}
	skew.Store(0)
	if err := anon.RequestPasswordReset(ctx, bob.Login); err != nil {
		t.Fatal(err)
	}
	if err := anon.RequestPasswordReset(ctx, bob.Login); apiCode(err) != "rate_limited" {
		t.Errorf("4th request for one login: %v, want rate_limited", err)
	}

	// Without email the server says it cannot.
	plain := tacktest.NewServer(t)
	carol := plain.NewUser(t, "Carol")
	if err := client.New(plain.URL).RequestPasswordReset(ctx, carol.Login); apiCode(err) != "unavailable" {
		t.Errorf("no SMTP: %v, want unavailable", err)
	}
}

// TestAdminSendsResetLink: an organisation's owner or admin has a link
// emailed to a member (audited), never sets the password; plain members,
// outsiders, and admins over the owner or other admins are refused.
func TestAdminSendsResetLink(t *testing.T) {
	mail := notifytest.NewSMTPServer(t)
	srv := tacktest.NewServer(t, tacktest.WithSMTP(mail))
	ctx := ctxT(t)
	owner := srv.NewUser(t, "Owner")
	admin := srv.NewUser(t, "Admin")
	member := srv.NewUser(t, "Member")
	other := srv.NewUser(t, "Other admin")
	outsider := srv.NewUser(t, "Outsider")
	org, err := owner.CreateOrg(ctx, "Acme", "Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	o := struct{ ID string }{string(org.ID)}
	ids := map[string]string{}
	for _, u := range []*tacktest.User{admin, member, other} {
		inv, err := owner.CreateInvitation(ctx, o.ID, map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := u.AcceptInvitation(ctx, inv.Code)
		if err != nil {
			t.Fatal(err)
		}
		ids[u.Name] = string(res.Member.ID)
	}
	for _, u := range []*tacktest.User{admin, other} {
		if _, err := owner.SetMemberRole(ctx, o.ID, ids[u.Name], "admin", nil); err != nil {
			t.Fatal(err)
		}
	}
	ownerCard, err := owner.OrgMember(ctx, o.ID, owner.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		who    *tacktest.User
		target string
		code   string
	}{
		{member, ids["Admin"], "forbidden"},
		{outsider, ids["Member"], "not_found"},
		{admin, string(ownerCard.ID), "forbidden"},
		{admin, ids["Other admin"], "forbidden"},
		{admin, ids["Admin"], "invalid"},
	} {
		if err := c.who.SendMemberPasswordReset(ctx, o.ID, c.target); apiCode(err) != c.code {
			t.Errorf("%s for %s: %v, want %s", c.who.Name, c.target, err, c.code)
		}
	}
	if n := len(mail.Mails()); n != 0 {
		t.Fatalf("%d mails sent by refused requests", n)
	}
	if err := admin.SendMemberPasswordReset(ctx, o.ID, ids["Member"]); err != nil {
		t.Fatal(err)
	}
	m := mail.Wait(t, member.Login, func(notifytest.Mail) bool { return true })
	if !strings.Contains(m.Text, "An administrator of your organisation") || !strings.Contains(m.Text, "我有重置码") {
		t.Fatalf("the mail (no public address: a code):\n%s", m.Text)
	}
	if err := client.New(srv.URL).ResetPassword(ctx, resetToken.FindString(m.Text), "member's own choice"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.New(srv.URL).SignIn(ctx, member.Login, "member's own choice"); err != nil {
		t.Fatal(err)
	}
	// The owner may reach an admin.
	if err := owner.SendMemberPasswordReset(ctx, o.ID, ids["Other admin"]); err != nil {
		t.Errorf("owner for an admin: %v", err)
	}
	audit, _, err := owner.AuditLog(ctx, o.ID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "member.password_reset" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d member.password_reset entries in the audit log, want 2", n)
	}
}

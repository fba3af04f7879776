package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tackhq/tack/notify"
	"github.com/tackhq/tack/notify/notifytest"
)

func TestSMTPSends(t *testing.T) {
	srv := notifytest.NewSMTPServer(t)
	m, err := notify.ParseSMTP(srv.URL(), "Tack <noreply@tack.example>")
	if err != nil {
		t.Fatal(err)
	}
	text := "Your code is 123456.\n您的验证码是 123456。\n" + strings.Repeat("long line ", 20)
	if err := m.SendEmail(context.Background(), "ada@example.com", "Code / 验证码", text); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, "ada@example.com", nil)
	if got.From != "noreply@tack.example" || got.Subject != "Code / 验证码" {
		t.Errorf("mail from %q subject %q", got.From, got.Subject)
	}
	if strings.ReplaceAll(got.Text, "\r\n", "\n") != text+"\n" {
		t.Errorf("text = %q, want %q", got.Text, text)
	}
	if notifytest.Code(got.Text) != "123456" {
		t.Errorf("code = %q", notifytest.Code(got.Text))
	}
}

func TestSMTPAuth(t *testing.T) {
	srv := notifytest.NewSMTPServer(t)
	srv.RequireAuth("tack", "s3cret")
	m, err := notify.ParseSMTP(srv.URL(), "noreply@tack.example")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SendEmail(context.Background(), "bob@example.com", "hi", "text"); err != nil {
		t.Fatal(err)
	}
	srv.Wait(t, "bob@example.com", nil)
	m.Password = "wrong"
	if err := m.SendEmail(context.Background(), "bob@example.com", "hi", "text"); err == nil {
		t.Error("sent with a wrong password")
	}
}

func TestSMTPRefuses(t *testing.T) {
	srv := notifytest.NewSMTPServer(t)
	m, err := notify.ParseSMTP(srv.URL(), "noreply@tack.example")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, to := range []string{"a@b.c\r\nBcc: victim@example.com", "Ada <ada@example.com>", "not an address", ""} {
		if err := m.SendEmail(ctx, to, "s", "t"); err == nil {
			t.Errorf("sent to %q", to)
		}
	}
	if err := m.SendEmail(ctx, "ada@example.com", "s\r\nBcc: victim@example.com", "t"); err == nil {
		t.Error("sent a subject with a line break")
	}
	if n := len(srv.Mails()); n != 0 {
		t.Errorf("%d mails sent", n)
	}
	for _, bad := range []struct{ url, from string }{
		{"http://host", "a@b.c"}, {"smtp://", "a@b.c"}, {"smtp://host", ""}, {"smtp://host", "not mail"}, {"smtp://host", "a@b.c\r\nX: y"},
	} {
		if _, err := notify.ParseSMTP(bad.url, bad.from); err == nil {
			t.Errorf("ParseSMTP(%q, %q) accepted", bad.url, bad.from)
		}
	}
	if _, err := notify.ParseSMTP("smtp://user:hunter2@host:bad port", "a@b.c"); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a bad URL's error reveals the password: %v", err)
	}
	p, err := notify.ParseSMTP("smtps://u:p%40ss@mail.example.com", "a@b.c")
	if err != nil || p.Port != "465" || !p.ImplicitTLS || p.Username != "u" || p.Password != "p@ss" {
		t.Errorf("smtps URL: %+v %v", p, err)
	}
	p, err = notify.ParseSMTP("smtp://mail.example.com", "a@b.c")
	if err != nil || p.Port != "587" || p.ImplicitTLS {
		t.Errorf("smtp URL: %+v %v", p, err)
	}
}

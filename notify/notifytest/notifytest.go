// Package notifytest has fakes of what package notify talks to: an SMTP
// server that keeps the mail it is given, and an SMS provider that keeps
// the messages. Both run in-process, for tests.
package notifytest

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Mail is one message an SMTPServer received.
type Mail struct {
	From    string   // envelope sender
	To      []string // envelope recipients
	Subject string   // decoded
	Text    string   // the body, decoded
	Raw     string   // the message as sent
}

// SMTPServer is a small SMTP server on 127.0.0.1 that accepts every
// message and keeps it. It offers no TLS. After RequireAuth it offers AUTH
// PLAIN and refuses mail until a client has authenticated.
type SMTPServer struct {
	ln                 net.Listener
	mu                 sync.Mutex
	username, password string
	mails              []Mail
	added              chan struct{} // closed and replaced when a mail arrives
	wg                 sync.WaitGroup
}

// NewSMTPServer starts a server, stopped when the test ends.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listen: %v", err)
	}
	s := &SMTPServer{ln: ln, added: make(chan struct{})}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// RequireAuth makes the server take mail only from clients that
// authenticate as user with password.
func (s *SMTPServer) RequireAuth(user, password string) {
	s.mu.Lock()
	s.username, s.password = user, password
	s.mu.Unlock()
}

// URL is the server's address as smtp://127.0.0.1:PORT (with the
// credentials, when RequireAuth set them).
func (s *SMTPServer) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.username != "" {
		return fmt.Sprintf("smtp://%s:%s@%s", s.username, s.password, s.ln.Addr())
	}
	return "smtp://" + s.ln.Addr().String()
}

// Mails returns the mail received so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Wait returns the first mail to rcpt that match accepts (nil: any),
// waiting up to 10 s for it; it fails the test if none comes.
func (s *SMTPServer) Wait(t testing.TB, rcpt string, match func(Mail) bool) Mail {
	t.Helper()
	timeout := time.After(10 * time.Second)
	seen := 0
	for {
		s.mu.Lock()
		mails, added := s.mails, s.added
		s.mu.Unlock()
		for _, m := range mails[seen:] {
			for _, to := range m.To {
				if strings.EqualFold(to, rcpt) && (match == nil || match(m)) {
					return m
				}
			}
		}
		seen = len(mails)
		select {
		case <-added:
		case <-timeout:
			t.Fatalf("no mail to %s within 10 s (got %d mails)", rcpt, seen)
		}
	}
}

func (s *SMTPServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			s.serve(textproto.NewConn(c))
		}()
	}
}

func (s *SMTPServer) serve(c *textproto.Conn) {
	reply := func(code int, msg string) bool { return c.PrintfLine("%d %s", code, msg) == nil }
	if !reply(220, "notifytest ESMTP") {
		return
	}
	var from string
	var to []string
	s.mu.Lock()
	username, password := s.username, s.password
	s.mu.Unlock()
	authed := username == ""
	for {
		line, err := c.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			exts := []string{"250-notifytest", "250-8BITMIME"}
			if username != "" {
				exts = append(exts, "250-AUTH PLAIN")
			}
			exts = append(exts, "250 SMTPUTF8")
			c.PrintfLine("%s", strings.Join(exts, "\r\n"))
		case "HELO":
			reply(250, "notifytest")
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") || username == "" {
				reply(504, "unsupported")
				continue
			}
			b, _ := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if len(parts) == 3 && parts[1] == username && parts[2] == password {
				authed = true
				reply(235, "ok")
			} else {
				reply(535, "bad credentials")
			}
		case "MAIL":
			if !authed {
				reply(530, "authentication required")
				continue
			}
			from, to = addrOf(arg), nil
			reply(250, "ok")
		case "RCPT":
			to = append(to, addrOf(arg))
			reply(250, "ok")
		case "DATA":
			if from == "" || len(to) == 0 {
				reply(503, "need MAIL and RCPT first")
				continue
			}
			reply(354, "go ahead")
			raw, err := c.ReadDotBytes()
			if err != nil {
				return
			}
			s.keep(from, to, string(raw))
			from, to = "", nil
			reply(250, "queued")
		case "RSET":
			from, to = "", nil
			reply(250, "ok")
		case "NOOP":
			reply(250, "ok")
		case "QUIT":
			reply(221, "bye")
			return
		default:
			reply(502, "not implemented")
		}
	}
}

func addrOf(arg string) string {
	_, a, _ := strings.Cut(arg, ":")
	a = strings.TrimSpace(a)
	if i := strings.IndexByte(a, ' '); i >= 0 {
		a = a[:i]
	}
	return strings.Trim(a, "<>")
}

func (s *SMTPServer) keep(from string, to []string, raw string) {
	m := Mail{From: from, To: to, Raw: raw}
	if msg, err := mail.ReadMessage(strings.NewReader(raw)); err == nil {
		var dec mime.WordDecoder
		m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
		var body io.Reader = msg.Body
		if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, _ := io.ReadAll(bufio.NewReader(body))
		m.Text = string(b)
	}
	s.mu.Lock()
	s.mails = append(s.mails, m)
	close(s.added)
	s.added = make(chan struct{})
	s.mu.Unlock()
}

var sixDigits = regexp.MustCompile(`\b\d{6}\b`)

// Code returns the first 6-digit code in text, or "".
func Code(text string) string { return sixDigits.FindString(text) }

// SMS is a fake text-message provider: it keeps what it is asked to send.
// Fail, when set, makes every send fail with it.
type SMS struct {
	Fail error

	mu    sync.Mutex
	msgs  []SMSMessage
	added chan struct{}
}

// SMSMessage is one text message sent.
type SMSMessage struct{ To, Text string }

// SendSMS keeps the message.
func (f *SMS) SendSMS(ctx context.Context, to, text string) error {
	if f.Fail != nil {
		return f.Fail
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.msgs = append(f.msgs, SMSMessage{To: to, Text: text})
	if f.added != nil {
		close(f.added)
	}
	f.added = make(chan struct{})
	return nil
}

// Messages returns the messages sent so far.
func (f *SMS) Messages() []SMSMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SMSMessage(nil), f.msgs...)
}

// Wait returns the first message to to, waiting up to 10 s for it; it fails
// the test if none comes.
func (f *SMS) Wait(t testing.TB, to string) SMSMessage {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		f.mu.Lock()
		if f.added == nil {
			f.added = make(chan struct{})
		}
		msgs, added := f.msgs, f.added
		f.mu.Unlock()
		for _, m := range msgs {
			if m.To == to {
				return m
			}
		}
		select {
		case <-added:
		case <-timeout:
			t.Fatalf("no text message to %s within 10 s", to)
		}
	}
}

// Voice is a fake voice-call provider: it keeps the calls it is asked to
// place, as SMS keeps messages (Messages and Wait list and await them).
type Voice struct{ SMS }

// Call keeps the call.
func (f *Voice) Call(ctx context.Context, to, text string) error { return f.SendSMS(ctx, to, text) }

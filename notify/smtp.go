package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"os"
	"strings"
	"time"
)

// SMTP sends email through a mail server: a submission port (587, with
// STARTTLS), an implicit-TLS port (465, smtps://) or a relay. It is safe
// for concurrent use; each message opens its own connection.
type SMTP struct {
	Host string // the server's host name, also the name its certificate must carry
	Port string
	// Username and Password, when set, authenticate with AUTH PLAIN, which
	// is only sent over TLS (or to a server on this machine's loopback).
	Username, Password string
	// From is the sender, as in a From header: "Tack <noreply@example.com>".
	From string
	// ImplicitTLS speaks TLS from the first byte (smtps://); otherwise
	// STARTTLS is used whenever the server offers it.
	ImplicitTLS bool
	// TLS configures TLS; nil verifies the server's certificate for Host.
	TLS *tls.Config
	// Timeout bounds one message end to end; default 30 s.
	Timeout time.Duration

	from *mail.Address
}

// ParseSMTP reads a server URL, smtp://[user[:password]@]host[:port] (port
// 587 by default) or smtps://... (port 465), and a sender address.
func ParseSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// Not %w: url's errors quote the URL, password and all.
		return nil, errors.New("smtp URL: not a URL (smtp://user:pass@host:port)")
	}
	m := &SMTP{Host: u.Hostname(), Port: u.Port(), From: from}
	switch u.Scheme {
	case "smtp":
		if m.Port == "" {
			m.Port = "587"
		}
	case "smtps":
		m.ImplicitTLS = true
		if m.Port == "" {
			m.Port = "465"
		}
	default:
		return nil, fmt.Errorf("smtp URL: scheme must be smtp:// or smtps://, not %q", u.Scheme)
	}
	if m.Host == "" {
		return nil, errors.New("smtp URL: no host")
	}
	if u.User != nil {
		m.Username = u.User.Username()
		m.Password, _ = u.User.Password()
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *SMTP) check() error {
	if m.from != nil {
		return nil
	}
	if m.From == "" {
		return errors.New("smtp: no sender address (--smtp-from)")
	}
	a, err := mail.ParseAddress(m.From)
	if err != nil || strings.ContainsAny(m.From, "\r\n") {
		return fmt.Errorf("smtp: sender %q is not an email address", m.From)
	}
	m.from = a
	return nil
}

// SendEmail sends a plain-text UTF-8 message to one address.
func (m *SMTP) SendEmail(ctx context.Context, to, subject, text string) error {
	if err := m.check(); err != nil {
		return err
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil || rcpt.Name != "" || strings.ContainsAny(to, "\r\n<>") {
		return fmt.Errorf("smtp: recipient is not an email address")
	}
	msg, err := m.message(rcpt.Address, subject, text)
	if err != nil {
		return err
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(m.Host, m.Port)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	tlsConf := m.TLS
	if tlsConf == nil {
		tlsConf = &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
	}
	if m.ImplicitTLS {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		if err := c.Hello(h); err != nil {
			return fmt.Errorf("smtp: EHLO: %w", err)
		}
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !m.ImplicitTLS {
		if err := c.StartTLS(tlsConf); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if m.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("smtp: the server offers no authentication")
		}
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, m.Host)); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	return c.Quit()
}

// message returns the RFC 5322 message: headers, then the text in
// quoted-printable UTF-8.
func (m *SMTP) message(to, subject, text string) ([]byte, error) {
	if strings.ContainsAny(subject, "\r\n") {
		return nil, errors.New("smtp: subject has a line break")
	}
	id := make([]byte, 12)
	rand.Read(id)
	_, domain, _ := strings.Cut(m.from.Address, "@")
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", m.from.String())
	fmt.Fprintf(&b, "To: <%s>\r\n", to)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return b.Bytes(), nil
}

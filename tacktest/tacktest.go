// Package tacktest starts real Tack servers for tests: the full node (SQLite
// in a temporary directory, the in-process bus, the web client) listening on
// 127.0.0.1 with a random port, driven over HTTP and WebSocket exactly as a
// user's client would.
package tacktest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/notify/notifytest"
)

// Server is a running test server.
type Server struct {
	URL    string
	Config node.Config
	Node   *node.Node

	addr   string
	cancel context.CancelFunc
	done   chan error
}

// Option changes a test server's Config.
type Option func(*node.Config)

// WithConfig applies fn to the node Config.
func WithConfig(fn func(*node.Config)) Option { return Option(fn) }

// WithSMTP makes the server send email through m (an in-process SMTP
// server), so that email logins can be verified.
func WithSMTP(m *notifytest.SMTPServer) Option {
	return func(c *node.Config) { c.SMTPURL, c.SMTPFrom = m.URL(), "Tack <tack@tack.example>" }
}

// NewServer starts a server and stops it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	// Tests register many people from 127.0.0.1: no registration limit
	// unless a test sets one.
	// Nor a sign-in alert on each new client (tests that want one turn
	// them back on).
	cfg := node.Config{DataDir: t.TempDir(), FastHash: true, SendRate: 1000, RegisterPerHour: 1e9, RegisterGlobalPerHour: 1e9, NoSignInAlerts: true}
	if os.Getenv("TACK_TEST_VERBOSE") == "" {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{Config: cfg}
	s.start(t, "127.0.0.1:0")
	t.Cleanup(s.Close)
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func (s *Server) start(t testing.TB, addr string) {
	t.Helper()
	n, err := node.Start(context.Background(), s.Config)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	var ln net.Listener
	for i := 0; i < 50; i++ { // the old port may linger briefly after a restart
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		n.Close()
		t.Fatalf("listen: %v", err)
	}
	s.Node = n
	s.addr = ln.Addr().String()
	s.URL = "http://" + s.addr
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.done = make(chan error, 1)
	go func() { s.done <- n.Serve(ctx, ln, 5*time.Second) }()
}

// Close stops the server cleanly (as SIGTERM would). It is safe to call twice.
func (s *Server) Close() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
	s.cancel = nil
}

// Restart stops the server and starts it again on the same address and data.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Close()
	s.start(t, s.addr)
}

var userSeq atomic.Int64

// User is a signed-in test user.
type User struct {
	*client.Client
	ID       string
	Login    string
	Name     string
	Password string
}

// NewUser registers a user with a unique login and returns its client.
func (s *Server) NewUser(t testing.TB, name string) *User {
	t.Helper()
	n := userSeq.Add(1)
	login := fmt.Sprintf("user%d-%d@example.com", n, time.Now().UnixNano()%1e6)
	c := client.New(s.URL)
	u, err := c.Register(context.Background(), login, "correct horse battery", name)
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	return &User{Client: c, ID: string(u.ID), Login: login, Name: name, Password: "correct horse battery"}
}

// VerifyEmail proves that u owns its email login: it asks for a code, reads
// it from the mail m received, and confirms it.
func (u *User) VerifyEmail(t testing.TB, m *notifytest.SMTPServer) {
	t.Helper()
	ctx := context.Background()
	if err := u.SendVerificationCode(ctx, "email"); err != nil {
		t.Fatalf("verify %s: %v", u.Login, err)
	}
	mail := m.Wait(t, u.Login, func(x notifytest.Mail) bool { return notifytest.Code(x.Text) != "" })
	got, err := u.ConfirmVerificationCode(ctx, notifytest.Code(mail.Text))
	if err != nil {
		t.Fatalf("confirm %s: %v", u.Login, err)
	}
	if got.VerifiedAt == nil {
		t.Fatalf("%s not verified after confirming", u.Login)
	}
}

package account_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// A session in use is written back as seen (not more than once a minute),
// so that another node, reading it from the store, counts its idle time
// from its last use; a session refused as expired is deleted.
func TestSessionUseIsRecorded(t *testing.T) {
	ctx := context.Background()
	cfg := account.Config{SessionIdle: time.Hour, SessionMax: 24 * time.Hour}
	r := newRig(t, cfg)
	a := r.register(t, "seen@example.com", "192.0.2.1")
	node := func() *account.Service { return account.NewService(r.db, nil, r.clk.Now, cfg) }
	r.clk.advance(50 * time.Minute)
	used := r.clk.Now()
	if _, err := node().Authenticate(ctx, a.Token); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		ss, err := r.db.Sessions(ctx, a.User.ID)
		if err != nil || len(ss) != 1 {
			t.Fatalf("sessions: %+v %v", ss, err)
		}
		if !ss[0].LastSeenAt.Before(used.Truncate(time.Millisecond)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("last seen %v, want %v (the use 50 minutes after sign-in)", ss[0].LastSeenAt, used)
		}
		time.Sleep(20 * time.Millisecond) // polling the store for the batched write, with its deadline
	}
	r.clk.advance(50 * time.Minute) // 100 minutes since sign-in, 50 since use
	if _, err := node().Authenticate(ctx, a.Token); err != nil {
		t.Fatalf("50 minutes after its last use, on another node: %v", err)
	}
	r.clk.advance(time.Hour)
	if _, err := node().Authenticate(ctx, a.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("an hour after its last use: %v", err)
	}
	if ss, err := r.db.Sessions(ctx, a.User.ID); err != nil || len(ss) != 0 {
		t.Fatalf("the expired session is still stored: %+v %v", ss, err)
	}
}

// failingDeletes is a store whose DeleteSession fails.
type failingDeletes struct{ account.Store }

func (failingDeletes) DeleteSession(context.Context, tack.ID, tack.ID) error {
	return errors.New("disk full")
}

// warned is a slog handler that passes on each warning's message.
type warned chan string

func (w warned) Enabled(context.Context, slog.Level) bool { return true }
func (w warned) Handle(_ context.Context, rec slog.Record) error {
	if rec.Level >= slog.LevelWarn {
		select {
		case w <- rec.Message:
		default:
		}
	}
	return nil
}
func (w warned) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w warned) WithGroup(string) slog.Handler      { return w }

// An expired session that cannot be deleted is still refused, and the
// failure is logged.
func TestExpiredSessionDeleteFailure(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{})
	a := r.register(t, "gone@example.com", "192.0.2.1")
	w := make(warned, 10)
	svc := account.NewService(failingDeletes{r.db}, nil, r.clk.Now, account.Config{SessionIdle: time.Hour, Logger: slog.New(w)})
	r.clk.advance(2 * time.Hour)
	if _, err := svc.Authenticate(ctx, a.Token); errCode(err) != tack.EUnauthorized {
		t.Fatalf("an expired session: %v", err)
	}
	select {
	case m := <-w:
		if m != "delete expired session" {
			t.Errorf("logged %q", m)
		}
	default:
		t.Error("the failed delete was not logged")
	}
}

// The sweep ends the sessions past their idle or absolute lifetime, all of
// them however many (it works in batches), and no other.
func TestSweepKeepsLiveSessions(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, account.Config{SessionIdle: time.Hour, SessionMax: 3 * time.Hour})
	a := r.register(t, "sweep@example.com", "192.0.2.1")
	now := r.clk.Now()
	put := func(created, seen time.Duration) tack.ID {
		t.Helper()
		s := account.Session{ID: tack.NewID(), UserID: a.User.ID, TokenHash: []byte(tack.NewID()), CreatedAt: now.Add(-created), LastSeenAt: now.Add(-seen)}
		if err := r.db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	live := map[tack.ID]bool{
		a.Session.ID:                        true,
		put(30*time.Minute, 30*time.Minute): true,
		put(2*time.Hour, 59*time.Minute):    true, // in use, 2 h old
		put(179*time.Minute, time.Minute):   true, // a minute short of the maximum
	}
	put(2*time.Hour, 61*time.Minute)          // idle
	put(3*time.Hour+time.Second, time.Minute) // too old, though in use
	for range 500 {                           // and enough idle ones for two batches
		put(2*time.Hour, 2*time.Hour)
	}
	n, err := r.svc.SweepSessions(ctx)
	if err != nil || n != 502 {
		t.Fatalf("sweep ended %d, %v; want 502", n, err)
	}
	left, err := r.db.Sessions(ctx, a.User.ID)
	if err != nil || len(left) != len(live) {
		t.Fatalf("%d sessions left, want %d (%v)", len(left), len(live), err)
	}
	for _, s := range left {
		if !live[s.ID] {
			t.Errorf("session %+v left", s)
		}
	}
}

package hub_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
)

// warnings is a slog.Handler that keeps the messages of the records at
// Warn level or above.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(context.Context, slog.Level) bool { return true }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		w.mu.Lock()
		w.msgs = append(w.msgs, r.Message)
		w.mu.Unlock()
	}
	return nil
}
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *warnings) WithGroup(string) slog.Handler      { return w }

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// TestUnconfirmedInterestWarnsOnceAWhile: when the bus cannot confirm the
// interest, the hub warns on Config.Logger, at most once in 10 seconds:
// two failed Syncs in a row (two attaches) count twice in Unsynced but
// log one warning.
func TestUnconfirmedInterestWarnsOnceAWhile(t *testing.T) {
	w := newSrc()
	a, home := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: home, Kind: chat.Group})
	log := &warnings{}
	h := hub.New(w, hub.Config{Interest: failing{newInterest()}, Logger: slog.New(log)})
	startConn(t, h, tack.Caller{UserID: a}, nil)
	startConn(t, h, tack.Caller{UserID: a}, nil)
	if n := h.Unsynced.Load(); n != 2 {
		t.Fatalf("Unsynced = %d, want 2", n)
	}
	if got := log.all(); len(got) != 1 {
		t.Fatalf("warnings %q, want one", got)
	}
}

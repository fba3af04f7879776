package hub_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
)

// lateConversation attaches a to home, then lets conversation late appear
// (with one change, "first") before Start, so the catch-up subscribes to it
// late and queues a heal of it; while the catch-up waits for the bus to
// confirm the interest, commit adds changes the bus never delivers. It
// returns once "synced" was written: the heal is then queued, and whatever
// is delivered next is written after it.
func lateConversation(t *testing.T, cfg hub.Config, commit func(w *world, late tack.ID)) (*hub.Hub, *world, *lines, tack.ID) {
	t.Helper()
	w := newSrc()
	in := newInterest()
	cfg.Interest = in
	a := tack.NewID()
	home, late := tack.NewID(), tack.NewID()
	w.join(a, chat.Conversation{ID: home, Kind: chat.Group})
	h := hub.New(w, cfg)
	l := newLines()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c, err := h.Attach(ctx, tack.Caller{UserID: a}, l)
	if err != nil {
		t.Fatal(err)
	}
	recv(t, in.synced, "Attach's Sync")
	w.commit(late, "first")
	w.join(a, chat.Conversation{ID: late, Kind: chat.Group})
	in.mu.Lock()
	in.gate = make(chan struct{})
	in.mu.Unlock()
	h.Start(ctx, c, map[tack.ID]int64{home: 0, late: 0})
	recv(t, in.synced, "the catch-up's Sync")
	commit(w, late)
	close(in.gate)
	return h, w, l, home
}

// TestHealReadsEveryPage: a heal of a joined conversation reads the store
// page by page (healPage = 500 changes a read) until a page comes back
// short: 701 missed changes, a full page and a short one, are each written
// exactly once, before what is delivered after the heal was queued, and
// the heal counts once.
func TestHealReadsEveryPage(t *testing.T) {
	h, w, l, home := lateConversation(t, hub.Config{}, func(w *world, late tack.ID) {
		for i := 0; i < 700; i++ {
			w.commit(late, "missed")
		}
		w.commit(late, "last missed")
	})
	l.waitFor(t, "synced")
	h.Deliver(w.commit(home, "marker"))
	got := strings.Join(l.waitFor(t, "message:marker"), ",")
	if n := strings.Count(got, "message:missed,"); n != 700 {
		t.Fatalf("%d of the 700 missed changes written before the marker", n)
	}
	if n := strings.Count(got, "message:last missed,"); n != 1 {
		t.Fatalf("the last missed change (on the second page) written %d times before the marker", n)
	}
	if n := strings.Count(got, "message:first,"); n != 1 {
		t.Fatalf("the catch-up's change written %d times", n)
	}
	if n := h.Healed.Load(); n != 1 {
		t.Fatalf("Healed = %d, want 1", n)
	}
}

// TestHealWithNothingMissedIsNotCounted: a heal that finds nothing above
// the connection's cursor (the bus lost nothing) writes nothing and is not
// counted in Healed.
func TestHealWithNothingMissedIsNotCounted(t *testing.T) {
	h, w, l, home := lateConversation(t, hub.Config{}, func(*world, tack.ID) {})
	l.waitFor(t, "synced")
	h.Deliver(w.commit(home, "marker"))
	got := strings.Join(l.waitFor(t, "message:marker"), ",")
	if n := strings.Count(got, "message:first,"); n != 1 {
		t.Fatalf("the late conversation's change written %d times: %s", n, got)
	}
	if n := h.Healed.Load(); n != 0 {
		t.Fatalf("Healed = %d after a heal that found nothing, want 0", n)
	}
}

// TestHealBeyondMaxHealResyncs: a heal that would write more than
// Config.MaxHeal changes stops after the page that reaches it and closes
// the connection with CloseResync (counted in Dropped), as a gap does.
func TestHealBeyondMaxHealResyncs(t *testing.T) {
	h, _, l, _ := lateConversation(t, hub.Config{MaxHeal: 500}, func(w *world, late tack.ID) {
		for i := 0; i < 501; i++ {
			w.commit(late, "missed")
		}
	})
	if code := l.waitClosed(t); code != hub.CloseResync {
		t.Fatalf("closed with %d, want CloseResync", code)
	}
	if n := h.Dropped.Load(); n != 1 {
		t.Fatalf("Dropped = %d, want 1", n)
	}
	if n := strings.Count(strings.Join(l.all(), ","), "message:missed"); n > 500 {
		t.Fatalf("%d changes written by a heal capped at 500", n)
	}
}

// TestClosedDuringFirstWriteEndsCleanly: a connection closed while its
// writer's first write (the catch-up) is in progress, before the writer
// ever waited idle, ends once that write returns, with the close code
// asked for.
func TestClosedDuringFirstWriteEndsCleanly(t *testing.T) {
	w := newSrc()
	a := tack.NewID()
	h := hub.New(w, hub.Config{})
	g := newGated()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := h.Attach(ctx, tack.Caller{UserID: a}, g)
	if err != nil {
		t.Fatal(err)
	}
	g.arm()
	h.Start(ctx, c, nil)
	recv(t, g.entered, "the catch-up's write")
	c.Close(hub.CloseGoingAway, "bye")
	close(g.release)
	recv(t, c.Done(), "the connection's end")
	if _, _, closed := g.snapshot(); closed != hub.CloseGoingAway {
		t.Fatalf("closed with %d, want CloseGoingAway", closed)
	}
}

package platform

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/tacktest/logbuf"
)

// A full event queue drops message events without blocking, counts them,
// and logs the count at most once every dropLogEvery: not one line per
// dropped event.
func TestDroppedEventsLogged(t *testing.T) {
	var buf logbuf.Buffer
	now := time.Unix(1_800_000_000, 0)
	s := &Service{events: make(chan messageEvent, 1), log: slog.New(slog.NewTextHandler(&buf, nil)),
		clock: func() time.Time { return now }}
	conv := tack.NewID()
	for i := 0; i < 100; i++ {
		s.HandleMessage(conv, []byte(`{"type":"message","message":{}}`))
	}
	if len(s.events) != 1 || s.Dropped() != 99 {
		t.Fatalf("%d queued, %d dropped; want 1 and 99", len(s.events), s.Dropped())
	}
	if n := strings.Count(buf.String(), "dropped="); n != 1 || !strings.Contains(buf.String(), "dropped=1\n") {
		t.Fatalf("99 drops in one instant logged as:\n%s", buf.String())
	}
	now = now.Add(dropLogEvery - time.Second)
	s.HandleMessage(conv, nil)
	if n := strings.Count(buf.String(), "dropped="); n != 1 {
		t.Fatalf("logged again before %v:\n%s", dropLogEvery, buf.String())
	}
	now = now.Add(time.Second)
	s.HandleMessage(conv, nil)
	if s.Dropped() != 101 || strings.Count(buf.String(), "dropped=") != 2 || !strings.Contains(buf.String(), "dropped=100\n") {
		t.Fatalf("after %v, %d dropped, logged as:\n%s", dropLogEvery, s.Dropped(), buf.String())
	}
}

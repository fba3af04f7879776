package bench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tackhq/tack/bench"
	"github.com/tackhq/tack/tacktest"
)

// TestScenarios runs every scenario at toy size against an in-process
// server and checks correctness only: everything acknowledged is delivered
// once, resumed clients get exactly what they missed, read receipts reach
// the sender. No timing is asserted.
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and many clients")
	}
	ts := tacktest.NewServer(t)
	cfg := bench.Config{
		Server: ts.URL, Workers: 0, Sources: 1, Duration: 500 * time.Millisecond,
		Pairs: 4, Window: 2, GroupSize: 6, Senders: 2, BroadcastSize: 12, Trials: 1,
		IdleConns: 10, ReconnectConns: 12, ReconnectGroup: 4, Missed: 5, ReceiptMsgs: 4, ReceiptRate: 40,
	}
	if testing.Verbose() {
		cfg.Log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := bench.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("errors: %v", rep.Errors)
	}
	seen := map[string]bool{}
	for _, r := range rep.Rows {
		seen[r.Scenario] = true
		if r.Lost != 0 || r.Dups != 0 || r.Errors != 0 {
			t.Errorf("%s/%s: lost %d, dups %d, errors %d", r.Scenario, r.Phase, r.Lost, r.Dups, r.Errors)
		}
		switch r.Scenario {
		case "direct", "group":
			if r.Acked == 0 || r.Delivered == 0 {
				t.Errorf("%s/%s: acked %d, delivered %d", r.Scenario, r.Phase, r.Acked, r.Delivered)
			}
		case "broadcast":
			if r.Delivered != int64(cfg.BroadcastSize-1) {
				t.Errorf("broadcast delivered to %d, want %d", r.Delivered, cfg.BroadcastSize-1)
			}
			if got := r.Extra["reads_seen_by_sender"]; got != float64(cfg.BroadcastSize-1) {
				t.Errorf("sender saw %v reads, want %d", got, cfg.BroadcastSize-1)
			}
			if r.Extra["receipts_unread_count"] != 0 {
				t.Errorf("unread after all read: %v", r.Extra["receipts_unread_count"])
			}
		case "reconnect":
			if want := int64(cfg.ReconnectConns * cfg.Missed); r.Delivered != want {
				t.Errorf("reconnect caught up %d messages, want %d", r.Delivered, want)
			}
		case "receipts":
			if r.Extra["fully_read_messages"] != float64(cfg.ReceiptMsgs) {
				t.Errorf("fully read %v of %d", r.Extra["fully_read_messages"], cfg.ReceiptMsgs)
			}
		}
	}
	for _, s := range bench.AllScenarios {
		if !seen[s] {
			t.Errorf("no result for %s", s)
		}
	}
	if t.Failed() {
		rep.WriteTable(testWriter{t})
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func TestHistogram(t *testing.T) {
	var h bench.Hist
	for i := 1; i <= 10000; i++ {
		h.AddUS(int64(i))
	}
	s := h.Summary()
	for _, c := range []struct{ got, want float64 }{{s.P50, 5}, {s.P99, 9.9}, {s.Max, 10}} {
		if c.got < c.want*0.97 || c.got > c.want*1.03 {
			t.Errorf("got %v ms, want about %v", c.got, c.want)
		}
	}
	var m bench.Hist
	m.Merge(&h)
	m.Merge(&h)
	if m.N != 20000 || m.Quantile(0.5) != h.Quantile(0.5) {
		t.Errorf("merge: n %d, p50 %v vs %v", m.N, m.Quantile(0.5), h.Quantile(0.5))
	}
}

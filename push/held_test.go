package push_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
	"github.com/tackhq/tack/tacktest/logbuf"
)

// jobs records the deadline jobs scheduled.
type jobs struct {
	mu  sync.Mutex
	got []deadline.Job
	ear []bool
}

func (j *jobs) Schedule(_ context.Context, job deadline.Job, earlier bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.got = append(j.got, job)
	j.ear = append(j.ear, earlier)
	return nil
}

func (j *jobs) take() ([]deadline.Job, []bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	g, e := j.got, j.ear
	j.got, j.ear = nil, nil
	return g, e
}

// TestHeldPushes: a message's or a mention's push that quiet hours hold
// back waits in the deadline queue until they end, one job per person and
// conversation; DINGs, approvals and pushes of no conversation are not
// held (they are dropped or go through as Quiet says).
func TestHeldPushes(t *testing.T) {
	f := newFixture(t)
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	alice, bob, carol := f.user(t, "Alice", nil), f.user(t, "Bob", bb), f.user(t, "Carol", cb)
	end := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	dl := &jobs{}
	s := f.service(t, nil, push.Config{
		Quiet:     func(_ context.Context, u tack.ID, _ *push.Notification) bool { return u == bob },
		Deadlines: dl,
		QuietEnd:  func(context.Context, tack.ID) (time.Time, error) { return end, nil },
	})
	conv := tack.NewID()
	for _, n := range []push.Notification{
		{Kind: push.KindMessage, ConversationID: conv, Seq: 5},
		{Kind: push.KindMention, ConversationID: conv, Seq: 6},
		{Kind: push.KindDing, ConversationID: conv, Seq: 7, Urgent: true},
		{Kind: push.KindApproval, ConversationID: conv, Seq: 8},
		{Kind: push.KindMessage, Seq: 9},
		{Kind: push.KindMessage, ConversationID: conv},
	} {
		n.Users, n.From = []tack.ID{bob}, alice
		s.Notify(n)
	}
	// A marker: carol's push comes after all of bob's were planned.
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{carol}, From: alice, Urgent: true})
	cb.Next(t, wait)
	if got := bb.Pending(); len(got) != 0 {
		t.Errorf("quiet bob got %d pushes", len(got))
	}
	got, earlier := dl.take()
	var seqs []int64
	for i, j := range got {
		var h struct {
			U, C tack.ID
			S    int64
			K    string
			F    tack.ID
		}
		if err := json.Unmarshal(j.Data, &h); err != nil {
			t.Fatal(err)
		}
		if j.Kind != push.HeldJob || j.Key != string(bob)+"/"+string(conv) || !j.Due.Equal(end) || !earlier[i] ||
			h.U != bob || h.C != conv || h.F != alice {
			t.Errorf("job %+v (earlier %v) data %+v", j, earlier[i], h)
		}
		seqs = append(seqs, h.S)
	}
	if fmt.Sprint(seqs) != "[5 6]" {
		t.Errorf("held the pushes of seqs %v, want [5 6] (the message and the mention)", seqs)
	}

	// Its time come: bad data is dropped for good; a conversation the
	// person is not in (any more) sends nothing; someone still quiet
	// waits again, until the new end.
	for _, data := range []string{"{", `{"u":"x","c":"` + string(conv) + `"}`, `{"u":"` + string(bob) + `","c":""}`} {
		if err := s.HandleHeld(context.Background(), deadline.Job{Kind: push.HeldJob, Data: []byte(data)}); fmt.Sprintf("%T", err) != fmt.Sprintf("%T", deadline.Permanent(nil)) {
			t.Errorf("held job %s: %v, want a permanent error", data, err)
		}
	}
	data, _ := json.Marshal(map[string]any{"u": carol, "c": conv, "s": 5, "k": push.KindMessage, "f": alice})
	if err := s.HandleHeld(context.Background(), deadline.Job{Kind: push.HeldJob, Key: "k", Data: data}); err != nil {
		t.Errorf("held push to a non-member: %v", err)
	}
	data, _ = json.Marshal(map[string]any{"u": bob, "c": conv, "s": 5, "k": push.KindMessage, "f": alice})
	if err := s.HandleHeld(context.Background(), deadline.Job{Kind: push.HeldJob, Key: "k", Data: data}); err != nil {
		t.Fatal(err)
	}
	got, earlier = dl.take()
	if len(got) != 1 || got[0].Key != "k" || !got[0].Due.Equal(end) || earlier[0] || string(got[0].Data) != string(data) {
		t.Errorf("still quiet: rescheduled %+v (earlier %v), want the same job at the new end", got, earlier)
	}
	if got := bb.Pending(); len(got) != 0 || len(cb.Pending()) != 0 {
		t.Errorf("held jobs sent %d and %d pushes", len(got), len(cb.Pending()))
	}
}

// broken is a push service that always fails.
type broken struct{}

func (broken) Send(context.Context, push.Subscription, []byte, push.Options) error {
	return errors.New("connection reset")
}

// TestFailedPushIsLogged: a push that fails for good is counted and
// logged with the push service's host, never the endpoint's path (a
// capability) or the text.
func TestFailedPushIsLogged(t *testing.T) {
	f := newFixture(t)
	bb := pushtest.NewBrowser(t)
	bob := f.user(t, "Bob", bb)
	logs := &logbuf.Buffer{}
	s := f.service(t, broken{}, push.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}, Urgent: true, Text: "secret text"})
	deadline := time.Now().Add(30 * time.Second)
	// The log line is written after the count: wait for it.
	for !strings.Contains(logs.String(), "push: send failed") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling for the line, not waiting for time to pass
	}
	if s.Failed.Load() != 1 || s.Sent.Load() != 0 {
		t.Fatalf("failed %d, sent %d; want 1 failed (log %q)", s.Failed.Load(), s.Sent.Load(), logs.String())
	}
	host := (push.Subscription{Endpoint: bb.Endpoint}).EndpointHost()
	out := logs.String()
	if !strings.Contains(out, "push: send failed") || !strings.Contains(out, host) || !strings.Contains(out, "connection reset") {
		t.Errorf("log %q: want the failure with the host %s", out, host)
	}
	if strings.Contains(out, "/wpush/") || strings.Contains(out, "secret text") {
		t.Errorf("log %q shows the endpoint's path or the text", out)
	}
}

// failTargets is a store whose PushTargets fails.
type failTargets struct{ push.Store }

func (failTargets) PushTargets(context.Context, []tack.ID) ([]push.Target, error) {
	return nil, errors.New("database is locked")
}

// TestPlanFailureIsLogged: work that fails while planning is logged with
// its kind (a push lost must leave a trace), not dropped silently.
func TestPlanFailureIsLogged(t *testing.T) {
	f := newFixture(t)
	logs := &logbuf.Buffer{}
	s := push.NewService(failTargets{f.db}, f.db, f.db, broken{}, f.keys, nil,
		push.Config{Workers: 1, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	t.Cleanup(s.Close)
	s.Notify(push.Notification{Kind: push.KindApproval, Users: []tack.ID{tack.NewID()}, Text: "secret text"})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "push: notify") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling for the line, not waiting for time to pass
	}
	if out := logs.String(); !strings.Contains(out, "push: notify") || !strings.Contains(out, "kind=approval") ||
		!strings.Contains(out, "database is locked") || strings.Contains(out, "secret text") {
		t.Errorf("log %q: want the planning failure with its kind, without the text", out)
	}
}

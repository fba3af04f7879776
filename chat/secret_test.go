package chat_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/deadline"
)

// secretFixture is a fixture whose service schedules burns in a deadline
// runner on the fixture's clock.
func secretFixture(t *testing.T) (*fixture, *deadline.Runner) {
	t.Helper()
	var r *deadline.Runner
	cfg := chat.Config{Deadlines: lateRunner{&r}}
	f := newFixture(t, 3, cfg)
	r = deadline.NewRunner(f.db.Deadlines(), f.clock, nil)
	r.Handle(chat.BurnJob, f.svc.HandleBurn)
	return f, r
}

// lateRunner lets the fixture make the service before the runner.
type lateRunner struct{ r **deadline.Runner }

func (l lateRunner) Schedule(ctx context.Context, j deadline.Job, earlier bool) error {
	return (*l.r).Schedule(ctx, j, earlier)
}

// waitScheduled waits for the burns of committed sends (scheduled after the
// commit, off the sender's path) to be in the queue.
func waitScheduled(t *testing.T, f *fixture, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) { // polling the queue, with its deadline
		// Claim every job, with a lease that ends before now: a look that
		// leaves them claimable.
		far := 365 * 24 * time.Hour
		got, err := f.db.Deadlines().Claim(context.Background(), f.clock().Add(far), -far-time.Hour, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) >= n {
			return
		}
	}
	t.Fatalf("fewer than %d burns scheduled", n)
}

func TestSecretBurns(t *testing.T) {
	f, r := secretFixture(t)
	ctx := context.Background()
	c, _, err := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	if err != nil {
		t.Fatal(err)
	}
	unrevealed, _, err := f.svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "a", Text: "never read"})
	if err != nil {
		t.Fatal(err)
	}
	read, _, err := f.svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "b", Text: "read me", BurnAfterS: 30})
	if err != nil {
		t.Fatal(err)
	}
	if unrevealed.BurnAfterS != chat.DefaultBurnAfter || !unrevealed.BurnsAt.Equal(f.clock().Add(chat.UnrevealedBurn)) {
		t.Errorf("unrevealed: burn %d at %v", unrevealed.BurnAfterS, unrevealed.BurnsAt)
	}
	waitScheduled(t, f, 2)
	// The recipient sees nothing until the reveal; the sender sees the text.
	hist, _ := f.svc.History(f.as(1), c.ID, 0, 0, 10)
	for _, m := range hist[1:] {
		if m.Text != "" || !m.Hidden {
			t.Errorf("the recipient sees %+v", m)
		}
	}
	if hist, _ := f.svc.History(f.as(0), c.ID, 0, 0, 10); hist[2].Text != "read me" {
		t.Errorf("the sender sees %q", hist[2].Text)
	}
	if _, err := f.svc.Reveal(f.as(2), c.ID, read.Seq); code(err) != "not_found" {
		t.Errorf("a stranger's reveal: %v", err)
	}
	f.advance(time.Minute)
	m, err := f.svc.Reveal(f.as(1), c.ID, read.Seq)
	if err != nil || m.Text != "read me" || !m.BurnsAt.Equal(f.clock().Add(30*time.Second)) {
		t.Fatalf("reveal = %+v, %v", m, err)
	}
	burned := func(seq int64) bool {
		m, err := f.db.Message(ctx, c.ID, seq)
		if err != nil {
			t.Fatal(err)
		}
		return m.Burned && m.Text == ""
	}
	f.advance(29 * time.Second)
	r.RunDue(ctx)
	if burned(read.Seq) {
		t.Error("burned before its time")
	}
	f.advance(2 * time.Second)
	r.RunDue(ctx)
	if !burned(read.Seq) {
		t.Error("not burned 30 s after the reveal")
	}
	if burned(unrevealed.Seq) {
		t.Error("the unrevealed message burned early")
	}
	f.advance(chat.UnrevealedBurn)
	r.RunDue(ctx)
	if !burned(unrevealed.Seq) {
		t.Error("an unrevealed message did not burn after 7 days")
	}
	if _, err := f.svc.Reveal(f.as(1), c.ID, unrevealed.Seq); code(err) != "expired" {
		t.Errorf("reveal after the burn: %v", err)
	}

	// A burn whose job was lost (a crash before it was scheduled) is found
	// by the sweep.
	lost, _, err := f.svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "c", Text: "lost job"})
	if err != nil {
		t.Fatal(err)
	}
	waitScheduled(t, f, 1)
	if err := f.db.Deadlines().Cancel(ctx, chat.BurnJob, string(c.ID)+"/"+strconv.FormatInt(lost.Seq, 10)); err != nil {
		t.Fatal(err)
	}
	f.advance(chat.UnrevealedBurn + time.Second)
	if n, _ := r.RunDue(ctx); n != 0 {
		t.Fatalf("the cancelled job ran (%d)", n)
	}
	if n, err := f.svc.SweepBurns(ctx); err != nil || n != 1 || !burned(lost.Seq) {
		t.Errorf("sweep burned %d (%v)", n, err)
	}
}

func TestSecretRules(t *testing.T) {
	f, _ := secretFixture(t)
	c, _, err := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	if err != nil {
		t.Fatal(err)
	}
	again, created, err := f.svc.Create(f.as(1), chat.Secret, f.users[0:1], "")
	if err != nil || created || again.ID != c.ID {
		t.Errorf("the second secret chat of a pair: %v %v %v", again.ID, created, err)
	}
	if _, _, err := f.svc.Create(f.as(0), chat.Secret, f.users[1:3], ""); code(err) != "invalid" {
		t.Errorf("a secret chat of three: %v", err)
	}
	if _, _, err := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "title"); code(err) != "invalid" {
		t.Errorf("a secret chat with a title: %v", err)
	}
	m, _, err := f.svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "a", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []chat.Draft{{ClientID: "b", Text: "x", ReplyTo: m.Seq}, {ClientID: "c", Text: "x", Mentions: f.users[1:2]},
		{ClientID: "d", Text: "x", BurnAfterS: 4}, {ClientID: "e", Text: "x", BurnAfterS: 301}} {
		if _, _, err := f.svc.Send(f.as(0), c.ID, d); code(err) != "invalid" {
			t.Errorf("send %+v: %v", d, err)
		}
	}
	if _, err := f.svc.Edit(f.as(0), c.ID, m.Seq, "y", nil); code(err) != "forbidden" {
		t.Errorf("edit: %v", err)
	}
	if _, err := f.svc.Reveal(f.as(0), c.ID, m.Seq); code(err) != "forbidden" {
		t.Errorf("the sender's reveal: %v", err)
	}
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "f", Text: "x", BurnAfterS: 30}); code(err) != "invalid" {
		t.Errorf("burn_after_s in a group: %v", err)
	}
}

// TestScreenshotNotice: a member of a secret chat reports a screenshot: one
// notice per person and ScreenshotEvery, naming them; not elsewhere, not by
// others.
func TestScreenshotNotice(t *testing.T) {
	f, _ := secretFixture(t)
	c, _, err := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.ReportScreenshot(f.as(1), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != chat.SystemMessage || n.System == nil || n.System.Action != chat.ScreenshotNotice || n.System.ActorID != f.users[1] || n.Text != "" {
		t.Fatalf("notice = %+v", n)
	}
	again, err := f.svc.ReportScreenshot(f.as(1), c.ID)
	if err != nil || again.Seq != n.Seq {
		t.Errorf("a second report at once = %d, %v; want notice %d", again.Seq, err, n.Seq)
	}
	other, err := f.svc.ReportScreenshot(f.as(0), c.ID)
	if err != nil || other.Seq == n.Seq || other.System.ActorID != f.users[0] {
		t.Errorf("the other person's report = %+v, %v", other, err)
	}
	f.advance(chat.ScreenshotEvery)
	later, err := f.svc.ReportScreenshot(f.as(1), c.ID)
	if err != nil || later.Seq <= other.Seq {
		t.Errorf("a report %v later = %d, %v; want a new notice", chat.ScreenshotEvery, later.Seq, err)
	}
	if _, err := f.svc.ReportScreenshot(f.as(2), c.ID); code(err) != "not_found" {
		t.Errorf("a non-member's report: %v", err)
	}
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ReportScreenshot(f.as(0), g.ID); code(err) != "invalid" {
		t.Errorf("a report in a group: %v", err)
	}
}

package circle

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/deadline"
)

// notifyLog records, in order, what notify did.
type notifyLog struct {
	AnnouncementStore // the methods notify does not use: nil
	steps             []string
	receipts          []Receipt
	scheduleErr       error
}

func (l *notifyLog) Receipts(context.Context, tack.ID) ([]Receipt, error) { return l.receipts, nil }
func (l *notifyLog) MarkNotified(_ context.Context, _ tack.ID, users []tack.ID) error {
	l.steps = append(l.steps, "mark")
	return nil
}
func (l *notifyLog) Publish(context.Context, *bus.Event) error {
	l.steps = append(l.steps, "publish")
	return nil
}
func (l *notifyLog) Schedule(_ context.Context, j deadline.Job, _ bool) error {
	l.steps = append(l.steps, "schedule "+j.Kind)
	return l.scheduleErr
}
func (l *notifyLog) Cancel(context.Context, string, string) error { return nil }

type quietFor tack.ID

func (q quietFor) QuietAt(_ context.Context, u tack.ID, _ time.Time) (bool, error) {
	return u == tack.ID(q), nil
}

// A publish schedules the next try for those in quiet hours before it
// tells anyone, so that once it has been heard of the retry is stored; if
// it cannot be stored, nobody is told and the publish job fails (and runs
// again).
func TestNotifySchedulesBeforeTelling(t *testing.T) {
	awake, asleep := tack.NewID(), tack.NewID()
	now := time.Now()
	for _, fail := range []bool{false, true} {
		l := &notifyLog{receipts: []Receipt{{UserID: awake}, {UserID: asleep}}}
		if fail {
			l.scheduleErr = errors.New("store down")
		}
		b := NewBoard(l, nil, nil, nil, l, fixedClock(now), BoardConfig{Quiet: quietFor(asleep), Deadlines: l})
		err := b.notify(context.Background(), Announcement{ID: tack.NewID(), OrgID: tack.NewID(), PublishAt: now}, false)
		want := []string{"schedule " + NotifyJob, "mark", "publish"}
		if fail {
			want = want[:1]
			if !errors.Is(err, l.scheduleErr) {
				t.Errorf("notify with the schedule failing = %v, want its error", err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
		if len(l.steps) != len(want) {
			t.Fatalf("fail=%v: steps %v, want %v", fail, l.steps, want)
		}
		for i := range want {
			if l.steps[i] != want[i] {
				t.Fatalf("fail=%v: steps %v, want %v", fail, l.steps, want)
			}
		}
	}
}

// notify schedules a retry only when someone is in quiet hours, tells only
// when someone is not, and marks the retry as the last (force) once the
// announcement has waited QuietMax.
func TestNotifyWhoWaits(t *testing.T) {
	u := tack.NewID()
	now := fixedClock(time.Now()).Now() // as the Board reads it
	for _, c := range []struct {
		name      string
		quiet     bool
		published time.Time
		want      []string
		force     bool
	}{
		{"awake", false, now, []string{"mark", "publish"}, false},
		{"quiet, just published", true, now, []string{"schedule " + NotifyJob}, false},
		{"quiet, its last try", true, now.Add(QuietRetry - QuietMax), []string{"schedule " + NotifyJob}, true},
		{"quiet, a moment before its last try", true, now.Add(QuietRetry - QuietMax + time.Second), []string{"schedule " + NotifyJob}, false},
	} {
		l := &notifyLog{receipts: []Receipt{{UserID: u}}}
		var q quietFor
		if c.quiet {
			q = quietFor(u)
		}
		var jobs []deadline.Job
		b := NewBoard(l, nil, nil, nil, l, fixedClock(now), BoardConfig{Quiet: q, Deadlines: recordJobs{l, &jobs}})
		if err := b.notify(context.Background(), Announcement{ID: tack.NewID(), OrgID: tack.NewID(), PublishAt: c.published}, false); err != nil {
			t.Fatal(err)
		}
		if len(l.steps) != len(c.want) || (len(c.want) > 0 && l.steps[0] != c.want[0]) {
			t.Errorf("%s: steps %v, want %v", c.name, l.steps, c.want)
		}
		if c.quiet {
			var jd boardJob
			if len(jobs) != 1 || json.Unmarshal(jobs[0].Data, &jd) != nil || jd.Force != c.force || !jobs[0].Due.Equal(now.Add(QuietRetry)) {
				t.Errorf("%s: jobs %+v (force %v), want one due in QuietRetry with force %v", c.name, jobs, jd.Force, c.force)
			}
		}
	}
}

// recordJobs keeps the jobs scheduled, besides logging them.
type recordJobs struct {
	l    *notifyLog
	jobs *[]deadline.Job
}

func (r recordJobs) Schedule(ctx context.Context, j deadline.Job, earlier bool) error {
	*r.jobs = append(*r.jobs, j)
	return r.l.Schedule(ctx, j, earlier)
}
func (r recordJobs) Cancel(context.Context, string, string) error { return nil }

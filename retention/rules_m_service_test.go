package retention

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/deadline"
)

// recordingStore is a fakeStore that notes what Expire is asked (the
// cutoff and the limit) and removes up to the limit of what is left.
type recordingStore struct {
	*fakeStore
	left    int
	befores []time.Time
	limits  []int
	titles  map[tack.ID]string // conversation: title the store joins in
}

func (r *recordingStore) Expire(_ context.Context, _ tack.ID, before time.Time, limit int) (int, error) {
	r.befores = append(r.befores, before)
	r.limits = append(r.limits, limit)
	k := min(limit, r.left)
	r.left -= k
	return k, nil
}

func (r *recordingStore) Holds(ctx context.Context, o tack.ID) ([]Hold, error) {
	hs, err := r.fakeStore.Holds(ctx, o)
	for i := range hs {
		hs[i].Title = r.titles[hs[i].ConversationID]
	}
	return hs, err
}

type failingJobs struct{ tries int }

func (j *failingJobs) Schedule(context.Context, deadline.Job, bool) error {
	j.tries++
	return errors.New("jobs down")
}
func (j *failingJobs) Cancel(context.Context, string, string) error { return errors.New("jobs down") }

func TestNewServiceDefaultsOnlyUnsetBounds(t *testing.T) {
	for _, c := range []struct{ batch, max, wantBatch, wantMax int }{
		{0, 0, 500, 20000},
		{-1, -1, 500, 20000},
		{1, 1, 1, 1},
		{7, 30, 7, 30},
	} {
		s := NewService(&fakeStore{}, fakeDir{}, fakeConvs{}, &fakeJobs{}, Config{Batch: c.batch, MaxPerRun: c.max})
		if s.cfg.Batch != c.wantBatch || s.cfg.MaxPerRun != c.wantMax {
			t.Errorf("Batch %d, MaxPerRun %d: got %d, %d; want %d, %d", c.batch, c.max, s.cfg.Batch, s.cfg.MaxPerRun, c.wantBatch, c.wantMax)
		}
	}
}

func TestCutoffIsDaysOfTwentyFourHoursBefore(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for days, want := range map[int]time.Time{
		1:  time.Date(2026, 3, 9, 12, 0, 0, 0, time.UTC),
		7:  time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC),
		30: time.Date(2026, 2, 8, 12, 0, 0, 0, time.UTC),
	} {
		if got := Cutoff(now, days); !got.Equal(want) {
			t.Errorf("Cutoff(%v, %d) = %v, want %v", now, days, got, want)
		}
	}
}

// TestSweepBatchesNeverExceedMaxPerRun: each batch asks for at most what
// is left of MaxPerRun, at the policy's cutoff by the service's clock.
func TestSweepBatchesNeverExceedMaxPerRun(t *testing.T) {
	s, st, _, id := setup()
	rs := &recordingStore{fakeStore: st, left: 100}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s.store, s.clock = rs, func() time.Time { return now }
	s.cfg.Batch, s.cfg.MaxPerRun = 10, 25
	st.policies[id["org"]] = Policy{OrgID: id["org"], Days: 7}
	n, more, err := s.Sweep(context.Background(), id["org"])
	if err != nil || n != 25 || !more {
		t.Fatalf("Sweep = %d, %v, %v; want 25, true", n, more, err)
	}
	if got := rs.limits; len(got) != 3 || got[0] != 10 || got[1] != 10 || got[2] != 5 {
		t.Errorf("batch limits %v, want [10 10 5]", got)
	}
	for _, b := range rs.befores {
		if !b.Equal(Cutoff(now, 7)) || !b.Equal(now.Add(-7*24*time.Hour)) {
			t.Errorf("cutoff %v, want %v", b, now.Add(-7*24*time.Hour))
		}
	}
}

// TestSweepRemovingNothingCallsNoHook: the Expired hook runs only after
// messages were removed.
func TestSweepRemovingNothingCallsNoHook(t *testing.T) {
	s, st, jobs, id := setup()
	st.policies[id["org"]] = Policy{OrgID: id["org"], Days: 7}
	called := 0
	s.cfg.Expired = func(context.Context) { called++ }
	if err := s.HandleSweep(context.Background(), deadline.Job{Kind: SweepJob, Key: string(id["org"])}); err != nil {
		t.Fatal(err)
	}
	if called != 0 || len(jobs.scheduled) != 1 {
		t.Errorf("nothing removed: hook called %d times, scheduled %+v", called, jobs.scheduled)
	}
}

func TestPutHoldReasonAtMostMaxReasonCharacters(t *testing.T) {
	s, _, _, id := setup()
	ok := strings.Repeat("é", MaxReason)
	if _, err := s.PutHold(as(id["owner"]), id["org"], id["group"], ok); err != nil {
		t.Errorf("a reason of %d characters: %v", MaxReason, err)
	}
	if _, err := s.PutHold(as(id["owner"]), id["org"], id["group"], ok+"x"); code(err) != tack.EInvalid {
		t.Errorf("a reason of %d characters: %v", MaxReason+1, err)
	}
}

// TestPutHoldReturnsItsGroupsTitle: the hold returned carries the title of
// its own group, not of another held group.
func TestPutHoldReturnsItsGroupsTitle(t *testing.T) {
	s, st, _, id := setup()
	other := tack.NewID()
	st.groups[other] = id["org"]
	rs := &recordingStore{fakeStore: st, titles: map[tack.ID]string{id["group"]: "Group", other: "Other"}}
	s.store = rs
	if _, err := s.PutHold(as(id["owner"]), id["org"], other, "first"); err != nil {
		t.Fatal(err)
	}
	h, err := s.PutHold(as(id["owner"]), id["org"], id["group"], "second")
	if err != nil || h.Title != "Group" {
		t.Errorf("PutHold = %+v, %v; want title Group", h, err)
	}
}

// TestRemoveHoldSweepsOnlyUnderAPolicy: lifting a hold asks for a sweep
// when the organisation has a retention, and not when it keeps forever.
func TestRemoveHoldSweepsOnlyUnderAPolicy(t *testing.T) {
	for _, days := range []int{0, 7} {
		s, st, jobs, id := setup()
		st.policies[id["org"]] = Policy{OrgID: id["org"], Days: days}
		if _, err := s.PutHold(as(id["owner"]), id["org"], id["group"], "r"); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveHold(as(id["owner"]), id["org"], id["group"]); err != nil {
			t.Fatal(err)
		}
		want := 0
		if days > 0 {
			want = 1
		}
		if len(jobs.scheduled) != want || (want == 1 && jobs.scheduled[0].Key != nowKey(id["org"])) {
			t.Errorf("days %d: scheduled %+v, want %d sweep", days, jobs.scheduled, want)
		}
	}
}

// TestScheduleFailuresAreLoggedNotReturned: SetPolicy and RemoveHold keep
// the change when the sweep cannot be scheduled, and say so in the log;
// when scheduling works they log no warning.
func TestScheduleFailuresAreLoggedNotReturned(t *testing.T) {
	for _, fail := range []bool{false, true} {
		s, st, _, id := setup()
		var buf bytes.Buffer
		s.log = slog.New(slog.NewTextHandler(&buf, nil))
		if fail {
			s.jobs = &failingJobs{}
		}
		if _, err := s.SetPolicy(as(id["owner"]), id["org"], 7); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(buf.String(), "retention: schedule sweep"); got != map[bool]int{false: 0, true: 1}[fail] {
			t.Errorf("jobs failing %v: SetPolicy logged %d warnings: %s", fail, got, buf.String())
		}
		buf.Reset()
		st.holds[id["group"]] = Hold{ConversationID: id["group"], OrgID: id["org"]}
		if err := s.RemoveHold(as(id["owner"]), id["org"], id["group"]); err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(buf.String(), "retention: schedule sweep"); got != map[bool]int{false: 0, true: 1}[fail] {
			t.Errorf("jobs failing %v: RemoveHold logged %d warnings: %s", fail, got, buf.String())
		}
	}
}

// TestResumeSchedulesEveryPolicyAndReportsFailure.
func TestResumeSchedulesEveryPolicyAndReportsFailure(t *testing.T) {
	s, st, jobs, id := setup()
	st.policies[id["org"]] = Policy{OrgID: id["org"], Days: 7}
	st.policies[id["other"]] = Policy{OrgID: id["other"], Days: 30}
	if err := s.Resume(context.Background()); err != nil || len(jobs.scheduled) != 2 {
		t.Errorf("Resume = %v, scheduled %+v; want both organisations", err, jobs.scheduled)
	}
	fj := &failingJobs{}
	s.jobs = fj
	if err := s.Resume(context.Background()); err == nil || fj.tries != 1 {
		t.Errorf("Resume with failing jobs = %v after %d tries; want the error at once", err, fj.tries)
	}
}

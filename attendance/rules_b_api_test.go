package attendance_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/tacktest"
)

// rbAs is a context of u signed in, for calling the service directly.
func rbAs(u *tacktest.User) context.Context {
	return tack.WithCaller(bg, tack.Caller{UserID: tack.ID(u.ID)})
}

// rbField is the field a service error names ("" for none).
func rbField(err error) string {
	var te *tack.Error
	if errors.As(err, &te) {
		return te.Field
	}
	return ""
}

// rbFlakyStore is the server's store whose Apply loses races on demand:
// the next conflicts calls fail with EConflict; calls counts them all. A
// runaway retry loop ends with a plain error after 20 calls.
type rbFlakyStore struct {
	attendance.Store
	mu        sync.Mutex
	conflicts int
	fail      error
	calls     int
}

func (s *rbFlakyStore) Apply(ctx context.Context, b attendance.Batch) error {
	s.mu.Lock()
	s.calls++
	switch {
	case s.calls > 100:
		s.mu.Unlock()
		return errors.New("rb: retried without end")
	case s.conflicts > 0:
		s.conflicts--
		s.mu.Unlock()
		return tack.Errorf(tack.EConflict, "rb: lost a race")
	case s.fail != nil:
		err := s.fail
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	return s.Store.Apply(ctx, b)
}

func (s *rbFlakyStore) set(conflicts int, fail error) {
	s.mu.Lock()
	s.conflicts, s.fail, s.calls = conflicts, fail, 0
	s.mu.Unlock()
}

func (s *rbFlakyStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// rbFlaky is a second service over srv's store and directory whose writes
// lose races on demand.
func rbFlaky(t testing.TB, srv *tacktest.Server, clk *clock) (*attendance.Service, *rbFlakyStore) {
	fs := &rbFlakyStore{Store: attStore(t, srv)}
	return attendance.NewService(fs, srv.Node.Org, clk.Now, attendance.Config{}), fs
}

// rbRetried checks the rule of every compare-and-set write: a write that
// lost a race is tried again, 5 times in all, then the conflict is
// returned.
func rbRetried(t *testing.T, fs *rbFlakyStore, what string, op func() error) {
	t.Helper()
	fs.set(1000, nil)
	if err := op(); tack.ErrorCode(err) != tack.EConflict || fs.count() != 5 {
		t.Errorf("%s losing every race: %v after %d writes, want a conflict after 5", what, err, fs.count())
	}
	fs.set(4, nil)
	if err := op(); err != nil || fs.count() != 5 {
		t.Errorf("%s losing 4 races: %v after %d writes, want success on the 5th", what, err, fs.count())
	}
	fs.set(0, nil)
	if err := op(); err != nil || fs.count() != 1 {
		t.Errorf("%s winning: %v after %d writes, want one write", what, err, fs.count())
	}
}

func rbDay(t *testing.T, srv *tacktest.Server, orgID string, u *tacktest.User, date string) attendance.Day {
	t.Helper()
	ds, err := attStore(t, srv).Days(bg, tack.ID(orgID), []tack.ID{tack.ID(u.ID)}, date, date)
	ok(t, err)
	if len(ds) != 1 {
		t.Fatalf("%s of %s: %d days", date, u.Name, len(ds))
	}
	return ds[0]
}

// TestCorrectionAndCoverRules: who may correct, which checks exist, the
// monthly quota's month, covers' limits and zones, covers on closed and
// future days, and retries of both writes.
func TestCorrectionAndCoverRules(t *testing.T) {
	clk := newClock(at("2026-03-04 08:30")) // a Wednesday
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, map[string]any{"makeup_quota": 1})
	as := srv.Node.Attendance
	ok(t, as.RunJobs(bg))
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-04 10:00"))
	org_ := tack.ID(w.org)
	corr := func(u, subj *tacktest.User, date, ct string, pair int) (attendance.Check, error) {
		return as.Correct(rbAs(u), org_, attendance.CorrectionInput{UserID: tack.ID(w.mid[subj]), WorkDate: date, CheckType: ct, Pair: pair, Reason: "forgot"})
	}
	// A sub-admin corrects the members of their departments; a plain
	// member corrects nobody.
	if c, err := corr(w.sub, w.report, "2026-03-04", attendance.OnDuty, 0); err != nil || c.SourceType != attendance.SourceAdmin || c.TimeResult != attendance.Normal {
		t.Errorf("sub-admin corrects their department's member: %+v, %v", c, err)
	}
	if _, err := corr(w.sub, w.member, "2026-03-04", attendance.OnDuty, 0); tack.ErrorCode(err) != tack.EForbidden {
		t.Errorf("sub-admin corrects a member of another department: %v", err)
	}
	if _, err := corr(w.member, w.report, "2026-03-04", attendance.OnDuty, 0); tack.ErrorCode(err) != tack.EForbidden {
		t.Errorf("member corrects: %v", err)
	}
	// Pairs: at most three, and only the shift's.
	if _, err := corr(w.owner, w.report, "2026-03-01", attendance.OnDuty, 3); tack.ErrorCode(err) != tack.EInvalid || rbField(err) != "pair" {
		t.Errorf("pair 3: %v, want invalid pair", err)
	}
	if _, err := corr(w.owner, w.report, "2026-03-04", attendance.OffDuty, 1); tack.ErrorCode(err) != tack.EInvalid || rbField(err) != "pair" {
		t.Errorf("pair 1 of a one-pair shift: %v, want invalid pair", err)
	}
	if d := rbDay(t, srv, w.org, w.report, "2026-03-04"); d.Checks[1].UserTime != nil {
		t.Errorf("a refused correction changed the off-duty check: %+v", d.Checks[1])
	}

	// Covers: approval IDs of up to 64 characters; whole days in the
	// group's zone; from_date needs to_date; spans of up to 366 days.
	cover := func(in attendance.CoverInput) (attendance.Cover, error) {
		in.OrgID, in.UserID = org_, tack.ID(w.mid[w.manager])
		if in.Kind == "" {
			in.Kind = attendance.CoverTrip
		}
		return as.Cover(bg, in)
	}
	if _, err := cover(attendance.CoverInput{ApprovalID: strings.Repeat("a", 64), FromDate: "2026-05-04", ToDate: "2026-05-04"}); err != nil {
		t.Errorf("approval ID of 64 characters: %v", err)
	}
	if _, err := cover(attendance.CoverInput{ApprovalID: strings.Repeat("b", 65), FromDate: "2026-05-04", ToDate: "2026-05-04"}); rbField(err) != "approval_id" {
		t.Errorf("approval ID of 65 characters: %v", err)
	}
	if c, err := cover(attendance.CoverInput{ApprovalID: "whole", FromDate: "2026-05-05", ToDate: "2026-05-06"}); err != nil ||
		!c.Start.Equal(at("2026-05-05 00:00")) || !c.End.Equal(at("2026-05-07 00:00")) {
		t.Errorf("whole days in Shanghai: %v–%v, %v", c.Start, c.End, err)
	}
	if _, err := cover(attendance.CoverInput{ApprovalID: "from only", FromDate: "2026-05-07"}); rbField(err) != "to_date" {
		t.Errorf("from_date without to_date: %v, want invalid to_date", err)
	}
	if c, err := cover(attendance.CoverInput{ApprovalID: "span", Start: at("2026-05-08 14:00"), End: at("2026-05-08 16:00")}); err != nil || !c.Start.Equal(at("2026-05-08 14:00")) {
		t.Errorf("a span: %+v, %v", c, err)
	}
	year := at("2026-06-01 00:00")
	if _, err := cover(attendance.CoverInput{ApprovalID: "366 days", Start: year, End: year.Add(366 * 24 * time.Hour)}); err != nil {
		t.Errorf("366 days: %v", err)
	}
	if _, err := cover(attendance.CoverInput{ApprovalID: "366 days and a second", Start: year, End: year.Add(366*24*time.Hour + time.Second)}); rbField(err) != "end" {
		t.Errorf("366 days and a second: %v", err)
	}

	// Both writes retry lost races.
	fsvc, fs := rbFlaky(t, srv, clk)
	rbRetried(t, fs, "an admin's correction", func() error {
		_, err := fsvc.Correct(rbAs(w.owner), org_, attendance.CorrectionInput{UserID: tack.ID(w.mid[w.member]), WorkDate: "2026-03-04", CheckType: attendance.OffDuty, Reason: "left early by mistake"})
		return err
	})
	n := 0
	rbRetried(t, fs, "a cover", func() error {
		n++
		_, err := fsvc.Cover(bg, attendance.CoverInput{OrgID: org_, UserID: tack.ID(w.mid[w.member]), Kind: attendance.CoverOuting, ApprovalID: "race " + string(rune('a'+n)),
			Start: at("2026-03-04 15:00"), End: at("2026-03-04 16:00")})
		return err
	})

	// Leave covering the morning of a closed day without punches: the day
	// stays closed, absent for the afternoon, its off-duty check not
	// signed.
	clk.Set(at("2026-03-05 10:00"))
	ok(t, as.RunJobs(bg))
	if _, err := cover(attendance.CoverInput{ApprovalID: "trip friday", FromDate: "2026-03-06", ToDate: "2026-03-06"}); err != nil {
		t.Fatal(err)
	}
	if _, err := as.Cover(bg, attendance.CoverInput{OrgID: org_, UserID: tack.ID(w.mid[w.admin]), Kind: attendance.CoverLeave, LeaveType: "sick", ApprovalID: "sick morning",
		Start: at("2026-03-04 09:00"), End: at("2026-03-04 13:00")}); err != nil {
		t.Fatal(err)
	}
	if d := rbDay(t, srv, w.org, w.admin, "2026-03-04"); d.State != attendance.Closed || d.Summary.Status != "absent" || d.Summary.NotSigned != 1 || d.Summary.AbsentMinutes != 300 {
		t.Errorf("closed day after morning leave: %s %+v", d.State, d.Summary)
	}
	// A trip approved ahead covers the day when it is planned.
	clk.Set(at("2026-03-06 10:00"))
	ok(t, as.RunJobs(bg))
	if d := rbDay(t, srv, w.org, w.manager, "2026-03-06"); d.Summary.Status != "trip" || len(d.Covers) != 1 {
		t.Errorf("a day planned under a trip approved ahead: %+v", d.Summary)
	}

	// The monthly quota counts the work date's month only: a make-up punch
	// for 1 April leaves March's quota alone.
	clk.Set(at("2026-04-01 19:00"))
	ok(t, as.RunJobs(bg))
	apply := func(date string) error {
		_, err := as.ApplyCorrection(bg, attendance.Correction{OrgID: org_, UserID: tack.ID(w.mid[w.report]), WorkDate: date, CheckType: attendance.OffDuty, ApprovalID: "mk " + date})
		return err
	}
	if err := apply("2026-04-01"); err != nil {
		t.Fatalf("April's make-up punch: %v", err)
	}
	if err := apply("2026-04-01"); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("April's second make-up punch (quota 1): %v", err)
	}
	if err := apply("2026-03-31"); err != nil {
		t.Errorf("March's make-up punch after April's: %v", err)
	}

	// The month report: April's first days are not March's; rows by name.
	rep, err := as.MonthlyReport(rbAs(w.owner), org_, attendance.ReportQuery{Month: "2026-03"})
	ok(t, err)
	var names []string
	for _, r := range rep.Rows {
		names = append(names, r.Name)
		if r.UserID == tack.ID(w.member.ID) && (r.Totals.ExpectedDays != 20 || r.Totals.RestDays != 8) {
			t.Errorf("member's March (planned from the 4th): %d workdays, %d rest days; want 20 and 8", r.Totals.ExpectedDays, r.Totals.RestDays)
		}
	}
	if want := "Admin Manager Member Owner Report Sub"; strings.Join(names, " ") != want {
		t.Errorf("rows %v, want %s", names, want)
	}
	for _, c := range []struct {
		month string
		ok    bool
	}{{"1970-01", true}, {"2200-12", true}, {"1969-12", false}, {"2201-01", false}} {
		_, err := as.MonthlyReport(rbAs(w.owner), org_, attendance.ReportQuery{Month: c.month})
		if (err == nil) != c.ok {
			t.Errorf("report of %s: %v", c.month, err)
		}
	}
	// A manager's manager oversees the report too.
	must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[w.manager], map[string]any{"manager_id": w.mid[w.member]}))
	if _, err := as.MonthlyReport(rbAs(w.member), org_, attendance.ReportQuery{Month: "2026-03", UserID: tack.ID(w.mid[w.report])}); err != nil {
		t.Errorf("the manager's manager reads the report's month: %v", err)
	}
	if _, err := as.MonthlyReport(rbAs(w.admin), org_, attendance.ReportQuery{Month: "2026-03", UserID: tack.ID(w.mid[w.report])}); err != nil {
		t.Errorf("an admin reads anyone's month: %v", err)
	}
	// Someone suspended has no quota to ask about.
	must[client.OrgMember](t)(w.owner.SetMemberStatus(bg, w.org, w.mid[w.report], string(org.Suspended)))
	if _, err := as.QuotaOf(bg, org_, tack.ID(w.mid[w.report]), "2026-04"); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("quota of a suspended member: %v", err)
	}
}

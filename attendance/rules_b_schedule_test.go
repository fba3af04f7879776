package attendance_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
)

// TestScheduleRules: members named by employee number or work email;
// schedules set over planned days re-plan the open days nobody punched,
// earliest to latest whatever the order of the entries; imports with the
// date column first, and wide sheets with rows shorter or longer than the
// header; the listing's range; the size limit; lost races retried; and
// named shifts: who deletes them, unknown ones, a name kept on update.
func TestScheduleRules(t *testing.T) {
	clk := newClock(at("2026-03-02 08:00")) // a Monday
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	as := srv.Node.Attendance
	org_ := tack.ID(w.org)
	owner := rbAs(w.owner)
	shift := func(name, on, off string) attendance.Shift {
		sh, err := as.CreateShift(owner, org_, attendance.Shift{Name: name, On: on, Off: off})
		ok(t, err)
		return sh
	}
	shA, shB := shift("A", "09:00", "18:00"), shift("B", "10:00", "19:00")
	shift("C", "11:00", "20:00")
	g := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, map[string]any{"name": "Plant", "kind": "scheduled", "department_ids": []string{w.sales, w.eng},
		"places": []map[string]any{{"name": "HQ", "lat": hqLat, "lng": hqLng}}}))
	gid := tack.ID(g.ID)
	set := func(entries ...attendance.ScheduleInput) (int, error) {
		return as.SetSchedule(owner, org_, gid, entries)
	}
	e := func(u string, date, sh string) attendance.ScheduleInput {
		return attendance.ScheduleInput{Member: u, Date: date, Shift: sh}
	}
	shiftOf := func(u string, date string) string {
		t.Helper()
		ds, err := attStore(t, srv).Days(bg, org_, []tack.ID{tack.ID(u)}, date, date)
		ok(t, err)
		if len(ds) != 1 {
			t.Fatalf("%s: %d days", date, len(ds))
		}
		return ds[0].Plan.ShiftName
	}

	// Members by employee number or work email, in any case.
	must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[w.report], map[string]any{"employee_no": "E7"}))
	must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[w.manager], map[string]any{"work_email": "boss@acme.example"}))
	if n, err := set(e("e7", "2026-03-20", "A"), e("BOSS@acme.example", "2026-03-20", "B")); err != nil || n != 2 {
		t.Fatalf("by employee number and work email: %d, %v", n, err)
	}
	sched, err := as.Schedule(owner, org_, gid, "2026-03-20", "2026-03-20")
	ok(t, err)
	who := map[tack.ID]tack.ID{}
	for _, x := range sched {
		who[x.UserID] = x.ShiftID
	}
	if who[tack.ID(w.report.ID)] != shA.ID || who[tack.ID(w.manager.ID)] != shB.ID {
		t.Errorf("schedule %+v", sched)
	}

	// Planned open days take a new schedule, whatever the entries' order;
	// a punched day keeps its plan.
	clk.Set(at("2026-03-04 09:30"))
	ok(t, as.PlanDays(bg))
	m := w.member.ID
	if _, err := set(e(m, "2026-03-04", "A"), e(m, "2026-03-03", "A")); err != nil {
		t.Fatal(err)
	}
	if a, b := shiftOf(m, "2026-03-03"), shiftOf(m, "2026-03-04"); a != "A" || b != "A" {
		t.Errorf("after scheduling A over planned days: %q, %q", a, b)
	}
	if _, err := set(e(m, "2026-03-04", "B"), e(m, "2026-03-03", "B")); err != nil {
		t.Fatal(err)
	}
	if a, b := shiftOf(m, "2026-03-03"), shiftOf(m, "2026-03-04"); a != "B" || b != "B" {
		t.Errorf("after scheduling B over days planned with A: %q, %q", a, b)
	}
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	if _, err := set(e(m, "2026-03-04", "C")); err != nil {
		t.Fatal(err)
	}
	if got := shiftOf(m, "2026-03-04"); got != "B" {
		t.Errorf("a punched day took a new shift: %q", got)
	}
	// A day scheduled ahead is planned with its shift.
	if _, err := set(e(w.admin.ID, "2026-03-05", "C")); err != nil {
		t.Fatal(err)
	}
	clk.Set(at("2026-03-05 08:00"))
	ok(t, as.PlanDays(bg))
	if got := shiftOf(w.admin.ID, "2026-03-05"); got != "C" {
		t.Errorf("a day scheduled ahead planned with %q, want C", got)
	}

	// Imports: the date column may come first; wide rows may be shorter or
	// longer than the header.
	if n, err := as.ImportSchedule(owner, org_, gid, [][]string{{"date", "member", "shift"}, {"2026-03-21", w.mid[w.member], "A"}}); err != nil || n != 1 {
		t.Errorf("long import with the date first: %d, %v", n, err)
	}
	wide := [][]string{{"成员", "2026-03-23", "2026-03-24"}, {w.mid[w.member], "A"}, {w.mid[w.admin], "A", "B", "C"}}
	if n, err := as.ImportSchedule(owner, org_, gid, wide); err != nil || n != 3 {
		t.Errorf("wide import with a short and a long row: %d, %v", n, err)
	}

	// The listing spans at most 62 days.
	if _, err := as.Schedule(owner, org_, gid, "2026-03-01", "2026-05-02"); err != nil {
		t.Errorf("62 days: %v", err)
	}
	if _, err := as.Schedule(owner, org_, gid, "2026-03-01", "2026-05-03"); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("63 days: %v", err)
	}

	// At most MaxScheduleEntries at once.
	many := make([]attendance.ScheduleInput, attendance.MaxScheduleEntries+1)
	first := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range many {
		many[i] = e(m, first.AddDate(0, 0, i).Format("2006-01-02"), "休")
	}
	if _, err := set(many...); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("%d entries: %v", len(many), err)
	}
	if n, err := set(many[:attendance.MaxScheduleEntries]...); err != nil || n != attendance.MaxScheduleEntries {
		t.Errorf("%d entries: %d, %v", attendance.MaxScheduleEntries, n, err)
	}

	// Lost races are retried.
	fsvc, fs := rbFlaky(t, srv, clk)
	rbRetried(t, fs, "a schedule", func() error {
		_, err := fsvc.SetSchedule(owner, org_, gid, []attendance.ScheduleInput{e(m, "2026-03-25", "A")})
		return err
	})

	// Named shifts: sub-admins delete unused ones, members none; unknown
	// ones are not found; an update without a name keeps the name.
	spare := shift("Spare", "07:00", "15:00")
	if err := as.DeleteShift(rbAs(w.member), org_, spare.ID); tack.ErrorCode(err) != tack.EForbidden {
		t.Errorf("a member deletes a shift: %v", err)
	}
	up, err := as.UpdateShift(owner, org_, spare.ID, attendance.Shift{On: "07:30", Off: "15:30"})
	if err != nil || up.Name != "Spare" || up.ID != spare.ID || up.On != "07:30" {
		t.Errorf("update without a name: %+v, %v", up, err)
	}
	if err := as.DeleteShift(rbAs(w.sub), org_, spare.ID); err != nil {
		t.Errorf("a sub-admin deletes an unused shift: %v", err)
	}
	if err := as.DeleteShift(owner, org_, spare.ID); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("deleting it again: %v", err)
	}
	if _, err := as.UpdateShift(owner, org_, spare.ID, attendance.Shift{Name: "Gone", On: "07:30", Off: "15:30"}); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("updating a deleted shift: %v", err)
	}
}

// TestDayPlanningRules: the planner plans fixed groups' holidays as rest,
// catches up at most MaxCatchUpDays back after downtime, and day close
// closes every due day however many claims that takes, closes the others
// one by one when one moved meanwhile, and reports a failing store.
func TestDayPlanningRules(t *testing.T) {
	clk := newClock(at("2026-03-02 08:00")) // a Monday
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	for i := 0; i < 5; i++ { // ten members in the group
		u := srv.NewUser(t, fmt.Sprint("Extra ", i))
		inv := must[client.InvitationOut](t)(w.owner.CreateInvitation(bg, w.org, map[string]any{"department_ids": []string{w.eng}}))
		must[client.Joined](t)(u.AcceptInvitation(bg, inv.Code))
	}
	w.group(t, nil)
	as := srv.Node.Attendance
	st := attStore(t, srv)
	ok(t, w.owner.Do(bg, "PUT", "/api/v1/orgs/"+w.org+"/attendance/calendar", map[string]any{"holidays": []map[string]string{{"date": "2026-03-03", "kind": "holiday", "name": "公司日"}}}, nil))
	clk.Set(at("2026-03-03 08:00"))
	ok(t, as.PlanDays(bg))
	if d := rbDay(t, srv, w.org, w.member, "2026-03-03"); d.Plan.Kind != attendance.KindRest || d.Plan.Reason != "holiday" {
		t.Errorf("a holiday planned as %s (%s)", d.Plan.Kind, d.Plan.Reason)
	}
	// A store that fails: day close says so.
	clk.Set(at("2026-03-04 08:00"))
	fsvc, fs := rbFlaky(t, srv, clk)
	fs.set(0, errors.New("rb: disk full"))
	if _, err := fsvc.CloseDue(bg); err == nil {
		t.Errorf("day close over a failing store reported no error")
	}
	// A batch that lost a race: the days are closed one by one.
	clk.Set(at("2026-03-04 08:05")) // the failed claim's lease has lapsed
	fs.set(1, nil)
	if n, err := fsvc.CloseDue(bg); err != nil || n != 20 {
		t.Errorf("day close after a lost race: %d, %v; want the 20 days of 2 and 3 March", n, err)
	}
	ds, err := st.Days(bg, tack.ID(w.org), nil, "2026-03-02", "2026-03-03")
	ok(t, err)
	for _, d := range ds {
		if d.State != attendance.Closed || d.Closes != 1 {
			t.Errorf("%s: %s, closed %d times", d.UserID, d.State, d.Closes)
		}
	}
	// Down for 100 days: the planner plans the last 62 days and today, and
	// one day close closes every due day (more than one claim of 500).
	clk.Set(at("2026-06-12 10:00"))
	ok(t, as.PlanDays(bg))
	today := time.Date(2026, 6, 12, 0, 0, 0, 0, time.UTC)
	oldest := today.AddDate(0, 0, -attendance.MaxCatchUpDays).Format("2006-01-02")
	if ds, err := st.Days(bg, tack.ID(w.org), nil, "2026-03-05", oldest); err != nil || len(ds) != 10 || ds[0].WorkDate != oldest {
		t.Errorf("planned up to %s: %d days, %v; want the 10 of %s only", oldest, len(ds), err, oldest)
	}
	if n, err := as.CloseDue(bg); err != nil || n != 10*attendance.MaxCatchUpDays {
		t.Errorf("one day close: %d, %v; want %d", n, err, 10*attendance.MaxCatchUpDays)
	}
}

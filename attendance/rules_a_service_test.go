package attendance_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// groupBodyA is a group of the given targets at HQ (no workdays: the
// default).
func groupBodyA(name string, extra map[string]any) map[string]any {
	body := map[string]any{"name": name, "shift": map[string]string{"on": "09:00", "off": "18:00"},
		"places": []map[string]any{{"name": "HQ", "lat": hqLat, "lng": hqLng}}}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

// TestSubAdminsManageGroupsInScope: a sub-admin makes and changes groups
// of the departments and members they manage; a group of nobody is the
// admins' alone. A change returns the group as changed, one version on.
// Members list only their own group.
func TestSubAdminsManageGroupsInScope(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)

	sales := must[client.AttGroup](t)(w.sub.CreateAttGroup(bg, w.org, groupBodyA("Sales", map[string]any{"department_ids": []string{w.sales}})))
	if sales.Version != 1 || !slices.Equal(sales.Workdays, []int{1, 2, 3, 4, 5}) {
		t.Errorf("new group: version %d, workdays %v", sales.Version, sales.Workdays)
	}
	got := must[client.AttGroup](t)(w.sub.UpdateAttGroup(bg, w.org, string(sales.ID), map[string]any{"name": "Sales team"}))
	if got.ID != sales.ID || got.Name != "Sales team" || got.Version != 2 {
		t.Errorf("changed group: %s %q version %d", got.ID, got.Name, got.Version)
	}
	got = must[client.AttGroup](t)(w.owner.UpdateAttGroup(bg, w.org, string(sales.ID), map[string]any{"makeup_quota": 5}))
	if got.Version != 3 || got.MakeupQuota != 5 || got.Name != "Sales team" {
		t.Errorf("changed again: version %d, quota %d, %q", got.Version, got.MakeupQuota, got.Name)
	}

	// A group of members only (the report, in Sales): the sub-admin's.
	pair := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, groupBodyA("Pair", map[string]any{"member_ids": []string{w.mid[w.report]}})))
	if _, err := w.sub.UpdateAttGroup(bg, w.org, string(pair.ID), map[string]any{"name": "Pair 2"}); err != nil {
		t.Errorf("sub-admin changes a group of a member they manage: %v", err)
	}
	// A group of nobody: admins only.
	empty := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, groupBodyA("Empty", nil)))
	if _, err := w.sub.UpdateAttGroup(bg, w.org, string(empty.ID), map[string]any{"name": "Mine"}); code(err) != tack.EForbidden {
		t.Errorf("sub-admin changes a group of nobody: %v", err)
	}
	if _, err := w.admin.UpdateAttGroup(bg, w.org, string(empty.ID), map[string]any{"name": "Still empty"}); err != nil {
		t.Errorf("admin changes a group of nobody: %v", err)
	}
	// Plain members make no groups.
	if _, err := w.member.CreateAttGroup(bg, w.org, groupBodyA("Mine", nil)); code(err) != tack.EForbidden {
		t.Errorf("member makes a group: %v", err)
	}

	// Lists: the sub-admin sees the groups they manage; the report only
	// their own (the one that lists them); admins all.
	names := func(gs []client.AttGroup) []string {
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
		}
		slices.Sort(out)
		return out
	}
	if gs := must[[]client.AttGroup](t)(w.sub.AttGroups(bg, w.org)); !slices.Equal(names(gs), []string{"Pair 2", "Sales team"}) {
		t.Errorf("sub-admin's groups: %v", names(gs))
	}
	if gs := must[[]client.AttGroup](t)(w.report.AttGroups(bg, w.org)); !slices.Equal(names(gs), []string{"Pair 2"}) {
		t.Errorf("report's groups: %v", names(gs))
	}
	if gs := must[[]client.AttGroup](t)(w.manager.AttGroups(bg, w.org)); !slices.Equal(names(gs), []string{"Sales team"}) {
		t.Errorf("manager's groups: %v", names(gs))
	}
	if gs := must[[]client.AttGroup](t)(w.admin.AttGroups(bg, w.org)); len(gs) != 3 {
		t.Errorf("admin's groups: %v", names(gs))
	}

	// A department in two groups: refused, saying why.
	_, err := w.owner.CreateAttGroup(bg, w.org, groupBodyA("Again", map[string]any{"department_ids": []string{w.sales}}))
	if code(err) != tack.EConflict || !strings.Contains(err.Error(), "already in another attendance group") {
		t.Errorf("a department in two groups: %v", err)
	}

	// Workdays: fixed groups default to Monday to Friday, scheduled ones
	// to none (their schedule says).
	sch := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, groupBodyA("Rota", map[string]any{"kind": "scheduled"})))
	if len(sch.Workdays) != 0 {
		t.Errorf("scheduled group's workdays %v", sch.Workdays)
	}
}

// TestCalendarYearsAndWriteLimit: the calendar is read a year at a time,
// 1970 to 2200; one write puts and removes at most MaxHolidaysPerWrite
// entries together.
func TestCalendarYearsAndWriteLimit(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	for _, c := range []struct {
		year int
		want string
	}{{1970, "ok"}, {2200, "ok"}, {1969, tack.EInvalid}, {2201, tack.EInvalid}} {
		if _, err := w.member.AttCalendar(bg, w.org, c.year); code(err) != c.want {
			t.Errorf("calendar of %d: %v, want %s", c.year, err, c.want)
		}
	}
	dates := func(from string, n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, at(from+" 12:00").AddDate(0, 0, i).Format("2006-01-02"))
		}
		return out
	}
	put := func(ds []string) []map[string]string {
		var out []map[string]string
		for _, d := range ds {
			out = append(out, map[string]string{"date": d, "kind": "holiday"})
		}
		return out
	}
	path := "/api/v1/orgs/" + w.org + "/attendance/calendar"
	n := attendance.MaxHolidaysPerWrite
	if err := w.owner.Do(bg, "PUT", path, map[string]any{"holidays": put(dates("2030-01-01", n))}, nil); err != nil {
		t.Errorf("%d entries: %v", n, err)
	}
	if err := w.owner.Do(bg, "PUT", path, map[string]any{"holidays": put(dates("2030-01-01", n-1)), "remove": dates("2035-01-01", 1)}, nil); err != nil {
		t.Errorf("%d entries and a removal: %v", n-1, err)
	}
	if err := w.owner.Do(bg, "PUT", path, map[string]any{"holidays": put(dates("2030-01-01", n/2+100)), "remove": dates("2035-01-01", n/2+100)}, nil); code(err) != tack.ETooLarge {
		t.Errorf("%d entries and %d removals: %v", n/2+100, n/2+100, err)
	}
	if err := w.owner.Do(bg, "PUT", path, map[string]any{"holidays": put(dates("2030-01-01", n)), "remove": dates("2035-01-01", 1)}, nil); code(err) != tack.ETooLarge {
		t.Errorf("%d entries and a removal: %v", n, err)
	}
	cal := must[[]client.AttHoliday](t)(w.member.AttCalendar(bg, w.org, 2030))
	if len(cal) != 365 {
		t.Errorf("2030 has %d entries", len(cal))
	}
}

// TestWorkingDaysOverAYear: WorkingDays spans at most a year (366 dates
// with both ends); a work day runs from its first on time to its last
// off time.
func TestWorkingDaysOverAYear(t *testing.T) {
	clk := newClock(at("2026-03-02 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	as := srv.Node.Attendance
	days, err := as.WorkingDays(bg, tack.ID(w.org), tack.ID(w.member.ID), "2026-03-02", "2027-03-02")
	if err != nil {
		t.Fatalf("a year: %v", err)
	}
	if len(days) < 250 || days[0].Date != "2026-03-02" || !days[0].Start.Equal(at("2026-03-02 09:00")) || !days[0].End.Equal(at("2026-03-02 18:00")) {
		t.Errorf("%d days, first %+v", len(days), days[0])
	}
	if _, err := as.WorkingDays(bg, tack.ID(w.org), tack.ID(w.member.ID), "2026-03-02", "2027-03-03"); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a year and a day: %v", err)
	}
}

// TestQuietRanges: at most 14 ranges; a range without days is every
// day; days are 1 (Monday) to 7 (Sunday), each once, in order.
func TestQuietRanges(t *testing.T) {
	clk := newClock(at("2026-03-04 12:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	ranges := func(n int) []attendance.QuietRange {
		var out []attendance.QuietRange
		for i := 0; i < n; i++ {
			out = append(out, attendance.QuietRange{Days: []int{1}, From: fmt.Sprintf("%02d:00", i), To: fmt.Sprintf("%02d:30", i)})
		}
		return out
	}
	if _, err := w.member.SetQuietHours(bg, client.QuietPrefs{Extra: ranges(14)}); err != nil {
		t.Errorf("14 ranges: %v", err)
	}
	if _, err := w.member.SetQuietHours(bg, client.QuietPrefs{Extra: ranges(15)}); code(err) != tack.ETooLarge {
		t.Errorf("15 ranges: %v", err)
	}
	q := must[client.QuietHours](t)(w.member.SetQuietHours(bg, client.QuietPrefs{Extra: []attendance.QuietRange{
		{From: "12:00", To: "13:00"}, {Days: []int{7, 6, 7}, From: "08:00", To: "20:00"}}}))
	if len(q.Extra) != 2 || !slices.Equal(q.Extra[0].Days, []int{1, 2, 3, 4, 5, 6, 7}) || !slices.Equal(q.Extra[1].Days, []int{6, 7}) {
		t.Errorf("ranges %+v", q.Extra)
	}
	for _, d := range []int{0, 8} {
		if _, err := w.member.SetQuietHours(bg, client.QuietPrefs{Extra: []attendance.QuietRange{{Days: []int{d}, From: "12:00", To: "13:00"}}}); code(err) != tack.EInvalid {
			t.Errorf("day %d: %v", d, err)
		}
	}
}

// TestQuietHoursInTheGroupsZone: work hours come from the group's days
// in the group's zone, to the end of the week shown: a shift from 02:00
// in Shanghai, 18:00 UTC the day before, counts on the last day.
func TestQuietHoursInTheGroupsZone(t *testing.T) {
	clk := newClock(at("2026-03-04 04:00")) // 2026-03-03 20:00 UTC
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, map[string]any{"shift": map[string]string{"on": "02:00", "off": "10:00"}, "workdays": []int{1, 2, 3, 4, 5, 6, 7}})
	q := must[client.QuietHours](t)(w.member.QuietHours(bg))
	if len(q.Work) == 0 {
		t.Fatalf("no work: %+v", q)
	}
	first, last := q.Work[0], q.Work[len(q.Work)-1]
	if !first.Start.Equal(at("2026-03-04 04:00")) || !first.End.Equal(at("2026-03-04 10:00")) {
		t.Errorf("first work %v – %v", first.Start, first.End)
	}
	if !last.Start.Equal(at("2026-03-11 02:00")) || !last.End.Equal(at("2026-03-11 04:00")) {
		t.Errorf("last work %v – %v, want 2026-03-11 02:00 – 04:00 (Shanghai)", last.Start, last.End)
	}
	if len(q.Work) != 8 {
		t.Errorf("%d work intervals, want 8", len(q.Work))
	}
}

// TestWhoAGroupPlans: a group plans the days of the members it lists and
// of its departments' members, except those a more specific group
// claims; a department deleted since counts for nobody.
func TestWhoAGroupPlans(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	temp := must[client.Department](t)(w.owner.CreateDepartment(bg, w.org, "", "Temp"))
	// A: Sales; B: the report by name, and a department about to go.
	a := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, groupBodyA("A", map[string]any{"department_ids": []string{w.sales}})))
	b := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, groupBodyA("B", map[string]any{
		"member_ids": []string{w.mid[w.report]}, "department_ids": []string{string(temp.ID)},
		"shift": map[string]string{"on": "10:00", "off": "19:00"}})))
	ok(t, w.owner.DeleteDepartment(bg, w.org, string(temp.ID)))
	srv.Node.Attendance.DirectoryChanged(tack.ID(w.org))
	ok(t, srv.Node.Attendance.RunJobs(bg))
	var uids []tack.ID
	for _, u := range []*client.Client{w.owner.Client, w.admin.Client, w.sub.Client, w.manager.Client, w.report.Client, w.member.Client} {
		me := must[client.User](t)(u.Me(bg))
		uids = append(uids, me.ID)
	}
	days, err := attStore(t, srv).Days(bg, tack.ID(w.org), uids, "2026-03-04", "2026-03-04")
	ok(t, err)
	got := map[tack.ID]tack.ID{}
	for _, d := range days {
		got[d.UserID] = d.GroupID
	}
	want := map[tack.ID]tack.ID{tack.ID(w.manager.ID): a.ID, tack.ID(w.report.ID): b.ID}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("days planned by group: %v, want %v (A %s, B %s)", got, want, a.ID, b.ID)
	}
}

// TestDeletedDepartmentCountsForNobody: a group's department deleted
// since plans nobody's days (the group alone in its organisation still
// plans the members it lists).
func TestDeletedDepartmentCountsForNobody(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	temp := must[client.Department](t)(w.owner.CreateDepartment(bg, w.org, "", "Temp"))
	b := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, groupBodyA("B", map[string]any{
		"member_ids": []string{w.mid[w.report]}, "department_ids": []string{string(temp.ID)}})))
	ok(t, w.owner.DeleteDepartment(bg, w.org, string(temp.ID)))
	srv.Node.Attendance.DirectoryChanged(tack.ID(w.org))
	ok(t, srv.Node.Attendance.RunJobs(bg))
	var uids []tack.ID
	for _, u := range []*tacktest.User{w.owner, w.admin, w.sub, w.manager, w.report, w.member} {
		uids = append(uids, tack.ID(u.ID))
	}
	days, err := attStore(t, srv).Days(bg, tack.ID(w.org), uids, "2026-03-04", "2026-03-04")
	ok(t, err)
	var got []string
	for _, d := range days {
		got = append(got, string(d.UserID)+" by "+string(d.GroupID))
	}
	if want := []string{w.report.ID + " by " + string(b.ID)}; !slices.Equal(got, want) {
		t.Errorf("days planned: %v, want %v (the report's only)", got, want)
	}
}

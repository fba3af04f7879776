package attendance_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/sheet"
	"github.com/tackhq/tack/tacktest"
)

// TestContract drives the DESIGN.md §4b attendance API: make a group,
// punch inside, outside and as a field punch, list records.
func TestContract(t *testing.T) {
	clk := newClock(at("2026-03-04 08:50")) // a Wednesday
	srv := server(t, clk)
	w := newWorld(t, srv, clk)

	// Only admins (and sub-admins within their scope) make groups.
	_, err := w.member.CreateAttGroup(bg, w.org, map[string]any{"name": "X", "member_ids": []string{w.mid[w.member]},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1}, "places": []map[string]any{{"name": "HQ", "lat": 1, "lng": 1}}})
	if code(err) != tack.EForbidden {
		t.Errorf("member makes a group: %v", err)
	}
	var raw map[string]any
	body := map[string]any{"name": "Office", "department_ids": []string{w.sales, w.eng},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "HQ", "lat": hqLat, "lng": hqLng, "radius_m": 300}}}
	ok(t, w.owner.Do(bg, "POST", "/api/v1/orgs/"+w.org+"/attendance/groups", body, &raw))
	if id, _ := raw["id"].(string); !tack.ID(id).Valid() || raw["time_zone"] != "Asia/Shanghai" || raw["follow_calendar"] != true {
		t.Fatalf("group = %v", raw)
	}
	// A person is in at most one group.
	_, err = w.owner.CreateAttGroup(bg, w.org, map[string]any{"name": "Again", "member_ids": []string{w.mid[w.report]}, "department_ids": []string{w.sales},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1}, "places": []map[string]any{{"name": "HQ", "lat": 1, "lng": 1}}})
	if code(err) != tack.EConflict {
		t.Errorf("second group of Sales: %v", err)
	}

	var p map[string]any
	ok(t, w.report.Do(bg, "POST", "/api/v1/orgs/"+w.org+"/attendance/punches", map[string]any{"lat": hqLat + 0.001, "lng": hqLng, "accuracy_m": 15}, &p))
	for k, want := range map[string]any{"check_type": "OnDuty", "time_result": "Normal", "location_result": "Normal", "work_date": "2026-03-04",
		"user_check_time": "2026-03-04T00:50:00Z", "base_check_time": "2026-03-04T01:00:00Z", "place": "HQ", "distance_m": 110.0} {
		if p[k] != want {
			t.Errorf("punch %s = %v, want %v", k, p[k], want)
		}
	}
	if id, _ := p["id"].(string); !tack.ID(id).Valid() {
		t.Errorf("punch id %v", p["id"])
	}
	if rule, _ := p["rule"].(map[string]any); rule["shift"] != "09:00–18:00" || rule["serious_late_minutes"] != 30.0 || rule["version"] != 1.0 {
		t.Errorf("rule = %v", p["rule"])
	}

	// Late, from the server's clock, whatever the client thinks.
	clk.Set(at("2026-03-04 09:07"))
	late := must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	if late.CheckType != attendance.OnDuty || late.TimeResult != attendance.Late || late.Minutes != 7 {
		t.Errorf("late punch = %+v", late)
	}

	// Outside every place: refused, naming the nearest place.
	far := client.PunchIn{Lat: f(hqLat + 0.02), Lng: f(hqLng), AccuracyM: f(20)}
	_, err = w.manager.Punch(bg, w.org, far)
	if code(err) != attendance.EOutsideArea || status(err) != http.StatusUnprocessableEntity || !strings.Contains(err.Error(), "HQ is 2.2 km away") {
		t.Errorf("outside: %v", err)
	}
	// Positions worse than 1 km are refused.
	_, err = w.manager.Punch(bg, w.org, client.PunchIn{Lat: f(hqLat), Lng: f(hqLng), AccuracyM: f(1500)})
	if code(err) != tack.EInvalid || !strings.Contains(err.Error(), "1.5 km") {
		t.Errorf("inaccurate: %v", err)
	}
	// Bad input never writes.
	for _, bad := range []map[string]any{{"lat": 91, "lng": 0, "accuracy_m": 5}, {"lat": 1}, {"lat": "x"}, {"lat": 1, "lng": 1}} {
		if err := w.manager.Do(bg, "POST", "/api/v1/orgs/"+w.org+"/attendance/punches", bad, nil); code(err) != tack.EInvalid {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if recs := must[[]client.AttRecord](t)(w.manager.AttRecords(bg, w.org, "", "2026-03-04", "2026-03-04")); len(recs) != 0 {
		t.Errorf("refused punches left records: %v", recs)
	}

	// Where the group allows field punches, outside is a field punch with
	// a required note.
	g := must[[]client.AttGroup](t)(w.owner.AttGroups(bg, w.org))[0]
	must[client.AttGroup](t)(w.owner.UpdateAttGroup(bg, w.org, string(g.ID), map[string]any{"field_punch": true}))
	_, err = w.manager.Punch(bg, w.org, far)
	if code(err) != tack.EInvalid || !strings.Contains(err.Error(), "note") {
		t.Errorf("field punch without a note: %v", err)
	}
	far.Note = "visiting a client"
	fp := must[client.AttPunch](t)(w.manager.Punch(bg, w.org, far))
	if fp.LocationResult != attendance.Outside || fp.Via != "field" || fp.TimeResult != attendance.Late {
		t.Errorf("field punch = %+v", fp)
	}

	// Records: the caller's own by default.
	var out struct {
		Records []map[string]any `json:"records"`
	}
	ok(t, w.report.Do(bg, "GET", "/api/v1/orgs/"+w.org+"/attendance/records?from=2026-03-04&to=2026-03-04", nil, &out))
	if len(out.Records) != 1 || out.Records[0]["check_type"] != "OnDuty" || out.Records[0]["time_result"] != "Normal" ||
		out.Records[0]["user_id"] != w.report.ID || out.Records[0]["source_type"] != "USER" || out.Records[0]["work_date"] != "2026-03-04" {
		t.Errorf("records = %v", out.Records)
	}
	// The last off-duty punch counts.
	clk.Set(at("2026-03-04 17:30"))
	must[client.AttPunch](t)(w.report.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-04 18:02"))
	off := must[client.AttPunch](t)(w.report.Punch(bg, w.org, inside()))
	if off.CheckType != attendance.OffDuty || off.TimeResult != attendance.Normal || !off.Replaced {
		t.Errorf("second off-duty punch = %+v", off)
	}
	recs := must[[]client.AttRecord](t)(w.report.AttRecords(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if len(recs) != 2 || recs[1].TimeResult != attendance.Normal || !recs[1].UserCheckTime.Equal(at("2026-03-04 18:02")) {
		t.Errorf("records after two off-duty punches = %+v", recs)
	}
	// Punch history keeps both; only the field punch has coordinates.
	ps := must[[]client.AttPunchRow](t)(w.report.AttPunches(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if len(ps) != 3 || ps[0].Lat != nil || ps[0].DistanceM == nil || *ps[0].DistanceM != 110 {
		t.Errorf("punch history = %+v", ps)
	}
	mps := must[[]client.AttPunchRow](t)(w.manager.AttPunches(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if len(mps) != 1 || mps[0].Lat == nil || mps[0].EraseAt == nil || !mps[0].EraseAt.Equal(at("2026-03-04 09:07").AddDate(0, 0, 30)) {
		t.Errorf("field punch history = %+v", mps)
	}
}

// TestOfficeNetworkPunch: a request from one of the group's networks is
// inside without a position (the web's Wi-Fi punch); a client-reported
// BSSID too.
func TestOfficeNetworkPunch(t *testing.T) {
	clk := newClock(at("2026-03-04 08:30"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, map[string]any{"networks": []string{"127.0.0.0/8"}, "wifi": []map[string]string{{"ssid": "Acme", "bssid": "00:11:22:33:44:55"}}})
	p := must[client.AttPunch](t)(w.member.Punch(bg, w.org, client.PunchIn{}))
	if p.Via != "network" || p.LocationResult != attendance.Normal || !strings.Contains(p.Place, "127.0.0.0/8") {
		t.Errorf("network punch = %+v", p)
	}
	w2 := newWorld(t, srv, clk)
	w2.group(t, map[string]any{"networks": []string{"10.9.0.0/16"}, "wifi": []map[string]string{{"ssid": "Acme", "bssid": "00:11:22:33:44:55"}}})
	p = must[client.AttPunch](t)(w2.member.Punch(bg, w2.org, client.PunchIn{BSSID: "00:11:22:33:44:55", SSID: "Acme"}))
	if p.Via != "wifi" || !p.ClientReported {
		t.Errorf("wifi punch = %+v", p)
	}
	_, err := w2.report.Punch(bg, w2.org, client.PunchIn{})
	if code(err) != attendance.EOutsideArea {
		t.Errorf("not on the network: %v", err)
	}
	// X-Forwarded-For is believed only from a trusted proxy.
	viaProxy := func(srv *tacktest.Server, u *tacktest.User, org string) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/orgs/"+org+"/attendance/punches", strings.NewReader(`{}`))
		req.Header.Set("Authorization", "Bearer "+u.Token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "10.9.8.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := viaProxy(srv, w2.report, w2.org); got != http.StatusUnprocessableEntity {
		t.Errorf("X-Forwarded-For from an untrusted peer: %d", got)
	}
	psrv := server(t, clk, func(c *node.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	w3 := newWorld(t, psrv, clk)
	w3.group(t, map[string]any{"networks": []string{"10.9.0.0/16"}})
	if got := viaProxy(psrv, w3.report, w3.org); got != http.StatusCreated {
		t.Errorf("X-Forwarded-For from a trusted proxy: %d", got)
	}
}

// TestPermissionMatrix: who may read whose attendance; outsiders get 404
// on every path; views by others are recorded and shown to the member.
func TestPermissionMatrix(t *testing.T) {
	clk := newClock(at("2026-03-04 08:50"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	g := w.group(t, nil)
	must[client.AttPunch](t)(w.report.Punch(bg, w.org, inside()))
	target := w.report.ID
	cases := []struct {
		name string
		u    *client.Client
		want string
	}{
		{"owner", w.owner.Client, "ok"},
		{"admin", w.admin.Client, "ok"},
		{"sub-admin of Sales", w.sub.Client, "ok"},
		{"manager", w.manager.Client, "ok"},
		{"self", w.report.Client, "ok"},
		{"member of Eng", w.member.Client, tack.EForbidden},
		{"member of another organisation", w.other.Client, tack.ENotFound},
		{"stranger", w.stranger.Client, tack.ENotFound},
	}
	for _, c := range cases {
		_, err := c.u.AttRecords(bg, w.org, target, "2026-03-04", "2026-03-04")
		if code(err) != c.want {
			t.Errorf("%s reads the report's records: %v, want %s", c.name, err, c.want)
		}
		_, err = c.u.AttMonth(bg, w.org, target, "2026-03")
		if code(err) != c.want {
			t.Errorf("%s reads the report's month: %v, want %s", c.name, err, c.want)
		}
	}
	// The manager's report is not the manager's peer's.
	if _, err := w.report.AttRecords(bg, w.org, w.manager.ID, "2026-03-04", "2026-03-04"); code(err) != tack.EForbidden {
		t.Errorf("report reads the manager: %v", err)
	}
	// The sub-admin of Sales does not see Eng.
	if _, err := w.sub.AttRecords(bg, w.org, w.member.ID, "2026-03-04", "2026-03-04"); code(err) != tack.EForbidden {
		t.Errorf("sub-admin reads Eng: %v", err)
	}
	// Unknown members are not found.
	if _, err := w.owner.AttRecords(bg, w.org, string(tack.NewID()), "2026-03-04", "2026-03-04"); code(err) != tack.ENotFound {
		t.Errorf("unknown member: %v", err)
	}
	// Outsiders learn nothing on any attendance path.
	base := "/api/v1/orgs/" + w.org + "/attendance"
	for _, path := range []string{"/groups", "/groups/" + string(g.ID), "/shifts", "/calendar", "/calendar/presets", "/records", "/month", "/today",
		"/reports/monthly?month=2026-03", "/views", "/audit", "/punches", "/corrections/quota", "/groups/" + string(g.ID) + "/schedules?from=2026-03-01&to=2026-03-02"} {
		for _, u := range []*client.Client{w.other.Client, w.stranger.Client} {
			var m map[string]any
			if err := u.Do(bg, "GET", base+path, nil, &m); code(err) != tack.ENotFound || status(err) != 404 {
				t.Errorf("outsider GET %s: %v", path, err)
			}
		}
	}
	for _, path := range []string{"/groups", "/punches", "/shifts", "/corrections", "/covers", "/calendar/presets/cn-2026"} {
		if err := w.stranger.Do(bg, "POST", base+path, map[string]any{}, nil); code(err) != tack.ENotFound {
			t.Errorf("outsider POST %s: %v", path, err)
		}
	}
	// A not-found answer must not differ for an organisation that does
	// not exist.
	if err := w.stranger.Do(bg, "GET", "/api/v1/orgs/"+string(tack.NewID())+"/attendance/records", nil, nil); code(err) != tack.ENotFound {
		t.Errorf("no such organisation: %v", err)
	}

	// The report sees who looked: the owner, the admin, the sub-admin and
	// the manager (twice each: records and month); nobody refused.
	views := must[[]client.AttView](t)(w.report.AttViews(bg, w.org))
	seen := map[string]int{}
	for _, v := range views {
		seen[v.ViewerName]++
		if v.SubjectID != tack.ID(target) {
			t.Errorf("view of %s shown to the report", v.SubjectID)
		}
	}
	for _, name := range []string{"Owner", "Admin", "Sub", "Manager"} {
		if seen[name] != 2 {
			t.Errorf("%s's views: %d, want 2 (%v)", name, seen[name], seen)
		}
	}
	if len(seen) != 4 {
		t.Errorf("viewers %v", seen)
	}
	// Looking at yourself is not a view.
	if vs := must[[]client.AttView](t)(w.owner.AttViews(bg, w.org)); len(vs) != 0 {
		t.Errorf("owner views: %v", vs)
	}
	// Reports: members see only themselves; admins everyone.
	if r := must[client.AttReport](t)(w.member.AttReport(bg, w.org, "2026-03", "", "")); len(r.Rows) != 1 || r.Rows[0].UserID != tack.ID(w.member.ID) {
		t.Errorf("member's report: %+v", r.Rows)
	}
	if r := must[client.AttReport](t)(w.manager.AttReport(bg, w.org, "2026-03", "", "")); len(r.Rows) != 2 {
		t.Errorf("manager's report rows: %d", len(r.Rows))
	}
	if r := must[client.AttReport](t)(w.sub.AttReport(bg, w.org, "2026-03", w.sales, "")); len(r.Rows) != 2 {
		t.Errorf("sub-admin's Sales report rows: %d", len(r.Rows))
	}
	if r := must[client.AttReport](t)(w.admin.AttReport(bg, w.org, "2026-03", "", "")); len(r.Rows) != 6 {
		t.Errorf("admin's report rows: %d", len(r.Rows))
	}
	// Groups: members may change nothing; the sub-admin of Sales may not
	// change a group that holds Eng.
	if _, err := w.member.UpdateAttGroup(bg, w.org, string(g.ID), map[string]any{"name": "Mine"}); code(err) != tack.EForbidden {
		t.Errorf("member changes the group: %v", err)
	}
	if _, err := w.sub.UpdateAttGroup(bg, w.org, string(g.ID), map[string]any{"name": "Mine"}); code(err) != tack.EForbidden {
		t.Errorf("sub-admin changes a group beyond their scope: %v", err)
	}
	// A member sees their own group only.
	if gs := must[[]client.AttGroup](t)(w.member.AttGroups(bg, w.org)); len(gs) != 1 || gs[0].ID != g.ID {
		t.Errorf("member's groups: %v", gs)
	}
}

// TestValidation: bad groups are refused with the field at fault and
// write nothing.
func TestValidation(t *testing.T) {
	clk := newClock(at("2026-03-04 08:50"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	good := func() map[string]any {
		return map[string]any{"name": "G", "member_ids": []string{w.mid[w.member]}, "shift": map[string]string{"on": "09:00", "off": "18:00"},
			"workdays": []int{1, 2, 3, 4, 5}, "places": []map[string]any{{"name": "HQ", "lat": hqLat, "lng": hqLng}}}
	}
	for _, c := range []struct {
		key   string
		value any
		field string
	}{
		{"name", "", "name"},
		{"shift", map[string]string{"on": "9am", "off": "18:00"}, "shift.pairs[0].on"},
		{"shift", nil, "shift"},
		{"workdays", []int{0}, "workdays"},
		{"places", []map[string]any{{"name": "HQ", "lat": 1, "lng": 1, "radius_m": 50}}, "places[0].radius_m"},
		{"places", []map[string]any{{"name": "HQ", "lat": 100, "lng": 1}}, "places[0]"},
		{"networks", []string{"not a network"}, "networks[0]"},
		{"networks", []string{"0.0.0.0/0"}, "networks[0]"},
		{"time_zone", "Mars/Base", "time_zone"},
		{"kind", "sometimes", "kind"},
		{"member_ids", []string{"nope"}, "member_ids"},
		{"member_ids", []string{string(tack.NewID())}, "member_ids"},
		{"department_ids", []string{string(tack.NewID())}, "department_ids"},
		{"field_retention_days", 0, "field_retention_days"},
		{"places", []map[string]any{}, "places"},
	} {
		body := good()
		if c.value == nil {
			delete(body, c.key)
		} else {
			body[c.key] = c.value
		}
		_, err := w.owner.CreateAttGroup(bg, w.org, body)
		var e *client.Error
		if code(err) != tack.EInvalid || !asClientErr(err, &e) || e.Field != c.field {
			t.Errorf("%s = %v: %v, want invalid %s", c.key, c.value, err, c.field)
		}
	}
	if gs := must[[]client.AttGroup](t)(w.owner.AttGroups(bg, w.org)); len(gs) != 0 {
		t.Errorf("refused groups were stored: %v", gs)
	}
	// Nobody in a group: punching is refused plainly.
	if _, err := w.member.Punch(bg, w.org, inside()); code(err) != tack.EForbidden {
		t.Errorf("punch outside any group: %v", err)
	}
	// Range limits.
	if _, err := w.member.AttRecords(bg, w.org, "", "2026-01-01", "2026-12-31"); code(err) != tack.EInvalid {
		t.Errorf("a year of records: %v", err)
	}
	if _, err := w.member.AttRecords(bg, w.org, "", "2026-13-01", "2026-12-31"); code(err) != tack.EInvalid {
		t.Errorf("a bad date: %v", err)
	}
}

func asClientErr(err error, e **client.Error) bool {
	x, ok := err.(*client.Error)
	*e = x
	return ok
}

// TestLeaveReadsAsLeave: leave applied through the Go API the approvals
// service calls reads as leave in records (never absent), before and
// after day close; withdrawing it judges the day again.
func TestLeaveReadsAsLeave(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, map[string]any{"shift": map[string]any{"on": "09:00", "off": "18:00", "breaks": []map[string]string{{"from": "12:00", "to": "13:00"}}}})
	as := srv.Node.Attendance
	ok(t, as.RunJobs(bg))
	// Leave for today and tomorrow (a day not yet planned).
	c, err := as.Cover(bg, attendance.CoverInput{OrgID: tack.ID(w.org), UserID: tack.ID(w.member.ID), Kind: attendance.CoverLeave, LeaveType: "annual",
		FromDate: "2026-03-04", ToDate: "2026-03-05", ApprovalID: "approval-1"})
	ok(t, err)
	again, err := as.Cover(bg, attendance.CoverInput{OrgID: tack.ID(w.org), UserID: tack.ID(w.member.ID), Kind: attendance.CoverLeave, LeaveType: "annual",
		FromDate: "2026-03-04", ToDate: "2026-03-05", ApprovalID: "approval-1"})
	if err != nil || again.ID != c.ID {
		t.Errorf("a second apply of the same approval: %v %v", again.ID, err)
	}
	check := func(when string, want int) {
		t.Helper()
		recs := must[[]client.AttRecord](t)(w.member.AttRecords(bg, w.org, "", "2026-03-04", "2026-03-05"))
		if len(recs) != want {
			t.Fatalf("%s: %d records, want %d: %+v", when, len(recs), want, recs)
		}
		for _, r := range recs {
			if r.TimeResult != attendance.Normal || r.SourceType != attendance.SourceApprove || r.ApproveType != "leave" || r.LeaveType != "annual" ||
				r.ApproveID != "approval-1" || r.DayStatus != "leave" {
				t.Errorf("%s: record %+v", when, r)
			}
		}
	}
	check("before close", 4)
	clk.Set(at("2026-03-06 09:00"))
	ok(t, as.RunJobs(bg))
	check("after close", 4)
	m := must[client.AttMonth](t)(w.member.AttMonth(bg, w.org, "", "2026-03"))
	if m.Totals.AbsentDays != 0 || m.Totals.LeaveMinutes["annual"] != 960 || m.Totals.NotSigned != 0 {
		t.Errorf("month totals: %+v", m.Totals)
	}
	// Someone without leave is absent on the same days.
	m = must[client.AttMonth](t)(w.report.AttMonth(bg, w.org, "", "2026-03"))
	if m.Totals.AbsentDays != 2 {
		t.Errorf("report's absent days: %d", m.Totals.AbsentDays)
	}
	// Withdrawn: the closed days are judged again.
	ok(t, as.Uncover(bg, tack.ID(w.org), "approval-1"))
	recs := must[[]client.AttRecord](t)(w.member.AttRecords(bg, w.org, "", "2026-03-04", "2026-03-05"))
	for _, r := range recs {
		if r.TimeResult != attendance.NotSigned || r.DayStatus != "absent" {
			t.Errorf("after withdrawal: %+v", r)
		}
	}
	// Leave of someone in no attendance group is kept all the same.
	if _, err := as.Cover(bg, attendance.CoverInput{OrgID: tack.ID(w.org), UserID: tack.ID(w.owner.ID), Kind: attendance.CoverTrip,
		FromDate: "2026-03-09", ToDate: "2026-03-09", ApprovalID: "approval-2"}); err != nil {
		t.Errorf("cover for someone in no group: %v", err)
	}
	if _, err := as.Cover(bg, attendance.CoverInput{OrgID: tack.ID(w.org), UserID: tack.ID(w.stranger.ID), Kind: attendance.CoverTrip,
		FromDate: "2026-03-09", ToDate: "2026-03-09", ApprovalID: "approval-3"}); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("cover for a stranger: %v", err)
	}
	// Working days for the leave counter: Wednesday to Friday, and
	// Monday; not the weekend.
	days, err := as.WorkingDays(bg, tack.ID(w.org), tack.ID(w.member.ID), "2026-03-04", "2026-03-09")
	ok(t, err)
	var dates []string
	for _, d := range days {
		dates = append(dates, d.Date)
		if d.ExpectedMinutes != 480 {
			t.Errorf("%s: %d minutes", d.Date, d.ExpectedMinutes)
		}
	}
	if !slices.Equal(dates, []string{"2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09"}) {
		t.Errorf("working days %v", dates)
	}
}

// TestCorrections: make-up punches within the quota and deadline.
func TestCorrections(t *testing.T) {
	clk := newClock(at("2026-03-02 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, map[string]any{"makeup_quota": 2})
	as := srv.Node.Attendance
	clk.Set(at("2026-03-07 09:00")) // Monday to Friday passed without punches
	ok(t, as.RunJobs(bg))
	uid := tack.ID(w.member.ID)
	corr := func(date, ct, approval string) (attendance.Check, error) {
		return as.ApplyCorrection(bg, attendance.Correction{OrgID: tack.ID(w.org), UserID: uid, WorkDate: date, CheckType: ct, ApprovalID: approval,
			ActorID: tack.ID(w.manager.ID), Reason: "forgot"})
	}
	if err := as.CheckCorrection(bg, attendance.Correction{OrgID: tack.ID(w.org), UserID: uid, WorkDate: "2026-03-02", CheckType: attendance.OnDuty}); err != nil {
		t.Errorf("check: %v", err)
	}
	c, err := corr("2026-03-02", attendance.OnDuty, "ap-1")
	if err != nil || c.TimeResult != attendance.Normal || c.SourceType != attendance.SourceApprove || c.ApproveID != "ap-1" || !c.UserTime.Equal(at("2026-03-02 09:00")) {
		t.Fatalf("correction: %+v %v", c, err)
	}
	if _, err := corr("2026-03-02", attendance.OnDuty, "ap-2"); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("correcting a Normal check: %v", err)
	}
	if _, err := corr("2026-03-03", attendance.OffDuty, "ap-3"); err != nil {
		t.Errorf("second: %v", err)
	}
	if _, err := corr("2026-03-04", attendance.OffDuty, "ap-4"); tack.ErrorCode(err) != tack.EConflict || !strings.Contains(tack.ErrorMessage(err), "quota") {
		t.Errorf("third of a quota of two: %v", err)
	}
	if _, err := corr("2026-03-07", attendance.OnDuty, "ap-5"); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("a Saturday: %v", err)
	}
	clk.Set(at("2026-03-20 09:00"))
	if err := as.CheckCorrection(bg, attendance.Correction{OrgID: tack.ID(w.org), UserID: uid, WorkDate: "2026-03-05", CheckType: attendance.OnDuty}); tack.ErrorCode(err) != tack.EExpired {
		t.Errorf("past the deadline: %v", err)
	}
	recs := must[[]client.AttRecord](t)(w.member.AttRecords(bg, w.org, "", "2026-03-02", "2026-03-02"))
	if len(recs) != 2 || recs[0].SourceType != attendance.SourceApprove || recs[1].TimeResult != attendance.NotSigned || recs[0].DayStatus != "not_signed" {
		t.Errorf("records after a correction: %+v", recs)
	}
	// An admin's correction uses no quota and is audited.
	ac := must[client.AttCheck](t)(w.admin.AttCorrect(bg, w.org, attendance.CorrectionInput{UserID: tack.ID(w.mid[w.member]), WorkDate: "2026-03-02",
		CheckType: attendance.OffDuty, Reason: "badge reader broken"}))
	if ac.SourceType != attendance.SourceAdmin || ac.TimeResult != attendance.Normal {
		t.Errorf("admin correction %+v", ac)
	}
	if _, err := w.member.AttCorrect(bg, w.org, attendance.CorrectionInput{UserID: tack.ID(w.member.ID), WorkDate: "2026-03-03", CheckType: attendance.OnDuty, Reason: "me"}); code(err) != tack.EForbidden {
		t.Errorf("member corrects themselves: %v", err)
	}
	var audit struct {
		Entries []attendance.Audit `json:"entries"`
	}
	ok(t, w.owner.Do(bg, "GET", "/api/v1/orgs/"+w.org+"/attendance/audit", nil, &audit))
	n := 0
	for _, e := range audit.Entries {
		if e.Action == "correction.apply" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("audited corrections: %d", n)
	}
}

// TestReports: JSON, CSV with a BOM that Excel reads as UTF-8, and XLSX.
func TestReports(t *testing.T) {
	clk := newClock(at("2026-03-02 08:55"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	as := srv.Node.Attendance
	ok(t, as.RunJobs(bg))
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-02 09:40"))
	must[client.AttPunch](t)(w.report.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-02 18:00"))
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-03 08:00"))
	ok(t, as.RunJobs(bg))
	rep := must[client.AttReport](t)(w.admin.AttReport(bg, w.org, "2026-03", "", ""))
	byName := map[string]attendance.ReportRow{}
	for _, r := range rep.Rows {
		byName[r.Name] = r
	}
	if r := byName["Member"]; r.ActualDays != 1 || r.WorkedMinutes != 540 || r.LateCount != 0 || r.ExpectedDays != 2 {
		t.Errorf("Member: %+v", r.Totals)
	}
	if r := byName["Report"]; r.LateCount != 1 || r.SeriousLateCount != 1 || r.LateMinutes != 40 || r.NotSigned != 1 {
		t.Errorf("Report: %+v", r.Totals)
	}
	if r := byName["Manager"]; r.AbsentDays != 1 || r.NotSigned != 2 {
		t.Errorf("Manager: %+v", r.Totals)
	}
	csv := must[[]byte](t)(w.admin.AttReportFile(bg, w.org, "2026-03", "", "csv"))
	if !bytes.HasPrefix(csv, []byte("\xef\xbb\xbf姓名 Name,")) || !strings.Contains(string(csv), "\r\n") {
		t.Errorf("csv starts %q", csv[:min(len(csv), 40)])
	}
	rows, err := sheet.Read(csv, sheet.CSV, "")
	ok(t, err)
	if len(rows) != 8 || rows[7][0] != "合计 Total" {
		t.Errorf("csv rows %d: %v", len(rows), rows[len(rows)-1])
	}
	x := must[[]byte](t)(w.admin.AttReportFile(bg, w.org, "2026-03", "", "xlsx"))
	rows, err = sheet.Read(x, sheet.XLSX, "")
	ok(t, err)
	if len(rows) != 8 || rows[0][0] != "姓名 Name" || rows[0][7] != "迟到次数 Late" {
		t.Errorf("xlsx rows %v", rows[0])
	}
	if _, err := w.admin.AttReportFile(bg, w.org, "2026-03", "", "pdf"); status(err) != 400 {
		t.Errorf("pdf: %v", err)
	}
	// Every member looked at by the admin sees it.
	vs := must[[]client.AttView](t)(w.member.AttViews(bg, w.org))
	if len(vs) != 3 || vs[0].What != "report" || vs[0].ViewerName != "Admin" {
		t.Errorf("member's views: %+v", vs)
	}
}

// TestFieldCoordinatesErased: field punches keep coordinates for the
// group's retention, then a background job erases them.
func TestFieldCoordinatesErased(t *testing.T) {
	clk := newClock(at("2026-03-04 08:50"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, map[string]any{"field_punch": true, "field_retention_days": 3})
	p := client.PunchIn{Lat: f(hqLat + 0.05), Lng: f(hqLng), AccuracyM: f(30), Note: "site visit"}
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, p))
	ps := must[[]client.AttPunchRow](t)(w.member.AttPunches(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if len(ps) != 1 || ps[0].Lat == nil || *ps[0].Lat != hqLat+0.05 {
		t.Fatalf("before: %+v", ps)
	}
	clk.Set(at("2026-03-07 08:49"))
	ok(t, srv.Node.Attendance.RunJobs(bg))
	ps = must[[]client.AttPunchRow](t)(w.member.AttPunches(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if ps[0].Lat == nil {
		t.Errorf("erased early")
	}
	clk.Set(at("2026-03-07 08:51"))
	ok(t, srv.Node.Attendance.RunJobs(bg))
	ps = must[[]client.AttPunchRow](t)(w.member.AttPunches(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if ps[0].Lat != nil || ps[0].Lng != nil || ps[0].Note != "site visit" || ps[0].Place != "HQ" {
		t.Errorf("after: %+v", ps[0])
	}
	// Normal punches never store coordinates at all.
	clk.Set(at("2026-03-09 08:50"))
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	ps = must[[]client.AttPunchRow](t)(w.member.AttPunches(bg, w.org, "", "2026-03-09", "2026-03-09"))
	if ps[0].Lat != nil || ps[0].AccuracyM != nil || ps[0].DistanceM == nil {
		t.Errorf("normal punch: %+v", ps[0])
	}
	var raw []byte
	{
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/orgs/"+w.org+"/attendance/punches?from=2026-03-09&to=2026-03-09", nil)
		req.Header.Set("Authorization", "Bearer "+w.member.Token)
		resp, err := http.DefaultClient.Do(req)
		ok(t, err)
		raw, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if strings.Contains(string(raw), "\"lat\"") {
		t.Errorf("normal punch JSON carries coordinates: %s", raw)
	}
}

// TestQuietHours: a member's shifts are their default quiet hours, and
// they can widen them.
func TestQuietHours(t *testing.T) {
	clk := newClock(at("2026-03-04 12:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	q := must[client.QuietHours](t)(w.member.QuietHours(bg))
	if !q.FromShifts || q.TimeZone != "Asia/Shanghai" || len(q.Work) != 6 || !q.Work[0].End.Equal(at("2026-03-04 18:00")) {
		t.Errorf("work = %+v", q.Work)
	}
	as := srv.Node.Attendance
	for _, c := range []struct {
		when  string
		quiet bool
	}{{"2026-03-04 12:00", false}, {"2026-03-04 18:30", true}, {"2026-03-05 08:59", true}, {"2026-03-05 09:00", false}, {"2026-03-07 12:00", true}} {
		got, err := as.QuietAt(bg, tack.ID(w.member.ID), at(c.when))
		ok(t, err)
		if got != c.quiet {
			t.Errorf("quiet at %s = %v", c.when, got)
		}
	}
	// When the quiet hours end (held pushes wait for it): the next shift's
	// start; over a weekend, Monday's; not quiet, the time itself.
	for _, c := range []struct{ when, until string }{
		{"2026-03-04 18:30", "2026-03-05 09:00"}, {"2026-03-05 08:59", "2026-03-05 09:00"},
		{"2026-03-07 12:00", "2026-03-09 09:00"}, {"2026-03-04 12:00", "2026-03-04 12:00"},
	} {
		got, err := as.QuietUntil(bg, tack.ID(w.member.ID), at(c.when))
		ok(t, err)
		if !got.Equal(at(c.until)) {
			t.Errorf("quiet at %s until %v, want %s", c.when, got, c.until)
		}
	}
	// Widening: lunch is quiet too.
	q = must[client.QuietHours](t)(w.member.SetQuietHours(bg, client.QuietPrefs{Extra: []attendance.QuietRange{{Days: []int{1, 2, 3, 4, 5}, From: "12:00", To: "13:00"}}}))
	if len(q.Work) != 10 || !q.Work[0].Start.Equal(at("2026-03-04 13:00")) {
		t.Errorf("work after widening: %+v", q.Work)
	}
	if got, _ := as.QuietAt(bg, tack.ID(w.member.ID), at("2026-03-05 12:30")); !got {
		t.Errorf("lunch is not quiet")
	}
	if _, err := w.member.SetQuietHours(bg, client.QuietPrefs{Extra: []attendance.QuietRange{{From: "25:00", To: "13:00"}}}); code(err) != tack.EInvalid {
		t.Errorf("bad range: %v", err)
	}
	// Someone in no group has only their own quiet hours.
	q = must[client.QuietHours](t)(w.stranger.QuietHours(bg))
	if q.FromShifts || len(q.Quiet) != 0 {
		t.Errorf("stranger: %+v", q)
	}
}

// TestScheduledGroup: named shifts, a schedule set as JSON and imported
// from a wide CSV, punches judged by the day's shift, unscheduled days
// rest.
func TestScheduledGroup(t *testing.T) {
	clk := newClock(at("2026-03-02 05:50")) // Monday
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	var early, night client.AttShift
	ok(t, w.owner.Do(bg, "POST", "/api/v1/orgs/"+w.org+"/attendance/shifts", map[string]any{"name": "早班", "on": "06:00", "off": "14:00"}, &early))
	ok(t, w.owner.Do(bg, "POST", "/api/v1/orgs/"+w.org+"/attendance/shifts", map[string]any{"name": "夜班", "on": "22:00", "off": "06:00"}, &night))
	if err := w.member.Do(bg, "POST", "/api/v1/orgs/"+w.org+"/attendance/shifts", map[string]any{"name": "x", "on": "06:00", "off": "14:00"}, nil); code(err) != tack.EForbidden {
		t.Errorf("member makes a shift: %v", err)
	}
	g := must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, map[string]any{"name": "Plant", "kind": "scheduled", "department_ids": []string{w.sales, w.eng},
		"places": []map[string]any{{"name": "HQ", "lat": hqLat, "lng": hqLng}}}))
	base := "/api/v1/orgs/" + w.org + "/attendance/groups/" + string(g.ID) + "/schedules"
	var n map[string]int
	ok(t, w.owner.Do(bg, "PUT", base, map[string]any{"entries": []map[string]string{
		{"member": w.mid[w.member], "date": "2026-03-02", "shift": "早班"},
		{"member": w.member.ID, "date": "2026-03-03", "shift": string(night.ID)},
	}}, &n))
	if n["count"] != 2 {
		t.Errorf("count %v", n)
	}
	// Unknown shifts and strangers are refused, and nothing is written.
	err := w.owner.Do(bg, "PUT", base, map[string]any{"entries": []map[string]string{
		{"member": w.mid[w.report], "date": "2026-03-04", "shift": "早班"}, {"member": w.mid[w.report], "date": "2026-03-05", "shift": "午班"}}}, nil)
	if code(err) != tack.EInvalid {
		t.Errorf("unknown shift: %v", err)
	}
	if err := w.owner.Do(bg, "PUT", base, map[string]any{"entries": []map[string]string{{"member": w.other.ID, "date": "2026-03-04", "shift": "早班"}}}, nil); code(err) != tack.EInvalid {
		t.Errorf("stranger scheduled: %v", err)
	}
	// A wide sheet, as schedules are drawn: a column per date.
	csv := "成员,2026-03-02,2026/3/3,2026-03-04\n" + w.mid[w.report] + ",早班,休,夜班\n"
	req, _ := http.NewRequest("POST", srv.URL+base+"/import", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+w.owner.Token)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	ok(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"count":3`) {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	var sched struct {
		Entries []attendance.Schedule `json:"entries"`
	}
	ok(t, w.owner.Do(bg, "GET", base+"?from=2026-03-01&to=2026-03-07", nil, &sched))
	if len(sched.Entries) != 5 {
		t.Errorf("schedule: %+v", sched.Entries)
	}
	p := must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	if p.CheckType != attendance.OnDuty || p.TimeResult != attendance.Normal || p.Rule.ShiftName != "早班" || p.Rule.Reason != "schedule" {
		t.Errorf("early shift punch: %+v", p)
	}
	// Tuesday night: the night shift's off-duty punch on Wednesday morning
	// belongs to Tuesday.
	clk.Set(at("2026-03-03 21:55"))
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-04 06:01"))
	p = must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	if p.WorkDate != "2026-03-03" || p.CheckType != attendance.OffDuty || p.TimeResult != attendance.Normal {
		t.Errorf("night shift off-duty punch: %+v", p)
	}
	// Nobody scheduled the admin: a rest day, punches are overtime.
	clk.Set(at("2026-03-04 10:00"))
	p = must[client.AttPunch](t)(w.admin.Punch(bg, w.org, inside()))
	if p.Rule.Day != "rest" || p.Rule.Reason != "not_scheduled" || p.TimeResult != attendance.Normal {
		t.Errorf("unscheduled punch: %+v", p)
	}
	// A shift in use cannot be deleted.
	if err := w.owner.Do(bg, "DELETE", "/api/v1/orgs/"+w.org+"/attendance/shifts/"+string(night.ID), nil, nil); code(err) != tack.EConflict {
		t.Errorf("delete a scheduled shift: %v", err)
	}
}

// TestCalendarPreset: the China 2026 preset makes National Day a rest day
// and the make-up Saturday a workday, for a group that follows the
// calendar.
func TestCalendarPreset(t *testing.T) {
	clk := newClock(at("2026-09-30 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	if _, err := w.member.ApplyAttPreset(bg, w.org, "cn-2026"); code(err) != tack.EForbidden {
		t.Errorf("member applies a preset: %v", err)
	}
	hs := must[[]client.AttHoliday](t)(w.owner.ApplyAttPreset(bg, w.org, "cn-2026"))
	if len(hs) < 30 {
		t.Fatalf("preset has %d days", len(hs))
	}
	if _, err := w.owner.ApplyAttPreset(bg, w.org, "../etc"); code(err) != tack.ENotFound {
		t.Errorf("bad preset: %v", err)
	}
	cal := must[[]client.AttHoliday](t)(w.member.AttCalendar(bg, w.org, 2026))
	if len(cal) != len(hs) {
		t.Errorf("calendar %d entries", len(cal))
	}
	w.group(t, nil)
	as := srv.Node.Attendance
	days, err := as.WorkingDays(bg, tack.ID(w.org), tack.ID(w.member.ID), "2026-09-28", "2026-10-11")
	ok(t, err)
	var dates []string
	for _, d := range days {
		dates = append(dates, d.Date)
	}
	want := []string{"2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"}
	if !slices.Equal(dates, want) {
		t.Errorf("working days %v, want %v", dates, want)
	}
	// Punching on a holiday is a rest-day punch named after it.
	clk.Set(at("2026-10-02 10:00"))
	p := must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	if p.Rule.Day != "rest" || p.Rule.Holiday != "国庆节" {
		t.Errorf("holiday punch: %+v", p.Rule)
	}
	// An admin's own entry wins; a bad kind is refused.
	if err := w.owner.Do(bg, "PUT", "/api/v1/orgs/"+w.org+"/attendance/calendar", map[string]any{"holidays": []map[string]string{{"date": "2026-10-12", "kind": "party"}}}, nil); code(err) != tack.EInvalid {
		t.Errorf("bad kind: %v", err)
	}
	ok(t, w.owner.Do(bg, "PUT", "/api/v1/orgs/"+w.org+"/attendance/calendar", map[string]any{"holidays": []map[string]string{{"date": "2026-10-12", "kind": "holiday", "name": "公司日"}}, "remove": []string{"2026-10-10"}}, nil))
	days, _ = as.WorkingDays(bg, tack.ID(w.org), tack.ID(w.member.ID), "2026-10-10", "2026-10-13")
	if len(days) != 1 || days[0].Date != "2026-10-13" {
		t.Errorf("after the admin's changes: %+v", days)
	}
}

// TestPunchSeesMemberChangesAtOnce: punches read memberships through a
// cache (one at a time, or the whole organisation in a rush); a
// suspension, a department move or a removal made through the node counts
// for the very next punch, whichever way the member was cached.
func TestPunchSeesMemberChangesAtOnce(t *testing.T) {
	clk := newClock(at("2026-03-04 08:30")) // a Wednesday
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	// A rush: enough members punch for the organisation to be read whole.
	inv := must[client.InvitationOut](t)(w.owner.CreateInvitation(bg, w.org, map[string]any{"department_ids": []string{w.eng}, "max_uses": 40}))
	var crowd []*tacktest.User
	for i := range 40 {
		u := srv.NewUser(t, fmt.Sprint("Crowd ", i))
		j := must[client.Joined](t)(u.AcceptInvitation(bg, inv.Code))
		w.mid[u] = string(j.Member.ID)
		crowd = append(crowd, u)
	}
	for _, u := range append([]*tacktest.User{w.member}, crowd...) {
		must[client.AttPunch](t)(u.Punch(bg, w.org, inside()))
	}
	for _, u := range []*tacktest.User{w.member, crowd[39]} {
		must[client.OrgMember](t)(w.owner.SetMemberStatus(bg, w.org, w.mid[u], "suspended"))
		if _, err := u.Punch(bg, w.org, inside()); code(err) != "forbidden" {
			t.Fatalf("a suspended member's punch right after the suspension: %v, want forbidden", err)
		}
		must[client.OrgMember](t)(w.owner.SetMemberStatus(bg, w.org, w.mid[u], "active"))
		must[client.AttPunch](t)(u.Punch(bg, w.org, inside()))
	}
	// Moved out of every department of the group: in no group now.
	must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[crowd[5]], map[string]any{"department_ids": []string{}}))
	if _, err := crowd[5].Punch(bg, w.org, inside()); code(err) != "forbidden" {
		t.Fatalf("a member moved out of the group's departments: %v, want forbidden (in no group)", err)
	}
	must[client.OrgMember](t)(w.owner.SetMemberStatus(bg, w.org, w.mid[crowd[6]], "left"))
	if _, err := crowd[6].Punch(bg, w.org, inside()); code(err) != "not_found" {
		t.Fatalf("a removed member's punch: %v, want not_found", err)
	}
}

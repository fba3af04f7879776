package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
)

// TestAttendanceStore checks attendance.Store. open returns an empty
// store. Decisions where the interface comments are silent:
//
//   - A batch that fails (a taken target, a failed compare-and-set, a
//     duplicate day) writes nothing of itself, and fails with
//     tack.EConflict.
//   - Day writes keep the JSON parts (plan, checks, summary, covers) as
//     written (the Service writes UTC times); Rev is 1 after an insert
//     and grows by one with every update.
//   - Lists come back in the order their comments give; Days by user ID
//     then date.
func TestAttendanceStore(t *testing.T, open func(t *testing.T) attendance.Store) {
	ctx := context.Background()
	t.Run("Groups", func(t *testing.T) {
		s := open(t)
		org := tack.NewID()
		g := attendance.Group{ID: tack.NewID(), OrgID: org, Name: "Office", Kind: attendance.Fixed, TimeZone: "Asia/Shanghai",
			MemberIDs: []tack.ID{tack.NewID()}, DepartmentIDs: []tack.ID{tack.NewID()}, Workdays: []int{1, 2, 3, 4, 5},
			Shift:  &attendance.Shift{On: "09:00", Off: "18:00", Pairs: []attendance.Pair{{On: "09:00", Off: "18:00"}}},
			Places: []attendance.Place{{Name: "HQ", Lat: 31.2, Lng: 121.4, RadiusM: 300}}, Version: 1,
			CreatedAt: now().UTC(), UpdatedAt: now().UTC(), PlannedThrough: "2026-03-01"}
		targets := []attendance.Target{{OrgID: org, ID: g.MemberIDs[0], GroupID: g.ID, Kind: "member"}, {OrgID: org, ID: g.DepartmentIDs[0], GroupID: g.ID, Kind: "department"}}
		must(t, "create", s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: g, Targets: targets}}}))
		got, err := s.Group(ctx, org, g.ID)
		must(t, "group", err)
		if got.Name != "Office" || got.Version != 1 || got.PlannedThrough != "2026-03-01" || got.Shift == nil || got.Shift.On != "09:00" || len(got.Places) != 1 {
			t.Errorf("group = %+v", got)
		}
		_, err = s.Group(ctx, tack.NewID(), g.ID)
		wantNotFound(t, "group of another organisation", err)

		// A second group may not take a taken target; nothing of it stays.
		g2 := g
		g2.ID, g2.Name = tack.NewID(), "Other"
		err = s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: g2, Targets: []attendance.Target{
			{OrgID: org, ID: tack.NewID(), GroupID: g2.ID, Kind: "member"}, {OrgID: org, ID: g.MemberIDs[0], GroupID: g2.ID, Kind: "member"}}}}})
		wantCode(t, "taken target", err, tack.EConflict)
		_, err = s.Group(ctx, org, g2.ID)
		wantNotFound(t, "the failed group", err)

		// takes reports whether a new group may take target id.
		takes := func(id tack.ID) bool {
			probe := attendance.Group{ID: tack.NewID(), OrgID: org, Name: "probe", Version: 1, CreatedAt: now().UTC(), PlannedThrough: "2026-03-01"}
			err := s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: probe, Targets: []attendance.Target{{OrgID: org, ID: id, GroupID: probe.ID, Kind: "member"}}}}})
			if err == nil {
				must(t, "drop probe", s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: probe, Delete: true}}}))
				return true
			}
			wantCode(t, "probe", err, tack.EConflict)
			return false
		}
		if takes(g.MemberIDs[0]) || takes(g.DepartmentIDs[0]) || !takes(tack.NewID()) {
			t.Errorf("targets are not held by their group")
		}
		// The same ID in another organisation is another target.
		other := attendance.Group{ID: tack.NewID(), OrgID: tack.NewID(), Name: "elsewhere", Version: 1, CreatedAt: now().UTC(), PlannedThrough: "2026-03-01"}
		must(t, "same target elsewhere", s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: other,
			Targets: []attendance.Target{{OrgID: other.OrgID, ID: g.MemberIDs[0], GroupID: other.ID, Kind: "member"}}}}}))

		// Updates are compare-and-set on the version and replace targets.
		g.Version, g.Name = 2, "Office 2"
		free := tack.NewID()
		err = s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: g, PrevVersion: 5, Targets: targets[:1]}}})
		wantCode(t, "stale version", err, tack.EConflict)
		must(t, "update", s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: g, PrevVersion: 1,
			Targets: []attendance.Target{{OrgID: org, ID: free, GroupID: g.ID, Kind: "member"}}}}}))
		got, _ = s.Group(ctx, org, g.ID)
		if got.Version != 2 || got.Name != "Office 2" || got.PlannedThrough != "2026-03-01" {
			t.Errorf("updated = %+v", got)
		}
		if !takes(g.MemberIDs[0]) || takes(free) {
			t.Errorf("an update does not replace the targets")
		}

		// The planning cursor moves by compare-and-set.
		wantCode(t, "stale cursor", s.Apply(ctx, attendance.Batch{Plan: &attendance.PlanAdvance{OrgID: org, GroupID: g.ID, From: "2026-02-01", To: "2026-03-02"}}), tack.EConflict)
		must(t, "advance", s.Apply(ctx, attendance.Batch{Plan: &attendance.PlanAdvance{OrgID: org, GroupID: g.ID, From: "2026-03-01", To: "2026-03-02"}}))
		got, _ = s.Group(ctx, org, g.ID)
		if got.PlannedThrough != "2026-03-02" || got.Version != 2 {
			t.Errorf("after advance = %+v", got)
		}

		g3 := g
		g3.ID, g3.Name, g3.Version, g3.CreatedAt = tack.NewID(), "Third", 1, now().UTC()
		must(t, "third", s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: g3}}}))
		list, err := s.Groups(ctx, org)
		must(t, "groups", err)
		if len(list) != 2 || list[0].ID != g.ID || list[1].ID != g3.ID {
			t.Errorf("groups = %v", list)
		}
		all, err := s.AllGroups(ctx)
		must(t, "all groups", err)
		if len(all) < 2 {
			t.Errorf("all groups: %d", len(all))
		}
		must(t, "delete", s.Apply(ctx, attendance.Batch{Groups: []attendance.GroupWrite{{Group: g, Delete: true}}}))
		_, err = s.Group(ctx, org, g.ID)
		wantNotFound(t, "deleted group", err)
		if !takes(free) {
			t.Errorf("targets of a deleted group remain")
		}
	})

	t.Run("CalendarShiftsSchedules", func(t *testing.T) {
		s := open(t)
		org := tack.NewID()
		sh := attendance.Shift{ID: tack.NewID(), OrgID: org, Name: "Early", On: "06:00", Off: "14:00", CreatedAt: now().UTC()}
		must(t, "shift", s.Apply(ctx, attendance.Batch{Shifts: []attendance.Shift{sh}}))
		dup := sh
		dup.ID = tack.NewID()
		wantCode(t, "same name", s.Apply(ctx, attendance.Batch{Shifts: []attendance.Shift{dup}}), tack.EConflict)
		sh.Off = "15:00"
		must(t, "shift update", s.Apply(ctx, attendance.Batch{Shifts: []attendance.Shift{sh}}))
		got, err := s.Shift(ctx, org, sh.ID)
		must(t, "get shift", err)
		if got.Off != "15:00" || got.Name != "Early" {
			t.Errorf("shift = %+v", got)
		}
		_, err = s.Shift(ctx, tack.NewID(), sh.ID)
		wantNotFound(t, "shift of another organisation", err)

		must(t, "holidays", s.Apply(ctx, attendance.Batch{Holidays: []attendance.Holiday{
			{OrgID: org, Date: "2026-10-02", Kind: attendance.HolidayOff, Name: "国庆节"},
			{OrgID: org, Date: "2026-10-01", Kind: attendance.HolidayOff, Name: "国庆节"},
			{OrgID: org, Date: "2026-10-10", Kind: attendance.HolidayWork, Name: "调休"},
		}}))
		must(t, "holiday replace", s.Apply(ctx, attendance.Batch{Holidays: []attendance.Holiday{{OrgID: org, Date: "2026-10-10", Kind: attendance.HolidayOff, Name: "x"}},
			DeleteHolidays: []attendance.Holiday{{OrgID: org, Date: "2026-10-02"}}}))
		hs, err := s.Holidays(ctx, org, "2026-10-01", "2026-10-10")
		must(t, "holidays", err)
		if len(hs) != 2 || hs[0].Date != "2026-10-01" || hs[1].Kind != attendance.HolidayOff || hs[1].Name != "x" {
			t.Errorf("holidays = %+v", hs)
		}
		if hs, _ := s.Holidays(ctx, tack.NewID(), "2026-01-01", "2026-12-31"); len(hs) != 0 {
			t.Errorf("holidays of another organisation: %v", hs)
		}

		u1, u2, gid := tack.NewID(), tack.NewID(), tack.NewID()
		must(t, "schedules", s.Apply(ctx, attendance.Batch{Schedules: []attendance.Schedule{
			{OrgID: org, GroupID: gid, UserID: u1, Date: "2026-03-02", ShiftID: sh.ID},
			{OrgID: org, GroupID: gid, UserID: u1, Date: "2026-03-01", ShiftID: ""},
			{OrgID: org, GroupID: gid, UserID: u2, Date: "2026-03-02", ShiftID: sh.ID},
		}}))
		ss, err := s.Schedules(ctx, org, []tack.ID{u1}, "2026-03-01", "2026-03-31")
		must(t, "schedules of u1", err)
		if len(ss) != 2 || ss[0].Date != "2026-03-01" || ss[0].ShiftID != "" || ss[1].ShiftID != sh.ID {
			t.Errorf("schedules = %+v", ss)
		}
		all, _ := s.Schedules(ctx, org, nil, "2026-03-02", "2026-03-02")
		if len(all) != 2 {
			t.Errorf("schedules of all on a date: %+v", all)
		}
		inUse, err := s.ShiftInUse(ctx, org, sh.ID, "2026-03-01")
		must(t, "in use", err)
		if !inUse {
			t.Errorf("shift in use after 1 March")
		}
		if inUse, _ := s.ShiftInUse(ctx, org, sh.ID, "2026-03-02"); inUse {
			t.Errorf("shift in use after 2 March")
		}
		must(t, "unschedule", s.Apply(ctx, attendance.Batch{DeleteSchedules: []attendance.Schedule{{OrgID: org, UserID: u2, Date: "2026-03-02"}},
			DeleteShifts: []tack.ID{}}))
		if all, _ := s.Schedules(ctx, org, nil, "2026-03-02", "2026-03-02"); len(all) != 1 {
			t.Errorf("after delete: %+v", all)
		}
		must(t, "delete shift", s.Apply(ctx, attendance.Batch{DeleteShifts: []tack.ID{sh.ID}}))
		if list, _ := s.Shifts(ctx, org); len(list) != 0 {
			t.Errorf("shifts after delete: %v", list)
		}
	})

	t.Run("Days", func(t *testing.T) {
		s := open(t)
		org := tack.NewID()
		u1, u2 := tack.NewID(), tack.NewID()
		if u2 < u1 {
			u1, u2 = u2, u1
		}
		loc, _ := time.LoadLocation("Asia/Shanghai")
		on := time.Date(2026, 3, 4, 9, 0, 0, 0, loc).UTC()
		punchAt := now().UTC()
		d := attendance.Day{OrgID: org, UserID: u1, MemberID: tack.NewID(), GroupID: tack.NewID(), WorkDate: "2026-03-04", State: attendance.Open,
			Plan:   attendance.Plan{Kind: attendance.KindWork, TimeZone: "Asia/Shanghai", Pairs: []attendance.PlanPair{{On: on, Off: on.Add(9 * time.Hour)}}, ExpectedMinutes: 540},
			Checks: []attendance.Check{{Pair: 0, CheckType: attendance.OnDuty, BaseTime: on, UserTime: &punchAt, TimeResult: attendance.Late, Minutes: 3}},
			Covers: []attendance.Cover{{ID: tack.NewID(), Kind: attendance.CoverLeave, LeaveType: "annual", Start: on, End: on.Add(time.Hour)}},
			DueAt:  on.Add(15 * time.Hour), UpdatedAt: now()}
		p := attendance.Punch{ID: tack.NewID(), OrgID: org, UserID: u1, WorkDate: d.WorkDate, At: punchAt, CheckType: attendance.OnDuty,
			SourceType: attendance.SourceUser, LocationResult: attendance.Normal, Via: "place", Place: "HQ", DistanceM: ptr(110)}
		must(t, "insert", s.Apply(ctx, attendance.Batch{Punches: []attendance.Punch{p}, Days: []attendance.DayWrite{{Day: d, Mode: attendance.InsertDay}}}))
		// A second insert of the day fails, and the batch's punch with it.
		p2 := p
		p2.ID = tack.NewID()
		wantCode(t, "insert twice", s.Apply(ctx, attendance.Batch{Punches: []attendance.Punch{p2}, Days: []attendance.DayWrite{{Day: d, Mode: attendance.InsertDay}}}), tack.EConflict)
		if ps, _ := s.Punches(ctx, org, u1, "2026-03-04", "2026-03-04"); len(ps) != 1 {
			t.Errorf("a failed batch left its punch: %d punches", len(ps))
		}
		must(t, "insert if absent", s.Apply(ctx, attendance.Batch{Days: []attendance.DayWrite{{Day: d, Mode: attendance.InsertIfAbsent}}}))
		days, err := s.Days(ctx, org, []tack.ID{u1}, "2026-03-01", "2026-03-31")
		must(t, "days", err)
		if len(days) != 1 {
			t.Fatalf("days = %d", len(days))
		}
		got := days[0]
		if got.Rev != 1 || got.State != attendance.Open || got.Plan.ExpectedMinutes != 540 || len(got.Checks) != 1 || got.Checks[0].Minutes != 3 ||
			len(got.Covers) != 1 || got.Covers[0].LeaveType != "annual" || got.MemberID != d.MemberID {
			t.Errorf("day = %+v", got)
		}
		sameTime(t, "base time", got.Checks[0].BaseTime, on)
		sameTime(t, "user time", *got.Checks[0].UserTime, punchAt)
		sameTime(t, "due", got.DueAt, d.DueAt)
		sameTime(t, "pair on", got.Plan.Pairs[0].On, on)

		// Updates are compare-and-set on the revision.
		got.State = attendance.Closed
		got.Closes = 1
		closedAt := now()
		got.ClosedAt = &closedAt
		wantCode(t, "stale rev", s.Apply(ctx, attendance.Batch{Days: []attendance.DayWrite{{Day: got, Mode: attendance.UpdateDay, PrevRev: 7}}}), tack.EConflict)
		must(t, "update", s.Apply(ctx, attendance.Batch{Days: []attendance.DayWrite{{Day: got, Mode: attendance.UpdateDay, PrevRev: 1}}}))
		wantCode(t, "update again with the old rev", s.Apply(ctx, attendance.Batch{Days: []attendance.DayWrite{{Day: got, Mode: attendance.UpdateDay, PrevRev: 1}}}), tack.EConflict)
		days, _ = s.Days(ctx, org, nil, "2026-03-04", "2026-03-04")
		if len(days) != 1 || days[0].Rev != 2 || days[0].State != attendance.Closed || days[0].Closes != 1 || days[0].ClosedAt == nil {
			t.Errorf("after update: %+v", days)
		} else {
			sameTime(t, "closed at", *days[0].ClosedAt, closedAt)
		}
		d2 := d
		d2.UserID, d2.WorkDate = u2, "2026-03-05"
		d3 := d
		d3.WorkDate = "2026-03-03"
		must(t, "more", s.Apply(ctx, attendance.Batch{Days: []attendance.DayWrite{{Day: d2, Mode: attendance.InsertDay}, {Day: d3, Mode: attendance.InsertDay}}}))
		days, _ = s.Days(ctx, org, nil, "2026-03-01", "2026-03-31")
		var order []string
		for _, x := range days {
			order = append(order, fmt.Sprintf("%t/%s", x.UserID == u1, x.WorkDate))
		}
		if !slices.Equal(order, []string{"true/2026-03-03", "true/2026-03-04", "false/2026-03-05"}) {
			t.Errorf("order = %v", order)
		}
		if days, _ := s.Days(ctx, org, []tack.ID{u2}, "2026-03-01", "2026-03-04"); len(days) != 0 {
			t.Errorf("range: %v", days)
		}
		if days, _ := s.Days(ctx, tack.NewID(), nil, "2026-03-01", "2026-03-31"); len(days) != 0 {
			t.Errorf("days of another organisation: %v", days)
		}
	})

	t.Run("DaysSharingABody", func(t *testing.T) {
		// Many rows carry the same body (a group's planned days before
		// anyone punched); a store may decode it once. Whatever a caller
		// does to the days it got must not show in another read.
		s := open(t)
		org := tack.NewID()
		on := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
		punchAt, dist := on.Add(time.Minute), 120
		plan := attendance.Plan{Kind: attendance.KindWork, TimeZone: "Asia/Shanghai", ExpectedMinutes: 480,
			Pairs: []attendance.PlanPair{{On: on, Off: on.Add(9 * time.Hour)}}, Breaks: []attendance.PlanSpan{{From: on.Add(3 * time.Hour), To: on.Add(4 * time.Hour)}}}
		var writes []attendance.DayWrite
		var users []tack.ID
		for range 3 {
			u := tack.NewID()
			users = append(users, u)
			writes = append(writes, attendance.DayWrite{Mode: attendance.InsertDay, Day: attendance.Day{OrgID: org, UserID: u, MemberID: tack.NewID(),
				GroupID: tack.NewID(), WorkDate: "2026-03-04", State: attendance.Open, Plan: plan, DueAt: on.Add(15 * time.Hour), UpdatedAt: on,
				Checks:  []attendance.Check{{CheckType: attendance.OnDuty, BaseTime: on, UserTime: &punchAt, DistanceM: &dist, TimeResult: attendance.Normal}},
				Summary: attendance.Summary{Status: "open", LeaveMinutes: map[string]int{"annual": 60}},
				Covers:  []attendance.Cover{{ID: tack.NewID(), Kind: attendance.CoverLeave, LeaveType: "annual", Start: on, End: on.Add(time.Hour)}}}})
		}
		must(t, "insert", s.Apply(ctx, attendance.Batch{Days: writes}))
		check := func(what string) {
			t.Helper()
			for _, u := range users {
				days, err := s.Days(ctx, org, []tack.ID{u}, "2026-03-04", "2026-03-04")
				must(t, "days", err)
				if len(days) != 1 {
					t.Fatalf("%s: %d days", what, len(days))
				}
				d := days[0]
				if d.UserID != u || len(d.Plan.Pairs) != 1 || !d.Plan.Pairs[0].On.Equal(on) || len(d.Plan.Breaks) != 1 || len(d.Checks) != 1 ||
					d.Checks[0].UserTime == nil || !d.Checks[0].UserTime.Equal(punchAt) || d.Checks[0].DistanceM == nil || *d.Checks[0].DistanceM != 120 ||
					d.Summary.LeaveMinutes["annual"] != 60 || len(d.Summary.LeaveMinutes) != 1 || len(d.Covers) != 1 || d.Covers[0].LeaveType != "annual" {
					t.Fatalf("%s: day = %+v", what, d)
				}
				// Change everything this read returned.
				d.Plan.Pairs[0].On = on.Add(time.Hour)
				d.Plan.Breaks[0].To = on
				d.Checks[0].TimeResult = attendance.Late
				*d.Checks[0].UserTime = on.Add(time.Hour)
				*d.Checks[0].DistanceM = 999
				d.Checks = append(d.Checks, attendance.Check{CheckType: attendance.OffDuty})
				d.Summary.LeaveMinutes["sick"] = 5
				d.Covers[0].LeaveType = "sick"
			}
		}
		check("first read")
		check("second read")
		days, err := s.Days(ctx, org, nil, "2026-03-04", "2026-03-04")
		must(t, "days", err)
		if len(days) != 3 || days[0].Checks[0].TimeResult != attendance.Normal || days[2].Checks[0].TimeResult != attendance.Normal {
			t.Fatalf("all days: %+v", days)
		}
	})

	t.Run("ClaimDue", func(t *testing.T) {
		s := open(t)
		org := tack.NewID()
		base := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
		var ws []attendance.DayWrite
		for i := 0; i < 40; i++ {
			d := attendance.Day{OrgID: org, UserID: tack.NewID(), MemberID: tack.NewID(), GroupID: tack.NewID(), WorkDate: "2026-03-04",
				State: attendance.Open, DueAt: base.Add(time.Duration(i) * time.Minute), UpdatedAt: base}
			ws = append(ws, attendance.DayWrite{Day: d, Mode: attendance.InsertDay})
		}
		closed := ws[0].Day
		closed.UserID, closed.State = tack.NewID(), attendance.Closed
		ws = append(ws, attendance.DayWrite{Day: closed, Mode: attendance.InsertDay})
		must(t, "days", s.Apply(ctx, attendance.Batch{Days: ws}))
		at := base.Add(29*time.Minute + 30*time.Second) // 30 due
		var mu sync.Mutex
		seen := map[tack.ID]int{}
		var wg sync.WaitGroup
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.ClaimDue(ctx, at, at.Add(time.Minute), fmt.Sprint("node", w), 4)
					if err != nil {
						t.Errorf("claim: %v", err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						seen[d.UserID]++
						if d.State != attendance.Open || d.DueAt.After(at) {
							t.Errorf("claimed %+v", d)
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 30 {
			t.Errorf("claimed %d distinct days, want 30", len(seen))
		}
		for u, n := range seen {
			if n != 1 {
				t.Errorf("day of %s claimed %d times", u, n)
			}
		}
		// Leased days are not claimed again until the lease lapses.
		if got, _ := s.ClaimDue(ctx, at.Add(20*time.Second), at.Add(time.Minute), "x", 100); len(got) != 0 {
			t.Errorf("claimed %d leased days", len(got))
		}
		if got, _ := s.ClaimDue(ctx, at.Add(2*time.Minute), at.Add(3*time.Minute), "x", 100); len(got) != 32 {
			t.Errorf("after the lease: %d, want 32", len(got))
		}
	})

	t.Run("PunchesAndCoordinates", func(t *testing.T) {
		s := open(t)
		org, u := tack.NewID(), tack.NewID()
		t0 := now().UTC()
		lat, lng, acc := 31.23, 121.47, 25.0
		erase := t0.Add(24 * time.Hour)
		field := attendance.Punch{ID: tack.NewID(), OrgID: org, UserID: u, WorkDate: "2026-03-04", At: t0, CheckType: attendance.OnDuty,
			SourceType: attendance.SourceUser, LocationResult: attendance.Outside, Via: "field", Note: "client visit", Lat: &lat, Lng: &lng, AccuracyM: &acc, EraseAt: &erase}
		normal := attendance.Punch{ID: tack.NewID(), OrgID: org, UserID: u, WorkDate: "2026-03-04", At: t0.Add(time.Hour), CheckType: attendance.OffDuty,
			SourceType: attendance.SourceUser, LocationResult: attendance.Normal, Via: "network", Place: "office network 10.0.0.0/8", ClientReported: true}
		corr := attendance.Punch{ID: tack.NewID(), OrgID: org, UserID: u, WorkDate: "2026-03-05", At: t0.Add(2 * time.Hour), CheckType: attendance.OnDuty,
			SourceType: attendance.SourceApprove, LocationResult: attendance.Normal, Via: "correction", ApproveID: "ap-1"}
		must(t, "punches", s.Apply(ctx, attendance.Batch{Punches: []attendance.Punch{corr, normal, field}}))
		ps, err := s.Punches(ctx, org, u, "2026-03-04", "2026-03-05")
		must(t, "punches", err)
		if len(ps) != 3 || ps[0].ID != field.ID || ps[0].Lat == nil || *ps[0].Lat != lat || ps[0].EraseAt == nil || ps[1].Lat != nil || !ps[1].ClientReported || ps[2].ApproveID != "ap-1" {
			t.Fatalf("punches = %+v", ps)
		}
		n, err := s.CountCorrections(ctx, org, u, "2026-03-01", "2026-03-31")
		must(t, "count", err)
		if n != 1 {
			t.Errorf("corrections = %d", n)
		}
		if n, _ := s.EraseCoordinates(ctx, t0); n != 0 {
			t.Errorf("erased %d before their time", n)
		}
		n64, err := s.EraseCoordinates(ctx, erase)
		must(t, "erase", err)
		if n64 != 1 {
			t.Errorf("erased %d, want 1", n64)
		}
		ps, _ = s.Punches(ctx, org, u, "2026-03-04", "2026-03-04")
		if ps[0].Lat != nil || ps[0].Lng != nil || ps[0].AccuracyM != nil || ps[0].EraseAt != nil || ps[0].Note != "client visit" {
			t.Errorf("after erase: %+v", ps[0])
		}
	})

	t.Run("Covers", func(t *testing.T) {
		s := open(t)
		org, u := tack.NewID(), tack.NewID()
		t0 := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
		c := attendance.Cover{ID: tack.NewID(), OrgID: org, UserID: u, Kind: attendance.CoverLeave, LeaveType: "annual", Start: t0, End: t0.Add(48 * time.Hour),
			ApprovalID: "ap-7", Source: attendance.SourceApprove, CreatedAt: now()}
		must(t, "cover", s.Apply(ctx, attendance.Batch{Covers: []attendance.Cover{c}}))
		dup := c
		dup.ID = tack.NewID()
		wantCode(t, "same approval", s.Apply(ctx, attendance.Batch{Covers: []attendance.Cover{dup}}), tack.EConflict)
		for _, q := range []struct {
			from, to time.Time
			n        int
		}{{t0.Add(-time.Hour), t0, 0}, {t0.Add(-time.Hour), t0.Add(time.Second), 1}, {t0.Add(47 * time.Hour), t0.Add(50 * time.Hour), 1}, {t0.Add(48 * time.Hour), t0.Add(50 * time.Hour), 0}} {
			got, err := s.Covers(ctx, org, u, q.from, q.to)
			must(t, "covers", err)
			if len(got) != q.n {
				t.Errorf("covers in [%v, %v) = %d, want %d", q.from, q.to, len(got), q.n)
			}
			got, _ = s.CoversOf(ctx, org, q.from, q.to)
			if len(got) != q.n {
				t.Errorf("covers of org in [%v, %v) = %d, want %d", q.from, q.to, len(got), q.n)
			}
		}
		got, err := s.CoverByApproval(ctx, org, "ap-7")
		must(t, "by approval", err)
		if got.ID != c.ID || got.LeaveType != "annual" {
			t.Errorf("cover = %+v", got)
		}
		sameTime(t, "cover start", got.Start, t0)
		_, err = s.CoverByApproval(ctx, tack.NewID(), "ap-7")
		wantNotFound(t, "approval of another organisation", err)
		must(t, "delete", s.Apply(ctx, attendance.Batch{DeleteCovers: []tack.ID{c.ID}}))
		_, err = s.CoverByApproval(ctx, org, "ap-7")
		wantNotFound(t, "deleted cover", err)
	})

	t.Run("ViewsAuditQuiet", func(t *testing.T) {
		s := open(t)
		org, me, boss := tack.NewID(), tack.NewID(), tack.NewID()
		var vs []attendance.View
		for i := 0; i < 5; i++ {
			vs = append(vs, attendance.View{ID: tack.NewID(), OrgID: org, ViewerID: boss, SubjectID: me, What: "records", From: "2026-03-01", To: "2026-03-31", At: now()})
		}
		vs = append(vs, attendance.View{ID: tack.NewID(), OrgID: org, ViewerID: me, SubjectID: boss, What: "report", At: now()})
		must(t, "views", s.Apply(ctx, attendance.Batch{Views: vs}))
		got, err := s.Views(ctx, org, me, "", 3)
		must(t, "views", err)
		if len(got) != 3 || got[0].ID != vs[4].ID || got[2].ID != vs[2].ID || got[0].ViewerID != boss || got[0].From != "2026-03-01" {
			t.Errorf("views = %+v", got)
		}
		got, _ = s.Views(ctx, org, me, got[2].ID, 10)
		if len(got) != 2 || got[0].ID != vs[1].ID {
			t.Errorf("next page = %+v", got)
		}
		a := attendance.Audit{ID: tack.NewID(), OrgID: org, ActorID: boss, Action: "group.create", Target: "g1", Detail: map[string]any{"name": "HQ"}, At: now()}
		must(t, "audit", s.Apply(ctx, attendance.Batch{Audit: []attendance.Audit{a}}))
		log, err := s.AuditLog(ctx, org, "", 10)
		must(t, "audit log", err)
		if len(log) != 1 || log[0].Action != "group.create" || log[0].Detail.(map[string]any)["name"] != "HQ" {
			t.Errorf("audit = %+v", log)
		}
		p, err := s.QuietPrefs(ctx, me)
		must(t, "quiet", err)
		if p.TimeZone != "" || len(p.Extra) != 0 {
			t.Errorf("zero prefs = %+v", p)
		}
		want := attendance.QuietPrefs{TimeZone: "Asia/Shanghai", Extra: []attendance.QuietRange{{Days: []int{6, 7}, From: "00:00", To: "23:59"}}}
		must(t, "put quiet", s.PutQuietPrefs(ctx, me, want))
		must(t, "put quiet again", s.PutQuietPrefs(ctx, me, want))
		p, _ = s.QuietPrefs(ctx, me)
		if p.TimeZone != "Asia/Shanghai" || len(p.Extra) != 1 || !slices.Equal(p.Extra[0].Days, []int{6, 7}) {
			t.Errorf("prefs = %+v", p)
		}
	})
}

func ptr[T any](v T) *T { return &v }

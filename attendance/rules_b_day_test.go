package attendance

import (
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// rbPunch adds a punch at tm (by way vias: place, field, ...) to the day.
func rbPunch(p Plan, cs []Check, tm time.Time, via string) []Check {
	cs, _ = slotPunch(p, cs, Check{UserTime: &tm, SourceType: SourceUser, LocationResult: Normal, Via: via, PunchID: tack.NewID()})
	return cs
}

func rbCover(kind string, from, to time.Time) Cover {
	c := Cover{ID: tack.NewID(), Kind: kind, Start: from, End: to, ApprovalID: "ap-" + kind, Source: SourceApprove}
	if kind == CoverLeave {
		c.LeaveType = "annual"
	}
	return c
}

// TestUnpunchedChecksKeepTheirShiftTimes: before anyone punches, each
// expected check carries its own time: on duty the pair's on time, off
// duty its off time.
func TestUnpunchedChecksKeepTheirShiftTimes(t *testing.T) {
	g := fixedGroup(t, "Asia/Shanghai", Shift{Pairs: []Pair{{"09:00", "12:00"}, {"13:00", "18:00"}}})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	cs, _ := judge(p, nil, nil, false)
	for k, pr := range p.Pairs {
		if on := find(cs, k, OnDuty); !on.BaseTime.Equal(pr.On) {
			t.Errorf("pair %d on duty at %v, want %v", k, on.BaseTime, pr.On)
		}
		if off := find(cs, k, OffDuty); !off.BaseTime.Equal(pr.Off) {
			t.Errorf("pair %d off duty at %v, want %v", k, off.BaseTime, pr.Off)
		}
	}
}

// TestDaySummaryCounts: a day's summary counts each late check (serious
// ones also apart), each early one with their minutes, and field punches.
func TestDaySummaryCounts(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{Pairs: []Pair{{"09:00", "12:00"}, {"13:00", "18:00"}}})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	d := "2026-03-04 "
	var cs []Check
	cs = rbPunch(p, cs, at(loc, d+"09:05:00"), "place")
	cs = rbPunch(p, cs, at(loc, d+"12:00:00"), "field")
	cs = rbPunch(p, cs, at(loc, d+"13:40:00"), "place")
	cs = rbPunch(p, cs, at(loc, d+"17:50:00"), "field")
	_, sum := judge(p, cs, nil, true)
	want := Summary{LateCount: 2, LateMinutes: 45, SeriousLateCount: 1, EarlyCount: 1, EarlyMinutes: 10, FieldPunches: 2, Status: "late"}
	if sum.LateCount != want.LateCount || sum.LateMinutes != want.LateMinutes || sum.SeriousLateCount != want.SeriousLateCount ||
		sum.EarlyCount != want.EarlyCount || sum.EarlyMinutes != want.EarlyMinutes || sum.FieldPunches != want.FieldPunches || sum.Status != want.Status {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	// Only early: the day reads early.
	cs = nil
	cs = rbPunch(p, cs, at(loc, d+"08:55:00"), "place")
	cs = rbPunch(p, cs, at(loc, d+"12:00:00"), "place")
	cs = rbPunch(p, cs, at(loc, d+"13:00:00"), "place")
	cs = rbPunch(p, cs, at(loc, d+"17:30:00"), "place")
	if _, sum = judge(p, cs, nil, true); sum.EarlyCount != 1 || sum.EarlyMinutes != 30 || sum.LateCount != 0 || sum.FieldPunches != 0 || sum.Status != "early" {
		t.Errorf("early day: %+v", sum)
	}
	// A rest day counts its field punches too.
	sat := planFor(g, date("2026-03-07"), nil, nil, nil)
	cs = nil
	cs = rbPunch(sat, cs, at(loc, "2026-03-07 10:00:00"), "field")
	cs = rbPunch(sat, cs, at(loc, "2026-03-07 12:00:00"), "field")
	if _, sum = judge(sat, cs, nil, true); sum.FieldPunches != 2 || sum.OvertimeMinutes != 120 {
		t.Errorf("rest day in the field: %+v", sum)
	}
	cs = nil
	cs = rbPunch(sat, cs, at(loc, "2026-03-07 10:00:00"), "place")
	cs = rbPunch(sat, cs, at(loc, "2026-03-07 12:00:00"), "network")
	if _, sum = judge(sat, cs, nil, true); sum.FieldPunches != 0 {
		t.Errorf("rest day at the office: %+v", sum)
	}
}

// TestAbsentMinutesLeaveOutCoveredTime: a closed workday without punches
// that leave covers in part is absent for the rest of its working time.
func TestAbsentMinutesLeaveOutCoveredTime(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00", Breaks: []Span{{"12:00", "13:00"}}})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	morning := []Cover{rbCover(CoverLeave, at(loc, "2026-03-04 09:00:00"), at(loc, "2026-03-04 13:00:00"))}
	_, sum := judge(p, nil, morning, true)
	if !sum.Absent || sum.AbsentMinutes != 300 || sum.LeaveMinutes["annual"] != 180 || sum.Status != "absent" {
		t.Errorf("morning leave, no punch: %+v", sum)
	}
	// Leave over the lunch break only covers no working minute: nothing is
	// counted as leave.
	lunch := []Cover{rbCover(CoverLeave, at(loc, "2026-03-04 12:00:00"), at(loc, "2026-03-04 13:00:00"))}
	cs, sum := punchAll(p, true, lunch, at(loc, "2026-03-04 09:00:00"), at(loc, "2026-03-04 18:00:00"))
	if sum.LeaveMinutes != nil || sum.Status != "normal" || find(cs, 0, OnDuty).TimeResult != Normal {
		t.Errorf("leave over lunch: %+v", sum)
	}
}

// TestCoveredDayStatus: a workday whose every check is covered reads as
// the kind of cover (leave first, then trip, then outing); covers that
// hold no whole working minute read as leave.
func TestCoveredDayStatus(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	whole := func(kind string) []Cover {
		return []Cover{rbCover(kind, at(loc, "2026-03-04 00:00:00"), at(loc, "2026-03-05 00:00:00"))}
	}
	for _, c := range []struct {
		name   string
		covers []Cover
		want   string
	}{
		{"leave", whole(CoverLeave), "leave"},
		{"trip", whole(CoverTrip), "trip"},
		{"outing", whole(CoverOuting), "outing"},
		{"outing and trip", append(whole(CoverOuting), whole(CoverTrip)...), "trip"},
		{"leave and outing", append(whole(CoverOuting), whole(CoverLeave)...), "leave"},
		{"seconds of leave at each check", []Cover{
			rbCover(CoverLeave, at(loc, "2026-03-04 08:59:30"), at(loc, "2026-03-04 09:00:30")),
			rbCover(CoverLeave, at(loc, "2026-03-04 17:59:30"), at(loc, "2026-03-04 18:00:30")),
		}, "leave"},
	} {
		for _, closed := range []bool{false, true} {
			if _, sum := judge(p, nil, c.covers, closed); sum.Status != c.want || sum.Absent {
				t.Errorf("%s (closed %v): %s, want %s", c.name, closed, sum.Status, c.want)
			}
		}
	}
}

// TestTripDayWithoutWork: a day with trip time and no worked time reads
// as trip; trip time beside work, or no trip, reads normal.
func TestTripDayWithoutWork(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	d := "2026-03-04 "
	morning := func(kind string) []Cover {
		return []Cover{rbCover(kind, at(loc, d+"09:00:00"), at(loc, d+"13:00:00"))}
	}
	for _, c := range []struct {
		name    string
		covers  []Cover
		punches []string
		want    string
	}{
		{"trip in the morning, off punch only", morning(CoverTrip), []string{"18:00:00"}, "trip"},
		{"trip in the morning, then work", morning(CoverTrip), []string{"13:00:00", "18:00:00"}, "normal"},
		{"leave in the morning, off punch only", morning(CoverLeave), []string{"18:00:00"}, "normal"},
	} {
		var times []time.Time
		for _, s := range c.punches {
			times = append(times, at(loc, d+s))
		}
		_, sum := punchAll(p, true, c.covers, times...)
		if sum.Status != c.want {
			t.Errorf("%s: %s (%+v), want %s", c.name, sum.Status, sum, c.want)
		}
	}
}

// TestFreeDayNotSigned: a closed free-hours day with punches is signed; one
// without punches that a cover holds in part has the rest not signed.
func TestFreeDayNotSigned(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	free := Group{ID: tack.NewID(), Name: "F", Kind: Free, TimeZone: "Asia/Shanghai", Workdays: []int{1, 2, 3, 4, 5}, FieldPunch: true, FieldRetentionDays: 30}
	if err := free.validate(); err != nil {
		t.Fatal(err)
	}
	p := planFor(free, date("2026-03-04"), nil, nil, nil)
	_, sum := punchAll(p, true, nil, at(loc, "2026-03-04 10:00:00"), at(loc, "2026-03-04 18:00:00"))
	if sum.NotSigned != 0 || sum.Absent || sum.Status != "normal" {
		t.Errorf("free day with punches: %+v", sum)
	}
	half := []Cover{rbCover(CoverTrip, at(loc, "2026-03-04 00:00:00"), at(loc, "2026-03-04 12:00:00"))}
	_, sum = judge(p, nil, half, true)
	if sum.NotSigned != 1 || sum.Absent || sum.Status != "not_signed" {
		t.Errorf("free day half on a trip, no punch: %+v", sum)
	}
}

// TestCorrectionsReadAsApproved: a make-up punch approved by an approval
// reads approve_type "correction" with its approval; an admin's
// correction has no approve_type.
func TestCorrectionsReadAsApproved(t *testing.T) {
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	for _, c := range []struct {
		source, approval, want string
	}{{SourceApprove, "ap9", "correction"}, {SourceAdmin, "", ""}} {
		base := p.Pairs[0].On
		cs := p.slots(nil)
		cs[0] = Check{Pair: 0, CheckType: OnDuty, BaseTime: base, UserTime: &base, SourceType: c.source, LocationResult: Normal,
			Via: "correction", ApproveID: c.approval, Correction: true}
		cs, _ = judge(p, cs, nil, true)
		if on := find(cs, 0, OnDuty); on.ApproveType != c.want || on.ApproveID != c.approval || on.TimeResult != Normal {
			t.Errorf("%s correction: approve_type %q, approve_id %q, %s", c.source, on.ApproveType, on.ApproveID, on.TimeResult)
		}
	}
}

package attendance

import (
	"testing"
	"time"

	"github.com/tackhq/tack"
)

func mustLoc(t *testing.T, tz string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func date(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// at is a wall time in loc: "2006-01-02 15:04:05".
func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func fixedGroup(t *testing.T, tz string, sh Shift) Group {
	t.Helper()
	g := Group{ID: tack.NewID(), Name: "G", Kind: Fixed, TimeZone: tz, Shift: &sh, Workdays: []int{1, 2, 3, 4, 5},
		FollowCalendar: true, FieldPunch: true, MakeupQuota: 3, MakeupDays: 7, FieldRetentionDays: 30, Version: 1}
	if err := g.validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return g
}

// punchAll puts punches at the times into a day of plan p and judges it.
func punchAll(p Plan, closed bool, covers []Cover, times ...time.Time) ([]Check, Summary) {
	var cs []Check
	for _, tm := range times {
		tm := tm
		cs, _ = slotPunch(p, cs, Check{UserTime: &tm, SourceType: SourceUser, LocationResult: Normal, Via: "place", PunchID: tack.NewID()})
	}
	return judge(p, cs, covers, closed)
}

func find(cs []Check, pair int, ct string) Check {
	for _, c := range cs {
		if c.Pair == pair && c.CheckType == ct {
			return c
		}
	}
	return Check{}
}

// TestOnDutyResults: lateness against 09:00 with the default thresholds
// (serious after 30 min, absent after 240), minute precision, and the
// split between on- and off-duty punches halfway through the pair.
func TestOnDutyResults(t *testing.T) {
	sh := Shift{On: "09:00", Off: "18:00"}
	for _, tz := range []string{"Asia/Shanghai", "America/New_York", "UTC", "Pacific/Chatham"} {
		loc := mustLoc(t, tz)
		g := fixedGroup(t, tz, sh)
		p := planFor(g, date("2026-03-04"), nil, nil, nil)
		for _, c := range []struct {
			clock   string
			ct      string
			result  string
			minutes int
		}{
			{"07:00:00", OnDuty, Normal, 0},
			{"08:59:59", OnDuty, Normal, 0},
			{"09:00:59", OnDuty, Normal, 0},
			{"09:01:00", OnDuty, Late, 1},
			{"09:30:00", OnDuty, Late, 30},
			{"09:31:00", OnDuty, SeriousLate, 31},
			{"13:00:00", OnDuty, SeriousLate, 240},
			{"13:01:00", OnDuty, Absenteeism, 241},
			{"13:29:59", OnDuty, Absenteeism, 269},
			{"13:30:00", OffDuty, Early, 270},
			{"17:59:30", OffDuty, Early, 1},
			{"18:00:00", OffDuty, Normal, 0},
			{"23:59:00", OffDuty, Normal, 0},
		} {
			cs, _ := punchAll(p, false, nil, at(loc, "2026-03-04 "+c.clock))
			got := find(cs, 0, c.ct)
			if got.UserTime == nil || got.TimeResult != c.result || got.Minutes != c.minutes {
				t.Errorf("%s %s: %s = %s %d, want %s %d", tz, c.clock, c.ct, got.TimeResult, got.Minutes, c.result, c.minutes)
			}
		}
	}
}

// TestFirstOnLastOff: the first on-duty punch counts; later punches are
// off duty, the last replacing the earlier.
func TestFirstOnLastOff(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	cs, sum := punchAll(p, false, nil, at(loc, "2026-03-04 08:50:00"), at(loc, "2026-03-04 08:55:00"), at(loc, "2026-03-04 17:00:00"), at(loc, "2026-03-04 18:05:00"))
	on, off := find(cs, 0, OnDuty), find(cs, 0, OffDuty)
	if !on.UserTime.Equal(at(loc, "2026-03-04 08:50:00")) || on.TimeResult != Normal {
		t.Errorf("on = %v %s", on.UserTime, on.TimeResult)
	}
	if !off.UserTime.Equal(at(loc, "2026-03-04 18:05:00")) || off.TimeResult != Normal {
		t.Errorf("off = %v %s", off.UserTime, off.TimeResult)
	}
	if sum.WorkedMinutes != 540 || sum.OvertimeMinutes != 5 || sum.Status != "normal" {
		t.Errorf("summary %+v", sum)
	}
}

// TestFlexibleMinutes: "forgive" forgives up to N minutes; "late_out"
// forgives them if the person leaves as much later.
func TestFlexibleMinutes(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	day := "2026-03-04 "
	for _, c := range []struct {
		mode      string
		on, off   string
		onResult  string
		onMin     int
		offResult string
		offMin    int
	}{
		{"forgive", "09:10:00", "18:00:00", Normal, 0, Normal, 0},
		{"forgive", "09:11:00", "18:00:00", Late, 11, Normal, 0},
		{"late_out", "09:20:00", "18:10:00", Normal, 0, Early, 10},
		{"late_out", "09:20:00", "18:20:00", Normal, 0, Normal, 0},
		{"late_out", "09:29:00", "18:29:00", Normal, 0, Normal, 0},
		{"late_out", "08:50:00", "18:00:00", Normal, 0, Normal, 0},
	} {
		g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00", FlexMinutes: map[string]int{"forgive": 10, "late_out": 29}[c.mode], FlexMode: c.mode})
		p := planFor(g, date("2026-03-04"), nil, nil, nil)
		cs, _ := punchAll(p, true, nil, at(loc, day+c.on), at(loc, day+c.off))
		on, off := find(cs, 0, OnDuty), find(cs, 0, OffDuty)
		if on.TimeResult != c.onResult || on.Minutes != c.onMin || off.TimeResult != c.offResult || off.Minutes != c.offMin {
			t.Errorf("%s %s–%s: on %s %d, off %s %d; want %s %d, %s %d", c.mode, c.on, c.off, on.TimeResult, on.Minutes,
				off.TimeResult, off.Minutes, c.onResult, c.onMin, c.offResult, c.offMin)
		}
	}
}

// TestDST: shifts are wall-clock times; a night shift across the change
// lasts an hour less (March) or more (November), and day shifts keep
// their wall times.
func TestDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	night := Shift{On: "22:00", Off: "06:00"}
	day := Shift{On: "09:00", Off: "18:00"}
	for _, c := range []struct {
		name     string
		sh       Shift
		date     string
		weekdays []int
		on, off  string // UTC
		expected int
	}{
		{"night into spring forward", night, "2026-03-07", []int{6}, "2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z", 420},
		{"night into fall back", night, "2026-10-31", []int{6}, "2026-11-01T02:00:00Z", "2026-11-01T11:00:00Z", 540},
		{"day of spring forward", day, "2026-03-08", []int{7}, "2026-03-08T13:00:00Z", "2026-03-08T22:00:00Z", 540},
		{"day of fall back", day, "2026-11-01", []int{7}, "2026-11-01T14:00:00Z", "2026-11-01T23:00:00Z", 540},
		{"night before spring", night, "2026-03-06", []int{5}, "2026-03-07T03:00:00Z", "2026-03-07T11:00:00Z", 480},
	} {
		g := fixedGroup(t, "America/New_York", c.sh)
		g.Workdays = c.weekdays
		p := planFor(g, date(c.date), nil, nil, nil)
		if p.Kind != KindWork {
			t.Fatalf("%s: not a work day", c.name)
		}
		on, _ := time.Parse(time.RFC3339, c.on)
		off, _ := time.Parse(time.RFC3339, c.off)
		if !p.Pairs[0].On.Equal(on) || !p.Pairs[0].Off.Equal(off) || p.ExpectedMinutes != c.expected {
			t.Errorf("%s: %v–%v (%d min), want %v–%v (%d)", c.name, p.Pairs[0].On, p.Pairs[0].Off, p.ExpectedMinutes, on, off, c.expected)
		}
	}
	// A punch at 05:59 EDT on 8 March belongs to the night of 7 March and
	// is one minute early; the whole night worked is 7 hours.
	g := fixedGroup(t, "America/New_York", night)
	g.Workdays = []int{1, 2, 3, 4, 5, 6, 7}
	plans := []Plan{planFor(g, date("2026-03-07"), nil, nil, nil), planFor(g, date("2026-03-08"), nil, nil, nil), planFor(g, date("2026-03-09"), nil, nil, nil)}
	tIn := at(ny, "2026-03-07 21:58:00")
	tOut := at(ny, "2026-03-08 05:59:00")
	for _, tm := range []time.Time{tIn, tOut} {
		i, err := chooseDate(plans, tm)
		if err != nil || i != 0 {
			t.Errorf("punch at %v: day %d, %v; want the 7th", tm, i, err)
		}
	}
	cs, sum := punchAll(plans[0], true, nil, tIn, tOut)
	if off := find(cs, 0, OffDuty); off.TimeResult != Early || off.Minutes != 1 {
		t.Errorf("off: %s %d", off.TimeResult, off.Minutes)
	}
	if sum.WorkedMinutes != 419 {
		t.Errorf("worked %d, want 419", sum.WorkedMinutes)
	}
}

// TestOvernightAndMonthEnds: an overnight shift belongs to the day it
// starts, across month ends and 29 February.
func TestOvernightAndMonthEnds(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "22:00", Off: "06:00"})
	g.Workdays = []int{1, 2, 3, 4, 5, 6, 7}
	for _, c := range []struct{ start, next, punch string }{
		{"2028-02-28", "2028-02-29", "2028-02-29 05:30:00"},
		{"2028-02-29", "2028-03-01", "2028-03-01 05:30:00"},
		{"2026-02-28", "2026-03-01", "2026-03-01 05:30:00"},
		{"2026-01-31", "2026-02-01", "2026-02-01 05:30:00"},
		{"2026-12-31", "2027-01-01", "2027-01-01 05:30:00"},
	} {
		d := date(c.start)
		plans := []Plan{planFor(g, d, nil, nil, nil), planFor(g, d.AddDate(0, 0, 1), nil, nil, nil), planFor(g, d.AddDate(0, 0, 2), nil, nil, nil)}
		if got := plans[0].Pairs[0].Off.In(loc).Format("2006-01-02 15:04"); got != c.next+" 06:00" {
			t.Errorf("%s: off at %s, want %s 06:00", c.start, got, c.next)
		}
		i, err := chooseDate(plans, at(loc, c.punch))
		if err != nil || i != 0 {
			t.Errorf("%s: punch at %s went to day %d (%v)", c.start, c.punch, i, err)
		}
		if plans[0].ExpectedMinutes != 480 {
			t.Errorf("%s: expected %d", c.start, plans[0].ExpectedMinutes)
		}
	}
	// 29 February is an ordinary Tuesday of a Monday–Friday group.
	g2 := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	if p := planFor(g2, date("2028-02-29"), nil, nil, nil); p.Kind != KindWork {
		t.Errorf("29 February 2028: %s", p.Kind)
	}
}

// TestHolidaysAndMakeupDays: the calendar turns workdays into holidays
// and weekends into make-up workdays (调休) unless the group opts out.
func TestHolidaysAndMakeupDays(t *testing.T) {
	pre, err := preset("cn-2026")
	if err != nil {
		t.Fatal(err)
	}
	hols := map[string]*Holiday{}
	for i := range pre.Holidays {
		hols[pre.Holidays[i].Date] = &pre.Holidays[i]
	}
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	for _, c := range []struct {
		date   string
		kind   string
		reason string
	}{
		{"2026-10-01", KindRest, "holiday"},        // Thursday, National Day
		{"2026-10-07", KindRest, "holiday"},        // Wednesday
		{"2026-10-08", KindWork, "weekly"},         // Thursday after
		{"2026-10-10", KindWork, "makeup_workday"}, // Saturday worked
		{"2026-09-20", KindWork, "makeup_workday"}, // Sunday worked
		{"2026-02-14", KindWork, "makeup_workday"},
		{"2026-02-16", KindRest, "holiday"},
		{"2026-01-04", KindWork, "makeup_workday"},
		{"2026-10-11", KindRest, "weekly"},
	} {
		p := planFor(g, date(c.date), hols[c.date], nil, nil)
		if p.Kind != c.kind || p.Reason != c.reason {
			t.Errorf("%s: %s (%s), want %s (%s)", c.date, p.Kind, p.Reason, c.kind, c.reason)
		}
	}
	g.FollowCalendar = false
	if p := planFor(g, date("2026-10-01"), hols["2026-10-01"], nil, nil); p.Kind != KindWork {
		t.Errorf("a group that ignores the calendar works on 1 October")
	}
	if p := planFor(g, date("2026-10-10"), hols["2026-10-10"], nil, nil); p.Kind != KindRest {
		t.Errorf("a group that ignores the calendar rests on Saturday 10 October")
	}
	// The preset is consistent: 2026 has the statutory days and make-up
	// Saturdays and Sundays only.
	for _, h := range pre.Holidays {
		wd := isoWeekday(date(h.Date))
		if h.Kind == HolidayWork && wd < 6 {
			t.Errorf("%s is a make-up workday on a weekday", h.Date)
		}
	}
}

// TestMultiPair: two pairs split at the lunch break; windows meet halfway.
func TestMultiPair(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{Pairs: []Pair{{"09:00", "12:00"}, {"13:00", "18:00"}}})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	if p.ExpectedMinutes != 480 || len(p.Pairs) != 2 {
		t.Fatalf("plan %+v", p)
	}
	d := "2026-03-04 "
	cs, sum := punchAll(p, true, nil, at(loc, d+"08:55:00"), at(loc, d+"12:20:00"), at(loc, d+"12:40:00"), at(loc, d+"17:50:00"))
	for _, c := range []struct {
		pair   int
		ct     string
		result string
	}{{0, OnDuty, Normal}, {0, OffDuty, Normal}, {1, OnDuty, Normal}, {1, OffDuty, Early}} {
		if got := find(cs, c.pair, c.ct); got.TimeResult != c.result {
			t.Errorf("pair %d %s: %s, want %s", c.pair, c.ct, got.TimeResult, c.result)
		}
	}
	if sum.EarlyMinutes != 10 || sum.WorkedMinutes != 470 {
		t.Errorf("summary %+v", sum)
	}
}

// TestDayClose: close turns missing checks into NotSigned; a day with no
// punch is absent; leave covers its checks and is never absent.
func TestDayClose(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00", Breaks: []Span{{"12:00", "13:00"}}})
	p := planFor(g, date("2026-03-04"), nil, nil, nil)
	if p.ExpectedMinutes != 480 {
		t.Fatalf("expected %d", p.ExpectedMinutes)
	}
	cs, sum := judge(p, nil, nil, true)
	if find(cs, 0, OnDuty).TimeResult != NotSigned || find(cs, 0, OffDuty).TimeResult != NotSigned || !sum.Absent || sum.AbsentMinutes != 480 || sum.Status != "absent" {
		t.Errorf("no punch: %+v %+v", cs, sum)
	}
	cs, sum = punchAll(p, true, nil, at(loc, "2026-03-04 08:59:00"))
	if find(cs, 0, OffDuty).TimeResult != NotSigned || sum.Absent || sum.NotSigned != 1 || sum.Status != "not_signed" {
		t.Errorf("on only: %+v", sum)
	}
	if find(cs, 0, OffDuty).SourceType != SourceSystem {
		t.Errorf("a missing check is SYSTEM")
	}
	// Before close, nothing is NotSigned.
	cs, sum = judge(p, nil, nil, false)
	if find(cs, 0, OnDuty).TimeResult != "" || sum.Status != Open || sum.Absent {
		t.Errorf("open day: %+v %+v", cs, sum)
	}
	leave := []Cover{{ID: tack.NewID(), Kind: CoverLeave, LeaveType: "annual", Start: at(loc, "2026-03-04 00:00:00"), End: at(loc, "2026-03-05 00:00:00"), ApprovalID: "ap1", Source: SourceApprove}}
	cs, sum = judge(p, nil, leave, true)
	for _, c := range cs {
		if c.TimeResult != Normal || c.SourceType != SourceApprove || c.ApproveType != CoverLeave || c.LeaveType != "annual" || c.ApproveID != "ap1" {
			t.Errorf("leave check: %+v", c)
		}
	}
	if sum.Absent || sum.Status != "leave" || sum.LeaveMinutes["annual"] != 480 || sum.NotSigned != 0 {
		t.Errorf("leave day: %+v", sum)
	}
	// Leave in the morning: lateness counts from the leave's end.
	half := []Cover{{ID: tack.NewID(), Kind: CoverLeave, LeaveType: "personal", Start: at(loc, "2026-03-04 09:00:00"), End: at(loc, "2026-03-04 13:00:00"), ApprovalID: "ap2", Source: SourceApprove}}
	cs, sum = punchAll(p, true, half, at(loc, "2026-03-04 13:05:00"), at(loc, "2026-03-04 18:00:00"))
	if on := find(cs, 0, OnDuty); on.TimeResult != Late || on.Minutes != 5 {
		t.Errorf("after morning leave: %s %d", on.TimeResult, on.Minutes)
	}
	if sum.LeaveMinutes["personal"] != 180 || sum.Absent {
		t.Errorf("half day: %+v", sum)
	}
}

// TestRestAndFreeDays: a rest day takes punches as first and last, all
// overtime; free hours count worked time against the expected minutes.
func TestRestAndFreeDays(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	sat := planFor(g, date("2026-03-07"), nil, nil, nil)
	if sat.Kind != KindRest {
		t.Fatal("Saturday is rest")
	}
	cs, sum := punchAll(sat, true, nil, at(loc, "2026-03-07 10:00:00"), at(loc, "2026-03-07 11:00:00"), at(loc, "2026-03-07 12:30:00"))
	if len(cs) != 2 || sum.OvertimeMinutes != 150 || sum.Absent || sum.Status != "rest" {
		t.Errorf("rest day: %d checks, %+v", len(cs), sum)
	}
	free := Group{ID: tack.NewID(), Name: "F", Kind: Free, TimeZone: "Asia/Shanghai", Workdays: []int{1, 2, 3, 4, 5}, FieldPunch: true, FieldRetentionDays: 30}
	if err := free.validate(); err != nil {
		t.Fatal(err)
	}
	p := planFor(free, date("2026-03-04"), nil, nil, nil)
	cs, sum = punchAll(p, true, nil, at(loc, "2026-03-04 10:00:00"), at(loc, "2026-03-04 19:30:00"))
	if p.Kind != KindFree || sum.WorkedMinutes != 570 || sum.OvertimeMinutes != 90 || find(cs, 0, OffDuty).TimeResult != Normal {
		t.Errorf("free day: %+v", sum)
	}
	_, sum = judge(p, nil, nil, true)
	if !sum.Absent {
		t.Errorf("a free workday without punches is absent")
	}
}

// TestNotInWindow: a punch between windows is refused with the time the
// next window opens.
func TestNotInWindow(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00"})
	d := date("2026-03-04")
	plans := []Plan{planFor(g, d.AddDate(0, 0, -1), nil, nil, nil), planFor(g, d, nil, nil, nil), planFor(g, d.AddDate(0, 0, 1), nil, nil, nil)}
	_, err := chooseDate(plans, at(loc, "2026-03-04 03:00:00"))
	if tack.ErrorCode(err) != ENotInWindow || tack.ErrorMessage(err) != "punching opens at 07:00 (your shift starts at 09:00)" {
		t.Errorf("03:00: %v", err)
	}
	if i, err := chooseDate(plans, at(loc, "2026-03-04 23:59:00")); i != 1 || err != nil {
		t.Errorf("23:59: %d %v", i, err)
	}
}

// TestShiftValidation: bad shifts are refused with the field at fault.
func TestShiftValidation(t *testing.T) {
	for _, c := range []struct {
		sh    Shift
		field string
	}{
		{Shift{On: "9", Off: "18:00"}, "shift.pairs[0].on"},
		{Shift{On: "09:00", Off: "24:00"}, "shift.pairs[0].off"},
		{Shift{Pairs: []Pair{{"09:00", "12:00"}, {"11:00", "18:00"}, {"19:00", "20:00"}, {"21:00", "22:00"}}}, "shift.pairs"},
		{Shift{Pairs: []Pair{{"09:00", "12:00"}, {"11:00", "18:00"}}}, "shift"},
		{Shift{On: "09:00", Off: "18:00", FlexMinutes: 500}, "shift.flex_minutes"},
		{Shift{On: "09:00", Off: "18:00", FlexMode: "sometimes", FlexMinutes: 5}, "shift.flex_mode"},
		{Shift{On: "09:00", Off: "18:00", AbsentLateMinutes: 10}, "shift.absent_late_minutes"},
		{Shift{On: "09:00", Off: "18:00", Breaks: []Span{{"19:00", "20:00"}}}, "shift.breaks"},
	} {
		_, err := c.sh.normalize("shift")
		var te *tack.Error
		if err == nil || !asError(err, &te) || te.Field != c.field {
			t.Errorf("%+v: %v, want an error on %s", c.sh, err, c.field)
		}
	}
}

func asError(err error, te **tack.Error) bool {
	e, ok := err.(*tack.Error)
	*te = e
	return ok
}

// TestDistance: haversine distances and rounding.
func TestDistance(t *testing.T) {
	// 0.001° of latitude is about 111 m.
	d := distanceM(31.2304, 121.4737, 31.2314, 121.4737)
	if d < 110 || d > 112 {
		t.Errorf("distance %f", d)
	}
	g := Group{Places: []Place{{Name: "HQ", Lat: 31.2304, Lng: 121.4737, RadiusM: 300}}, Networks: []string{"10.1.0.0/16"}}
	lat, lng := 31.2314, 121.4737
	m := locate(g, Position{Lat: &lat, Lng: &lng})
	if !m.inside || m.place != "HQ" || *m.distanceM != 110 {
		t.Errorf("inside: %+v", m)
	}
	far := 31.2404
	m = locate(g, Position{Lat: &far, Lng: &lng, ClientIP: "10.1.2.3"})
	if !m.inside || m.via != "network" {
		t.Errorf("network: %+v", m)
	}
	m = locate(g, Position{Lat: &far, Lng: &lng, ClientIP: "192.0.2.1"})
	if m.inside || m.nearest != "HQ" || m.nearestM < 1100 {
		t.Errorf("outside: %+v", m)
	}
	if msg := outsideMessage(g, m, true); msg != "you are outside the punch area: HQ is 1.1 km away (its radius is 300 m)" {
		t.Errorf("message %q", msg)
	}
}

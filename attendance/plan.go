package attendance

import (
	"slices"
	"time"

	"github.com/tackhq/tack"
)

// Day kinds of a Plan.
const (
	KindWork = "work" // a shift to keep
	KindRest = "rest" // no shift: weekly rest, a holiday, or not scheduled
	KindFree = "free" // free hours: a workday whose hours are counted
)

// Plan is what a member's day is judged against, fixed when the day is
// planned: the group and its rule version, the shift with its times in
// absolute terms, and why the day is worked or not. Records show it.
type Plan struct {
	Kind      string  `json:"kind"`             // work, rest, free
	Reason    string  `json:"reason,omitempty"` // weekly, holiday, makeup_workday, schedule, not_scheduled
	Holiday   string  `json:"holiday,omitempty"`
	GroupID   tack.ID `json:"group_id"`
	GroupName string  `json:"group_name"`
	GroupKind string  `json:"group_kind"`
	Version   int     `json:"version"`
	TimeZone  string  `json:"time_zone"`
	ShiftID   tack.ID `json:"shift_id,omitempty"`
	ShiftName string  `json:"shift_name,omitempty"`
	// Shift is the times for people: "09:00–12:00, 13:00–18:00".
	Shift              string     `json:"shift,omitempty"`
	Pairs              []PlanPair `json:"pairs,omitempty"`
	Breaks             []PlanSpan `json:"breaks,omitempty"`
	FlexMinutes        int        `json:"flex_minutes,omitempty"`
	FlexMode           string     `json:"flex_mode,omitempty"`
	SeriousLateMinutes int        `json:"serious_late_minutes,omitempty"`
	AbsentLateMinutes  int        `json:"absent_late_minutes,omitempty"`
	ExpectedMinutes    int        `json:"expected_minutes"`
	// Start and End bound the day's punches: the first on-duty window's
	// opening and the last off-duty window's end (rest and free days: the
	// local day).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// PlanPair is one on/off pair on a date, with its punch windows: on-duty
// punches from OnOpen, off-duty punches until OffClose; before Split a
// first punch is on-duty, from it off-duty.
type PlanPair struct {
	On       time.Time `json:"on"`
	Off      time.Time `json:"off"`
	OnOpen   time.Time `json:"on_open"`
	Split    time.Time `json:"split"`
	OffClose time.Time `json:"off_close"`
}

// PlanSpan is a rest break on a date.
type PlanSpan struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Schedule is a scheduled group's shift for one member on one date
// (排班); ShiftID "" is a rest day.
type Schedule struct {
	OrgID   tack.ID `json:"-"`
	GroupID tack.ID `json:"group_id"`
	UserID  tack.ID `json:"user_id"`
	Date    string  `json:"date"`
	ShiftID tack.ID `json:"shift_id"`
}

// civil returns t's calendar date (in t's location) as midnight UTC, the
// form dates are computed in.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func dateString(t time.Time) string { return t.Format("2006-01-02") }

// parseDate parses YYYY-MM-DD into a civil date.
func parseDate(field, s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 1970 || t.Year() > 2200 {
		return time.Time{}, tack.Invalid(field, "%s must be a date like 2026-03-01", field)
	}
	return t, nil
}

// wall returns the instant of minutes after midnight of date (a civil
// date) on the wall clocks of loc. Minutes past 24 h fall on the next day.
// A wall time that does not exist (a DST gap) is moved forward by the gap,
// as time.Date does.
func wall(date time.Time, minutes int, loc *time.Location) time.Time {
	y, m, d := date.Date()
	return time.Date(y, m, d+minutes/1440, (minutes%1440)/60, minutes%60, 0, 0, loc).UTC()
}

func isoWeekday(date time.Time) int {
	wd := int(date.Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// planFor builds the plan of date (civil) for a member of g. hol is the
// organisation's calendar entry for the date (nil: none); sched is the
// member's schedule entry (scheduled groups; nil: none); shifts holds the
// named shifts a schedule may refer to.
func planFor(g Group, date time.Time, hol *Holiday, sched *Schedule, shifts map[tack.ID]Shift) Plan {
	loc, err := loadLocation(g.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	p := Plan{GroupID: g.ID, GroupName: g.Name, GroupKind: g.Kind, Version: g.Version, TimeZone: g.TimeZone}
	var sh *Shift
	switch g.Kind {
	case Scheduled:
		switch {
		case sched == nil:
			p.Kind, p.Reason = KindRest, "not_scheduled"
		case sched.ShiftID == "":
			p.Kind, p.Reason = KindRest, "schedule"
		default:
			if x, ok := shifts[sched.ShiftID]; ok {
				sh = &x
				p.Kind, p.Reason = KindWork, "schedule"
				p.ShiftID, p.ShiftName = x.ID, x.Name
			} else {
				p.Kind, p.Reason = KindRest, "not_scheduled"
			}
		}
	default:
		work := slices.Contains(g.Workdays, isoWeekday(date))
		p.Reason = "weekly"
		if g.FollowCalendar && hol != nil {
			switch hol.Kind {
			case HolidayOff:
				work, p.Reason, p.Holiday = false, "holiday", hol.Name
			case HolidayWork:
				work, p.Reason, p.Holiday = true, "makeup_workday", hol.Name
			}
		}
		switch {
		case !work:
			p.Kind = KindRest
		case g.Kind == Free:
			p.Kind = KindFree
			p.ExpectedMinutes = g.FreeMinutes
		default:
			p.Kind = KindWork
			sh = g.Shift
		}
	}
	if p.Kind != KindWork || sh == nil {
		if p.Kind == KindWork {
			p.Kind = KindRest
		}
		p.Start = wall(date, 0, loc)
		p.End = wall(date, 1440, loc)
		return p
	}
	offs, err := sh.offsets("shift")
	if err != nil { // stored shifts are valid; be safe
		p.Kind = KindRest
		p.Start, p.End = wall(date, 0, loc), wall(date, 1440, loc)
		return p
	}
	p.Shift = sh.label()
	p.FlexMinutes, p.FlexMode = sh.FlexMinutes, sh.FlexMode
	p.SeriousLateMinutes, p.AbsentLateMinutes = sh.SeriousLateMinutes, sh.AbsentLateMinutes
	n := len(offs) / 2
	p.Pairs = make([]PlanPair, n)
	for i := 0; i < n; i++ {
		on, off := wall(date, offs[2*i], loc), wall(date, offs[2*i+1], loc)
		p.Pairs[i] = PlanPair{On: on, Off: off,
			OnOpen:   on.Add(-time.Duration(sh.OnBeforeMinutes) * time.Minute),
			Split:    on.Add(off.Sub(on) / 2),
			OffClose: off.Add(time.Duration(sh.OffAfterMinutes) * time.Minute)}
	}
	// Windows of neighbouring pairs meet halfway between them.
	for i := 0; i+1 < n; i++ {
		a, b := &p.Pairs[i], &p.Pairs[i+1]
		if a.OffClose.After(b.OnOpen) {
			mid := a.Off.Add(b.On.Sub(a.Off) / 2)
			a.OffClose, b.OnOpen = mid, mid
		}
	}
	for _, br := range sh.Breaks {
		f, t, err := sh.breakOffsets("shift", offs, br)
		if err == nil {
			p.Breaks = append(p.Breaks, PlanSpan{From: wall(date, f, loc), To: wall(date, t, loc)})
		}
	}
	p.ExpectedMinutes = int(p.workMinutes(nil) / time.Minute)
	p.Start, p.End = p.Pairs[0].OnOpen, p.Pairs[n-1].OffClose
	return p
}

// workMinutes is the scheduled working time of p (pairs minus breaks),
// or, when within is set, of its overlap with [within[0], within[1]].
func (p Plan) workMinutes(within *[2]time.Time) time.Duration {
	var total time.Duration
	for _, pr := range p.Pairs {
		from, to := pr.On, pr.Off
		if within != nil {
			from, to = later(from, within[0]), earlier(to, within[1])
		}
		if !to.After(from) {
			continue
		}
		total += to.Sub(from)
		for _, b := range p.Breaks {
			total -= overlap(from, to, b.From, b.To)
		}
	}
	return total
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func overlap(a0, a1, b0, b1 time.Time) time.Duration {
	from, to := later(a0, b0), earlier(a1, b1)
	if to.After(from) {
		return to.Sub(from)
	}
	return 0
}

// contains reports whether t is within the day's punch windows (rest and
// free days: the local day).
func (p Plan) contains(t time.Time) bool {
	if p.Kind != KindWork {
		return !t.Before(p.Start) && t.Before(p.End)
	}
	for _, pr := range p.Pairs {
		if !t.Before(pr.OnOpen) && !t.After(pr.OffClose) {
			return true
		}
	}
	return false
}

// dueAt is when the day can be closed: after its last window (rest and
// free days: after the local day), with a grace minute for punches in
// flight.
func (p Plan) dueAt() time.Time { return p.End.Add(closeGrace) }

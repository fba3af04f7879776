package attendance

import (
	"slices"
	"time"

	"github.com/tackhq/tack"
)

// Day states.
const (
	Open   = "open"   // punches are still taken; missing ones are not yet NotSigned
	Closed = "closed" // day close ran: every check has a result
)

// Day is one member's attendance on one work date: the plan it is judged
// against, its checks, and its summary.
type Day struct {
	OrgID    tack.ID `json:"org_id"`
	UserID   tack.ID `json:"user_id"`
	MemberID tack.ID `json:"member_id"`
	GroupID  tack.ID `json:"group_id"`
	WorkDate string  `json:"work_date"`
	State    string  `json:"state"`
	Plan     Plan    `json:"plan"`
	Checks   []Check `json:"checks"`
	Summary  Summary `json:"summary"`
	// Covers are the covers overlapping the day, as judged.
	Covers []Cover   `json:"covers,omitempty"`
	DueAt  time.Time `json:"due_at"`
	// Rev counts writes; every write is a compare-and-set on it.
	Rev int64 `json:"-"`
	// Closes counts day closes: exactly one for a closed day.
	Closes    int        `json:"-"`
	ClosedAt  *time.Time `json:"closed_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Check is one expected punch of a day (a pair's on-duty or off-duty
// check), or on rest and free days the first and last punch, with its
// result and what judged it.
type Check struct {
	Pair      int        `json:"pair"`
	CheckType string     `json:"check_type"`
	BaseTime  time.Time  `json:"base_check_time"`
	UserTime  *time.Time `json:"user_check_time"`
	// TimeResult is "" while the day is open and nobody punched.
	TimeResult     string `json:"time_result"`
	LocationResult string `json:"location_result"`
	SourceType     string `json:"source_type"`
	// Minutes late (on duty) or early (off duty).
	Minutes int     `json:"minutes,omitempty"`
	PunchID tack.ID `json:"punch_id,omitempty"`
	// Place matched and the rounded distance to it; Via says how the punch
	// was inside: place, network, wifi (client-reported), or field.
	Place          string `json:"place,omitempty"`
	DistanceM      *int   `json:"distance_m,omitempty"`
	Via            string `json:"via,omitempty"`
	ClientReported bool   `json:"client_reported,omitempty"`
	// ApproveID names the approval behind an APPROVE check; ApproveType
	// is leave, trip, outing or correction; LeaveType the kind of leave.
	ApproveID   string `json:"approve_id,omitempty"`
	ApproveType string `json:"approve_type,omitempty"`
	LeaveType   string `json:"leave_type,omitempty"`
	// Correction: the user time was set by a make-up punch or an admin.
	Correction bool `json:"correction,omitempty"`
}

// Summary sums a day up.
type Summary struct {
	// Status is one word for calendars: open, normal, late, early, absent,
	// not_signed, leave, trip, outing, rest, holiday.
	Status           string         `json:"status"`
	Workday          bool           `json:"workday"`
	ExpectedMinutes  int            `json:"expected_minutes"`
	WorkedMinutes    int            `json:"worked_minutes"`
	LateCount        int            `json:"late_count"`
	LateMinutes      int            `json:"late_minutes"`
	SeriousLateCount int            `json:"serious_late_count"`
	EarlyCount       int            `json:"early_count"`
	EarlyMinutes     int            `json:"early_minutes"`
	Absent           bool           `json:"absent"`
	AbsentMinutes    int            `json:"absent_minutes"`
	NotSigned        int            `json:"not_signed"`
	FieldPunches     int            `json:"field_punches"`
	LeaveMinutes     map[string]int `json:"leave_minutes,omitempty"`
	TripMinutes      int            `json:"trip_minutes,omitempty"`
	OutingMinutes    int            `json:"outing_minutes,omitempty"`
	OvertimeMinutes  int            `json:"overtime_minutes"`
}

// Cover kinds.
const (
	CoverLeave  = "leave"
	CoverTrip   = "trip"
	CoverOuting = "outing"
)

// Cover is approved leave, a business trip or an outing: the checks whose
// times it covers read as Normal with source APPROVE.
type Cover struct {
	ID         tack.ID   `json:"id"`
	OrgID      tack.ID   `json:"org_id"`
	UserID     tack.ID   `json:"user_id"`
	Kind       string    `json:"kind"`                 // leave, trip, outing
	LeaveType  string    `json:"leave_type,omitempty"` // annual, sick, personal, ... (leave)
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	ApprovalID string    `json:"approval_id"`
	Source     string    `json:"source_type"` // APPROVE or ADMIN
	CreatedBy  tack.ID   `json:"created_by,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// slots returns the checks a work plan expects, carrying over what is
// known of old (by pair and type).
func (p Plan) slots(old []Check) []Check {
	out := make([]Check, 0, 2*len(p.Pairs))
	for i, pr := range p.Pairs {
		for _, ct := range []string{OnDuty, OffDuty} {
			c := Check{Pair: i, CheckType: ct, BaseTime: pr.On}
			if ct == OffDuty {
				c.BaseTime = pr.Off
			}
			for _, o := range old {
				if o.Pair == i && o.CheckType == ct {
					c = o
					if ct == OnDuty {
						c.BaseTime = pr.On
					} else {
						c.BaseTime = pr.Off
					}
				}
			}
			out = append(out, c)
		}
	}
	return out
}

func minutesBetween(a, b time.Time) int {
	// Whole minutes from a to b, comparing at minute precision: a punch at
	// 09:00:59 is at 09:00.
	return int(b.Truncate(time.Minute).Sub(a.Truncate(time.Minute)) / time.Minute)
}

// coverAt returns the cover holding instant t (on-duty: start ≤ t < end;
// off-duty: start < t ≤ end).
func coverAt(covers []Cover, t time.Time, onDuty bool) *Cover {
	for i := range covers {
		c := &covers[i]
		if onDuty && !t.Before(c.Start) && t.Before(c.End) || !onDuty && t.After(c.Start) && !t.After(c.End) {
			return c
		}
	}
	return nil
}

// judge computes every check's result and the day's summary from the
// plan, the punches recorded in checks, and the covers. closed turns
// checks nobody punched (and nothing covers) into NotSigned.
func judge(p Plan, checks []Check, covers []Cover, closed bool) ([]Check, Summary) {
	sum := Summary{Workday: p.Kind != KindRest, ExpectedMinutes: p.ExpectedMinutes}
	if p.Kind != KindWork {
		return judgeFree(p, checks, covers, closed, sum)
	}
	cs := p.slots(checks)
	lateOut := make([]time.Duration, len(p.Pairs))
	coveredAll := true
	punched := false
	for i := range cs {
		c := &cs[i]
		pr := p.Pairs[c.Pair]
		on := c.CheckType == OnDuty
		c.TimeResult, c.Minutes, c.ApproveType, c.LeaveType = "", 0, correctionType(c), ""
		if !c.Correction {
			c.ApproveID = ""
		}
		cov := coverAt(covers, c.BaseTime, on)
		if cov == nil {
			coveredAll = false
		}
		if c.UserTime == nil {
			if cov != nil {
				c.TimeResult, c.LocationResult, c.SourceType = Normal, Normal, cov.Source
				c.ApproveID, c.ApproveType, c.LeaveType = cov.ApprovalID, cov.Kind, cov.LeaveType
				c.PunchID, c.Place, c.DistanceM, c.Via = "", "", nil, ""
			} else if closed {
				c.TimeResult, c.LocationResult, c.SourceType = NotSigned, NotSigned, SourceSystem
				sum.NotSigned++
			} else {
				c.LocationResult, c.SourceType = "", ""
			}
			continue
		}
		punched = true
		if c.Correction {
			c.TimeResult = Normal
			continue
		}
		if on {
			eff := pr.On
			if cov != nil { // late after leave in the morning: from the leave's end
				eff = earlier(cov.End, pr.Off)
				c.ApproveID, c.ApproveType, c.LeaveType = cov.ApprovalID, cov.Kind, cov.LeaveType
			}
			late := minutesBetween(eff, *c.UserTime)
			if late > 0 && p.FlexMinutes > 0 && late <= p.FlexMinutes {
				if p.FlexMode == flexLateOut {
					lateOut[c.Pair] = time.Duration(late) * time.Minute
				}
				late = 0
			}
			switch {
			case late <= 0:
				c.TimeResult = Normal
			case late > p.AbsentLateMinutes:
				c.TimeResult, c.Minutes = Absenteeism, late
			case late > p.SeriousLateMinutes:
				c.TimeResult, c.Minutes = SeriousLate, late
			default:
				c.TimeResult, c.Minutes = Late, late
			}
		} else {
			eff := pr.Off.Add(lateOut[c.Pair])
			if cov != nil { // leave in the afternoon: leave at its start
				eff = later(cov.Start, pr.On)
				c.ApproveID, c.ApproveType, c.LeaveType = cov.ApprovalID, cov.Kind, cov.LeaveType
			}
			early := minutesBetween(*c.UserTime, eff)
			if early > 0 {
				c.TimeResult, c.Minutes = Early, early
			} else {
				c.TimeResult = Normal
			}
		}
	}
	// Sums.
	for i := range cs {
		c := cs[i]
		if c.Via == "field" {
			sum.FieldPunches++
		}
		switch c.TimeResult {
		case Late:
			sum.LateCount++
			sum.LateMinutes += c.Minutes
		case SeriousLate:
			sum.LateCount++
			sum.SeriousLateCount++
			sum.LateMinutes += c.Minutes
		case Absenteeism:
			sum.Absent = true
			sum.AbsentMinutes += c.Minutes
		case Early:
			sum.EarlyCount++
			sum.EarlyMinutes += c.Minutes
		}
	}
	var worked, overtime time.Duration
	for k, pr := range p.Pairs {
		on, off := cs[2*k], cs[2*k+1]
		if on.UserTime == nil || off.UserTime == nil {
			continue
		}
		from := later(*on.UserTime, pr.On)
		effOff := pr.Off.Add(lateOut[k])
		to := earlier(*off.UserTime, effOff)
		if to.After(from) {
			d := to.Sub(from)
			for _, b := range p.Breaks {
				d -= overlap(from, to, b.From, b.To)
			}
			worked += max(d, 0)
		}
		if k == len(p.Pairs)-1 && off.UserTime.After(effOff) {
			overtime += off.UserTime.Sub(effOff)
		}
	}
	sum.WorkedMinutes = int(worked / time.Minute)
	sum.OvertimeMinutes = int(overtime / time.Minute)
	addCovers(p, covers, &sum)
	if closed && !punched && !coveredAll {
		sum.Absent = true
		var covered time.Duration
		for _, c := range covers {
			covered += p.workMinutes(&[2]time.Time{c.Start, c.End})
		}
		sum.AbsentMinutes = max(0, p.ExpectedMinutes-int(covered/time.Minute))
	}
	sum.Status = status(p, cs, sum, closed, coveredAll && len(covers) > 0)
	return cs, sum
}

func correctionType(c *Check) string {
	if c.Correction && c.SourceType == SourceApprove {
		return "correction"
	}
	return ""
}

// addCovers sums the scheduled minutes covered by leave, trips and outings.
func addCovers(p Plan, covers []Cover, sum *Summary) {
	for _, c := range covers {
		var d time.Duration
		if p.Kind == KindWork {
			d = p.workMinutes(&[2]time.Time{c.Start, c.End})
		} else if p.Kind == KindFree {
			// Free hours: the covered share of the local day, up to the
			// expected minutes.
			frac := float64(overlap(p.Start, p.End, c.Start, c.End)) / float64(p.End.Sub(p.Start))
			d = time.Duration(frac * float64(time.Duration(p.ExpectedMinutes)*time.Minute))
		}
		m := int(d / time.Minute)
		if m <= 0 {
			continue
		}
		switch c.Kind {
		case CoverLeave:
			if sum.LeaveMinutes == nil {
				sum.LeaveMinutes = map[string]int{}
			}
			sum.LeaveMinutes[c.LeaveType] += m
		case CoverTrip:
			sum.TripMinutes += m
		case CoverOuting:
			sum.OutingMinutes += m
		}
	}
}

// judgeFree judges rest days and free-hours days: the first punch is the
// on-duty check and the last the off-duty one, both Normal.
func judgeFree(p Plan, checks []Check, covers []Cover, closed bool, sum Summary) ([]Check, Summary) {
	cs := slices.Clone(checks)
	for i := range cs {
		c := &cs[i]
		if c.UserTime != nil {
			c.BaseTime = *c.UserTime
		}
		c.TimeResult, c.Minutes = Normal, 0
		if c.Via == "field" {
			sum.FieldPunches++
		}
	}
	var on, off *Check
	for i := range cs {
		switch cs[i].CheckType {
		case OnDuty:
			on = &cs[i]
		case OffDuty:
			off = &cs[i]
		}
	}
	if on != nil && off != nil && on.UserTime != nil && off.UserTime != nil {
		worked := int(off.UserTime.Sub(*on.UserTime) / time.Minute)
		sum.WorkedMinutes = worked
		if p.Kind == KindRest {
			sum.OvertimeMinutes = worked
		} else if worked > p.ExpectedMinutes {
			sum.OvertimeMinutes = worked - p.ExpectedMinutes
		}
	}
	addCovers(p, covers, &sum)
	coveredAll := false
	if p.Kind == KindFree {
		for _, c := range covers {
			if !c.Start.After(p.Start) && !c.End.Before(p.End) {
				coveredAll = true
			}
		}
		if closed && len(cs) == 0 && !coveredAll {
			var covered time.Duration
			for _, c := range covers {
				covered += overlap(p.Start, p.End, c.Start, c.End)
			}
			if covered == 0 {
				sum.Absent = true
				sum.AbsentMinutes = p.ExpectedMinutes
			}
		}
		if closed && len(cs) == 0 && !sum.Absent && !coveredAll {
			// Partly covered and no punch: the rest is not signed.
			sum.NotSigned = 1
		}
	}
	sum.Status = status(p, cs, sum, closed, coveredAll)
	return cs, sum
}

// status picks the calendar word of a day.
func status(p Plan, cs []Check, sum Summary, closed, coveredAll bool) string {
	switch {
	case coveredAll:
		for _, k := range []string{CoverLeave, CoverTrip, CoverOuting} {
			if k == CoverLeave && len(sum.LeaveMinutes) > 0 || k == CoverTrip && sum.TripMinutes > 0 || k == CoverOuting && sum.OutingMinutes > 0 {
				return k
			}
		}
		return CoverLeave
	case p.Kind == KindRest:
		if p.Reason == "holiday" {
			return "holiday"
		}
		return "rest"
	case sum.Absent:
		return "absent"
	case sum.NotSigned > 0:
		return "not_signed"
	case sum.LateCount > 0:
		return "late"
	case sum.EarlyCount > 0:
		return "early"
	case !closed:
		for _, c := range cs {
			if c.TimeResult == "" {
				return Open
			}
		}
	}
	if sum.TripMinutes > 0 && sum.WorkedMinutes == 0 {
		return CoverTrip
	}
	return "normal"
}

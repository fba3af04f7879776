package leave

import (
	"context"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
)

// Halves of a day, for half-day leave.
const (
	AM = "am"
	PM = "pm"
)

// Request is leave asked for.
type Request struct {
	LeaveType string `json:"leave_type"`
	// Start and End are dates (YYYY-MM-DD, inclusive) for day and
	// half-day leave, and times ("YYYY-MM-DD HH:MM" or RFC 3339, in the
	// organisation's time zone unless the offset says otherwise) for
	// hourly leave, on the hour or half hour.
	Start string `json:"start"`
	End   string `json:"end"`
	// StartHalf and EndHalf (half-day leave): am or pm; a request starts
	// in the morning and ends in the afternoon unless they say otherwise.
	StartHalf string `json:"start_half,omitempty"`
	EndHalf   string `json:"end_half,omitempty"`
	// Proof: the request carries proof (an attachment).
	Proof bool `json:"proof,omitempty"`
}

// QuoteDay is one day a request counts.
type QuoteDay struct {
	Date   string `json:"date"`
	Amount Amount `json:"amount"`
}

// Quote is a request counted and checked against its type's limits.
type Quote struct {
	LeaveType string     `json:"leave_type"`
	Name      string     `json:"name"`
	Unit      string     `json:"unit"`
	Counting  string     `json:"counting"`
	Paid      bool       `json:"paid"`
	Amount    Amount     `json:"amount"`
	Days      []QuoteDay `json:"days"`
	FromDate  string     `json:"from_date"`
	ToDate    string     `json:"to_date"`
	// Start and End are the time the leave covers.
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	ProofRequired bool      `json:"proof_required"`
	// Balance is the type's balance now (types with a balance).
	Balance *Amount `json:"balance,omitempty"`
}

// span is a request read: its dates, and for hourly leave its times.
type span struct {
	from, to   time.Time // civil dates (midnight UTC)
	start, end time.Time // hourly leave
	startHalf  string
	endHalf    string
}

func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func date(t time.Time) string { return t.Format("2006-01-02") }

func parseDate(field, s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, tack.Invalid(field, "%s must be a date like 2026-03-04", field)
	}
	return t, nil
}

func parseTime(field, s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, tack.Invalid(field, "%s must be a time like 2026-03-04 09:00", field)
}

// parseSpan reads a request's start and end for its unit.
func parseSpan(unit string, r Request, loc *time.Location) (span, error) {
	var sp span
	var err error
	if unit == UnitHour {
		if sp.start, err = parseTime("start", r.Start, loc); err != nil {
			return sp, err
		}
		if sp.end, err = parseTime("end", r.End, loc); err != nil {
			return sp, err
		}
		if !sp.end.After(sp.start) {
			return sp, tack.Invalid("end", "end must be after start")
		}
		for _, t := range []time.Time{sp.start, sp.end} {
			if t.Second() != 0 || t.In(loc).Minute()%30 != 0 {
				return sp, tack.Invalid("start", "hourly leave starts and ends on the hour or half hour")
			}
		}
		sp.from, sp.to = civil(sp.start.In(loc)), civil(sp.end.Add(-time.Minute).In(loc))
	} else {
		if sp.from, err = parseDate("start", r.Start); err != nil {
			return sp, err
		}
		if sp.to, err = parseDate("end", r.End); err != nil {
			return sp, err
		}
		if sp.to.Before(sp.from) {
			return sp, tack.Invalid("end", "end must be on or after start")
		}
	}
	if sp.to.Sub(sp.from) >= MaxRequestDays*24*time.Hour {
		return sp, tack.Invalid("end", "one request spans at most %d days", MaxRequestDays)
	}
	if unit == UnitHalfDay {
		sp.startHalf, sp.endHalf = strings.ToLower(r.StartHalf), strings.ToLower(r.EndHalf)
		if sp.startHalf == "" {
			sp.startHalf = AM
		}
		if sp.endHalf == "" {
			sp.endHalf = PM
		}
		if sp.startHalf != AM && sp.startHalf != PM {
			return sp, tack.Invalid("start_half", "start_half must be am or pm")
		}
		if sp.endHalf != AM && sp.endHalf != PM {
			return sp, tack.Invalid("end_half", "end_half must be am or pm")
		}
		if sp.from.Equal(sp.to) && sp.startHalf == PM && sp.endHalf == AM {
			return sp, tack.Invalid("end_half", "a one-day request cannot start in the afternoon and end in the morning")
		}
	} else if r.StartHalf != "" || r.EndHalf != "" {
		return sp, tack.Invalid("start_half", "only half-day leave takes start_half and end_half")
	}
	return sp, nil
}

// wall is a civil date at hh:mm in loc.
func wall(d time.Time, minutes int, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, minutes, 0, 0, loc)
}

// midday is where a working day splits into morning and afternoon: the
// middle of its hours; noon on a day off.
func midday(d time.Time, wd *attendance.WorkDay, loc *time.Location) time.Time {
	if wd != nil && wd.End.After(wd.Start) {
		return wd.Start.Add(wd.End.Sub(wd.Start) / 2).Truncate(time.Minute)
	}
	return wall(d, 12*60, loc)
}

// count counts a request of type t over days (the member's working days
// around the request) and returns the amount, the days counted and the
// time the leave covers. It is pure: the table tests call it directly.
func count(t Type, sp span, days []attendance.WorkDay, loc *time.Location) (Amount, []QuoteDay, time.Time, time.Time) {
	work := map[string]*attendance.WorkDay{}
	for i := range days {
		work[days[i].Date] = &days[i]
	}
	counts := func(d time.Time) bool { return t.Counting == CalendarDays || work[date(d)] != nil }
	var total Amount
	out := []QuoteDay{}
	add := func(d time.Time, a Amount) {
		if a > 0 {
			out = append(out, QuoteDay{Date: date(d), Amount: a})
			total += a
		}
	}
	start, end := wall(sp.from, 0, loc), wall(sp.to.AddDate(0, 0, 1), 0, loc)
	switch t.Unit {
	case UnitDay:
		for d := sp.from; !d.After(sp.to); d = d.AddDate(0, 0, 1) {
			if counts(d) {
				add(d, Days(1))
			}
		}
	case UnitHalfDay:
		for d := sp.from; !d.After(sp.to); d = d.AddDate(0, 0, 1) {
			if !counts(d) {
				continue
			}
			a := Days(1)
			if d.Equal(sp.from) && sp.startHalf == PM {
				a -= 50
			}
			if d.Equal(sp.to) && sp.endHalf == AM {
				a -= 50
			}
			add(d, a)
		}
		if sp.startHalf == PM {
			start = midday(sp.from, work[date(sp.from)], loc)
		}
		if sp.endHalf == AM {
			end = midday(sp.to, work[date(sp.to)], loc)
		}
	case UnitHour:
		start, end = sp.start, sp.end
		for d := sp.from; !d.After(sp.to); d = d.AddDate(0, 0, 1) {
			var minutes time.Duration
			if t.Counting == CalendarDays {
				minutes = overlap(sp.start, sp.end, wall(d, 0, loc), wall(d.AddDate(0, 0, 1), 0, loc))
			} else if wd := work[date(d)]; wd != nil {
				minutes = overlap(sp.start, sp.end, wd.Start, wd.End)
				if limit := time.Duration(wd.ExpectedMinutes) * time.Minute; wd.ExpectedMinutes > 0 && minutes > limit {
					minutes = limit
				}
			}
			add(d, hours(minutes))
		}
	}
	return total, out, start, end
}

// hours is a duration in hundredths of an hour, rounded half up.
func hours(d time.Duration) Amount {
	m := int64(d / time.Minute)
	return Amount((m*100 + 30) / 60)
}

func overlap(a0, a1, b0, b1 time.Time) time.Duration {
	s, e := a0, a1
	if b0.After(s) {
		s = b0
	}
	if b1.Before(e) {
		e = b1
	}
	if e.After(s) {
		return e.Sub(s)
	}
	return 0
}

// Quote counts a member's request and checks it against its type's
// limits: enabled, a positive length within min and max, proof where
// required, and how far ahead or after it is asked. For the approvals
// service (no caller checks); errors name the form field at fault.
func (s *Service) Quote(ctx context.Context, orgID, userID tack.ID, r Request) (Quote, error) {
	m, err := s.member(ctx, orgID, userID)
	if err != nil {
		return Quote{}, err
	}
	if !validKey(r.LeaveType) {
		return Quote{}, tack.Invalid("leave_type", "leave_type must be one of the organisation's leave types, such as annual")
	}
	t, err := s.TypeOf(ctx, orgID, r.LeaveType)
	if err != nil || !t.Enabled {
		return Quote{}, tack.Invalid("leave_type", "%q is not a leave type of this organisation", r.LeaveType)
	}
	loc, err := s.location(ctx, orgID)
	if err != nil {
		return Quote{}, err
	}
	sp, err := parseSpan(t.Unit, r, loc)
	if err != nil {
		return Quote{}, err
	}
	var days []attendance.WorkDay
	if t.Counting == WorkingDays || t.Unit == UnitHalfDay {
		if days, err = s.cal.CountingDays(ctx, orgID, m.UserID, date(sp.from), date(sp.to)); err != nil {
			return Quote{}, err
		}
	}
	q := Quote{LeaveType: t.Key, Name: t.Name, Unit: t.Unit, Counting: t.Counting, Paid: t.Paid, FromDate: date(sp.from), ToDate: date(sp.to)}
	q.Amount, q.Days, q.Start, q.End = count(t, sp, days, loc)
	q.Start, q.End = q.Start.UTC(), q.End.UTC()
	measure := "days"
	if t.Unit == UnitHour {
		measure = "hours"
	}
	if q.Amount <= 0 {
		return q, tack.Invalid("end", "the request counts no working time (weekends and holidays are not counted)")
	}
	if t.Min > 0 && q.Amount < t.Min {
		return q, tack.Invalid("end", "%s is at least %s %s at a time", t.Name, t.Min, measure)
	}
	if t.Max > 0 && q.Amount > t.Max {
		return q, tack.Invalid("end", "%s is at most %s %s at a time", t.Name, t.Max, measure)
	}
	q.ProofRequired = t.ProofOver != nil && q.Amount > *t.ProofOver
	if q.ProofRequired && !r.Proof {
		if *t.ProofOver == 0 {
			return q, tack.Invalid("attachments", "%s needs proof: attach a document", t.Name)
		}
		return q, tack.Invalid("attachments", "%s of more than %s %s needs proof: attach a document", t.Name, *t.ProofOver, measure)
	}
	today := civil(s.now().In(loc))
	if t.MaxDaysAhead > 0 && sp.from.Sub(today) > time.Duration(t.MaxDaysAhead)*24*time.Hour {
		return q, tack.Invalid("start", "%s may be asked at most %d days ahead", t.Name, t.MaxDaysAhead)
	}
	switch {
	case t.MaxDaysAfter < 0 && sp.from.Before(today):
		return q, tack.Errorf(tack.EExpired, "%s must be asked before it starts", t.Name)
	case t.MaxDaysAfter > 0 && today.Sub(sp.from) > time.Duration(t.MaxDaysAfter)*24*time.Hour:
		return q, tack.Errorf(tack.EExpired, "%s may be asked at most %d days after it starts", t.Name, t.MaxDaysAfter)
	}
	if t.Balance {
		b, err := s.ensure(ctx, orgID, m, t)
		if err != nil {
			return q, err
		}
		q.Balance = &b.Balance
	}
	return q, nil
}

// MyQuote counts a request of the caller's without asking for it: what a
// date-range picker shows (the days it counts, the balance).
func (s *Service) MyQuote(ctx context.Context, orgID tack.ID, r Request) (Quote, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Quote{}, err
	}
	return s.Quote(ctx, orgID, a.UserID, r)
}

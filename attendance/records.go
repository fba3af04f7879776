package attendance

import (
	"context"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Record is one check of one day, shaped like an entry of DingTalk's
// attendance list (snake_case), with the rule that judged it.
type Record struct {
	ID             string     `json:"id"`
	UserID         tack.ID    `json:"user_id"`
	MemberID       tack.ID    `json:"member_id"`
	GroupID        tack.ID    `json:"group_id"`
	WorkDate       string     `json:"work_date"`
	Pair           int        `json:"pair"`
	CheckType      string     `json:"check_type"`
	TimeResult     string     `json:"time_result"`
	LocationResult string     `json:"location_result"`
	SourceType     string     `json:"source_type"`
	BaseCheckTime  time.Time  `json:"base_check_time"`
	UserCheckTime  *time.Time `json:"user_check_time"`
	Minutes        int        `json:"minutes,omitempty"`
	Place          string     `json:"place,omitempty"`
	DistanceM      *int       `json:"distance_m,omitempty"`
	Via            string     `json:"via,omitempty"`
	ClientReported bool       `json:"client_reported,omitempty"`
	PunchID        tack.ID    `json:"punch_id,omitempty"`
	ApproveID      string     `json:"approve_id,omitempty"`
	ApproveType    string     `json:"approve_type,omitempty"`
	LeaveType      string     `json:"leave_type,omitempty"`
	// DayStatus is the day's one-word status (leave, absent, normal, ...).
	DayStatus string `json:"day_status"`
	DayState  string `json:"day_state"` // open or closed
	Rule      Rule   `json:"rule"`
}

// Range is a query of a member's attendance between two dates.
type Range struct {
	UserID tack.ID // user or member ID; "" is the caller
	From   string  // YYYY-MM-DD
	To     string
}

func checkRange(from, to string) (time.Time, time.Time, error) {
	f, err := parseDate("from", from)
	if err != nil {
		return f, f, err
	}
	t, err := parseDate("to", to)
	if err != nil {
		return f, t, err
	}
	if t.Before(f) {
		return f, t, tack.Invalid("to", "to must be on or after from")
	}
	if t.Sub(f) >= MaxRangeDays*24*time.Hour {
		return f, t, tack.Invalid("to", "ask for at most %d days at once", MaxRangeDays)
	}
	return f, t, nil
}

// overseen returns the subject of a query the actor may see, recording the
// view when it is someone else's.
func (s *Service) overseen(ctx context.Context, orgID, id tack.ID, what, from, to string) (*actor, org.Member, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, org.Member{}, err
	}
	m, err := s.subject(ctx, a, id)
	if err != nil {
		return nil, org.Member{}, err
	}
	if m.ID != a.me.ID {
		t, err := s.freshTree(ctx, orgID)
		if err != nil {
			return nil, org.Member{}, err
		}
		ok, err := s.oversees(ctx, a, t, m)
		if err != nil {
			return nil, org.Member{}, err
		}
		if !ok {
			return nil, org.Member{}, errNotOverseen
		}
		if err := s.recordViews(ctx, a, []tack.ID{m.UserID}, what, from, to); err != nil {
			return nil, org.Member{}, err
		}
	}
	return a, m, nil
}

// recordViews records that the actor looked at subjects' attendance.
func (s *Service) recordViews(ctx context.Context, a *actor, subjects []tack.ID, what, from, to string) error {
	now := s.now()
	var vs []View
	for _, u := range subjects {
		if u == a.me.UserID || u == "" {
			continue
		}
		vs = append(vs, View{ID: tack.NewID(), OrgID: a.orgID, ViewerID: a.me.UserID, SubjectID: u, What: what, From: from, To: to, At: now})
	}
	for len(vs) > 0 {
		n := min(len(vs), 1000)
		if err := s.store.Apply(ctx, Batch{Views: vs[:n]}); err != nil {
			return fmt.Errorf("record view: %w", err)
		}
		vs = vs[n:]
	}
	return nil
}

// days returns m's days from f to t: stored ones, and for dates not yet
// planned while m is in a group, the day as it would be planned now (so
// that approved leave ahead shows).
func (s *Service) days(ctx context.Context, orgID tack.ID, m org.Member, f, t time.Time) ([]Day, error) {
	stored, err := s.store.Days(ctx, orgID, []tack.ID{m.UserID}, dateString(f), dateString(t))
	if err != nil {
		return nil, err
	}
	have := map[string]Day{}
	for _, d := range stored {
		have[d.WorkDate] = d
	}
	tr, err := s.cachedTree(ctx, orgID)
	if err != nil {
		return nil, err
	}
	g, ok, err := s.groupOf(ctx, tr, m)
	if err != nil {
		return nil, err
	}
	var missing []time.Time
	if ok {
		for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
			if _, ok := have[dateString(d)]; !ok && dateString(d) > g.PlannedThrough {
				missing = append(missing, d)
			}
		}
	}
	if len(missing) > 0 {
		plans, err := s.plansFor(ctx, g, m.UserID, missing, nil)
		if err != nil {
			return nil, err
		}
		covers, err := s.store.Covers(ctx, orgID, m.UserID, plans[0].Start, plans[len(plans)-1].End)
		if err != nil {
			return nil, err
		}
		for i, p := range plans {
			d := Day{OrgID: orgID, UserID: m.UserID, MemberID: m.ID, GroupID: g.ID, WorkDate: dateString(missing[i]),
				State: Open, Plan: p, Covers: coversWithin(covers, p.Start, p.End), DueAt: p.dueAt()}
			d.Checks, d.Summary = judge(p, nil, d.Covers, false)
			have[d.WorkDate] = d
		}
	}
	out := make([]Day, 0, len(have))
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		if x, ok := have[dateString(d)]; ok {
			out = append(out, x)
		}
	}
	return out, nil
}

func recordsOf(d Day) []Record {
	var out []Record
	for _, c := range d.Checks {
		if c.TimeResult == "" {
			continue // open and not punched yet
		}
		out = append(out, Record{ID: fmt.Sprintf("%s-%s-%d-%s", d.UserID, d.WorkDate, c.Pair, c.CheckType),
			UserID: d.UserID, MemberID: d.MemberID, GroupID: d.GroupID, WorkDate: d.WorkDate, Pair: c.Pair,
			CheckType: c.CheckType, TimeResult: c.TimeResult, LocationResult: c.LocationResult, SourceType: c.SourceType,
			BaseCheckTime: c.BaseTime, UserCheckTime: c.UserTime, Minutes: c.Minutes, Place: c.Place, DistanceM: c.DistanceM,
			Via: c.Via, ClientReported: c.ClientReported, PunchID: c.PunchID, ApproveID: c.ApproveID, ApproveType: c.ApproveType,
			LeaveType: c.LeaveType, DayStatus: d.Summary.Status, DayState: d.State, Rule: ruleOf(d.Plan)})
	}
	return out
}

// Records lists a member's checks from From to To (at most 62 days): the
// caller's own, or those of a member the caller oversees (the view is
// recorded and shown to the member). Open days list only the checks made
// so far; closed days every check.
func (s *Service) Records(ctx context.Context, orgID tack.ID, q Range) ([]Record, error) {
	f, t, err := checkRange(q.From, q.To)
	if err != nil {
		return nil, err
	}
	_, m, err := s.overseen(ctx, orgID, q.UserID, "records", q.From, q.To)
	if err != nil {
		return nil, err
	}
	days, err := s.days(ctx, orgID, m, f, t)
	if err != nil {
		return nil, err
	}
	out := []Record{}
	for _, d := range days {
		out = append(out, recordsOf(d)...)
	}
	return out, nil
}

// Month is a member's month as a calendar.
type Month struct {
	UserID   tack.ID `json:"user_id"`
	MemberID tack.ID `json:"member_id"`
	Name     string  `json:"name"`
	Month    string  `json:"month"`
	Days     []Day   `json:"days"`
	Totals   Totals  `json:"totals"`
}

// MonthOf returns a member's days of month (YYYY-MM) with their checks,
// rules and summaries (views by others are recorded).
func (s *Service) MonthOf(ctx context.Context, orgID, userID tack.ID, month string) (Month, error) {
	first, err := time.Parse("2006-01", month)
	if err != nil || first.Year() < 1970 || first.Year() > 2200 {
		return Month{}, tack.Invalid("month", "month must look like 2026-03")
	}
	last := first.AddDate(0, 1, -1)
	_, m, err := s.overseen(ctx, orgID, userID, "month", dateString(first), dateString(last))
	if err != nil {
		return Month{}, err
	}
	days, err := s.days(ctx, orgID, m, first, last)
	if err != nil {
		return Month{}, err
	}
	out := Month{UserID: m.UserID, MemberID: m.ID, Name: m.Name, Month: month, Days: days}
	if out.Days == nil {
		out.Days = []Day{}
	}
	for _, d := range days {
		out.Totals.add(d)
	}
	return out, nil
}

// Punches lists a member's punches (history, replaced ones included):
// field punches show coordinates until they are erased. Someone else's
// are recorded as a view of locations.
func (s *Service) Punches(ctx context.Context, orgID tack.ID, q Range) ([]Punch, error) {
	if _, _, err := checkRange(q.From, q.To); err != nil {
		return nil, err
	}
	_, m, err := s.overseen(ctx, orgID, q.UserID, "locations", q.From, q.To)
	if err != nil {
		return nil, err
	}
	ps, err := s.store.Punches(ctx, orgID, m.UserID, q.From, q.To)
	if ps == nil && err == nil {
		ps = []Punch{}
	}
	return ps, err
}

// ViewOut is a view of the caller's attendance, with the viewer's name.
type ViewOut struct {
	View
	ViewerName string `json:"viewer_name"`
}

// Views lists who looked at the caller's attendance or locations, newest
// first.
func (s *Service) Views(ctx context.Context, orgID, before tack.ID, limit int) ([]ViewOut, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before != "" && !before.Valid() {
		return nil, tack.Invalid("before", "before must be a view ID")
	}
	vs, err := s.store.Views(ctx, orgID, a.me.UserID, before, limit)
	if err != nil {
		return nil, err
	}
	names := map[tack.ID]string{}
	out := make([]ViewOut, len(vs))
	for i, v := range vs {
		if _, ok := names[v.ViewerID]; !ok {
			if m, err := s.dir.DirectoryMember(ctx, orgID, v.ViewerID); err == nil {
				names[v.ViewerID] = m.Name
			} else {
				names[v.ViewerID] = ""
			}
		}
		out[i] = ViewOut{View: v, ViewerName: names[v.ViewerID]}
	}
	return out, nil
}

// AuditLog lists attendance admin actions and applied approvals (admins).
func (s *Service) AuditLog(ctx context.Context, orgID, before tack.ID, limit int) ([]Audit, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !a.admin() {
		return nil, errAdminOnly
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before != "" && !before.Valid() {
		return nil, tack.Invalid("before", "before must be an audit entry ID")
	}
	return s.store.AuditLog(ctx, orgID, before, limit)
}

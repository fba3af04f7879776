package attendance

import (
	"context"
	"time"

	"github.com/tackhq/tack"
)

// CountingDays lists the working days a leave counter counts for a member
// from from to to (YYYY-MM-DD, inclusive): those of WorkingDays when the
// member is in an attendance group; otherwise Monday to Friday, 09:00–18:00
// with a 12:00–13:00 break, in the organisation's time zone, following its
// holiday calendar (holidays off, make-up workdays worked). For the
// approvals service (no caller checks). Added for issue 14 (approvals),
// beside WorkingDays, which lists nothing for a member in no group.
func (s *Service) CountingDays(ctx context.Context, orgID, userID tack.ID, from, to string) ([]WorkDay, error) {
	f, err := parseDate("from", from)
	if err != nil {
		return nil, err
	}
	t, err := parseDate("to", to)
	if err != nil {
		return nil, err
	}
	if t.Before(f) || t.Sub(f) > 365*24*time.Hour {
		return nil, tack.Invalid("to", "to must be on or after from, at most a year later")
	}
	m, _, err := s.subjectFor(ctx, orgID, userID)
	if tack.ErrorCode(err) != tack.EConflict {
		if err != nil {
			return nil, err
		}
		return s.WorkingDays(ctx, orgID, m.UserID, from, to)
	}
	// In no group: the organisation's default week.
	o, err := s.dir.DirectoryOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	tz := o.TimeZone
	if _, err := loadLocation(tz); err != nil || tz == "" {
		tz = "UTC"
	}
	sh, err := Shift{On: "09:00", Off: "18:00", Breaks: []Span{{From: "12:00", To: "13:00"}}}.normalize("shift")
	if err != nil {
		return nil, err
	}
	g := Group{OrgID: orgID, Name: "default", Kind: Fixed, TimeZone: tz, Shift: &sh, Workdays: []int{1, 2, 3, 4, 5}, FollowCalendar: true}
	var dates []time.Time
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d)
	}
	plans, err := s.plansFor(ctx, g, m.UserID, dates, nil)
	if err != nil {
		return nil, err
	}
	out := []WorkDay{}
	for i, p := range plans {
		if p.Kind != KindWork {
			continue
		}
		out = append(out, WorkDay{Date: dateString(dates[i]), Kind: p.Kind, Shift: p.Shift, ExpectedMinutes: p.ExpectedMinutes,
			Start: p.Pairs[0].On, End: p.Pairs[len(p.Pairs)-1].Off})
	}
	return out, nil
}

// CorrectionApplied reports whether a make-up punch of approvalID was
// applied to the member's work date already, so that an approval applied
// twice (a retried job) corrects once. For the approvals service.
func (s *Service) CorrectionApplied(ctx context.Context, orgID, userID tack.ID, workDate, approvalID string) (bool, error) {
	if _, err := parseDate("work_date", workDate); err != nil {
		return false, err
	}
	m, _, err := s.subjectFor(ctx, orgID, userID)
	if err != nil && tack.ErrorCode(err) != tack.EConflict {
		return false, err
	}
	ps, err := s.store.Punches(ctx, orgID, m.UserID, workDate, workDate)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.Via == "correction" && p.ApproveID == approvalID {
			return true, nil
		}
	}
	return false, nil
}

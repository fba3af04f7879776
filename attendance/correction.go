package attendance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Correction is a make-up punch (补卡) for one check of a work day: applied,
// the check reads Normal at its base time with source_type APPROVE (or
// ADMIN for an admin's correction).
type Correction struct {
	OrgID     tack.ID `json:"org_id"`
	UserID    tack.ID `json:"user_id"` // user or member ID
	WorkDate  string  `json:"work_date"`
	CheckType string  `json:"check_type"` // OnDuty or OffDuty
	Pair      int     `json:"pair"`       // 0 for one-pair shifts
	// ApprovalID names the approval that allowed it (required for
	// ApplyCorrection).
	ApprovalID string `json:"approval_id"`
	// AppliedAt is when the member asked; the deadline is checked against
	// it (zero: now).
	AppliedAt time.Time `json:"applied_at"`
	// ActorID is who approved (kept in the audit log).
	ActorID tack.ID `json:"actor_id"`
	Reason  string  `json:"reason"`
}

// Quota is a member's make-up punches in a month.
type Quota struct {
	Month string `json:"month"` // YYYY-MM
	Used  int    `json:"used"`
	Limit int    `json:"limit"`
	Days  int    `json:"deadline_days"`
}

// subjectFor reads the active member behind a service call.
func (s *Service) subjectFor(ctx context.Context, orgID, id tack.ID) (org.Member, Group, error) {
	if !orgID.Valid() {
		return org.Member{}, Group{}, errNoOrg
	}
	if !id.Valid() {
		return org.Member{}, Group{}, errNoMember
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && (m.Status != org.Active || m.UserID == "") {
		return org.Member{}, Group{}, errNoMember
	} else if err != nil {
		return org.Member{}, Group{}, err
	}
	t, err := s.cachedTree(ctx, orgID)
	if err != nil {
		return org.Member{}, Group{}, err
	}
	g, ok, err := s.groupOf(ctx, t, m)
	if err != nil {
		return org.Member{}, Group{}, err
	}
	if !ok {
		return m, Group{}, tack.Errorf(tack.EConflict, "the member is not in an attendance group")
	}
	return m, g, nil
}

// CheckCorrection reports whether a make-up punch may be asked for: the
// work date is past or today and within the group's deadline, the check
// exists in the day's shift, and the member's corrections of that month
// are below the quota. For the approvals service (no caller checks).
func (s *Service) CheckCorrection(ctx context.Context, c Correction) error {
	m, g, err := s.subjectFor(ctx, c.OrgID, c.UserID)
	if err != nil {
		return err
	}
	_, _, err = s.correctionDay(ctx, m, g, c, true)
	return err
}

// QuotaOf returns a member's make-up punches used and allowed in month
// (YYYY-MM).
func (s *Service) QuotaOf(ctx context.Context, orgID, userID tack.ID, month string) (Quota, error) {
	m, g, err := s.subjectFor(ctx, orgID, userID)
	if err != nil {
		return Quota{}, err
	}
	from, err := time.Parse("2006-01", month)
	if err != nil {
		return Quota{}, tack.Invalid("month", "month must look like 2026-03")
	}
	n, err := s.store.CountCorrections(ctx, orgID, m.UserID, dateString(from), dateString(from.AddDate(0, 1, -1)))
	if err != nil {
		return Quota{}, err
	}
	return Quota{Month: month, Used: n, Limit: g.MakeupQuota, Days: g.MakeupDays}, nil
}

// correctionDay validates c and returns the day with the check index.
func (s *Service) correctionDay(ctx context.Context, m org.Member, g Group, c Correction, quota bool) (Day, int, error) {
	date, err := parseDate("work_date", c.WorkDate)
	if err != nil {
		return Day{}, 0, err
	}
	if c.CheckType != OnDuty && c.CheckType != OffDuty {
		return Day{}, 0, tack.Invalid("check_type", "check_type must be OnDuty or OffDuty")
	}
	if c.Pair < 0 || c.Pair >= MaxPairs {
		return Day{}, 0, tack.Invalid("pair", "pair must be 0, 1 or 2")
	}
	now := s.now()
	loc, err := loadLocation(g.TimeZone)
	if err != nil {
		return Day{}, 0, err
	}
	if date.After(civil(now.In(loc))) {
		return Day{}, 0, tack.Invalid("work_date", "a make-up punch is for a day that has begun")
	}
	days, err := s.store.Days(ctx, g.OrgID, []tack.ID{m.UserID}, c.WorkDate, c.WorkDate)
	if err != nil {
		return Day{}, 0, err
	}
	var d Day
	if len(days) == 1 {
		d = days[0]
	} else {
		plans, err := s.plansFor(ctx, g, m.UserID, []time.Time{date}, nil)
		if err != nil {
			return Day{}, 0, err
		}
		covers, err := s.store.Covers(ctx, g.OrgID, m.UserID, plans[0].Start, plans[0].End)
		if err != nil {
			return Day{}, 0, err
		}
		d = Day{OrgID: g.OrgID, UserID: m.UserID, MemberID: m.ID, GroupID: g.ID, WorkDate: c.WorkDate, State: Open,
			Plan: plans[0], Covers: covers, DueAt: plans[0].dueAt()}
		d.Checks, d.Summary = judge(d.Plan, nil, d.Covers, false)
	}
	if d.Plan.Kind != KindWork {
		return Day{}, 0, tack.Errorf(tack.EConflict, "%s is not a work day with a shift; nothing to make up", c.WorkDate)
	}
	idx := -1
	cs := d.Plan.slots(d.Checks)
	for i, x := range cs {
		if x.Pair == c.Pair && x.CheckType == c.CheckType {
			idx = i
		}
	}
	if idx < 0 {
		return Day{}, 0, tack.Invalid("pair", "the shift of %s has no pair %d", c.WorkDate, c.Pair)
	}
	if !quota {
		return d, idx, nil
	}
	if cs[idx].TimeResult == Normal {
		return Day{}, 0, tack.Errorf(tack.EConflict, "that check is already Normal")
	}
	applied := c.AppliedAt
	if applied.IsZero() {
		applied = now
	}
	if applied.After(wall(date, 1440, loc).AddDate(0, 0, g.MakeupDays)) {
		return Day{}, 0, tack.Errorf(tack.EExpired, "make-up punches must be asked for within %d days of the work day", g.MakeupDays)
	}
	first := time.Date(date.Year(), date.Month(), 1, 0, 0, 0, 0, time.UTC)
	n, err := s.store.CountCorrections(ctx, g.OrgID, m.UserID, dateString(first), dateString(first.AddDate(0, 1, -1)))
	if err != nil {
		return Day{}, 0, err
	}
	if n >= g.MakeupQuota {
		return Day{}, 0, tack.Errorf(tack.EConflict, "the monthly quota of %d make-up punches is used up", g.MakeupQuota)
	}
	return d, idx, nil
}

// ApplyCorrection applies an approved make-up punch: within quota and
// deadline, the check becomes Normal at its base time with source_type
// APPROVE and the approval's ID; audited. For the approvals service (no
// caller checks). It returns the check as judged.
func (s *Service) ApplyCorrection(ctx context.Context, c Correction) (Check, error) {
	if strings.TrimSpace(c.ApprovalID) == "" {
		return Check{}, tack.Invalid("approval_id", "approval_id is required")
	}
	m, g, err := s.subjectFor(ctx, c.OrgID, c.UserID)
	if err != nil {
		return Check{}, err
	}
	return s.correct(ctx, m, g, c, SourceApprove, nil)
}

// CorrectionInput is an admin's correction of a member's check.
type CorrectionInput struct {
	UserID    tack.ID `json:"user_id"`
	WorkDate  string  `json:"work_date"`
	CheckType string  `json:"check_type"`
	Pair      int     `json:"pair"`
	Reason    string  `json:"reason"`
}

// Correct is an admin's correction (source_type ADMIN): admins, and
// sub-admins over the member. It uses no quota; it is audited.
func (s *Service) Correct(ctx context.Context, orgID tack.ID, in CorrectionInput) (Check, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Check{}, err
	}
	if !a.admin() && a.me.Role != org.RoleSubAdmin {
		return Check{}, tack.Errorf(tack.EForbidden, "only admins may correct attendance")
	}
	if in.Reason, err = validText("reason", in.Reason, MaxNoteRunes); err != nil {
		return Check{}, err
	}
	if in.Reason == "" {
		return Check{}, tack.Invalid("reason", "say why (reason)")
	}
	subj, err := s.subject(ctx, a, in.UserID)
	if err != nil {
		return Check{}, err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return Check{}, err
	}
	if !a.admin() && !a.managesTargets(t, []org.Member{subj}, nil) {
		return Check{}, tack.Errorf(tack.EForbidden, "you may correct the attendance of members of your departments only")
	}
	m, g, err := s.subjectFor(ctx, orgID, subj.ID)
	if err != nil {
		return Check{}, err
	}
	c := Correction{OrgID: orgID, UserID: m.UserID, WorkDate: in.WorkDate, CheckType: in.CheckType, Pair: in.Pair,
		ActorID: a.me.UserID, Reason: in.Reason, ApprovalID: ""}
	return s.correct(ctx, m, g, c, SourceAdmin, a)
}

func (s *Service) correct(ctx context.Context, m org.Member, g Group, c Correction, source string, a *actor) (Check, error) {
	var err error
	if c.Reason, err = validText("reason", c.Reason, MaxNoteRunes); err != nil {
		return Check{}, err
	}
	for attempt := 1; ; attempt++ {
		d, idx, err := s.correctionDay(ctx, m, g, c, source == SourceApprove)
		if err != nil {
			return Check{}, err
		}
		now := s.now()
		cs := d.Plan.slots(d.Checks)
		base := cs[idx].BaseTime
		punch := Punch{ID: tack.NewID(), OrgID: g.OrgID, UserID: m.UserID, WorkDate: d.WorkDate, At: base, CheckType: c.CheckType,
			Pair: c.Pair, SourceType: source, LocationResult: Normal, Via: "correction", Note: c.Reason, ApproveID: c.ApprovalID,
			ActorID: c.ActorID}
		cs[idx] = Check{Pair: c.Pair, CheckType: c.CheckType, BaseTime: base, UserTime: &base, SourceType: source,
			LocationResult: Normal, PunchID: punch.ID, Via: "correction", ApproveID: c.ApprovalID, Correction: true}
		d.Checks, d.Summary = judge(d.Plan, cs, d.Covers, d.State == Closed)
		d.UpdatedAt = now
		w := DayWrite{Day: d, Mode: UpdateDay, PrevRev: d.Rev}
		if d.Rev == 0 {
			w.Mode = InsertDay
		}
		au := Audit{ID: tack.NewID(), OrgID: g.OrgID, ActorID: c.ActorID, Action: "correction.apply", Target: string(m.UserID),
			Detail: map[string]any{"work_date": d.WorkDate, "check_type": c.CheckType, "pair": c.Pair, "source_type": source,
				"approval_id": c.ApprovalID, "reason": c.Reason}, At: now}
		err = s.store.Apply(ctx, Batch{Punches: []Punch{punch}, Days: []DayWrite{w}, Audit: []Audit{au}})
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxPunchAttempts {
			continue
		}
		if err != nil {
			return Check{}, err
		}
		for _, x := range d.Checks {
			if x.PunchID == punch.ID {
				s.emit(ctx, g.OrgID, Result{Action: "correction", UserID: m.UserID, MemberID: m.ID, WorkDate: d.WorkDate, Check: &x})
				return x, nil
			}
		}
		return Check{}, fmt.Errorf("correction: check vanished")
	}
}

// CoverInput is approved leave, a trip or an outing to apply: a span of
// time (Start, End), or whole days (FromDate, ToDate inclusive, in the
// member's group's time zone).
type CoverInput struct {
	OrgID      tack.ID   `json:"org_id"`
	UserID     tack.ID   `json:"user_id"` // user or member ID
	Kind       string    `json:"kind"`    // leave, trip, outing
	LeaveType  string    `json:"leave_type"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	FromDate   string    `json:"from_date"`
	ToDate     string    `json:"to_date"`
	ApprovalID string    `json:"approval_id"`
	ActorID    tack.ID   `json:"actor_id"`
}

// Cover applies approved leave, a business trip or an outing: the checks
// whose times it covers read Normal with source_type APPROVE (approve_type
// and leave_type say which), and a working day it covers reads as leave,
// never absent, in records and reports, whether the day is past, today or
// still to come. Idempotent by ApprovalID. For the approvals service (no
// caller checks).
func (s *Service) Cover(ctx context.Context, in CoverInput) (Cover, error) {
	return s.cover(ctx, in, SourceApprove)
}

func (s *Service) cover(ctx context.Context, in CoverInput, source string) (Cover, error) {
	if strings.TrimSpace(in.ApprovalID) == "" || len(in.ApprovalID) > 64 {
		return Cover{}, tack.Invalid("approval_id", "approval_id is required (at most 64 characters)")
	}
	switch in.Kind {
	case CoverLeave:
		lt, err := validText("leave_type", in.LeaveType, 32)
		if err != nil {
			return Cover{}, err
		}
		if lt == "" {
			return Cover{}, tack.Invalid("leave_type", "leave needs a leave_type such as annual")
		}
		in.LeaveType = lt
	case CoverTrip, CoverOuting:
		in.LeaveType = ""
	default:
		return Cover{}, tack.Invalid("kind", "kind must be leave, trip or outing")
	}
	// Someone in no attendance group still gets the cover (it applies if
	// they join one); whole days are then in the organisation's zone.
	m, g, err := s.subjectFor(ctx, in.OrgID, in.UserID)
	tz := g.TimeZone
	if tack.ErrorCode(err) == tack.EConflict {
		o, oerr := s.dir.DirectoryOrg(ctx, in.OrgID)
		if oerr != nil {
			return Cover{}, fmt.Errorf("organisation: %w", oerr)
		}
		tz, err = o.TimeZone, nil
	}
	if err != nil {
		return Cover{}, err
	}
	if old, err := s.store.CoverByApproval(ctx, in.OrgID, in.ApprovalID); err == nil {
		return old, nil
	} else if !errors.Is(err, tack.ErrNotFound) {
		return Cover{}, err
	}
	loc, err := loadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	if in.FromDate != "" || in.ToDate != "" {
		from, err := parseDate("from_date", in.FromDate)
		if err != nil {
			return Cover{}, err
		}
		to, err := parseDate("to_date", in.ToDate)
		if err != nil {
			return Cover{}, err
		}
		in.Start, in.End = wall(from, 0, loc), wall(to, 1440, loc)
	}
	if in.Start.IsZero() || !in.End.After(in.Start) {
		return Cover{}, tack.Invalid("end", "a cover needs a start before its end (or from_date and to_date)")
	}
	if in.End.Sub(in.Start) > 366*24*time.Hour {
		return Cover{}, tack.Invalid("end", "a cover spans at most a year")
	}
	c := Cover{ID: tack.NewID(), OrgID: in.OrgID, UserID: m.UserID, Kind: in.Kind, LeaveType: in.LeaveType,
		Start: in.Start.UTC().Truncate(time.Microsecond), End: in.End.UTC().Truncate(time.Microsecond), ApprovalID: in.ApprovalID,
		Source: source, CreatedBy: in.ActorID, CreatedAt: s.now()}
	au := Audit{ID: tack.NewID(), OrgID: in.OrgID, ActorID: in.ActorID, Action: "cover.apply", Target: string(m.UserID), Detail: c, At: c.CreatedAt}
	return c, s.rejudge(ctx, c, func(d *Day) { d.Covers = append(d.Covers, c) }, Batch{Covers: []Cover{c}, Audit: []Audit{au}})
}

// rejudge applies change to the member's existing days that c overlaps
// and writes them with b, retrying when a day moved meanwhile.
func (s *Service) rejudge(ctx context.Context, c Cover, change func(*Day), b Batch) error {
	// Work dates near the span in any zone (a day's plan says whether it
	// overlaps).
	from := dateString(civil(c.Start).AddDate(0, 0, -2))
	to := dateString(civil(c.End).AddDate(0, 0, 1))
	for attempt := 1; ; attempt++ {
		days, err := s.store.Days(ctx, c.OrgID, []tack.ID{c.UserID}, from, to)
		if err != nil {
			return err
		}
		bb := b
		bb.Days = nil
		now := s.now()
		for _, d := range days {
			if !(c.Start.Before(d.Plan.End) && c.End.After(d.Plan.Start)) {
				continue
			}
			change(&d)
			d.Checks, d.Summary = judge(d.Plan, d.Checks, d.Covers, d.State == Closed)
			d.UpdatedAt = now
			bb.Days = append(bb.Days, DayWrite{Day: d, Mode: UpdateDay, PrevRev: d.Rev})
		}
		err = s.store.Apply(ctx, bb)
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxPunchAttempts {
			continue
		}
		return err
	}
}

// Uncover removes the cover of an approval (withdrawn or cancelled leave)
// and judges its days again. For the approvals service.
func (s *Service) Uncover(ctx context.Context, orgID tack.ID, approvalID string) error {
	c, err := s.store.CoverByApproval(ctx, orgID, approvalID)
	if errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "no cover for that approval")
	} else if err != nil {
		return err
	}
	au := Audit{ID: tack.NewID(), OrgID: orgID, Action: "cover.remove", Target: string(c.UserID), Detail: c, At: s.now()}
	return s.rejudge(ctx, c, func(d *Day) {
		d.Covers = slices.DeleteFunc(d.Covers, func(x Cover) bool { return x.ID == c.ID })
	}, Batch{DeleteCovers: []tack.ID{c.ID}, Audit: []Audit{au}})
}

// AdminCover is an admin recording leave, a trip or an outing by hand
// (source_type ADMIN): admins, and sub-admins over the member.
func (s *Service) AdminCover(ctx context.Context, orgID tack.ID, in CoverInput) (Cover, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Cover{}, err
	}
	if !a.admin() && a.me.Role != org.RoleSubAdmin {
		return Cover{}, tack.Errorf(tack.EForbidden, "only admins may record leave by hand")
	}
	subj, err := s.subject(ctx, a, in.UserID)
	if err != nil {
		return Cover{}, err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return Cover{}, err
	}
	if !a.admin() && !a.managesTargets(t, []org.Member{subj}, nil) {
		return Cover{}, tack.Errorf(tack.EForbidden, "you may record leave for members of your departments only")
	}
	in.OrgID, in.UserID, in.ActorID = orgID, subj.ID, a.me.UserID
	if in.ApprovalID == "" {
		in.ApprovalID = "admin-" + string(tack.NewID())
	}
	return s.cover(ctx, in, SourceAdmin)
}

// MyQuota returns the caller's make-up punches used and allowed in month.
func (s *Service) MyQuota(ctx context.Context, orgID tack.ID, month string) (Quota, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Quota{}, err
	}
	q, err := s.QuotaOf(ctx, orgID, a.me.UserID, month)
	if tack.ErrorCode(err) == tack.EConflict {
		return Quota{}, errNoGroupOfYours
	}
	return q, err
}

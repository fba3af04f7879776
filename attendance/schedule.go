package attendance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// ScheduleInput is one entry of a schedule (排班): a member (member ID,
// user ID, employee number or work email), a date, and a shift (ID or
// name; "" or "休"/"rest" is a rest day).
type ScheduleInput struct {
	Member string `json:"member"`
	Date   string `json:"date"`
	Shift  string `json:"shift"`
}

func isRest(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "休", "rest", "off", "休息":
		return true
	}
	return false
}

// scheduledGroup checks the actor manages a scheduled group.
func (s *Service) scheduledGroup(ctx context.Context, orgID, groupID tack.ID) (*actor, Group, *tree, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, Group{}, nil, err
	}
	g, err := s.group(ctx, orgID, groupID)
	if err != nil {
		return nil, Group{}, nil, err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return nil, Group{}, nil, err
	}
	if ok, err := s.managesGroup(ctx, a, t, g); err != nil {
		return nil, Group{}, nil, err
	} else if !ok {
		return nil, Group{}, nil, tack.Errorf(tack.EForbidden, "only the group's admins may schedule it")
	}
	if g.Kind != Scheduled {
		return nil, Group{}, nil, tack.Errorf(tack.EConflict, "only scheduled groups (kind scheduled) have schedules")
	}
	return a, g, t, nil
}

// SetSchedule writes schedule entries of a scheduled group (the group's
// admins). Days not yet begun, and open days nobody has punched, take the
// new shift at once; other days keep the plan they were judged by.
func (s *Service) SetSchedule(ctx context.Context, orgID, groupID tack.ID, in []ScheduleInput) (int, error) {
	a, g, t, err := s.scheduledGroup(ctx, orgID, groupID)
	if err != nil {
		return 0, err
	}
	if len(in) == 0 {
		return 0, tack.Invalid("entries", "send at least one entry")
	}
	if len(in) > MaxScheduleEntries {
		return 0, tack.Errorf(tack.ETooLarge, "at most %d schedule entries at once", MaxScheduleEntries)
	}
	members, err := s.members(ctx, t, g)
	if err != nil {
		return 0, err
	}
	shifts, err := s.store.Shifts(ctx, orgID)
	if err != nil {
		return 0, err
	}
	var put, del []Schedule
	seen := map[string]bool{}
	var users []tack.ID
	minDate, maxDate := "", ""
	for i, e := range in {
		f := fmt.Sprintf("entries[%d]", i)
		m, ok := findMember(members, e.Member)
		if !ok {
			return 0, tack.Invalid(f+".member", "%q is not a member of this group", e.Member)
		}
		d, err := parseDate(f+".date", strings.TrimSpace(e.Date))
		if err != nil {
			return 0, err
		}
		ds := dateString(d)
		key := string(m.UserID) + ds
		if seen[key] {
			return 0, tack.Invalid(f, "%s on %s is scheduled twice", e.Member, ds)
		}
		seen[key] = true
		sc := Schedule{OrgID: orgID, GroupID: g.ID, UserID: m.UserID, Date: ds}
		if !isRest(e.Shift) {
			i := slices.IndexFunc(shifts, func(x Shift) bool {
				return string(x.ID) == strings.TrimSpace(e.Shift) || strings.EqualFold(x.Name, strings.TrimSpace(e.Shift))
			})
			if i < 0 {
				return 0, tack.Invalid(f+".shift", "no shift is called %q (make it first, or use 休 for rest)", e.Shift)
			}
			sc.ShiftID = shifts[i].ID
		}
		put = append(put, sc)
		if !slices.Contains(users, m.UserID) {
			users = append(users, m.UserID)
		}
		if minDate == "" || ds < minDate {
			minDate = ds
		}
		if ds > maxDate {
			maxDate = ds
		}
	}
	shiftByID := map[tack.ID]Shift{}
	for _, x := range shifts {
		shiftByID[x.ID] = x
	}
	for attempt := 1; ; attempt++ {
		b := Batch{Schedules: put, DeleteSchedules: del, Audit: []Audit{s.audit(a, "schedule.set", g.ID, map[string]any{"entries": len(put)})}}
		days, err := s.store.Days(ctx, orgID, users, minDate, maxDate)
		if err != nil {
			return 0, err
		}
		byKey := map[string]Schedule{}
		for _, x := range put {
			byKey[string(x.UserID)+x.Date] = x
		}
		now := s.now()
		for _, d := range days {
			x, ok := byKey[string(d.UserID)+d.WorkDate]
			if !ok || d.State != Open || d.GroupID != g.ID || punched(d) {
				continue
			}
			date, _ := parseDate("date", d.WorkDate)
			d.Plan = planFor(g, date, nil, &x, shiftByID)
			d.DueAt = d.Plan.dueAt()
			d.Checks, d.Summary = judge(d.Plan, nil, d.Covers, false)
			d.UpdatedAt = now
			b.Days = append(b.Days, DayWrite{Day: d, Mode: UpdateDay, PrevRev: d.Rev})
		}
		err = s.store.Apply(ctx, b)
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxPunchAttempts {
			continue
		}
		if err != nil {
			return 0, err
		}
		return len(put), nil
	}
}

func punched(d Day) bool {
	for _, c := range d.Checks {
		if c.UserTime != nil {
			return true
		}
	}
	return false
}

func findMember(ms []org.Member, ref string) (org.Member, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return org.Member{}, false
	}
	for _, m := range ms {
		if string(m.ID) == ref || string(m.UserID) == ref {
			return m, true
		}
	}
	for _, m := range ms {
		if m.EmployeeNo != "" && strings.EqualFold(m.EmployeeNo, ref) || m.WorkEmail != "" && strings.EqualFold(m.WorkEmail, ref) {
			return m, true
		}
	}
	return org.Member{}, false
}

// ImportSchedule reads a schedule from a table (a CSV or XLSX file): either
// long, with a header naming member, date and shift columns, or wide as
// schedules are usually drawn: a header row of dates, then a row per
// member (first cell) with a shift name per date (休 for rest, empty for
// no change).
func (s *Service) ImportSchedule(ctx context.Context, orgID, groupID tack.ID, rows [][]string) (int, error) {
	if _, _, _, err := s.scheduledGroup(ctx, orgID, groupID); err != nil {
		return 0, err
	}
	if len(rows) < 2 {
		return 0, tack.Invalid("file", "the file needs a header row and at least one row")
	}
	head := make([]string, len(rows[0]))
	for i, h := range rows[0] {
		head[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	var in []ScheduleInput
	col := func(names ...string) int {
		return slices.IndexFunc(head, func(h string) bool { return slices.Contains(names, h) })
	}
	if dc := col("date", "日期"); dc >= 0 {
		mc := col("member", "member_id", "user_id", "employee_no", "email", "成员", "工号", "姓名")
		sc := col("shift", "班次")
		if mc < 0 || sc < 0 {
			return 0, tack.Invalid("file", "the header needs member, date and shift columns")
		}
		for i, r := range rows[1:] {
			cell := func(c int) string {
				if c < len(r) {
					return strings.TrimSpace(r[c])
				}
				return ""
			}
			if cell(mc) == "" && cell(dc) == "" {
				continue
			}
			if _, err := parseDate("date", normDate(cell(dc))); err != nil {
				return 0, tack.Invalid("file", "line %d: %q is not a date like 2026-03-01", i+2, cell(dc))
			}
			in = append(in, ScheduleInput{Member: cell(mc), Date: normDate(cell(dc)), Shift: cell(sc)})
		}
	} else {
		dates := make([]string, len(head))
		for i := 1; i < len(head); i++ {
			d := normDate(head[i])
			if _, err := parseDate("date", d); err != nil {
				return 0, tack.Invalid("file", "header column %d: %q is not a date like 2026-03-01 (or use member, date, shift columns)", i+1, rows[0][i])
			}
			dates[i] = d
		}
		for _, r := range rows[1:] {
			if len(r) == 0 || strings.TrimSpace(r[0]) == "" {
				continue
			}
			for i := 1; i < len(r) && i < len(dates); i++ {
				if strings.TrimSpace(r[i]) == "" {
					continue
				}
				in = append(in, ScheduleInput{Member: r[0], Date: dates[i], Shift: r[i]})
			}
		}
	}
	return s.SetSchedule(ctx, orgID, groupID, in)
}

func normDate(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "/", "-")
	if t, err := time.Parse("2006-1-2", s); err == nil {
		return t.Format("2006-01-02")
	}
	return s
}

// Schedule lists a scheduled group's entries from from to to (its admins).
func (s *Service) Schedule(ctx context.Context, orgID, groupID tack.ID, from, to string) ([]Schedule, error) {
	_, g, _, err := s.scheduledGroup(ctx, orgID, groupID)
	if err != nil {
		return nil, err
	}
	f, err := parseDate("from", from)
	if err != nil {
		return nil, err
	}
	t, err := parseDate("to", to)
	if err != nil {
		return nil, err
	}
	if t.Before(f) || t.Sub(f) > MaxRangeDays*24*time.Hour {
		return nil, tack.Invalid("to", "to must be on or after from, at most %d days later", MaxRangeDays)
	}
	all, err := s.store.Schedules(ctx, orgID, nil, from, to)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, x := range all {
		if x.GroupID == g.ID {
			out = append(out, x)
		}
	}
	return out, nil
}

package attendance

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Totals sum up days.
type Totals struct {
	ExpectedDays     int            `json:"expected_days"`
	ActualDays       int            `json:"actual_days"`
	RestDays         int            `json:"rest_days"`
	ExpectedMinutes  int            `json:"expected_minutes"`
	WorkedMinutes    int            `json:"worked_minutes"`
	LateCount        int            `json:"late_count"`
	LateMinutes      int            `json:"late_minutes"`
	SeriousLateCount int            `json:"serious_late_count"`
	EarlyCount       int            `json:"early_count"`
	EarlyMinutes     int            `json:"early_minutes"`
	AbsentDays       int            `json:"absent_days"`
	AbsentMinutes    int            `json:"absent_minutes"`
	NotSigned        int            `json:"not_signed"`
	FieldPunches     int            `json:"field_punches"`
	LeaveMinutes     map[string]int `json:"leave_minutes"`
	TripMinutes      int            `json:"trip_minutes"`
	OutingMinutes    int            `json:"outing_minutes"`
	OvertimeMinutes  int            `json:"overtime_minutes"`
}

func (t *Totals) add(d Day) {
	s := d.Summary
	if s.Workday {
		t.ExpectedDays++
	} else {
		t.RestDays++
	}
	if punched(d) {
		t.ActualDays++
	}
	t.ExpectedMinutes += s.ExpectedMinutes
	t.WorkedMinutes += s.WorkedMinutes
	t.LateCount += s.LateCount
	t.LateMinutes += s.LateMinutes
	t.SeriousLateCount += s.SeriousLateCount
	t.EarlyCount += s.EarlyCount
	t.EarlyMinutes += s.EarlyMinutes
	if s.Absent {
		t.AbsentDays++
	}
	t.AbsentMinutes += s.AbsentMinutes
	t.NotSigned += s.NotSigned
	t.FieldPunches += s.FieldPunches
	for k, v := range s.LeaveMinutes {
		if t.LeaveMinutes == nil {
			t.LeaveMinutes = map[string]int{}
		}
		t.LeaveMinutes[k] += v
	}
	t.TripMinutes += s.TripMinutes
	t.OutingMinutes += s.OutingMinutes
	t.OvertimeMinutes += s.OvertimeMinutes
}

func (t *Totals) merge(o Totals) {
	t.ExpectedDays += o.ExpectedDays
	t.ActualDays += o.ActualDays
	t.RestDays += o.RestDays
	t.ExpectedMinutes += o.ExpectedMinutes
	t.WorkedMinutes += o.WorkedMinutes
	t.LateCount += o.LateCount
	t.LateMinutes += o.LateMinutes
	t.SeriousLateCount += o.SeriousLateCount
	t.EarlyCount += o.EarlyCount
	t.EarlyMinutes += o.EarlyMinutes
	t.AbsentDays += o.AbsentDays
	t.AbsentMinutes += o.AbsentMinutes
	t.NotSigned += o.NotSigned
	t.FieldPunches += o.FieldPunches
	for k, v := range o.LeaveMinutes {
		if t.LeaveMinutes == nil {
			t.LeaveMinutes = map[string]int{}
		}
		t.LeaveMinutes[k] += v
	}
	t.TripMinutes += o.TripMinutes
	t.OutingMinutes += o.OutingMinutes
	t.OvertimeMinutes += o.OvertimeMinutes
}

// ReportRow is one member's month.
type ReportRow struct {
	UserID      tack.ID  `json:"user_id"`
	MemberID    tack.ID  `json:"member_id"`
	Name        string   `json:"name"`
	EmployeeNo  string   `json:"employee_no,omitempty"`
	Departments []string `json:"departments"`
	Totals
}

// Report is a monthly report of members and their total.
type Report struct {
	Month        string      `json:"month"`
	DepartmentID tack.ID     `json:"department_id,omitempty"`
	Rows         []ReportRow `json:"rows"`
	Total        Totals      `json:"total"`
}

// ReportQuery selects a monthly report: one member (UserID), a department
// and its sub-departments, or (empty) everyone the caller oversees.
type ReportQuery struct {
	Month        string
	DepartmentID tack.ID
	UserID       tack.ID
}

// MonthlyReport sums up a month per member over the members the caller
// oversees (admins: all; sub-admins: their departments; managers: their
// reports; members: themselves). Each member looked at is shown the view.
func (s *Service) MonthlyReport(ctx context.Context, orgID tack.ID, q ReportQuery) (Report, error) {
	first, err := time.Parse("2006-01", q.Month)
	if err != nil || first.Year() < 1970 || first.Year() > 2200 {
		return Report{}, tack.Invalid("month", "month must look like 2026-03")
	}
	last := first.AddDate(0, 1, -1)
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Report{}, err
	}
	t, err := s.freshTree(ctx, orgID)
	if err != nil {
		return Report{}, err
	}
	var ms []org.Member
	switch {
	case q.UserID != "":
		m, err := s.subject(ctx, a, q.UserID)
		if err != nil {
			return Report{}, err
		}
		if ok, err := s.oversees(ctx, a, t, m); err != nil {
			return Report{}, err
		} else if !ok {
			return Report{}, errNotOverseen
		}
		ms = []org.Member{m}
	case q.DepartmentID != "":
		d, ok := t.byID[q.DepartmentID]
		if !q.DepartmentID.Valid() || !ok {
			return Report{}, tack.Errorf(tack.ENotFound, "no such department")
		}
		if ms, err = s.dir.DirectoryActiveMembers(ctx, orgID, []string{d.Path}); err != nil {
			return Report{}, err
		}
	default:
		if ms, err = s.dir.DirectoryActiveMembers(ctx, orgID, nil); err != nil {
			return Report{}, err
		}
	}
	if ms, err = s.overseenAmong(ctx, a, t, ms); err != nil {
		return Report{}, err
	}
	var users []tack.ID
	for _, m := range ms {
		if m.UserID != "" {
			users = append(users, m.UserID)
		}
	}
	rep := Report{Month: q.Month, DepartmentID: q.DepartmentID, Rows: []ReportRow{}}
	if len(users) == 0 {
		return rep, nil
	}
	query := users
	if len(users) > 500 {
		query = nil // the whole organisation, filtered below
	}
	days, err := s.store.Days(ctx, orgID, query, dateString(first), dateString(last))
	if err != nil {
		return Report{}, err
	}
	byUser := map[tack.ID]*Totals{}
	for _, d := range days {
		tt := byUser[d.UserID]
		if tt == nil {
			tt = &Totals{}
			byUser[d.UserID] = tt
		}
		tt.add(d)
	}
	if err := s.recordViews(ctx, a, users, "report", dateString(first), dateString(last)); err != nil {
		return Report{}, err
	}
	for _, m := range ms {
		if m.UserID == "" {
			continue
		}
		row := ReportRow{UserID: m.UserID, MemberID: m.ID, Name: m.Name, EmployeeNo: m.EmployeeNo, Departments: []string{}}
		for _, id := range m.Departments {
			if d, ok := t.byID[id]; ok {
				row.Departments = append(row.Departments, d.Name)
			}
		}
		if tt := byUser[m.UserID]; tt != nil {
			row.Totals = *tt
		}
		rep.Total.merge(row.Totals)
		rep.Rows = append(rep.Rows, row)
	}
	sort.SliceStable(rep.Rows, func(i, j int) bool { return rep.Rows[i].Name < rep.Rows[j].Name })
	return rep, nil
}

// Table renders the report as rows for a spreadsheet: a header (Chinese
// and English), a row per member, and the total.
func (r Report) Table() [][]string {
	var types []string
	for _, row := range append(r.Rows, ReportRow{Totals: r.Total}) {
		for k := range row.LeaveMinutes {
			if !slices.Contains(types, k) {
				types = append(types, k)
			}
		}
	}
	sort.Strings(types)
	head := []string{"姓名 Name", "工号 Employee no.", "部门 Departments", "应出勤天数 Expected days", "实际出勤天数 Actual days",
		"应出勤分钟 Expected minutes", "工作分钟 Worked minutes", "迟到次数 Late", "迟到分钟 Late minutes", "严重迟到次数 Seriously late",
		"早退次数 Early", "早退分钟 Early minutes", "旷工天数 Absent days", "缺卡次数 Not signed", "外勤次数 Field punches",
		"出差分钟 Trip minutes", "外出分钟 Outing minutes", "加班分钟 Overtime minutes"}
	for _, k := range types {
		head = append(head, "请假分钟 Leave minutes: "+k)
	}
	rows := [][]string{head}
	line := func(name, emp, depts string, t Totals) []string {
		it := strconv.Itoa
		out := []string{name, emp, depts, it(t.ExpectedDays), it(t.ActualDays), it(t.ExpectedMinutes), it(t.WorkedMinutes),
			it(t.LateCount), it(t.LateMinutes), it(t.SeriousLateCount), it(t.EarlyCount), it(t.EarlyMinutes), it(t.AbsentDays),
			it(t.NotSigned), it(t.FieldPunches), it(t.TripMinutes), it(t.OutingMinutes), it(t.OvertimeMinutes)}
		for _, k := range types {
			out = append(out, it(t.LeaveMinutes[k]))
		}
		return out
	}
	for _, row := range r.Rows {
		rows = append(rows, line(row.Name, row.EmployeeNo, strings.Join(row.Departments, "; "), row.Totals))
	}
	rows = append(rows, line("合计 Total", "", fmt.Sprintf("%d", len(r.Rows)), r.Total))
	return rows
}

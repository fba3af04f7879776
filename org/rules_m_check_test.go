package org_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// importRows imports table into a new organisation of its own and returns
// the result (checked only: a dry run).
func importRows(t *testing.T, table [][]string) org.ImportResult {
	t.Helper()
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	o, _, err := svc.Create(me, "Check Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	// Every row gets an employee number, the key rows are matched by.
	keyed := [][]string{append([]string{"employee_no"}, table[0]...)}
	for i, r := range table[1:] {
		keyed = append(keyed, append([]string{fmt.Sprint("E", i)}, r...))
	}
	res, err := svc.Import(me, o.ID, org.Table(keyed), org.ImportOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func problemCodes(r org.ImportRow) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, p.Code)
	}
	return out
}

// TestImportNestsAsDeepAsDepartmentsMay: an import makes departments down
// to MaxDepth levels, the depth departments can be made at one by one, and
// refuses a row one level deeper.
func TestImportNestsAsDeepAsDepartmentsMay(t *testing.T) {
	path := func(levels int) string {
		var parts []string
		for i := range levels {
			parts = append(parts, fmt.Sprint("D", i))
		}
		return strings.Join(parts, "/")
	}
	res := importRows(t, [][]string{{"name", "department"}, {"Deep", path(org.MaxDepth)}, {"Deeper", path(org.MaxDepth + 1)}})
	if len(res.Rows) != 2 {
		t.Fatalf("rows: %+v", res.Rows)
	}
	if res.Rows[0].Problems != nil {
		t.Errorf("a department %d levels deep: %v", org.MaxDepth, problemCodes(res.Rows[0]))
	}
	if got := problemCodes(res.Rows[1]); len(got) != 1 || got[0] != "row_department_too_deep" {
		t.Errorf("a department %d levels deep: %v, want row_department_too_deep", org.MaxDepth+1, got)
	}
}

// TestImportReportsTheFirstProblemsInDetail: an import reports the first
// MaxImportProblems problems in detail, counts the rest in one problem of
// the file, and fails every bad row either way.
func TestImportReportsTheFirstProblemsInDetail(t *testing.T) {
	table := [][]string{{"name", "hire_date"}}
	bad := org.MaxImportProblems + 3
	for i := range bad {
		table = append(table, []string{fmt.Sprint("P", i), "not a date"})
	}
	res := importRows(t, table)
	if res.Failed != bad {
		t.Errorf("failed rows: %d, want %d", res.Failed, bad)
	}
	detailed := 0
	for _, r := range res.Rows {
		detailed += len(r.Problems)
	}
	if detailed != org.MaxImportProblems {
		t.Errorf("problems reported in detail: %d, want %d", detailed, org.MaxImportProblems)
	}
	var more any
	for _, p := range res.Problems {
		if p.Code == "file_too_many_problems" {
			more = p.Params["more"]
		}
	}
	if more != 3 {
		t.Errorf("problems past the limit: %v (%T), want 3 (file problems %+v)", more, more, res.Problems)
	}
}

// TestDatesBetween1900And2200: a hire date is a date from 1900 to 2200,
// both years included.
func TestDatesBetween1900And2200(t *testing.T) {
	table := [][]string{{"name", "hire_date"}}
	dates := []string{"1900-01-01", "2200-12-31", "1899-12-31", "2201-01-01"}
	for i, d := range dates {
		table = append(table, []string{fmt.Sprint("H", i), d})
	}
	res := importRows(t, table)
	for i, d := range dates {
		valid := i < 2
		if got := res.Rows[i].Problems == nil; got != valid {
			t.Errorf("hire date %s: problems %v, want valid=%v", d, problemCodes(res.Rows[i]), valid)
		}
	}
}

// TestOrganisationTimeZone: an organisation keeps the time zone it was
// made with, UTC when none was given.
func TestOrganisationTimeZone(t *testing.T) {
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	for tz, want := range map[string]string{"Asia/Shanghai": "Asia/Shanghai", "": "UTC"} {
		o, _, err := svc.Create(me, "Zone Co "+tz, tz, "")
		if err != nil {
			t.Fatal(err)
		}
		if o.TimeZone != want {
			t.Errorf("made with %q: time zone %q, want %q", tz, o.TimeZone, want)
		}
	}
}

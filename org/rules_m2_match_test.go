package org_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// unitImport is an organisation of its own on a unit-level service, and a
// way to import tables into it.
type unitImport struct {
	t   *testing.T
	svc *org.Service
	me  context.Context
	oid tack.ID
}

func newUnitImport(t *testing.T) *unitImport {
	t.Helper()
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	o, _, err := svc.Create(me, "Match Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	return &unitImport{t: t, svc: svc, me: me, oid: o.ID}
}

// run imports table (a dry run when dry) and fails the test on an error.
func (r *unitImport) run(dry bool, table ...[]string) org.ImportResult {
	r.t.Helper()
	res, err := r.svc.Import(r.me, r.oid, org.Table(table), org.ImportOptions{DryRun: dry})
	if err != nil {
		r.t.Fatal(err)
	}
	return res
}

// commit imports table for real and returns the members of its rows.
func (r *unitImport) commit(table ...[]string) []org.Member {
	r.t.Helper()
	res := r.run(false, table...)
	if !res.Committed {
		r.t.Fatalf("import not committed: %+v", res)
	}
	var out []org.Member
	for _, row := range res.Rows {
		m, err := r.svc.DirectoryMember(r.me, r.oid, row.MemberID)
		if err != nil {
			r.t.Fatalf("row %d (%s): %v", row.Line, row.Action, err)
		}
		out = append(out, m)
	}
	return out
}

// TestImportMatchesMembersByEmail: a row whose email is an existing
// member's (and that has no employee number) updates that member.
func TestImportMatchesMembersByEmail(t *testing.T) {
	r := newUnitImport(t)
	ann := r.commit([]string{"name", "email"}, []string{"Ann", "ann@example.com"})[0]
	res := r.run(true, []string{"name", "email", "title"}, []string{"Ann B", "ann@example.com", "Lead"})
	if len(res.Rows) != 1 || res.Rows[0].Action != "update" || res.Rows[0].MemberID != ann.ID {
		t.Fatalf("row keyed by the email of %s: %+v", ann.ID, res.Rows)
	}
}

// TestImportRowWithKeysOfTwoMembers: a row whose employee number is one
// member's and whose email is another's is refused as
// row_keys_of_two_members, and row_email_taken names the email.
func TestImportRowWithKeysOfTwoMembers(t *testing.T) {
	r := newUnitImport(t)
	r.commit([]string{"name", "employee_no", "email"}, []string{"Ann", "E1", "ann@example.com"}, []string{"Bob", "E2", "bob@example.com"})
	res := r.run(true, []string{"name", "employee_no", "email"}, []string{"Ann", "E1", "bob@example.com"})
	if got := problemCodes(res.Rows[0]); !slices.Contains(got, "row_keys_of_two_members") {
		t.Fatalf("row with Ann's number and Bob's email: %v (%+v)", got, res.Rows[0])
	}
	// Matched by the number (Ann's), it also says whose the email is not:
	// another member (not in the file) has it.
	taken := false
	for _, p := range res.Rows[0].Problems {
		taken = taken || p.Code == "row_email_taken" && p.Params["email"] == "bob@example.com"
	}
	if !taken {
		t.Errorf("row with Ann's number and Bob's email does not say the email is taken: %+v", res.Rows[0].Problems)
	}
}

// TestImportManagerMayBeAnExistingMember: a row's manager may be a member
// already in the organisation, named by employee number or by email.
func TestImportManagerMayBeAnExistingMember(t *testing.T) {
	r := newUnitImport(t)
	boss := r.commit([]string{"name", "employee_no", "email"}, []string{"Boss", "B1", "boss@example.com"})[0]
	got := r.commit([]string{"name", "employee_no", "manager"}, []string{"Wan", "W1", "B1"}, []string{"Wu", "W2", "boss@example.com"})
	for _, m := range got {
		if m.ManagerID != boss.ID {
			t.Errorf("%s's manager: %q, want %s", m.Name, m.ManagerID, boss.ID)
		}
	}
}

// TestImportKeepsKeysItHasNoColumnFor: an import without an employee_no
// (or email) column keeps the employee numbers (or emails) of the members
// it updates.
func TestImportKeepsKeysItHasNoColumnFor(t *testing.T) {
	r := newUnitImport(t)
	r.commit([]string{"name", "employee_no", "email"}, []string{"Ann", "E1", "ann@example.com"})
	m := r.commit([]string{"name", "email", "title"}, []string{"Ann", "ann@example.com", "Lead"})[0]
	if m.EmployeeNo != "E1" || m.Title != "Lead" {
		t.Errorf("after an import without employee numbers: %q %q, want E1 Lead", m.EmployeeNo, m.Title)
	}
	m = r.commit([]string{"name", "employee_no", "title"}, []string{"Ann", "E1", "Chief"})[0]
	if m.WorkEmail != "ann@example.com" || m.Title != "Chief" {
		t.Errorf("after an import without emails: %q %q, want ann@example.com Chief", m.WorkEmail, m.Title)
	}
}

// TestImportRowNeedsAKey: a row with neither an employee number nor an
// email is refused as row_missing_key; a row already refused for a bad
// key is not refused again for the missing one.
func TestImportRowNeedsAKey(t *testing.T) {
	r := newUnitImport(t)
	res := r.run(true, []string{"name", "email"}, []string{"Ann", ""}, []string{"Bob", "not an email"})
	if got := problemCodes(res.Rows[0]); !slices.Equal(got, []string{"row_missing_key"}) {
		t.Errorf("row without keys: %v", got)
	}
	if got := problemCodes(res.Rows[1]); !slices.Equal(got, []string{"row_invalid_email"}) {
		t.Errorf("row with a bad email: %v", got)
	}
}

// TestImportRowDepartmentsAtMost: a row may put a member in
// MaxMemberDepts departments, and not one more.
func TestImportRowDepartmentsAtMost(t *testing.T) {
	depts := func(n int) string {
		var ds []string
		for i := range n {
			ds = append(ds, fmt.Sprint("D", i))
		}
		return strings.Join(ds, ";")
	}
	res := importRows(t, [][]string{{"name", "department"}, {"Most", depts(org.MaxMemberDepts)}, {"Over", depts(org.MaxMemberDepts + 1)}})
	if res.Rows[0].Problems != nil {
		t.Errorf("%d departments: %v", org.MaxMemberDepts, problemCodes(res.Rows[0]))
	}
	if got := problemCodes(res.Rows[1]); !slices.Equal(got, []string{"row_too_many_departments"}) {
		t.Errorf("%d departments: %v", org.MaxMemberDepts+1, got)
	}
}

package org_test

import (
	"slices"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
)

// TestEveryProfileChangeIsKept: each profile field changed on its own is
// stored and audited once; sending the profile as it is audits nothing.
func TestEveryProfileChangeIsKept(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	id := string(w.target.ID)
	boss := string(must(w.owner.OrgMember(ctx, oid, w.owner.ID)).ID)
	updates := func() int {
		entries, _ := must2(w.owner.AuditLog(ctx, oid, "", 200))
		n := 0
		for _, e := range entries {
			if e.Action == "member.update" {
				n++
			}
		}
		return n
	}
	n0 := updates()
	steps := []struct {
		field string
		value any
		check func(client.OrgMember) bool
	}{
		{"name", "Tina T.", func(m client.OrgMember) bool { return m.Name == "Tina T." }},
		{"title", "Lead", func(m client.OrgMember) bool { return m.Title == "Lead" }},
		{"employee_no", "t1", func(m client.OrgMember) bool { return m.EmployeeNo == "T1" }},
		{"work_email", "tina@work.example", func(m client.OrgMember) bool { return m.WorkEmail == "tina@work.example" }},
		{"phone", "+8613800138000", func(m client.OrgMember) bool { return m.Phone != "" }},
		{"hire_date", "2020-01-02", func(m client.OrgMember) bool { return m.HireDate == "2020-01-02" }},
		{"department_ids", []string{string(w.eng.ID)}, func(m client.OrgMember) bool {
			return slices.Equal(m.Departments, []tack.ID{w.eng.ID})
		}},
		{"manager_id", boss, func(m client.OrgMember) bool { return string(m.ManagerID) == boss }},
	}
	for i, st := range steps {
		if _, err := w.owner.UpdateOrgMember(ctx, oid, id, map[string]any{st.field: st.value}); err != nil {
			t.Fatalf("change %s: %v", st.field, err)
		}
		if m := must(w.owner.OrgMember(ctx, oid, id)); !st.check(m) {
			t.Errorf("%s changed on its own was not kept: %+v", st.field, m)
		}
		if n := updates(); n != n0+i+1 {
			t.Errorf("after changing %s: %d member.update entries, want %d", st.field, n-n0, i+1)
		}
	}
	m := must(w.owner.OrgMember(ctx, oid, id))
	same := map[string]any{"name": m.Name, "title": m.Title, "employee_no": m.EmployeeNo, "work_email": m.WorkEmail,
		"phone": m.Phone, "hire_date": m.HireDate, "department_ids": m.Departments, "manager_id": m.ManagerID}
	if _, err := w.owner.UpdateOrgMember(ctx, oid, id, same); err != nil {
		t.Fatal(err)
	}
	if n := updates(); n != n0+len(steps) {
		t.Errorf("the profile sent as it is was audited: %d entries, want %d", n-n0, len(steps))
	}
}

// TestManagerRules: a member's manager is another member of the
// organisation, never themselves, and never someone below them in the
// chain; the manager can be cleared.
func TestManagerRules(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	tina := string(w.target.ID)
	mia := string(must(w.owner.OrgMember(ctx, oid, w.member.ID)).ID)
	set := func(id, mgr string) error {
		_, err := w.owner.UpdateOrgMember(ctx, oid, id, map[string]any{"manager_id": mgr})
		return err
	}
	if err := set(tina, tina); code(err) != "invalid" {
		t.Errorf("Tina her own manager: %v, want invalid", err)
	}
	ok(t, set(tina, mia))
	if err := set(mia, tina); code(err) != "invalid" {
		t.Errorf("a circle of managers: %v, want invalid", err)
	}
	outsider := string(must(w.other.OrgMember(ctx, string(w.otherOrg.ID), w.other.ID)).ID)
	if err := set(mia, outsider); code(err) != "invalid" {
		t.Errorf("a manager from another organisation: %v, want invalid", err)
	}
	ok(t, set(tina, ""))
	if m := must(w.owner.OrgMember(ctx, oid, tina)); m.ManagerID != "" {
		t.Errorf("manager not cleared: %s", m.ManagerID)
	}
}

// TestOwnDepartmentOnlyNarrowsSearch: where members see only their own
// departments, a plain member's directory search finds the members of
// their departments and themselves, nobody else.
func TestOwnDepartmentOnlyNarrowsSearch(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"own_department_only": true}}))
	got := names(must(w.member.OrgMembers(ctx, oid, client.MemberQuery{})).Members)
	if !slices.Contains(got, "Mia Member") || !slices.Contains(got, "Sam Subadmin") || slices.Contains(got, "Tina Target") {
		t.Errorf("a member of Engineering finds %v; want Mia and Sam, not Tina of Sales", got)
	}
}

package org_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/org"
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

// TestEmployeeNumberAndWorkEmailAreUnique: no two members of an
// organisation share an employee number or a work email; a member keeps
// their own when other fields change.
func TestEmployeeNumberAndWorkEmailAreUnique(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	tina := string(w.target.ID)
	mia := string(must(w.owner.OrgMember(ctx, oid, w.member.ID)).ID)
	must(w.owner.UpdateOrgMember(ctx, oid, mia, map[string]any{"employee_no": "M1", "work_email": "mia@work.example"}))
	must(w.owner.UpdateOrgMember(ctx, oid, tina, map[string]any{"employee_no": "T1", "work_email": "tina@work.example"}))
	for field, v := range map[string]string{"employee_no": "m1", "work_email": "mia@work.example"} {
		_, err := w.owner.UpdateOrgMember(ctx, oid, tina, map[string]any{field: v})
		var ce *client.Error
		if code(err) != "conflict" || !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("Tina takes Mia's %s: %v, want a conflict on %s", field, err, field)
		}
	}
	if _, err := w.owner.UpdateOrgMember(ctx, oid, tina, map[string]any{"employee_no": "T1", "work_email": "tina@work.example", "title": "Lead"}); err != nil {
		t.Errorf("Tina keeps her own number and email: %v", err)
	}
}

// TestStatusChangesKeepTheRecordRight: a member who leaves loses any role
// and scope; a reactivated member keeps the day they joined; a pending
// member approved gets one; each change answers with the member as it now
// is.
func TestStatusChangesKeepTheRecordRight(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	sm := must(w.owner.OrgMember(ctx, oid, w.sub.ID))
	got := must(w.owner.SetMemberStatus(ctx, oid, string(sm.ID), "left"))
	if got.Status != "left" || got.ID != sm.ID {
		t.Errorf("leaving answers %+v", got)
	}
	if m := must(w.owner.OrgMember(ctx, oid, string(sm.ID))); m.Role != "member" || len(m.Scope) != 0 {
		t.Errorf("a sub-admin who left is still %s over %v", m.Role, m.Scope)
	}
	tina := must(w.owner.OrgMember(ctx, oid, string(w.target.ID)))
	if tina.JoinedAt == nil {
		t.Fatalf("Tina has no joining day")
	}
	must(w.owner.SetMemberStatus(ctx, oid, string(tina.ID), "suspended"))
	back := must(w.owner.SetMemberStatus(ctx, oid, string(tina.ID), "active"))
	if back.Status != "active" || back.JoinedAt == nil || !back.JoinedAt.Equal(*tina.JoinedAt) {
		t.Errorf("reactivated: %s, joined %v, want %v", back.Status, back.JoinedAt, tina.JoinedAt)
	}
	must(w.admin.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"join_approval": true}}))
	inv := must(w.admin.CreateInvitation(ctx, oid, nil))
	j := must(w.srv.NewUser(t, "Pat Pending").AcceptInvitation(ctx, inv.Code))
	if j.Status != "pending" || j.Member.JoinedAt != nil {
		t.Fatalf("pending: %s, joined %v", j.Status, j.Member.JoinedAt)
	}
	ok(t, w.admin.ApproveRequest(ctx, oid, string(j.Member.ID)))
	if m := must(w.admin.OrgMember(ctx, oid, string(j.Member.ID))); m.JoinedAt == nil {
		t.Errorf("an approved member has no joining day")
	}
}

// TestAuditLogPageSize: the audit log pages by the size asked, 1 to
// MaxPageSize entries.
func TestAuditLogPageSize(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	if page, _ := must2(w.owner.AuditLog(ctx, oid, "", 2)); len(page) != 2 {
		t.Errorf("a page of 2: %d entries", len(page))
	}
	if page, _ := must2(w.owner.AuditLog(ctx, oid, "", 1)); len(page) != 1 {
		t.Errorf("a page of 1: %d entries", len(page))
	}
	if _, _, err := w.owner.AuditLog(ctx, oid, "", org.MaxPageSize); err != nil {
		t.Errorf("a page of %d: %v", org.MaxPageSize, err)
	}
	if _, _, err := w.owner.AuditLog(ctx, oid, "", org.MaxPageSize+1); code(err) != "invalid" {
		t.Errorf("a page of %d: %v, want invalid", org.MaxPageSize+1, err)
	}
}

// TestWholeProfileInOneChange: a change of every profile field at once
// keeps every one of them.
func TestWholeProfileInOneChange(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	id := string(w.target.ID)
	boss := string(must(w.owner.OrgMember(ctx, oid, w.owner.ID)).ID)
	must(w.owner.UpdateOrgMember(ctx, oid, id, map[string]any{"name": "Tina T.", "title": "Lead", "employee_no": "t1",
		"work_email": "tina@work.example", "phone": "+8613800138000", "hire_date": "2020-01-02",
		"department_ids": []string{string(w.eng.ID)}, "manager_id": boss}))
	m := must(w.owner.OrgMember(ctx, oid, id))
	if m.Name != "Tina T." || m.Title != "Lead" || m.EmployeeNo != "T1" || m.WorkEmail != "tina@work.example" || m.Phone == "" ||
		m.HireDate != "2020-01-02" || !slices.Equal(m.Departments, []tack.ID{w.eng.ID}) || string(m.ManagerID) != boss {
		t.Errorf("after one change of every field: %+v", m)
	}
}

package org_test

import (
	"testing"

	"github.com/tackhq/tack/client"
)

// A department hidden below the top level vanishes for the members of its
// parent too (being in the parent is not being inside the hidden subtree),
// while its own members still see it and one another.
func TestHiddenDepartmentBelowTopLevel(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	eve := w.srv.NewUser(t, "Eve Eastern")
	em := w.join(t, eve, string(w.salesEast.ID))
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"hidden_departments": []string{string(w.salesEast.ID)}}}))

	// Tina is in Sales, the hidden department's parent.
	if code(w.tina.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/departments/"+string(w.salesEast.ID), nil, nil)) != "not_found" {
		t.Errorf("a member of the parent sees the hidden sub-department")
	}
	if _, err := w.tina.OrgMember(ctx, oid, string(em.ID)); code(err) != "not_found" {
		t.Errorf("a member of the parent sees a member of the hidden sub-department: %v", err)
	}
	for _, d := range must(w.tina.Departments(ctx, oid)) {
		if d.ID == w.salesEast.ID {
			t.Errorf("the hidden sub-department is listed to a member of its parent")
		}
	}
	if p := must(w.tina.OrgMembers(ctx, oid, client.MemberQuery{Q: "eve"})); len(p.Members) != 0 {
		t.Errorf("a member of the parent finds a member of the hidden sub-department")
	}
	// The parent itself stays visible to others; only the hidden part goes.
	if _, err := w.member.OrgMember(ctx, oid, string(w.target.ID)); err != nil {
		t.Errorf("a member of the (visible) parent is hidden: %v", err)
	}
	// Inside the hidden department, people see it and themselves.
	if err := eve.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/departments/"+string(w.salesEast.ID), nil, nil); err != nil {
		t.Errorf("a member of the hidden department cannot see it: %v", err)
	}
	if _, err := eve.OrgMember(ctx, oid, string(em.ID)); err != nil {
		t.Errorf("a member of the hidden department cannot see themselves: %v", err)
	}
	// Admins see everything.
	if p := must(w.admin.OrgMembers(ctx, oid, client.MemberQuery{Q: "eve"})); len(p.Members) != 1 {
		t.Errorf("an admin cannot find a member of the hidden sub-department")
	}
}

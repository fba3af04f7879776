package org_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack/tacktest"
)

func enableTOTP(t *testing.T, u *tacktest.User) {
	t.Helper()
	secret, _, err := u.SetUpTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	if _, err := u.EnableTOTP(ctx, code); err != nil {
		t.Fatal(err)
	}
}

// TestAdmin2FARuleConcernsAdminsOnly: where an organisation requires
// two-step sign-in of its admins, an admin without it is told so and acts
// as a plain member until they turn it on; a plain member without it is
// told nothing and keeps what members may do.
func TestAdmin2FARuleConcernsAdminsOnly(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	enableTOTP(t, w.owner)
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"require_admin_2fa": true}))
	if o := must(w.admin.Org(ctx, oid)); !o.Me.Needs2FA {
		t.Errorf("an admin without two-step sign-in is not told they need it")
	}
	if o := must(w.member.Org(ctx, oid)); o.Me.Needs2FA {
		t.Errorf("a plain member is told they need two-step sign-in")
	}
	if _, err := w.admin.CreateDepartment(ctx, oid, "", "Legal"); code(err) != "forbidden" {
		t.Errorf("an admin without two-step sign-in makes a department: %v", err)
	}
	if _, err := w.member.OrgGroups(ctx, oid); err != nil {
		t.Errorf("a plain member without two-step sign-in lists groups: %v", err)
	}
	enableTOTP(t, w.admin)
	if o := must(w.admin.Org(ctx, oid)); o.Me.Needs2FA {
		t.Errorf("an admin with two-step sign-in is still told they need it")
	}
	if _, err := w.admin.CreateDepartment(ctx, oid, "", "Legal"); err != nil {
		t.Errorf("an admin with two-step sign-in cannot make a department: %v", err)
	}
}

// TestSubadminScopeShownToThemOnly: a sub-admin sees the departments they
// manage on their own record, not on another sub-admin's (only those with
// the full view do); the owner sees both.
func TestSubadminScopeShownToThemOnly(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	mm := must(w.owner.OrgMember(ctx, oid, w.member.ID))
	must(w.owner.SetMemberRole(ctx, oid, string(mm.ID), "subadmin", []string{string(w.eng.ID)}))
	if self := must(w.sub.OrgMember(ctx, oid, w.sub.ID)); len(self.Scope) != 1 || self.Scope[0] != w.eng.ID {
		t.Errorf("a sub-admin's own record shows scope %v, want Engineering", self.Scope)
	}
	if other := must(w.sub.OrgMember(ctx, oid, w.member.ID)); len(other.Scope) != 0 {
		t.Errorf("a sub-admin sees another sub-admin's scope %v", other.Scope)
	}
	if other := must(w.owner.OrgMember(ctx, oid, w.member.ID)); len(other.Scope) != 1 {
		t.Errorf("the owner sees the sub-admin's scope %v", other.Scope)
	}
}

// TestColleaguesSeeVisibleDepartments: a member without the full view sees
// a colleague's departments where they may see them.
func TestColleaguesSeeVisibleDepartments(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	tina := must(w.member.OrgMember(ctx, oid, string(w.tina.ID)))
	if !slices.Contains(tina.Departments, w.sales.ID) {
		t.Errorf("a member sees a colleague's departments %v, want Sales among them", tina.Departments)
	}
}

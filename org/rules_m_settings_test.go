package org_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// settingsRig is an organisation whose owner signs in with two steps, on a
// service of its own, with the owner's context.
func settingsRig(t *testing.T) (*org.Service, context.Context, org.Org) {
	t.Helper()
	svc, users := limitRigWith(t, 1, org.Config{SecondFactor: func(context.Context, tack.ID) (bool, error) { return true, nil }})
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	o, _, err := svc.Create(me, "Settings Co", "Asia/Shanghai", "")
	if err != nil {
		t.Fatal(err)
	}
	return svc, me, o
}

func auditCount(t *testing.T, svc *org.Service, me context.Context, orgID tack.ID, action string) int {
	t.Helper()
	list, err := svc.AuditLog(me, orgID, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range list {
		if a.Action == action {
			n++
		}
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// TestEverySettingChangeIsKept: each setting changed on its own is stored
// and audited once; sending the settings as they are stores and audits
// nothing.
func TestEverySettingChangeIsKept(t *testing.T) {
	svc, me, o := settingsRig(t)
	legal, err := svc.CreateDepartment(me, o.ID, "", "Legal")
	if err != nil {
		t.Fatal(err)
	}
	privacy := func(change func(p *org.Privacy)) *org.Privacy {
		cur, _, err := svc.Get(me, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		p := cur.Privacy
		change(&p)
		return &p
	}
	steps := []struct {
		what  string
		in    func() org.OrgSettings
		check func(org.Org) bool
	}{
		{"name", func() org.OrgSettings { return org.OrgSettings{Name: ptr("Settings Ltd")} }, func(o org.Org) bool { return o.Name == "Settings Ltd" }},
		{"logo", func() org.OrgSettings { return org.OrgSettings{Logo: ptr("https://example.com/logo.png")} }, func(o org.Org) bool { return o.Logo == "https://example.com/logo.png" }},
		{"time zone", func() org.OrgSettings { return org.OrgSettings{TimeZone: ptr("Europe/Berlin")} }, func(o org.Org) bool { return o.TimeZone == "Europe/Berlin" }},
		{"hidden fields", func() org.OrgSettings {
			return org.OrgSettings{Privacy: privacy(func(p *org.Privacy) { p.HiddenFields = []string{"phone"} })}
		}, func(o org.Org) bool { return fmt.Sprint(o.Privacy.HiddenFields) == "[phone]" }},
		{"hidden departments", func() org.OrgSettings {
			return org.OrgSettings{Privacy: privacy(func(p *org.Privacy) { p.HiddenDepartments = []tack.ID{legal.ID} })}
		}, func(o org.Org) bool { return len(o.Privacy.HiddenDepartments) == 1 }},
		{"own department only", func() org.OrgSettings {
			return org.OrgSettings{Privacy: privacy(func(p *org.Privacy) { p.OwnDepartmentOnly = true })}
		}, func(o org.Org) bool { return o.Privacy.OwnDepartmentOnly }},
		{"join approval", func() org.OrgSettings {
			return org.OrgSettings{Privacy: privacy(func(p *org.Privacy) { p.JoinApproval = true })}
		}, func(o org.Org) bool { return o.Privacy.JoinApproval }},
		{"forbid external chats", func() org.OrgSettings {
			return org.OrgSettings{Privacy: privacy(func(p *org.Privacy) { p.ForbidExternal = true })}
		}, func(o org.Org) bool { return o.Privacy.ForbidExternal }},
		{"admins' two-step sign-in", func() org.OrgSettings { return org.OrgSettings{RequireAdmin2FA: ptr(true)} }, func(o org.Org) bool { return o.RequireAdmin2FA }},
	}
	for i, st := range steps {
		if _, err := svc.Update(me, o.ID, st.in()); err != nil {
			t.Fatalf("change the %s: %v", st.what, err)
		}
		got, _, err := svc.Get(me, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.check(got) {
			t.Errorf("the %s changed on its own was not kept: %+v", st.what, got)
		}
		if n := auditCount(t, svc, me, o.ID, "org.update"); n != i+1 {
			t.Errorf("after changing the %s: %d org.update entries, want %d", st.what, n, i+1)
		}
	}
	cur, _, _ := svc.Get(me, o.ID)
	same := org.OrgSettings{Name: ptr(cur.Name), Logo: ptr(cur.Logo), TimeZone: ptr(cur.TimeZone), Privacy: ptr(cur.Privacy), RequireAdmin2FA: ptr(cur.RequireAdmin2FA)}
	if _, err := svc.Update(me, o.ID, same); err != nil {
		t.Fatal(err)
	}
	if n := auditCount(t, svc, me, o.ID, "org.update"); n != len(steps) {
		t.Errorf("the settings sent as they are were audited: %d entries, want %d", n, len(steps))
	}
}

// TestSettingsAtTheirLimits: every hideable field may be hidden at once,
// and up to MaxScope departments; a time zone is a real IANA zone.
func TestSettingsAtTheirLimits(t *testing.T) {
	svc, me, o := settingsRig(t)
	all := append([]string(nil), org.HideableFields...)
	if _, err := svc.Update(me, o.ID, org.OrgSettings{Privacy: &org.Privacy{HiddenFields: all}}); err != nil {
		t.Errorf("hiding every hideable field: %v", err)
	}
	var ids []tack.ID
	for i := range org.MaxScope + 1 {
		d, err := svc.CreateDepartment(me, o.ID, "", fmt.Sprint("D", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	if _, err := svc.Update(me, o.ID, org.OrgSettings{Privacy: &org.Privacy{HiddenDepartments: ids[:org.MaxScope]}}); err != nil {
		t.Errorf("hiding %d departments: %v", org.MaxScope, err)
	}
	if _, err := svc.Update(me, o.ID, org.OrgSettings{Privacy: &org.Privacy{HiddenDepartments: ids}}); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("hiding %d departments: %v, want too large", len(ids), err)
	}
	for _, tz := range []string{"Mars/Olympus", "../etc/passwd", "/etc/localtime", "Local", strings.Repeat("A", 65)} {
		if _, err := svc.Update(me, o.ID, org.OrgSettings{TimeZone: ptr(tz)}); tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("time zone %q: %v, want invalid", tz, err)
		}
	}
	if got, _, _ := svc.Get(me, o.ID); got.TimeZone != "Asia/Shanghai" {
		t.Errorf("after refused zones the time zone is %q", got.TimeZone)
	}
}

// TestAdminMayResendTheTwoStepSetting: only the owner changes whether admins
// need two-step sign-in, but an admin whose request carries that setting
// unchanged (as a settings form sends it) is not refused.
func TestAdminMayResendTheTwoStepSetting(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	if _, err := w.admin.UpdateOrg(ctx, oid, map[string]any{"name": "Acme Renamed", "require_admin_2fa": false}); err != nil {
		t.Errorf("an admin renaming with the two-step setting unchanged: %v", err)
	}
	if _, err := w.admin.UpdateOrg(ctx, oid, map[string]any{"require_admin_2fa": true}); code(err) != "forbidden" {
		t.Errorf("an admin changing the two-step setting: %v, want forbidden", err)
	}
}

// TestNewDepartmentHasNoHeadsYet: a department is made with an empty list
// of heads, never a missing one.
func TestNewDepartmentHasNoHeadsYet(t *testing.T) {
	svc, me, o := settingsRig(t)
	d, err := svc.CreateDepartment(me, o.ID, "", "Ops")
	if err != nil {
		t.Fatal(err)
	}
	if d.HeadIDs == nil || len(d.HeadIDs) != 0 {
		t.Errorf("a new department's heads: %#v, want an empty list", d.HeadIDs)
	}
}

// TestDepartmentsNestMaxDepthDeep: departments nest down to MaxDepth
// levels; one more level is refused.
func TestDepartmentsNestMaxDepthDeep(t *testing.T) {
	svc, me, o := settingsRig(t)
	parent := tack.ID("")
	for level := 1; level <= org.MaxDepth; level++ {
		d, err := svc.CreateDepartment(me, o.ID, parent, fmt.Sprint("L", level))
		if err != nil {
			t.Fatalf("a department %d levels deep: %v", level, err)
		}
		parent = d.ID
	}
	if _, err := svc.CreateDepartment(me, o.ID, parent, "Too deep"); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a department %d levels deep: %v, want invalid", org.MaxDepth+1, err)
	}
}

// TestMovedSubtreeKeepsWithinMaxDepth: a department moves with its whole
// subtree as long as the subtree's deepest department stays within
// MaxDepth levels.
func TestMovedSubtreeKeepsWithinMaxDepth(t *testing.T) {
	svc, me, o := settingsRig(t)
	var chain []tack.ID
	parent := tack.ID("")
	for level := 1; level <= org.MaxDepth-1; level++ {
		d, err := svc.CreateDepartment(me, o.ID, parent, fmt.Sprint("L", level))
		if err != nil {
			t.Fatal(err)
		}
		chain, parent = append(chain, d.ID), d.ID
	}
	b, err := svc.CreateDepartment(me, o.ID, "", "B")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateDepartment(me, o.ID, b.ID, "C"); err != nil {
		t.Fatal(err)
	}
	// Under the chain's last but one: C lands at MaxDepth.
	at := chain[len(chain)-2]
	if _, err := svc.UpdateDepartment(me, o.ID, b.ID, org.DepartmentChange{ParentID: &at}); err != nil {
		t.Errorf("a move that puts the subtree's deepest department %d levels deep: %v", org.MaxDepth, err)
	}
	// Under the chain's last: C would be one level too deep.
	last := chain[len(chain)-1]
	if _, err := svc.UpdateDepartment(me, o.ID, b.ID, org.DepartmentChange{ParentID: &last}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a move that puts the subtree's deepest department %d levels deep: %v, want invalid", org.MaxDepth+1, err)
	}
}

// TestDepartmentRenameRules: a department is not renamed to the name of a
// sibling; a rename is stored and audited; a change that changes nothing
// is not audited.
func TestDepartmentRenameRules(t *testing.T) {
	svc, me, o := settingsRig(t)
	ops, err := svc.CreateDepartment(me, o.ID, "", "Ops")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateDepartment(me, o.ID, "", "Legal"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateDepartment(me, o.ID, ops.ID, org.DepartmentChange{Name: ptr("legal")}); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("renamed to a sibling's name: %v, want conflict", err)
	}
	d, err := svc.UpdateDepartment(me, o.ID, ops.ID, org.DepartmentChange{Name: ptr("Operations")})
	if err != nil || d.Name != "Operations" {
		t.Fatalf("rename: %+v %v", d, err)
	}
	if n := auditCount(t, svc, me, o.ID, "department.update"); n != 1 {
		t.Errorf("after one rename: %d department.update entries", n)
	}
	if _, err := svc.UpdateDepartment(me, o.ID, ops.ID, org.DepartmentChange{Name: ptr("Operations")}); err != nil {
		t.Fatal(err)
	}
	if n := auditCount(t, svc, me, o.ID, "department.update"); n != 1 {
		t.Errorf("a change that changes nothing was audited: %d entries", n)
	}
}

// TestOnlyEmptyDepartmentsAreDeleted: a department with a sub-department
// is not deleted.
func TestOnlyEmptyDepartmentsAreDeleted(t *testing.T) {
	svc, me, o := settingsRig(t)
	ops, err := svc.CreateDepartment(me, o.ID, "", "Ops")
	if err != nil {
		t.Fatal(err)
	}
	sub, err := svc.CreateDepartment(me, o.ID, ops.ID, "Night shift")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteDepartment(me, o.ID, ops.ID); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("deleting a department with a sub-department: %v, want conflict", err)
	}
	if err := svc.DeleteDepartment(me, o.ID, sub.ID); err != nil {
		t.Errorf("deleting an empty department: %v", err)
	}
	if err := svc.DeleteDepartment(me, o.ID, ops.ID); err != nil {
		t.Errorf("deleting the department once empty: %v", err)
	}
}

// TestSubadminShapesDepartmentsInScope: a sub-admin moves and deletes
// departments inside their scope, but not their own top-level department.
func TestSubadminShapesDepartmentsInScope(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	eng := string(w.eng.ID)
	a := must(w.owner.CreateDepartment(ctx, oid, eng, "Platform"))
	b := must(w.owner.CreateDepartment(ctx, oid, eng, "Tools"))
	if _, err := w.sub.UpdateDepartment(ctx, oid, string(b.ID), map[string]any{"parent_id": string(a.ID)}); err != nil {
		t.Errorf("a sub-admin moves a department within their scope: %v", err)
	}
	if err := w.sub.DeleteDepartment(ctx, oid, string(b.ID)); err != nil {
		t.Errorf("a sub-admin deletes an empty department in their scope: %v", err)
	}
	empty := must(w.owner.CreateDepartment(ctx, oid, "", "Empty top"))
	mm := must(w.owner.OrgMember(ctx, oid, w.sub.ID))
	must(w.owner.SetMemberRole(ctx, oid, string(mm.ID), "subadmin", []string{eng, string(empty.ID)}))
	if err := w.sub.DeleteDepartment(ctx, oid, string(empty.ID)); code(err) != "forbidden" {
		t.Errorf("a sub-admin deletes a top-level department: %v, want forbidden", err)
	}
}

// TestDepartmentHeadsCleared: a department's heads can be set and
// cleared again.
func TestDepartmentHeadsCleared(t *testing.T) {
	svc, me, o := settingsRig(t)
	ops, err := svc.CreateDepartment(me, o.ID, "", "Ops")
	if err != nil {
		t.Fatal(err)
	}
	_, mine, err := svc.Get(me, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.UpdateDepartment(me, o.ID, ops.ID, org.DepartmentChange{HeadIDs: &[]tack.ID{mine.ID}})
	if err != nil || len(d.HeadIDs) != 1 {
		t.Fatalf("set a head: %+v %v", d.HeadIDs, err)
	}
	d, err = svc.UpdateDepartment(me, o.ID, ops.ID, org.DepartmentChange{HeadIDs: &[]tack.ID{}})
	if err != nil || len(d.HeadIDs) != 0 {
		t.Errorf("clear the heads: %+v %v", d.HeadIDs, err)
	}
}

// TestDirectorySearchBounds: a directory search takes up to 100
// characters and a page of 1 to MaxPageSize members.
func TestDirectorySearchBounds(t *testing.T) {
	svc, me, o := settingsRig(t)
	for _, c := range []struct {
		q     org.Query
		valid bool
	}{
		{org.Query{Text: strings.Repeat("张", 100)}, true},
		{org.Query{Text: strings.Repeat("张", 101)}, false},
		{org.Query{Limit: 1}, true},
		{org.Query{Limit: org.MaxPageSize}, true},
		{org.Query{Limit: org.MaxPageSize + 1}, false},
		{org.Query{Limit: -1}, false},
	} {
		_, err := svc.Search(me, o.ID, c.q)
		if c.valid && err != nil || !c.valid && tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("search %d characters, limit %d: %v, want valid=%v", len([]rune(c.q.Text)), c.q.Limit, err, c.valid)
		}
	}
}

package org_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/sqlite"
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

// recorder is an org.Events that keeps what it hears.
type recorder struct {
	mu      sync.Mutex
	seen    []string // "event action"
	changes []org.Change
	keys    []string
}

func (r *recorder) Event(_ context.Context, _ tack.ID, event, key string, data any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, _ := data.(org.Change)
	r.seen = append(r.seen, event+" "+c.Action)
	r.changes = append(r.changes, c)
	r.keys = append(r.keys, key)
}

func (r *recorder) count(what string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, s := range r.seen {
		if s == what {
			n++
		}
	}
	return n
}

// last returns the last change told with action, and its key.
func (r *recorder) last(t *testing.T, action string) (org.Change, string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.changes) - 1; i >= 0; i-- {
		if r.changes[i].Action == action {
			return r.changes[i], r.keys[i]
		}
	}
	t.Fatalf("no %s change told (heard %v)", action, r.seen)
	return org.Change{}, ""
}

// TestChangesAreTold: a directory or membership change is told once to
// whoever listens (the open platform), with the record it changed and a
// key naming it; an import's members and departments are told by the
// import itself, not a second time from its audit entry.
func TestChangesAreTold(t *testing.T) {
	c := context.Background()
	db, err := sqlite.Open(c, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := account.User{ID: tack.NewID(), Login: "ev@example.com", Name: "Eve", CreatedAt: time.Now()}
	if err := db.CreateUser(c, u, "x"); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	svc := org.NewService(db, db, anyone{}, nil, nil, org.Config{Events: rec})
	me := tack.WithCaller(c, tack.Caller{UserID: u.ID})
	o, _, err := svc.Create(me, "Events Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	legal, err := svc.CreateDepartment(me, o.ID, "", "Legal")
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.count("directory department.create"); n != 1 {
		t.Errorf("a department made is told %d times, want once (heard %v)", n, rec.seen)
	}
	dc, key := rec.last(t, "department.create")
	if dc.DepartmentID != legal.ID || dc.Department == nil || dc.Department.Name != "Legal" || dc.MemberID != "" {
		t.Errorf("department.create tells %+v", dc)
	}
	if key != "department:"+string(legal.ID) {
		t.Errorf("department.create key %q", key)
	}
	if _, err := svc.Import(me, o.ID, org.Table([][]string{{"name", "employee_no", "department"}, {"Zed", "Z1", "Ops"}}), org.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := rec.count("directory member.import"); n != 1 {
		t.Errorf("an import is told %d times, want once (heard %v)", n, rec.seen)
	}
	// Its new department is told apart from its members, each under its
	// own action.
	if n := rec.count("directory department.import"); n != 1 {
		t.Errorf("an import's new department is told %d times, want once (heard %v)", n, rec.seen)
	}
	if mi, _ := rec.last(t, "member.import"); len(mi.Members) != 1 || mi.Members[0].Name != "Zed" || len(mi.Departments) != 0 {
		t.Errorf("member.import tells %+v, want Zed and no department", mi)
	}
	if di, _ := rec.last(t, "department.import"); len(di.Departments) != 1 || di.Departments[0].Name != "Ops" || len(di.Members) != 0 {
		t.Errorf("department.import tells %+v, want Ops and no member", di)
	}
	var zed org.Member
	var ops bool
	for _, ch := range rec.changes {
		for _, m := range ch.Members {
			if m.Name == "Zed" {
				zed = m
			}
		}
		for _, d := range ch.Departments {
			ops = ops || d.Name == "Ops"
		}
	}
	if zed.ID == "" || !ops {
		t.Fatalf("the import's member and department are not told: %+v", rec.changes)
	}
	title := "Counsel"
	if _, err := svc.UpdateMember(me, o.ID, zed.ID, org.Profile{Title: &title}); err != nil {
		t.Fatal(err)
	}
	mc, key := rec.last(t, "member.update")
	if mc.MemberID != zed.ID || mc.Member == nil || mc.Member.ID != zed.ID || mc.Member.Title != "Counsel" || mc.DepartmentID != "" {
		t.Errorf("member.update tells %+v", mc)
	}
	if key != "member:"+string(zed.ID) {
		t.Errorf("member.update key %q", key)
	}
}

// TestEmployeeNumbersAndTitlesAtTheirLimits: an employee number may have
// letters, digits, '-', '_' and '.' (every letter and digit, the first and
// last of each range included) up to 32 characters; a job title up to
// MaxTitleRunes characters.
func TestEmployeeNumbersAndTitlesAtTheirLimits(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	id := string(w.target.ID)
	set := func(field, v string) error {
		_, err := w.owner.UpdateOrgMember(ctx, oid, id, map[string]any{field: v})
		return err
	}
	for _, v := range []string{"09azAZ-_.", "abcdefghijklmnopqrstuvwxyz012345"} {
		if err := set("employee_no", v); err != nil {
			t.Errorf("employee number %q (%d characters): %v", v, len(v), err)
		}
	}
	for _, v := range []string{"abcdefghijklmnopqrstuvwxyz0123456", "a/b", "a b", "é"} {
		if err := set("employee_no", v); code(err) != "invalid" {
			t.Errorf("employee number %q: %v, want invalid", v, err)
		}
	}
	if err := set("title", strings.Repeat("经", org.MaxTitleRunes)); err != nil {
		t.Errorf("a title of %d characters: %v", org.MaxTitleRunes, err)
	}
	if err := set("title", strings.Repeat("经", org.MaxTitleRunes+1)); code(err) != "invalid" {
		t.Errorf("a title of %d characters: %v, want invalid", org.MaxTitleRunes+1, err)
	}
}

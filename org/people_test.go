package org_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

func foundNames(fs []client.Found) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Name)
	}
	slices.Sort(out)
	return out
}

func find(t *testing.T, u *tacktest.User, q string) []client.Found {
	t.Helper()
	fs, err := u.FindPeople(ctx, q, 0)
	if err != nil {
		t.Fatalf("%s finds %q: %v", u.Name, q, err)
	}
	return fs
}

// TestPeople: GET /api/v1/users?q= finds a plain member's colleagues by
// name, pinyin and initials within the directory's privacy rules, friends
// and external contacts with an account; never the caller, people of other
// organisations, or anyone blocked.
func TestPeople(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	ww := w.srv.NewUser(t, "王五")
	wm := w.join(t, ww, string(w.eng.ID))
	must(w.owner.UpdateOrgMember(ctx, oid, string(wm.ID), map[string]any{"title": "工程师"}))

	// A colleague by initials, full pinyin, characters and given name.
	for _, q := range []string{"ww", "wangwu", "wang", "王五", "王", "五"} {
		fs := find(t, w.member, q)
		i := slices.IndexFunc(fs, func(f client.Found) bool { return f.ID == ww.ID })
		if i < 0 {
			t.Errorf("q=%q: 王五 not found: %+v", q, fs)
			continue
		}
		if f := fs[i]; f.Relation != "colleague" || f.OrgName != w.org.Name || f.Title != "工程师" || f.Login != "" {
			t.Errorf("q=%q: %+v", q, f)
		}
	}
	// An empty query lists colleagues (and not the caller).
	if got := foundNames(find(t, w.member, "")); !slices.Contains(got, "王五") || slices.Contains(got, "Mia Member") {
		t.Errorf("empty query: %v", got)
	}
	// The directory card tells a member that a colleague is active (so that
	// a client offers to message them), and nothing else admins see.
	if m := must(w.member.OrgMember(ctx, oid, string(wm.ID))); m.Status != "active" || m.Role != "" && m.Role != "member" {
		t.Errorf("a member's view of a colleague: status %q role %q", m.Status, m.Role)
	}
	must(w.owner.SetMemberStatus(ctx, oid, string(wm.ID), "suspended"))
	if _, err := w.member.OrgMember(ctx, oid, string(wm.ID)); code(err) != "not_found" {
		t.Errorf("a suspended colleague is visible to a member: %v", err)
	}
	if fs := find(t, w.member, "ww"); len(fs) != 0 {
		t.Errorf("a suspended colleague is found: %+v", fs)
	}
	must(w.owner.SetMemberStatus(ctx, oid, string(wm.ID), "active"))

	// Hidden departments hide their members from members, not from admins.
	if got := foundNames(find(t, w.member, "tina")); !slices.Equal(got, []string{"Tina Target"}) {
		t.Errorf("before hiding: %v", got)
	}
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"hidden_departments": []string{string(w.sales.ID)}}}))
	if got := foundNames(find(t, w.member, "tt")); len(got) != 0 {
		t.Errorf("a member finds someone in a hidden department: %v", got)
	}
	if got := foundNames(find(t, w.admin, "tina")); !slices.Equal(got, []string{"Tina Target"}) {
		t.Errorf("an admin: %v", got)
	}
	// Hidden fields are not searchable by members.
	must(w.owner.UpdateOrgMember(ctx, oid, string(wm.ID), map[string]any{"phone": "13912345678"}))
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"hidden_fields": []string{"phone", "title"}}}))
	if fs := find(t, w.member, "13912345678"); len(fs) != 0 {
		t.Errorf("a hidden phone finds its owner: %+v", fs)
	}
	for _, f := range find(t, w.member, "ww") {
		if f.Title != "" {
			t.Errorf("a hidden title is shown: %+v", f)
		}
	}

	// People of another organisation are not colleagues.
	if got := foundNames(find(t, w.member, "otto")); len(got) != 0 {
		t.Errorf("a member of another organisation is found: %v", got)
	}
	// Friends, by initials (after colleagues: Sam Subadmin is "ss" too).
	must(w.member.RequestFriend(ctx, w.strang.ID))
	ok(t, w.strang.AcceptFriend(ctx, w.member.ID))
	if fs := find(t, w.member, "ss"); len(fs) != 2 || fs[0].Name != "Sam Subadmin" || fs[1].ID != w.strang.ID || fs[1].Relation != "friend" {
		t.Errorf("a friend by initials: %+v", fs)
	}
	// An external contact with an account, by pinyin of the contact's name.
	zl := w.srv.NewUser(t, "Zhao Liu")
	must(w.member.AddContact(ctx, oid, map[string]any{"name": "赵六", "company": "客户公司", "email": strings.ToUpper(zl.Login)}))
	must(w.member.AddContact(ctx, oid, map[string]any{"name": "赵无号", "email": "nobody-here@example.com"}))
	if fs := find(t, w.member, "zhao"); len(fs) != 1 || fs[0].ID != zl.ID || fs[0].Relation != "contact" || fs[0].Name != "赵六" || fs[0].OrgName != "客户公司" {
		t.Errorf("an external contact: %+v", fs)
	}
	// Someone else's private contact is not found.
	if fs := find(t, w.admin, "zhao"); len(fs) != 0 {
		t.Errorf("another member's contact is found: %+v", fs)
	}
	// Blocked, either way: not found.
	ok(t, ww.Block(ctx, w.member.ID))
	if fs := find(t, w.member, "ww"); len(fs) != 0 {
		t.Errorf("someone who blocked the caller is found: %+v", fs)
	}
	// The exact login still finds anyone, with the login.
	if fs := find(t, w.member, w.other.Login); len(fs) != 1 || fs[0].ID != w.other.ID || fs[0].Login != w.other.Login {
		t.Errorf("exact login: %+v", fs)
	}

	// Bad input.
	for _, path := range []string{
		"/api/v1/users?q=" + strings.Repeat("张", 101),
		"/api/v1/users?q=a&limit=101",
		"/api/v1/users?q=a&limit=-1",
		"/api/v1/users?q=a&limit=x",
	} {
		if err := w.member.Do(ctx, "GET", path, nil, nil); code(err) != "invalid" {
			t.Errorf("GET %s: %v, want invalid", path, err)
		}
	}
}

// TestKeysSurviveRoleChanges: a role change or a transfer of ownership
// keeps the people concerned findable by name and pinyin (they lost their
// search keys).
func TestKeysSurviveRoleChanges(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	ww := w.srv.NewUser(t, "王五")
	wm := w.join(t, ww, string(w.eng.ID))
	found := func(u *tacktest.User, q, name string) bool {
		t.Helper()
		for _, m := range must(u.OrgMembers(ctx, oid, client.MemberQuery{Q: q})).Members {
			if m.Name == name {
				return true
			}
		}
		return false
	}
	must(w.owner.SetMemberRole(ctx, oid, string(wm.ID), "subadmin", []string{string(w.eng.ID)}))
	must(w.owner.SetMemberRole(ctx, oid, string(wm.ID), "member", nil))
	if !found(w.member, "ww", "王五") || len(find(t, w.member, "wangwu")) != 1 {
		t.Errorf("after a role change 王五 is not found by pinyin")
	}
	am := must(w.admin.OrgMember(ctx, oid, w.admin.ID))
	ok(t, w.owner.TransferOrg(ctx, oid, string(am.ID)))
	if !found(w.member, "olga", "Olga Owner") || !found(w.member, "adam", "Adam Admin") {
		t.Errorf("after a transfer of ownership the old or the new owner is not found by name")
	}
}

package org_test

import (
	"slices"
	"testing"

	"github.com/tackhq/tack/client"
)

func names(ms []client.OrgMember) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out
}

// TestDirectorySearch checks search by name, full pinyin, initials (with
// every reading of surnames such as 曾 and 單), email, phone, employee
// number and department, and paging.
func TestDirectorySearch(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	people := []map[string]any{
		{"name": "張三", "employee_no": "E1001", "work_email": "zhang.san@acme.example", "phone": "+86 138 0013 8000"},
		{"name": "曾小明", "employee_no": "E1002"},
		{"name": "單田芳", "employee_no": "E1003"},
		{"name": "解晓东", "employee_no": "E1004"},
		{"name": "Alice Smith", "employee_no": "E1005", "work_email": "alice@acme.example"},
		{"name": "李四", "employee_no": "E1006", "department_ids": []string{string(w.eng.ID)}},
	}
	for _, p := range people {
		u := w.srv.NewUser(t, p["name"].(string))
		m := w.join(t, u)
		must(w.owner.UpdateOrgMember(ctx, oid, string(m.ID), p))
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"zs", []string{"張三"}},
		{"zhangsan", []string{"張三"}},
		{"zhang", []string{"張三"}},
		{"張", []string{"張三"}},
		{"三", []string{"張三"}},
		{"san", []string{"張三"}},
		{"zeng", []string{"曾小明"}},
		{"ceng", []string{"曾小明"}},
		{"zxm", []string{"曾小明"}},
		{"cxm", []string{"曾小明"}},
		{"shantianfang", []string{"單田芳"}},
		{"dantianfang", []string{"單田芳"}},
		{"stf", []string{"單田芳"}},
		{"dtf", []string{"單田芳"}},
		{"xiexiaodong", []string{"解晓东"}},
		{"jiexiaodong", []string{"解晓东"}},
		{"alice", []string{"Alice Smith"}},
		{"smi", []string{"Alice Smith"}},
		{"as", []string{"Alice Smith"}},
		{"zhang.san@", []string{"張三"}},
		{"13800138000", []string{"張三"}},
		{"+86 138", []string{"張三"}},
		{"e1003", []string{"單田芳"}},
		{"engineering", []string{"Mia Member", "Sam Subadmin", "李四"}},
		{"zhang san", []string{"張三"}},
		{"nobody", nil},
	}
	for _, c := range cases {
		p, err := w.member.OrgMembers(ctx, oid, client.MemberQuery{Q: c.q})
		if err != nil {
			t.Fatalf("q=%q: %v", c.q, err)
		}
		if got := names(p.Members); !slices.Equal(got, c.want) {
			t.Errorf("q=%q: got %v, want %v", c.q, got, c.want)
		}
	}
	// Paging: every member once, in order.
	var seen []string
	cursor := ""
	for range 20 {
		p := must(w.member.OrgMembers(ctx, oid, client.MemberQuery{Limit: 3, Cursor: cursor}))
		for _, m := range p.Members {
			seen = append(seen, string(m.ID))
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	all := must(w.owner.OrgMembers(ctx, oid, client.MemberQuery{Limit: 200}))
	if len(seen) != len(all.Members) || len(seen) != 11 {
		t.Errorf("paging saw %d members, one page %d, want 11", len(seen), len(all.Members))
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != len(seen) {
		t.Errorf("paging repeated members")
	}
	if code(w.member.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/members?cursor=garbage", nil, nil)) != "invalid" {
		t.Errorf("a bad cursor is not invalid")
	}
}

// TestPrivacy checks hidden fields, hidden departments and
// own-department-only.
func TestPrivacy(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	must(w.owner.UpdateOrgMember(ctx, oid, string(w.target.ID), map[string]any{"phone": "13900001111", "work_email": "tina@acme.example"}))

	// Hidden phone: members neither see it nor find people by it.
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"hidden_fields": []string{"phone"}}}))
	m := must(w.member.OrgMember(ctx, oid, string(w.target.ID)))
	if m.Phone != "" || m.WorkEmail == "" {
		t.Errorf("member sees phone %q email %q; want the phone hidden, the email shown", m.Phone, m.WorkEmail)
	}
	if p := must(w.member.OrgMembers(ctx, oid, client.MemberQuery{Q: "13900001111"})); len(p.Members) != 0 {
		t.Errorf("a hidden phone number finds its owner")
	}
	if m := must(w.admin.OrgMember(ctx, oid, string(w.target.ID))); m.Phone == "" {
		t.Errorf("an admin does not see the hidden phone")
	}
	if p := must(w.admin.OrgMembers(ctx, oid, client.MemberQuery{Q: "13900001111"})); len(p.Members) != 1 {
		t.Errorf("an admin cannot find by phone")
	}
	// Members do not see the privacy rules themselves.
	if o := must(w.member.Org(ctx, oid)); len(o.Privacy.HiddenFields) != 0 {
		t.Errorf("a member sees the privacy rules")
	}

	// Hidden department: its members and itself vanish for others.
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"hidden_departments": []string{string(w.sales.ID)}}}))
	if code(w.member.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/departments/"+string(w.salesEast.ID), nil, nil)) != "not_found" {
		t.Errorf("a sub-department of a hidden department is visible")
	}
	if _, err := w.member.OrgMember(ctx, oid, string(w.target.ID)); code(err) != "not_found" {
		t.Errorf("a member of a hidden department is visible: %v", err)
	}
	for _, d := range must(w.member.Departments(ctx, oid)) {
		if d.ID == w.sales.ID || d.ID == w.salesEast.ID {
			t.Errorf("hidden department %s listed", d.Name)
		}
	}
	if p := must(w.member.OrgMembers(ctx, oid, client.MemberQuery{Q: "tina"})); len(p.Members) != 0 {
		t.Errorf("search finds a member of a hidden department")
	}
	if p := must(w.owner.OrgMembers(ctx, oid, client.MemberQuery{Q: "tina"})); len(p.Members) != 1 {
		t.Errorf("the owner cannot find a member of a hidden department")
	}

	// Own department only.
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"own_department_only": true}}))
	got := names(must(w.member.OrgMembers(ctx, oid, client.MemberQuery{})).Members)
	if !slices.Equal(got, []string{"Mia Member", "Sam Subadmin"}) {
		t.Errorf("own department only: member sees %v", got)
	}
}

// TestDepartments checks the tree: nesting, move, rename, delete only
// when empty, names up to 64 characters.
func TestDepartments(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	a := must(w.owner.CreateDepartment(ctx, oid, "", "A"))
	parent := string(a.ID)
	for i := range 20 {
		d := must(w.owner.CreateDepartment(ctx, oid, parent, "level"))
		parent = string(d.ID)
		_ = i
	}
	long := ""
	for range 65 {
		long += "部"
	}
	if _, err := w.owner.CreateDepartment(ctx, oid, "", long); code(err) != "invalid" {
		t.Errorf("65-character name: %v", err)
	}
	if _, err := w.owner.CreateDepartment(ctx, oid, "", long[:len(long)-len("部")]); err != nil {
		t.Errorf("64-character name: %v", err)
	}
	if _, err := w.owner.CreateDepartment(ctx, oid, "", "A"); code(err) != "conflict" {
		t.Errorf("sibling of the same name: %v", err)
	}
	// Move under itself: refused; elsewhere: fine; rename.
	if _, err := w.owner.UpdateDepartment(ctx, oid, string(a.ID), map[string]any{"parent_id": parent}); code(err) != "invalid" {
		t.Errorf("move under own subtree: %v", err)
	}
	must(w.owner.UpdateDepartment(ctx, oid, string(a.ID), map[string]any{"parent_id": string(w.eng.ID), "name": "A2"}))
	// Members of the moved subtree are now under Engineering.
	u := w.srv.NewUser(t, "Deep Dora")
	w.join(t, u, parent)
	under := must(w.owner.OrgMembers(ctx, oid, client.MemberQuery{Under: string(w.eng.ID)}))
	if !slices.Contains(names(under.Members), "Deep Dora") {
		t.Errorf("a member deep in a moved subtree is not under its new parent: %v", names(under.Members))
	}
	// Delete only when empty.
	if err := w.owner.DeleteDepartment(ctx, oid, string(a.ID)); code(err) != "conflict" {
		t.Errorf("delete non-empty: %v", err)
	}
	if err := w.owner.DeleteDepartment(ctx, oid, parent); code(err) != "conflict" {
		t.Errorf("delete department with a member: %v", err)
	}
	e := must(w.owner.CreateDepartment(ctx, oid, "", "Empty"))
	ok(t, w.owner.DeleteDepartment(ctx, oid, string(e.ID)))
	// Heads.
	must(w.owner.UpdateDepartment(ctx, oid, string(w.sales.ID), map[string]any{"head_ids": []string{string(w.target.ID)}}))
	if _, err := w.owner.UpdateDepartment(ctx, oid, string(w.sales.ID), map[string]any{"head_ids": []string{"0000000000000000"}}); code(err) != "invalid" {
		t.Errorf("a head who is not a member: %v", err)
	}
}

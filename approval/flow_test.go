package approval

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// dir is an in-memory directory: members by member ID ("m-NAME") and
// user ID ("u-NAME"), departments with paths.
type dir struct {
	org     tack.ID
	members map[tack.ID]org.Member // by member ID
	depts   []org.Department
}

func id(s string) tack.ID {
	// IDs must look like Tack's: 16 base32 characters.
	b := []byte(strings.ToLower(s))
	for len(b) < 16 {
		b = append(b, '0')
	}
	for i, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') || c == 'i' || c == 'l' || c == 'o' || c == 'u' {
			b[i] = 'x'
		}
	}
	return tack.ID(b[:16])
}

// nameOf maps user IDs made by uid back to names.
var nameOf = map[tack.ID]string{}

func uid(name string) tack.ID {
	x := id("v" + name)
	nameOf[x] = name
	return x
}
func mid(name string) tack.ID { return id("m" + name) }

func newDir() *dir {
	return &dir{org: id("org"), members: map[tack.ID]org.Member{}}
}

// add adds an active member: name, manager's name, departments.
func (d *dir) add(name, manager string, depts ...string) *org.Member {
	m := org.Member{ID: mid(name), OrgID: d.org, UserID: uid(name), Name: name, Status: org.Active, Role: org.RoleMember}
	if manager != "" {
		m.ManagerID = mid(manager)
	}
	for _, x := range depts {
		m.Departments = append(m.Departments, id("d"+x))
	}
	d.members[m.ID] = m
	mm := d.members[m.ID]
	return &mm
}

func (d *dir) set(m org.Member) { d.members[m.ID] = m }

func (d *dir) dept(name, parent string, heads ...string) {
	dp := org.Department{ID: id("d" + name), OrgID: d.org, Name: name, Path: "/" + string(id("d"+name)) + "/"}
	if parent != "" {
		dp.ParentID = id("d" + parent)
		for _, x := range d.depts {
			if x.ID == dp.ParentID {
				dp.Path = x.Path + string(dp.ID) + "/"
			}
		}
	}
	for _, h := range heads {
		dp.HeadIDs = append(dp.HeadIDs, mid(h))
	}
	d.depts = append(d.depts, dp)
}

func (d *dir) DirectoryMember(ctx context.Context, orgID, x tack.ID) (org.Member, error) {
	if m, ok := d.members[x]; ok {
		return m, nil
	}
	for _, m := range d.members {
		if m.UserID == x {
			return m, nil
		}
	}
	return org.Member{}, tack.ErrNotFound
}

func (d *dir) DirectoryMembers(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]org.Member, error) {
	var out []org.Member
	for _, x := range ids {
		if m, ok := d.members[x]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (d *dir) DirectoryOrg(ctx context.Context, orgID tack.ID) (org.Org, error) {
	return org.Org{ID: d.org, TimeZone: "Asia/Shanghai"}, nil
}

func (d *dir) DirectoryDepartments(ctx context.Context, orgID tack.ID) ([]org.Department, error) {
	return d.depts, nil
}

func (d *dir) DirectoryManagers(ctx context.Context, orgID tack.ID, m org.Member, max int) ([]org.Member, error) {
	var out []org.Member
	seen := map[tack.ID]bool{m.ID: true}
	for next := m.ManagerID; next != "" && !seen[next] && len(out) < max; {
		seen[next] = true
		mgr, ok := d.members[next]
		if !ok {
			break
		}
		out = append(out, mgr)
		next = mgr.ManagerID
	}
	return out, nil
}

func (d *dir) DirectoryAdmins(ctx context.Context, orgID tack.ID) ([]org.Member, error) {
	var out []org.Member
	for _, m := range d.members {
		if m.Status == org.Active && (m.Role == org.RoleOwner || m.Role == org.RoleAdmin) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b org.Member) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}

func (d *dir) DirectoryManages(ctx context.Context, orgID tack.ID, viewer, subject org.Member) (bool, error) {
	return false, nil
}

func (d *dir) DirectoryGroups(ctx context.Context, orgID tack.ID) ([]org.Group, error) {
	return nil, nil
}

func (d *dir) DirectoryOrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error) {
	return nil, nil, nil
}

// names turns user IDs back into names.
func names(ids []tack.ID) string {
	var out []string
	for _, x := range ids {
		out = append(out, nameOf[x])
	}
	return strings.Join(out, ",")
}

// world: the owner (Boss), an admin (Ada), a chain report (Rita) →
// manager (Max, left the organisation) → director (Dora) → vp (Vic);
// Sales (head Sam, under Company with head Boss) and Eng (no head).
func testDir() *dir {
	d := newDir()
	d.dept("company", "", "boss")
	d.dept("sales", "company", "sam")
	d.dept("eng", "company")
	boss := d.add("boss", "", "company")
	boss.Role = org.RoleOwner
	d.set(*boss)
	ada := d.add("ada", "", "eng")
	ada.Role = org.RoleAdmin
	d.set(*ada)
	d.add("vic", "", "company")
	d.add("dora", "vic", "sales")
	max := d.add("max", "dora", "sales")
	max.Status = org.Left
	d.set(*max)
	d.add("rita", "max", "sales")
	d.add("sam", "dora", "sales")
	d.add("eve", "", "eng")
	return d
}

func approverNode(nodeID string, w Who, mode string) Node {
	return Node{ID: nodeID, Type: NodeApprover, Who: w, Mode: mode}
}

// TestResolve: conditions, manager chains with gaps, roles, heads,
// chosen people and empty approver sets.
func TestResolve(t *testing.T) {
	d := testDir()
	s := &Service{dir: d}
	money := func(v string) Money { x, _ := ParseDecimal(v, 2); return Money(x) }
	num := func(v string) *Decimal { x, _ := ParseDecimal(v, 4); return &x }
	branchOn := func(c Condition) []Node {
		return []Node{{ID: "b", Type: NodeBranch, Branches: []Branch{
			{Name: "default", Priority: 9, Nodes: []Node{approverNode("def", Who{Type: WhoPerson, UserIDs: []tack.ID{uid("eve")}}, ModeAny)}},
			{Name: "match", Priority: 1, Conditions: []Condition{c}, Nodes: []Node{approverNode("hit", Who{Type: WhoPerson, UserIDs: []tack.ID{uid("vic")}}, ModeAny)}},
		}}}
	}
	fields := []Field{{Key: "total", Type: FieldMoney, Label: "t"}, {Key: "kind", Type: FieldSelect, Label: "k", Options: []string{"a", "b"}},
		{Key: "tags", Type: FieldMulti, Label: "g", Options: []string{"x", "y"}}}
	cases := []struct {
		name       string
		who        string // originator
		flow       []Node
		values     map[string]any
		amount     *Decimal
		chosen     map[string][]tack.ID
		nobody     string
		want       string // steps: "node:people:fallback" joined by " | "
		wantStatus string
	}{
		{name: "money at the threshold", who: "rita", flow: branchOn(Condition{Field: "total", Op: ">=", Value: "5000"}),
			values: map[string]any{"total": money("5000.00")}, want: "hit:vic"},
		{name: "money a cent under", who: "rita", flow: branchOn(Condition{Field: "total", Op: ">=", Value: "5000"}),
			values: map[string]any{"total": money("4999.99")}, want: "def:eve"},
		{name: "leave days over 3", who: "rita", flow: branchOn(Condition{Field: "amount", Op: ">", Value: "3"}), amount: num("3.5"), want: "hit:vic"},
		{name: "leave days exactly 3", who: "rita", flow: branchOn(Condition{Field: "amount", Op: ">", Value: "3"}), amount: num("3"), want: "def:eve"},
		{name: "a missing value takes no branch but !=", who: "rita", flow: branchOn(Condition{Field: "total", Op: "<", Value: "1"}), want: "def:eve"},
		{name: "select in", who: "rita", flow: branchOn(Condition{Field: "kind", Op: "in", Values: []string{"b"}}), values: map[string]any{"kind": "b"}, want: "hit:vic"},
		{name: "multiselect contains", who: "rita", flow: branchOn(Condition{Field: "tags", Op: "contains", Value: "y"}), values: map[string]any{"tags": []string{"x", "y"}}, want: "hit:vic"},
		{name: "department subtree", who: "rita", flow: branchOn(Condition{Field: "originator.department", Op: "in", Values: []string{string(id("dcompany"))}}), want: "hit:vic"},
		{name: "department elsewhere", who: "eve", flow: branchOn(Condition{Field: "originator.department", Op: "in", Values: []string{string(id("dsales"))}}), want: "def:eve"},
		{name: "role", who: "ada", flow: branchOn(Condition{Field: "originator.role", Op: "==", Value: "admin"}), want: "hit:vic"},
		{name: "a plain member's role", who: "rita", flow: branchOn(Condition{Field: "originator.role", Op: "in", Values: []string{"admin", "owner"}}), want: "def:eve"},
		{name: "manager skips the gap", who: "rita", flow: []Node{approverNode("m1", Who{Type: WhoManager, Level: 1}, ModeAny)}, want: "m1:dora"},
		{name: "second manager", who: "rita", flow: []Node{approverNode("m2", Who{Type: WhoManager, Level: 2}, ModeAny)}, want: "m2:vic"},
		{name: "no third manager: the admins", who: "rita", flow: []Node{approverNode("m3", Who{Type: WhoManager, Level: 3}, ModeAny)}, nobody: NobodyAdmin, want: "m3:boss,ada:fallback"},
		{name: "no third manager: passes", who: "rita", flow: []Node{approverNode("m3", Who{Type: WhoManager, Level: 3}, ModeAny)}, nobody: NobodyAutoApprove, want: "m3:", wantStatus: Approved},
		{name: "managers up to 5", who: "rita", flow: []Node{approverNode("ms", Who{Type: WhoManagers, Level: 5}, ModeSequential)}, want: "ms:dora,vic"},
		{name: "no manager at all", who: "vic", flow: []Node{approverNode("m1", Who{Type: WhoManager, Level: 1}, ModeAny)}, nobody: NobodyAdmin, want: "m1:boss,ada:fallback"},
		{name: "admins", who: "rita", flow: []Node{approverNode("r", Who{Type: WhoRole, Role: org.RoleAdmin}, ModeAny)}, want: "r:boss,ada"},
		{name: "owner", who: "rita", flow: []Node{approverNode("r", Who{Type: WhoRole, Role: org.RoleOwner}, ModeAny)}, want: "r:boss"},
		{name: "head of the department", who: "rita", flow: []Node{approverNode("h", Who{Type: WhoHead}, ModeAny)}, want: "h:sam"},
		{name: "a head asks: the head above", who: "sam", flow: []Node{approverNode("h", Who{Type: WhoHead}, ModeAny)}, want: "h:boss"},
		{name: "no head: the head above", who: "eve", flow: []Node{approverNode("h", Who{Type: WhoHead}, ModeAny)}, want: "h:boss"},
		{name: "people who left are no approvers", who: "rita", flow: []Node{approverNode("p", Who{Type: WhoPerson, UserIDs: []tack.ID{uid("max"), uid("nobody")}}, ModeAny)},
			nobody: NobodyAdmin, want: "p:boss,ada:fallback"},
		{name: "chosen", who: "rita", flow: []Node{approverNode("c", Who{Type: WhoChosen}, ModeSequential)},
			chosen: map[string][]tack.ID{"c": {uid("vic"), uid("eve")}}, want: "c:vic,eve"},
		{name: "none chosen", who: "rita", flow: []Node{approverNode("c", Who{Type: WhoChosen}, ModeSequential)}, nobody: NobodyAutoApprove, want: "c:", wantStatus: Approved},
		{name: "originator", who: "rita", flow: []Node{approverNode("o", Who{Type: WhoOriginator}, ModeAny)}, want: "o:rita"},
		{name: "cc and approvers in order", who: "rita", flow: []Node{
			{ID: "cc", Type: NodeCC, Who: Who{Type: WhoRole, Role: org.RoleOwner}},
			approverNode("m1", Who{Type: WhoManager, Level: 1}, ModeAny),
			{ID: "b", Type: NodeBranch, Branches: []Branch{{Priority: 1, Conditions: []Condition{{Field: "amount", Op: ">=", Value: "1"}}, Nodes: []Node{
				approverNode("m2", Who{Type: WhoManager, Level: 2}, ModeAny)}}}},
		}, amount: num("0.5"), want: "cc:boss | m1:dora"},
		{name: "the first branch by priority wins", who: "rita", flow: []Node{{ID: "b", Type: NodeBranch, Branches: []Branch{
			{Priority: 2, Conditions: []Condition{{Field: "amount", Op: ">", Value: "0"}}, Nodes: []Node{approverNode("two", Who{Type: WhoOriginator}, ModeAny)}},
			{Priority: 1, Conditions: []Condition{{Field: "amount", Op: ">", Value: "0"}}, Nodes: []Node{approverNode("one", Who{Type: WhoRole, Role: org.RoleOwner}, ModeAny)}},
		}}}, amount: num("1"), want: "one:boss"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			nobody := c.nobody
			if nobody == "" {
				nobody = NobodyAdmin
			}
			tpl := Template{Key: "x", Name: "x", OrgID: d.org, Fields: fields, Flow: c.flow, Nobody: nobody}
			if err := validTemplate(&tpl); err != nil {
				t.Fatalf("template: %v", err)
			}
			orig, _ := d.DirectoryMember(context.Background(), d.org, mid(c.who))
			vals := c.values
			if vals == nil {
				vals = map[string]any{}
			}
			steps, err := s.resolve(context.Background(), tpl, &facts{orgID: d.org, originator: orig, values: vals, amount: c.amount, chosen: c.chosen, depts: d.depts})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, st := range steps {
				x := st.Node + ":" + names(st.Approvers)
				if st.Fallback {
					x += ":fallback"
				}
				got = append(got, x)
			}
			if g := strings.Join(got, " | "); g != c.want {
				t.Errorf("steps %q, want %q", g, c.want)
			}
			in := &Instance{ID: id("inst"), OrgID: d.org, OriginatorID: orig.UserID, Status: Running, Steps: steps}
			ch := newChange(in, nil, true, time.Now())
			ch.activate()
			want := c.wantStatus
			if want == "" {
				want = Running
			}
			if in.Status != want {
				t.Errorf("status after activation %s, want %s", in.Status, want)
			}
		})
	}
}

func TestFlowValidation(t *testing.T) {
	fields := []Field{{Key: "total", Type: FieldMoney, Label: "t"}, {Key: "items", Type: FieldTable, Label: "i", Columns: []Field{{Key: "a", Type: FieldText, Label: "a"}}}}
	deep := []Node{approverNode("leaf", Who{Type: WhoOriginator}, ModeAny)}
	for i := 0; i < MaxDepth+1; i++ {
		deep = []Node{{ID: fmt.Sprintf("b%d", i), Type: NodeBranch, Branches: []Branch{{Nodes: deep}}}}
	}
	for _, c := range []struct {
		name string
		flow []Node
		want string
	}{
		{"unknown node type", []Node{{Type: "vote"}}, "flow[0].type"},
		{"unknown who", []Node{{Type: NodeApprover, Who: Who{Type: "cat"}}}, "flow[0].who.type"},
		{"person without people", []Node{{Type: NodeApprover, Who: Who{Type: WhoPerson}}}, "flow[0].who.user_ids"},
		{"manager level too high", []Node{{Type: NodeApprover, Who: Who{Type: WhoManager, Level: 99}}}, "flow[0].who.level"},
		{"unknown role", []Node{{Type: NodeApprover, Who: Who{Type: WhoRole, Role: "king"}}}, "flow[0].who.role"},
		{"unknown mode", []Node{{Type: NodeApprover, Who: Who{Type: WhoOriginator}, Mode: "majority"}}, "flow[0].mode"},
		{"duplicate IDs", []Node{approverNode("a", Who{Type: WhoOriginator}, ModeAny), approverNode("a", Who{Type: WhoOriginator}, ModeAny)}, "flow[1].id"},
		{"condition on no field", []Node{{Type: NodeBranch, Branches: []Branch{{Conditions: []Condition{{Field: "days", Op: ">", Value: "1"}}}}}}, "flow[0].branches[0].conditions[0].field"},
		{"condition on a table", []Node{{Type: NodeBranch, Branches: []Branch{{Conditions: []Condition{{Field: "items", Op: ">", Value: "1"}}}}}}, "flow[0].branches[0].conditions[0].field"},
		{"unknown op", []Node{{Type: NodeBranch, Branches: []Branch{{Conditions: []Condition{{Field: "total", Op: "~", Value: "1"}}}}}}, "flow[0].branches[0].conditions[0].op"},
		{"in without values", []Node{{Type: NodeBranch, Branches: []Branch{{Conditions: []Condition{{Field: "total", Op: "in"}}}}}}, "flow[0].branches[0].conditions[0].values"},
		{"no branches", []Node{{Type: NodeBranch}}, "flow[0].branches"},
		{"too deep", deep, ""},
	} {
		err := validFlow(c.flow, fields)
		var e *tack.Error
		if err == nil || !asTack(err, &e) || c.want != "" && e.Field != c.want {
			t.Errorf("%s: %v (field %q), want field %q", c.name, err, fieldOf(err), c.want)
		}
	}
}

func asTack(err error, e **tack.Error) bool {
	x, ok := err.(*tack.Error)
	*e = x
	return ok
}

func fieldOf(err error) string {
	if e, ok := err.(*tack.Error); ok {
		return e.Field
	}
	return ""
}

package approval

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// TestConditionJSON: a condition's value is a string or an exact number;
// null or no value is none; anything else, or bad JSON, is an error.
func TestConditionJSON(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Condition
		err  bool
	}{
		{`{"field": "total", "op": ">=", "value": 5000.10}`, Condition{Field: "total", Op: ">=", Value: "5000.10"}, false},
		{`{"field": "kind", "op": "==", "value": "a"}`, Condition{Field: "kind", Op: "==", Value: "a"}, false},
		{`{"field": "kind", "op": "==", "value": "null"}`, Condition{Field: "kind", Op: "==", Value: "null"}, false},
		{`{"field": "kind", "op": "in", "values": ["a", "b"]}`, Condition{Field: "kind", Op: "in", Values: []string{"a", "b"}}, false},
		{`{"field": "kind", "op": "in", "value": null, "values": ["a"]}`, Condition{Field: "kind", Op: "in", Values: []string{"a"}}, false},
		{`{"field": "kind", "op": "==", "value": true}`, Condition{}, true},
		{`{"field": "kind", "op": "==", "value": [1]}`, Condition{}, true},
		{`{"field": 1}`, Condition{}, true},
	} {
		c0 := Condition{Field: "old", Op: "old", Value: "old"}
		err := json.Unmarshal([]byte(c.in), &c0)
		if c.err {
			if err == nil {
				t.Errorf("%s: no error, got %+v", c.in, c0)
			}
			continue
		}
		if err != nil || fmt.Sprint(c0) != fmt.Sprint(c.want) {
			t.Errorf("%s: %+v %v, want %+v", c.in, c0, err, c.want)
		}
	}
}

// TestFlowEdges: a flow may nest branches exactly MaxDepth deep, hold
// exactly MaxNodes nodes, MaxConditions conditions a branch, MaxApprovers
// people a node, managers up to MaxManagerLevel, MaxOptions values of in
// and a 200-byte value; one more of each is refused.
func TestFlowEdges(t *testing.T) {
	fields := []Field{{Key: "total", Type: FieldMoney, Label: "t"}}
	leaf := func(id string) Node { return approverNode(id, Who{Type: WhoOriginator}, ModeAny) }
	nest := func(depth int) []Node {
		ns := []Node{leaf("leaf")}
		for i := 0; i < depth; i++ {
			ns = []Node{{ID: fmt.Sprintf("b%d", i), Type: NodeBranch, Branches: []Branch{{Nodes: ns}}}}
		}
		return ns
	}
	nodes := func(n int) []Node {
		ns := make([]Node, n)
		for i := range ns {
			ns[i] = leaf(fmt.Sprintf("n%d", i))
		}
		return ns
	}
	conds := func(n int) []Node {
		cs := make([]Condition, n)
		for i := range cs {
			cs[i] = Condition{Field: "total", Op: ">", Value: "1"}
		}
		return []Node{{ID: "b", Type: NodeBranch, Branches: []Branch{{Conditions: cs}}}}
	}
	people := func(n int) []Node {
		ids := make([]tack.ID, n)
		for i := range ids {
			ids[i] = id(fmt.Sprintf("p%d", i))
		}
		return []Node{approverNode("p", Who{Type: WhoPerson, UserIDs: ids}, ModeAny)}
	}
	level := func(l int) []Node { return []Node{approverNode("m", Who{Type: WhoManagers, Level: l}, ModeAny)} }
	cond := func(c Condition) []Node {
		return []Node{{ID: "b", Type: NodeBranch, Branches: []Branch{{Conditions: []Condition{c}}}}}
	}
	values := func(n int) []string {
		v := make([]string, n)
		for i := range v {
			v[i] = fmt.Sprint(i)
		}
		return v
	}
	for _, c := range []struct {
		name  string
		flow  []Node
		code  string
		field string
	}{
		{"MaxDepth deep", nest(MaxDepth), "", ""},
		{"one deeper", nest(MaxDepth + 1), tack.EInvalid, "flow" + strings.Repeat("[0].branches[0].nodes", MaxDepth+1)},
		{"MaxNodes nodes", nodes(MaxNodes), "", ""},
		{"one node more", nodes(MaxNodes + 1), tack.ETooLarge, ""},
		{"MaxConditions conditions", conds(MaxConditions), "", ""},
		{"one condition more", conds(MaxConditions + 1), tack.EInvalid, "flow[0].branches[0].conditions"},
		{"MaxApprovers people", people(MaxApprovers), "", ""},
		{"one person more", people(MaxApprovers + 1), tack.EInvalid, "flow[0].who.user_ids"},
		{"MaxManagerLevel", level(MaxManagerLevel), "", ""},
		{"one level more", level(MaxManagerLevel + 1), tack.EInvalid, "flow[0].who.level"},
		{"MaxOptions values", cond(Condition{Field: "total", Op: "in", Values: values(MaxOptions)}), "", ""},
		{"one value more", cond(Condition{Field: "total", Op: "not_in", Values: values(MaxOptions + 1)}), tack.EInvalid, "flow[0].branches[0].conditions[0].values"},
		{"a 200-byte value", cond(Condition{Field: "total", Op: "==", Value: strings.Repeat("9", 200)}), "", ""},
		{"a 201-byte value", cond(Condition{Field: "total", Op: "==", Value: strings.Repeat("9", 201)}), tack.EInvalid, "flow[0].branches[0].conditions[0].value"},
	} {
		err := validFlow(c.flow, fields)
		if c.code == "" && err != nil || c.code != "" && (tack.ErrorCode(err) != c.code || c.field != "" && fieldOf(err) != c.field) {
			t.Errorf("%s: %v (field %q), want %q %q", c.name, err, fieldOf(err), c.code, c.field)
		}
	}
}

// TestFlowChecksEveryNode: a named node does not end the check, names are
// trimmed and a blank name is refused; the originator's department takes
// in and not_in, the originator's role ==, !=, in and not_in.
func TestFlowChecksEveryNode(t *testing.T) {
	dept := string(id("dsales"))
	cond := func(c Condition) []Node {
		return []Node{{ID: "b", Type: NodeBranch, Branches: []Branch{{Conditions: []Condition{c}}}}}
	}
	for _, c := range []struct {
		name string
		flow []Node
		want string // "" = valid
	}{
		{"after a named node", []Node{{ID: "a", Name: "x", Type: NodeCC, Who: Who{Type: WhoOriginator}}, {ID: "b", Type: "vote"}}, "flow[1].type"},
		{"a named node of no type", []Node{{ID: "a", Name: "x", Type: "vote"}}, "flow[0].type"},
		{"a blank name", []Node{{ID: "a", Name: " ", Type: NodeCC, Who: Who{Type: WhoOriginator}}}, "flow[0].name"},
		{"department in", cond(Condition{Field: "originator.department", Op: "in", Values: []string{dept}}), ""},
		{"department not_in", cond(Condition{Field: "originator.department", Op: "not_in", Values: []string{dept}}), ""},
		{"department ==", cond(Condition{Field: "originator.department", Op: "==", Value: dept}), "flow[0].branches[0].conditions[0].op"},
		{"role in", cond(Condition{Field: "originator.role", Op: "in", Values: []string{org.RoleAdmin}}), ""},
		{"role not_in", cond(Condition{Field: "originator.role", Op: "not_in", Values: []string{org.RoleAdmin}}), ""},
		{"role ==", cond(Condition{Field: "originator.role", Op: "==", Value: org.RoleAdmin}), ""},
		{"role !=", cond(Condition{Field: "originator.role", Op: "!=", Value: org.RoleAdmin}), ""},
		{"role <", cond(Condition{Field: "originator.role", Op: "<", Value: org.RoleAdmin}), "flow[0].branches[0].conditions[0].op"},
	} {
		err := validFlow(c.flow, nil)
		if c.want == "" && err != nil || c.want != "" && (tack.ErrorCode(err) != tack.EInvalid || fieldOf(err) != c.want) {
			t.Errorf("%s: %v (field %q), want %q", c.name, err, fieldOf(err), c.want)
		}
	}
	named := []Node{{ID: "a", Name: "  Finance  ", Type: NodeCC, Who: Who{Type: WhoOriginator}}}
	if err := validFlow(named, nil); err != nil || named[0].Name != "Finance" {
		t.Errorf("name %q %v, want Finance", named[0].Name, err)
	}
}

// TestBranchesOfEqualPriority: among branches of the same priority the one
// listed first is tried first.
func TestBranchesOfEqualPriority(t *testing.T) {
	amount := Decimal(10000)
	for _, first := range []string{"one", "two"} {
		other := map[string]string{"one": "two", "two": "one"}[first]
		b := func(id string) Branch {
			return Branch{Priority: 1, Conditions: []Condition{{Field: "amount", Op: ">", Value: "0"}}, Nodes: []Node{{ID: id, Type: NodeCC}}}
		}
		got := route([]Node{{ID: "b", Type: NodeBranch, Branches: []Branch{b(first), b(other)}}}, &facts{amount: &amount})
		if len(got) != 1 || got[0].ID != first {
			t.Errorf("took %v, want %s", got, first)
		}
	}
}

// TestWhoAtItsEdges: a node has at most MaxApprovers people, however many
// admins there are; managers up to level n are the first n active ones;
// a head who cannot approve passes the request to the head above.
func TestWhoAtItsEdges(t *testing.T) {
	ctx := context.Background()
	d := testDir()
	for i := 0; i < MaxApprovers+1; i++ {
		a := d.add(fmt.Sprintf("adm%03dz", i), "", "eng")
		a.Role = org.RoleAdmin
		d.set(*a)
	}
	s := &Service{dir: d}
	rita, _ := d.DirectoryMember(ctx, d.org, mid("rita"))
	f := &facts{orgID: d.org, originator: rita, values: map[string]any{}, depts: d.depts}
	admins, err := s.who(ctx, Node{ID: "r", Type: NodeApprover, Who: Who{Type: WhoRole, Role: org.RoleAdmin}}, f)
	if err != nil || len(admins) != MaxApprovers || admins[0] != uid("boss") {
		t.Errorf("admins: %d %v, want %d starting with the owner", len(admins), err, MaxApprovers)
	}
	one, err := s.who(ctx, Node{ID: "m", Type: NodeApprover, Who: Who{Type: WhoManagers, Level: 1}}, f)
	if err != nil || names(one) != "dora" {
		t.Errorf("managers up to 1: %s %v, want dora", names(one), err)
	}
	// Sam, head of Sales, leaves: Rita's head is the head above, Boss.
	sam := d.members[mid("sam")]
	sam.Status = org.Left
	d.set(sam)
	heads, err := s.who(ctx, Node{ID: "h", Type: NodeApprover, Who: Who{Type: WhoHead}}, f)
	if err != nil || names(heads) != "boss" {
		t.Errorf("head when Sales' head left: %s %v, want boss", names(heads), err)
	}
}

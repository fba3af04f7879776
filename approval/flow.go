package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Node types of a flow.
const (
	NodeApprover = "approver" // people who approve, in a mode
	NodeCC       = "cc"       // people told, who may read
	NodeBranch   = "branch"   // condition branches: the first that holds, by priority
)

// Approval modes of an approver node.
const (
	ModeSequential = "sequential" // 依次: one after another, in order
	ModeAll        = "all"        // 会签: everyone must approve
	ModeAny        = "any"        // 或签: the first to act decides
)

// Who a node names.
const (
	WhoPerson     = "person"          // UserIDs
	WhoManager    = "manager"         // the originator's Level-th manager (1: direct)
	WhoManagers   = "managers"        // the originator's managers up to Level, one after another
	WhoRole       = "role"            // Role: admin (the owner and admins) or owner
	WhoChosen     = "chosen"          // chosen by the originator when asking
	WhoOriginator = "originator"      // the originator
	WhoHead       = "department_head" // heads of the originator's departments (the nearest above if none)
)

// What a template does when a node finds nobody.
const (
	NobodyAutoApprove = "auto_approve"
	NobodyAdmin       = "admin" // hand it to the template's approval admins
)

// Node is one node of a flow: an approver or CC node, or a node of
// condition branches each holding a flow of its own.
type Node struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Name     string   `json:"name,omitempty"`
	Who      Who      `json:"who,omitzero"`
	Mode     string   `json:"mode,omitempty"`
	Branches []Branch `json:"branches,omitempty"`
}

// Who names the people of an approver or CC node.
type Who struct {
	Type    string    `json:"type"`
	UserIDs []tack.ID `json:"user_ids,omitempty"`
	Level   int       `json:"level,omitempty"`
	Role    string    `json:"role,omitempty"`
}

// Branch is one condition branch: it holds when all its conditions hold;
// one without conditions is the default. Lower priorities are tried first.
type Branch struct {
	Name       string      `json:"name,omitempty"`
	Priority   int         `json:"priority"`
	Conditions []Condition `json:"conditions,omitempty"`
	Nodes      []Node      `json:"nodes"`
}

// Condition compares a value with Value (or Values, for in and not_in).
// Field is a form field's key, "amount" (a leave's or overtime's counted
// amount, an expense's total, unless the form has a field of that name),
// "originator.department" (in, not_in: department IDs, their
// sub-departments included) or "originator.role" (owner, admin, subadmin,
// member).
type Condition struct {
	Field  string   `json:"field"`
	Op     string   `json:"op"` // ==, !=, <, <=, >, >=, in, not_in, contains
	Value  string   `json:"value,omitempty"`
	Values []string `json:"values,omitempty"`
}

// UnmarshalJSON takes value as a string or a number (kept exact).
func (c *Condition) UnmarshalJSON(b []byte) error {
	var raw struct {
		Field  string          `json:"field"`
		Op     string          `json:"op"`
		Value  json.RawMessage `json:"value"`
		Values []string        `json:"values"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	c.Field, c.Op, c.Values, c.Value = raw.Field, raw.Op, raw.Values, ""
	if len(raw.Value) > 0 && string(raw.Value) != "null" {
		var v any
		d := json.NewDecoder(bytes.NewReader(raw.Value))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return err
		}
		switch x := v.(type) {
		case string:
			c.Value = x
		case json.Number:
			c.Value = x.String()
		default:
			return fmt.Errorf("condition value must be a string or a number")
		}
	}
	return nil
}

var ops = []string{"==", "!=", "<", "<=", ">", ">=", "in", "not_in", "contains"}

// Step is a resolved approver or CC node of an instance.
type Step struct {
	Node      string    `json:"node"`
	Name      string    `json:"name,omitempty"`
	Type      string    `json:"type"` // approver, cc
	Mode      string    `json:"mode,omitempty"`
	Approvers []tack.ID `json:"approvers"` // user IDs, as resolved when asked
	// Fallback: the node found nobody and the request went to the
	// template's approval admins.
	Fallback bool `json:"fallback,omitempty"`
	// Status: waiting, running, approved, rejected, done (CC), skipped.
	Status string `json:"status"`
	// Auto says why a step passed by itself: nobody (no approver), dedup
	// (every approver had just approved).
	Auto string `json:"auto,omitempty"`
}

// Step statuses.
const (
	StepWaiting  = "waiting"
	StepRunning  = "running"
	StepApproved = "approved"
	StepRejected = "rejected"
	StepDone     = "done"
	StepSkipped  = "skipped"
)

// validFlow checks a flow's nodes against the form's fields and fills
// missing IDs and modes.
func validFlow(nodes []Node, fields []Field) error {
	count, ids := 0, map[string]bool{}
	var walk func(prefix string, ns []Node, depth int) error
	walk = func(prefix string, ns []Node, depth int) error {
		if depth > MaxDepth {
			return tack.Invalid(prefix, "branches nest at most %d deep", MaxDepth)
		}
		for i := range ns {
			n := &ns[i]
			p := fmt.Sprintf("%s[%d]", prefix, i)
			if count++; count > MaxNodes {
				return tack.Errorf(tack.ETooLarge, "a flow has at most %d nodes", MaxNodes)
			}
			if n.ID == "" {
				n.ID = fmt.Sprintf("n%d", count)
			}
			if !validKey(n.ID) || ids[n.ID] {
				return tack.Invalid(p+".id", "node IDs are unique keys of a-z, 0-9 and _")
			}
			ids[n.ID] = true
			if n.Name != "" {
				var err error
				if n.Name, err = validLabel(p+".name", n.Name); err != nil {
					return err
				}
			}
			switch n.Type {
			case NodeApprover, NodeCC:
				if err := validWho(p+".who", &n.Who); err != nil {
					return err
				}
				n.Branches = nil
				if n.Type == NodeCC {
					n.Mode = ""
					continue
				}
				switch n.Mode {
				case "":
					n.Mode = ModeAny
				case ModeSequential, ModeAll, ModeAny:
				default:
					return tack.Invalid(p+".mode", "mode must be sequential (依次), all (会签) or any (或签)")
				}
				if n.Who.Type == WhoManagers {
					n.Mode = ModeSequential
				}
			case NodeBranch:
				n.Who, n.Mode = Who{}, ""
				if len(n.Branches) < 1 || len(n.Branches) > MaxBranches {
					return tack.Invalid(p+".branches", "a branch node has 1–%d branches", MaxBranches)
				}
				for j := range n.Branches {
					b := &n.Branches[j]
					bp := fmt.Sprintf("%s.branches[%d]", p, j)
					if len(b.Conditions) > MaxConditions {
						return tack.Invalid(bp+".conditions", "a branch has at most %d conditions", MaxConditions)
					}
					for k := range b.Conditions {
						if err := validCondition(fmt.Sprintf("%s.conditions[%d]", bp, k), &b.Conditions[k], fields); err != nil {
							return err
						}
					}
					if err := walk(bp+".nodes", b.Nodes, depth+1); err != nil {
						return err
					}
				}
			default:
				return tack.Invalid(p+".type", "a node is an approver, cc or branch node")
			}
		}
		return nil
	}
	return walk("flow", nodes, 0)
}

func validWho(p string, w *Who) error {
	switch w.Type {
	case WhoPerson:
		if len(w.UserIDs) == 0 || len(w.UserIDs) > MaxApprovers {
			return tack.Invalid(p+".user_ids", "name 1–%d people", MaxApprovers)
		}
		for _, id := range w.UserIDs {
			if !id.Valid() {
				return tack.Invalid(p+".user_ids", "%q is not an ID", clipKey(string(id)))
			}
		}
	case WhoManager, WhoManagers:
		if w.Level == 0 {
			w.Level = 1
		}
		if w.Level < 1 || w.Level > MaxManagerLevel {
			return tack.Invalid(p+".level", "level must be between 1 (the direct manager) and %d", MaxManagerLevel)
		}
	case WhoRole:
		if w.Role != org.RoleAdmin && w.Role != org.RoleOwner {
			return tack.Invalid(p+".role", "role must be admin (the owner and admins) or owner")
		}
	case WhoChosen, WhoOriginator, WhoHead:
	default:
		return tack.Invalid(p+".type", "who is person, manager, managers, role, chosen, originator or department_head")
	}
	if w.Type != WhoPerson {
		w.UserIDs = nil
	}
	if w.Type != WhoManager && w.Type != WhoManagers {
		w.Level = 0
	}
	if w.Type != WhoRole {
		w.Role = ""
	}
	return nil
}

func validCondition(p string, c *Condition, fields []Field) error {
	if !slices.Contains(ops, c.Op) {
		return tack.Invalid(p+".op", "op must be one of %s", strings.Join(ops, " "))
	}
	switch c.Field {
	case "originator.department":
		if c.Op != "in" && c.Op != "not_in" {
			return tack.Invalid(p+".op", "originator.department takes in or not_in")
		}
		for _, v := range c.Values {
			if !tack.ID(v).Valid() {
				return tack.Invalid(p+".values", "%q is not a department ID", clipKey(v))
			}
		}
	case "originator.role":
		if c.Op != "in" && c.Op != "not_in" && c.Op != "==" && c.Op != "!=" {
			return tack.Invalid(p+".op", "originator.role takes ==, !=, in or not_in")
		}
	case "amount":
	default:
		i := slices.IndexFunc(fields, func(f Field) bool { return f.Key == c.Field })
		if i < 0 {
			return tack.Invalid(p+".field", "the form has no field %q", clipKey(c.Field))
		}
		switch fields[i].Type {
		case FieldTable, FieldAttachment, FieldDateRange:
			return tack.Invalid(p+".field", "a %s field cannot be compared", fields[i].Type)
		}
	}
	if (c.Op == "in" || c.Op == "not_in") && (len(c.Values) == 0 || len(c.Values) > MaxOptions) {
		return tack.Invalid(p+".values", "in and not_in need 1–%d values", MaxOptions)
	}
	if c.Op != "in" && c.Op != "not_in" {
		c.Values = nil
		if c.Value == "" {
			return tack.Invalid(p+".value", "the condition needs a value")
		}
	} else {
		c.Value = ""
	}
	if len(c.Value) > 200 {
		return tack.Invalid(p+".value", "a condition value is at most 200 characters")
	}
	return nil
}

// facts are what a flow is resolved against.
type facts struct {
	orgID      tack.ID
	originator org.Member
	values     map[string]any
	amount     *Decimal             // computed amount (leave, overtime, expense total)
	chosen     map[string][]tack.ID // node ID -> user IDs picked by the originator
	depts      []org.Department
}

// holds reports whether every condition holds.
func (f *facts) holds(cs []Condition) bool {
	for _, c := range cs {
		if !f.holdsOne(c) {
			return false
		}
	}
	return true
}

func (f *facts) holdsOne(c Condition) bool {
	switch c.Field {
	case "originator.department":
		paths := map[tack.ID]string{}
		for _, d := range f.depts {
			paths[d.ID] = d.Path
		}
		in := false
		for _, mine := range f.originator.Departments {
			for _, v := range c.Values {
				if p, q := paths[mine], paths[tack.ID(v)]; p != "" && q != "" && strings.HasPrefix(p, q) {
					in = true
				}
			}
		}
		return in == (c.Op == "in")
	case "originator.role":
		role := f.originator.Role
		if role == "" {
			role = org.RoleMember
		}
		return compareText(role, c)
	}
	v, ok := f.values[c.Field]
	if !ok && c.Field == "amount" && f.amount != nil {
		v, ok = Number(*f.amount), true
	}
	if !ok {
		return c.Op == "!=" || c.Op == "not_in"
	}
	switch x := v.(type) {
	case Number:
		return compareNumber(Decimal(x), c)
	case Money:
		return compareNumber(Decimal(x), c)
	case string:
		return compareText(x, c)
	case []string:
		switch c.Op {
		case "contains":
			return slices.Contains(x, c.Value)
		case "in":
			return slices.ContainsFunc(x, func(s string) bool { return slices.Contains(c.Values, s) })
		case "not_in":
			return !slices.ContainsFunc(x, func(s string) bool { return slices.Contains(c.Values, s) })
		}
	}
	return false
}

func compareNumber(d Decimal, c Condition) bool {
	if c.Op == "in" || c.Op == "not_in" {
		in := false
		for _, s := range c.Values {
			if e, ok := ParseDecimal(s, 4); ok && e == d {
				in = true
			}
		}
		return in == (c.Op == "in")
	}
	e, ok := ParseDecimal(c.Value, 4)
	if !ok {
		return false
	}
	switch c.Op {
	case "==":
		return d == e
	case "!=":
		return d != e
	case "<":
		return d < e
	case "<=":
		return d <= e
	case ">":
		return d > e
	case ">=":
		return d >= e
	}
	return false
}

func compareText(s string, c Condition) bool {
	switch c.Op {
	case "==":
		return s == c.Value
	case "!=":
		return s != c.Value
	case "<":
		return s < c.Value
	case "<=":
		return s <= c.Value
	case ">":
		return s > c.Value
	case ">=":
		return s >= c.Value
	case "in":
		return slices.Contains(c.Values, s)
	case "not_in":
		return !slices.Contains(c.Values, s)
	case "contains":
		return strings.Contains(s, c.Value)
	}
	return false
}

// route walks the flow: the nodes on the path the facts take, in order.
func route(nodes []Node, f *facts) []Node {
	var out []Node
	for _, n := range nodes {
		if n.Type != NodeBranch {
			out = append(out, n)
			continue
		}
		bs := slices.Clone(n.Branches)
		sort.SliceStable(bs, func(i, j int) bool { return bs[i].Priority < bs[j].Priority })
		var def *Branch
		taken := false
		for i := range bs {
			if len(bs[i].Conditions) == 0 {
				if def == nil {
					def = &bs[i]
				}
				continue
			}
			if f.holds(bs[i].Conditions) {
				out = append(out, route(bs[i].Nodes, f)...)
				taken = true
				break
			}
		}
		if !taken && def != nil {
			out = append(out, route(def.Nodes, f)...)
		}
	}
	return out
}

// resolve turns the flow into the instance's steps: each approver and CC
// node on the path with the active people it names (user IDs, in order,
// each once). An approver node that names nobody goes to the template's
// approval admins when the template says so (Fallback), else it passes by
// itself when reached.
func (s *Service) resolve(ctx context.Context, t Template, f *facts) ([]Step, error) {
	var steps []Step
	var admins []tack.ID
	adminsKnown := false
	for _, n := range route(t.Flow, f) {
		people, err := s.who(ctx, n, f)
		if err != nil {
			return nil, err
		}
		st := Step{Node: n.ID, Name: n.Name, Type: n.Type, Mode: n.Mode, Approvers: people, Status: StepWaiting}
		if n.Type == NodeApprover && len(people) == 0 && t.Nobody == NobodyAdmin {
			if !adminsKnown {
				if admins, err = s.approvalAdmins(ctx, t); err != nil {
					return nil, err
				}
				adminsKnown = true
			}
			st.Approvers, st.Fallback, st.Mode = admins, true, ModeAny
		}
		if st.Approvers == nil {
			st.Approvers = []tack.ID{}
		}
		steps = append(steps, st)
	}
	return steps, nil
}

// approvalAdmins are the template's approval admins who are active, or
// else the organisation's owner and admins.
func (s *Service) approvalAdmins(ctx context.Context, t Template) ([]tack.ID, error) {
	var out []tack.ID
	for _, id := range t.AdminIDs {
		if m, ok, err := s.activeUser(ctx, t.OrgID, id); err != nil {
			return nil, err
		} else if ok && !slices.Contains(out, m.UserID) {
			out = append(out, m.UserID)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	ms, err := s.dir.DirectoryAdmins(ctx, t.OrgID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Role == org.RoleOwner && ms[j].Role != org.RoleOwner })
	for _, m := range ms {
		if m.UserID != "" && !slices.Contains(out, m.UserID) {
			out = append(out, m.UserID)
		}
	}
	return out, nil
}

// who returns the active people a node names, as user IDs.
func (s *Service) who(ctx context.Context, n Node, f *facts) ([]tack.ID, error) {
	var out []tack.ID
	add := func(m org.Member) {
		if m.Status == org.Active && m.UserID != "" && !slices.Contains(out, m.UserID) && len(out) < MaxApprovers {
			out = append(out, m.UserID)
		}
	}
	byIDs := func(ids []tack.ID) error {
		for _, id := range ids {
			m, ok, err := s.activeUser(ctx, f.orgID, id)
			if err != nil {
				return err
			}
			if ok {
				add(m)
			}
		}
		return nil
	}
	switch n.Who.Type {
	case WhoPerson:
		if err := byIDs(n.Who.UserIDs); err != nil {
			return nil, err
		}
	case WhoChosen:
		if err := byIDs(f.chosen[n.ID]); err != nil {
			return nil, err
		}
	case WhoOriginator:
		add(f.originator)
	case WhoManager, WhoManagers:
		chain, err := s.dir.DirectoryManagers(ctx, f.orgID, f.originator, 4*MaxManagerLevel)
		if err != nil {
			return nil, err
		}
		// Managers who left, are suspended or never joined are gaps: the
		// chain goes on through their own manager.
		var active []org.Member
		for _, m := range chain {
			if m.Status == org.Active && m.UserID != "" {
				active = append(active, m)
			}
		}
		if n.Who.Type == WhoManager {
			if len(active) >= n.Who.Level {
				add(active[n.Who.Level-1])
			}
		} else {
			for i := 0; i < len(active) && i < n.Who.Level; i++ {
				add(active[i])
			}
		}
	case WhoRole:
		ms, err := s.dir.DirectoryAdmins(ctx, f.orgID)
		if err != nil {
			return nil, err
		}
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].Role == org.RoleOwner && ms[j].Role != org.RoleOwner })
		for _, m := range ms {
			if n.Who.Role == org.RoleAdmin || m.Role == org.RoleOwner {
				add(m)
			}
		}
	case WhoHead:
		byID := map[tack.ID]org.Department{}
		for _, d := range f.depts {
			byID[d.ID] = d
		}
		for _, did := range f.originator.Departments {
			d, ok := byID[did]
			// Up the tree until a department has a head who is not the
			// originator.
			for ok {
				var heads []tack.ID
				for _, h := range d.HeadIDs {
					if h != f.originator.ID {
						heads = append(heads, h)
					}
				}
				if len(heads) > 0 {
					before := len(out)
					if err := byIDs(heads); err != nil {
						return nil, err
					}
					if len(out) > before {
						break
					}
				}
				d, ok = byID[d.ParentID]
			}
		}
	}
	if out == nil {
		out = []tack.ID{}
	}
	return out, nil
}

package org

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/tackhq/tack"
)

// Checking an import. Everything is checked before anything is written.
// The plan holds one compact entry per row, in fixed chunks (no copies;
// the result's rows are made from them at the end, letting each chunk go),
// and invitations and search keys are made only when writing: a
// 50,000-row import holds about 20 MB.

// importPlan is a checked import, ready to write.
type importPlan struct {
	a        *actor
	orgID    tack.ID
	newDepts []Department        // parents first
	rows     *rowStore           // one per row of the result
	probs    map[int32][]Problem // problems by row
	order    []int32             // the rows to write, in writing order
	audit    Audit
	total    int // departments and members to write
}

// importProfile is what an import sets of a member, kept compact (a
// Member is twice the size).
type importProfile struct {
	ID                                                  tack.ID
	Name, Title, EmployeeNo, WorkEmail, Phone, HireDate string
	Departments                                         []tack.ID
	ManagerID                                           tack.ID
}

func profileOf(m *Member) importProfile {
	return importProfile{ID: m.ID, Name: m.Name, Title: m.Title, EmployeeNo: m.EmployeeNo, WorkEmail: m.WorkEmail, Phone: m.Phone,
		HireDate: m.HireDate, Departments: m.Departments, ManagerID: m.ManagerID}
}

func (p importProfile) same(m *Member) bool {
	return p.Name == m.Name && p.Title == m.Title && p.EmployeeNo == m.EmployeeNo && p.WorkEmail == m.WorkEmail &&
		p.Phone == m.Phone && p.HireDate == m.HireDate && slices.Equal(p.Departments, m.Departments) && p.ManagerID == m.ManagerID
}

// member returns the member to write for a planned row.
func (p *plannedRow) member(orgID tack.ID, now time.Time) Member {
	var m Member
	if p.before != nil {
		m = *p.before
	} else {
		m = Member{ID: p.m.ID, OrgID: orgID, Status: Invited, Role: RoleMember, CreatedAt: now}
	}
	m.Name, m.Title, m.EmployeeNo, m.WorkEmail, m.Phone, m.HireDate = p.m.Name, p.m.Title, p.m.EmployeeNo, p.m.WorkEmail, p.m.Phone, p.m.HireDate
	m.Departments, m.ManagerID, m.UpdatedAt = p.m.Departments, p.m.ManagerID, now
	if m.Departments == nil {
		m.Departments = []tack.ID{}
	}
	return m
}

type plannedRow struct {
	m      importProfile
	before *Member // the member matched; nil for a new one
	line   int32   // 1-based row of the file
	mgrIdx int32   // the row of the plan that is the manager, or -1
	unit   int32   // rows of one unit are written in one transaction
	depth  int32   // managers the import makes come before their reports
	idx    int32   // this row's index in the plan
	ok     bool    // read as text; at the end: without a problem
	failed bool    // has a problem (reported, or past MaxImportProblems)
	action uint8   // at the end: create, update or unchanged
}

// Row actions.
const (
	actCreate = iota + 1
	actUpdate
	actUnchanged
)

// rowStore keeps planned rows in fixed chunks: no growing copies, and the
// chunks can be let go one by one when the result is made.
type rowStore struct {
	chunks [][]plannedRow
	n      int
}

const rowChunk = 4096

func (s *rowStore) add(p plannedRow) *plannedRow {
	if s.n%rowChunk == 0 {
		s.chunks = append(s.chunks, make([]plannedRow, 0, rowChunk))
	}
	c := &s.chunks[len(s.chunks)-1]
	p.idx = int32(s.n)
	*c = append(*c, p)
	s.n++
	return &(*c)[len(*c)-1]
}

func (s *rowStore) at(i int32) *plannedRow { return &s.chunks[i/rowChunk][i%rowChunk] }

func (s *rowStore) len() int { return s.n }

// checker checks an import row by row as the rows are read, then as a
// whole (finish).
type checker struct {
	s         *Service
	a         *actor
	res       *ImportResult
	col       map[string]int
	t         *tree
	now       time.Time
	newDepts  map[string]*Department // by lower-case path of names
	deptOrder []*Department
	plans     rowStore
	probs     map[int32][]Problem // problems by row
	noIdx     map[string]int32    // first row of each employee number
	emailIdx  map[string]int32    // and of each email
	mgrs      map[int32]string    // the manager column of the rows that have one

	problems, unreported int   // problems reported, and those past the limit
	held, charged        int64 // bytes the rows hold, and those charged to the budget
}

func (s *Service) newChecker(ctx context.Context, a *actor, col map[string]int, res *ImportResult) (*checker, error) {
	t, err := s.tree(ctx, a)
	if err != nil {
		return nil, err
	}
	return &checker{s: s, a: a, res: res, col: col, t: t, now: s.clock.Now(), newDepts: map[string]*Department{},
		noIdx: map[string]int32{}, emailIdx: map[string]int32{}, mgrs: map[int32]string{}, probs: map[int32][]Problem{}}, nil
}

func (c *checker) has(key string) bool { _, ok := c.col[key]; return ok }

// resolveDept finds the department at path (names separated by '/'),
// planning the missing ones.
func (c *checker) resolveDept(row *plannedRow, path string) (tack.ID, bool) {
	parent := tack.ID("")
	parentPath := "/"
	key := ""
	for _, p := range strings.Split(path, "/") {
		name, err := validDeptName(p)
		if err != nil {
			c.bad(row, "row_invalid_department", map[string]any{"department": path}, "department %q: %s", path, tack.ErrorMessage(err))
			return "", false
		}
		key += "/" + strings.ToLower(name)
		var found *Department
		for _, d := range c.t.children[parent] {
			if strings.EqualFold(d.Name, name) {
				found = d
			}
		}
		if found == nil {
			found = c.newDepts[key]
		}
		if found == nil {
			if strings.Count(parentPath, "/") > MaxDepth {
				c.bad(row, "row_department_too_deep", map[string]any{"department": path, "max": MaxDepth}, "department %q nests deeper than %d", path, MaxDepth)
				return "", false
			}
			d := &Department{ID: tack.NewID(), OrgID: c.a.org.ID, ParentID: parent, Name: name, CreatedAt: c.now}
			d.Path = parentPath + string(d.ID) + "/"
			c.newDepts[key] = d
			c.deptOrder = append(c.deptOrder, d)
			found = d
		}
		parent, parentPath = found.ID, found.Path
	}
	return parent, true
}

// bad records a problem of a row. Past MaxImportProblems problems, rows
// are marked failed without the details (the file says how many).
func (c *checker) bad(r *plannedRow, code string, params map[string]any, format string, args ...any) {
	r.failed = true
	if c.problems >= MaxImportProblems {
		c.unreported++
		return
	}
	c.problems++
	if params == nil {
		params = map[string]any{}
	}
	params["row"] = int(r.line)
	msg := fmt.Sprintf(format, args...)
	c.probs[r.idx] = append(c.probs[r.idx], Problem{Code: code, Params: params, Message: msg})
	c.held += int64(len(msg))*2 + 400
}

// fieldProblem turns a validation error of one column into a row problem.
func (c *checker) fieldProblem(row *plannedRow, field, value string, err error) {
	if strings.TrimSpace(value) == "" && field == "name" {
		c.bad(row, "row_missing_name", nil, "%s", tack.ErrorMessage(err))
		return
	}
	if len(value) > 64 {
		value = value[:64]
	}
	c.bad(row, "row_invalid_"+field, map[string]any{"value": strings.Clone(strings.ToValidUTF8(value, ""))}, "%s", tack.ErrorMessage(err))
}

// rowCost is what a row holds besides its text.
const rowCost = int64(unsafe.Sizeof(plannedRow{}) + 96)

// account charges the import's memory budget for what the rows hold.
func (c *checker) account(ctx context.Context) error {
	if c.held-c.charged < 256<<10 {
		return nil
	}
	if err := c.s.ChargeImport(ctx, c.held-c.charged); err != nil {
		return err
	}
	c.charged = c.held
	return nil
}

// add checks one row on its own.
func (c *checker) add(l importLine) {
	i := c.plans.len()
	p := c.plans.add(plannedRow{line: int32(l.line), mgrIdx: -1, unit: int32(i)})
	row := p
	c.held += rowCost
	for _, v := range []string{l.name, l.empNo, l.email, l.phone, l.title, l.depts, l.mgr, l.hireDt} {
		if !utf8.ValidString(v) {
			c.bad(row, "row_invalid_text", nil, "the row holds bytes that are not text in the file's encoding")
			return
		}
	}
	m := &p.m
	check := func(field, raw string, valid func(field, v string) (string, error)) string {
		v, err := valid(field, raw)
		if err != nil {
			c.fieldProblem(row, field, raw, err)
		}
		return v
	}
	m.Name = check("name", l.name, validName)
	m.EmployeeNo = check("employee_no", l.empNo, validEmployeeNo)
	m.WorkEmail = check("email", l.email, validEmail)
	m.Phone = check("phone", l.phone, validPhone)
	m.Title = check("title", l.title, func(f, v string) (string, error) { return validText(f, v, MaxTitleRunes) })
	m.HireDate = check("hire_date", l.hireDt, validDate)
	mgr := strings.TrimSpace(l.mgr)
	if mgr != "" {
		c.mgrs[int32(i)] = mgr
	}
	c.held += int64(len(m.Name) + len(m.EmployeeNo) + len(m.WorkEmail) + len(m.Phone) + len(m.Title) + len(m.HireDate) + len(mgr) + 16*len(m.Departments))
	if m.EmployeeNo == "" && m.WorkEmail == "" && !row.failed {
		c.bad(row, "row_missing_key", nil, "needs an employee number or an email")
	}
	if k := m.EmployeeNo; k != "" {
		if first, dup := c.noIdx[k]; dup {
			c.bad(row, "row_duplicate_employee_no", map[string]any{"employee_no": k, "first_row": c.plans.at(first).line},
				"employee number %s is also on row %d", k, c.plans.at(first).line)
		} else {
			c.noIdx[k] = int32(i)
		}
	}
	if k := m.WorkEmail; k != "" {
		if first, dup := c.emailIdx[k]; dup {
			c.bad(row, "row_duplicate_email", map[string]any{"email": k, "first_row": c.plans.at(first).line},
				"email %s is also on row %d", k, c.plans.at(first).line)
		} else {
			c.emailIdx[k] = int32(i)
		}
	}
	if ds := strings.TrimSpace(l.depts); ds != "" {
		for _, path := range strings.FieldsFunc(ds, func(r rune) bool { return r == ';' || r == '|' || r == '；' }) {
			path = strings.Trim(strings.TrimSpace(path), "/")
			if path == "" {
				continue
			}
			if id, ok := c.resolveDept(row, path); ok && !slices.Contains(m.Departments, id) {
				m.Departments = append(m.Departments, id)
			}
		}
		if len(m.Departments) > MaxMemberDepts {
			c.bad(row, "row_too_many_departments", map[string]any{"max": MaxMemberDepts}, "at most %d departments", MaxMemberDepts)
		}
	}
	p.ok = true
}

// finish checks the rows against the organisation and one another, and
// plans what to write.
func (c *checker) finish(ctx context.Context, progress Progress) (*importPlan, error) {
	s, a, res, t, plans := c.s, c.a, c.res, c.t, &c.plans
	orgID := a.org.ID
	has, noIdx, emailIdx, deptOrder, mgrs := c.has, c.noIdx, c.emailIdx, c.deptOrder, c.mgrs
	c.noIdx, c.emailIdx, c.mgrs = nil, nil, nil
	n := plans.len()
	res.Total = n
	progress("check", 0, n)

	// Existing members matched by employee number or email, or named as
	// managers.
	var nos, emails []string
	for i := range n {
		p := plans.at(int32(i))
		if !p.ok {
			continue
		}
		if n := p.m.EmployeeNo; n != "" {
			nos = append(nos, n)
		}
		if e := p.m.WorkEmail; e != "" {
			emails = append(emails, e)
		}
		if mgr := mgrs[int32(i)]; mgr != "" {
			nos = append(nos, strings.ToUpper(mgr))
			emails = append(emails, strings.ToLower(mgr))
		}
	}
	existing, err := s.matching(ctx, orgID, nos, emails)
	if err != nil {
		return nil, err
	}
	nos, emails = nil, nil
	byNo, byEmail := map[string]*Member{}, map[string]*Member{}
	for i := range existing {
		m := &existing[i]
		if m.EmployeeNo != "" {
			byNo[strings.ToUpper(m.EmployeeNo)] = m
		}
		if m.WorkEmail != "" {
			byEmail[m.WorkEmail] = m
		}
	}
	claimed := map[tack.ID]int32{} // existing member -> the row matching it
	for i := range n {
		p := plans.at(int32(i))
		row := p
		if !p.ok {
			continue
		}
		m := p.m
		var match *Member
		if m.EmployeeNo != "" {
			match = byNo[m.EmployeeNo]
		}
		if m.WorkEmail != "" {
			if e := byEmail[m.WorkEmail]; e != nil {
				if match != nil && match.ID != e.ID {
					c.bad(row, "row_keys_of_two_members", map[string]any{"employee_no": m.EmployeeNo, "email": m.WorkEmail},
						"employee number %s and email %s belong to two different members", m.EmployeeNo, m.WorkEmail)
				} else if match == nil {
					match = e
				}
			}
		}
		if match == nil {
			p.m.ID = tack.NewID()
			continue
		}
		if first, dup := claimed[match.ID]; dup {
			c.bad(row, "row_same_member", map[string]any{"first_row": plans.at(first).line}, "matches the same member as row %d", plans.at(first).line)
		} else {
			claimed[match.ID] = int32(i)
		}
		p.before = match
		nm := profileOf(match)
		nm.Name, nm.Title, nm.Phone, nm.HireDate = m.Name, m.Title, m.Phone, m.HireDate
		if m.EmployeeNo != "" || has("employee_no") {
			nm.EmployeeNo = m.EmployeeNo
		}
		if m.WorkEmail != "" || has("work_email") {
			nm.WorkEmail = m.WorkEmail
		}
		if !has("phone") {
			nm.Phone = match.Phone
		}
		if !has("title") {
			nm.Title = match.Title
		}
		if !has("hire_date") {
			nm.HireDate = match.HireDate
		}
		if has("departments") {
			nm.Departments = m.Departments
			if nm.Departments == nil {
				nm.Departments = []tack.ID{}
			}
		}
		p.m = nm
	}

	// Managers: another row's or an existing member's employee number or
	// email.
	for i := range n {
		p := plans.at(int32(i))
		row := p
		if !p.ok {
			continue
		}
		switch {
		case !has("manager"):
			if j, ok := claimed[p.m.ManagerID]; ok { // kept: perhaps a row of the file
				p.mgrIdx = j
			}
			continue
		case mgrs[int32(i)] == "":
			p.m.ManagerID = ""
			continue
		}
		mgr := mgrs[int32(i)]
		j, ok := noIdx[strings.ToUpper(mgr)]
		if !ok {
			j, ok = emailIdx[strings.ToLower(mgr)]
		}
		var id tack.ID
		switch {
		case ok && plans.at(j).ok:
			id = plans.at(j).m.ID
		case byNo[strings.ToUpper(mgr)] != nil && byNo[strings.ToUpper(mgr)].Status != Left:
			id = byNo[strings.ToUpper(mgr)].ID
		case byEmail[strings.ToLower(mgr)] != nil && byEmail[strings.ToLower(mgr)].Status != Left:
			id = byEmail[strings.ToLower(mgr)].ID
		default:
			c.bad(row, "row_manager_unknown", map[string]any{"manager": mgr}, "manager %s is neither in the file nor a member", mgr)
			continue
		}
		if id == p.m.ID {
			c.bad(row, "row_manager_self", nil, "a member cannot be their own manager")
			continue
		}
		p.m.ManagerID = id
		if ok && plans.at(j).ok {
			p.mgrIdx = j
		} else if k, in := claimed[id]; in {
			p.mgrIdx = k
		}
	}
	noIdx, emailIdx = nil, nil
	progress("check", n/2, n)
	// Circles of managers within the file.
	for i := range n {
		p := plans.at(int32(i))
		for cur, steps := p.mgrIdx, 0; cur >= 0 && steps <= n; cur, steps = plans.at(cur).mgrIdx, steps+1 {
			if cur == int32(i) {
				c.bad(plans.at(int32(i)), "row_manager_circle", nil, "the managers make a circle")
				break
			}
		}
	}

	// Unique keys against members not in the file (every member holding an
	// employee number or email of the file is among existing), and units:
	// rows that take an employee number or email from another member of
	// the file are written with that member's row, in one transaction.
	unit := func(i int32) int32 {
		for plans.at(i).unit != i {
			plans.at(i).unit = plans.at(plans.at(i).unit).unit
			i = plans.at(i).unit
		}
		return i
	}
	join := func(i, j int32) {
		if ri, rj := unit(i), unit(j); ri != rj {
			plans.at(rj).unit = ri
		}
	}
	for i := range n {
		p := plans.at(int32(i))
		row := p
		if !p.ok {
			continue
		}
		if o := byNo[p.m.EmployeeNo]; p.m.EmployeeNo != "" && o != nil && o.ID != p.m.ID {
			if j, in := claimed[o.ID]; !in {
				c.bad(row, "row_employee_no_taken", map[string]any{"employee_no": p.m.EmployeeNo}, "employee number %s belongs to another member", p.m.EmployeeNo)
			} else {
				join(int32(i), j)
			}
		}
		if o := byEmail[p.m.WorkEmail]; p.m.WorkEmail != "" && o != nil && o.ID != p.m.ID {
			if j, in := claimed[o.ID]; !in {
				c.bad(row, "row_email_taken", map[string]any{"email": p.m.WorkEmail}, "email %s belongs to another member", p.m.WorkEmail)
			} else {
				join(int32(i), j)
			}
		}
		// The same rule as UpdateMember: admins change neither the owner
		// nor other admins; only the owner changes admins.
		if p.before != nil && !p.m.same(p.before) && !a.managesMember(t, p.before) {
			c.bad(row, "row_member_not_managed", nil, "you may not change this member's profile: only the owner changes admins, and nobody the owner")
		}
	}

	// Outcomes.
	plan := &importPlan{a: a, orgID: orgID, rows: plans, probs: c.probs}
	for i := range n {
		p := plans.at(int32(i))
		if p.failed {
			p.ok = false
			res.Failed++
			continue
		}
		switch {
		case p.before == nil:
			p.action = actCreate
			res.Created++
		case p.m.same(p.before):
			p.action = actUnchanged
			res.Unchanged++
			continue
		default:
			p.action = actUpdate
			res.Updated++
		}
		plan.order = append(plan.order, int32(i))
	}
	// Depth: how many managers made by this import stand above a row.
	for _, i := range plan.order {
		p := plans.at(i)
		for cur, k := p.mgrIdx, 0; cur >= 0 && k < n; cur, k = plans.at(cur).mgrIdx, k+1 {
			if plans.at(cur).ok && plans.at(cur).before == nil {
				p.depth++
			}
		}
	}
	// A unit is written whole, at the place of its deepest row.
	unitDepth := map[int32]int32{}
	for _, i := range plan.order {
		plans.at(i).unit = unit(i)
		unitDepth[plans.at(i).unit] = max(unitDepth[plans.at(i).unit], plans.at(i).depth)
	}
	slices.SortStableFunc(plan.order, func(x, y int32) int {
		ux, uy := plans.at(x).unit, plans.at(y).unit
		return cmp.Or(cmp.Compare(unitDepth[ux], unitDepth[uy]), cmp.Compare(ux, uy))
	})

	// New departments actually used by good rows (a bad row's are dropped).
	used := map[tack.ID]bool{}
	for _, i := range plan.order {
		for _, d := range plans.at(i).m.Departments {
			used[d] = true
		}
	}
	for i := len(deptOrder) - 1; i >= 0; i-- {
		if d := deptOrder[i]; used[d.ID] {
			used[d.ParentID] = true
		}
	}
	names := map[tack.ID]string{}
	for _, d := range t.byID {
		names[d.ID] = d.Name
	}
	for _, d := range deptOrder {
		names[d.ID] = d.Name
	}
	for _, d := range deptOrder {
		if !used[d.ID] {
			continue
		}
		indexDept(d)
		plan.newDepts = append(plan.newDepts, *d)
		var parts []string
		for _, id := range strings.Split(strings.Trim(d.Path, "/"), "/") {
			parts = append(parts, names[tack.ID(id)])
		}
		res.Departments = append(res.Departments, strings.Join(parts, "/"))
	}
	progress("check", n, n)
	if len(t.byID)+len(plan.newDepts) > MaxDepartments {
		res.bad("file_too_many_departments", map[string]any{"max": MaxDepartments}, "an organisation has at most %d departments", MaxDepartments)
	}
	if c.unreported > 0 {
		res.bad("file_too_many_problems", map[string]any{"shown": c.problems, "more": c.unreported},
			"the first %d problems are shown; %d more are not", c.problems, c.unreported)
	}
	plan.total = len(plan.order) + len(plan.newDepts)
	plan.audit = s.audit(a, "member.import", a.org.ID, nil, map[string]any{"rows": res.Total, "created": res.Created, "updated": res.Updated,
		"unchanged": res.Unchanged, "new_departments": len(res.Departments)})
	return plan, nil
}

// results fills in res.Rows from the plan, letting the plan's chunks go as
// it does.
func (plan *importPlan) results(res *ImportResult) {
	rs := plan.rows
	res.Rows = make([]ImportRow, rs.len())
	for k, chunk := range rs.chunks {
		for j := range chunk {
			p := &chunk[j]
			r := &res.Rows[k*rowChunk+j]
			r.Line, r.Name, r.Problems = int(p.line), p.m.Name, plan.probs[p.idx]
			switch {
			case p.failed:
				r.Action, r.failed = "error", true
				continue
			case p.action == actCreate:
				r.Action = "create"
			case p.action == actUpdate:
				r.Action = "update"
			default:
				r.Action = "unchanged"
			}
			r.MemberID = p.m.ID
		}
		rs.chunks[k] = nil
	}
}

package org

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// Bulk import: a table (from CSV or XLSX, see package sheet) whose first row
// names the columns. Each later row is a member, matched to an existing
// one by employee number, else by work email: a match is updated, anything
// else becomes an invited member (with an invitation addressed to their
// email or phone). Departments are paths ("Sales/East"), several separated
// by ';' or '|', made when missing. The manager column names another row's
// or member's employee number or email.
//
// Every row is checked first; if any has an error, nothing is written and
// each bad row has its errors. A dry run stops there. Otherwise everything
// is written in one transaction. Running the same file again changes
// nothing.

// Import column names, with the headers that mean them.
var importColumns = map[string][]string{
	"name":        {"name", "full name", "姓名", "名字"},
	"employee_no": {"employee_no", "employee number", "employee no", "employee id", "工号", "员工编号", "編號", "工號"},
	"work_email":  {"work_email", "email", "work email", "e-mail", "邮箱", "工作邮箱", "電子郵件", "郵箱"},
	"phone":       {"phone", "mobile", "phone number", "手机", "手机号", "电话", "手機", "電話"},
	"title":       {"title", "job title", "position", "职位", "职务", "職位"},
	"departments": {"department", "departments", "department_path", "部门", "部門"},
	"manager":     {"manager", "direct manager", "manager_employee_no", "直属主管", "主管", "上级", "直屬主管"},
	"hire_date":   {"hire_date", "hire date", "start date", "入职日期", "入職日期"},
}

// ImportRow is the outcome of one row.
type ImportRow struct {
	Line     int      `json:"line"`   // 1-based line (row) of the file
	Action   string   `json:"action"` // "create", "update", "unchanged" or "error"
	MemberID tack.ID  `json:"member_id,omitempty"`
	Name     string   `json:"name,omitempty"`
	Errors   []string `json:"errors,omitempty"`
}

// ImportResult is an import's report.
type ImportResult struct {
	DryRun      bool        `json:"dry_run"`
	Committed   bool        `json:"committed"`
	Total       int         `json:"total"`
	Created     int         `json:"created"`
	Updated     int         `json:"updated"`
	Unchanged   int         `json:"unchanged"`
	Failed      int         `json:"failed"`
	Departments []string    `json:"new_departments"`  // paths that will be (or were) made
	Errors      []string    `json:"errors,omitempty"` // about the file as a whole
	Rows        []ImportRow `json:"rows"`
}

// Progress hears how far an import has come: done of total rows in phase
// "check" or "write".
type Progress func(phase string, done, total int)

type importLine struct {
	line                                                 int
	name, empNo, email, phone, title, depts, mgr, hireDt string
	has                                                  map[string]bool
}

// CanImport reports whether the caller may import members into orgID: so
// that a file is read only for those who may.
func (s *Service) CanImport(ctx context.Context, orgID tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if !a.admin() {
		return errAdminOnly
	}
	return nil
}

// Import checks and (unless dryRun) applies a table of members (admins).
func (s *Service) Import(ctx context.Context, orgID tack.ID, table [][]string, dryRun bool, progress Progress) (ImportResult, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return ImportResult{}, err
	}
	if !a.admin() {
		return ImportResult{}, errAdminOnly
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	res := ImportResult{DryRun: dryRun, Rows: []ImportRow{}, Departments: []string{}}
	if len(table) == 0 {
		res.Errors = append(res.Errors, "the file is empty: the first row must name the columns")
		return res, nil
	}
	if len(table)-1 > MaxImportRows {
		return ImportResult{}, tack.Errorf(tack.ETooLarge, "an import has at most %d rows", MaxImportRows)
	}
	// Header.
	col := map[string]int{}
	for i, h := range table[0] {
		if !utf8.ValidString(h) {
			res.Errors = append(res.Errors, fmt.Sprintf("line 1, column %d: the header is not valid UTF-8 (save the file as UTF-8 or pass encoding=gb18030)", i+1))
			continue
		}
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		for key, names := range importColumns {
			if slices.Contains(names, h) {
				if _, dup := col[key]; dup {
					res.Errors = append(res.Errors, fmt.Sprintf("line 1: column %q appears twice", h))
				}
				col[key] = i
			}
		}
	}
	if _, ok := col["name"]; !ok {
		res.Errors = append(res.Errors, "line 1: missing column \"name\" (姓名)")
	}
	_, hasNo := col["employee_no"]
	_, hasEmail := col["work_email"]
	if !hasNo && !hasEmail {
		res.Errors = append(res.Errors, "line 1: missing column \"employee_no\" (工号) or \"email\" (邮箱): rows are matched by one of them")
	}
	if len(res.Errors) > 0 {
		return res, nil
	}
	rows := table[1:]
	res.Total = len(rows)
	lines := make([]importLine, 0, len(rows))
	for i, r := range rows {
		get := func(key string) string {
			if c, ok := col[key]; ok && c < len(r) {
				return r[c]
			}
			return ""
		}
		l := importLine{line: i + 2, name: get("name"), empNo: get("employee_no"), email: get("work_email"), phone: get("phone"),
			title: get("title"), depts: get("departments"), mgr: get("manager"), hireDt: get("hire_date"), has: map[string]bool{}}
		for key := range col {
			l.has[key] = true
		}
		empty := true
		for _, c := range r {
			if strings.TrimSpace(c) != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		lines = append(lines, l)
	}
	res.Total = len(lines)
	t, err := s.tree(ctx, a)
	if err != nil {
		return ImportResult{}, err
	}

	// Existing members matched by employee number or email.
	var nos, emails []string
	for _, l := range lines {
		if n := strings.TrimSpace(l.empNo); n != "" {
			nos = append(nos, strings.ToUpper(n))
		}
		if e := strings.ToLower(strings.TrimSpace(l.email)); e != "" {
			emails = append(emails, e)
		}
		if m := strings.TrimSpace(l.mgr); m != "" {
			nos = append(nos, strings.ToUpper(m))
			emails = append(emails, strings.ToLower(m))
		}
	}
	existing, err := s.matching(ctx, orgID, nos, emails)
	if err != nil {
		return ImportResult{}, err
	}
	byNo, byEmail := map[string]*Member{}, map[string]*Member{}
	for i := range existing {
		m := &existing[i]
		if m.EmployeeNo != "" {
			byNo[strings.ToLower(m.EmployeeNo)] = m
		}
		if m.WorkEmail != "" {
			byEmail[m.WorkEmail] = m
		}
	}

	now := s.clock.Now()
	newDepts := map[string]*Department{} // by lower-case path of names
	var deptOrder []*Department
	resolveDept := func(path string) (tack.ID, error) {
		parts := strings.Split(path, "/")
		parent := tack.ID("")
		parentPath := "/"
		key := ""
		for _, p := range parts {
			name, err := validDeptName(p)
			if err != nil {
				return "", fmt.Errorf("department %q: %s", path, tack.ErrorMessage(err))
			}
			key += "/" + strings.ToLower(name)
			var found *Department
			for _, c := range t.children[parent] {
				if strings.EqualFold(c.Name, name) {
					found = c
				}
			}
			if found == nil {
				found = newDepts[key]
			}
			if found == nil {
				if strings.Count(parentPath, "/") > MaxDepth {
					return "", fmt.Errorf("department %q nests deeper than %d", path, MaxDepth)
				}
				d := &Department{ID: tack.NewID(), OrgID: orgID, ParentID: parent, Name: name, CreatedAt: now}
				d.Path = parentPath + string(d.ID) + "/"
				indexDept(d)
				newDepts[key] = d
				deptOrder = append(deptOrder, d)
				found = d
			}
			parent, parentPath = found.ID, found.Path
		}
		return parent, nil
	}

	type planned struct {
		row    *ImportRow
		m      Member
		before *Member
		mgr    string
	}
	plans := make([]planned, 0, len(lines))
	seenNo, seenEmail := map[string]int{}, map[string]int{}
	var rowList []*ImportRow
	claimed := map[tack.ID]int{}
	for i, l := range lines {
		if i%500 == 0 {
			progress("check", i, len(lines))
			if err := ctx.Err(); err != nil {
				return ImportResult{}, err
			}
		}
		row := &ImportRow{Line: l.line}
		rowList = append(rowList, row)
		bad := func(format string, args ...any) { row.Errors = append(row.Errors, fmt.Sprintf(format, args...)) }
		for _, v := range []string{l.name, l.empNo, l.email, l.phone, l.title, l.depts, l.mgr, l.hireDt} {
			if !utf8.ValidString(v) {
				bad("not valid UTF-8 (save the file as UTF-8, or pass encoding=gb18030)")
				break
			}
		}
		if len(row.Errors) > 0 {
			row.Action = "error"
			continue
		}
		var m Member
		check := func(v string, err error) string {
			if err != nil {
				bad("%s", tack.ErrorMessage(err))
			}
			return v
		}
		m.Name = check(validName("name", l.name))
		m.EmployeeNo = check(validEmployeeNo("employee_no", l.empNo))
		m.WorkEmail = check(validEmail("email", l.email))
		m.Phone = check(validPhone("phone", l.phone))
		m.Title = check(validText("title", l.title, MaxTitleRunes))
		m.HireDate = check(validDate("hire_date", l.hireDt))
		row.Name = m.Name
		if m.EmployeeNo == "" && m.WorkEmail == "" {
			bad("needs an employee number or an email")
		}
		if k := strings.ToLower(m.EmployeeNo); k != "" {
			if first, dup := seenNo[k]; dup {
				bad("employee number %s is also on line %d", m.EmployeeNo, first)
			} else {
				seenNo[k] = l.line
			}
		}
		if m.WorkEmail != "" {
			if first, dup := seenEmail[m.WorkEmail]; dup {
				bad("email %s is also on line %d", m.WorkEmail, first)
			} else {
				seenEmail[m.WorkEmail] = l.line
			}
		}
		var depts []tack.ID
		if ds := strings.TrimSpace(l.depts); ds != "" {
			for _, p := range strings.FieldsFunc(ds, func(r rune) bool { return r == ';' || r == '|' || r == '；' }) {
				p = strings.Trim(strings.TrimSpace(p), "/")
				if p == "" {
					continue
				}
				id, err := resolveDept(p)
				if err != nil {
					bad("%s", err.Error())
					continue
				}
				if !slices.Contains(depts, id) {
					depts = append(depts, id)
				}
			}
			if len(depts) > MaxMemberDepts {
				bad("at most %d departments", MaxMemberDepts)
			}
		}
		// Match.
		var match *Member
		if m.EmployeeNo != "" {
			match = byNo[strings.ToLower(m.EmployeeNo)]
		}
		if m.WorkEmail != "" {
			if e := byEmail[m.WorkEmail]; e != nil {
				if match != nil && match.ID != e.ID {
					bad("employee number %s and email %s belong to two different members", m.EmployeeNo, m.WorkEmail)
				} else if match == nil {
					match = e
				}
			}
		}
		if match != nil {
			if first, dup := claimed[match.ID]; dup {
				bad("matches the same member as line %d", first)
			}
			claimed[match.ID] = l.line
		}
		p := planned{row: row, mgr: strings.TrimSpace(l.mgr)}
		if match != nil {
			p.before = match
			nm := *match
			nm.Name, nm.Title, nm.Phone, nm.HireDate = m.Name, m.Title, m.Phone, m.HireDate
			if m.EmployeeNo != "" || l.has["employee_no"] {
				nm.EmployeeNo = m.EmployeeNo
			}
			if m.WorkEmail != "" || l.has["work_email"] {
				nm.WorkEmail = m.WorkEmail
			}
			if !l.has["phone"] {
				nm.Phone = match.Phone
			}
			if !l.has["title"] {
				nm.Title = match.Title
			}
			if !l.has["hire_date"] {
				nm.HireDate = match.HireDate
			}
			if l.has["departments"] {
				nm.Departments = depts
				if nm.Departments == nil {
					nm.Departments = []tack.ID{}
				}
			}
			p.m = nm
			if !l.has["manager"] {
				p.mgr = "\x00keep"
			}
		} else {
			m.ID, m.OrgID, m.Status, m.Role, m.CreatedAt, m.UpdatedAt = tack.NewID(), orgID, Invited, RoleMember, now, now
			m.Departments = depts
			p.m = m
		}
		plans = append(plans, p)
	}
	// Managers: another row's or an existing member's employee number or email.
	fileByKey := map[string]tack.ID{}
	for _, p := range plans {
		if p.m.EmployeeNo != "" {
			fileByKey[strings.ToLower(p.m.EmployeeNo)] = p.m.ID
		}
		if p.m.WorkEmail != "" {
			fileByKey[p.m.WorkEmail] = p.m.ID
		}
	}
	mgrOf := map[tack.ID]tack.ID{}
	for i := range plans {
		p := &plans[i]
		switch {
		case p.mgr == "\x00keep":
		case p.mgr == "":
			p.m.ManagerID = ""
		default:
			k := strings.ToLower(p.mgr)
			id, ok := fileByKey[k]
			if !ok {
				if e := byNo[k]; e != nil && e.Status != Left {
					id, ok = e.ID, true
				} else if e := byEmail[k]; e != nil && e.Status != Left {
					id, ok = e.ID, true
				}
			}
			if !ok {
				p.row.Errors = append(p.row.Errors, fmt.Sprintf("manager %s is neither in the file nor a member", p.mgr))
			} else if id == p.m.ID {
				p.row.Errors = append(p.row.Errors, "a member cannot be their own manager")
			} else {
				p.m.ManagerID = id
			}
		}
		mgrOf[p.m.ID] = p.m.ManagerID
	}
	for i := range plans {
		p := &plans[i]
		// Circles of managers within the file.
		cur, steps := mgrOf[p.m.ID], 0
		for cur != "" && steps < len(plans)+1 {
			if cur == p.m.ID {
				p.row.Errors = append(p.row.Errors, "the managers make a circle")
				break
			}
			cur, steps = mgrOf[cur], steps+1
		}
	}
	// Unique keys against members not in the file: every member holding an
	// employee number or email of the file is among existing.
	owner := map[string]tack.ID{}
	for _, o := range existing {
		if o.EmployeeNo != "" {
			owner["n:"+strings.ToLower(o.EmployeeNo)] = o.ID
		}
		if o.WorkEmail != "" {
			owner["e:"+o.WorkEmail] = o.ID
		}
	}
	var b Batch
	var changed []Member
	for i := range plans {
		p := &plans[i]
		if id, ok := owner["n:"+strings.ToLower(p.m.EmployeeNo)]; ok && p.m.EmployeeNo != "" && id != p.m.ID && claimed[id] == 0 {
			p.row.Errors = append(p.row.Errors, fmt.Sprintf("employee number %s belongs to another member", p.m.EmployeeNo))
		}
		if id, ok := owner["e:"+p.m.WorkEmail]; ok && p.m.WorkEmail != "" && id != p.m.ID && claimed[id] == 0 {
			p.row.Errors = append(p.row.Errors, fmt.Sprintf("email %s belongs to another member", p.m.WorkEmail))
		}
		if len(p.row.Errors) > 0 {
			p.row.Action = "error"
			continue
		}
		p.row.MemberID = p.m.ID
		switch {
		case p.before == nil:
			p.row.Action = "create"
			res.Created++
			index(&p.m)
			b.Members = append(b.Members, p.m)
			if target := p.m.WorkEmail + p.m.Phone; target != "" {
				if p.m.WorkEmail != "" {
					target = p.m.WorkEmail
				}
				b.Invitations = append(b.Invitations, Invitation{Code: newCode(), OrgID: orgID, CreatedBy: a.me.UserID,
					Departments: p.m.Departments, MemberID: p.m.ID, Target: target, MaxUses: 1,
					ExpiresAt: now.Add(MaxInviteHours * time.Hour), CreatedAt: now})
			}
		case sameProfile(*p.before, p.m):
			p.row.Action = "unchanged"
			res.Unchanged++
		default:
			p.row.Action = "update"
			res.Updated++
			p.m.UpdatedAt = now
			index(&p.m)
			b.Members = append(b.Members, p.m)
			changed = append(changed, p.m)
		}
	}
	for _, r := range rowList {
		if r.Action == "error" {
			res.Failed++
		}
		res.Rows = append(res.Rows, *r)
	}
	// New departments actually used by good rows (a bad row's are dropped).
	used := map[tack.ID]bool{}
	for _, m := range b.Members {
		for _, d := range m.Departments {
			used[d] = true
		}
	}
	for i := len(deptOrder) - 1; i >= 0; i-- {
		d := deptOrder[i]
		if used[d.ID] {
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
		b.Departments = append(b.Departments, *d)
		var parts []string
		for _, id := range strings.Split(strings.Trim(d.Path, "/"), "/") {
			parts = append(parts, names[tack.ID(id)])
		}
		res.Departments = append(res.Departments, strings.Join(parts, "/"))
	}
	progress("check", len(lines), len(lines))
	if len(t.byID)+len(b.Departments) > MaxDepartments {
		res.Errors = append(res.Errors, fmt.Sprintf("an organisation has at most %d departments", MaxDepartments))
	}
	if res.Failed > 0 || len(res.Errors) > 0 || dryRun {
		return res, nil
	}
	if len(b.Members)+len(b.Departments) == 0 {
		res.Committed = true
		return res, nil
	}
	b.Audit = []Audit{s.audit(a, "member.import", a.org.ID, nil, map[string]any{"created": res.Created, "updated": res.Updated,
		"unchanged": res.Unchanged, "new_departments": res.Departments})}
	if len(changed) > 0 {
		// Group membership follows moved members: judge against the tree
		// with the new departments in it.
		all := make([]Department, 0, len(t.byID)+len(b.Departments))
		for _, d := range t.byID {
			all = append(all, *d)
		}
		all = append(all, b.Departments...)
		if err := s.syncMembers(ctx, a, newTree(all), &b, changed); err != nil {
			return ImportResult{}, err
		}
	}
	progress("write", 0, len(b.Members))
	if err := s.apply(ctx, b); err != nil {
		return ImportResult{}, fmt.Errorf("import: %w", err)
	}
	progress("write", len(b.Members), len(b.Members))
	res.Committed = true
	return res, nil
}

// matching loads the members matching employee numbers or emails, in
// batches.
func (s *Service) matching(ctx context.Context, orgID tack.ID, nos, emails []string) ([]Member, error) {
	var out []Member
	for len(nos) > 0 || len(emails) > 0 {
		n, e := min(len(nos), 400), min(len(emails), 400)
		ms, err := s.store.MembersMatching(ctx, orgID, nos[:n], emails[:e])
		if err != nil {
			return nil, fmt.Errorf("match members: %w", err)
		}
		out = append(out, ms...)
		nos, emails = nos[n:], emails[e:]
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return slices.CompactFunc(out, func(a, b Member) bool { return a.ID == b.ID }), nil
}

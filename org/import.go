package org

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
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
// Every row is checked first; if any has a problem, nothing is written and
// each bad row has its problems. A dry run stops there. Otherwise the
// import is written in short transactions (import_write.go), so that
// nobody's messages wait behind it; one that stops half-way is completed
// by running the same file again, which matches what was written and
// writes the rest. Running the same file again changes nothing.
//
// Problems carry a stable code and parameters (docs/orgs.md lists them) so
// that clients can say them in their own language, and an English message.

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

// Problem is one thing wrong with an import: Code is stable (see
// docs/orgs.md for the list), Params fill in the sentence a client says
// for it, Message is that sentence in English.
type Problem struct {
	Code    string         `json:"code"`
	Params  map[string]any `json:"params,omitempty"`
	Message string         `json:"message"`
}

// ImportRow is the outcome of one row.
type ImportRow struct {
	Line     int     `json:"line"`   // 1-based row of the file
	Action   string  `json:"action"` // "create", "update", "unchanged" or "error"
	MemberID tack.ID `json:"member_id,omitempty"`
	Name     string  `json:"name,omitempty"`
	// Problems of the row; Errors holds their messages (kept for older
	// clients, made when the row is encoded).
	Problems []Problem `json:"problems,omitempty"`
	Errors   []string  `json:"errors,omitempty"`

	failed bool // has a problem, reported in Problems or not (past MaxImportProblems)
}

// MarshalJSON fills in Errors from Problems.
func (r ImportRow) MarshalJSON() ([]byte, error) {
	type row ImportRow
	if r.Errors == nil && len(r.Problems) > 0 {
		r.Errors = make([]string, len(r.Problems))
		for i, p := range r.Problems {
			r.Errors[i] = p.Message
		}
	}
	return json.Marshal(row(r))
}

// ImportResult is an import's report.
type ImportResult struct {
	DryRun    bool `json:"dry_run"`
	Committed bool `json:"committed"`
	// Encoding is what a CSV file's text was read as ("utf-8", "gb18030"
	// or "utf-16"), said once; empty for XLSX.
	Encoding    string   `json:"encoding,omitempty"`
	Total       int      `json:"total"`
	Created     int      `json:"created"`
	Updated     int      `json:"updated"`
	Unchanged   int      `json:"unchanged"`
	Failed      int      `json:"failed"`
	Departments []string `json:"new_departments"` // paths that will be (or were) made
	// Problems with the file as a whole; Errors holds their messages.
	Problems []Problem   `json:"problems,omitempty"`
	Errors   []string    `json:"errors,omitempty"`
	Rows     []ImportRow `json:"rows"`
}

func (r *ImportResult) bad(code string, params map[string]any, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.Problems = append(r.Problems, Problem{Code: code, Params: params, Message: msg})
	r.Errors = append(r.Errors, msg)
}

// Progress hears how far an import has come: done of total rows in phase
// "check" or "write".
type Progress func(phase string, done, total int)

// Rows is a table read one row at a time: Next returns the next row, or
// io.EOF after the last. (*sheet.Rows is one.)
type Rows interface {
	Next() ([]string, error)
}

type tableRows struct{ t [][]string }

func (r *tableRows) Next() ([]string, error) {
	if len(r.t) == 0 {
		return nil, io.EOF
	}
	row := r.t[0]
	r.t = r.t[1:]
	return row, nil
}

// Table returns the Rows of a table held in memory.
func Table(t [][]string) Rows { return &tableRows{t} }

// ImportOptions tune Import.
type ImportOptions struct {
	DryRun   bool
	Progress Progress
	// Encoding is what the file's text was read as, reported back;
	// EncodingUnknown says it was neither valid UTF-8 nor GB18030, which
	// the result then says once.
	Encoding        string
	EncodingUnknown bool
}

type importLine struct {
	line                                                 int
	name, empNo, email, phone, title, depts, mgr, hireDt string
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

// readImport reads the header and the rows of a table, and checks each
// row on its own as it is read: only what an import uses of a row is kept.
// It returns a nil checker when the header is not what an import needs.
func (s *Service) readImport(ctx context.Context, a *actor, rows Rows, res *ImportResult) (*checker, error) {
	header, err := rows.Next()
	if err == io.EOF {
		res.bad("file_empty", nil, "the file is empty: the first row must name the columns")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	before := len(res.Problems)
	for i, h := range header {
		if !utf8.ValidString(h) {
			continue // the file's encoding is reported once, by the caller
		}
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		for key, names := range importColumns {
			if slices.Contains(names, h) {
				if _, dup := col[key]; dup {
					res.bad("file_duplicate_column", map[string]any{"column": h}, "row 1: column %q appears twice", h)
				}
				col[key] = i
			}
		}
	}
	if _, ok := col["name"]; !ok {
		res.bad("file_missing_name_column", nil, "row 1: missing column \"name\" (姓名)")
	}
	_, hasNo := col["employee_no"]
	_, hasEmail := col["work_email"]
	if !hasNo && !hasEmail {
		res.bad("file_missing_key_column", nil, "row 1: missing column \"employee_no\" (工号) or \"email\" (邮箱): rows are matched by one of them")
	}
	if len(res.Problems) > before {
		return nil, nil
	}
	c, err := s.newChecker(ctx, a, col, res)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*checker, error) { return nil, err }
	for line := 2; ; line++ {
		r, err := rows.Next()
		if err == io.EOF {
			return c, nil
		}
		if err != nil {
			return fail(err)
		}
		if line%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return fail(err)
			}
		}
		empty := true
		for _, c := range r {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		if c.plans.len() == MaxImportRows {
			return fail(tack.Errorf(tack.ETooLarge, "an import has at most %d rows", MaxImportRows))
		}
		get := func(key string) string {
			if c, ok := col[key]; ok && c < len(r) {
				return r[c]
			}
			return ""
		}
		c.add(importLine{line: line, name: get("name"), empNo: get("employee_no"), email: get("work_email"), phone: get("phone"),
			title: get("title"), depts: get("departments"), mgr: get("manager"), hireDt: get("hire_date")})
		if err := c.account(ctx); err != nil {
			return fail(err)
		}
	}
}

// Import checks and (unless opt.DryRun) applies a table of members
// (admins). Only one import of an organisation runs at a time, and a few
// on the whole node: see ReserveImport.
func (s *Service) Import(ctx context.Context, orgID tack.ID, rows Rows, opt ImportOptions) (ImportResult, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return ImportResult{}, err
	}
	if !a.admin() {
		return ImportResult{}, errAdminOnly
	}
	if !reservedFor(ctx, orgID) {
		var release func()
		ctx, release, err = s.ReserveImport(ctx, orgID)
		if err != nil {
			return ImportResult{}, err
		}
		defer release()
	}
	progress := opt.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	res := ImportResult{DryRun: opt.DryRun, Encoding: opt.Encoding, Rows: []ImportRow{}, Departments: []string{}}
	if opt.EncodingUnknown {
		res.bad("file_encoding_unknown", nil, "the file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8 (or as XLSX) and try again")
	}
	c, err := s.readImport(ctx, a, rows, &res)
	if err != nil {
		return ImportResult{}, err
	}
	if c == nil {
		return res, nil
	}
	plan, err := c.finish(ctx, progress)
	if err != nil {
		return ImportResult{}, err
	}
	if res.Failed > 0 || len(res.Problems) > 0 || opt.DryRun {
		plan.results(&res)
		return res, nil
	}
	if plan.total > 0 {
		if err := s.writeImport(ctx, plan, progress); err != nil {
			return ImportResult{}, err
		}
	}
	res.Committed = true
	plan.results(&res)
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

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/tackhq/tack/client"
)

func init() {
	extraCommands["org"] = orgCmd
}

const orgUsage = `tack org — organisations and the directory

  tack org list                                  your organisations
  tack org create NAME [--tz Asia/Shanghai]      create one (you own it)
  tack org show ORG                              settings and your role
  tack org set ORG [--name N] [--tz Z] [--logo URL] [--privacy JSON]
  tack org tree ORG                              the department tree
  tack org dept add ORG NAME [--parent DEPT]
  tack org dept rename|move|rm ORG DEPT [NAME | --parent DEPT]
  tack org members ORG [--q TEXT] [--dept DEPT] [--under DEPT] [--status S] [--limit N] [--all]
  tack org member ORG MEMBER                     a profile card
  tack org edit ORG MEMBER [--title T] [--employee-no E] [--email E] [--phone P] [--hire-date D] [--dept DEPT]... [--manager M]
  tack org status ORG MEMBER active|suspended|left
  tack org role ORG MEMBER admin|subadmin|member [--dept DEPT]...
  tack org owner ORG MEMBER                      transfer ownership
  tack org invite ORG [--email E | --phone P] [--name N] [--dept DEPT]... [--uses N] [--hours H]
  tack org invitations ORG
  tack org join CODE                             accept an invitation
  tack org requests ORG | approve ORG MEMBER | decline ORG MEMBER
  tack org import ORG FILE.csv|FILE.xlsx [--dry-run] [--encoding gb18030]
  tack org group ORG [--dept DEPT] [--title T]   make the all-staff or a department group
  tack org audit ORG [--limit N]
  tack org leave ORG

ORG is an organisation ID or name; DEPT an ID or a path such as Sales/East;
MEMBER a member ID, user ID, employee number or email. Add --json for JSON.
`

// orgFlags are every flag of the org commands; each command reads its own.
type orgFlags struct {
	server, q, under, status, name, tz, logo, privacy, title, empNo, email, phone, hire, manager, encoding string
	parent                                                                                                 string
	depts                                                                                                  multi
	limit, uses, hours                                                                                     int
	all, dry, json                                                                                         bool
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

// parseMixed parses flags that may come after positional arguments.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func orgCmd(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(orgUsage)
		return nil
	}
	cfg, err := loadConfig()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var f orgFlags
	fs := flag.NewFlagSet("org "+args[0], flag.ContinueOnError)
	fs.StringVar(&f.server, "server", envOr("TACK_SERVER", cfg.Server), "server URL")
	fs.StringVar(&f.q, "q", "", "search text")
	fs.Var(&f.depts, "dept", "department ID or path (repeatable)")
	fs.StringVar(&f.under, "under", "", "members of this department and those below")
	fs.StringVar(&f.status, "status", "", "member status")
	fs.StringVar(&f.name, "name", "", "name")
	fs.StringVar(&f.tz, "tz", "", "IANA time zone")
	fs.StringVar(&f.logo, "logo", "", "logo URL")
	fs.StringVar(&f.privacy, "privacy", "", "privacy rules as JSON")
	fs.StringVar(&f.title, "title", "", "title")
	fs.StringVar(&f.empNo, "employee-no", "", "employee number")
	fs.StringVar(&f.email, "email", "", "email")
	fs.StringVar(&f.phone, "phone", "", "phone")
	fs.StringVar(&f.hire, "hire-date", "", "hire date YYYY-MM-DD")
	fs.StringVar(&f.manager, "manager", "", "manager (member)")
	fs.StringVar(&f.parent, "parent", "", "parent department")
	fs.StringVar(&f.encoding, "encoding", "", "CSV encoding: utf-8 or gb18030")
	fs.IntVar(&f.limit, "limit", 50, "how many")
	fs.IntVar(&f.uses, "uses", 0, "invitation uses")
	fs.IntVar(&f.hours, "hours", 0, "invitation lifetime in hours")
	fs.BoolVar(&f.all, "all", false, "every page")
	fs.BoolVar(&f.dry, "dry-run", false, "check only, write nothing")
	fs.BoolVar(&f.json, "json", false, "print JSON")
	pos, err := parseMixed(fs, args[1:])
	if err != nil {
		return err
	}
	if f.server == "" {
		f.server = "http://127.0.0.1:8080"
	}
	c := client.New(f.server)
	c.Token = cfg.Token
	if c.Token == "" {
		return errors.New("not logged in: run 'tack login --server URL --login YOU' first")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r := &orgRunner{c: c, ctx: ctx, f: f, pos: pos}
	return r.run(args[0])
}

type orgRunner struct {
	c   *client.Client
	ctx context.Context
	f   orgFlags
	pos []string
}

func (r *orgRunner) need(n int, usage string) error {
	if len(r.pos) < n {
		return fmt.Errorf("usage: tack org %s", usage)
	}
	return nil
}

func (r *orgRunner) print(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(b))
}

// orgID resolves an organisation ID or name.
func (r *orgRunner) orgID(s string) (string, error) {
	list, err := r.c.Orgs(r.ctx)
	if err != nil {
		return "", err
	}
	var found []string
	for _, o := range list {
		if string(o.ID) == s {
			return s, nil
		}
		if strings.EqualFold(o.Name, s) {
			found = append(found, string(o.ID))
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return s, nil // let the server say
	}
	return "", fmt.Errorf("several organisations are called %q; use an ID", s)
}

// deptID resolves a department ID or a path of names.
func (r *orgRunner) deptID(orgID, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	ds, err := r.c.Departments(r.ctx, orgID)
	if err != nil {
		return "", err
	}
	parent := ""
	for _, d := range ds {
		if string(d.ID) == s {
			return s, nil
		}
	}
	for _, part := range strings.Split(strings.Trim(s, "/"), "/") {
		next := ""
		for _, d := range ds {
			if string(d.ParentID) == parent && strings.EqualFold(d.Name, part) {
				next = string(d.ID)
			}
		}
		if next == "" {
			return "", fmt.Errorf("no department %q", s)
		}
		parent = next
	}
	return parent, nil
}

func (r *orgRunner) deptIDs(orgID string) ([]string, error) {
	out := []string{}
	for _, d := range r.f.depts {
		id, err := r.deptID(orgID, d)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// memberID resolves a member ID, user ID, employee number or email.
func (r *orgRunner) memberID(orgID, s string) (string, error) {
	if m, err := r.c.OrgMember(r.ctx, orgID, s); err == nil {
		return string(m.ID), nil
	}
	p, err := r.c.OrgMembers(r.ctx, orgID, client.MemberQuery{Q: s, Status: "all", Limit: 5})
	if err != nil {
		p, err = r.c.OrgMembers(r.ctx, orgID, client.MemberQuery{Q: s, Limit: 5})
		if err != nil {
			return "", err
		}
	}
	for _, m := range p.Members {
		if strings.EqualFold(m.EmployeeNo, s) || strings.EqualFold(m.WorkEmail, s) {
			return string(m.ID), nil
		}
	}
	if len(p.Members) == 1 {
		return string(p.Members[0].ID), nil
	}
	return "", fmt.Errorf("no single member matches %q", s)
}

func (r *orgRunner) run(cmd string) error {
	switch cmd {
	case "list":
		list, err := r.c.Orgs(r.ctx)
		if err != nil || r.f.json {
			r.print(list)
			return err
		}
		rows := [][]string{{"ID", "NAME", "ROLE", "STATUS", "TIME ZONE"}}
		for _, o := range list {
			rows = append(rows, []string{string(o.ID), clip(o.Name, 30), o.Me.Role, o.Me.Status, o.TimeZone})
		}
		return printTable(os.Stdout, rows)
	case "create":
		if err := r.need(1, "create NAME [--tz ZONE]"); err != nil {
			return err
		}
		o, err := r.c.CreateOrg(r.ctx, strings.Join(r.pos, " "), r.f.tz)
		if err != nil {
			return err
		}
		fmt.Printf("created %s (%s)\n", o.Name, o.ID)
		return nil
	case "tree":
		return r.tree()
	case "dept":
		return r.dept()
	case "members", "requests":
		return r.members(cmd)
	case "import":
		return r.importFile()
	case "join":
		if err := r.need(1, "join CODE"); err != nil {
			return err
		}
		code := r.pos[0]
		if i := strings.LastIndex(code, "/join/"); i >= 0 {
			code = code[i+len("/join/"):]
		}
		j, err := r.c.AcceptInvitation(r.ctx, code)
		if err != nil {
			return err
		}
		if j.Status == "pending" {
			fmt.Printf("asked to join %s; an admin will approve\n", j.Org.Name)
		} else {
			fmt.Printf("joined %s (%s)\n", j.Org.Name, j.Org.ID)
		}
		return nil
	}
	if err := r.need(1, cmd+" ORG ..."); err != nil {
		return err
	}
	oid, err := r.orgID(r.pos[0])
	if err != nil {
		return err
	}
	args := r.pos[1:]
	switch cmd {
	case "show":
		o, err := r.c.Org(r.ctx, oid)
		if err != nil {
			return err
		}
		r.print(o)
	case "set":
		body := map[string]any{}
		if r.f.name != "" {
			body["name"] = r.f.name
		}
		if r.f.tz != "" {
			body["time_zone"] = r.f.tz
		}
		if r.f.logo != "" {
			body["logo"] = r.f.logo
		}
		if r.f.privacy != "" {
			var p map[string]any
			if err := json.Unmarshal([]byte(r.f.privacy), &p); err != nil {
				return fmt.Errorf("--privacy: %w", err)
			}
			body["privacy"] = p
		}
		o, err := r.c.UpdateOrg(r.ctx, oid, body)
		if err != nil {
			return err
		}
		r.print(o)
	case "member", "edit", "status", "role", "owner", "approve", "decline":
		if len(args) < 1 {
			return fmt.Errorf("usage: tack org %s ORG MEMBER", cmd)
		}
		mid, err := r.memberID(oid, args[0])
		if err != nil {
			return err
		}
		return r.memberCmd(cmd, oid, mid, args[1:])
	case "invite":
		depts, err := r.deptIDs(oid)
		if err != nil {
			return err
		}
		body := map[string]any{"department_ids": depts}
		for k, v := range map[string]string{"email": r.f.email, "phone": r.f.phone, "name": r.f.name} {
			if v != "" {
				body[k] = v
			}
		}
		if r.f.uses > 0 {
			body["max_uses"] = r.f.uses
		}
		if r.f.hours > 0 {
			body["expires_in_hours"] = r.f.hours
		}
		inv, err := r.c.CreateInvitation(r.ctx, oid, body)
		if err != nil {
			return err
		}
		if r.f.json {
			r.print(inv)
			return nil
		}
		fmt.Printf("code %s  link %s%s  uses %d  expires %s\n", inv.Code, strings.TrimRight(r.c.BaseURL, "/"), inv.URL,
			inv.MaxUses, inv.ExpiresAt.Local().Format(time.DateTime))
	case "invitations":
		list, err := r.c.Invitations(r.ctx, oid)
		if err != nil || r.f.json {
			r.print(list)
			return err
		}
		rows := [][]string{{"CODE", "FOR", "USES", "EXPIRES", "STATE"}}
		for _, inv := range list {
			state := "open"
			if inv.Revoked {
				state = "withdrawn"
			} else if time.Now().After(inv.ExpiresAt) {
				state = "expired"
			}
			rows = append(rows, []string{inv.Code, inv.Target, fmt.Sprintf("%d/%d", inv.Uses, inv.MaxUses), inv.ExpiresAt.Local().Format(time.DateOnly), state})
		}
		return printTable(os.Stdout, rows)
	case "group":
		dept := ""
		if len(r.f.depts) > 0 {
			if dept, err = r.deptID(oid, r.f.depts[0]); err != nil {
				return err
			}
		}
		g, err := r.c.CreateOrgGroup(r.ctx, oid, dept, r.f.title)
		if err != nil {
			return err
		}
		fmt.Printf("group %s made; it follows the organisation from now on\n", g.ConversationID)
	case "audit":
		list, _, err := r.c.AuditLog(r.ctx, oid, "", r.f.limit)
		if err != nil || r.f.json {
			r.print(list)
			return err
		}
		who := newNames(r.ctx, r.c)
		for _, a := range list {
			who.want(string(a.ActorID))
		}
		rows := [][]string{{"WHEN", "WHO", "WHAT", "TARGET"}}
		for _, a := range list {
			rows = append(rows, []string{a.At.Local().Format(time.DateTime), clip(who.of(string(a.ActorID)), 20), a.Action, a.Target})
		}
		return printTable(os.Stdout, rows)
	case "leave":
		return r.c.LeaveOrg(r.ctx, oid)
	default:
		fmt.Fprint(os.Stderr, orgUsage)
		return fmt.Errorf("unknown org command %q", cmd)
	}
	return nil
}

func (r *orgRunner) memberCmd(cmd, oid, mid string, args []string) error {
	var m client.OrgMember
	var err error
	switch cmd {
	case "member":
		m, err = r.c.OrgMember(r.ctx, oid, mid)
	case "edit":
		body := map[string]any{}
		for k, v := range map[string]string{"name": r.f.name, "title": r.f.title, "employee_no": r.f.empNo, "work_email": r.f.email,
			"phone": r.f.phone, "hire_date": r.f.hire} {
			if v != "" {
				body[k] = v
			}
		}
		if len(r.f.depts) > 0 {
			if body["department_ids"], err = r.deptIDs(oid); err != nil {
				return err
			}
		}
		if r.f.manager != "" {
			if body["manager_id"], err = r.memberID(oid, r.f.manager); err != nil {
				return err
			}
		}
		m, err = r.c.UpdateOrgMember(r.ctx, oid, mid, body)
	case "status":
		if len(args) < 1 {
			return errors.New("usage: tack org status ORG MEMBER active|suspended|left")
		}
		m, err = r.c.SetMemberStatus(r.ctx, oid, mid, args[0])
	case "role":
		if len(args) < 1 {
			return errors.New("usage: tack org role ORG MEMBER admin|subadmin|member [--dept DEPT]...")
		}
		depts, err := r.deptIDs(oid)
		if err != nil {
			return err
		}
		m, err = r.c.SetMemberRole(r.ctx, oid, mid, args[0], depts)
		if err != nil {
			return err
		}
	case "owner":
		return r.c.TransferOrg(r.ctx, oid, mid)
	case "approve":
		return r.c.ApproveRequest(r.ctx, oid, mid)
	case "decline":
		return r.c.DeclineRequest(r.ctx, oid, mid)
	}
	if err != nil {
		return err
	}
	r.print(m)
	return nil
}

func (r *orgRunner) tree() error {
	if err := r.need(1, "tree ORG"); err != nil {
		return err
	}
	oid, err := r.orgID(r.pos[0])
	if err != nil {
		return err
	}
	ds, err := r.c.Departments(r.ctx, oid)
	if err != nil || r.f.json {
		r.print(ds)
		return err
	}
	kids := map[string][]client.Department{}
	for _, d := range ds {
		kids[string(d.ParentID)] = append(kids[string(d.ParentID)], d)
	}
	var walk func(parent, indent string)
	walk = func(parent, indent string) {
		list := kids[parent]
		for i, d := range list {
			branch, next := "├─ ", "│  "
			if i == len(list)-1 {
				branch, next = "└─ ", "   "
			}
			fmt.Printf("%s%s%s  %s\n", indent, branch, d.Name, d.ID)
			walk(string(d.ID), indent+next)
		}
	}
	walk("", "")
	return nil
}

func (r *orgRunner) dept() error {
	if err := r.need(3, "dept add|rename|move|rm ORG ..."); err != nil {
		return err
	}
	op := r.pos[0]
	oid, err := r.orgID(r.pos[1])
	if err != nil {
		return err
	}
	parent, err := r.deptID(oid, r.f.parent)
	if err != nil {
		return err
	}
	if op == "add" {
		d, err := r.c.CreateDepartment(r.ctx, oid, parent, strings.Join(r.pos[2:], " "))
		if err != nil {
			return err
		}
		fmt.Printf("department %s (%s)\n", d.Name, d.ID)
		return nil
	}
	id, err := r.deptID(oid, r.pos[2])
	if err != nil {
		return err
	}
	switch op {
	case "rename":
		if len(r.pos) < 4 {
			return errors.New("usage: tack org dept rename ORG DEPT NEW-NAME")
		}
		_, err = r.c.UpdateDepartment(r.ctx, oid, id, map[string]any{"name": strings.Join(r.pos[3:], " ")})
	case "move":
		_, err = r.c.UpdateDepartment(r.ctx, oid, id, map[string]any{"parent_id": parent})
	case "rm":
		err = r.c.DeleteDepartment(r.ctx, oid, id)
	default:
		err = fmt.Errorf("unknown dept command %q", op)
	}
	return err
}

func (r *orgRunner) members(cmd string) error {
	if err := r.need(1, cmd+" ORG"); err != nil {
		return err
	}
	oid, err := r.orgID(r.pos[0])
	if err != nil {
		return err
	}
	var list []client.OrgMember
	if cmd == "requests" {
		if list, err = r.c.JoinRequests(r.ctx, oid); err != nil {
			return err
		}
	} else {
		q := client.MemberQuery{Q: r.f.q, Status: r.f.status, Limit: min(r.f.limit, 200)}
		if len(r.f.depts) > 0 {
			if q.DepartmentID, err = r.deptID(oid, r.f.depts[0]); err != nil {
				return err
			}
		}
		if q.Under, err = r.deptID(oid, r.f.under); err != nil {
			return err
		}
		for {
			p, err := r.c.OrgMembers(r.ctx, oid, q)
			if err != nil {
				return err
			}
			list = append(list, p.Members...)
			if q.Cursor = p.NextCursor; q.Cursor == "" || !r.f.all {
				break
			}
		}
	}
	if r.f.json {
		r.print(list)
		return nil
	}
	rows := [][]string{{"ID", "NAME", "TITLE", "EMPLOYEE NO", "EMAIL", "PHONE", "STATUS", "ROLE"}}
	for _, m := range list {
		rows = append(rows, []string{string(m.ID), clip(m.Name, 24), clip(m.Title, 20), m.EmployeeNo, m.WorkEmail, m.Phone, m.Status, m.Role})
	}
	return printTable(os.Stdout, rows)
}

// importFile uploads a CSV or XLSX file with a progress bar on stderr,
// then prints the report: a summary, new departments, and each bad row.
func (r *orgRunner) importFile() error {
	if err := r.need(2, "import ORG FILE [--dry-run] [--encoding gb18030]"); err != nil {
		return err
	}
	oid, err := r.orgID(r.pos[0])
	if err != nil {
		return err
	}
	data, err := os.ReadFile(r.pos[1])
	if err != nil {
		return err
	}
	format := ""
	switch strings.ToLower(filepath.Ext(r.pos[1])) {
	case ".xlsx":
		format = "xlsx"
	case ".csv", ".txt":
		format = "csv"
	}
	bar := newProgressBar(os.Stderr)
	res, err := r.c.ImportMembers(r.ctx, oid, data, client.ImportOptions{DryRun: r.f.dry, Format: format, Encoding: r.f.encoding,
		Progress: bar.update})
	bar.done()
	if err != nil {
		return err
	}
	if r.f.json {
		r.print(res)
		return nil
	}
	for _, e := range res.Errors {
		fmt.Println("error:", e)
	}
	for _, row := range res.Rows {
		if row.Action == "error" {
			fmt.Printf("line %d (%s): %s\n", row.Line, row.Name, strings.Join(row.Errors, "; "))
		}
	}
	for _, d := range res.Departments {
		fmt.Println("new department:", d)
	}
	verb := "will create"
	if res.Committed {
		verb = "created"
	}
	fmt.Printf("%d rows: %s %d, updated %d, unchanged %d, %d with errors\n", res.Total, verb, res.Created, res.Updated, res.Unchanged, res.Failed)
	switch {
	case res.Committed:
		fmt.Println("imported.")
	case res.DryRun && res.Failed == 0 && len(res.Errors) == 0:
		fmt.Println("dry run: nothing written. Run again without --dry-run to import.")
	default:
		return errors.New("nothing was imported: fix the rows above and run again")
	}
	return nil
}

// progressBar draws one line: phase, bar, count.
type progressBar struct {
	w     io.Writer
	last  time.Time
	line  bool
	tty   bool
	shown string // non-terminals: the phases whose end was printed
}

func newProgressBar(w *os.File) *progressBar {
	fi, err := w.Stat()
	return &progressBar{w: w, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

var phaseNames = map[string]string{"upload": "uploading", "check": "checking rows", "write": "writing"}

func (b *progressBar) update(p client.ImportProgress) {
	if time.Since(b.last) < 50*time.Millisecond && p.Done < p.Total {
		return
	}
	b.last = time.Now()
	const width = 30
	frac := 1.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	fill := int(frac * width)
	counts := fmt.Sprintf("%d/%d rows", p.Done, p.Total)
	if p.Phase == "upload" {
		counts = humanBytes(int64(p.Done)) + "/" + humanBytes(int64(p.Total))
	}
	line := fmt.Sprintf("%-14s [%s%s] %3.0f%%  %s", phaseNames[p.Phase], strings.Repeat("█", fill), strings.Repeat("·", width-fill),
		frac*100, counts)
	if b.tty {
		fmt.Fprintf(b.w, "\r\033[K%s", line)
		b.line = true
	} else if p.Done == p.Total && !strings.Contains(b.shown, p.Phase+";") {
		b.shown += p.Phase + ";"
		fmt.Fprintln(b.w, line)
	}
}

func (b *progressBar) done() {
	if b.line {
		fmt.Fprintln(b.w)
		b.line = false
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
)

func init() {
	extraCommands["punch"] = punchCmd
	extraCommands["attendance"] = attendanceCmd
}

const attendanceUsage = `tack punch — clock in or out (the server's time counts, not yours)

  tack punch --lat 31.2304 --lng 121.4737 [--accuracy 20] [--note TEXT] [--org ORG]
  tack punch [--org ORG]                  on an office network: no position needed

tack attendance — your attendance (and, for managers and admins, others')

  tack attendance today [--org ORG]                      today's shift and checks
  tack attendance month [--org ORG] [--month 2026-03] [--user MEMBER]
  tack attendance records [--org ORG] [--from D] [--to D] [--user MEMBER]
  tack attendance report [--org ORG] [--month M] [--dept DEPT] [--format csv|xlsx|json] [-o FILE]
  tack attendance views [--org ORG]                      who looked at your attendance

ORG is an organisation ID or name (optional when you belong to one); add --json for JSON.
`

type attFlags struct {
	server, org, note, month, user, from, to, dept, format, out string
	lat, lng, accuracy                                          float64
	json                                                        bool
}

func attClient(f *attFlags) (*orgRunner, error) {
	cfg, err := loadConfig()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if f.server == "" {
		f.server = cfg.Server
	}
	if f.server == "" {
		f.server = "http://127.0.0.1:8080"
	}
	c := client.New(f.server)
	c.Token = cfg.Token
	if c.Token == "" {
		return nil, errors.New("not logged in: run 'tack login --server URL --login YOU' first")
	}
	return &orgRunner{c: c}, nil
}

// resolveOrg picks the organisation: --org by ID or name, or the only one.
func (r *orgRunner) resolveOrg(s string) (string, error) {
	if s != "" {
		return r.orgID(s)
	}
	list, err := r.c.Orgs(r.ctx)
	if err != nil {
		return "", err
	}
	switch len(list) {
	case 0:
		return "", errors.New("you belong to no organisation")
	case 1:
		return string(list[0].ID), nil
	}
	var names []string
	for _, o := range list {
		names = append(names, o.Name)
	}
	return "", fmt.Errorf("you belong to several organisations (%s): say which with --org", strings.Join(names, ", "))
}

func attFlagSet(name string, f *attFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&f.server, "server", envOr("TACK_SERVER", ""), "server URL")
	fs.StringVar(&f.org, "org", "", "organisation ID or name")
	fs.BoolVar(&f.json, "json", false, "print JSON")
	return fs
}

func punchCmd(args []string) error {
	var f attFlags
	fs := attFlagSet("punch", &f)
	fs.Float64Var(&f.lat, "lat", 0, "latitude")
	fs.Float64Var(&f.lng, "lng", 0, "longitude")
	fs.Float64Var(&f.accuracy, "accuracy", 20, "accuracy of the position in metres")
	fs.StringVar(&f.note, "note", "", "note (required for a field punch outside every place)")
	fs.Usage = func() { fmt.Fprint(os.Stderr, attendanceUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if set["lat"] != set["lng"] {
		return errors.New("give both --lat and --lng, or neither (on an office network)")
	}
	r, err := attClient(&f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r.ctx = ctx
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		return err
	}
	in := client.PunchIn{Note: f.note}
	if set["lat"] {
		in.Lat, in.Lng, in.AccuracyM = &f.lat, &f.lng, &f.accuracy
	}
	p, err := r.c.Punch(ctx, oid, in)
	if err != nil {
		return err
	}
	if f.json {
		r.print(p)
		return nil
	}
	loc := zone(p.Rule.TimeZone)
	where := p.Place
	if p.DistanceM != nil {
		where += fmt.Sprintf(" (%d m)", *p.DistanceM)
	}
	if p.Via == "field" {
		where = "field punch (外勤), near " + where
	}
	fmt.Printf("%s %s at %s: %s%s\n", p.WorkDate, p.CheckType, p.UserCheckTime.In(loc).Format("15:04:05"), p.TimeResult, minutesNote(p.TimeResult, p.Minutes))
	fmt.Printf("  where: %s\n", where)
	if p.Rule.Shift != "" {
		fmt.Printf("  rule: %s, shift %s (%s), due %s; group %q v%d\n", p.Rule.Day, p.Rule.Shift, p.Rule.TimeZone,
			p.BaseCheckTime.In(loc).Format("15:04"), p.Rule.GroupName, p.Rule.Version)
	} else {
		fmt.Printf("  rule: %s day; group %q v%d\n", p.Rule.Day, p.Rule.GroupName, p.Rule.Version)
	}
	return nil
}

func zone(tz string) *time.Location {
	if l, err := time.LoadLocation(tz); err == nil {
		return l
	}
	return time.Local
}

func minutesNote(result string, m int) string {
	if m == 0 {
		return ""
	}
	switch result {
	case attendance.Early:
		return fmt.Sprintf(" (%d min early)", m)
	default:
		return fmt.Sprintf(" (%d min late)", m)
	}
}

func attendanceCmd(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(attendanceUsage)
		return nil
	}
	var f attFlags
	fs := attFlagSet("attendance "+args[0], &f)
	fs.StringVar(&f.month, "month", time.Now().Format("2006-01"), "month YYYY-MM")
	fs.StringVar(&f.user, "user", "", "member (ID, user ID, employee number or email); default you")
	fs.StringVar(&f.from, "from", "", "first date YYYY-MM-DD")
	fs.StringVar(&f.to, "to", "", "last date YYYY-MM-DD")
	fs.StringVar(&f.dept, "dept", "", "department ID or path")
	fs.StringVar(&f.format, "format", "csv", "report format: csv, xlsx or json")
	fs.StringVar(&f.out, "o", "", "write the report to this file")
	pos, err := parseMixed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	r, err := attClient(&f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r.ctx = ctx
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		return err
	}
	user := ""
	if f.user != "" {
		if user, err = r.memberID(oid, f.user); err != nil {
			return err
		}
	}
	switch args[0] {
	case "today":
		t, err := r.c.AttToday(ctx, oid)
		if err != nil {
			return err
		}
		if f.json {
			r.print(t)
			return nil
		}
		if !t.InGroup {
			fmt.Println("you are not in an attendance group of this organisation")
			return nil
		}
		printDay(*t.Day)
	case "month":
		m, err := r.c.AttMonth(ctx, oid, user, f.month)
		if err != nil {
			return err
		}
		if f.json {
			r.print(m)
			return nil
		}
		fmt.Printf("%s — %s\n", m.Name, m.Month)
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "DATE\tDAY\tSTATUS\tSHIFT\tCHECKS\tWORKED")
		for _, d := range m.Days {
			date, _ := time.Parse("2006-01-02", d.WorkDate)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.WorkDate, date.Format("Mon"), d.Summary.Status, shiftText(d.Plan), checksText(d), hm(d.Summary.WorkedMinutes))
		}
		tw.Flush()
		t := m.Totals
		fmt.Printf("\nexpected %d days, attended %d; late %d (%d min, %d serious); early %d (%d min); absent %d; not signed %d; field %d; overtime %s\n",
			t.ExpectedDays, t.ActualDays, t.LateCount, t.LateMinutes, t.SeriousLateCount, t.EarlyCount, t.EarlyMinutes, t.AbsentDays, t.NotSigned, t.FieldPunches, hm(t.OvertimeMinutes))
		for k, v := range t.LeaveMinutes {
			fmt.Printf("leave %s: %s\n", k, hm(v))
		}
	case "records":
		recs, err := r.c.AttRecords(ctx, oid, user, f.from, f.to)
		if err != nil {
			return err
		}
		if f.json {
			r.print(recs)
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "DATE\tCHECK\tDUE\tPUNCHED\tRESULT\tWHERE\tSOURCE")
		for _, x := range recs {
			loc := zone(x.Rule.TimeZone)
			punched := "-"
			if x.UserCheckTime != nil {
				punched = x.UserCheckTime.In(loc).Format("15:04:05")
			}
			where := x.Place
			if x.LeaveType != "" {
				where = x.ApproveType + ": " + x.LeaveType
			} else if x.ApproveType != "" {
				where = x.ApproveType
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%s\t%s\t%s\n", x.WorkDate, x.CheckType, x.BaseCheckTime.In(loc).Format("15:04"), punched,
				x.TimeResult, minutesNote(x.TimeResult, x.Minutes), where, x.SourceType)
		}
		tw.Flush()
	case "report":
		dept := ""
		if f.dept != "" {
			if dept, err = r.deptID(oid, f.dept); err != nil {
				return err
			}
		}
		if f.format == "json" {
			rep, err := r.c.AttReport(ctx, oid, f.month, dept, user)
			if err != nil {
				return err
			}
			r.print(rep)
			return nil
		}
		if f.format != "csv" && f.format != "xlsx" {
			return errors.New("--format must be csv, xlsx or json")
		}
		b, err := r.c.AttReportFile(ctx, oid, f.month, dept, f.format)
		if err != nil {
			return err
		}
		if f.out == "" {
			if f.format == "xlsx" {
				return errors.New("give -o FILE for an xlsx report")
			}
			_, err = os.Stdout.Write(b)
			return err
		}
		if err := os.WriteFile(f.out, b, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", f.out, len(b))
	case "views":
		vs, err := r.c.AttViews(ctx, oid)
		if err != nil {
			return err
		}
		if f.json {
			r.print(vs)
			return nil
		}
		if len(vs) == 0 {
			fmt.Println("nobody else has looked at your attendance")
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tWHO\tWHAT\tDATES")
		for _, v := range vs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s – %s\n", v.At.Local().Format("2006-01-02 15:04"), v.ViewerName, v.What, v.From, v.To)
		}
		tw.Flush()
	default:
		return fmt.Errorf("unknown attendance command %q\n\n%s", args[0], attendanceUsage)
	}
	return nil
}

func hm(min int) string { return fmt.Sprintf("%d:%02d", min/60, min%60) }

func shiftText(p attendance.Plan) string {
	switch {
	case p.Shift != "":
		return p.Shift
	case p.Holiday != "":
		return p.Holiday
	}
	return p.Kind
}

func checksText(d attendance.Day) string {
	loc := zone(d.Plan.TimeZone)
	var parts []string
	for _, c := range d.Checks {
		if c.TimeResult == "" {
			continue
		}
		s := c.TimeResult
		if c.UserTime != nil && c.TimeResult != attendance.NotSigned {
			s = c.UserTime.In(loc).Format("15:04") + " " + s
		}
		if c.LeaveType != "" {
			s += " (" + c.LeaveType + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func printDay(d attendance.Day) {
	fmt.Printf("%s: %s day, %s (group %q v%d, %s)\n", d.WorkDate, d.Plan.Kind, shiftText(d.Plan), d.Plan.GroupName, d.Plan.Version, d.Plan.TimeZone)
	loc := zone(d.Plan.TimeZone)
	for _, c := range d.Checks {
		res := c.TimeResult
		if res == "" {
			res = "not yet"
		}
		punched := ""
		if c.UserTime != nil {
			punched = " punched " + c.UserTime.In(loc).Format("15:04:05")
		}
		fmt.Printf("  %s due %s:%s %s%s\n", c.CheckType, c.BaseTime.In(loc).Format("15:04"), punched, res, minutesNote(c.TimeResult, c.Minutes))
	}
}

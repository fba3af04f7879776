package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
)

func init() {
	extraCommands["reports"] = func(args []string) error { return reportCmd(append([]string{"list"}, args...)) }
	extraCommands["report"] = reportCmd
}

const reportUsage = `tack report — work reports (日志)

  tack report [--template daily|weekly|monthly|ID] --answer "LABEL=TEXT"... [--to USER,USER] [--org ORG]
  tack reports [--box received|sent] [--org ORG]      your reports (default: received)
  tack report show ID | stats [--kind daily] [--date YYYY-MM-DD]

Without --to a report goes to your manager. A field's LABEL is as the
template names it (tack report templates). Add --json for JSON.
`

func reportCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(reportUsage)
		return nil
	}
	verb := "submit"
	if len(args) > 0 && slicesContains([]string{"list", "show", "stats"}, args[0]) {
		verb, args = args[0], args[1:]
	}
	var f attFlags
	var tpl, to, box, kind, date string
	var answers multiFlag
	fs := attFlagSet("report "+verb, &f)
	fs.StringVar(&tpl, "template", "daily", "template: daily, weekly, monthly or a custom template's ID")
	fs.Var(&answers, "answer", "LABEL=TEXT (repeat per field)")
	fs.StringVar(&to, "to", "", "user IDs, comma-separated (default: your manager)")
	fs.StringVar(&box, "box", "received", "received or sent")
	fs.StringVar(&kind, "kind", "daily", "stats: daily, weekly, monthly or custom")
	fs.StringVar(&date, "date", "", "stats: the day (default today)")
	fs.Usage = func() { fmt.Fprint(os.Stderr, reportUsage) }
	pos, err := parseMixed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	r, err := attClient(&f)
	if err != nil {
		return err
	}
	ctx := context.Background()
	r.ctx = ctx
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		return err
	}
	show := func(rep client.Report) {
		if f.json {
			r.print(rep)
			return
		}
		read := 0
		for _, x := range rep.Recipients {
			if x.ReadAt != nil {
				read++
			}
		}
		fmt.Printf("%s  %s %s by %s, read by %d of %d\n", rep.ID, rep.Kind, rep.Period, rep.AuthorID, read, len(rep.Recipients))
		for _, a := range rep.Answers {
			if a.Value != "" {
				fmt.Printf("%s: %s\n", a.Label, a.Value)
			}
		}
		for _, c := range rep.Comments {
			fmt.Printf("  %s: %s\n", c.AuthorID, c.Text)
		}
	}
	switch verb {
	case "list":
		list, err := r.c.Reports(ctx, oid, box)
		if err != nil {
			return err
		}
		if f.json {
			r.print(list)
			return nil
		}
		if len(list) == 0 {
			fmt.Println("no reports")
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tPERIOD\tAUTHOR")
		for _, x := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.ID, x.Kind, x.Period, x.AuthorID)
		}
		return tw.Flush()
	case "show":
		if len(pos) != 1 {
			return errors.New("usage: tack report show ID")
		}
		rep, err := r.c.Report(ctx, oid, pos[0])
		if err != nil {
			return err
		}
		show(rep)
		return nil
	case "stats":
		st, err := r.c.ReportStats(ctx, oid, kind, date)
		if err != nil {
			return err
		}
		if f.json {
			r.print(st)
			return nil
		}
		fmt.Printf("%s %s: submitted %d, not yet %d\n", st.Kind, st.Date, len(st.Submitted), len(st.Missing))
		return nil
	}
	in := client.ReportInput{TemplateID: tpl, Answers: map[string]string{}}
	for _, a := range answers {
		label, text, ok := strings.Cut(a, "=")
		if !ok {
			return fmt.Errorf("--answer %q: want LABEL=TEXT", a)
		}
		in.Answers[label] = text
	}
	for _, id := range strings.Split(to, ",") {
		if id = strings.TrimSpace(id); id != "" {
			in.To = append(in.To, tack.ID(id))
		}
	}
	rep, err := r.c.SubmitReport(ctx, oid, in)
	if err != nil {
		return err
	}
	show(rep)
	return nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"
)

func init() {
	extraCommands["export"] = exportCmd
	extraCommands["retention"] = retentionCmd
}

const exportUsage = `tack export — take your data, or your organisation's, with you

  tack export [-o FILE]                         your own data: profile, the messages you sent,
                                                your files, attendance and approvals (a ZIP)
  tack export --org ORG [--from DATE] [--to DATE] [-o FILE]
                                                the organisation's directory and the attendance
                                                of DATE..DATE (at most 62 days; default the last
                                                31): owner and admins
  tack export list [--org ORG]                  the exports made (yours, or the organisation's)

Every export is logged; an organisation's also in its audit log. -o - writes
to standard output; the default file is tack-export-DATE.zip here.
`

func exportCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(exportUsage)
		return nil
	}
	list := len(args) > 0 && args[0] == "list"
	if list {
		args = args[1:]
	}
	var f attFlags
	fs := attFlagSet("export", &f)
	fs.StringVar(&f.from, "from", "", "first day of attendance (YYYY-MM-DD)")
	fs.StringVar(&f.to, "to", "", "last day of attendance (YYYY-MM-DD)")
	fs.StringVar(&f.out, "o", "", "write the ZIP here (- for standard output)")
	fs.Usage = func() { fmt.Fprint(os.Stderr, exportUsage) }
	pos, err := parseMixed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if len(pos) > 0 {
		return fmt.Errorf("unexpected %q: see tack export --help", pos[0])
	}
	r, err := attClient(&f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r.ctx = ctx
	oid := ""
	if f.org != "" {
		if oid, err = r.orgID(f.org); err != nil {
			return err
		}
	}
	if list {
		rs, err := r.c.Exports(ctx, oid)
		if err != nil {
			return err
		}
		if f.json {
			r.print(rs)
			return nil
		}
		if len(rs) == 0 {
			fmt.Println("no exports yet")
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "WHEN\tKIND\tBY\tID")
		for _, x := range rs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", x.At.Local().Format("2006-01-02 15:04"), x.Kind, x.UserID, x.ID)
		}
		return tw.Flush()
	}
	if oid == "" && (f.from != "" || f.to != "") {
		return errors.New("--from and --to go with --org (an organisation's attendance)")
	}
	out := f.out
	if out == "" {
		name := "tack-export-" + time.Now().Format("20060102-150405") + ".zip"
		if oid != "" {
			name = "tack-org-export-" + time.Now().Format("20060102-150405") + ".zip"
		}
		out = name
	}
	get := func(w io.Writer) error {
		if oid != "" {
			return r.c.ExportOrg(ctx, oid, f.from, f.to, w)
		}
		return r.c.ExportMine(ctx, w)
	}
	if out == "-" {
		return get(os.Stdout)
	}
	// Written beside the target and renamed once complete: a cut-short
	// export never looks like a whole one.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".tack-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := get(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	st, _ := os.Stat(out)
	fmt.Printf("exported to %s (%d bytes)\n", out, st.Size())
	return nil
}

const retentionUsage = `tack retention — how long an organisation keeps its groups' messages

  tack retention [--org ORG]                    the organisation's retention
  tack retention set DAYS [--org ORG]           remove messages older than DAYS (0: keep forever;
                                                owner and admins)
  tack retention holds [--org ORG]              groups under legal hold
  tack retention hold CONVERSATION [--reason TEXT] [--org ORG]
                                                place a group under legal hold: nothing of it is removed
  tack retention lift CONVERSATION [--org ORG]  lift a legal hold
  tack retention of CONVERSATION                what applies to one conversation

Retention covers the organisation's groups (the all-staff and department
groups); a background job on one node at a time removes expired messages
with their files and search entries.
`

func retentionCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(retentionUsage)
		return nil
	}
	verb := "show"
	if len(args) > 0 && slicesContains([]string{"set", "holds", "hold", "lift", "of"}, args[0]) {
		verb, args = args[0], args[1:]
	}
	var f attFlags
	fs := attFlagSet("retention "+verb, &f)
	fs.StringVar(&f.note, "reason", "", "why the group is held")
	fs.Usage = func() { fmt.Fprint(os.Stderr, retentionUsage) }
	pos, err := parseMixed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	wantArgs := map[string]int{"show": 0, "set": 1, "holds": 0, "hold": 1, "lift": 1, "of": 1}[verb]
	if len(pos) != wantArgs {
		return fmt.Errorf("usage: see tack retention --help")
	}
	r, err := attClient(&f)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r.ctx = ctx
	if verb == "of" {
		info, err := r.c.ChatRetention(ctx, pos[0])
		if err != nil {
			return err
		}
		if f.json {
			r.print(info)
			return nil
		}
		switch {
		case info.OrgID == "":
			fmt.Println("no retention: this conversation belongs to no organisation")
		case info.LegalHold:
			fmt.Println("under legal hold: nothing is removed")
		case info.Days == 0:
			fmt.Println("messages are kept forever")
		default:
			fmt.Printf("messages older than %d days are removed\n", info.Days)
		}
		return nil
	}
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		return err
	}
	switch verb {
	case "show", "set":
		p, err := r.c.Retention(ctx, oid)
		if verb == "set" {
			var days int
			if _, serr := fmt.Sscan(pos[0], &days); serr != nil {
				return fmt.Errorf("DAYS must be a whole number, not %q", pos[0])
			}
			p, err = r.c.SetRetention(ctx, oid, days)
		}
		if err != nil {
			return err
		}
		if f.json {
			r.print(p)
		} else if p.Days == 0 {
			fmt.Println("messages are kept forever")
		} else {
			fmt.Printf("messages older than %d days are removed\n", p.Days)
		}
		return nil
	case "holds":
		hs, err := r.c.LegalHolds(ctx, oid)
		if err != nil {
			return err
		}
		if f.json {
			r.print(hs)
			return nil
		}
		if len(hs) == 0 {
			fmt.Println("no group is under legal hold")
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "GROUP\tID\tSINCE\tREASON")
		for _, h := range hs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Title, h.ConversationID, h.CreatedAt.Local().Format("2006-01-02"), oneLine(h.Reason, 40))
		}
		return tw.Flush()
	case "hold":
		h, err := r.c.PutLegalHold(ctx, oid, pos[0], f.note)
		if err != nil {
			return err
		}
		if f.json {
			r.print(h)
		} else {
			fmt.Printf("%s is under legal hold\n", h.Title)
		}
		return nil
	default: // lift
		if err := r.c.DeleteLegalHold(ctx, oid, pos[0]); err != nil {
			return err
		}
		fmt.Println("legal hold lifted")
		return nil
	}
}

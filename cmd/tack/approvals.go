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

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
)

func init() {
	extraCommands["approvals"] = approvalsCmd
	extraCommands["leave"] = leaveCmd
}

const approvalsUsage = `tack approvals — approvals (审批): what waits for you, what you asked for

  tack approvals [--box pending|done|cc|mine] [--org ORG]     a box (default pending)
  tack approvals show ID [--org ORG]                          one approval, its flow and timeline
  tack approvals approve ID [--comment TEXT] [--org ORG]
  tack approvals reject ID [--comment TEXT] [--org ORG]
  tack approvals transfer ID --to MEMBER [--comment TEXT]
  tack approvals comment ID --comment TEXT
  tack approvals withdraw ID | urge ID | cancel ID

tack leave — leave (请假)

  tack leave request --type annual --start 2026-03-05 [--end 2026-03-06] [--start-half pm] [--end-half am]
                     [--reason TEXT] [--handover MEMBER] [--auto-reply] [--org ORG]
  tack leave balance [--user MEMBER] [--ledger] [--org ORG]
  tack leave types [--org ORG]

ORG is an organisation ID or name (optional when you belong to one); MEMBER a
member ID, user ID, employee number or email; add --json for JSON.
`

type apprFlags struct {
	attFlags
	box, comment, to, typ, start, end, startHalf, endHalf, reason, handover string
	autoReply, ledger                                                       bool
}

func apprFlagSet(name string, f *apprFlags) *flag.FlagSet {
	fs := attFlagSet(name, &f.attFlags)
	fs.StringVar(&f.box, "box", "pending", "box: pending, done, cc or mine")
	fs.StringVar(&f.comment, "comment", "", "comment")
	fs.StringVar(&f.to, "to", "", "member to transfer to")
	fs.StringVar(&f.typ, "type", "", "leave type (annual, personal, sick, ...)")
	fs.StringVar(&f.start, "start", "", "first day YYYY-MM-DD (hourly leave: \"YYYY-MM-DD HH:MM\")")
	fs.StringVar(&f.end, "end", "", "last day (default: the first)")
	fs.StringVar(&f.startHalf, "start-half", "", "half-day leave: start in the am or pm")
	fs.StringVar(&f.endHalf, "end-half", "", "half-day leave: end in the am or pm")
	fs.StringVar(&f.reason, "reason", "", "reason")
	fs.StringVar(&f.handover, "handover", "", "member who covers for you")
	fs.BoolVar(&f.autoReply, "auto-reply", false, "answer direct messages while you are away")
	fs.StringVar(&f.user, "user", "", "member (default you)")
	fs.BoolVar(&f.ledger, "ledger", false, "also list the ledger")
	fs.Usage = func() { fmt.Fprint(os.Stderr, approvalsUsage) }
	return fs
}

// apprSetup parses flags and finds the client and organisation.
func apprSetup(name string, args []string) (*orgRunner, *apprFlags, []string, string, func(), error) {
	var f apprFlags
	fs := apprFlagSet(name, &f)
	pos, err := parseMixed(fs, args)
	if err != nil {
		return nil, nil, nil, "", nil, err
	}
	r, err := attClient(&f.attFlags)
	if err != nil {
		return nil, nil, nil, "", nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	r.ctx = ctx
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		stop()
		return nil, nil, nil, "", nil, err
	}
	return r, &f, pos, oid, stop, nil
}

func approvalsCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(approvalsUsage)
		return nil
	}
	verb := "list"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	r, f, pos, oid, stop, err := apprSetup("approvals "+verb, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	defer stop()
	if verb == "list" {
		page, err := r.c.Approvals(r.ctx, oid, f.box, "", 0)
		if err != nil {
			return err
		}
		if f.json {
			r.print(page)
			return nil
		}
		if len(page.Approvals) == 0 {
			fmt.Printf("nothing in %s\n", f.box)
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tWHAT\tASKED")
		for _, a := range page.Approvals {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, a.Status, a.Title, a.CreatedAt.Local().Format("2006-01-02 15:04"))
		}
		return tw.Flush()
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: tack approvals %s ID", verb)
	}
	id := pos[0]
	var v client.Approval
	switch verb {
	case "show":
		v, err = r.c.Approval(r.ctx, oid, id)
	case "approve", "reject", "comment", "withdraw", "urge", "cancel", "transfer":
		in := client.ApprovalAction{Comment: f.comment}
		if verb == "transfer" {
			if f.to == "" {
				return errors.New("say to whom: --to MEMBER")
			}
			m, err := r.memberID(oid, f.to)
			if err != nil {
				return err
			}
			in.UserID = tack.ID(m)
		}
		if verb == "comment" {
			in.ClientID = string(tack.NewID())
		}
		v, err = r.c.Act(r.ctx, oid, id, verb, in)
	default:
		return fmt.Errorf("unknown approvals command %q (tack approvals -h)", verb)
	}
	if err != nil {
		return err
	}
	if f.json {
		r.print(v)
		return nil
	}
	printApproval(v)
	return nil
}

func printApproval(v client.Approval) {
	fmt.Printf("%s  %s  [%s]\n", v.ID, v.Title, v.Status)
	if v.Leave != nil {
		fmt.Printf("  %s %s: %s to %s, %s\n", v.Leave.Name, v.Leave.Unit, v.Leave.FromDate, v.Leave.ToDate, v.Leave.Amount)
	}
	for i, st := range v.Steps {
		mark := " "
		if i == v.Current && v.Status == "running" {
			mark = ">"
		}
		var who []string
		for _, a := range st.Approvers {
			who = append(who, string(a))
		}
		fmt.Printf("  %s %d %s %s (%s): %s\n", mark, i+1, st.Type, st.Mode, strings.Join(who, ", "), st.Status)
	}
	for _, a := range v.Actions {
		line := fmt.Sprintf("  %s %s", a.At.Local().Format("01-02 15:04"), a.Kind)
		if a.ActorID != "" {
			line += " by " + string(a.ActorID)
		}
		if a.Comment != "" {
			line += ": " + a.Comment
		}
		fmt.Println(line)
	}
}

func leaveCmd(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Print(approvalsUsage)
		return nil
	}
	verb := args[0]
	r, f, pos, oid, stop, err := apprSetup("leave "+verb, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	defer stop()
	if len(pos) > 0 {
		return fmt.Errorf("unexpected argument %q", pos[0])
	}
	switch verb {
	case "request":
		if f.typ == "" || f.start == "" {
			return errors.New("say which leave and when: --type annual --start 2026-03-05 [--end ...]")
		}
		if f.end == "" {
			f.end = f.start
		}
		form := map[string]any{"leave_type": f.typ, "start": f.start, "end": f.end}
		for k, v := range map[string]string{"start_half": f.startHalf, "end_half": f.endHalf, "reason": f.reason} {
			if v != "" {
				form[k] = v
			}
		}
		if f.handover != "" {
			m, err := r.memberID(oid, f.handover)
			if err != nil {
				return err
			}
			form["handover"] = m
		}
		v, err := r.c.SubmitApproval(r.ctx, oid, map[string]any{"template": "leave", "form": form, "auto_reply": f.autoReply})
		if err != nil {
			return err
		}
		if f.json {
			r.print(v)
			return nil
		}
		printApproval(v)
	case "balance":
		user := ""
		if f.user != "" {
			if user, err = r.memberID(oid, f.user); err != nil {
				return err
			}
		}
		bs, err := r.c.LeaveBalances(r.ctx, oid, user)
		if err != nil {
			return err
		}
		var lines []client.LeaveLine
		if f.ledger {
			if lines, err = r.c.LeaveLedger(r.ctx, oid, user, ""); err != nil {
				return err
			}
		}
		if f.json {
			r.print(map[string]any{"balances": bs, "ledger": lines})
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tNAME\tBALANCE\tUNIT")
		for _, b := range bs {
			unit := "days"
			if b.Unit == leave.UnitHour {
				unit = "hours"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.LeaveType, b.Name, b.Balance, unit)
		}
		tw.Flush()
		if f.ledger {
			fmt.Println()
			tw = tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "WHEN\tTYPE\tCHANGE\tBALANCE\tWHY")
			for _, l := range lines {
				why := l.Reason
				if why == "" {
					why = l.Kind
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", l.At.Local().Format("2006-01-02 15:04"), l.LeaveType, l.Delta, l.Balance, why)
			}
			tw.Flush()
		}
	case "types":
		ts, err := r.c.LeaveTypes(r.ctx, oid)
		if err != nil {
			return err
		}
		if f.json {
			r.print(ts)
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\tNAME\tUNIT\tCOUNTING\tPAID\tBALANCE")
		for _, t := range ts {
			if t.Enabled {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%v\n", t.Key, t.Name, t.Unit, t.Counting, t.Paid, t.Balance)
			}
		}
		tw.Flush()
	default:
		return fmt.Errorf("unknown leave command %q (tack leave -h)", verb)
	}
	return nil
}

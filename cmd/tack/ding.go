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

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
)

func init() {
	extraCommands["ding"] = dingCmd
	extraCommands["dings"] = func(args []string) error { return dingCmd(append([]string{"list"}, args...)) }
	extraCommands["confirm"] = func(args []string) error { return dingCmd(append([]string{"confirm"}, args...)) }
	extraCommands["reveal"] = revealCmd
}

const dingUsage = `tack ding — urgent messages (DING) with confirmations

  tack ding --to MEMBER[,MEMBER...] [--channels push,email,sms,call] [--reason TEXT]
            [--at 2026-12-01T09:00:00+08:00] [--escalate 5m] [--emergency] [--org ORG] TEXT...
  tack dings [--box received|sent] [--org ORG]       your DINGs (default: received)
  tack ding show ID | remind ID                      who confirmed and who not; remind the rest
  tack confirm ID                                    confirm a DING (收到)

  tack reveal CONVERSATION SEQ                       reveal a secret message; it burns after its time

A DING reaches people in the app and by push at once; the unconfirmed get the
next channel (email, then SMS) after --escalate. Someone in their quiet hours
needs --reason, and gets only the app and push unless an admin sends it with
--emergency. MEMBER is a member ID, user ID, employee number or email; add
--json for JSON.
`

type dingFlags struct {
	attFlags
	to, channels, reason, at, box string
	escalate                      time.Duration
	emergency                     bool
}

func dingCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(dingUsage)
		return nil
	}
	verb := "send"
	if len(args) > 0 && slicesContains([]string{"list", "show", "remind", "confirm"}, args[0]) {
		verb, args = args[0], args[1:]
	}
	var f dingFlags
	fs := attFlagSet("ding "+verb, &f.attFlags)
	fs.StringVar(&f.to, "to", "", "members to DING, comma-separated")
	fs.StringVar(&f.channels, "channels", "push", "channels besides the app: push, email, sms, call (comma-separated)")
	fs.StringVar(&f.reason, "reason", "", "why it cannot wait (needed for someone in quiet hours)")
	fs.StringVar(&f.at, "at", "", "send later, at this time (RFC 3339)")
	fs.StringVar(&f.box, "box", "received", "received or sent")
	fs.DurationVar(&f.escalate, "escalate", 0, "wait this long before the next channel (default: the organisation's)")
	fs.BoolVar(&f.emergency, "emergency", false, "an emergency: escalates past quiet hours (admins)")
	fs.Usage = func() { fmt.Fprint(os.Stderr, dingUsage) }
	pos, err := parseMixed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	r, err := attClient(&f.attFlags)
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
	show := func(d client.Ding) error {
		if f.json {
			r.print(d)
			return nil
		}
		printDing(d)
		return nil
	}
	switch verb {
	case "list":
		list, err := r.c.Dings(ctx, oid, f.box, 0)
		if err != nil {
			return err
		}
		if f.json {
			r.print(list)
			return nil
		}
		if len(list) == 0 {
			fmt.Printf("no DINGs %s\n", f.box)
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCONFIRMED\tTEXT\tSENT")
		for _, d := range list {
			fmt.Fprintf(tw, "%s\t%d/%d\t%s\t%s\n", d.ID, len(d.Confirmed), len(d.Recipients), oneLine(d.Text, 40), d.SendAt.Local().Format("01-02 15:04"))
		}
		return tw.Flush()
	case "show", "remind", "confirm":
		if len(pos) != 1 {
			return fmt.Errorf("usage: tack ding %s ID", verb)
		}
		var d client.Ding
		switch verb {
		case "show":
			d, err = r.c.Ding(ctx, oid, pos[0])
		case "remind":
			d, err = r.c.RemindDing(ctx, oid, pos[0])
		default:
			d, err = r.c.ConfirmDing(ctx, oid, pos[0])
		}
		if err != nil {
			return err
		}
		return show(d)
	}
	if f.to == "" || len(pos) == 0 {
		return errors.New("usage: tack ding --to MEMBER[,MEMBER] TEXT")
	}
	in := client.DingInput{Text: strings.Join(pos, " "), Reason: f.reason, Emergency: f.emergency, EscalateAfterS: int(f.escalate / time.Second)}
	for _, c := range strings.Split(f.channels, ",") {
		if c = strings.TrimSpace(c); c != "" {
			in.Channels = append(in.Channels, c)
		}
	}
	for _, who := range strings.Split(f.to, ",") {
		uid, err := r.userOfMember(oid, strings.TrimSpace(who))
		if err != nil {
			return err
		}
		in.UserIDs = append(in.UserIDs, tack.ID(uid))
	}
	if f.at != "" {
		t, err := time.Parse(time.RFC3339, f.at)
		if err != nil {
			return fmt.Errorf("--at: %w", err)
		}
		in.SendAt = &t
	}
	d, err := r.c.SendDing(ctx, oid, in)
	if err != nil {
		return err
	}
	return show(d)
}

// userOfMember returns the user ID of a member named by member ID, user
// ID, employee number or email.
func (r *orgRunner) userOfMember(oid, s string) (string, error) {
	if m, err := r.c.OrgMember(r.ctx, oid, s); err == nil && m.UserID != "" {
		return string(m.UserID), nil
	}
	mid, err := r.memberID(oid, s)
	if err != nil {
		return "", err
	}
	m, err := r.c.OrgMember(r.ctx, oid, mid)
	if err != nil {
		return "", err
	}
	if m.UserID == "" {
		return "", fmt.Errorf("%s has not joined yet", s)
	}
	return string(m.UserID), nil
}

func printDing(d client.Ding) {
	state := "sent"
	if !d.Sent {
		state = "scheduled for " + d.SendAt.Local().Format("2006-01-02 15:04")
	}
	fmt.Printf("DING %s (%s, reached by %s)\n%s\n", d.ID, state, strings.Join(d.Reached, ", "), d.Text)
	if d.Reason != "" {
		fmt.Printf("reason: %s\n", d.Reason)
	}
	fmt.Printf("confirmed %d of %d\n", len(d.Confirmed), len(d.Recipients))
	for _, u := range d.Unconfirmed {
		fmt.Printf("  waiting for %s\n", u)
	}
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// revealCmd reveals a secret message: its text, and when it burns.
func revealCmd(args []string) error {
	var f attFlags
	fs := attFlagSet("reveal", &f)
	pos, err := parseMixed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if len(pos) != 2 {
		return errors.New("usage: tack reveal CONVERSATION SEQ")
	}
	var seq int64
	if _, err := fmt.Sscan(pos[1], &seq); err != nil {
		return fmt.Errorf("SEQ: %w", err)
	}
	r, err := attClient(&f)
	if err != nil {
		return err
	}
	m, err := r.c.Reveal(context.Background(), pos[0], seq)
	if err != nil {
		return err
	}
	if f.json {
		r.print(m)
		return nil
	}
	if m.Text != "" {
		fmt.Println(m.Text)
	}
	for _, a := range m.Attachments { // fetch with: tack files get ID (until it burns)
		fmt.Printf("[%s] %s  %s (%d bytes)\n", a.Kind, a.ID, a.Name, a.Size)
	}
	if m.BurnsAt != nil {
		fmt.Printf("(burns at %s)\n", m.BurnsAt.Local().Format("15:04:05"))
	}
	return nil
}

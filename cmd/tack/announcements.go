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

	"github.com/tackhq/tack/client"
)

func init() {
	extraCommands["announcements"] = func(args []string) error { return announceCmd(append([]string{"list"}, args...)) }
	extraCommands["announce"] = announceCmd
}

const announceUsage = `tack announce — the organisation's announcements (公告)

  tack announcements [--org ORG]                     those you receive (admins: all)
  tack announce --title TITLE [--must-read] [--pin] [--at 2026-12-01T09:00:00+08:00] [--org ORG] TEXT...
  tack announce show ID | read ID | receipts ID      one; mark it read; who has and has not read

TEXT is markdown: **bold**, *italics*, # headings, - lists, [links](https://...).
Add --json for JSON.
`

func announceCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(announceUsage)
		return nil
	}
	verb := "post"
	if len(args) > 0 && slicesContains([]string{"list", "show", "read", "receipts"}, args[0]) {
		verb, args = args[0], args[1:]
	}
	var f attFlags
	var title, at string
	var must, pin bool
	fs := attFlagSet("announce "+verb, &f)
	fs.StringVar(&title, "title", "", "the title (one line)")
	fs.StringVar(&at, "at", "", "publish later, at this time (RFC 3339)")
	fs.BoolVar(&must, "must-read", false, "must read: see who has read it")
	fs.BoolVar(&pin, "pin", false, "pin it to the top")
	fs.Usage = func() { fmt.Fprint(os.Stderr, announceUsage) }
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r.ctx = ctx
	oid, err := r.resolveOrg(f.org)
	if err != nil {
		return err
	}
	show := func(a client.Announcement) error {
		if f.json {
			r.print(a)
			return nil
		}
		state := "published " + a.PublishAt.Local().Format("2006-01-02 15:04")
		if !a.Published {
			state = "scheduled for " + a.PublishAt.Local().Format("2006-01-02 15:04")
		}
		fmt.Printf("%s  %s (%s)\n%s\n", a.ID, a.Title, state, a.Body)
		if a.ReadCount != nil {
			fmt.Printf("read by %d of %d\n", *a.ReadCount, *a.Recipients)
		}
		return nil
	}
	switch verb {
	case "list":
		list, err := r.c.Announcements(ctx, oid)
		if err != nil {
			return err
		}
		if f.json {
			r.print(list)
			return nil
		}
		if len(list) == 0 {
			fmt.Println("no announcements")
			return nil
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTITLE\tFLAGS\tPUBLISH")
		for _, a := range list {
			var flags []string
			if a.Pinned {
				flags = append(flags, "pinned")
			}
			if a.MustRead {
				flags = append(flags, "must-read")
			}
			if !a.Read && a.Published {
				flags = append(flags, "unread")
			}
			if !a.Published {
				flags = append(flags, "scheduled")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, oneLine(a.Title, 40), strings.Join(flags, ","), a.PublishAt.Local().Format("01-02 15:04"))
		}
		return tw.Flush()
	case "show", "read", "receipts":
		if len(pos) != 1 {
			return fmt.Errorf("usage: tack announce %s ID", verb)
		}
		if verb == "receipts" {
			rc, err := r.c.AnnouncementReceipts(ctx, oid, pos[0])
			if err != nil {
				return err
			}
			if f.json {
				r.print(rc)
				return nil
			}
			fmt.Printf("read %d, not yet %d\n", len(rc.Read), len(rc.Unread))
			for _, u := range rc.Unread {
				fmt.Printf("  waiting for %s\n", u)
			}
			return nil
		}
		var a client.Announcement
		if verb == "show" {
			a, err = r.c.Announcement(ctx, oid, pos[0])
		} else {
			a, err = r.c.ReadAnnouncement(ctx, oid, pos[0])
		}
		if err != nil {
			return err
		}
		return show(a)
	}
	if title == "" || len(pos) == 0 {
		return errors.New("usage: tack announce --title TITLE TEXT")
	}
	in := client.AnnouncementInput{Title: title, Body: strings.Join(pos, " "), MustRead: must, Pinned: pin}
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return fmt.Errorf("--at: %w", err)
		}
		in.PublishAt = &t
	}
	a, err := r.c.PostAnnouncement(ctx, oid, in)
	if err != nil {
		return err
	}
	return show(a)
}

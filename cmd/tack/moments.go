package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
)

func init() {
	extraCommands["moments"] = func(args []string) error { return momentCmd(append([]string{"list"}, args...)) }
	extraCommands["moment"] = momentCmd
}

const momentUsage = `tack moment — friends' moments (好友动态) and colleague circles

  tack moments [--user USER] [--limit N] [--cursor C]   your timeline (or someone's moments)
  tack moment post [--to AUDIENCE] [--image FILE]... TEXT...
  tack moment show ID | like ID | unlike ID | delete ID
  tack moment comment ID [--reply USER] TEXT...

AUDIENCE is friends (default), private, only:USER,USER, except:USER,USER or
colleagues (with --org ORG). USER is a user ID. Whoever the audience leaves
out never sees the moment, its likes or its comments. Add --json for JSON.
`

type momentFlags struct {
	attFlags
	to, user, cursor, reply string
	images                  multiFlag
	limit                   int
}

func momentCmd(args []string) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Print(momentUsage)
		return nil
	}
	if len(args) == 0 {
		args = []string{"list"}
	}
	verb, args := args[0], args[1:]
	if !slicesContains([]string{"list", "post", "show", "like", "unlike", "delete", "comment"}, verb) {
		return fmt.Errorf("unknown moment command %q (see tack moment --help)", verb)
	}
	var f momentFlags
	fs := attFlagSet("moment "+verb, &f.attFlags)
	fs.StringVar(&f.to, "to", "friends", "audience: friends, private, only:IDS, except:IDS, colleagues")
	fs.StringVar(&f.user, "user", "", "someone's moments instead of your timeline")
	fs.StringVar(&f.cursor, "cursor", "", "the next page's cursor")
	fs.StringVar(&f.reply, "reply", "", "the user a comment answers")
	fs.IntVar(&f.limit, "limit", 0, "moments per page (1-50)")
	fs.Var(&f.images, "image", "an image to attach (repeat, up to 9)")
	fs.Usage = func() { fmt.Fprint(os.Stderr, momentUsage) }
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
	show := func(m client.Moment) error {
		if f.json {
			r.print(m)
		} else {
			printMoment(m)
		}
		return nil
	}
	one := func() (string, error) {
		if len(pos) < 1 {
			return "", fmt.Errorf("usage: tack moment %s ID", verb)
		}
		return pos[0], nil
	}
	switch verb {
	case "list":
		var p client.MomentPage
		if f.user != "" {
			p, err = r.c.ProfileMoments(ctx, f.user, f.cursor, f.limit)
		} else {
			p, err = r.c.Timeline(ctx, f.cursor, f.limit)
		}
		if err != nil {
			return err
		}
		if f.json {
			r.print(p)
			return nil
		}
		if len(p.Moments) == 0 {
			fmt.Println("no moments")
		}
		for _, m := range p.Moments {
			printMoment(m)
			fmt.Println()
		}
		if p.NextCursor != "" {
			fmt.Printf("more: --cursor %s\n", p.NextCursor)
		}
		return nil
	case "show", "like", "unlike":
		id, err := one()
		if err != nil {
			return err
		}
		var m client.Moment
		if verb == "show" {
			m, err = r.c.Moment(ctx, id)
		} else {
			m, err = r.c.LikeMoment(ctx, id, verb == "like")
		}
		if err != nil {
			return err
		}
		return show(m)
	case "delete":
		id, err := one()
		if err != nil {
			return err
		}
		if err := r.c.DeleteMoment(ctx, id); err != nil {
			return err
		}
		fmt.Println("deleted")
		return nil
	case "comment":
		if len(pos) < 2 {
			return errors.New("usage: tack moment comment ID TEXT")
		}
		c, err := r.c.CommentMoment(ctx, pos[0], strings.Join(pos[1:], " "), f.reply)
		if err != nil {
			return err
		}
		if f.json {
			r.print(c)
		} else {
			fmt.Printf("comment %s\n", c.ID)
		}
		return nil
	}
	// post
	in := client.MomentInput{Text: strings.Join(pos, " ")}
	typ, list, _ := strings.Cut(f.to, ":")
	in.Audience.Type = typ
	for _, id := range strings.Split(list, ",") {
		if id = strings.TrimSpace(id); id != "" {
			in.Audience.UserIDs = append(in.Audience.UserIDs, tack.ID(id))
		}
	}
	if typ == "colleagues" {
		oid, err := r.resolveOrg(f.org)
		if err != nil {
			return err
		}
		in.Audience.OrgID = tack.ID(oid)
	}
	for _, path := range f.images {
		fh, err := os.Open(path)
		if err != nil {
			return err
		}
		st, _ := fh.Stat()
		up, err := r.c.Upload(ctx, fh, client.UploadOptions{Name: filepath.Base(path), Kind: "image", Size: st.Size()})
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		in.FileIDs = append(in.FileIDs, up.ID)
	}
	m, err := r.c.PostMoment(ctx, in)
	if err != nil {
		return err
	}
	return show(m)
}

func printMoment(m client.Moment) {
	aud := ""
	if m.Audience != nil {
		aud = " to " + m.Audience.Type
	}
	fmt.Printf("%s  %s%s  %s\n", m.ID, m.AuthorID, aud, m.CreatedAt.Local().Format("2006-01-02 15:04"))
	if m.Text != "" {
		fmt.Println(m.Text)
	}
	if len(m.Files) > 0 {
		fmt.Printf("[%d images]\n", len(m.Files))
	}
	if len(m.Likes) > 0 {
		fmt.Printf("♥ %d\n", len(m.Likes))
	}
	for _, c := range m.Comments {
		fmt.Printf("  %s: %s\n", c.AuthorID, c.Text)
	}
}

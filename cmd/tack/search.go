package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/search"
)

func init() {
	clientCmds["search"] = clientCmd{"QUERY... [--in CONVERSATION] [--sender PERSON] [--from DATE] [--to DATE] [--has-file] [--cursor C]",
		"Search the messages you may read (Chinese and English), newest first, grouped by conversation.", searchFlags, searchCmd}
}

// searchOpts holds the search command's own flags.
var searchOpts struct {
	in, sender, from, to, cursor string
	hasFile                      bool
}

func searchFlags(fs *flag.FlagSet, o *cliOpts) {
	withJSON(fs, o)
	fs.IntVar(&o.limit, "limit", 20, "how many (1-100)")
	fs.StringVar(&searchOpts.in, "in", "", "only this conversation (ID)")
	fs.StringVar(&searchOpts.sender, "sender", "", "only messages from this person (email, phone, name or ID)")
	fs.StringVar(&searchOpts.from, "from", "", "from this date (YYYY-MM-DD) or RFC 3339 time")
	fs.StringVar(&searchOpts.to, "to", "", "up to this date (inclusive) or RFC 3339 time")
	fs.StringVar(&searchOpts.cursor, "cursor", "", "continue where the last page ended")
	fs.BoolVar(&searchOpts.hasFile, "has-file", false, "only messages with files, images or voice")
}

func searchCmd(x *cli, rest []string) error {
	if len(rest) < 1 {
		return x.usage()
	}
	q := client.SearchQuery{Q: strings.Join(rest, " "), ConversationID: searchOpts.in, From: searchOpts.from, To: searchOpts.to,
		Cursor: searchOpts.cursor, HasFile: searchOpts.hasFile, Limit: x.o.limit}
	if searchOpts.sender != "" {
		id, err := x.person(searchOpts.sender)
		if err != nil {
			return err
		}
		q.SenderID = id
	}
	p, err := x.c.Search(x.ctx, q)
	if err != nil {
		return err
	}
	if x.o.json {
		x.print(p)
		return nil
	}
	for _, f := range p.People {
		fmt.Printf("person  %s (%s) %s\n", f.Name, f.ID, describe(f))
	}
	if len(p.Results) == 0 {
		fmt.Println("no messages found")
	}
	titles := map[string]string{}
	if len(p.Groups) > 0 {
		if list, err := x.c.Conversations(x.ctx); err == nil {
			for _, cv := range list {
				titles[string(cv.ID)] = x.names.title(cv)
			}
		}
	}
	var ids []string
	for _, r := range p.Results {
		ids = append(ids, string(r.SenderID))
	}
	x.names.want(ids...)
	tty := isTerminal(os.Stdout)
	for _, g := range p.Groups {
		fmt.Printf("\n%s (%s)\n", titles[string(g.ConversationID)], g.ConversationID)
		for _, r := range g.Results {
			fmt.Printf("  #%d %s %s  %s\n", r.Seq, r.CreatedAt.Local().Format("2006-01-02 15:04"), x.names.of(string(r.SenderID)),
				marked(r.Text, r.Highlights, tty))
		}
	}
	if p.NextCursor != "" {
		fmt.Printf("\nmore: tack search --cursor %s %s\n", p.NextCursor, q.Q)
	}
	return nil
}

// marked shows the highlighted parts of text in bold on a terminal, in
// brackets elsewhere, on one line.
func marked(text string, hs []search.Range, tty bool) string {
	open, closeMark := "[", "]"
	if tty {
		open, closeMark = "\x1b[1m", "\x1b[0m"
	}
	rs := []rune(strings.ReplaceAll(text, "\n", " "))
	var b strings.Builder
	at := 0
	for _, h := range hs {
		if h.Start < at || h.End > len(rs) {
			continue
		}
		b.WriteString(string(rs[at:h.Start]))
		b.WriteString(open + string(rs[h.Start:h.End]) + closeMark)
		at = h.End
	}
	b.WriteString(string(rs[at:]))
	return b.String()
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

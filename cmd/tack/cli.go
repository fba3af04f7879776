package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tackhq/tack/client"
)

// cliConfig is what the CLI remembers between runs, in the user's config
// directory with mode 0600 (it holds a session token).
type cliConfig struct {
	Server  string           `json:"server"`
	Token   string           `json:"token"`
	UserID  string           `json:"user_id"`
	Cursors map[string]int64 `json:"cursors,omitempty"`
}

func configPath() (string, error) {
	if p := os.Getenv("TACK_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "tack", "config.json"), nil
}

func loadConfig() (cliConfig, error) {
	var c cliConfig
	p, err := configPath()
	if err != nil {
		return c, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	} else if err != nil {
		return c, err
	}
	return c, json.Unmarshal(b, &c)
}

func saveConfig(c cliConfig) error {
	p, err := configPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

func readPassword() (string, error) {
	if p := os.Getenv("TACK_PASSWORD"); p != "" {
		return p, nil
	}
	fmt.Fprint(os.Stderr, "password: ")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newClientID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "cli-" + hex.EncodeToString(b)
}

// clientCmd is one client command: its arguments, its own flags, and
// what it does. `tack COMMAND -h` shows just these.
type clientCmd struct {
	args, summary string
	flags         func(fs *flag.FlagSet, o *cliOpts)
	run           func(x *cli, rest []string) error
}

// cliOpts holds every client flag; each command registers the ones it reads.
type cliOpts struct {
	server, login, name, title string
	before                     int64
	limit                      int
	json                       bool
	// send --file, --voice, --duration; files -o
	files    multiFlag
	voice    string
	duration time.Duration
	out      string
}

func withJSON(fs *flag.FlagSet, o *cliOpts) { fs.BoolVar(&o.json, "json", false, "print JSON") }

var clientCmds = map[string]clientCmd{
	"register": {"--login EMAIL|PHONE --name NAME", "Create an account and sign in (password from TACK_PASSWORD or stdin).", registerFlags, signIn},
	"login":    {"--login EMAIL|PHONE", "Sign in (password from TACK_PASSWORD or stdin).", loginFlags, signIn},
	"logout":   {"", "Sign out and forget the token.", nil, logout},
	"whoami":   {"", "Who you are signed in as, and where.", nil, whoami},
	"chats":    {"", "Your conversations with unread counts and the last message.", withJSON, chats},
	"users":    {"QUERY", "Find people by name, pinyin, initials (ww for 王五), or exact email or phone.", usersFlags, users},
	"new":      {"direct PERSON | secret PERSON | group --title T PERSON...", "Start (or find) a direct or secret chat, or start a group. PERSON is an email, a phone, a name or a user ID.", newFlags, newConversation},
	"send":     {"CONVERSATION [TEXT...] [--file PATH]... [--voice PATH [--duration D]]", "Send a message: text, images (up to 9), a file, a voice clip, or an image with a voice clip (a voice picture).", sendFlags, send},
	"files":    {"get|info|url FILE_ID [-o PATH]", "Download a file you may see (get), show its details (info), or print a link that works for 10 minutes without signing in (url).", filesFlags, files},
	"history":  {"CONVERSATION", "Messages of a conversation, oldest first.", historyFlags, history},
	"tail":     {"[CONVERSATION]", "Follow live messages; resumes after a dropped connection.", withJSON, tail},
	"receipts": {"CONVERSATION SEQ", "Who has read a message, who has not.", withJSON, receipts},
}

func loginFlags(fs *flag.FlagSet, o *cliOpts) {
	fs.StringVar(&o.login, "login", "", "your email or phone")
}

func registerFlags(fs *flag.FlagSet, o *cliOpts) {
	loginFlags(fs, o)
	fs.StringVar(&o.name, "name", "", "your name")
}

func usersFlags(fs *flag.FlagSet, o *cliOpts) {
	withJSON(fs, o)
	fs.IntVar(&o.limit, "limit", 20, "how many")
}

func newFlags(fs *flag.FlagSet, o *cliOpts) { fs.StringVar(&o.title, "title", "", "group title") }

func historyFlags(fs *flag.FlagSet, o *cliOpts) {
	withJSON(fs, o)
	fs.Int64Var(&o.before, "before", 0, "messages before this seq")
	fs.IntVar(&o.limit, "limit", 30, "how many")
}

// cli is a client command being run.
type cli struct {
	ctx   context.Context
	c     *client.Client
	cfg   cliConfig
	o     cliOpts
	name  string
	args  string // the command's usage line
	names *names
}

func (x *cli) print(v any) {
	b, _ := json.MarshalIndent(v, "", "  ")
	fmt.Println(string(b))
}

func (x *cli) usage() error {
	return fmt.Errorf("usage: tack %s %s", x.name, x.args)
}

func runClient(name string, args []string) error {
	cmd := clientCmds[name]
	cfg, err := loadConfig()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	x := &cli{cfg: cfg, name: name, args: cmd.args}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&x.o.server, "server", envOr("TACK_SERVER", cfg.Server), "server URL")
	if cmd.flags != nil {
		cmd.flags(fs, &x.o)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: tack %s %s\n\n%s\n\nFlags:\n", name, cmd.args, cmd.summary)
		fs.PrintDefaults()
	}
	rest, err := parseMixed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if x.o.server == "" {
		x.o.server = "http://127.0.0.1:8080"
	}
	x.c = client.New(x.o.server)
	x.c.Token = cfg.Token
	if name != "register" && name != "login" && x.c.Token == "" {
		return errors.New("not logged in: run 'tack login --server URL --login YOU' first")
	}
	var stop context.CancelFunc
	x.ctx, stop = signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	x.names = newNames(x.ctx, x.c)
	return cmd.run(x, rest)
}

func signIn(x *cli, _ []string) error {
	if x.o.login == "" {
		return x.usage()
	}
	pw, err := readPassword()
	if err != nil {
		return err
	}
	var u client.User
	if x.name == "register" {
		u, err = x.c.Register(x.ctx, x.o.login, pw, x.o.name)
	} else {
		u, err = x.c.SignIn(x.ctx, x.o.login, pw)
	}
	if err != nil {
		return err
	}
	if err := saveConfig(cliConfig{Server: x.o.server, Token: x.c.Token, UserID: string(u.ID)}); err != nil {
		return fmt.Errorf("save token: %w", err)
	}
	fmt.Printf("signed in as %s (%s)\n", u.Name, u.ID)
	return nil
}

func logout(x *cli, _ []string) error {
	if err := x.c.SignOut(x.ctx); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
	}
	x.cfg.Token, x.cfg.Cursors = "", nil
	return saveConfig(x.cfg)
}

func whoami(x *cli, _ []string) error {
	u, err := x.c.Me(x.ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s (%s) %s on %s\n", u.Name, u.ID, u.Login, x.o.server)
	return nil
}

func chats(x *cli, _ []string) error {
	list, err := x.c.Conversations(x.ctx)
	if err != nil {
		return err
	}
	if x.o.json {
		x.print(list)
		return nil
	}
	var ids []string
	for _, cv := range list {
		ids = append(ids, string(cv.Peer))
		if m := cv.LastMessage; m != nil {
			ids = append(ids, messageUsers(*m)...)
		}
	}
	x.names.want(ids...)
	rows := [][]string{{"ID", "TITLE", "UNREAD", "LAST"}}
	for _, cv := range list {
		title := cv.Title
		if cv.Kind == "direct" {
			title = x.names.of(string(cv.Peer))
		}
		last := ""
		if m := cv.LastMessage; m != nil {
			last = x.names.preview(*m, cv.Kind == "group")
		}
		unread := ""
		if cv.Unread > 0 {
			unread = strconv.FormatInt(cv.Unread, 10)
		}
		rows = append(rows, []string{string(cv.ID), clip(title, 30), unread, last})
	}
	return printTable(os.Stdout, rows)
}

func users(x *cli, rest []string) error {
	if len(rest) < 1 {
		return x.usage()
	}
	list, err := x.c.FindPeople(x.ctx, strings.Join(rest, " "), min(max(x.o.limit, 1), 100))
	if err != nil {
		return err
	}
	if x.o.json {
		x.print(list)
		return nil
	}
	if len(list) == 0 {
		fmt.Println("nobody found")
		return nil
	}
	rows := [][]string{{"NAME", "ID", "WHO"}}
	for _, f := range list {
		rows = append(rows, []string{clip(f.Name, 30), f.ID, describe(f)})
	}
	return printTable(os.Stdout, rows)
}

func newConversation(x *cli, rest []string) error {
	if len(rest) < 1 || (rest[0] != "direct" && rest[0] != "group" && rest[0] != "secret") || (rest[0] != "group" && len(rest) != 2) {
		return x.usage()
	}
	var ids []string
	for _, p := range rest[1:] {
		id, err := x.person(p)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	cv, err := x.c.CreateConversation(x.ctx, rest[0], ids, x.o.title)
	if err != nil {
		return err
	}
	fmt.Println(cv.ID)
	return nil
}

func send(x *cli, rest []string) error {
	if len(rest) < 2 && (len(rest) < 1 || len(x.o.files) == 0 && x.o.voice == "") {
		return x.usage()
	}
	groups, err := x.uploadAttachments()
	if err != nil {
		return err
	}
	text := strings.Join(rest[1:], " ")
	if len(groups) == 0 {
		groups = [][]string{nil}
	}
	// The text goes with the first message; files that cannot share a
	// message (a file and photos, two files) go one after another.
	for i, ids := range groups {
		d := client.Draft{ClientID: newClientID(), Attachments: ids}
		if i == 0 {
			d.Text = text
		}
		m, err := x.c.Send(x.ctx, rest[0], d)
		if err != nil {
			return err
		}
		fmt.Printf("sent #%d\n", m.Seq)
	}
	return nil
}

func history(x *cli, rest []string) error {
	if len(rest) < 1 {
		return x.usage()
	}
	ms, err := x.c.History(x.ctx, rest[0], 0, x.o.before, x.o.limit)
	if err != nil {
		return err
	}
	if x.o.json {
		x.print(ms)
		return nil
	}
	for _, m := range ms {
		x.names.want(messageUsers(m)...)
	}
	for _, m := range ms {
		fmt.Println(x.names.message(m))
	}
	return nil
}

func receipts(x *cli, rest []string) error {
	if len(rest) < 2 {
		return x.usage()
	}
	seq, err := strconv.ParseInt(rest[1], 10, 64)
	if err != nil {
		return fmt.Errorf("SEQ must be a number")
	}
	r, err := x.c.Receipts(x.ctx, rest[0], seq)
	if err != nil {
		return err
	}
	if x.o.json {
		x.print(r)
		return nil
	}
	fmt.Printf("read (%d):\n", r.ReadCount)
	for _, p := range r.Read {
		fmt.Printf("  %s  %s\n", p.Name, p.ID)
	}
	fmt.Printf("unread (%d):\n", r.UnreadCount)
	for _, p := range r.Unread {
		fmt.Printf("  %s  %s\n", p.Name, p.ID)
	}
	return nil
}

func tail(x *cli, rest []string) error {
	only := ""
	if len(rest) > 0 {
		only = rest[0]
	}
	cursors := x.cfg.Cursors
	if cursors == nil {
		cursors = map[string]int64{}
	}
	save := func() {
		x.cfg.Cursors = cursors
		_ = saveConfig(x.cfg)
	}
	defer save()
	// Conversation titles, kept up to date from the stream.
	titles := map[string]string{}
	if list, err := x.c.Conversations(x.ctx); err == nil {
		for _, cv := range list {
			titles[string(cv.ID)] = x.names.title(cv)
		}
	}
	following := false
	err := x.c.Tail(x.ctx, cursors, func(e client.Event) error {
		switch e.Type {
		case "message":
			m := e.Message
			if m.Mod > cursors[string(m.ConversationID)] {
				cursors[string(m.ConversationID)] = m.Mod
			}
			if only != "" && string(m.ConversationID) != only {
				return nil
			}
			if x.o.json {
				fmt.Println(string(e.Raw))
				return nil
			}
			where := titles[string(m.ConversationID)]
			if where == "" {
				if cv, err := x.c.Conversation(x.ctx, string(m.ConversationID)); err == nil {
					where = x.names.title(cv)
					titles[string(cv.ID)] = where
				} else {
					where = string(m.ConversationID)
				}
			}
			x.names.want(messageUsers(*m)...)
			fmt.Printf("[%s] %s\n", where, x.names.message(*m))
		case "conversation":
			if cv := e.Conversation; cv != nil {
				if cv.LastMod > 0 {
					if _, ok := cursors[string(cv.ID)]; !ok {
						cursors[string(cv.ID)] = cv.LastMod
					}
				}
				if cv.Kind != "direct" && cv.Title != "" {
					titles[string(cv.ID)] = cv.Title
				}
			}
		case "synced":
			save()
			if !following {
				following = true
				fmt.Fprintln(os.Stderr, "following; Ctrl-C to stop")
			}
		}
		return nil
	})
	if x.ctx.Err() != nil {
		return nil
	}
	return err
}

// person resolves an email, a phone, a name (or pinyin, or initials) or a
// user ID to a user ID; more than one match is an error that lists them.
func (x *cli) person(s string) (string, error) {
	if len(s) == 16 && !strings.ContainsAny(s, "@ ") {
		if us, err := x.c.Users(x.ctx, []string{s}); err == nil && len(us) == 1 {
			return string(us[0].ID), nil
		}
	}
	found, err := x.c.FindPeople(x.ctx, s, 10)
	if err != nil {
		return "", err
	}
	var exact []client.Found
	for _, f := range found {
		if f.Login != "" || strings.EqualFold(f.Name, s) {
			exact = append(exact, f)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0].ID, nil
	case len(exact) == 0 && len(found) == 1:
		return found[0].ID, nil
	case len(found) == 0:
		return "", fmt.Errorf("nobody called %q found: try 'tack users %s'", s, s)
	}
	if len(exact) > 1 {
		found = exact
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d people match %q; use an ID:\n", len(found), s)
	rows := [][]string{}
	for _, f := range found {
		rows = append(rows, []string{"  " + clip(f.Name, 30), f.ID, describe(f)})
	}
	_ = printTable(&b, rows)
	return "", errors.New(strings.TrimRight(b.String(), "\n"))
}

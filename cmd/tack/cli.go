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
	"text/tabwriter"
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

func runClient(cmd string, args []string) error {
	cfg, err := loadConfig()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	fs := flag.NewFlagSet(cmd, flag.ExitOnError)
	server := fs.String("server", envOr("TACK_SERVER", cfg.Server), "server URL")
	login := fs.String("login", "", "email or phone (register, login)")
	name := fs.String("name", "", "display name (register)")
	title := fs.String("title", "", "group title (new group)")
	before := fs.Int64("before", 0, "history: messages before this seq")
	limit := fs.Int("limit", 30, "history: how many")
	jsonOut := fs.Bool("json", false, "print JSON")
	fs.Parse(args)
	if *server == "" {
		*server = "http://127.0.0.1:8080"
	}
	c := client.New(*server)
	c.Token = cfg.Token
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rest := fs.Args()
	need := func(n int, what string) error {
		if len(rest) < n {
			return fmt.Errorf("usage: tack %s %s", cmd, what)
		}
		return nil
	}
	if cmd != "register" && cmd != "login" && c.Token == "" {
		return errors.New("not logged in: run 'tack login --server URL --login YOU' first")
	}
	print := func(v any) {
		b, _ := json.MarshalIndent(v, "", "  ")
		fmt.Println(string(b))
	}
	switch cmd {
	case "register", "login":
		if *login == "" {
			return fmt.Errorf("usage: tack %s --server URL --login EMAIL|PHONE", cmd)
		}
		pw, err := readPassword()
		if err != nil {
			return err
		}
		var u client.User
		if cmd == "register" {
			u, err = c.Register(ctx, *login, pw, *name)
		} else {
			u, err = c.SignIn(ctx, *login, pw)
		}
		if err != nil {
			return err
		}
		cfg = cliConfig{Server: *server, Token: c.Token, UserID: string(u.ID)}
		if err := saveConfig(cfg); err != nil {
			return fmt.Errorf("save token: %w", err)
		}
		fmt.Printf("signed in as %s (%s)\n", u.Name, u.ID)
	case "logout":
		if err := c.SignOut(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
		}
		cfg.Token, cfg.Cursors = "", nil
		return saveConfig(cfg)
	case "whoami":
		u, err := c.Me(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%s (%s) %s on %s\n", u.Name, u.ID, u.Login, *server)
	case "chats":
		list, err := c.Conversations(ctx)
		if err != nil {
			return err
		}
		if *jsonOut {
			print(list)
			return nil
		}
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tTYPE\tTITLE\tUNREAD\tLAST")
		for _, cv := range list {
			t := cv.Title
			if cv.Kind == "direct" {
				t = "(direct) " + string(cv.Peer)
			}
			last := ""
			if cv.LastMessage != nil {
				last = preview(*cv.LastMessage)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", cv.ID, cv.Kind, t, cv.Unread, last)
		}
		return w.Flush()
	case "new":
		if err := need(1, "direct USER_ID | group --title T USER_ID..."); err != nil {
			return err
		}
		var cv client.Conversation
		switch rest[0] {
		case "direct":
			if err := need(2, "direct USER_ID"); err != nil {
				return err
			}
			cv, err = c.CreateConversation(ctx, "direct", rest[1:2], "")
		case "group":
			cv, err = c.CreateConversation(ctx, "group", rest[1:], *title)
		default:
			return errors.New("usage: tack new direct USER_ID | tack new group --title T USER_ID...")
		}
		if err != nil {
			return err
		}
		fmt.Println(cv.ID)
	case "send":
		if err := need(2, "CONVERSATION TEXT..."); err != nil {
			return err
		}
		m, err := c.Send(ctx, rest[0], client.Draft{ClientID: newClientID(), Text: strings.Join(rest[1:], " ")})
		if err != nil {
			return err
		}
		fmt.Printf("sent #%d\n", m.Seq)
	case "history":
		if err := need(1, "CONVERSATION [--before SEQ] [--limit N]"); err != nil {
			return err
		}
		ms, err := c.History(ctx, rest[0], 0, *before, *limit)
		if err != nil {
			return err
		}
		if *jsonOut {
			print(ms)
			return nil
		}
		for _, m := range ms {
			fmt.Println(formatMessage(m))
		}
	case "receipts":
		if err := need(2, "CONVERSATION SEQ"); err != nil {
			return err
		}
		seq, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("SEQ must be a number")
		}
		r, err := c.Receipts(ctx, rest[0], seq)
		if err != nil {
			return err
		}
		if *jsonOut {
			print(r)
			return nil
		}
		fmt.Printf("read (%d):\n", r.ReadCount)
		for _, p := range r.Read {
			fmt.Printf("  %s  %s\n", p.ID, p.Name)
		}
		fmt.Printf("unread (%d):\n", r.UnreadCount)
		for _, p := range r.Unread {
			fmt.Printf("  %s  %s\n", p.ID, p.Name)
		}
	case "tail":
		only := ""
		if len(rest) > 0 {
			only = rest[0]
		}
		cursors := cfg.Cursors
		if cursors == nil {
			cursors = map[string]int64{}
		}
		save := func() {
			cfg.Cursors = cursors
			_ = saveConfig(cfg)
		}
		defer save()
		fmt.Fprintln(os.Stderr, "following; Ctrl-C to stop")
		err := c.Tail(ctx, cursors, func(e client.Event) error {
			switch e.Type {
			case "message":
				m := e.Message
				if m.Mod > cursors[string(m.ConversationID)] {
					cursors[string(m.ConversationID)] = m.Mod
				}
				if only != "" && string(m.ConversationID) != only {
					return nil
				}
				if *jsonOut {
					fmt.Println(string(e.Raw))
				} else {
					fmt.Printf("[%s] %s\n", m.ConversationID, formatMessage(*m))
				}
			case "conversation":
				if e.Conversation != nil && e.Conversation.LastMod > 0 {
					if _, ok := cursors[string(e.Conversation.ID)]; !ok {
						cursors[string(e.Conversation.ID)] = e.Conversation.LastMod
					}
				}
			case "synced":
				save()
			}
			return nil
		})
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	return nil
}

func preview(m client.Message) string {
	switch {
	case m.Recalled:
		return "(recalled)"
	case m.Kind == "system" && m.System != nil:
		return "(" + m.System.Action + ")"
	}
	t := strings.ReplaceAll(m.Text, "\n", " ")
	if r := []rune(t); len(r) > 40 {
		t = string(r[:40]) + "…"
	}
	return t
}

func formatMessage(m client.Message) string {
	at := m.CreatedAt.Local().Format(time.DateTime)
	body := m.Text
	switch {
	case m.Recalled:
		body = "(message recalled)"
	case m.Kind == "system" && m.System != nil:
		body = fmt.Sprintf("* %s %s %v", m.System.ActorID, m.System.Action, m.System.Users)
	}
	edited := ""
	if m.EditedAt != nil {
		edited = " (edited)"
	}
	return fmt.Sprintf("#%d %s %s: %s%s", m.Seq, at, m.SenderID, body, edited)
}

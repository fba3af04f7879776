package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestCLI drives the tack binary's client commands against a server process.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	cfgPath := filepath.Join(t.TempDir(), "cfg", "config.json")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfgPath, "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	out := run("register", "--login", "cli@example.com", "--name", "命令行")
	if !strings.Contains(out, "signed in as 命令行") {
		t.Fatalf("register: %s", out)
	}
	st, err := os.Stat(cfgPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	ctx := context.Background()
	peer := client.New(p.URL)
	pu, err := peer.Register(ctx, "peer@example.com", "password123", "Peer")
	if err != nil {
		t.Fatal(err)
	}
	conv := strings.TrimSpace(run("new", "direct", string(pu.ID)))
	if len(conv) != 16 {
		t.Fatalf("new direct printed %q", conv)
	}
	if out := run("send", conv, "hello", "from", "the", "CLI"); !strings.Contains(out, "sent #2") {
		t.Fatalf("send: %s", out)
	}
	if out := run("chats"); !strings.Contains(out, conv) || !strings.Contains(out, "hello from the CLI") {
		t.Fatalf("chats: %s", out)
	}
	if out := run("history", conv); !strings.Contains(out, "#2") || !strings.Contains(out, "hello from the CLI") {
		t.Fatalf("history: %s", out)
	}
	if out := run("receipts", conv, "2"); !strings.Contains(out, "unread (1)") || !strings.Contains(out, "Peer") {
		t.Fatalf("receipts: %s", out)
	}
	// tail follows live messages.
	cmd := exec.Command(tackBinary(t), "tail", "--json")
	cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfgPath)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// tail says "following" on stderr once it has caught up and is live:
	// only then is a message sent, so it must arrive live.
	following := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.HasPrefix(sc.Text(), "following") {
				once = true
				close(following)
			}
		}
	}()
	deadline := time.After(20 * time.Second)
	select {
	case <-following:
	case <-deadline:
		t.Fatal("tail never said it was following")
	}
	if _, err := peer.Send(ctx, conv, client.Draft{ClientID: "p1", Text: "live to tail"}); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case l := <-lines:
			var e struct {
				Type    string
				Message client.Message
			}
			json.Unmarshal([]byte(l), &e)
			if e.Type == "message" && e.Message.Text == "live to tail" {
				cmd.Process.Signal(syscall.SIGINT)
				cmd.Wait()
				return
			}
		case <-deadline:
			t.Fatal("tail printed nothing")
		}
	}
}

func TestSIGTERMStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	c := client.New(p.URL)
	if _, err := c.Register(context.Background(), "t@example.com", "password123", "T"); err != nil {
		t.Fatal(err)
	}
	s, err := c.Connect(context.Background(), client.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	for range s.Events() {
	}
	if ce, ok := s.Err().(*client.CloseError); !ok || ce.Code != 1001 {
		t.Fatalf("stream ended with %v, want 1001", s.Err())
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
}

func TestTypingIsLiveAndEphemeral(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, _ := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	bs := connect(t, b.Client, nil)
	if err := a.Typing(ctx, string(conv.ID)); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, bs, "typing", func(e client.Event) bool { return e.Type == "typing" })
	if e.UserID != a.ID || e.ConversationID != string(conv.ID) {
		t.Fatalf("typing event %+v", e)
	}
	c, _ := a.Conversation(ctx, string(conv.ID))
	if c.LastMod != 1 {
		t.Fatalf("typing touched the timeline: last_mod %d", c.LastMod)
	}
}

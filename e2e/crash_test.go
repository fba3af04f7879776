package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// tackBinary builds cmd/tack once per test run.
func tackBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tack-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "tack")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/tack").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// serverProcess runs `tack serve` as a child process and returns its URL.
type serverProcess struct {
	cmd *exec.Cmd
	URL string
}

func startProcess(t *testing.T, args ...string) *serverProcess {
	t.Helper()
	cmd := exec.Command(tackBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--insecure-fast-hash", "--log-level", "warn"}, args...)...)
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				line <- u
			}
		}
	}()
	select {
	case p.URL = <-line:
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return p
}

func (p *serverProcess) kill(t *testing.T) {
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// TestCrashLosesNothingAcknowledged kills the server with SIGKILL while 8
// senders send, restarts it on the same data, and checks that every
// acknowledged message is there with its seq, once.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	data := t.TempDir()
	p := startProcess(t, "--data", data, "--send-rate", "10000")
	ctx := context.Background()
	owner := client.New(p.URL)
	if _, err := owner.Register(ctx, "owner@example.com", "password123", "Owner"); err != nil {
		t.Fatal(err)
	}
	type acked struct {
		conv, clientID, text string
		seq                  int64
	}
	var mu sync.Mutex
	var acks []acked
	var wg sync.WaitGroup
	stop := make(chan struct{})
	group, err := owner.CreateConversation(ctx, "group", nil, "crash")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		c := client.New(p.URL)
		c.HTTP.Timeout = 5 * time.Second
		u, err := c.Register(ctx, fmt.Sprintf("s%d@example.com", i), "password123", fmt.Sprint("sender ", i))
		if err != nil {
			t.Fatal(err)
		}
		if err := owner.AddMembers(ctx, string(group.ID), []string{string(u.ID)}); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				d := client.Draft{ClientID: fmt.Sprintf("s%d-%d", i, n), Text: fmt.Sprintf("sender %d message %d", i, n)}
				m, err := c.Send(ctx, string(group.ID), d)
				if err != nil {
					return // the server died mid-request: not acknowledged
				}
				mu.Lock()
				acks = append(acks, acked{string(group.ID), d.ClientID, d.Text, m.Seq})
				mu.Unlock()
			}
		}(i)
	}
	// Kill it mid-traffic, once a good number of sends were acknowledged
	// (not after a fixed time, which a loaded machine may spend on nothing).
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := len(acks)
		mu.Unlock()
		if n >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages acknowledged in 60 s", n)
		}
		time.Sleep(5 * time.Millisecond) // polling the count
	}
	p.kill(t)
	close(stop)
	wg.Wait()
	if len(acks) < 50 {
		t.Fatalf("only %d messages acknowledged before the kill", len(acks))
	}
	p2 := startProcess(t, "--data", data)
	owner.BaseURL = p2.URL
	if _, err := owner.SignIn(ctx, "owner@example.com", "password123"); err != nil {
		t.Fatal(err)
	}
	stored := historyBySeq(t, owner, string(group.ID))
	seenClient := map[string]bool{}
	for _, m := range stored {
		if m.ClientID != "" {
			if seenClient[string(m.SenderID)+m.ClientID] {
				t.Fatalf("client id %s stored twice", m.ClientID)
			}
			seenClient[string(m.SenderID)+m.ClientID] = true
		}
	}
	for _, a := range acks {
		m, ok := stored[a.seq]
		if !ok || m.ClientID != a.clientID || m.Text != a.text {
			t.Fatalf("acknowledged message %s (seq %d) lost or changed: %+v", a.clientID, a.seq, m)
		}
	}
	t.Logf("%d acknowledged messages, all found after SIGKILL; %d stored", len(acks), len(stored))
}

// historyBySeq reads a conversation's whole history, page by page, and
// fails on a gap in seq.
func historyBySeq(t *testing.T, c *client.Client, conv string) map[int64]client.Message {
	t.Helper()
	stored := map[int64]client.Message{}
	var after int64
	for {
		page, err := c.HistoryAfter(context.Background(), conv, after, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return stored
		}
		for _, m := range page {
			if m.Seq != after+1 {
				t.Fatalf("gap in seq: %d after %d", m.Seq, after)
			}
			stored[m.Seq] = m
			after = m.Seq
		}
	}
}

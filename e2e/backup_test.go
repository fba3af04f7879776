package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
)

// TestBackupUnderLoad backs up a running server with `tack backup` while 4
// senders send, restores the backup into a new directory with `tack
// restore`, serves it, and finds every message acknowledged before the
// backup began (with its seq and text, once) and the data directory's other
// files byte for byte.
func TestBackupUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs server processes")
	}
	data := t.TempDir()
	p := startProcess(t, "--data", data, "--send-rate", "10000")
	ctx := context.Background()
	owner := client.New(p.URL)
	if _, err := owner.Register(ctx, "owner@example.com", "password123", "Owner"); err != nil {
		t.Fatal(err)
	}
	// A file beside the database, as media and keys are.
	blob := bytes.Repeat([]byte("voice picture "), 5000)
	if err := os.MkdirAll(filepath.Join(data, "media", "ab"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "media", "ab", "abcdef"), blob, 0o600); err != nil {
		t.Fatal(err)
	}
	group, err := owner.CreateConversation(ctx, "group", nil, "backup")
	if err != nil {
		t.Fatal(err)
	}
	type acked struct {
		clientID, text string
		seq            int64
	}
	var mu sync.Mutex
	var acks []acked
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		c := client.New(p.URL)
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
				d := client.Draft{ClientID: fmt.Sprintf("s%d-%d", i, n), Text: fmt.Sprintf("发送者 %d 的第 %d 条消息", i, n)}
				m, err := c.Send(ctx, string(group.ID), d)
				if err != nil {
					t.Errorf("send: %v", err)
					return
				}
				mu.Lock()
				acks = append(acks, acked{d.ClientID, d.Text, m.Seq})
				mu.Unlock()
			}
		}(i)
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acks) }
	for deadline := time.Now().Add(60 * time.Second); count() < 200; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages acknowledged in a minute", count())
		}
		time.Sleep(20 * time.Millisecond) // polling the count, with its deadline
	}
	mu.Lock()
	before := append([]acked(nil), acks...)
	mu.Unlock()
	file := filepath.Join(t.TempDir(), "tack.backup")
	out, err := exec.Command(tackBinary(t), "backup", "--data", data, file).CombinedOutput()
	if err != nil {
		t.Fatalf("tack backup: %v\n%s", err, out)
	}
	during := count() - len(before)
	close(stop)
	wg.Wait()
	t.Logf("backup: %s; %d messages acknowledged while it ran", strings.TrimSpace(string(out)), during)

	// Restoring into a directory that holds anything is refused, and
	// changes nothing there.
	busy := t.TempDir()
	os.WriteFile(filepath.Join(busy, "keep"), []byte("x"), 0o600)
	if out, err := exec.Command(tackBinary(t), "restore", file, "--data", busy).CombinedOutput(); err == nil || !strings.Contains(string(out), "not empty") {
		t.Fatalf("restore into a non-empty directory: %v\n%s", err, out)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	if out, err := exec.Command(tackBinary(t), "restore", file, "--data", restored).CombinedOutput(); err != nil {
		t.Fatalf("tack restore: %v\n%s", err, out)
	}
	if got, err := os.ReadFile(filepath.Join(restored, "media", "ab", "abcdef")); err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("the media file after restore: %v (%d bytes of %d)", err, len(got), len(blob))
	}
	p.kill(t)
	p2 := startProcess(t, "--data", restored)
	owner.BaseURL = p2.URL
	if _, err := owner.SignIn(ctx, "owner@example.com", "password123"); err != nil {
		t.Fatal(err)
	}
	stored := historyBySeq(t, owner, string(group.ID))
	for _, a := range before {
		m, ok := stored[a.seq]
		if !ok || m.ClientID != a.clientID || m.Text != a.text {
			t.Fatalf("message %s (seq %d) acknowledged before the backup began is not in it: %+v", a.clientID, a.seq, m)
		}
	}
	t.Logf("%d messages acknowledged before the backup, all restored; %d in the backup", len(before), len(stored))
}

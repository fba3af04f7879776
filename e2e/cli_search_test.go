package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
)

// TestCLISearch runs `tack search` against a server process.
func TestCLISearch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	cfgPath := filepath.Join(t.TempDir(), "cfg", "config.json")
	run := func(wantErr bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfgPath, "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if (err != nil) != wantErr {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run(false, "register", "--login", "searcher@example.com", "--name", "搜索者")
	ctx := context.Background()
	peer := client.New(p.URL)
	pu, err := peer.Register(ctx, "peer-search@example.com", "password123", "同事")
	if err != nil {
		t.Fatal(err)
	}
	conv := strings.TrimSpace(run(false, "new", "group", "--title", "周会", string(pu.ID)))
	if _, err := peer.Send(ctx, conv, client.Draft{ClientID: "s1", Text: "本周会议纪要 weekly notes"}); err != nil {
		t.Fatal(err)
	}
	run(false, "send", conv, "收到，谢谢")
	out := run(false, "search", "会议")
	if !strings.Contains(out, "周会 ("+conv+")") || !strings.Contains(out, "#2") || !strings.Contains(out, "同事") ||
		!strings.Contains(out, "本周[会议]纪要 weekly notes") || strings.Contains(out, "收到") {
		t.Fatalf("search 会议:\n%s", out)
	}
	if out := run(false, "search", "--sender", string(pu.ID), "WEEK"); !strings.Contains(out, "[weekly]") {
		t.Fatalf("search --sender WEEK:\n%s", out)
	}
	if out := run(false, "search", "预算"); !strings.Contains(out, "no messages found") {
		t.Fatalf("search 预算:\n%s", out)
	}
	if out := run(false, "search", "--json", "notes"); !strings.Contains(out, `"highlights"`) || !strings.Contains(out, `"next_cursor"`) {
		t.Fatalf("search --json:\n%s", out)
	}
	if out := run(true, "search", "--from", "someday", "会议"); !strings.Contains(out, "from") {
		t.Fatalf("bad --from:\n%s", out)
	}
}

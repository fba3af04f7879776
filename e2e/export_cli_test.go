package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
)

// TestExportCLI: `tack export` writes a member's own ZIP, `tack export
// --org` the organisation's for its owner (and refuses a plain member),
// `tack export list` shows the log; `tack retention set/hold/holds/lift/of`
// drive retention and legal holds.
func TestExportCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	dir := t.TempDir()
	run := func(cfg string, wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfg, "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	boss, bob := filepath.Join(dir, "boss.json"), filepath.Join(dir, "bob.json")
	run(boss, true, "register", "--login", "boss@example.com", "--name", "老板")
	run(boss, true, "org", "create", "Acme", "--tz", "UTC")
	run(bob, true, "register", "--login", "bob@example.com", "--name", "Bob")
	token := func(path string) *client.Client {
		var cfg struct{ Token string }
		b, _ := os.ReadFile(path)
		json.Unmarshal(b, &cfg)
		c := client.New(p.URL)
		c.Token = cfg.Token
		return c
	}
	ctx := context.Background()
	bc, bobc := token(boss), token(bob)
	orgs, err := bc.Orgs(ctx)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("orgs: %v %v", orgs, err)
	}
	org := string(orgs[0].ID)
	inv, err := bc.CreateInvitation(ctx, org, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bobc.AcceptInvitation(ctx, inv.Code); err != nil {
		t.Fatal(err)
	}
	g, err := bc.CreateOrgGroup(ctx, org, "", "全员")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bobc.Send(ctx, string(g.ConversationID), client.Draft{ClientID: "c1", Text: "导出我 export me"}); err != nil {
		t.Fatal(err)
	}

	out := run(bob, true, "export", "-o", "mine.zip")
	if !strings.Contains(out, "exported to mine.zip") {
		t.Errorf("export said %q", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "mine.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if files := readZip(t, b); !strings.Contains(string(files["messages.json"]), "导出我 export me") {
		t.Errorf("messages.json: %s", files["messages.json"])
	}
	if out := run(bob, false, "export", "--org", org, "-o", "org.zip"); !strings.Contains(out, "forbidden") && !strings.Contains(out, "admins") {
		t.Errorf("a plain member's organisation export said %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "org.zip")); !os.IsNotExist(err) {
		t.Errorf("a refused export left a file: %v", err)
	}
	run(boss, true, "export", "--org", org, "--from", "2026-03-01", "--to", "2026-03-31", "-o", "org.zip")
	b, _ = os.ReadFile(filepath.Join(dir, "org.zip"))
	if files := readZip(t, b); !strings.Contains(string(files["members.json"]), "Bob") {
		t.Errorf("members.json: %s", files["members.json"])
	}
	if out := run(boss, true, "export", "list", "--org", org); !strings.Contains(out, "org") {
		t.Errorf("export list: %q", out)
	}
	if out := run(bob, true, "export", "list"); !strings.Contains(out, "mine") {
		t.Errorf("bob's export list: %q", out)
	}

	if out := run(boss, true, "retention", "set", "90"); !strings.Contains(out, "older than 90 days") {
		t.Errorf("retention set: %q", out)
	}
	run(bob, false, "retention", "set", "1")
	if out := run(boss, true, "retention", "hold", string(g.ConversationID), "--reason", "诉讼"); !strings.Contains(out, "全员 is under legal hold") {
		t.Errorf("hold: %q", out)
	}
	if out := run(boss, true, "retention", "holds"); !strings.Contains(out, "诉讼") {
		t.Errorf("holds: %q", out)
	}
	if out := run(bob, true, "retention", "of", string(g.ConversationID)); !strings.Contains(out, "legal hold") {
		t.Errorf("of: %q", out)
	}
	run(boss, true, "retention", "lift", string(g.ConversationID))
	if out := run(bob, true, "retention", "of", string(g.ConversationID)); !strings.Contains(out, "older than 90 days") {
		t.Errorf("of after lifting: %q", out)
	}
	if out := run(bob, true, "retention"); !strings.Contains(out, "older than 90 days") {
		t.Errorf("retention: %q", out)
	}
}

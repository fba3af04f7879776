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

// TestDingCLI sends a DING with `tack ding`, confirms it with `tack
// confirm` as the recipient, and reads who confirmed with `tack ding show`.
func TestDingCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	run := func(cfg string, wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfg, "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	boss, bob := filepath.Join(t.TempDir(), "boss.json"), filepath.Join(t.TempDir(), "bob.json")
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
	inv, err := bc.CreateInvitation(ctx, string(orgs[0].ID), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bobc.AcceptInvitation(ctx, inv.Code); err != nil {
		t.Fatal(err)
	}
	me, _ := bobc.Me(ctx)
	out := run(boss, true, "ding", "--to", string(me.ID), "--json", "机房停电", "come", "now")
	var d client.Ding
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Text != "机房停电 come now" || len(d.Unconfirmed) != 1 {
		t.Fatalf("tack ding printed %s (%v)", out, err)
	}
	if out := run(bob, true, "dings"); !strings.Contains(out, string(d.ID)) || !strings.Contains(out, "0/1") {
		t.Errorf("tack dings: %s", out)
	}
	run(bob, true, "confirm", string(d.ID))
	if out := run(boss, true, "ding", "show", string(d.ID)); !strings.Contains(out, "confirmed 1 of 1") {
		t.Errorf("tack ding show: %s", out)
	}
	if out := run(bob, false, "ding", "--to", "nobody@nowhere", "hi"); !strings.Contains(out, "nobody@nowhere") {
		t.Errorf("a DING to nobody: %s", out)
	}
}

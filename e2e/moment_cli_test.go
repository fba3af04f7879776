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

// TestMomentCLI posts a moment to one friend with `tack moment post`, reads
// it with `tack moments` as that friend (and comments), and checks that a
// friend left out sees nothing.
func TestMomentCLI(t *testing.T) {
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
	dir := t.TempDir()
	cfgs := map[string]string{}
	cs := map[string]*client.Client{}
	ids := map[string]string{}
	ctx := context.Background()
	for _, n := range []string{"alice", "bob", "carol"} {
		cfgs[n] = filepath.Join(dir, n+".json")
		run(cfgs[n], true, "register", "--login", n+"@example.com", "--name", n)
		var cfg struct{ Token string }
		b, _ := os.ReadFile(cfgs[n])
		json.Unmarshal(b, &cfg)
		cs[n] = client.New(p.URL)
		cs[n].Token = cfg.Token
		me, err := cs[n].Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids[n] = string(me.ID)
	}
	for _, n := range []string{"bob", "carol"} {
		if _, err := cs["alice"].RequestFriend(ctx, ids[n]); err != nil {
			t.Fatal(err)
		}
		if err := cs[n].AcceptFriend(ctx, ids["alice"]); err != nil {
			t.Fatal(err)
		}
	}
	out := run(cfgs["alice"], true, "moment", "post", "--to", "only:"+ids["bob"], "--json", "周末", "爬山")
	var m client.Moment
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Text != "周末 爬山" || m.Audience == nil || m.Audience.Type != "only" {
		t.Fatalf("tack moment post printed %s (%v)", out, err)
	}
	if out := run(cfgs["bob"], true, "moments"); !strings.Contains(out, "周末 爬山") {
		t.Errorf("bob's tack moments: %s", out)
	}
	run(cfgs["bob"], true, "moment", "comment", string(m.ID), "一起")
	if out := run(cfgs["alice"], true, "moment", "show", string(m.ID)); !strings.Contains(out, "一起") {
		t.Errorf("alice's tack moment show: %s", out)
	}
	if out := run(cfgs["carol"], true, "moments"); strings.Contains(out, "周末") || !strings.Contains(out, "no moments") {
		t.Errorf("carol's tack moments: %s", out)
	}
	if out := run(cfgs["carol"], false, "moment", "show", string(m.ID)); !strings.Contains(out, "no such moment") {
		t.Errorf("carol's tack moment show: %s", out)
	}

	// Announcements: alice's organisation, bob a plain member.
	run(cfgs["alice"], true, "org", "create", "Acme", "--tz", "UTC")
	orgs, err := cs["alice"].Orgs(ctx)
	if err != nil || len(orgs) != 1 {
		t.Fatalf("orgs: %v %v", orgs, err)
	}
	inv, err := cs["alice"].CreateInvitation(ctx, string(orgs[0].ID), map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs["bob"].AcceptInvitation(ctx, inv.Code); err != nil {
		t.Fatal(err)
	}
	out = run(cfgs["alice"], true, "announce", "--title", "周五停电", "--must-read", "--json", "**注意**", "9:00-12:00")
	var a client.Announcement
	if err := json.Unmarshal([]byte(out), &a); err != nil || a.Title != "周五停电" || !a.MustRead {
		t.Fatalf("tack announce printed %s (%v)", out, err)
	}
	if out := run(cfgs["bob"], true, "announcements"); !strings.Contains(out, "must-read,unread") {
		t.Errorf("bob's tack announcements: %s", out)
	}
	run(cfgs["bob"], true, "announce", "read", string(a.ID))
	if out := run(cfgs["alice"], true, "announce", "receipts", string(a.ID)); !strings.Contains(out, "read 1, not yet 1") || !strings.Contains(out, "waiting for "+ids["alice"]) {
		t.Errorf("alice's tack announce receipts: %s", out)
	}
	if out := run(cfgs["bob"], false, "announce", "receipts", string(a.ID)); !strings.Contains(out, "admins") {
		t.Errorf("bob's tack announce receipts: %s", out)
	}

	// A work report from bob to alice; the statistics.
	out = run(cfgs["bob"], true, "report", "--answer", "今日完成 Done today=写完了方案", "--to", ids["alice"], "--json")
	var rep client.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Recipients) != 1 || string(rep.Recipients[0].UserID) != ids["alice"] {
		t.Fatalf("tack report printed %s (%v)", out, err)
	}
	if out := run(cfgs["alice"], true, "report", "show", string(rep.ID)); !strings.Contains(out, "写完了方案") || !strings.Contains(out, "read by 1 of 1") {
		t.Errorf("alice's tack report show: %s", out)
	}
	if out := run(cfgs["alice"], true, "report", "stats", "--date", rep.Period); !strings.Contains(out, "submitted 1, not yet 1") {
		t.Errorf("tack report stats: %s", out)
	}
	if out := run(cfgs["bob"], false, "report", "--answer", "nope=x"); !strings.Contains(out, "nope") {
		t.Errorf("a bad field: %s", out)
	}
}

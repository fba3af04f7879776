package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
)

// TestPlatformCLI drives 'tack robot', 'tack app' and 'tack modules'
// against a real server process: a robot added by the CLI takes a signed
// post from 'tack robot send', which lands in the group.
func TestPlatformCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	cfgPath := filepath.Join(t.TempDir(), "cfg", "config.json")
	run := func(wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfgPath, "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run(true, "register", "--login", "robots@example.com", "--name", "机器人主人")
	run(true, "org", "create", "Acme", "--tz", "UTC")
	var cfg struct{ Token string }
	b, _ := os.ReadFile(cfgPath)
	json.Unmarshal(b, &cfg)
	c := client.New(p.URL)
	c.Token = cfg.Token
	ctx := context.Background()
	conv, err := c.CreateConversation(ctx, "group", nil, "CI")
	if err != nil {
		t.Fatal(err)
	}
	out := run(true, "robot", "add", string(conv.ID), "Jenkins")
	hook := regexp.MustCompile(`webhook: (\S+)`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`secret:  (SEC\w+)`).FindStringSubmatch(out)
	if hook == nil || secret == nil || !strings.HasPrefix(hook[1], p.URL+"/robot/send?access_token=") {
		t.Fatalf("robot add: %s", out)
	}
	if out := run(false, "robot", "send", hook[1], "--secret", secret[1]+"x", "wrong"); !strings.Contains(out, "310000") {
		t.Fatalf("wrongly signed send: %s", out)
	}
	run(true, "robot", "send", hook[1], "--secret", secret[1], "部署完成")
	h, err := c.History(ctx, string(conv.ID), 0, 0, 50)
	if err != nil || h[len(h)-1].Text != "部署完成" || h[len(h)-1].Kind != "robot" {
		t.Fatalf("history: %+v %v", h, err)
	}
	if out := run(true, "robot", "list", string(conv.ID)); !strings.Contains(out, "Jenkins") {
		t.Fatalf("robot list: %s", out)
	}
	out = run(true, "app", "create", "HR", "--scope", "directory:read")
	if !regexp.MustCompile(`client_secret:\s+[0-9a-f]{64}`).MatchString(out) {
		t.Fatalf("app create: %s", out)
	}
	if out := run(true, "app", "list"); !strings.Contains(out, "directory:read") {
		t.Fatalf("app list: %s", out)
	}
	id := regexp.MustCompile(`app HR \((\w+)\)`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no app id in: %s", out)
	}
	if out := run(true, "app", "update", id[1], "--scope", "directory:read", "--scope", "attendance:read", "--event", "membership", "--event", "attendance"); !strings.Contains(out, "scopes directory:read attendance:read; events membership attendance") {
		t.Fatalf("app update: %s", out)
	}
	if out := run(true, "modules", "off", "ding"); !regexp.MustCompile(`ding\s+off`).MatchString(out) || !regexp.MustCompile(`apps\s+on`).MatchString(out) {
		t.Fatalf("modules: %s", out)
	}
}

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestCLIForPeople: the CLI takes people by login, name, pinyin or ID,
// finds them with `tack users`, shows names rather than IDs, lines up
// columns holding Chinese, documents every command, shows each command's
// own flags, and reports an import's upload in real sizes.
func TestCLIForPeople(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "config.json")
	cmd := func(args ...string) *exec.Cmd {
		c := exec.Command(tackBinary(t), args...)
		c.Env = append(os.Environ(), "TACK_CONFIG="+cfg, "TACK_PASSWORD=password123", "TACK_SERVER="+srv.URL)
		return c
	}
	run := func(args ...string) (string, string, error) {
		c := cmd(args...)
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		err := c.Run()
		return out.String(), errb.String(), err
	}
	ok := func(args ...string) string {
		t.Helper()
		out, errs, err := run(args...)
		if err != nil {
			t.Fatalf("tack %s: %v\n%s%s", strings.Join(args, " "), err, out, errs)
		}
		return out
	}
	ok("register", "--login", "cli@example.com", "--name", "张三")

	// Help names every command; a command's help shows its own flags only.
	if out, errs, err := run("help"); err != nil || !strings.Contains(out, "tack org") || !strings.Contains(out, "tack bench") || !strings.Contains(out, "tack users QUERY") {
		t.Errorf("tack help: %v\n%s%s", err, out, errs)
	}
	out, errs, err := run("new", "-h")
	if err != nil || !strings.Contains(errs, "-title") || !strings.Contains(errs, "usage: tack new direct PERSON") {
		t.Errorf("tack new -h: %v\n%s%s", err, out, errs)
	}
	for _, other := range []string{"-before", "-limit", "-login", "-name", "-json"} {
		if strings.Contains(errs, other) {
			t.Errorf("tack new -h lists %s:\n%s", other, errs)
		}
	}

	// A direct chat by login: someone you share nothing with yet.
	ls := client.New(srv.URL)
	lsUser, err := ls.Register(ctx, "ls@example.com", "password123", "李四")
	if err != nil {
		t.Fatal(err)
	}
	direct := strings.TrimSpace(ok("new", "direct", "ls@example.com"))
	if len(direct) != 16 {
		t.Fatalf("new direct by login printed %q", direct)
	}
	// Now by name (you share a conversation), and by ID: the same chat.
	if again := strings.TrimSpace(ok("new", "direct", "李四")); again != direct {
		t.Errorf("new direct by name: %q, want %q", again, direct)
	}
	if again := strings.TrimSpace(ok("new", "direct", string(lsUser.ID))); again != direct {
		t.Errorf("new direct by ID: %q, want %q", again, direct)
	}
	if _, errs, err := run("new", "direct", "nobody-like-this"); err == nil || !strings.Contains(errs, "tack users") {
		t.Errorf("new direct with nobody: %v %s", err, errs)
	}

	// Colleagues by pinyin initials.
	ok("org", "create", "星辰科技")
	var orgs []client.Org
	me := client.New(srv.URL)
	if _, err := me.SignIn(ctx, "cli@example.com", "password123"); err != nil {
		t.Fatal(err)
	}
	if orgs, err = me.Orgs(ctx); err != nil || len(orgs) != 1 {
		t.Fatalf("orgs: %v %v", orgs, err)
	}
	colleague := func(name string) *tacktest.User {
		u := srv.NewUser(t, name)
		inv, err := me.CreateInvitation(ctx, string(orgs[0].ID), map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.AcceptInvitation(ctx, inv.Code); err != nil {
			t.Fatal(err)
		}
		return u
	}
	ww := colleague("王五")
	colleague("王伟") // also "ww"
	out = ok("users", "ww")
	t.Logf("tack users ww:\n%s", out)
	if !strings.Contains(out, "王五") || !strings.Contains(out, "王伟") || !strings.Contains(out, ww.ID) || !strings.Contains(out, "星辰科技") {
		t.Errorf("tack users ww:\n%s", out)
	}
	aligned(t, out, "ID")
	aligned(t, out, "WHO")
	if _, errs, err := run("new", "direct", "ww"); err == nil || !strings.Contains(errs, "2 people match") || !strings.Contains(errs, "王五") {
		t.Errorf("an ambiguous name: %v %s", err, errs)
	}
	wwChat := strings.TrimSpace(ok("new", "direct", "王五"))
	group := strings.TrimSpace(ok("new", "group", "--title", "周会", "王五", "ls@example.com"))
	if len(wwChat) != 16 || len(group) != 16 {
		t.Fatalf("new direct 王五 %q, new group %q", wwChat, group)
	}

	// Names, not IDs, in chats and history; columns lined up.
	if _, err := ww.Send(ctx, wwChat, client.Draft{ClientID: "w1", Text: "你好，张三"}); err != nil {
		t.Fatal(err)
	}
	out = ok("chats")
	t.Logf("tack chats:\n%s", out)
	for _, want := range []string{"李四", "王五", "周会", "你好，张三"} {
		if !strings.Contains(out, want) {
			t.Errorf("chats lacks %q:\n%s", want, out)
		}
	}
	for _, id := range []string{string(lsUser.ID), ww.ID} {
		if strings.Contains(out, id) {
			t.Errorf("chats shows user ID %s:\n%s", id, out)
		}
	}
	aligned(t, out, "LAST")
	out = ok("history", wwChat)
	t.Logf("tack history:\n%s", out)
	if !strings.Contains(out, "王五: 你好，张三") || strings.Contains(out, ww.ID) || !strings.Contains(out, "* 张三 started the conversation") {
		t.Errorf("history:\n%s", out)
	}
	if out := ok("history", group); !strings.Contains(out, "* 张三 started the conversation") {
		t.Errorf("group history:\n%s", out)
	}

	// tail: names too.
	tc := cmd("tail")
	stdout, _ := tc.StdoutPipe()
	stderr, _ := tc.StderrPipe()
	if err := tc.Start(); err != nil {
		t.Fatal(err)
	}
	defer tc.Process.Kill()
	lines, errLines := make(chan string, 100), make(chan string, 100)
	go scanLines(stdout, lines)
	go scanLines(stderr, errLines)
	deadline := time.After(20 * time.Second)
	for following := false; !following; {
		select {
		case l := <-errLines:
			following = strings.HasPrefix(l, "following")
		case <-deadline:
			t.Fatal("tail never said it was following")
		}
	}
	if _, err := ww.Send(ctx, wwChat, client.Draft{ClientID: "w2", Text: "在吗？"}); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		select {
		case l := <-lines:
			if strings.Contains(l, "在吗？") {
				if !strings.HasPrefix(l, "[王五] ") || !strings.Contains(l, " 王五: 在吗？") {
					t.Errorf("tail printed %q", l)
				}
				done = true
			}
		case <-deadline:
			t.Fatal("tail printed nothing")
		}
	}

	// An import shows the upload in real sizes (it said 0/0 KiB).
	csv := []byte("姓名,工号\n赵六,E1\n")
	file := filepath.Join(t.TempDir(), "people.csv")
	os.WriteFile(file, csv, 0o644)
	_, errs, err = run("org", "import", "星辰科技", file, "--dry-run")
	want := fmt.Sprintf("%d B/%d B", len(csv), len(csv))
	if err != nil || !strings.Contains(errs, want) || strings.Contains(errs, "0/0") {
		t.Errorf("import progress: %v, want %q in:\n%s", err, want, errs)
	}
}

func scanLines(r interface{ Read([]byte) (int, error) }, out chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		out <- sc.Text()
	}
	close(out)
}

// aligned checks that, on every line of a table, the column headed by
// head starts at the same display column as its heading (a Chinese
// character takes two columns): a space before it, text at it.
func aligned(t *testing.T, table, head string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	i := strings.Index(lines[0], head)
	if i < 0 {
		t.Fatalf("no column %s in:\n%s", head, table)
	}
	at := runewidth.StringWidth(lines[0][:i])
	for _, line := range lines[1:] {
		var cells []rune // one per display column
		for _, r := range line {
			cells = append(cells, r)
			for k := 1; k < runewidth.RuneWidth(r); k++ {
				cells = append(cells, 0)
			}
		}
		if len(cells) <= at || cells[at-1] != ' ' || cells[at] == ' ' || cells[at] == 0 {
			t.Errorf("column %s does not line up at %d:\n%s", head, at, table)
			return
		}
	}
}

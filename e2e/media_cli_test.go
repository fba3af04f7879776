package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
)

// TestMediaCLI sends an image, a voice picture and a file with the tack
// binary and fetches them back with `tack files`.
func TestMediaCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "cfg", "config.json")
	run := func(wantErr bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+cfgPath, "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if (err != nil) != wantErr {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run(false, "register", "--login", "media-cli@example.com", "--name", "命令行")
	ctx := context.Background()
	peer := client.New(p.URL)
	pu, err := peer.Register(ctx, "media-peer@example.com", "password123", "Peer")
	if err != nil {
		t.Fatal(err)
	}
	conv := strings.TrimSpace(run(false, "new", "direct", string(pu.ID)))
	photo := filepath.Join(dir, "海边.jpg")
	os.WriteFile(photo, gpsJPEG(t, 80, 40, 1), 0o644)
	voice := filepath.Join(dir, "hello.ogg")
	os.WriteFile(voice, oggOpus(2500), 0o644)
	doc := filepath.Join(dir, "report.pdf")
	os.WriteFile(doc, []byte("%PDF-1.4 quarterly numbers"), 0o644)

	if out := run(false, "send", conv, "看海", "--file", photo); !strings.Contains(out, "sent #2") {
		t.Fatalf("send --file: %s", out)
	}
	if out := run(false, "send", conv, "--file", photo, "--voice", voice); !strings.Contains(out, "sent #3") {
		t.Fatalf("send voice picture: %s", out)
	}
	if out := run(false, "send", conv, "--file", doc); !strings.Contains(out, "sent #4") {
		t.Fatalf("send a file: %s", out)
	}
	// Photos and a file at once: the photos together, the file after.
	if out := run(false, "send", conv, "两张照片和报告", "--file", photo, "--file", doc, "--file", photo); !strings.Contains(out, "sent #5") || !strings.Contains(out, "sent #6") {
		t.Fatalf("send photos and a file: %s", out)
	}
	if out := run(true, "send", conv, "--file", filepath.Join(dir, "missing.png")); !strings.Contains(out, "missing.png") {
		t.Fatalf("send a missing file: %s", out)
	}
	ms, err := peer.History(ctx, conv, 0, 1<<40, 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := ""
	for _, m := range ms {
		kinds += m.Kind + " "
	}
	if kinds != "system image voice_picture file image file " {
		t.Fatalf("kinds: %s", kinds)
	}
	out := run(false, "history", conv)
	if !strings.Contains(out, "[image 海边.jpg 80×40") || !strings.Contains(out, "[voice 2.5s") || !strings.Contains(out, "[file report.pdf") {
		t.Fatalf("history: %s", out)
	}
	if ms[4].Text != "两张照片和报告" || len(ms[4].Attachments) != 2 || ms[5].Text != "" {
		t.Errorf("grouped send: %q with %d files, then %q", ms[4].Text, len(ms[4].Attachments), ms[5].Text)
	}
	id := string(ms[3].Attachments[0].ID)
	if out := run(false, "files", "info", id); !strings.Contains(out, "report.pdf") || !strings.Contains(out, "application/pdf") {
		t.Fatalf("files info: %s", out)
	}
	// get saves under the file's name in the current directory, never over
	// an existing file.
	os.Remove(doc)
	run(false, "files", "get", id)
	if b, err := os.ReadFile(doc); err != nil || !bytes.Equal(b, []byte("%PDF-1.4 quarterly numbers")) {
		t.Fatalf("files get: %v %q", err, b)
	}
	if out := run(true, "files", "get", id); !strings.Contains(out, "exists") {
		t.Fatalf("files get over an existing file: %s", out)
	}
	if out := run(false, "files", "url", id); !strings.Contains(out, "sig=") {
		t.Fatalf("files url: %s", out)
	}
	if out := run(true, "files", "get", "0000000000000000"); !strings.Contains(out, "no such file") {
		t.Fatalf("files get of a missing ID: %s", out)
	}
}

package web_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// server runs the real tack binary (built once per test run) on a free
// loopback port, with its data in a temporary directory.
type server struct {
	URL  string
	addr string
	data string
	cmd  *exec.Cmd
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func tackBinary(t testing.TB) string {
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "tack-web-test-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "tack")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/tackhq/tack/cmd/tack").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func newServer(t testing.TB) *server {
	bin := tackBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{addr: addr, data: t.TempDir(), URL: "http://" + addr}
	s.start(t, bin)
	t.Cleanup(s.Close)
	return s
}

func (s *server) start(t testing.TB, bin string) {
	t.Helper()
	s.cmd = exec.Command(bin, "serve", "--addr", s.addr, "--data", s.data, "--insecure-fast-hash", "--log-level", "warn")
	s.cmd.Stdout = os.Stderr
	s.cmd.Stderr = os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(s.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s did not become healthy", s.URL)
}

// Restart stops the server cleanly and starts it again on the same address
// with the same data.
func (s *server) Restart(t testing.TB) {
	t.Helper()
	s.stop()
	s.start(t, tackBinary(t))
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

func (s *server) Close() { s.stop() }

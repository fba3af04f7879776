package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procRunner drives a worker process (`tack bench --worker`) over its
// stdin and stdout, one JSON line each way per op.
type procRunner struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
	mu  sync.Mutex
}

func startWorker(exe string) (*procRunner, error) {
	cmd := exec.Command(exe, "bench", "--worker")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	return &procRunner{cmd: cmd, in: in, out: sc}, nil
}

func (w *procRunner) do(ctx context.Context, op Op) (Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b, _ := json.Marshal(op)
	if _, err := w.in.Write(append(b, '\n')); err != nil {
		return Result{}, fmt.Errorf("worker %d: %w", w.cmd.Process.Pid, err)
	}
	if !w.out.Scan() {
		return Result{}, fmt.Errorf("worker %d ended: %v", w.cmd.Process.Pid, w.out.Err())
	}
	var r Result
	if err := json.Unmarshal(w.out.Bytes(), &r); err != nil {
		return r, err
	}
	if r.Err != "" {
		return r, fmt.Errorf("%s", r.Err)
	}
	return r, nil
}

func (w *procRunner) close() {
	_, _ = w.do(context.Background(), Op{Op: "close"})
	w.in.Close()
	done := make(chan struct{})
	go func() { w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		w.cmd.Process.Kill()
		<-done
	}
}

// Server is a server under test started by the bench: a child process whose
// CPU and memory are read from /proc.
type Server struct {
	URL string
	PID int // 0 when not local
	cmd *exec.Cmd
	dir string
}

// StartServer runs `exe args...` (which must print "listening on http://ADDR")
// and waits for it to listen.
func StartServer(exe string, args []string, dir string, env []string) (*Server, error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urlc <- u
			}
		}
	}()
	select {
	case u := <-urlc:
		return &Server{URL: u, PID: cmd.Process.Pid, cmd: cmd, dir: dir}, nil
	case <-time.After(120 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("%s did not start listening", exe)
	}
}

// Stop ends the server with SIGTERM (SIGKILL after 20 s) and removes its
// data directory.
func (s *Server) Stop() {
	if s.cmd != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// ProcStat is a process's cumulative CPU time and current memory.
type ProcStat struct {
	At           time.Time
	CPU          float64 // user+system seconds
	RSS          int64   // bytes
	WriteCalls   int64   // write syscalls (syscw)
	WriteBytes   int64   // bytes written through write calls, sockets included (wchar)
	StorageBytes int64   // bytes the process caused to be written to storage (write_bytes)
	Threads      int
}

var clkTck = 100.0

func readProc(pid int) (ProcStat, error) {
	st := ProcStat{At: time.Now()}
	if pid <= 0 {
		return st, fmt.Errorf("no local process")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return st, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+2:])
	// fields after ")": state(0) ... utime(11) stime(12) ... num_threads(17) ... rss(21)
	ut, _ := strconv.ParseFloat(f[11], 64)
	stt, _ := strconv.ParseFloat(f[12], 64)
	st.CPU = (ut + stt) / clkTck
	st.Threads, _ = strconv.Atoi(f[17])
	rss, _ := strconv.ParseInt(f[21], 10, 64)
	st.RSS = rss * int64(os.Getpagesize())
	if io, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io"); err == nil {
		for _, line := range strings.Split(string(io), "\n") {
			k, v, _ := strings.Cut(line, ": ")
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			switch k {
			case "syscw":
				st.WriteCalls = n
			case "wchar":
				st.WriteBytes = n
			case "write_bytes":
				st.StorageBytes = n
			}
		}
	}
	return st, nil
}

// freePort returns a free loopback address.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer ln.Close()
	return ln.Addr().String()
}

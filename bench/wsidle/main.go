// Command wsidle (its own module, so that the libraries it compares stay out
// of Tack's go.mod) measures the idle memory of one WebSocket server
// connection with several libraries, side by side in one run: each server
// runs in a child process of its own, N clients connect and stay idle, and
// the child's RSS and Go heap/stack are read before and after.
//
//	cd bench/wsidle && go build -o /tmp/wsidle . && /tmp/wsidle -n 10000 -rounds 2
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/lxzan/gws"
)

func main() {
	serve := flag.String("serve", "", "run as the server for this library")
	n := flag.Int("n", 10000, "idle connections per library")
	libs := flag.String("libs", "coder,gws,gws-512,netpoll", "libraries to compare, in this order")
	rounds := flag.Int("rounds", 1, "rounds (libraries interleaved)")
	flag.Parse()
	if *serve != "" {
		runServer(*serve)
		return
	}
	fmt.Printf("%-8s %6s %10s %10s %10s %10s %8s\n", "lib", "conns", "rss KB/c", "rssGC KB/c", "heap KB/c", "stack KB/c", "gor/c")
	for r := 0; r < *rounds; r++ {
		for _, lib := range strings.Split(*libs, ",") {
			if err := measure(lib, *n); err != nil {
				fmt.Fprintln(os.Stderr, lib, err)
			}
		}
	}
}

type stats struct{ rss, heap, stack, gor float64 }

func readStats(in *bufio.Writer, out *bufio.Scanner, gc bool) (stats, error) {
	cmd := "s\n"
	if gc {
		cmd = "g\n"
	}
	in.WriteString(cmd)
	in.Flush()
	if !out.Scan() {
		return stats{}, fmt.Errorf("server gone")
	}
	var s stats
	_, err := fmt.Sscan(out.Text(), &s.rss, &s.heap, &s.stack, &s.gor)
	return s, err
}

func measure(lib string, n int) error {
	cmd := exec.Command(os.Args[0], "-serve", lib)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }()
	in, out := bufio.NewWriter(stdin), bufio.NewScanner(stdout)
	if !out.Scan() {
		return fmt.Errorf("no address")
	}
	addr := out.Text()
	time.Sleep(500 * time.Millisecond)
	s0, err := readStats(in, out, false)
	if err != nil {
		return err
	}
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed int
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, _, _, err := ws.Dial(context.Background(), "ws://"+addr+"/")
			if err == nil {
				// One message, so every server has handled a frame.
				err = wsutil.WriteClientText(c, []byte(`{"type":"hello"}`))
			}
			mu.Lock()
			if err != nil {
				failed++
			} else {
				conns = append(conns, c)
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if failed > 0 {
		return fmt.Errorf("%d connections failed", failed)
	}
	time.Sleep(3 * time.Second)
	s1, err := readStats(in, out, false)
	if err != nil {
		return err
	}
	s2, err := readStats(in, out, true)
	if err != nil {
		return err
	}
	k := float64(n) * 1024
	fmt.Printf("%-8s %6d %10.1f %10.1f %10.1f %10.1f %8.2f\n", lib, n,
		(s1.rss-s0.rss)/k, (s2.rss-s0.rss)/k, (s2.heap-s0.heap)/k, (s2.stack-s0.stack)/k, (s2.gor-s0.gor)/float64(n))
	return nil
}

func rss() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v * 1024
		}
	}
	return 0
}

func runServer(lib string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var h http.Handler
	switch lib {
	case "coder":
		h = http.HandlerFunc(coderHandler)
	case "gws":
		h = gwsHandler(0)
	case "gws-512":
		h = gwsHandler(512)
	case "netpoll":
		h = newPoller()
	default:
		panic("unknown lib " + lib)
	}
	go http.Serve(ln, h)
	fmt.Println(ln.Addr().String())
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if sc.Text() == "g" {
			runtime.GC()
			debug.FreeOSMemory()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Println(rss(), m.HeapInuse, m.StackInuse, runtime.NumGoroutine())
	}
}

// coder: one goroutine per connection reading, writes under the library's lock.
func coderHandler(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	c.SetReadLimit(64 << 10)
	go func() {
		defer c.CloseNow()
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				return
			}
			_ = b
		}
	}()
}

type gwsEvents struct{ gws.BuiltinEventHandler }

func (gwsEvents) OnMessage(c *gws.Conn, m *gws.Message) { m.Close() }

func gwsHandler(rbuf int) http.Handler {
	up := gws.NewUpgrader(gwsEvents{}, &gws.ServerOption{ReadMaxPayloadSize: 64 << 10, ReadBufferSize: rbuf})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		go c.ReadLoop()
	})
}

// poller: no goroutine and no buffer for an idle connection. The socket
// is in an epoll set of our own (one-shot); when it is readable a
// goroutine reads what came, then re-arms it.
type poller struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]net.Conn
}

func newPoller() *poller {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		panic(err)
	}
	p := &poller{epfd: fd, conns: map[int32]net.Conn{}}
	go p.loop()
	return p
}

func (p *poller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	sc, _ := c.(syscall.Conn).SyscallConn()
	var fd int
	sc.Control(func(f uintptr) { fd = int(f) })
	p.mu.Lock()
	p.conns[int32(fd)] = c
	p.mu.Unlock()
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | (1 << 30) /* EPOLLONESHOT */, Fd: int32(fd)}
	syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev)
}

func (p *poller) loop() {
	evs := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(p.epfd, evs, -1)
		if err != nil {
			continue
		}
		for _, e := range evs[:n] {
			p.mu.Lock()
			c := p.conns[e.Fd]
			p.mu.Unlock()
			if c == nil {
				continue
			}
			go p.read(c, e.Fd)
		}
	}
}

func (p *poller) read(c net.Conn, fd int32) {
	if _, _, err := wsutil.ReadClientData(c); err != nil {
		p.mu.Lock()
		delete(p.conns, fd)
		p.mu.Unlock()
		c.Close()
		return
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | (1 << 30), Fd: fd}
	syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
}

package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack"
)

// Limits on what one client may hold of the server before it has shown a
// session: connections per address, and the time a request body may take.

// Request bodies must keep coming: a body gets bodyGrace, plus one second
// per bodyMinRate bytes that have arrived, to arrive in full. A client
// sending one byte every few seconds is cut off after bodyGrace (status
// 408, and the connection is closed); a 16 MiB upload at 100 KB/s is never
// in danger. The deadline ends with the body, so a long handler (an
// import) is not cut off, and requests without a body (the WebSocket
// upgrade) never get one.
const (
	bodyGrace   = 10 * time.Second
	bodyMinRate = 4 << 10 // bytes per second
)

// pacedBody enforces the body deadline on the connection.
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	n     int64
	done  bool
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if !b.done {
		_ = b.rc.SetReadDeadline(b.start.Add(bodyGrace + time.Duration(b.n)*time.Second/bodyMinRate))
	}
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err != nil && !b.done {
		b.done = true
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, tack.Errorf(tack.ETimeout, "the request body came too slowly (at least %d KiB/s after %v)", bodyMinRate>>10, bodyGrace)
		}
		_ = b.rc.SetReadDeadline(time.Time{}) // the body is in: the handler may take its time
	}
	return n, err
}

// pace puts a deadline on r's body, if it has one.
func pace(w http.ResponseWriter, r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return
	}
	r.Body = &pacedBody{ReadCloser: r.Body, rc: http.NewResponseController(w), start: time.Now()}
}

// connGuard caps how many connections one client address may hold open
// without having authenticated: a connection counts from its accept until
// one of its requests carries a valid session (or it closes). Past the cap,
// a new connection is answered 429 and closed before anything is read.
type connGuard struct {
	max     int
	mu      sync.Mutex
	open    map[string]int
	refused atomic.Int64
}

type guardKey struct{}

// guardedConn is a connection counted by a connGuard.
type guardedConn struct {
	net.Conn
	g    *connGuard
	addr string
	once sync.Once
}

// release stops counting the connection (it authenticated, or closed).
func (c *guardedConn) release() {
	c.once.Do(func() {
		c.g.mu.Lock()
		if c.g.open[c.addr]--; c.g.open[c.addr] <= 0 {
			delete(c.g.open, c.addr)
		}
		c.g.mu.Unlock()
	})
}

func (c *guardedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// CloseWrite and ReadFrom pass through, so that net/http's graceful close
// and sendfile still see a TCP connection.
func (c *guardedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *guardedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

type guardListener struct {
	net.Listener
	g *connGuard
}

func (l *guardListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := c.RemoteAddr().String()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
		l.g.mu.Lock()
		ok := l.g.open[addr] < l.g.max
		if ok {
			l.g.open[addr]++
		}
		l.g.mu.Unlock()
		if ok {
			return &guardedConn{Conn: c, g: l.g, addr: addr}, nil
		}
		l.g.refused.Add(1)
		go refuseConn(c, l.g.max)
	}
}

// refuseConn answers 429 on a connection the guard turned away, and closes it.
func refuseConn(c net.Conn, max int) {
	defer c.Close()
	body := fmt.Sprintf(`{"error":{"code":%q,"message":"too many connections from your address that have not signed in (at most %d); retry later"}}`+"\n", tack.ERateLimited, max)
	_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	fmt.Fprintf(c, "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\nRetry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// Listener wraps ln so that each client address may hold at most
// Config.MaxAnonConnsPerAddr connections that have not authenticated. Use
// it with ConnContext on the same http.Server. With no cap configured it
// returns ln.
func (s *Server) Listener(ln net.Listener) net.Listener {
	if s.guard == nil {
		return ln
	}
	return &guardListener{Listener: ln, g: s.guard}
}

// ConnContext is the http.Server hook that lets a request's authentication
// release its connection from the per-address cap.
func (s *Server) ConnContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok { // HTTPS: the guard wraps the TCP connection under it
		c = tc.NetConn()
	}
	if gc, ok := c.(*guardedConn); ok {
		return context.WithValue(ctx, guardKey{}, gc)
	}
	return ctx
}

// authenticated releases the request's connection from the cap.
func authenticated(r *http.Request) {
	if gc, ok := r.Context().Value(guardKey{}).(*guardedConn); ok {
		gc.release()
	}
}

// DiskStatus describes the free space of the node's data directory.
type DiskStatus struct {
	FreeBytes    uint64 `json:"free_bytes"`
	MinFreeBytes uint64 `json:"min_free_bytes"`
	// Low: free space is below twice the minimum; writes still work.
	Low bool `json:"low"`
	// Full: free space is below the minimum; writes are refused with
	// insufficient_storage (507).
	Full bool `json:"full"`
	// Error is why free space could not be read, if it could not.
	Error string `json:"error,omitempty"`
}

package e2e

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// handStream is a WebSocket client written by hand, so that a test decides
// what is answered to the server's pings.
type handStream struct {
	c  net.Conn
	br *bufio.Reader
}

func dialByHand(t *testing.T, baseURL, token string) *handStream {
	t.Helper()
	addr := strings.TrimPrefix(baseURL, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // the test's bound, not a wait
	fmt.Fprintf(c, "GET /api/v1/stream HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer %s\r\n\r\n", addr, token)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return &handStream{c: c, br: br}
}

// next reads one frame from the server (never masked, never fragmented
// by Tack): its opcode and payload.
func (s *handStream) next() (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(s.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(s.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(s.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	_, err := io.ReadFull(s.br, p)
	return h[0] & 0x0f, p, err
}

// send writes one final frame, masked with a zero key (payloads under 126
// bytes).
func (s *handStream) send(op byte, p []byte) error {
	b := append([]byte{0x80 | op, 0x80 | byte(len(p)), 0, 0, 0, 0}, p...)
	_, err := s.c.Write(b)
	return err
}

const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xa
)

// TestStreamKeepalive: the server pings every stream once per StreamPing; a
// client that answers its pings stays connected ping after ping, one that
// answers nothing since the last ping is dropped at the next.
func TestStreamKeepalive(t *testing.T) {
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.StreamPing = 100 * time.Millisecond }))
	a := srv.NewUser(t, "A")

	// Answers every ping: still there after five, and a frame of its own
	// is answered.
	live := dialByHand(t, srv.URL, a.Token)
	pings := 0
	for pings < 5 {
		op, p, err := live.next()
		if err != nil {
			t.Fatalf("after %d pings answered: %v", pings, err)
		}
		if op == opPing {
			pings++
			if err := live.send(opPong, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := live.send(opText, []byte(`{"type":"ping","id":"k"}`)); err != nil {
		t.Fatal(err)
	}
	for {
		op, p, err := live.next()
		if err != nil {
			t.Fatalf("a client answering its pings was dropped: %v", err)
		}
		if op == opText && strings.Contains(string(p), `"pong"`) {
			break
		}
		if op == opPing {
			_ = live.send(opPong, p)
		}
	}

	// Answers nothing: after a ping, the connection is dropped (EOF or a
	// reset, no close frame: the client is presumed gone).
	dead := dialByHand(t, srv.URL, a.Token)
	pings = 0
	for {
		op, _, err := dead.next()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("a client answering no ping still connected after 30 s (%d pings)", pings)
			}
			if pings == 0 {
				t.Fatalf("dropped before any ping: %v", err)
			}
			break
		}
		switch op {
		case opPing:
			pings++
		case opClose:
			t.Fatal("a close frame, want the connection dropped")
		}
	}
}

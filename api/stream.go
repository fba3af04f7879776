package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
)

// wsWriter adapts a WebSocket to hub.Writer.
type wsWriter struct {
	c    *websocket.Conn
	once sync.Once
}

func (w *wsWriter) Write(ctx context.Context, frame []byte) error {
	return w.c.Write(ctx, websocket.MessageText, frame)
}

func (w *wsWriter) Close(code int, reason string) {
	w.once.Do(func() { _ = w.c.Close(websocket.StatusCode(code), reason) })
}

// clientFrame is any message a client sends on the stream.
type clientFrame struct {
	Type           string            `json:"type"`
	ID             string            `json:"id"`
	Cursors        map[tack.ID]int64 `json:"cursors"`
	ConversationID tack.ID           `json:"conversation_id"`
	Seq            int64             `json:"seq"`
	sendIn
}

const (
	// helloWait is how long a new stream waits for the client's hello
	// before starting it fresh.
	helloWait = 2 * time.Second
	pingEvery = 30 * time.Second
)

// readFrame reads one client message of at most MaxFrame bytes.
func readFrame(ctx context.Context, c *websocket.Conn) ([]byte, error) {
	typ, rd, err := c.Reader(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, errPolicy("send text frames of JSON")
	}
	b, err := io.ReadAll(io.LimitReader(rd, MaxFrame+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFrame {
		return nil, errPolicy("frame larger than 64 KiB")
	}
	return b, nil
}

type policyError string

func errPolicy(s string) error      { return policyError(s) }
func (p policyError) Error() string { return string(p) }

// stream upgrades to a WebSocket and runs the connection: the hub writes,
// this goroutine reads client frames.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	caller, _ := tack.CallerFrom(r.Context())
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil // Accept has answered the client
	}
	c.SetReadLimit(-1) // readFrame enforces MaxFrame and closes with 1008
	// The connection is hijacked: serve it on a fresh goroutine and let the
	// HTTP handler return, so that an idle connection keeps neither the
	// request nor the deep stack its setup grew (a third of its memory).
	go s.serveStream(c, caller)
	return nil
}

// serveStream runs one stream: the hub writes, this goroutine reads.
func (s *Server) serveStream(c *websocket.Conn, caller tack.Caller) {
	// The connection lives until the client leaves or the server shuts down.
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	ww := &wsWriter{c: c}
	// Reads use a context of their own: cancelling a read makes the library
	// drop the TCP connection (a reset), whereas a shutdown must close with
	// 1001 so that the client reconnects elsewhere.
	rctx, rcancel := context.WithCancel(context.Background())
	defer rcancel()
	stopWatch := context.AfterFunc(s.ctx, func() { ww.Close(int(websocket.StatusGoingAway), "server shutting down") })
	defer stopWatch()

	// The client's first message should be a hello with its resume cursors.
	// A client that sends something else first, or nothing for helloWait,
	// starts fresh: it gets the hello answer and live events all the same.
	var (
		once sync.Once
		conn *hub.Conn
	)
	start := func(cursors map[tack.ID]int64) {
		once.Do(func() {
			cn, err := s.cfg.Hub.Attach(ctx, caller, ww)
			if err != nil {
				if s.ctx.Err() != nil || tack.ErrorCode(err) == tack.EUnavailable {
					ww.Close(int(websocket.StatusGoingAway), "server shutting down")
				} else {
					s.log.Error("attach stream", "err", err)
					ww.Close(int(websocket.StatusTryAgainLater), "try again")
				}
				rcancel()
				return
			}
			// The hub writes on a goroutine of its own only while there is
			// something to write; when it ends the connection it closes the
			// socket, which ends the read loop below.
			s.cfg.Hub.Start(ctx, cn, cursors)
			conn = cn
		})
	}
	helloTimer := time.AfterFunc(helloWait, func() { start(nil) })
	defer helloTimer.Stop()

	// Heartbeat without a goroutine per idle connection: a timer fires a ping.
	var ping func()
	var timer *time.Timer
	var tmu sync.Mutex
	ping = func() {
		pctx, pcancel := context.WithTimeout(ctx, 15*time.Second)
		err := c.Ping(pctx)
		pcancel()
		if err != nil {
			rcancel()
			return
		}
		tmu.Lock()
		timer = time.AfterFunc(pingEvery, ping)
		tmu.Unlock()
	}
	tmu.Lock()
	timer = time.AfterFunc(pingEvery, ping)
	tmu.Unlock()
	defer func() {
		tmu.Lock()
		timer.Stop()
		tmu.Unlock()
	}()

	cctx := tack.WithCaller(ctx, caller)
	acks := &acker{}
	defer acks.close()
	first := true
	for {
		b, err := readFrame(rctx, c)
		if err != nil {
			var pe policyError
			if errors.As(err, &pe) {
				ww.Close(int(websocket.StatusPolicyViolation), string(pe))
			}
			helloTimer.Stop()
			once.Do(func() {}) // no start after this
			cancel()
			if conn != nil {
				<-conn.Done()
			}
			return
		}
		if first {
			first = false
			helloTimer.Stop()
			var hello clientFrame
			if json.Unmarshal(b, &hello) == nil && hello.Type == "hello" {
				start(hello.Cursors)
				continue
			}
			start(nil)
		}
		once.Do(func() {}) // wait for a start in progress on the timer
		if conn == nil {
			return // could not attach; the socket is closed
		}
		if acks.conn == nil {
			acks.conn = conn // before the acker goroutine can start
		}
		s.handleFrame(cctx, conn, acks, b)
	}
}

// maxPipelined is how many sends of one connection may wait for their
// commit at once; the connection's reads pause beyond it.
const maxPipelined = 64

// acker answers a connection's sends in the order they came, while the
// reading goroutine goes on to the next frame: a client with several sends
// in flight has them committed together instead of one commit each. Its
// goroutine starts with the first send, so idle connections have none.
type acker struct {
	conn *hub.Conn
	ch   chan ackJob
}

type ackJob struct {
	id string
	p  *chat.Pending
}

func (a *acker) add(id string, p *chat.Pending) {
	if a.ch == nil {
		a.ch = make(chan ackJob, maxPipelined)
		go a.run(a.ch)
	}
	a.ch <- ackJob{id: id, p: p}
}

func (a *acker) run(ch chan ackJob) {
	for j := range ch {
		m, _, err := j.p.Wait()
		if err != nil {
			a.conn.Reply(errFrame(j.id, err))
			continue
		}
		b, _ := json.Marshal(map[string]any{"type": "ack", "id": j.id, "message": m})
		a.conn.Reply(b)
	}
}

func (a *acker) close() {
	if a.ch != nil {
		close(a.ch)
	}
}

func (s *Server) handleFrame(ctx context.Context, conn *hub.Conn, acks *acker, b []byte) {
	var f clientFrame
	if err := json.Unmarshal(b, &f); err != nil {
		conn.Reply(errFrame("", tack.Invalid("frame", "malformed JSON")))
		return
	}
	switch f.Type {
	case "send":
		acks.add(f.ID, s.cfg.Chat.Queue(ctx, f.ConversationID, f.draft()))
	case "read":
		if _, err := s.cfg.Chat.MarkRead(ctx, f.ConversationID, f.Seq); err != nil {
			conn.Reply(errFrame(f.ID, err))
		}
	case "typing":
		if err := s.cfg.Chat.Typing(ctx, f.ConversationID); err != nil {
			conn.Reply(errFrame(f.ID, err))
		}
	case "ping":
		conn.Reply([]byte(`{"type":"pong"}`))
	default:
		conn.Reply(errFrame(f.ID, tack.Invalid("type", "unknown frame type %q", f.Type)))
	}
}

func errFrame(id string, err error) []byte {
	if tack.ErrorCode(err) == tack.EInternal {
		err = tack.Errorf(tack.EInternal, "internal error")
	}
	b, _ := json.Marshal(map[string]any{"type": "error", "id": id,
		"error": errorDetail{Code: tack.ErrorCode(err), Message: tack.ErrorMessage(err)}})
	return b
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
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
	// helloWait is how long a stream opened with ?hello=1 waits for the
	// client's hello before closing with 1008.
	helloWait = 10 * time.Second
	// maxFrameID bounds the "id" a client gives a frame (echoed in replies).
	maxFrameID = 128
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

// streamToken is the session token the upgrade request was authenticated
// with (authenticate has checked it), kept to re-check the session while
// the stream lives.
func streamToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		t, _ := strings.CutPrefix(h, "Bearer ")
		return strings.TrimSpace(t)
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}

// stream upgrades to a WebSocket and runs the connection: the hub writes,
// a goroutine of the connection reads client frames.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	caller, _ := tack.CallerFrom(r.Context())
	waitHello := false
	switch r.URL.Query().Get("hello") {
	case "", "0":
	case "1":
		waitHello = true
	default:
		return tack.Invalid("hello", "hello must be 1 (the client sends a hello first) or absent")
	}
	if err := s.cfg.Hub.CanAttach(caller.UserID); err != nil {
		return err
	}
	// The stream lives for hours: no read or write deadline of the HTTP
	// server may outlive the upgrade.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil // Accept has answered the client
	}
	c.SetReadLimit(-1) // readFrame enforces MaxFrame and closes with 1008
	// The connection is hijacked: serve it on a fresh goroutine and let the
	// HTTP handler return, so that an idle connection keeps neither the
	// request nor the deep stack its setup grew (a third of its memory).
	go s.serveStream(c, caller, streamToken(r), waitHello)
	return nil
}

// checkSession reports whether the stream's session still stands: a
// revocation anywhere, or an expiry, ends it.
func (s *Server) checkSession(ctx context.Context, token string, caller tack.Caller) error {
	sess, err := s.cfg.Accounts.Authenticate(ctx, token)
	if err != nil {
		return err
	}
	if sess.ID != caller.SessionID {
		return tack.Errorf(tack.EUnauthorized, "session signed out; sign in again")
	}
	return nil
}

// serveStream runs one stream: the hub writes, this goroutine reads.
//
// The connection is attached to the hub (and so bound to its session: a
// revocation closes it) before anything else. Without ?hello=1 it goes
// live at once, fresh; a hello that comes as the client's first frame then
// asks for what the client missed (Hub.Resume). With ?hello=1 the server
// waits for the hello and catches the client up from its cursors first.
func (s *Server) serveStream(c *websocket.Conn, caller tack.Caller, token string, waitHello bool) {
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

	conn, err := s.cfg.Hub.Attach(ctx, caller, ww)
	if err != nil {
		switch tack.ErrorCode(err) {
		case tack.EUnavailable:
			ww.Close(int(websocket.StatusGoingAway), "server shutting down")
		case tack.EUnauthorized:
			ww.Close(hub.CloseRevoked, "signed out")
		case tack.ERateLimited:
			ww.Close(int(websocket.StatusPolicyViolation), "too many streams")
		default:
			if s.ctx.Err() != nil {
				ww.Close(int(websocket.StatusGoingAway), "server shutting down")
			} else {
				s.log.Error("attach stream", "err", err)
				ww.Close(int(websocket.StatusTryAgainLater), "try again")
			}
		}
		return
	}
	// From here the hub closes the socket when the connection ends, which
	// ends the read loop below; and the connection ends when ctx does.
	started := !waitHello
	var helloTimer *time.Timer
	if started {
		s.cfg.Hub.Start(ctx, conn, nil)
	} else {
		helloTimer = time.AfterFunc(helloWait, func() { conn.Close(int(websocket.StatusPolicyViolation), "send a hello first") })
		defer helloTimer.Stop()
	}
	// end stops reading when the client is gone or broke the protocol;
	// closing waits for a close the hub has begun (the writer finishes the
	// write in progress, then closes with the code given).
	end := func() {
		cancel()
		<-conn.Done()
	}
	closing := func() { <-conn.Done() }

	// Heartbeat without a goroutine per idle connection: a timer fires a
	// ping, and re-checks the session (a revocation the bus lost, an expiry).
	pingEvery := s.cfg.StreamPing
	if pingEvery <= 0 {
		pingEvery = 30 * time.Second
	}
	var ping func()
	var timer *time.Timer
	var tmu sync.Mutex
	ping = func() {
		if err := s.checkSession(ctx, token, caller); tack.ErrorCode(err) == tack.EUnauthorized {
			conn.Close(hub.CloseRevoked, "signed out")
			return
		}
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
	acks := &acker{conn: conn}
	defer acks.close()
	first := true
	for {
		b, err := readFrame(rctx, c)
		if err != nil {
			var pe policyError
			if errors.As(err, &pe) {
				conn.Close(int(websocket.StatusPolicyViolation), string(pe))
				ww.Close(int(websocket.StatusPolicyViolation), string(pe))
			}
			end()
			return
		}
		// Every frame re-checks the session: nothing is done for a
		// session signed out, even if its revocation has not reached this
		// node's connections yet.
		if err := s.checkSession(cctx, token, caller); err != nil {
			if tack.ErrorCode(err) == tack.EUnauthorized {
				conn.Close(hub.CloseRevoked, "signed out")
				closing()
				return
			}
			if !conn.Reply(errFrame("", err)) {
				closing()
				return
			}
			continue
		}
		if first {
			first = false
			var hello clientFrame
			isHello := json.Unmarshal(b, &hello) == nil && hello.Type == "hello"
			cursors := hello.Cursors
			if isHello && cursors == nil {
				cursors = map[tack.ID]int64{}
			}
			if !started {
				helloTimer.Stop()
			}
			switch {
			case !started && isHello:
				started = true
				s.cfg.Hub.Start(ctx, conn, cursors)
				continue
			case !started:
				started = true
				s.cfg.Hub.Start(ctx, conn, map[tack.ID]int64{}) // fresh; the frame is handled below
			case isHello:
				s.cfg.Hub.Resume(conn, cursors) // late: send what the client missed
				continue
			default:
				s.cfg.Hub.Resume(conn, nil) // no hello: the client starts fresh
			}
		}
		if !s.handleFrame(cctx, conn, acks, b) {
			closing()
			return
		}
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

// handleFrame handles one client frame after the start. It reports false
// when the connection is closing (the client left too many replies unread,
// or it ended otherwise): stop reading then.
func (s *Server) handleFrame(ctx context.Context, conn *hub.Conn, acks *acker, b []byte) bool {
	var f clientFrame
	if err := json.Unmarshal(b, &f); err != nil {
		return conn.Reply(errFrame("", tack.Invalid("frame", "malformed JSON")))
	}
	if len(f.ID) > maxFrameID {
		return conn.Reply(errFrame("", tack.Invalid("id", "a frame id has at most %d characters", maxFrameID)))
	}
	switch f.Type {
	case "send":
		acks.add(f.ID, s.cfg.Chat.Queue(ctx, f.ConversationID, f.draft()))
	case "read":
		if _, err := s.cfg.Chat.MarkRead(ctx, f.ConversationID, f.Seq); err != nil {
			return conn.Reply(errFrame(f.ID, err))
		}
	case "typing":
		if err := s.cfg.Chat.Typing(ctx, f.ConversationID); err != nil {
			return conn.Reply(errFrame(f.ID, err))
		}
	case "ping":
		return conn.Reply([]byte(`{"type":"pong"}`))
	case "hello":
		return conn.Reply(errFrame(f.ID, tack.Invalid("type", "hello is the first frame of a stream, once")))
	default:
		return conn.Reply(errFrame(f.ID, tack.Invalid("type", "unknown frame type %q", f.Type)))
	}
	return true
}

func errFrame(id string, err error) []byte {
	if tack.ErrorCode(err) == tack.EInternal {
		err = tack.Errorf(tack.EInternal, "internal error")
	}
	b, _ := json.Marshal(map[string]any{"type": "error", "id": id,
		"error": errorDetail{Code: tack.ErrorCode(err), Message: tack.ErrorMessage(err)}})
	return b
}

package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
)

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

// The stream's WebSocket layer is lxzan/gws. An idle stream holds one
// reading goroutine with a small stack and a small read buffer and nothing
// else: frames are handled on a goroutine of their own, one at a time and
// in order (the reading goroutine waits meanwhile, so a client cannot run
// ahead of its handling), so the deep stack of handling a frame is never
// kept by an idle connection; writes use pooled buffers, so there is no
// write buffer per connection. (coder/websocket held a reading goroutine
// grown by handling, plus a 4 KB bufio reader and writer per connection.)
const (
	// streamReadBuffer is the read buffer of a stream. It holds a frame's
	// header and a small frame (a read mark, typing: under 128 bytes) in
	// one read; the rest of a larger frame is read straight into gws's
	// pooled payload buffer, so a send costs one more read call. Every idle
	// stream keeps this buffer: 128 bytes instead of 512.
	streamReadBuffer = 128
	// closeWait is how long a close waits for the client's answering close
	// frame before the TCP connection is dropped; also the time a close
	// frame may take to be written.
	closeWait = 5 * time.Second
)

var streamUpgrader = gws.NewUpgrader(streamEvents{}, &gws.ServerOption{
	ParallelEnabled: true, // handle frames off the reading goroutine...
	ParallelGolimit: 1,    // ...one at a time, in order
	// A frame over MaxFrame is refused with 1008 by the stream itself;
	// gws refuses one over twice that (1009) without reading it.
	ReadMaxPayloadSize: 2 * MaxFrame,
	ReadBufferSize:     streamReadBuffer,
	NewSession:         func() gws.SessionStorage { return &streamSession{} },
})

// stream upgrades to a WebSocket and runs the connection: the hub writes,
// the socket's reading goroutine hands client frames to wsStream.frame.
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
	if err := checkUpgrade(r); err != nil {
		return err
	}
	if err := s.cfg.Hub.CanAttach(caller.UserID); err != nil {
		return err
	}
	// The stream lives for hours: no read or write deadline of the HTTP
	// server may outlive the upgrade.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	netConn, brw, err := rc.Hijack()
	if err != nil {
		return fmt.Errorf("stream: hijack: %w", err)
	}
	// The HTTP server's 4 KB reader is dropped for a small one; what it
	// had read ahead (nothing, from a client that waits for the upgrade)
	// is read first.
	var br *bufio.Reader
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), netConn), streamReadBuffer)
	} else {
		br = bufio.NewReaderSize(netConn, streamReadBuffer)
	}
	gc, err := streamUpgrader.UpgradeFromConn(netConn, br, r)
	if err != nil {
		return nil // gws has answered 400 and closed the connection
	}
	ws := &wsStream{s: s, gc: gc, caller: caller, token: streamToken(r), first: true, wslot: -1}
	gc.Session().(*streamSession).ws = ws
	// The connection is set up on the request's goroutine, whose deep
	// stack ends with it; the socket is read on a fresh goroutine, which
	// keeps neither the request nor that stack.
	ws.open(waitHello)
	go gc.ReadLoop()
	return nil
}

// checkUpgrade refuses, before the connection is taken over, a request
// that is not a WebSocket upgrade (400) or comes from a page of another
// origin (403): a browser sends the session cookie with any page's
// WebSocket, so only this server's own pages may open a stream.
func checkUpgrade(r *http.Request) error {
	if !headerHasToken(r.Header, "Connection", "upgrade") || !headerHasToken(r.Header, "Upgrade", "websocket") {
		return tack.Invalid("upgrade", "the stream is a WebSocket: send Connection: Upgrade and Upgrade: websocket")
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return tack.Invalid("sec-websocket-version", "WebSocket version 13 only")
	}
	if r.Header.Get("Sec-WebSocket-Key") == "" {
		return tack.Invalid("sec-websocket-key", "the WebSocket key is missing")
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
			return tack.Errorf(tack.EForbidden, "a stream may only be opened from this server's own pages (Origin %q)", origin)
		}
	}
	return nil
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// streamSession links a gws socket to its stream (gws's own session is a
// map per connection; this is one pointer).
type streamSession struct{ ws *wsStream }

func (*streamSession) Len() int                     { return 0 }
func (*streamSession) Load(string) (any, bool)      { return nil, false }
func (*streamSession) Delete(string)                {}
func (*streamSession) Store(string, any)            {}
func (*streamSession) Range(func(string, any) bool) {}

// streamEvents hands a socket's events to its stream.
type streamEvents struct{}

func streamOf(c *gws.Conn) *wsStream { return c.Session().(*streamSession).ws }

func (streamEvents) OnOpen(*gws.Conn) {}

func (streamEvents) OnClose(c *gws.Conn, _ error) { streamOf(c).readEnded() }

func (streamEvents) OnPing(c *gws.Conn, payload []byte) {
	ws := streamOf(c)
	ws.alive.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	_ = ws.write(ctx, gws.OpcodePong, payload, 0)
	cancel()
}

func (streamEvents) OnPong(c *gws.Conn, _ []byte) { streamOf(c).alive.Store(true) }

func (streamEvents) OnMessage(c *gws.Conn, m *gws.Message) {
	defer m.Close()
	streamOf(c).frame(m.Opcode, m.Bytes())
}

// wsStream is one stream: the hub's Writer for its socket, and the state
// of reading the client's frames.
type wsStream struct {
	s      *Server
	gc     *gws.Conn
	caller tack.Caller
	token  string
	sctx   streamCtx // the connection's context (ctx): until the client leaves or the server shuts down
	conn   *hub.Conn // nil if Attach refused the stream

	// wmu serialises writes, so that each has its own write deadline.
	wmu sync.Mutex
	// dmu guards the deadline of the write in progress against a context
	// cancelled as it ends.
	dmu     sync.Mutex
	writing uint64 // the number of the write in progress, 0 if none
	wseq    uint64
	wdl     int64 // the socket's write deadline as WriteWithin set it (Unix ns), 0 if none or another (under dmu)
	// cmu guards the close timer, gone, and the heartbeat's pinged.
	cmu    sync.Mutex
	ctimer *time.Timer // drops the TCP connection closeWait after a close

	// Heartbeat: the server's ping wheel (pinger), no timer of its own.
	// In the wheel (under pinger.mu): the slot's list, the slot (-1: not
	// in the wheel), a ping in flight (pinging).
	wnext, wprev *wsStream

	// The read side: frames are handled one at a time (rmu).
	rmu        sync.Mutex
	helloTimer *time.Timer // nil once stopped
	acks       acker

	// The small fields together (the struct fits a 240-byte size class).
	alive   atomic.Bool // a frame or a pong came since the last ping
	wslot   int32
	closed  bool // a close frame was written (under wmu)
	gone    bool // the reading goroutine has ended (under cmu)
	pinged  bool // a ping went out and no frame nor pong came since (under cmu)
	pinging bool // under pinger.mu
	done    bool // handle no more frames (under rmu)
	started bool // under rmu
	first   bool // under rmu
}

// ctx is the connection's context.
func (ws *wsStream) ctx() context.Context { return &ws.sctx }

// Write writes one frame; it gives up when ctx ends.
func (ws *wsStream) Write(ctx context.Context, frame []byte) error {
	return ws.write(ctx, gws.OpcodeText, frame, 0)
}

var _ hub.TimedWriter = (*wsStream)(nil)

// WriteWithin writes one frame; it gives up when ctx ends, or when the
// frame is not written within d. The socket's deadline moves only when it
// has come nearer than d*7/8 (so at most every d/8), not twice for every
// frame: each move costs the runtime's poller a timer update.
func (ws *wsStream) WriteWithin(ctx context.Context, frame []byte, d time.Duration) error {
	return ws.write(ctx, gws.OpcodeText, frame, d)
}

// write writes one frame, giving up when ctx ends and, with within > 0,
// at the socket deadline that WriteWithin keeps (see there), else at
// ctx's deadline.
func (ws *wsStream) write(ctx context.Context, op gws.Opcode, payload []byte, within time.Duration) error {
	ws.wmu.Lock()
	defer ws.wmu.Unlock()
	if ws.closed {
		return net.ErrClosed
	}
	ws.dmu.Lock()
	if within > 0 {
		if dl, move := moveDeadline(ws.wdl, time.Now().UnixNano(), within); move {
			ws.wdl = dl
			_ = ws.gc.SetWriteDeadline(time.Unix(0, dl))
		}
	} else {
		dl, _ := ctx.Deadline() // zero: none
		_ = ws.gc.SetWriteDeadline(dl)
		ws.wdl = 0 // reset to none below
	}
	ws.wseq++
	n := ws.wseq
	ws.writing = n
	own := ctx == ws.ctx()
	if own && ws.sctx.ended.Load() {
		ws.writing = 0
		ws.dmu.Unlock()
		return context.Canceled
	}
	ws.dmu.Unlock()
	// The stream's own context (the hub's writes) needs no AfterFunc per
	// frame: end fails the write in progress.
	stop := func() bool { return false }
	if !own {
		stop = context.AfterFunc(ctx, func() {
			ws.dmu.Lock()
			if ws.writing == n { // still this write: make it fail now
				ws.failWrite()
			}
			ws.dmu.Unlock()
		})
	}
	err := ws.gc.WriteMessage(op, payload)
	stop()
	ws.dmu.Lock()
	ws.writing = 0
	if within == 0 {
		_ = ws.gc.SetWriteDeadline(time.Time{})
	}
	ws.dmu.Unlock()
	return err
}

// moveDeadline returns the write deadline (Unix ns) for a write at now
// that must end within d, given the deadline cur set before (0: none), and
// whether it differs from cur: cur is kept while it is at least d*7/8
// away.
func moveDeadline(cur, now int64, d time.Duration) (int64, bool) {
	if cur != 0 && cur-now >= int64(d)/8*7 {
		return cur, false
	}
	return now + int64(d), true
}

// failWrite makes the write in progress fail now; under dmu.
func (ws *wsStream) failWrite() {
	_ = ws.gc.SetWriteDeadline(time.Unix(1, 0))
	ws.wdl = 0 // the next WriteWithin sets it again
}

// end ends the stream's context, and fails a write in progress bound to
// it (a client that stopped reading does not hold the writer for the rest
// of its deadline).
func (ws *wsStream) end() {
	ws.sctx.cancel()
	ws.dmu.Lock()
	if ws.writing != 0 {
		ws.failWrite()
	}
	ws.dmu.Unlock()
}

// Close writes a close frame with code and reason, once. The client's
// answering close ends the reading goroutine, which closes the TCP
// connection; a client that does not answer within closeWait has it
// dropped.
func (ws *wsStream) Close(code int, reason string) {
	ws.wmu.Lock()
	if ws.closed {
		ws.wmu.Unlock()
		return
	}
	ws.closed = true
	if len(reason) > 123 {
		reason = reason[:123]
	}
	payload := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code))
	payload = append(payload, reason...)
	_ = ws.gc.SetWriteDeadline(time.Now().Add(closeWait))
	if ws.gc.WriteMessage(gws.OpcodeCloseConnection, payload) == nil {
		// Half-close: the client reads everything sent, then the end;
		// the socket is dropped only once it has answered or after
		// closeWait (a socket closed with unread input sends a reset,
		// which would lose what is still unsent).
		if cw, ok := ws.gc.NetConn().(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
	}
	_ = ws.gc.SetWriteDeadline(time.Time{})
	ws.wmu.Unlock()
	ws.cmu.Lock()
	if !ws.gone {
		ws.ctimer = time.AfterFunc(closeWait, func() { _ = ws.gc.NetConn().Close() })
	}
	ws.cmu.Unlock()
}

// open attaches the stream to the hub (binding it to its session: a
// revocation closes it) before anything else. Without ?hello=1 it goes
// live at once, fresh; a hello that comes as the client's first frame then
// asks for what the client missed (Hub.Resume). With ?hello=1 the server
// waits for the hello and catches the client up from its cursors first.
func (ws *wsStream) open(waitHello bool) {
	s := ws.s
	// The connection's context is not a child of the server's: the
	// server's shutdown reaches its streams through the ping wheel, which
	// knows them all (a child registered on the server's context, and an
	// AfterFunc watching it, cost every stream a few hundred bytes).
	ws.sctx.init()
	if s.ctx.Err() != nil {
		ws.done = true
		ws.shutdown()
		return
	}
	conn, err := s.cfg.Hub.Attach(ws.ctx(), ws.caller, ws)
	if err != nil {
		ws.done = true // read nothing: wait for the client's close
		switch tack.ErrorCode(err) {
		case tack.EUnavailable:
			ws.Close(hub.CloseGoingAway, "server shutting down")
		case tack.EUnauthorized:
			ws.Close(hub.CloseRevoked, "signed out")
		case tack.ERateLimited:
			ws.Close(hub.ClosePolicy, "too many streams")
		default:
			if s.ctx.Err() != nil {
				ws.Close(hub.CloseGoingAway, "server shutting down")
			} else {
				s.log.Error("attach stream", "err", err)
				ws.Close(1013, "try again")
			}
		}
		return
	}
	// From here the hub closes the socket when the connection ends, and
	// the connection ends when ws.ctx() does (the reading goroutine ending
	// cancels it).
	ws.conn = conn
	ws.acks.conn = conn
	if !s.streams().add(ws) {
		ws.shutdown() // the server is shutting down
	}
	ws.started = !waitHello
	if ws.started {
		s.cfg.Hub.Start(ws.ctx(), conn, nil)
	} else {
		ws.helloTimer = time.AfterFunc(helloWait, func() { conn.Close(hub.ClosePolicy, "send a hello first") })
	}
}

// shutdown closes the stream for the server's shutdown.
func (ws *wsStream) shutdown() {
	ws.Close(hub.CloseGoingAway, "server shutting down")
	ws.end()
}

// ping re-checks the session (a revocation the bus lost, an expiry) and
// pings the client; a client that answered nothing since the last ping is
// dropped. The ping wheel calls it, on a goroutine of its own.
func (ws *wsStream) ping() {
	defer ws.s.wheel.pingDone(ws)
	if err := ws.s.checkSession(ws.ctx(), ws.token, ws.caller); tack.ErrorCode(err) == tack.EUnauthorized {
		ws.conn.Close(hub.CloseRevoked, "signed out")
		return
	}
	ws.cmu.Lock()
	dead := ws.pinged && !ws.alive.Swap(false)
	ws.pinged = true
	ws.cmu.Unlock()
	if dead {
		_ = ws.gc.NetConn().Close() // ends the reading goroutine, and so the stream
		return
	}
	pctx, cancel := context.WithTimeout(ws.ctx(), 15*time.Second)
	err := ws.write(pctx, gws.OpcodePing, nil, 0)
	cancel()
	if err != nil {
		_ = ws.gc.NetConn().Close()
	}
}

// readEnded is called once the socket's reading goroutine has ended (the
// client left or closed, broke the protocol, or the socket was dropped):
// it ends the stream.
func (ws *wsStream) readEnded() {
	ws.end()            // the hub ends the connection
	if ws.conn != nil { // open put it in the wheel (before this goroutine started)
		ws.s.wheel.remove(ws)
	}
	ws.cmu.Lock()
	ws.gone = true
	if ws.ctimer != nil {
		ws.ctimer.Stop()
	}
	ws.cmu.Unlock()
	ws.rmu.Lock() // a frame being handled ends first
	ws.done = true
	if ws.helloTimer != nil {
		ws.helloTimer.Stop()
	}
	ws.acks.close()
	ws.rmu.Unlock()
}

// policy closes the stream for breaking a limit of the protocol.
func (ws *wsStream) policy(reason string) {
	ws.done = true
	ws.conn.Close(hub.ClosePolicy, reason)
	ws.Close(hub.ClosePolicy, reason)
}

// frame handles one client frame; frames come one at a time, in order,
// and the socket is not read meanwhile.
func (ws *wsStream) frame(op gws.Opcode, data []byte) {
	ws.rmu.Lock()
	defer ws.rmu.Unlock()
	if ws.done {
		return // closing: what the client still sends is dropped
	}
	ws.handle(op, data)
	if ws.done && ws.conn != nil {
		// The connection is closing: read nothing more until the hub has
		// written what it had and the close frame, so that a client that
		// floods does not keep writing while it should read its answers.
		<-ws.conn.Done()
	}
}

func (ws *wsStream) handle(op gws.Opcode, data []byte) {
	ws.alive.Store(true)
	if op != gws.OpcodeText {
		ws.policy("send text frames of JSON")
		return
	}
	if len(data) > MaxFrame {
		ws.policy("frame larger than 64 KiB")
		return
	}
	b := bytes.Clone(data) // gws reuses its buffer
	s, conn := ws.s, ws.conn
	cctx := tack.WithCaller(ws.ctx(), ws.caller)
	// Every frame re-checks the session: nothing is done for a session
	// signed out, even if its revocation has not reached this node's
	// connections yet.
	if err := s.checkSession(cctx, ws.token, ws.caller); err != nil {
		if tack.ErrorCode(err) == tack.EUnauthorized {
			ws.done = true
			conn.Close(hub.CloseRevoked, "signed out")
			return
		}
		if !conn.Reply(errFrame("", err)) {
			ws.done = true
		}
		return
	}
	if ws.first {
		ws.first = false
		var hello clientFrame
		isHello := json.Unmarshal(b, &hello) == nil && hello.Type == "hello"
		cursors := hello.Cursors
		if isHello && cursors == nil {
			cursors = map[tack.ID]int64{}
		}
		if !ws.started {
			ws.helloTimer.Stop()
			ws.helloTimer = nil // kept, it would be 200-odd bytes for the stream's life
		}
		switch {
		case !ws.started && isHello:
			ws.started = true
			s.cfg.Hub.Start(ws.ctx(), conn, cursors)
			return
		case !ws.started:
			ws.started = true
			s.cfg.Hub.Start(ws.ctx(), conn, map[tack.ID]int64{}) // fresh; the frame is handled below
		case isHello:
			s.cfg.Hub.Resume(conn, cursors) // late: send what the client missed
			return
		default:
			s.cfg.Hub.Resume(conn, nil) // no hello: the client starts fresh
		}
	}
	if !s.handleFrame(cctx, conn, &ws.acks, b) {
		ws.done = true // the connection is closing
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
		b, _ := json.Marshal(ackFrame{ID: j.id, Message: &m, Type: "ack"})
		a.conn.Reply(b)
	}
}

// ackFrame is a send's answer, {"id":...,"message":...,"type":"ack"}: a
// struct, which encodes faster than a map (its keys in the order the map's
// were, sorted).
type ackFrame struct {
	ID      string        `json:"id"`
	Message *chat.Message `json:"message"`
	Type    string        `json:"type"`
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

// streams returns the server's ping wheel, started with the first stream;
// it turns until the server shuts down, then closes the streams it holds.
func (s *Server) streams() *pinger {
	s.wheelOnce.Do(func() {
		tick, slots := wheelShape(s.pingEvery())
		s.wheel = newPinger(slots)
		go s.turnWheel(tick)
	})
	return s.wheel
}

func (s *Server) turnWheel(tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.wheel.tick((*wsStream).ping)
		case <-s.ctx.Done():
			for _, ws := range s.wheel.shutdown() {
				go ws.shutdown()
			}
			return
		}
	}
}

// pingEvery is how often a quiet stream is pinged (Config.StreamPing).
func (s *Server) pingEvery() time.Duration {
	if s.cfg.StreamPing > 0 {
		return s.cfg.StreamPing
	}
	return 30 * time.Second
}

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// ConnSpec is one simulated client: a signed-in user watching one
// conversation.
type ConnSpec struct {
	User   string `json:"user"`
	Token  string `json:"token"`
	Conv   string `json:"conv"`
	Sender bool   `json:"sender,omitempty"`
	// Keep: not dropped by the drop op (the reconnect scenario's feeder).
	Keep bool `json:"keep,omitempty"`
}

// conn is one WebSocket client of the load generator. Its reader goroutine
// parses frames without a full JSON decode for messages (the hot path) and
// keeps per-connection counters, which the part collects.
type conn struct {
	spec ConnSpec
	part *part
	idx  int

	wsMu sync.Mutex
	ws   *websocket.Conn
	wmu  sync.Mutex // serialises writes

	synced chan struct{}
	closed chan struct{}
	window atomic.Pointer[chan struct{}] // send tokens, released on echo or error

	mu sync.Mutex
	st connStats
	// high is the highest seq seen in spec.Conv; cursor the highest mod.
	high, cursor int64
	// arm: when high first reaches target, reachedAt is set.
	target    int64
	reachedAt int64
	// receipts: read events from others covering readTarget.
	readTarget  int64
	readCovered int64
	readLastAt  int64
	// per-seq receipts tracking on the sender (receipts scenario).
	trackReceipts bool
	receipts      map[int64]*receipt
	closeCode     int
}

type receipt struct {
	sentAt int64
	n      int
}

type connStats struct {
	Delivered   int64 // messages from others in the watched conversation
	InWindow    int64 // ... received before the phase ended
	Echoes      int64 // own messages coming back
	Unique      int64 // all new seqs of the watched conversation
	Dups, Gaps  int64
	Acked       int64
	Errors      int64
	ErrCodes    map[string]int64
	ReadEvents  int64
	Frames      int64
	Latency     Hist // send -> delivered to another member
	AckLatency  Hist // send -> ack
	ReceiptTime Hist // send -> every other member has read it (sender only)
	Sent        int64
}

func (s *connStats) merge(o *connStats) {
	s.Delivered += o.Delivered
	s.InWindow += o.InWindow
	s.Echoes += o.Echoes
	s.Unique += o.Unique
	s.Dups += o.Dups
	s.Gaps += o.Gaps
	s.Acked += o.Acked
	s.Errors += o.Errors
	s.ReadEvents += o.ReadEvents
	s.Frames += o.Frames
	s.Sent += o.Sent
	for k, v := range o.ErrCodes {
		if s.ErrCodes == nil {
			s.ErrCodes = map[string]int64{}
		}
		s.ErrCodes[k] += v
	}
	s.Latency.Merge(&o.Latency)
	s.AckLatency.Merge(&o.AckLatency)
	s.ReceiptTime.Merge(&o.ReceiptTime)
}

// dialer returns an HTTP client whose connections start from source (an
// address on the loopback range, e.g. 127.0.0.3) so that many thousands of
// connections do not exhaust one address's ephemeral ports.
func httpClientFrom(source string) *http.Client {
	d := &net.Dialer{Timeout: 30 * time.Second}
	if source != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(source)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: false}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

var errClosedBeforeSync = errors.New("closed before synced")

// dial connects, says hello with the cursor of the watched conversation (if
// known) and starts the reader. It returns once "synced" arrives.
func (c *conn) dial(ctx context.Context, server string, hc *http.Client) error {
	u := strings.Replace(server, "http", "ws", 1) + "/api/v1/stream?hello=1" // catch up from the hello first
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.spec.Token)
	ws, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h, HTTPClient: hc})
	if err != nil {
		return err
	}
	ws.SetReadLimit(64 << 20)
	c.mu.Lock()
	cursors := map[string]int64{}
	if c.cursor > 0 && c.spec.Conv != "" {
		cursors[c.spec.Conv] = c.cursor
	}
	c.closeCode = 0
	c.mu.Unlock()
	hello, _ := json.Marshal(map[string]any{"type": "hello", "cursors": cursors})
	c.synced = make(chan struct{})
	c.closed = make(chan struct{})
	c.wsMu.Lock()
	c.ws = ws
	c.wsMu.Unlock()
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		ws.CloseNow()
		return err
	}
	go c.read(ws, c.synced, c.closed)
	select {
	case <-c.synced:
		return nil
	case <-c.closed:
		return errClosedBeforeSync
	case <-ctx.Done():
		ws.CloseNow()
		return ctx.Err()
	}
}

func (c *conn) write(ctx context.Context, b []byte) error {
	c.wsMu.Lock()
	ws := c.ws
	c.wsMu.Unlock()
	if ws == nil {
		return errors.New("not connected")
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return ws.Write(ctx, websocket.MessageText, b)
}

func (c *conn) closeNow() {
	c.wsMu.Lock()
	ws := c.ws
	c.ws = nil
	c.wsMu.Unlock()
	if ws != nil {
		ws.CloseNow()
		<-c.closed
	}
}

func (c *conn) read(ws *websocket.Conn, synced, closed chan struct{}) {
	defer close(closed)
	ctx := context.Background()
	didSync := false
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			c.mu.Lock()
			if errors.As(err, &ce) {
				c.closeCode = int(ce.Code)
			} else {
				c.closeCode = -1
			}
			c.mu.Unlock()
			return
		}
		now := time.Now().UnixNano()
		c.mu.Lock()
		c.st.Frames++
		c.mu.Unlock()
		for len(b) > 0 {
			line := b
			if i := bytes.IndexByte(b, '\n'); i >= 0 {
				line, b = b[:i], b[i+1:]
			} else {
				b = nil
			}
			if len(line) == 0 {
				continue
			}
			if c.handle(line, now) && !didSync {
				didSync = true
				close(synced)
			}
		}
	}
}

var msgPrefix = []byte(`{"type":"message","message":{`)

// handle processes one event; it reports whether it was "synced".
func (c *conn) handle(line []byte, now int64) bool {
	if bytes.HasPrefix(line, msgPrefix) {
		m := parseMessage(line[len(msgPrefix)-1:])
		c.onMessage(m, now)
		return false
	}
	var e struct {
		Type           string           `json:"type"`
		ID             string           `json:"id"`
		ConversationID string           `json:"conversation_id"`
		UserID         string           `json:"user_id"`
		Seq            int64            `json:"seq"`
		PrevSeq        int64            `json:"prev_seq"`
		Message        *json.RawMessage `json:"message"`
		Conversation   *struct {
			ID      string `json:"id"`
			LastSeq int64  `json:"last_seq"`
			LastMod int64  `json:"last_mod"`
		} `json:"conversation"`
		Error *struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(line, &e); err != nil {
		return false
	}
	switch e.Type {
	case "synced":
		return true
	case "conversation":
		if e.Conversation != nil && e.Conversation.ID == c.spec.Conv {
			c.mu.Lock()
			if c.cursor == 0 {
				c.cursor = e.Conversation.LastMod
				c.high = e.Conversation.LastSeq
			}
			c.mu.Unlock()
		}
	case "ack":
		var m parsedMsg
		if e.Message != nil {
			m = parseMessage(*e.Message)
		}
		c.mu.Lock()
		c.st.Acked++
		if m.sentAt > 0 {
			c.st.AckLatency.AddUS((now - m.sentAt) / 1000)
			if c.trackReceipts && c.receipts != nil {
				if r, ok := c.receipts[m.seq]; ok {
					r.sentAt = m.sentAt
				} else {
					c.receipts[m.seq] = &receipt{sentAt: m.sentAt}
				}
			}
		}
		c.mu.Unlock()
		if c.part != nil {
			c.part.acked.Add(1)
		}
	case "error":
		code := "unknown"
		if e.Error != nil {
			code = e.Error.Code
		}
		c.mu.Lock()
		c.st.Errors++
		if c.st.ErrCodes == nil {
			c.st.ErrCodes = map[string]int64{}
		}
		c.st.ErrCodes[code]++
		c.mu.Unlock()
		c.release()
		if c.part != nil {
			c.part.acked.Add(1)
		}
	case "read":
		c.mu.Lock()
		c.st.ReadEvents++
		if e.ConversationID == c.spec.Conv && e.UserID != c.spec.User {
			if c.readTarget > 0 && e.PrevSeq < c.readTarget && e.Seq >= c.readTarget {
				c.readCovered++
				c.readLastAt = now
			}
			if c.trackReceipts {
				for s := e.PrevSeq + 1; s <= e.Seq; s++ {
					r := c.receipts[s]
					if r == nil {
						r = &receipt{}
						c.receipts[s] = r
					}
					r.n++
					if r.n == c.part.op.Readers && r.sentAt > 0 {
						c.st.ReceiptTime.AddUS((now - r.sentAt) / 1000)
						delete(c.receipts, s)
					}
				}
			}
		}
		c.mu.Unlock()
	}
	return false
}

// win is the current phase's send window.
func (c *conn) win() chan struct{} {
	if p := c.window.Load(); p != nil {
		return *p
	}
	return nil
}

func (c *conn) release() {
	select {
	case <-c.win():
	default:
	}
}

func (c *conn) onMessage(m parsedMsg, now int64) {
	if m.conv != c.spec.Conv {
		return
	}
	own := m.sender == c.spec.User
	autoRead := false
	c.mu.Lock()
	switch {
	case m.seq <= c.high:
		c.st.Dups++
	default:
		if m.seq > c.high+1 && c.high > 0 {
			c.st.Gaps += m.seq - c.high - 1
		}
		c.high = m.seq
		c.st.Unique++
		if own {
			c.st.Echoes++
		} else if m.sentAt > 0 {
			c.st.Delivered++
			if p := c.part; p != nil && now <= p.windowEnd.Load() {
				c.st.InWindow++
			}
			c.st.Latency.AddUS((now - m.sentAt) / 1000)
			autoRead = c.part != nil && c.part.autoRead.Load()
		}
		if c.target > 0 && c.reachedAt == 0 && c.high >= c.target {
			c.reachedAt = now
		}
	}
	if m.mod > c.cursor {
		c.cursor = m.mod
	}
	c.mu.Unlock()
	if own {
		c.release()
	}
	if autoRead {
		b := []byte(`{"type":"read","conversation_id":"` + m.conv + `","seq":` + strconv.FormatInt(m.seq, 10) + `}`)
		go func() { _ = c.write(context.Background(), b) }()
	}
}

type parsedMsg struct {
	conv, sender string
	seq, mod     int64
	sentAt       int64 // unix nanos from a bench text, else 0
}

// parseMessage reads the few fields the load generator needs from a
// message object as chat.Message marshals it, without a full decode.
func parseMessage(b []byte) parsedMsg {
	var m parsedMsg
	m.conv = strField(b, `"conversation_id":"`)
	m.sender = strField(b, `"sender_id":"`)
	m.seq = intField(b, `"seq":`)
	m.mod = intField(b, `"mod":`)
	if t := strField(b, `"text":"`); strings.HasPrefix(t, "bench ") {
		rest := t[6:]
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			rest = rest[:i]
		}
		m.sentAt, _ = strconv.ParseInt(rest, 10, 64)
	}
	return m
}

func strField(b []byte, key string) string {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return ""
	}
	b = b[i+len(key):]
	j := bytes.IndexByte(b, '"')
	if j < 0 {
		return ""
	}
	return string(b[:j])
}

func intField(b []byte, key string) int64 {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0
	}
	b = b[i+len(key):]
	var n int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			break
		}
		n = n*10 + int64(ch-'0')
	}
	return n
}

// sendFrame is a send over the stream whose text carries the send time.
func sendFrame(id int64, conv, clientID string, now int64, pad string) []byte {
	var sb strings.Builder
	sb.Grow(160 + len(pad))
	sb.WriteString(`{"type":"send","id":"`)
	sb.WriteString(strconv.FormatInt(id, 10))
	sb.WriteString(`","conversation_id":"`)
	sb.WriteString(conv)
	sb.WriteString(`","client_id":"`)
	sb.WriteString(clientID)
	sb.WriteString(`","text":"bench `)
	sb.WriteString(strconv.FormatInt(now, 10))
	sb.WriteString(" ")
	sb.WriteString(pad)
	sb.WriteString(`"}`)
	return []byte(sb.String())
}

var _ = atomic.Int64{}

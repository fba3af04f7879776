package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// FanoutServer is the floor for the stream scenarios: the same WebSocket
// library (coder/websocket, compression off) and the same per-connection
// queue-and-batch design as Tack's hub, speaking the subset of Tack's
// stream protocol the load generator uses, and storing nothing. Sequence
// numbers are counted in memory. The bearer token is "user|conv,conv".
type FanoutServer struct {
	mu    sync.RWMutex
	rooms map[string]*room
}

type room struct {
	mu    sync.Mutex
	seq   int64
	conns map[*fconn]struct{}
}

type fconn struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	pending [][]byte
	notify  chan struct{}
}

func (c *fconn) push(b []byte) {
	c.mu.Lock()
	c.pending = append(c.pending, b)
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *fconn) writeLoop(ctx context.Context) {
	var buf []byte
	for {
		c.mu.Lock()
		take := c.pending
		c.pending = nil
		c.mu.Unlock()
		if len(take) == 0 {
			select {
			case <-c.notify:
				continue
			case <-ctx.Done():
				return
			}
		}
		for len(take) > 0 {
			n := min(len(take), 128)
			buf = buf[:0]
			for i, f := range take[:n] {
				if i > 0 {
					buf = append(buf, '\n')
				}
				buf = append(buf, f...)
			}
			take = take[n:]
			if err := c.ws.Write(ctx, websocket.MessageText, buf); err != nil {
				return
			}
		}
	}
}

// NewFanoutServer returns an empty fan-out server.
func NewFanoutServer() *FanoutServer { return &FanoutServer{rooms: map[string]*room{}} }

func (s *FanoutServer) room(id string) *room {
	s.mu.RLock()
	r := s.rooms[id]
	s.mu.RUnlock()
	if r != nil {
		return r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r = s.rooms[id]; r == nil {
		r = &room{conns: map[*fconn]struct{}{}}
		s.rooms[id] = r
	}
	return r
}

func (s *FanoutServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	userID, convs, _ := strings.Cut(tok, "|")
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ws.SetReadLimit(64 << 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &fconn{ws: ws, notify: make(chan struct{}, 1)}
	if _, _, err := ws.Read(ctx); err != nil { // hello
		return
	}
	var rooms []*room
	for _, id := range strings.Split(convs, ",") {
		if id == "" {
			continue
		}
		rm := s.room(id)
		rm.mu.Lock()
		rm.conns[c] = struct{}{}
		rm.mu.Unlock()
		rooms = append(rooms, rm)
	}
	defer func() {
		for _, rm := range rooms {
			rm.mu.Lock()
			delete(rm.conns, c)
			rm.mu.Unlock()
		}
	}()
	c.push([]byte(`{"type":"hello","user_id":"` + userID + `"}`))
	c.push([]byte(`{"type":"synced"}`))
	go c.writeLoop(ctx)
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var f struct {
			Type           string `json:"type"`
			ID             string `json:"id"`
			ConversationID string `json:"conversation_id"`
			ClientID       string `json:"client_id"`
			Text           string `json:"text"`
		}
		if json.Unmarshal(b, &f) != nil || f.Type != "send" {
			continue
		}
		rm := s.room(f.ConversationID)
		now := time.Now().UTC()
		rm.mu.Lock()
		rm.seq++
		msg, _ := json.Marshal(struct {
			ConversationID string    `json:"conversation_id"`
			Seq            int64     `json:"seq"`
			Mod            int64     `json:"mod"`
			ClientID       string    `json:"client_id"`
			SenderID       string    `json:"sender_id"`
			Kind           string    `json:"kind"`
			Text           string    `json:"text"`
			CreatedAt      time.Time `json:"created_at"`
		}{f.ConversationID, rm.seq, rm.seq, f.ClientID, userID, "text", f.Text, now})
		frame := append(append([]byte(`{"type":"message","message":`), msg...), '}')
		for o := range rm.conns {
			o.push(frame)
		}
		rm.mu.Unlock()
		c.push(append(append([]byte(`{"id":"`+f.ID+`","message":`), msg...), []byte(`,"type":"ack"}`)...))
	}
}

// ServeFanout listens on addr and serves the fan-out baseline until ctx
// ends, printing "listening on http://ADDR" like tack serve.
func ServeFanout(ctx context.Context, addr string, ready func(url string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: NewFanoutServer()}
	ready("http://" + ln.Addr().String())
	go func() { <-ctx.Done(); srv.Close() }()
	err = srv.Serve(ln)
	if err == http.ErrServerClosed {
		err = nil
	}
	return err
}

// SQLiteFloor is a bare insert loop with Tack's durability (WAL,
// synchronous=NORMAL, one writer, one transaction per batch) into a table
// shaped like Tack's messages, with the same keys: the floor for storing
// messages. It reports rows per second for each batch size.
func SQLiteFloor(ctx context.Context, dir string, batch int, d time.Duration) (float64, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	path := filepath.Join(dir, fmt.Sprintf("floor-%d.db", batch))
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range []string{
		`CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL DEFAULT 0)`,
		`CREATE TABLE IF NOT EXISTS messages (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, sender_id TEXT NOT NULL,
			client_id TEXT, text TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (conversation_id, seq)) WITHOUT ROWID`,
		`CREATE UNIQUE INDEX IF NOT EXISTS messages_client ON messages (sender_id, client_id)`,
	} {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return 0, err
		}
	}
	const convs = 1000
	for i := 0; i < convs; i++ {
		if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO conversations (id) VALUES (?)`, fmt.Sprintf("c%015d", i)); err != nil {
			return 0, err
		}
	}
	bump, err := db.PrepareContext(ctx, `UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`)
	if err != nil {
		return 0, err
	}
	ins, err := db.PrepareContext(ctx, `INSERT INTO messages (conversation_id, seq, sender_id, client_id, text, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	text := "bench 1700000000000000000 " + strings.Repeat("x", 32)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		for i := 0; i < batch; i++ {
			conv := fmt.Sprintf("c%015d", n%convs)
			var seq int64
			if err := tx.StmtContext(ctx, bump).QueryRowContext(ctx, conv).Scan(&seq); err != nil {
				tx.Rollback()
				return 0, err
			}
			if _, err := tx.StmtContext(ctx, ins).ExecContext(ctx, conv, seq, "s"+strconv.Itoa(n%2000), "c"+strconv.Itoa(n), text, time.Now().UnixMicro()); err != nil {
				tx.Rollback()
				return 0, err
			}
			n++
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

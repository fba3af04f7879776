package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Event is one event from the stream. Type says which fields are set.
type Event struct {
	Type           string          `json:"type"`
	ID             string          `json:"id,omitempty"`
	Message        *Message        `json:"message,omitempty"`
	Conversation   *Conversation   `json:"conversation,omitempty"`
	ConversationID string          `json:"conversation_id,omitempty"`
	UserID         string          `json:"user_id,omitempty"`
	SessionID      string          `json:"session_id,omitempty"`
	Seq            int64           `json:"seq,omitempty"`
	PrevSeq        int64           `json:"prev_seq,omitempty"`
	Action         string          `json:"action,omitempty"`
	Error          *Error          `json:"error,omitempty"`
	Raw            json.RawMessage `json:"-"`
}

// Stream is a live connection. Events arrive on Events in order until the
// connection ends; then Err says why (a *CloseError for a close status).
type Stream struct {
	c       *websocket.Conn
	events  chan Event
	mu      sync.Mutex
	cursors map[string]int64
	pending map[string]chan Event
	nextID  atomic.Int64
	err     error
	done    chan struct{}
}

// CloseError is how the server ended a stream.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string { return fmt.Sprintf("stream closed %d: %s", e.Code, e.Reason) }

// StreamOptions tune Connect.
type StreamOptions struct {
	// Cursors are the highest mod seen per conversation: the server sends
	// what changed since. Nil starts fresh.
	Cursors map[string]int64
	// Buffer is the size of the Events channel; default 1024. When it is
	// full the stream stops reading (and the server eventually drops it).
	Buffer int
	// HTTPClient dials; nil uses the default.
	HTTPClient *http.Client
}

// Connect opens the stream and sends the hello with cursors.
func (c *Client) Connect(ctx context.Context, opt StreamOptions) (*Stream, error) {
	// ?hello=1: the server waits for the hello below and catches up from
	// its cursors before anything live.
	u := strings.Replace(c.BaseURL, "http", "ws", 1) + "/api/v1/stream?hello=1"
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.Token)
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h, HTTPClient: opt.HTTPClient})
	if err != nil {
		if resp != nil && resp.StatusCode == 401 {
			return nil, &Error{Status: 401, Code: "unauthorized", Message: "sign in again"}
		}
		return nil, err
	}
	conn.SetReadLimit(64 << 20)
	if opt.Buffer <= 0 {
		opt.Buffer = 1024
	}
	s := &Stream{c: conn, events: make(chan Event, opt.Buffer), cursors: map[string]int64{},
		pending: map[string]chan Event{}, done: make(chan struct{})}
	for k, v := range opt.Cursors {
		s.cursors[k] = v
	}
	hello, _ := json.Marshal(map[string]any{"type": "hello", "cursors": s.cursors})
	if err := conn.Write(ctx, websocket.MessageText, hello); err != nil {
		conn.CloseNow()
		return nil, err
	}
	go s.read()
	return s, nil
}

// Events delivers the stream's events.
func (s *Stream) Events() <-chan Event { return s.events }

// Err is why the stream ended, after Events is closed.
func (s *Stream) Err() error {
	<-s.done
	return s.err
}

// Cursors returns the highest mod seen per conversation, for resuming.
func (s *Stream) Cursors() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.cursors))
	for k, v := range s.cursors {
		out[k] = v
	}
	return out
}

// Close ends the stream.
func (s *Stream) Close() error {
	return s.c.Close(websocket.StatusNormalClosure, "bye")
}

// CloseNow drops the connection without a closing handshake, as a network
// failure would.
func (s *Stream) CloseNow() { s.c.CloseNow() }

func (s *Stream) read() {
	defer close(s.done)
	defer close(s.events)
	ctx := context.Background()
	for {
		_, b, err := s.c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				s.err = &CloseError{Code: int(ce.Code), Reason: ce.Reason}
			} else {
				s.err = err
			}
			s.mu.Lock()
			for id, ch := range s.pending {
				close(ch)
				delete(s.pending, id)
			}
			s.mu.Unlock()
			return
		}
		for _, line := range bytes.Split(b, []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			var e Event
			if err := json.Unmarshal(line, &e); err != nil {
				continue
			}
			e.Raw = append(json.RawMessage(nil), line...)
			s.mu.Lock()
			if e.Message != nil && e.Type == "message" && e.Message.Mod > s.cursors[string(e.Message.ConversationID)] {
				s.cursors[string(e.Message.ConversationID)] = e.Message.Mod
			}
			if e.Type == "conversation" && e.Conversation != nil && e.Conversation.LastMod > 0 {
				if _, ok := s.cursors[string(e.Conversation.ID)]; !ok {
					s.cursors[string(e.Conversation.ID)] = e.Conversation.LastMod
				}
			}
			var waiter chan Event
			if (e.Type == "ack" || e.Type == "error") && e.ID != "" {
				waiter = s.pending[e.ID]
				delete(s.pending, e.ID)
			}
			s.mu.Unlock()
			if waiter != nil {
				waiter <- e
			}
			s.events <- e
		}
	}
}

// Write sends a raw frame.
func (s *Stream) Write(ctx context.Context, frame []byte) error {
	return s.c.Write(ctx, websocket.MessageText, frame)
}

// Send sends a message over the stream and waits for its ack.
func (s *Stream) Send(ctx context.Context, convID string, d Draft) (Message, error) {
	id := "r" + strconv.FormatInt(s.nextID.Add(1), 10)
	ch := make(chan Event, 1)
	s.mu.Lock()
	s.pending[id] = ch
	s.mu.Unlock()
	f := map[string]any{"type": "send", "id": id, "conversation_id": convID,
		"client_id": d.ClientID, "text": d.Text, "mentions": d.Mentions, "mention_all": d.MentionAll, "reply_to": d.ReplyTo}
	if len(d.Attachments) > 0 {
		f["attachments"] = d.Attachments
	}
	frame, _ := json.Marshal(f)
	if err := s.Write(ctx, frame); err != nil {
		return Message{}, err
	}
	select {
	case e, ok := <-ch:
		if !ok {
			return Message{}, errors.New("stream closed before the ack")
		}
		if e.Error != nil {
			return Message{}, e.Error
		}
		return *e.Message, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
		return Message{}, ctx.Err()
	}
}

// MarkRead moves the read position over the stream (no answer).
func (s *Stream) MarkRead(ctx context.Context, convID string, seq int64) error {
	b, _ := json.Marshal(map[string]any{"type": "read", "conversation_id": convID, "seq": seq})
	return s.Write(ctx, b)
}

// Tail follows the stream forever, reconnecting with resume after any drop,
// and calls fn for every event. It returns when ctx ends, fn returns an
// error, or the session is revoked.
func (c *Client) Tail(ctx context.Context, cursors map[string]int64, fn func(Event) error) error {
	backoff := 250 * time.Millisecond
	for {
		s, err := c.Connect(ctx, StreamOptions{Cursors: cursors})
		if err != nil {
			var ae *Error
			if errors.As(err, &ae) && ae.Status == 401 {
				return err
			}
		} else {
			backoff = 250 * time.Millisecond
			go func() {
				<-ctx.Done()
				s.Close()
			}()
			for e := range s.Events() {
				if err := fn(e); err != nil {
					s.Close()
					return err
				}
			}
			cursors = s.Cursors()
			var ce *CloseError
			if errors.As(s.Err(), &ce) && ce.Code == 4001 {
				return fmt.Errorf("session revoked: %w", s.Err())
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

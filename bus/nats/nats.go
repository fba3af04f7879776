// Package nats is the bus of a multi-node deployment, on core NATS.
//
// # Design: broadcast
//
// Every event is published on the subject "<prefix>.ev.<kind>" (prefix
// "tack" unless configured) and every node subscribes to "<prefix>.ev.>", so
// every node receives every event and keeps the ones addressed to the
// connections it holds. That is simple, needs no routing state, and costs
// each node the whole deployment's event rate: fine for a handful of nodes.
//
// For many nodes, the fan-in to each node becomes the limit. The next step
// would be interest-based subjects: messages on "<prefix>.conv.<id>" and
// "<prefix>.user.<id>", with each node subscribing to the conversations and
// users of the connections it holds (and unsubscribing when the last one
// leaves), so that NATS delivers an event only to the nodes that need it.
//
// # Guarantees
//
// Core NATS is at-most-once: an event may be lost when a node is
// disconnected or falls too far behind (a slow consumer). That is what package
// bus allows; receivers heal gaps from the store. Events one Bus publishes
// arrive at every subscriber in publish order. The connection reconnects
// forever; while it is away, publishes are buffered (up to 8 MiB by default)
// and sent on reconnection.
//
// # Encoding
//
// An event travels as a small binary header (version byte, then
// length-prefixed fields) followed by the payload bytes as they are, so the
// payload, which is already JSON, is not re-encoded nor base64-escaped. See
// BenchmarkEncode for the comparison with JSON.
package nats

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// DefaultPrefix is the subject prefix used unless WithPrefix says otherwise.
const DefaultPrefix = "tack"

// Bus is a bus.Bus on a NATS connection. It is safe for concurrent use.
type Bus struct {
	nc      *natsgo.Conn
	ownConn bool
	prefix  string
	origin  string
	log     *slog.Logger
	sub     *natsgo.Subscription

	mu     sync.Mutex // guards subs (copy on write) and closed
	subs   atomic.Pointer[[]*subscriber]
	closed atomic.Bool

	dropped atomic.Uint64 // events that arrived but could not be decoded
}

type subscriber struct {
	fn   func(*bus.Event)
	mu   sync.Mutex // held while fn runs; cancel takes it to wait
	done bool
}

var _ bus.Bus = (*Bus)(nil)

type config struct {
	prefix   string
	origin   string
	log      *slog.Logger
	natsOpts []natsgo.Option
}

// Option configures New and NewConn.
type Option func(*config)

// WithPrefix sets the subject prefix (default "tack"). Nodes of one
// deployment must agree on it; deployments sharing a NATS server must not.
func WithPrefix(prefix string) Option { return func(c *config) { c.prefix = prefix } }

// WithOrigin sets the node ID written into Event.Origin of the events this
// Bus publishes without one. The default is a new tack.ID.
func WithOrigin(origin string) Option { return func(c *config) { c.origin = origin } }

// WithLogger sets where connection changes and errors are logged (default
// slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithNATSOptions adds options of the NATS client (credentials, TLS, ...)
// after the defaults of New, so they override them. NewConn ignores them.
func WithNATSOptions(opts ...natsgo.Option) Option {
	return func(c *config) { c.natsOpts = append(c.natsOpts, opts...) }
}

func newConfig(opts []Option) (config, error) {
	c := config{prefix: DefaultPrefix, log: slog.Default()}
	for _, o := range opts {
		o(&c)
	}
	if c.origin == "" {
		c.origin = string(tack.NewID())
	}
	if !validToken(c.prefix, true) {
		return c, fmt.Errorf("bus/nats: invalid subject prefix %q", c.prefix)
	}
	return c, nil
}

// validToken reports whether s may be used in a subject: not empty, no
// wildcards or whitespace; dots only if dotted is true.
func validToken(s string, dotted bool) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '*' || c == '>' || c <= ' ' || c == 0x7f:
			return false
		case c == '.' && !dotted:
			return false
		}
	}
	return true
}

// New connects to the NATS server(s) at url (comma-separated for several)
// and subscribes to the deployment's events. It keeps trying to connect until
// it succeeds or ctx is done; once connected, it reconnects forever.
func New(ctx context.Context, url string, opts ...Option) (*Bus, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	log := c.log
	nopts := []natsgo.Option{
		natsgo.Name("tack " + c.origin),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(500 * time.Millisecond),
		natsgo.ReconnectJitter(250*time.Millisecond, time.Second),
		natsgo.ReconnectBufSize(8 << 20),
		// Bounds how long Publish can block writing to a stuck socket.
		natsgo.FlusherTimeout(2 * time.Second),
		natsgo.PingInterval(20 * time.Second),
		natsgo.DisconnectErrHandler(func(_ *natsgo.Conn, err error) {
			if err != nil {
				log.Warn("bus: NATS disconnected", "err", err)
			}
		}),
		natsgo.ReconnectHandler(func(nc *natsgo.Conn) {
			log.Info("bus: NATS reconnected", "server", nc.ConnectedUrlRedacted())
		}),
		natsgo.ErrorHandler(func(_ *natsgo.Conn, _ *natsgo.Subscription, err error) {
			// ErrSlowConsumer: this node fell behind and NATS dropped events;
			// connections heal from the store.
			log.Warn("bus: NATS error", "err", err)
		}),
	}
	nopts = append(nopts, c.natsOpts...)

	var nc *natsgo.Conn
	for {
		nc, err = natsgo.Connect(url, nopts...)
		if err == nil {
			break
		}
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("bus/nats: connect %s: %w (%v)", redact(url), err, context.Cause(ctx))
		case <-t.C:
		}
	}
	b, err := start(ctx, nc, c)
	if err != nil {
		nc.Close()
		return nil, err
	}
	b.ownConn = true
	return b, nil
}

// NewConn returns a Bus on an existing connection, which it does not own:
// Close unsubscribes but leaves nc open. The caller's options on nc (for
// reconnection, buffering) apply.
func NewConn(ctx context.Context, nc *natsgo.Conn, opts ...Option) (*Bus, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return start(ctx, nc, c)
}

func start(ctx context.Context, nc *natsgo.Conn, c config) (*Bus, error) {
	b := &Bus{nc: nc, prefix: c.prefix, origin: c.origin, log: c.log}
	b.subs.Store(&[]*subscriber{})
	sub, err := nc.Subscribe(c.prefix+".ev.>", b.receive)
	if err != nil {
		return nil, fmt.Errorf("bus/nats: subscribe: %w", err)
	}
	// Events are small; allow a deep queue before NATS drops any.
	if err := sub.SetPendingLimits(1<<20, 256<<20); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("bus/nats: %w", err)
	}
	b.sub = sub
	// Make sure the server knows of the subscription before the first
	// publish, so this node hears its own events from the start. (A
	// connection that is away will send the subscription on reconnecting.)
	if nc.IsConnected() {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
		}
		if err := nc.FlushWithContext(ctx); err != nil {
			_ = sub.Unsubscribe()
			return nil, fmt.Errorf("bus/nats: flush: %w", err)
		}
	}
	return b, nil
}

// Origin returns the node ID this Bus writes into the events it publishes.
func (b *Bus) Origin() string { return b.origin }

// Conn returns the underlying NATS connection.
func (b *Bus) Conn() *natsgo.Conn { return b.nc }

// ErrClosed is returned by Publish and Subscribe after Close.
var ErrClosed = errors.New("bus/nats: closed")

// Publish hands e to NATS and returns at once; it does not wait for
// delivery. It fails if the bus is closed, e.Kind cannot be a subject token,
// the event is over the server's payload limit, or, while disconnected, the
// reconnect buffer is full. It may block briefly (at most about 2 s) if the
// socket to the server is stuck. e.Origin, if empty, is sent as this Bus's
// origin; e itself is not modified.
func (b *Bus) Publish(ctx context.Context, e *bus.Event) error {
	if b.closed.Load() {
		return ErrClosed
	}
	if !validToken(e.Kind, false) {
		return fmt.Errorf("bus/nats: invalid event kind %q", e.Kind)
	}
	origin := e.Origin
	if origin == "" {
		origin = b.origin
	}
	data := appendEvent(make([]byte, 0, encodedSize(e, origin)), e, origin)
	if err := b.nc.Publish(b.prefix+".ev."+e.Kind, data); err != nil {
		if errors.Is(err, natsgo.ErrConnectionClosed) {
			return ErrClosed
		}
		return fmt.Errorf("bus/nats: publish %s: %w", e.Kind, err)
	}
	return nil
}

// Subscribe calls fn with every event received, this node's own included,
// from the NATS delivery goroutine of this Bus: one goroutine, so each fn
// sees events in the order they arrived. fn must return quickly; while it
// runs, no other subscriber of this Bus gets events. The returned cancel
// waits for a running fn to return; it must not be called from fn.
func (b *Bus) Subscribe(fn func(*bus.Event)) (cancel func(), err error) {
	s := &subscriber{fn: fn}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return nil, ErrClosed
	}
	old := *b.subs.Load()
	subs := make([]*subscriber, len(old), len(old)+1)
	copy(subs, old)
	subs = append(subs, s)
	b.subs.Store(&subs)
	var once sync.Once
	return func() { once.Do(func() { b.remove(s) }) }, nil
}

func (b *Bus) remove(s *subscriber) {
	b.mu.Lock()
	old := *b.subs.Load()
	subs := make([]*subscriber, 0, len(old))
	for _, x := range old {
		if x != s {
			subs = append(subs, x)
		}
	}
	b.subs.Store(&subs)
	b.mu.Unlock()
	s.mu.Lock()
	s.done = true
	s.mu.Unlock()
}

func (b *Bus) receive(m *natsgo.Msg) {
	e, err := decodeEvent(m.Data)
	if err != nil {
		if b.dropped.Add(1) == 1 {
			b.log.Warn("bus: undecodable event (logged once)", "subject", m.Subject, "err", err)
		}
		return
	}
	for _, s := range *b.subs.Load() {
		s.mu.Lock()
		if !s.done {
			s.fn(e)
		}
		s.mu.Unlock()
	}
}

// Close sends what is still buffered (waiting at most a second), stops
// delivery and, if New made the connection, closes it. After Close returns,
// no subscriber is called again.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed.Load() {
		b.mu.Unlock()
		return nil
	}
	b.closed.Store(true)
	subs := *b.subs.Load()
	b.subs.Store(&[]*subscriber{})
	b.mu.Unlock()

	if b.nc.IsConnected() {
		_ = b.nc.FlushTimeout(time.Second)
	}
	_ = b.sub.Unsubscribe()
	if b.ownConn {
		b.nc.Close()
	}
	for _, s := range subs {
		s.mu.Lock()
		s.done = true
		s.mu.Unlock()
	}
	return nil
}

func redact(url string) string {
	// nats://user:pass@host -> nats://***@host, for each of a comma list.
	parts := strings.Split(url, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if s := strings.Index(p, "://"); s >= 0 && s < at {
				parts[i] = p[:s+3] + "***" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}

// Wire format, version 1:
//
//	byte     version (1)
//	string   Kind, ConversationID, Subject, Action, Origin
//	varint   Mod
//	uvarint  number of Users, then each as a string
//	bytes    Payload: the rest of the message
//
// where a string is a uvarint length followed by that many bytes.
const wireVersion = 1

func encodedSize(e *bus.Event, origin string) int {
	n := 1 + 5*binary.MaxVarintLen16 + len(e.Kind) + len(e.ConversationID) + len(e.Subject) + len(e.Action) + len(origin) +
		2*binary.MaxVarintLen64 + len(e.Payload)
	for _, u := range e.Users {
		n += binary.MaxVarintLen16 + len(u)
	}
	return n
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendEvent(b []byte, e *bus.Event, origin string) []byte {
	b = append(b, wireVersion)
	b = appendString(b, e.Kind)
	b = appendString(b, string(e.ConversationID))
	b = appendString(b, string(e.Subject))
	b = appendString(b, e.Action)
	b = appendString(b, origin)
	b = binary.AppendVarint(b, e.Mod)
	b = binary.AppendUvarint(b, uint64(len(e.Users)))
	for _, u := range e.Users {
		b = appendString(b, string(u))
	}
	return append(b, e.Payload...)
}

var errShort = errors.New("truncated event")

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errShort
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// decodeEvent decodes data. The returned Payload aliases data, which the
// NATS client allocates afresh for every message.
func decodeEvent(data []byte) (*bus.Event, error) {
	if len(data) == 0 {
		return nil, errShort
	}
	if data[0] != wireVersion {
		return nil, fmt.Errorf("unknown event encoding version %d", data[0])
	}
	r := reader{b: data[1:]}
	e := &bus.Event{
		Kind:           r.string(),
		ConversationID: tack.ID(r.string()),
		Subject:        tack.ID(r.string()),
		Action:         r.string(),
		Origin:         r.string(),
		Mod:            r.varint(),
	}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) { // each user takes at least one byte
		r.err = errShort
	}
	if r.err == nil && n > 0 {
		e.Users = make([]tack.ID, n)
		for i := range e.Users {
			e.Users[i] = tack.ID(r.string())
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) > 0 {
		e.Payload = r.b
	}
	return e, nil
}

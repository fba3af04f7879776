// Package nats is the bus of a multi-node deployment, on core NATS.
//
// # Design: broadcast for control, interest for volume
//
// Control events (membership, conversation settings, revoked sessions,
// presence, approvals: every kind for which bus.Routed is false) are
// published on "<prefix>.ev.<kind>" (prefix "tack" unless configured) and
// every node subscribes to "<prefix>.ev.>": each node's caches and trackers
// need them all, and they are few.
//
// The events whose volume grows with the traffic (bus.Routed: messages,
// read positions, typing) are routed by interest, so that adding nodes adds
// fan-out capacity instead of multiplying every node's intake:
//
//   - an event with Users is published once per distinct user on
//     "<prefix>.u.<user>"; above MaxUserSubjects distinct users (or with a
//     user ID that cannot be a subject token) it goes on the broadcast
//     subject instead, once, since one broadcast is then cheaper than many
//     routed copies;
//   - an event with only a ConversationID is published on "<prefix>.c.<id>";
//   - an event with neither is broadcast.
//
// A node subscribes to "<prefix>.u.<user>" and "<prefix>.c.<id>" while it
// holds the topic (bus.Interest: Want, Drop, Sync): the hub holds a user
// while it has a connection of that user, and a conversation while a
// connection is subscribed to it. Holds are counted; the first Want
// subscribes, the last Drop unsubscribes.
//
// No duplicates: a node holding several of one event's users receives one
// copy per such user, and each copy arrives with Users narrowed to the user
// its subject names, so that the hub pushes it to that user's connections
// only: every connection gets the event once. (Narrowing needs no state;
// an event ID with a table of recent IDs would need memory and a window.)
//
// No window of loss: Sync returns once the NATS server this node is
// connected to has the subscriptions (a PING/PONG round trip after the
// SUBs). The hub calls it before it reads a connection's catch-up from the
// store, so that a change committed after that read is published after the
// interest is in place and arrives live, and one committed before is in the
// catch-up. With a cluster of NATS servers, the other servers learn the
// interest over their routes asynchronously, usually within a millisecond:
// NATS gives no signal for that (nats-server issue 1142), so an event
// published on another server within that moment can still miss this node;
// the connection heals it from the store at the conversation's next change
// (a gap in Event.Mod), as for any event the bus drops.
//
// All subscriptions of a Bus deliver into one channel, read by one
// goroutine, so events keep the order in which the server sent them,
// whatever their subjects.
//
// # Guarantees
//
// Core NATS is at-most-once: an event may be lost when a node is
// disconnected or falls too far behind (a slow consumer). That is what package
// bus allows; receivers heal gaps from the store. Events one Bus publishes
// arrive at every subscriber that receives them in publish order, whatever
// their subjects. The connection reconnects forever; while it is away,
// publishes are buffered (up to 8 MiB by default) and sent on reconnection,
// and the subscriptions, interests included, are sent again.
//
// Every node of a deployment must route: a node of a version that only
// subscribes to "<prefix>.ev.>" hears no routed event.
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
	"maps"
	"slices"
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

// MaxUserSubjects is the most distinct users a routed event is published
// to one by one; an event for more goes on the broadcast subject, once.
const MaxUserSubjects = 64

// inboxSize is how many received messages may wait for the delivery
// goroutine; past that NATS drops them (a slow consumer, logged).
const inboxSize = 1 << 16

// Bus is a bus.Bus and a bus.Interest on a NATS connection. It is safe for
// concurrent use.
type Bus struct {
	nc      *natsgo.Conn
	ownConn bool
	prefix  string
	origin  string
	log     *slog.Logger
	sub     *natsgo.Subscription

	// in receives every subscription's messages, in the order the
	// server sent them; deliver reads it until stop is closed.
	in   chan *natsgo.Msg
	stop chan struct{}
	done chan struct{}

	mu     sync.Mutex // guards subs (copy on write) and closed
	subs   atomic.Pointer[[]*subscriber]
	closed atomic.Bool

	imu    sync.Mutex // guards topics
	topics map[bus.Topic]*interest

	dropped atomic.Uint64 // events that arrived but could not be decoded

	cmu      sync.Mutex // guards received
	received map[string]uint64
}

// interest is one held topic: how many holds, and its subscription (nil if
// subscribing failed, on a closed connection).
type interest struct {
	n   int
	sub *natsgo.Subscription
}

type subscriber struct {
	fn   func(*bus.Event)
	mu   sync.Mutex // held while fn runs; cancel takes it to wait
	done bool
}

var (
	_ bus.Bus      = (*Bus)(nil)
	_ bus.Interest = (*Bus)(nil)
)

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
	b := &Bus{nc: nc, prefix: c.prefix, origin: c.origin, log: c.log,
		in: make(chan *natsgo.Msg, inboxSize), stop: make(chan struct{}), done: make(chan struct{}),
		topics: make(map[bus.Topic]*interest), received: make(map[string]uint64)}
	b.subs.Store(&[]*subscriber{})
	sub, err := nc.ChanSubscribe(c.prefix+".ev.>", b.in)
	if err != nil {
		return nil, fmt.Errorf("bus/nats: subscribe: %w", err)
	}
	b.sub = sub
	go b.deliver()
	fail := func(err error) (*Bus, error) {
		_ = sub.Unsubscribe()
		close(b.stop)
		<-b.done
		return nil, err
	}
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
			return fail(fmt.Errorf("bus/nats: flush: %w", err))
		}
	}
	return b, nil
}

// deliver hands what the subscriptions receive to the subscribers, one
// message at a time, until Close.
func (b *Bus) deliver() {
	defer close(b.done)
	for {
		select {
		case m := <-b.in:
			b.receive(m)
		case <-b.stop:
			return
		}
	}
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
	for _, subject := range b.subjects(e) {
		if err := b.nc.Publish(subject, data); err != nil {
			if errors.Is(err, natsgo.ErrConnectionClosed) {
				return ErrClosed
			}
			return fmt.Errorf("bus/nats: publish %s: %w", e.Kind, err)
		}
	}
	return nil
}

// subjects returns the subjects e is published on (see the package doc).
func (b *Bus) subjects(e *bus.Event) []string {
	broadcast := []string{b.prefix + ".ev." + e.Kind}
	if !bus.Routed(e.Kind) {
		return broadcast
	}
	if len(e.Users) == 0 {
		if e.ConversationID == "" || !validToken(string(e.ConversationID), false) {
			return broadcast
		}
		return []string{b.prefix + ".c." + string(e.ConversationID)}
	}
	out := make([]string, 0, min(len(e.Users), MaxUserSubjects))
	for i, u := range e.Users {
		if slices.Contains(e.Users[:i], u) {
			continue
		}
		if len(out) == MaxUserSubjects || !validToken(string(u), false) {
			return broadcast
		}
		out = append(out, b.prefix+".u."+string(u))
	}
	return out
}

// subject is the subject of a topic; ok is false if its ID cannot be a
// subject token.
func (b *Bus) subject(t bus.Topic) (subject string, ok bool) {
	switch {
	case t.User != "" && t.Conversation == "" && validToken(string(t.User), false):
		return b.prefix + ".u." + string(t.User), true
	case t.Conversation != "" && t.User == "" && validToken(string(t.Conversation), false):
		return b.prefix + ".c." + string(t.Conversation), true
	}
	return "", false
}

// Want adds one hold on each topic (see bus.Interest); a topic's first hold
// subscribes to its subject. It does not wait for the server: Sync does. A
// topic whose ID cannot be a subject token is ignored (its events are
// broadcast).
func (b *Bus) Want(topics ...bus.Topic) {
	b.imu.Lock()
	defer b.imu.Unlock()
	for _, t := range topics {
		subject, ok := b.subject(t)
		if !ok {
			continue
		}
		in := b.topics[t]
		if in == nil {
			in = &interest{}
			b.topics[t] = in
		}
		in.n++
		if in.n > 1 || b.closed.Load() {
			continue
		}
		sub, err := b.nc.ChanSubscribe(subject, b.in)
		if err != nil {
			b.log.Warn("bus: subscribe", "subject", subject, "err", err)
			continue
		}
		in.sub = sub
	}
}

// Drop removes one hold on each topic (see bus.Interest); the last hold's
// Drop unsubscribes.
func (b *Bus) Drop(topics ...bus.Topic) {
	b.imu.Lock()
	defer b.imu.Unlock()
	for _, t := range topics {
		in := b.topics[t]
		if in == nil {
			continue
		}
		if in.n--; in.n > 0 {
			continue
		}
		delete(b.topics, t)
		if in.sub != nil {
			_ = in.sub.Unsubscribe() // fails only on a closed connection
		}
	}
}

// Sync waits until the NATS server has every subscription made before the
// call (a flush: PING, then its PONG), at most 10 s if ctx has no deadline.
// It fails with ErrClosed after Close, and at once while the connection is
// away (the subscriptions are sent again when it comes back). See the
// package doc for what it does not promise with a cluster of servers.
func (b *Bus) Sync(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	if !b.nc.IsConnected() {
		return fmt.Errorf("bus/nats: sync: %w", natsgo.ErrConnectionReconnecting)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	if err := b.nc.FlushWithContext(ctx); err != nil {
		if errors.Is(err, natsgo.ErrConnectionClosed) {
			return ErrClosed
		}
		return fmt.Errorf("bus/nats: sync: %w", err)
	}
	return nil
}

// Interests reports how many topics this Bus holds (one subscription each).
func (b *Bus) Interests() int {
	b.imu.Lock()
	defer b.imu.Unlock()
	return len(b.topics)
}

// Received returns how many events this Bus has handed to its subscribers
// since it started, by kind. A routed event counts once per copy received
// (one per held user it names).
func (b *Bus) Received() map[string]uint64 {
	b.cmu.Lock()
	defer b.cmu.Unlock()
	return maps.Clone(b.received)
}

// Subscribe calls fn with every event received, this node's own included:
// every broadcast event, and the routed events of the topics held (see
// Want), a copy per held user named in Users, with Users narrowed to that
// user. It is called from the delivery goroutine of this Bus: one
// goroutine, so each fn sees events in the order they arrived. fn must
// return quickly; while it runs, no other subscriber of this Bus gets
// events. The returned cancel waits for a running fn to return; it must not
// be called from fn, nor must Close.
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
	if u, ok := strings.CutPrefix(m.Subject, b.prefix+".u."); ok {
		// One copy per held user: this one is for u's connections only.
		e.Users = []tack.ID{tack.ID(u)}
	}
	b.cmu.Lock()
	b.received[e.Kind]++
	b.cmu.Unlock()
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
	b.imu.Lock()
	for _, in := range b.topics {
		if in.sub != nil {
			_ = in.sub.Unsubscribe()
			in.sub = nil
		}
	}
	b.imu.Unlock()
	if b.ownConn {
		b.nc.Close()
	}
	close(b.stop)
	<-b.done
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

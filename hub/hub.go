// Package hub holds the live connections of one node and delivers events
// from the bus to them.
//
// Each connection has a bounded queue. Delivery never blocks: a connection
// whose queue is full is dropped with a resync hint, so one slow client never
// slows the others. Each connection remembers, per conversation, the highest
// change counter (Mod) it has sent; it skips what it has already sent and,
// when it sees a jump, reads the missing changes from the store, so events
// the bus dropped or reordered are healed and never lost or doubled.
//
// With a bus that routes by interest (Config.Interest), the hub tells the
// bus which users and conversations its connections need, and makes sure
// the bus has the interest before it reads from the store what a
// connection missed, so that nothing falls between the two.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
)

// Source is what the hub reads from when it catches a connection up. The
// context passed carries the connection's caller. chat.Service implements it.
type Source interface {
	ConversationMods(ctx context.Context) (map[tack.ID]int64, error)
	Conversations(ctx context.Context) ([]chat.Conversation, error)
	Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error)
	Changes(ctx context.Context, convID tack.ID, mod int64, limit int) ([]chat.Message, error)
	// ChangesUpTo is Changes limited to mods up to upTo.
	ChangesUpTo(ctx context.Context, convID tack.ID, after, upTo int64, limit int) ([]chat.Message, error)
	// ListedChangeFrames is ChangesUpTo as stream frames, for a
	// conversation Conversations listed for the caller moments ago (upTo
	// at most its listed LastMod): the membership is not checked again.
	// The frames are read-only.
	ListedChangeFrames(ctx context.Context, convID tack.ID, after, upTo int64, limit int) ([]chat.ChangeFrame, error)
}

// Writer is one client's transport. Write sends one frame (one or more JSON
// objects separated by '\n'); Close ends the connection with a status code.
// Write is called from one goroutine at a time, and must not keep frame
// after it returns: the hub reuses the buffer.
type Writer interface {
	Write(ctx context.Context, frame []byte) error
	Close(code int, reason string)
}

// A TimedWriter is a Writer that also writes a frame giving up after d (or
// when ctx ends, as Write does), so that the hub does not derive a context
// with a timer for every frame. The hub calls WriteWithin instead of Write
// when its Writer has it; it is called as Write is (one goroutine at a
// time, frame not kept). A transport may round d (a socket's deadline need
// not move for every frame), but not below d*7/8.
type TimedWriter interface {
	Writer
	WriteWithin(ctx context.Context, frame []byte, d time.Duration) error
}

// writeWait is how long a frame may take to write before the connection is
// given up (a client that stopped reading).
const writeWait = 30 * time.Second

// Close codes beyond the WebSocket standard ones.
const (
	CloseGoingAway = 1001
	ClosePolicy    = 1008 // the client broke a limit (e.g. left its replies unread)
	CloseResync    = 4000 // fell behind: reconnect and resume
	CloseRevoked   = 4001 // session signed out
)

// Config tunes a Hub.
type Config struct {
	// QueueLimit is how many events may wait for one connection before it is
	// dropped with a resync hint; default 4096.
	QueueLimit int
	// MaxBatch caps events written in one frame; default 128.
	MaxBatch int
	// ReplyLimit is how many replies to a client's own frames (acks, errors,
	// pongs) may wait for one connection; Reply then waits for the writer
	// to take some, and if it takes none for ReplyWait (the client is not
	// reading) the connection is closed with ClosePolicy. Defaults 256 and
	// 10 s.
	ReplyLimit int
	ReplyWait  time.Duration
	// MaxStreamsPerUser caps one user's connections on this node; Attach
	// refuses one more with tack.ERateLimited. 0 or less: no cap.
	MaxStreamsPerUser int
	// MaxHeal is how many changes of one conversation a connection reads
	// from the store to fill a gap in what the bus delivered, page by page;
	// a larger gap closes the connection with CloseResync, and the client's
	// resume catches it up. Default 10,000.
	MaxHeal int
	// OnPresence, if set, is called when a user's first connection on this
	// node has caught up (online) and when its last one ends (offline),
	// with the people it has direct chats with. It is called with the hub's
	// lock held: it must not block nor call back into the hub.
	OnPresence func(user tack.ID, online bool, peers []tack.ID)
	// Interest, if set, is the bus's routing by interest. The hub holds
	// a user's topic from that user's first connection on this node to
	// its last, and a conversation's topic while a connection is
	// subscribed to it. It waits for the bus to confirm new interest
	// (Sync) before a connection's catch-up reads the store (in Attach),
	// and when a connection joins a conversation later (a Member "added"
	// event, or one that appears during its catch-up), it reads that
	// conversation's changes from the store once the interest is
	// confirmed, so that events published before are not missed. If the
	// bus cannot confirm (disconnected), the hub logs it and goes on: the
	// next change of a conversation heals what was missed. nil: the bus
	// delivers every event to every node (in-process).
	Interest bus.Interest
	Logger   *slog.Logger
}

// syncWait bounds how long the hub waits for the bus to confirm interest.
const syncWait = 5 * time.Second

// writerLinger is how long a connection's writer goroutine waits for more
// events before it exits and leaves the connection idle.
const writerLinger = 100 * time.Millisecond

// Hub is a node's registry of live connections. It is safe for concurrent use.
type Hub struct {
	src Source
	cfg Config
	log *slog.Logger

	mu    sync.RWMutex
	users map[tack.ID]map[*Conn]struct{}
	convs map[tack.ID]map[*Conn]struct{}
	shut  bool
	// announced holds the users announced online from this node.
	announced map[tack.ID]struct{}
	// revoked holds sessions revoked in the last revokedMemory, so that a
	// connection attaching just after its session's revocation went by is
	// refused rather than missed.
	revoked map[tack.ID]time.Time
	// syncLogged is when a failed Sync was last logged (unix seconds).
	syncLogged atomic.Int64

	// Counters, read by metrics.
	Connections atomic.Int64
	Delivered   atomic.Int64 // events written to clients
	Dropped     atomic.Int64 // connections dropped for falling behind
	Healed      atomic.Int64 // gaps filled from the store
	Policy      atomic.Int64 // connections closed for breaking a limit (unread replies)
	Unsynced    atomic.Int64 // times the bus could not confirm new interest
}

// revokedMemory is how long the hub remembers a revoked session.
const revokedMemory = 2 * time.Minute

// New returns a Hub reading catch-up data from src.
func New(src Source, cfg Config) *Hub {
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = 4096
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 128
	}
	if cfg.ReplyLimit <= 0 {
		cfg.ReplyLimit = 256
	}
	if cfg.ReplyWait <= 0 {
		cfg.ReplyWait = 10 * time.Second
	}
	if cfg.MaxHeal <= 0 {
		cfg.MaxHeal = 10_000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Hub{src: src, cfg: cfg, log: cfg.Logger, announced: make(map[tack.ID]struct{}), revoked: make(map[tack.ID]time.Time),
		users: make(map[tack.ID]map[*Conn]struct{}), convs: make(map[tack.ID]map[*Conn]struct{})}
}

// Conn is one live client connection.
type Conn struct {
	caller tack.Caller
	w      Writer

	h   *Hub
	ctx context.Context // the writer's, with the caller
	// actx is ctx without the caller (as given to Attach, or to Start when
	// it differs): what writes are bound to. A context derived from the
	// caller's value wrapper costs a goroutine (the wrapper hides the
	// AfterFunc of the stream's context beneath it).
	actx context.Context

	mu      sync.Mutex
	pending []*bus.Event
	replies int                  // replies among pending
	space   chan struct{}        // closed when the writer takes replies, for a Reply waiting
	convs   map[tack.ID]struct{} // indexed under these in the hub (guarded by Hub.mu)
	kicked  int                  // close code once dropped, else 0
	reason  string
	// started is set by Start. Before it, events queue but nothing is
	// written; a kick closes the connection at once.
	started bool
	// running is true while a writer goroutine is at work. An idle
	// connection has none: the goroutine exits when the queue is empty and
	// the next event starts a new one, so idle connections cost no stack.
	running  bool
	notify   chan struct{} // wakes a lingering writer; made with each writer, nil while idle
	finished bool
	err      error
	done     chan struct{} // made by Done when first asked for (under mu)
	ended    bool          // the connection has ended: done is closed (under mu)

	cursors map[tack.ID]int64 // owned by the writer goroutine
	// floors, for a connection started without cursors until its first
	// Resume, holds per conversation the mod up to which it has sent
	// nothing: a late resume request sends (cursor, floor]. Owned by the
	// writer goroutine.
	floors map[tack.ID]int64
	peers  []tack.ID // direct-chat peers, for presence
}

// setCursor records mod as the highest sent of convID (the writer's).
func (c *Conn) setCursor(convID tack.ID, mod int64) {
	if c.cursors == nil {
		c.cursors = make(map[tack.ID]int64)
	}
	c.cursors[convID] = mod
}

// resumeKind marks the queue entry of a Resume call (never on the bus).
const resumeKind = "\x00resume"

// healKind marks a queue entry asking the writer to read a conversation's
// changes since its cursor from the store (never on the bus): queued for a
// connection that joined the conversation once the bus confirmed interest.
const healKind = "\x00heal"

// UserID is the connection's user.
func (c *Conn) UserID() tack.ID { return c.caller.UserID }

// push queues e without blocking; false if the queue is full.
func (c *Conn) push(e *bus.Event, limit int) bool {
	c.mu.Lock()
	if c.kicked != 0 {
		c.mu.Unlock()
		return true
	}
	if len(c.pending) >= limit {
		c.mu.Unlock()
		return false
	}
	c.pending = append(c.pending, e)
	wake := c.wakeLocked()
	c.mu.Unlock()
	if wake {
		go c.h.run(c)
	}
	return true
}

// wakeLocked reports whether a writer goroutine must be started (c.mu
// held); a writer that is running, perhaps lingering, is nudged instead.
func (c *Conn) wakeLocked() bool {
	if c.running {
		select {
		case c.notify <- struct{}{}:
		default:
		}
		return false
	}
	if c.finished || !c.started {
		return false
	}
	c.running = true
	c.notify = make(chan struct{}, 1)
	return true
}

// Reply queues a frame for this connection only (an ack, an error, a
// pong). At most Config.ReplyLimit replies wait at once; past that Reply
// waits for the writer to take some (the caller, reading the client's
// frames, pauses), and a client that leaves its replies unread for
// Config.ReplyWait is closed with ClosePolicy. Reply reports false once the
// connection is closing; the caller should stop reading the client's
// frames then.
func (c *Conn) Reply(frame []byte) bool {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.kicked != 0 || c.finished {
			c.mu.Unlock()
			return false
		}
		if c.replies < c.h.cfg.ReplyLimit {
			c.replies++
			c.pending = append(c.pending, &bus.Event{Payload: frame})
			wake := c.wakeLocked()
			c.mu.Unlock()
			if wake {
				go c.h.run(c)
			}
			return true
		}
		if c.space == nil {
			c.space = make(chan struct{})
		}
		space := c.space
		c.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(c.h.cfg.ReplyWait)
		}
		select {
		case <-space:
		case <-c.Done():
			return false
		case <-timer.C:
			c.h.Policy.Add(1)
			c.kick(ClosePolicy, "replies left unread")
			return false
		}
	}
}

// Close ends the connection with code: what is queued is dropped, and the
// Writer is closed once a write in progress ends. Safe to call more than
// once and from any goroutine; the first code wins. It must not be called
// with the hub's lock held.
func (c *Conn) Close(code int, reason string) { c.kick(code, reason) }

func (c *Conn) kick(code int, reason string) {
	c.mu.Lock()
	if c.kicked == 0 {
		c.kicked, c.reason = code, reason
	}
	if !c.started && !c.finished {
		// Nothing was written yet, and no writer runs: close from here,
		// on a goroutine of its own (a close handshake may take seconds,
		// and kick may be called from the bus's delivery).
		c.finished, c.err = true, &kickError{code: c.kicked, reason: c.reason}
		code, reason = c.kicked, c.reason
		c.pending = nil
		c.mu.Unlock()
		go func() {
			c.w.Close(code, reason)
			c.h.detach(c)
			c.end()
		}()
		return
	}
	wake := c.wakeLocked()
	c.mu.Unlock()
	if wake {
		go c.h.run(c)
	}
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.ended {
			close(c.done)
		}
	}
	return c.done
}

// end marks the connection ended and closes Done (once). An idle
// connection nobody waits on has no channel: it is made by Done.
func (c *Conn) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.done != nil {
		close(c.done)
	}
}

// Streams reports how many connections user has on this node.
func (h *Hub) Streams(user tack.ID) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users[user])
}

// Attach registers a new connection for caller, subscribed to the
// conversations it belongs to, and returns it. With Config.Interest it
// returns once the bus has confirmed the interest (or failed to, after at
// most a few seconds), so that Start's catch-up misses nothing. From then
// on it is bound to the caller's session: a revocation closes it with
// CloseRevoked even before Start. Events start queueing at once; call Start (or Serve) to
// catch the client up and then deliver them. The connection ends when ctx
// does. Attach refuses a session revoked moments ago (tack.EUnauthorized),
// a user over Config.MaxStreamsPerUser (tack.ERateLimited) and everyone
// once the hub is shutting down (tack.EUnavailable).
func (h *Hub) Attach(ctx context.Context, caller tack.Caller, w Writer) (*Conn, error) {
	// The maps of a connection are made when first needed (an idle
	// connection with no conversations has none): convs here when it has
	// some, cursors by its catch-up, floors only for a fresh start, notify
	// with each writer goroutine, done by the first to wait for the end.
	c := &Conn{h: h, caller: caller, w: w}
	c.actx, c.ctx = ctx, tack.WithCaller(ctx, caller)
	h.mu.RLock()
	shut := h.shut
	h.mu.RUnlock()
	if shut {
		return nil, tack.Errorf(tack.EUnavailable, "shutting down")
	}
	mods, err := h.src.ConversationMods(c.ctx)
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	if err := h.register(c, mods); err != nil {
		return nil, err
	}
	// The bus must have the interest before Start reads the catch-up
	// from the store: then what is committed after that read arrives live.
	h.sync(ctx)
	context.AfterFunc(ctx, func() { c.kick(CloseGoingAway, "closing") })
	return c, nil
}

// register indexes a new connection under its user and the conversations
// in mods.
func (h *Hub) register(c *Conn, mods map[tack.ID]int64) error {
	caller := c.caller
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.shut {
		return tack.Errorf(tack.EUnavailable, "shutting down")
	}
	if _, ok := h.revoked[caller.SessionID]; ok && caller.SessionID != "" {
		return tack.Errorf(tack.EUnauthorized, "session signed out; sign in again")
	}
	set := h.users[caller.UserID]
	if max := h.cfg.MaxStreamsPerUser; max > 0 && len(set) >= max {
		return tack.Errorf(tack.ERateLimited, "at most %d live streams per user on this server: close one first", max)
	}
	if set == nil {
		set = make(map[*Conn]struct{})
		h.users[caller.UserID] = set
		h.want(bus.UserTopic(caller.UserID))
	}
	set[c] = struct{}{}
	if len(mods) > 0 {
		c.convs = make(map[tack.ID]struct{}, len(mods))
	}
	for id := range mods {
		h.subscribeLocked(c, id)
	}
	h.Connections.Add(1)
	return nil
}

// subscribeLocked subscribes c to convID (h.mu held) and reports whether it
// was not subscribed yet. A conversation's first connection starts the
// hub's interest in it.
func (h *Hub) subscribeLocked(c *Conn, convID tack.ID) bool {
	if _, ok := c.convs[convID]; ok {
		return false
	}
	set := h.convs[convID]
	if set == nil {
		set = make(map[*Conn]struct{})
		h.convs[convID] = set
		h.want(bus.ConversationTopic(convID))
	}
	set[c] = struct{}{}
	if c.convs == nil {
		c.convs = make(map[tack.ID]struct{})
	}
	c.convs[convID] = struct{}{}
	return true
}

// unsubscribeLocked unsubscribes c from convID (h.mu held); the
// conversation's last connection ends the hub's interest in it.
func (h *Hub) unsubscribeLocked(c *Conn, convID tack.ID) {
	if set := h.convs[convID]; set != nil {
		if _, ok := set[c]; ok {
			delete(set, c)
			if len(set) == 0 {
				delete(h.convs, convID)
				h.drop(bus.ConversationTopic(convID))
			}
		}
	}
	delete(c.convs, convID)
}

func (h *Hub) want(t bus.Topic) {
	if h.cfg.Interest != nil {
		h.cfg.Interest.Want(t)
	}
}

func (h *Hub) drop(t bus.Topic) {
	if h.cfg.Interest != nil {
		h.cfg.Interest.Drop(t)
	}
}

// sync waits for the bus to confirm the interest started so far, at most
// syncWait. A failure is counted and logged (at most every 10 s): the hub
// goes on, and gaps heal at a conversation's next change.
func (h *Hub) sync(ctx context.Context) {
	if h.cfg.Interest == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, syncWait)
	defer cancel()
	err := h.cfg.Interest.Sync(ctx)
	if err == nil {
		return
	}
	h.Unsynced.Add(1)
	now := time.Now().Unix()
	if last := h.syncLogged.Load(); now-last >= 10 && h.syncLogged.CompareAndSwap(last, now) {
		h.log.Warn("hub: the bus did not confirm interest; live events may come late until the next change heals them", "err", err)
	}
}

// healJoined queues a heal of convID for each of conns once the bus has
// confirmed the interest: they joined it after their catch-up, and events
// published before the bus had the interest may have missed this node.
func (h *Hub) healJoined(convID tack.ID, conns []*Conn) {
	h.sync(context.Background())
	for _, c := range conns {
		c.push(&bus.Event{Kind: healKind, ConversationID: convID}, 1<<20)
	}
}

// detach removes c from every index.
func (h *Hub) detach(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.users[c.caller.UserID]; set != nil {
		if _, ok := set[c]; !ok {
			return
		}
		delete(set, c)
		if len(set) == 0 {
			delete(h.users, c.caller.UserID)
			h.drop(bus.UserTopic(c.caller.UserID))
		}
	}
	for id := range c.convs {
		h.unsubscribeLocked(c, id)
	}
	h.Connections.Add(-1)
	if _, ok := h.announced[c.caller.UserID]; ok && len(h.users[c.caller.UserID]) == 0 {
		delete(h.announced, c.caller.UserID)
		if h.cfg.OnPresence != nil {
			h.cfg.OnPresence(c.caller.UserID, false, c.peers)
		}
	}
}

// announce reports c's user online once its first connection has caught up.
func (h *Hub) announce(c *Conn) {
	if h.cfg.OnPresence == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.announced[c.caller.UserID]; ok || len(h.users[c.caller.UserID]) == 0 {
		return
	}
	h.announced[c.caller.UserID] = struct{}{}
	h.cfg.OnPresence(c.caller.UserID, true, c.peers)
}

// OnlineUsers lists the users with a live connection on this node.
func (h *Hub) OnlineUsers() []tack.ID {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]tack.ID, 0, len(h.users))
	for u := range h.users {
		out = append(out, u)
	}
	return out
}

// Online reports whether userID has a live connection on this node.
func (h *Hub) Online(userID tack.ID) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.users[userID]) > 0
}

// Deliver routes one bus event to the connections it concerns. Wire it to
// the bus's Subscribe.
func (h *Hub) Deliver(e *bus.Event) {
	var drop, joined []*Conn
	switch e.Kind {
	case bus.Member:
		if e.Action == "added" {
			h.mu.Lock()
			for c := range h.users[e.Subject] {
				if h.subscribeLocked(c, e.ConversationID) && h.cfg.Interest != nil {
					joined = append(joined, c)
				}
			}
			h.mu.Unlock()
		}
	case bus.SessionRevoked:
		var gone []*Conn
		now := time.Now()
		h.mu.Lock()
		for id, at := range h.revoked {
			if now.Sub(at) > revokedMemory {
				delete(h.revoked, id)
			}
		}
		h.revoked[e.Subject] = now
		for _, u := range e.Users {
			for c := range h.users[u] {
				if c.caller.SessionID == e.Subject {
					gone = append(gone, c)
				}
			}
		}
		h.mu.Unlock()
		for _, c := range gone {
			c.push(e, 1<<20)
			c.kick(CloseRevoked, "signed out")
		}
		return
	}
	if len(e.Payload) == 0 {
		return // for the nodes only (a presence heartbeat)
	}
	h.mu.RLock()
	if len(e.Users) > 0 {
		for _, u := range e.Users {
			for c := range h.users[u] {
				if !c.push(e, h.cfg.QueueLimit) {
					drop = append(drop, c)
				}
			}
		}
	} else if e.ConversationID != "" {
		for c := range h.convs[e.ConversationID] {
			if !c.push(e, h.cfg.QueueLimit) {
				drop = append(drop, c)
			}
		}
	}
	h.mu.RUnlock()
	if len(joined) > 0 {
		// After the member event is queued: its cursor comes first.
		go h.healJoined(e.ConversationID, joined)
	}
	if e.Kind == bus.Member && e.Action == "removed" {
		h.mu.Lock()
		for c := range h.users[e.Subject] {
			h.unsubscribeLocked(c, e.ConversationID)
		}
		h.mu.Unlock()
	}
	for _, c := range drop {
		h.Dropped.Add(1)
		c.kick(CloseResync, "fell behind; resume")
	}
}

// Shutdown closes every connection with a going-away status and refuses new
// ones. It returns when every writer has stopped or ctx ends.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.shut = true
	var all []*Conn
	for _, set := range h.users {
		for c := range set {
			all = append(all, c)
		}
	}
	h.mu.Unlock()
	for _, c := range all {
		c.kick(CloseGoingAway, "server shutting down")
	}
	for _, c := range all {
		select {
		case <-c.Done():
		case <-ctx.Done():
			return
		}
	}
}

// Serve is Start, then waits until the connection has ended, and returns
// why it ended.
func (h *Hub) Serve(ctx context.Context, c *Conn, cursors map[tack.ID]int64) error {
	h.Start(ctx, c, cursors)
	<-c.Done()
	return c.err
}

// Start catches the client up from cursors (the highest Mod it has seen per
// conversation) and then writes live events as they come, until ctx ends,
// the client is dropped, or a write fails; then it closes the Writer,
// detaches the Conn and closes Done. Writing happens on a goroutine that
// exists only while there is something to write.
//
// With nil cursors the client starts fresh (no history replay) and may
// later ask for what it missed with one Resume. Start does nothing on a
// connection already started or closed.
func (h *Hub) Start(ctx context.Context, c *Conn, cursors map[tack.ID]int64) {
	c.mu.Lock()
	if c.started || c.finished {
		c.mu.Unlock()
		return
	}
	c.started = true
	if ctx != c.actx {
		c.actx, c.ctx = ctx, tack.WithCaller(ctx, c.caller)
		context.AfterFunc(ctx, func() { c.kick(CloseGoingAway, "closing") })
	}
	ctx = c.ctx
	c.running = true // the catch-up goroutine below
	c.notify = make(chan struct{}, 1)
	c.mu.Unlock()
	go func() {
		if err := h.catchUp(ctx, c, cursors); err != nil {
			h.finish(c, err)
			return
		}
		h.run(c)
	}()
}

// finish ends a connection once.
func (h *Hub) finish(c *Conn, err error) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished, c.running, c.err = true, false, err
	c.pending = nil
	if c.kicked != 0 {
		// Closed on purpose: say why, even if a write then failed.
		err = &kickError{code: c.kicked, reason: c.reason}
	}
	c.mu.Unlock()
	var ke *kickError
	switch {
	case errors.As(err, &ke):
		c.w.Close(ke.code, ke.reason)
	case c.ctx.Err() != nil:
		c.w.Close(CloseGoingAway, "closing")
	default:
		c.w.Close(1011, "internal error")
	}
	h.detach(c)
	c.end()
}

type kickError struct {
	code   int
	reason string
}

func (k *kickError) Error() string { return fmt.Sprintf("closed %d: %s", k.code, k.reason) }

// batch is the frames of one write, separated by '\n'. Batches are pooled:
// a catch-up or a burst of events grows one to tens of kilobytes, and
// 10,000 clients reconnecting at once would otherwise allocate (and the
// collector scan) that much each.
type batch struct {
	buf []byte
	n   int
	enc *json.Encoder // writes into buf (see addJSON)
}

// maxPooledBatch is the largest buffer a released batch keeps.
const maxPooledBatch = 1 << 20

var batches = sync.Pool{New: func() any {
	b := &batch{}
	b.enc = json.NewEncoder(batchWriter{b})
	return b
}}

func newBatch() *batch { return batches.Get().(*batch) }

// release returns b to the pool; b must not be used after.
func (b *batch) release() {
	if cap(b.buf) > maxPooledBatch {
		b.buf = nil
	}
	b.buf, b.n = b.buf[:0], 0
	batches.Put(b)
}

// batchWriter appends to a batch's buffer (json.Encoder's io.Writer).
type batchWriter struct{ b *batch }

func (w batchWriter) Write(p []byte) (int, error) {
	w.b.buf = append(w.b.buf, p...)
	return len(p), nil
}

func (b *batch) add(f []byte) {
	if len(b.buf) > 0 {
		b.buf = append(b.buf, '\n')
	}
	b.buf = append(b.buf, f...)
	b.n++
}

// addJSON adds v encoded as JSON (as json.Marshal would), without the
// intermediate copy json.Marshal makes.
func (b *batch) addJSON(v any) {
	if len(b.buf) > 0 {
		b.buf = append(b.buf, '\n')
	}
	start := len(b.buf)
	if err := b.enc.Encode(v); err != nil {
		b.buf = b.buf[:max(start-1, 0)]
		return // a value that cannot be encoded is not sent
	}
	b.buf = b.buf[:len(b.buf)-1] // Encode's trailing newline
	b.n++
}

func (b *batch) size() int { return len(b.buf) }

// flush writes b to c (bound to c's context, giving up after writeWait) and
// empties it.
func (h *Hub) flush(c *Conn, b *batch) error {
	if b.n == 0 {
		return nil
	}
	var err error
	if tw, ok := c.w.(TimedWriter); ok {
		err = tw.WriteWithin(c.actx, b.buf, writeWait)
	} else {
		wctx, cancel := context.WithTimeout(c.actx, writeWait)
		err = c.w.Write(wctx, b.buf)
		cancel()
	}
	if err != nil {
		return err
	}
	h.Delivered.Add(int64(b.n))
	b.buf, b.n = b.buf[:0], 0
	return nil
}

// run writes what is queued for c and returns when the queue is empty (the
// connection is then idle and has no goroutine) or the connection ends.
func (h *Hub) run(c *Conn) {
	ctx := c.ctx
	out := newBatch()
	defer out.release()
	var take []*bus.Event
	var linger *time.Timer // made once per writer goroutine, reused
	lingering, expired := false, false
	defer func() {
		if linger != nil {
			linger.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if c.finished {
			c.mu.Unlock()
			return
		}
		if c.kicked != 0 {
			code, reason := c.kicked, c.reason
			pend := c.pending
			c.pending = nil
			c.mu.Unlock()
			// Deliver what was queued before a revocation or shutdown notice.
			if code != CloseResync && code != ClosePolicy && ctx.Err() == nil {
				for _, e := range pend {
					if err := h.add(ctx, c, out, e); err != nil {
						break
					}
				}
				_ = h.flush(c, out)
			}
			h.finish(c, &kickError{code: code, reason: reason})
			return
		}
		n := min(len(c.pending), h.cfg.MaxBatch)
		if n == 0 {
			c.pending = nil
			if expired {
				c.running = false // idle: the next push starts a new writer
				c.notify = nil
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			// Linger a moment: a busy connection keeps its writer instead
			// of starting one per event. (A wake-up may be stale: then the
			// queue is empty and the wait goes on.)
			if !lingering {
				lingering = true
				if linger == nil {
					linger = time.NewTimer(writerLinger)
				} else {
					linger.Reset(writerLinger)
				}
			}
			select {
			case <-c.notify:
			case <-linger.C:
				expired = true
			}
			continue
		}
		if lingering { // events came: linger afresh next time
			linger.Stop()
			lingering, expired = false, false
		}
		take = append(take[:0], c.pending[:n]...)
		for _, e := range take {
			if e.Kind == "" {
				c.replies--
				if c.space != nil {
					close(c.space) // a Reply waits for room
					c.space = nil
				}
			}
		}
		if n == len(c.pending) {
			c.pending = c.pending[:0]
			if cap(c.pending) > 64 {
				c.pending = nil // give memory back once a burst is over
			}
		} else {
			c.pending = c.pending[n:]
		}
		c.mu.Unlock()
		for i, e := range take {
			if err := h.add(ctx, c, out, e); err != nil {
				h.finish(c, err)
				return
			}
			take[i] = nil
		}
		if err := h.flush(c, out); err != nil {
			h.finish(c, err)
			return
		}
	}
}

// add appends e to out, skipping what the client has and healing gaps.
func (h *Hub) add(ctx context.Context, c *Conn, out *batch, e *bus.Event) error {
	switch e.Kind {
	case bus.Message:
		cur, ok := c.cursors[e.ConversationID]
		switch {
		case !ok:
			// A conversation the client just joined: start from here.
		case e.Mod <= cur:
			return nil // sent already
		case e.Mod > cur+1:
			// Missed something: read it from the store, the source of
			// truth, page by page up to this event.
			h.Healed.Add(1)
			got, err := h.fill(ctx, c, out, e.ConversationID, cur, e.Mod, h.cfg.MaxHeal)
			if err != nil {
				return err
			}
			if got > cur {
				c.setCursor(e.ConversationID, got)
			}
			if e.Mod <= got {
				return nil
			}
		}
		c.setCursor(e.ConversationID, e.Mod)
	case bus.Member:
		if e.Subject == c.caller.UserID {
			if e.Action == "removed" {
				delete(c.cursors, e.ConversationID)
				delete(c.floors, e.ConversationID)
			} else {
				if _, ok := c.cursors[e.ConversationID]; !ok && e.Mod > 0 {
					// Joined at e.Mod: a gap after it heals from there.
					c.setCursor(e.ConversationID, e.Mod-1)
				}
				if conv, err := h.src.Conversation(ctx, e.ConversationID); err == nil {
					out.addJSON(map[string]any{"type": "conversation", "conversation": conv})
				}
			}
		}
	case resumeKind:
		return h.resume(ctx, c, out, e.Payload)
	case healKind:
		return h.heal(ctx, c, out, e.ConversationID)
	}
	out.add(e.Payload)
	return nil
}

// CanAttach reports, without attaching, whether user may open one more
// connection on this node: nil, or the error Attach would give.
func (h *Hub) CanAttach(user tack.ID) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.shut {
		return tack.Errorf(tack.EUnavailable, "shutting down")
	}
	if max := h.cfg.MaxStreamsPerUser; max > 0 && len(h.users[user]) >= max {
		return tack.Errorf(tack.ERateLimited, "at most %d live streams per user on this server: close one first", max)
	}
	return nil
}

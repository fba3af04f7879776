package push

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
)

// Options of one push request.
type Options struct {
	// TTL is how long the push service keeps a push for a browser that is
	// offline.
	TTL time.Duration
	// Urgent asks for immediate delivery even on a phone saving battery
	// (the Urgency header "high"); otherwise "normal".
	Urgent bool
	// Topic collapses pushes: a newer push of the same topic replaces one
	// not yet delivered (at most 32 base64url characters).
	Topic string
}

// Sender encrypts a payload for a subscription (RFC 8291, aes128gcm),
// signs the request with the deployment's VAPID keys (RFC 8292) and posts
// it to the subscription's push service.
//
// Send returns nil once the push service accepted the push; ErrGone when
// it answered that the subscription no longer exists (404, 410); a
// *RetryError when it asked to try again later (429, 5xx); any other error
// for a push that will never be accepted. It must honour ctx and must never
// log the payload.
type Sender interface {
	Send(ctx context.Context, to Subscription, payload []byte, o Options) error
}

// ErrGone says a subscription no longer exists at its push service.
var ErrGone = errors.New("push subscription is gone")

// RetryError says the push service asked to try again later.
type RetryError struct {
	Status int
	// After is how long the service asked to wait (Retry-After); 0 if it
	// did not say.
	After time.Duration
}

func (e *RetryError) Error() string {
	return fmt.Sprintf("push service answered %d; retry later", e.Status)
}

// Chats is what the service reads of conversations: chat.Store provides it.
type Chats interface {
	Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error)
	Membership(ctx context.Context, convID, userID tack.ID) (chat.Membership, error)
	Memberships(ctx context.Context, convID tack.ID) ([]chat.Membership, error)
	Message(ctx context.Context, convID tack.ID, seq int64) (chat.Message, error)
}

// Names gives people's display names: account.Store provides it.
type Names interface {
	User(ctx context.Context, id tack.ID) (account.User, error)
}

// Config tunes the Service. The zero value is the production default.
type Config struct {
	// AllowLoopback admits http:// subscription endpoints on the loopback
	// interface: tests run their push service in-process. Never in production.
	AllowLoopback bool
	// Active, if set, says whether someone is using Tack right now (a live
	// stream on some node). They get no push, except urgent ones.
	Active interface{ Online(user tack.ID) bool }
	// Quiet, if set, is asked before each push to a person; true holds it
	// back. It is the seam for quiet hours and do-not-disturb, and sees
	// urgent notifications too.
	Quiet func(ctx context.Context, user tack.ID, n *Notification) bool
	// Deadlines and QuietEnd, if both set, make a message's push that
	// Quiet held back wait in the deadline queue until QuietEnd (when the
	// person's quiet hours end) and go out then (held.go; register
	// HandleHeld for HeldJob).
	Deadlines Deadlines
	QuietEnd  func(ctx context.Context, user tack.ID) (time.Time, error)
	// Queue bounds the work waiting (default 1024 messages or
	// notifications to plan, and as many pushes to send); beyond it new
	// work is dropped and counted. One planner decides who gets what; it
	// waits for room among the pushes to send rather than drop them.
	Queue int
	// Workers send concurrently (default 4).
	Workers int
	// Attempts per push, counting the first (default 4): 429 and 5xx
	// answers are retried after RetryBase, then twice that, and so on, or
	// after the Retry-After the service asked for (at most MaxRetryDelay).
	Attempts      int
	RetryBase     time.Duration // default 2 s
	MaxRetryDelay time.Duration // default 1 min
	// Timeout bounds one push request (default 10 s).
	Timeout time.Duration
	// TTL is how long a push service keeps an undelivered push (default 12 h).
	TTL time.Duration
	// Grace is how long Close lets queued pushes go out (default 5 s).
	Grace  time.Duration
	Logger *slog.Logger
}

// Service holds subscriptions and sends pushes. It is safe for concurrent
// use. Call Close to stop its workers.
type Service struct {
	store  Store
	chats  Chats
	names  Names
	sender Sender
	keys   Keys
	clock  tack.Clock
	cfg    Config
	log    *slog.Logger

	plans    chan job        // messages and notifications to plan
	sends    chan job        // pushes to send
	stopping chan struct{}   // closed by Close: no new work
	planned  chan struct{}   // closed when the planner has finished
	ctx      context.Context // cancelled when Close gives up waiting
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
	convs    convCache

	// Counters, for metrics.
	Sent, Failed, Dropped, Gone, Retried atomic.Int64
}

// NewService starts a Service that sends with sender, signing with keys.
func NewService(store Store, chats Chats, names Names, sender Sender, keys Keys, clock tack.Clock, cfg Config) *Service {
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 2 * time.Second
	}
	if cfg.MaxRetryDelay <= 0 {
		cfg.MaxRetryDelay = time.Minute
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 12 * time.Hour
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{store: store, chats: chats, names: names, sender: sender, keys: keys, clock: clock, cfg: cfg, log: cfg.Logger,
		plans: make(chan job, cfg.Queue), sends: make(chan job, cfg.Queue), stopping: make(chan struct{}), planned: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.plan()
	for range cfg.Workers {
		s.wg.Add(1)
		go s.send()
	}
	return s
}

// Close stops taking work, lets what is queued go out for up to
// Config.Grace, then abandons the rest.
func (s *Service) Close() {
	s.once.Do(func() {
		close(s.stopping)
		t := time.AfterFunc(s.cfg.Grace, s.cancel)
		<-s.planned
		s.wg.Wait()
		t.Stop()
		s.cancel()
	})
}

// job is one unit of work: a committed message to plan pushes for, a
// notification to fan out, or one push to send (again).
type job struct {
	event   *bus.Event
	note    *Notification
	push    *delivery
	attempt int
}

type delivery struct {
	to      Target
	payload []byte
	opts    Options
}

// offer hands j to q without blocking; false if the service is stopping
// or q is full.
func (s *Service) offer(q chan job, j job) bool {
	select {
	case <-s.stopping:
		return false
	default:
	}
	select {
	case q <- j:
		return true
	default:
		s.Dropped.Add(1)
		return false
	}
}

// queueSend hands a push to the senders, waiting for room: the planner
// slows down rather than drop what it decided.
func (s *Service) queueSend(d *delivery) {
	select {
	case s.sends <- job{push: d}:
	case <-s.ctx.Done():
		s.Dropped.Add(1)
	}
}

// plan is the planner: it runs until Close, then plans what is queued.
func (s *Service) plan() {
	defer close(s.planned)
	for {
		select {
		case j := <-s.plans:
			s.runPlan(j)
		case <-s.stopping:
			for {
				select {
				case j := <-s.plans:
					s.runPlan(j)
				default:
					return
				}
			}
		}
	}
}

func (s *Service) runPlan(j job) {
	switch {
	case j.event != nil:
		if err := s.planMessage(s.ctx, j.event); err != nil && s.ctx.Err() == nil {
			s.log.Warn("push: plan message", "conversation", j.event.ConversationID, "err", err)
		}
	case j.note != nil:
		if err := s.fanOut(s.ctx, j.note); err != nil && s.ctx.Err() == nil {
			s.log.Warn("push: notify", "kind", j.note.Kind, "err", err)
		}
	}
}

// send is a sender: it runs until the planner has finished after Close
// and nothing is left to send.
func (s *Service) send() {
	defer s.wg.Done()
	for {
		select {
		case j := <-s.sends:
			s.deliver(j.push, j.attempt)
		case <-s.planned:
			for {
				select {
				case j := <-s.sends:
					s.deliver(j.push, j.attempt)
				default:
					return
				}
			}
		}
	}
}

// HandleEvent plans pushes for a message this node committed. The node
// calls it from its own publisher, once per committed event, never for
// events heard from other nodes. It never blocks.
func (s *Service) HandleEvent(e *bus.Event) {
	if e.Kind != bus.Message || e.Mod == 0 {
		return
	}
	s.offer(s.plans, job{event: e})
}

// Notify pushes n to its recipients (the hook for DING, approvals and
// other notices): without blocking, off the caller's path. The caller
// chooses the recipients; Notify leaves out n.From, people active in the
// app (unless n.Urgent) and those Config.Quiet holds back. It reports false
// if the work was dropped (queue full or shutting down).
func (s *Service) Notify(n Notification) bool {
	return s.offer(s.plans, job{note: &n})
}

// deliver sends one push, and schedules a retry when the push service asks.
func (s *Service) deliver(d *delivery, attempt int) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	err := s.sender.Send(ctx, d.to.Subscription, d.payload, d.opts)
	cancel()
	var re *RetryError
	switch {
	case err == nil:
		s.Sent.Add(1)
	case errors.Is(err, ErrGone):
		s.Gone.Add(1)
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := s.store.DeleteEndpoint(dctx, d.to.Endpoint); err != nil {
			s.log.Warn("push: delete gone subscription", "user", d.to.UserID, "host", d.to.EndpointHost(), "err", err)
		}
		cancel()
	case errors.As(err, &re) && attempt+1 < s.cfg.Attempts && s.ctx.Err() == nil:
		delay := s.cfg.RetryBase << attempt
		if re.After > 0 {
			delay = re.After
		}
		delay = min(delay, s.cfg.MaxRetryDelay)
		s.Retried.Add(1)
		time.AfterFunc(delay, func() { s.offer(s.sends, job{push: d, attempt: attempt + 1}) })
	default:
		s.Failed.Add(1)
		if s.ctx.Err() == nil {
			s.log.Warn("push: send failed", "user", d.to.UserID, "host", d.to.EndpointHost(), "attempt", attempt+1, "err", err)
		}
	}
}

package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tackhq/tack"
)

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Dead      = "dead" // retried for Retry.GiveUp: kept for a replay
)

// Delivery is one event on its way to one app's callback URL.
type Delivery struct {
	ID      tack.ID `json:"id"`
	AppID   tack.ID `json:"app_id"`
	OrgID   tack.ID `json:"org_id"`
	EventID tack.ID `json:"event_id"`
	Event   string  `json:"event"`
	// Key orders deliveries: those of one app with the same key are
	// delivered one at a time, in the order they were made (a
	// conversation's ID for messages).
	Key        string          `json:"key,omitempty"`
	Body       json.RawMessage `json:"body"`
	State      string          `json:"state"`
	Attempts   int             `json:"attempts"`
	NextAt     time.Time       `json:"next_at"`
	CreatedAt  time.Time       `json:"created_at"`
	LastStatus int             `json:"last_status,omitempty"`
	LastError  string          `json:"last_error,omitempty"`
	DoneAt     *time.Time      `json:"done_at,omitempty"`
	// Stream is true for deliveries to the app's WebSocket event stream
	// (apps with no callback URL), false for callbacks.
	Stream bool `json:"stream,omitempty"`
}

// Outcome is what one attempt of a delivery came to.
type Outcome struct {
	State      string
	NextAt     time.Time
	LastStatus int
	LastError  string
	At         time.Time
}

// DeliveryStore keeps deliveries: the durable queue of event callbacks.
type DeliveryStore interface {
	// AddDeliveries stores ds, all or none.
	AddDeliveries(ctx context.Context, ds []Delivery) error
	// ClaimDeliveries leases up to limit pending deliveries due at now
	// (NextAt <= now) whose lease is free (never leased, or expired), each
	// the oldest pending delivery of its (AppID, Key), to owner until
	// now+lease, and returns them: callback deliveries (Stream false) when
	// app is "", else app's stream deliveries. Two claims never hold one
	// delivery at once, on any number of nodes.
	ClaimDeliveries(ctx context.Context, owner string, app tack.ID, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// FinishDelivery records an attempt on a delivery leased to owner:
	// Attempts goes up by one, the lease is freed, and State, NextAt,
	// LastStatus, LastError (and DoneAt when delivered) are set. It is
	// tack.ErrNotFound when the lease is no longer owner's.
	FinishDelivery(ctx context.Context, id tack.ID, owner string, o Outcome) error
	// Deliveries lists an app's deliveries in state ("" for every state),
	// newest first, with ID < before when before is set.
	Deliveries(ctx context.Context, appID tack.ID, state string, before tack.ID, limit int) ([]Delivery, error)
	Delivery(ctx context.Context, id tack.ID) (Delivery, error)
	// ReplayDelivery makes a delivery pending again, due at at, with its
	// attempts reset and its creation time set to at (a new 24-hour window).
	ReplayDelivery(ctx context.Context, id tack.ID, at time.Time) error
	// Prune deletes deliveries delivered before t and app calls made
	// before t.
	Prune(ctx context.Context, t time.Time) error
}

// Keep is how long delivered deliveries and the app call log are kept.
const Keep = 30 * 24 * time.Hour

// Retry is the delivery retry policy: exponential backoff from First,
// doubling up to Max, giving up GiveUp after the event.
type Retry struct {
	First, Max, GiveUp time.Duration
	// Lease is how long a node holds a delivery it is attempting.
	Lease time.Duration
	// Timeout bounds one attempt.
	Timeout time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.First <= 0 {
		r.First = 10 * time.Second
	}
	if r.Max <= 0 {
		r.Max = time.Hour
	}
	if r.GiveUp <= 0 {
		r.GiveUp = 24 * time.Hour
	}
	if r.Timeout <= 0 {
		r.Timeout = 10 * time.Second
	}
	if r.Lease <= 0 {
		r.Lease = 3 * r.Timeout
	}
	return r
}

// Backoff returns the wait after the attempts-th failed attempt (1-based).
func (r Retry) Backoff(attempts int) time.Duration {
	d := r.First
	for i := 1; i < attempts && d < r.Max; i++ {
		d *= 2
	}
	return min(d, r.Max)
}

// Sender makes one HTTP attempt of a delivery.
type Sender interface {
	// Send POSTs body to url with the headers; it returns the response
	// status, or an error when no response came.
	Send(ctx context.Context, url string, headers map[string]string, body []byte) (int, error)
}

// envelope is the JSON body of every callback.
type envelope struct {
	ID        tack.ID         `json:"id"`
	Type      string          `json:"type"`
	OrgID     tack.ID         `json:"org_id"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Emit queues an event for every app of orgID subscribed to it (and
// holding its scope, EventScope), durably, in one write: a callback
// delivery for apps with a callback URL, a stream delivery for the
// others. key orders the event among others with the same key (a
// conversation ID; "" for none). Nothing is queued while the
// organisation has apps, or the event's module, switched off.
func (s *Service) Emit(ctx context.Context, orgID tack.ID, event, key string, data any) error {
	apps, err := s.store.AppsFor(ctx, orgID, event)
	if err != nil || len(apps) == 0 {
		return err
	}
	if sc := EventScope[event]; sc != "" {
		apps = slices.DeleteFunc(apps, func(a App) bool { return !slices.Contains(a.Scopes, sc) })
		if len(apps) == 0 {
			return nil
		}
	}
	if on, err := s.ModuleOn(ctx, orgID, ModApps); err != nil || !on {
		return err
	}
	if m := eventModule[event]; m != "" {
		if on, err := s.ModuleOn(ctx, orgID, m); err != nil || !on {
			return err
		}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("event %s: %w", event, err)
	}
	now := s.clock.Now()
	env := envelope{ID: tack.NewID(), Type: event, OrgID: orgID, CreatedAt: now, Data: raw}
	body, err := json.Marshal(env)
	if err != nil {
		return err
	}
	var ds []Delivery
	for _, a := range apps {
		ds = append(ds, Delivery{ID: tack.NewID(), AppID: a.ID, OrgID: orgID, EventID: env.ID, Event: event, Key: key, Body: body,
			State: Pending, NextAt: now, CreatedAt: now, Stream: a.CallbackURL == ""})
	}
	if len(ds) == 0 {
		return nil
	}
	return s.store.AddDeliveries(ctx, ds)
}

// TestEvent queues a test event for one app (owner and admins).
func (s *Service) TestEvent(ctx context.Context, orgID, appID tack.ID) (Delivery, error) {
	a, err := s.appOf(ctx, orgID, appID)
	if err != nil {
		return Delivery{}, err
	}
	now := s.clock.Now()
	env := envelope{ID: tack.NewID(), Type: EventTest, OrgID: orgID, CreatedAt: now, Data: json.RawMessage(`{"hello":"tack"}`)}
	body, _ := json.Marshal(env)
	d := Delivery{ID: tack.NewID(), AppID: a.ID, OrgID: orgID, EventID: env.ID, Event: EventTest, Body: body, State: Pending, NextAt: now, CreatedAt: now,
		Stream: a.CallbackURL == ""}
	return d, s.store.AddDeliveries(ctx, []Delivery{d})
}

// Deliveries lists an app's deliveries (owner and admins).
func (s *Service) Deliveries(ctx context.Context, orgID, appID tack.ID, state string, before tack.ID, limit int) ([]Delivery, error) {
	if _, err := s.appOf(ctx, orgID, appID); err != nil {
		return nil, err
	}
	switch state {
	case "", Pending, Delivered, Dead:
	default:
		return nil, tack.Invalid("state", "state is pending, delivered or dead")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.Deliveries(ctx, appID, state, before, limit)
}

// Replay sends a delivery again (owner and admins): dead ones from the
// dead-letter list, or delivered ones on request.
func (s *Service) Replay(ctx context.Context, orgID, appID, id tack.ID) (Delivery, error) {
	if _, err := s.appOf(ctx, orgID, appID); err != nil {
		return Delivery{}, err
	}
	d, err := s.store.Delivery(ctx, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && d.AppID != appID {
		return Delivery{}, tack.Errorf(tack.ENotFound, "no such delivery")
	} else if err != nil {
		return Delivery{}, err
	}
	if d.State == Pending {
		return Delivery{}, tack.Errorf(tack.EConflict, "the delivery is still being retried")
	}
	now := s.clock.Now()
	if err := s.store.ReplayDelivery(ctx, id, now); err != nil {
		return Delivery{}, err
	}
	return s.store.Delivery(ctx, id)
}

// Deliver runs one round of the delivery worker: it claims the due
// deliveries as owner and attempts each. It returns how many it attempted.
func (s *Service) Deliver(ctx context.Context, owner string, send Sender, limit int) (int, error) {
	now := s.clock.Now()
	ds, err := s.store.ClaimDeliveries(ctx, owner, "", now, s.cfg.Retry.Lease, limit)
	if err != nil {
		return 0, err
	}
	for _, d := range ds {
		s.attempt(ctx, owner, send, d)
	}
	return len(ds), nil
}

func (s *Service) attempt(ctx context.Context, owner string, send Sender, d Delivery) {
	r := s.cfg.Retry
	o := Outcome{}
	// Store calls outlive a shutdown that cuts the attempt short, so its
	// outcome is still recorded (a failed try, due again soon) and the
	// delivery is not left leased to a node that is gone. Each gets its own
	// bound, taken when it starts (the send between them may take a while).
	storeCtx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	}
	actx, acancel := storeCtx()
	a, err := s.store.App(actx, d.AppID)
	acancel()
	switch {
	case errors.Is(err, tack.ErrNotFound):
		o.State, o.LastError = Dead, "the app is gone"
	case err != nil:
		s.log.Warn("delivery app", "delivery", d.ID, "err", err)
		return // the lease runs out; another round retries
	case a.CallbackURL == "":
		o.LastError = "no callback URL"
	default:
		ts := strconv.FormatInt(s.clock.Now().UnixMilli(), 10)
		h := map[string]string{"Content-Type": "application/json", "X-Tack-Event-Id": string(d.EventID), "X-Tack-Event": d.Event,
			"X-Tack-Delivery": string(d.ID), "X-Tack-Timestamp": ts, "X-Tack-Signature": EventSignature(a.CallbackSecret, ts, d.Body)}
		actx, cancel := context.WithTimeout(ctx, r.Timeout)
		status, err := send.Send(actx, a.CallbackURL, h, d.Body)
		cancel()
		o.LastStatus = status
		switch {
		case err != nil:
			o.LastError = err.Error()
		case status >= 200 && status < 300:
			o.State = Delivered
		default:
			o.LastError = "HTTP " + strconv.Itoa(status)
		}
	}
	now := s.clock.Now()
	o.At = now
	if o.State == "" {
		o.State, o.NextAt = Pending, now.Add(r.Backoff(d.Attempts+1))
		if o.NextAt.Sub(d.CreatedAt) > r.GiveUp {
			o.State = Dead
		}
	}
	fctx, fcancel := storeCtx()
	defer fcancel()
	if err := s.store.FinishDelivery(fctx, d.ID, owner, o); err != nil && !errors.Is(err, tack.ErrNotFound) {
		s.log.Warn("delivery finish", "delivery", d.ID, "err", err)
	}
}

// Run delivers due callbacks every interval until ctx ends. Every node
// runs it; leases keep each delivery with one node at a time, and a
// node's restart loses nothing (its leases run out and another round
// takes them).
func (s *Service) Run(ctx context.Context, owner string, send Sender, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var pruned time.Time
	for {
		for {
			n, err := s.Deliver(ctx, owner, send, 50)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("deliveries", "err", err)
			}
			if n < 50 || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if now := s.clock.Now(); now.Sub(pruned) > time.Hour {
			pruned = now
			if err := s.store.DeleteExpiredTokens(ctx, now.Add(-time.Hour)); err != nil && ctx.Err() == nil {
				s.log.Warn("expired tokens", "err", err)
			}
			if err := s.store.Prune(ctx, now.Add(-Keep)); err != nil && ctx.Err() == nil {
				s.log.Warn("prune deliveries", "err", err)
			}
		}
	}
}

// StreamClaim leases the app's due stream deliveries to owner (one
// WebSocket connection); unacknowledged ones come back after the lease.
func (s *Service) StreamClaim(ctx context.Context, c Caller, owner string, limit int) ([]Delivery, error) {
	return s.store.ClaimDeliveries(ctx, owner, c.App.ID, s.clock.Now(), s.cfg.Retry.Lease, limit)
}

// StreamAck records that the app received a stream delivery leased to
// owner; an unknown delivery or one whose lease ran out is not found.
func (s *Service) StreamAck(ctx context.Context, c Caller, owner string, id tack.ID) error {
	err := s.store.FinishDelivery(ctx, id, owner, Outcome{State: Delivered, At: s.clock.Now(), LastStatus: 200})
	if errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "no such delivery leased to this stream")
	}
	return err
}

package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/org"
)

// Directory is what the service needs of organisations (org.Service
// implements it): the caller's membership, ENotFound for outsiders.
type Directory interface {
	Get(ctx context.Context, orgID tack.ID) (org.Org, org.Member, error)
}

// Conversations gives the caller's view of a conversation (chat.Service
// implements it): ENotFound unless the caller is a member.
type Conversations interface {
	Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error)
}

// Deadlines schedules jobs (deadline.Runner implements it).
type Deadlines interface {
	Schedule(ctx context.Context, j deadline.Job, earlier bool) error
	Cancel(ctx context.Context, kind, key string) error
}

// Config tunes a Service.
type Config struct {
	// Every is how often an organisation with a policy is swept (default
	// 1 hour).
	Every time.Duration
	// Batch is how many messages one transaction deletes (default 500);
	// MaxPerRun bounds one run of a sweep (default 20,000), after which it
	// is scheduled again at once, so that a job never outlives its lease.
	Batch, MaxPerRun int
	// Expired, if set, is called after a sweep removed messages (the node
	// runs the media collector, which removes the files no message
	// carries any more).
	Expired func(ctx context.Context)
	// Clock is the time at which messages' age is measured (nil: the wall
	// clock; tests move it forward). Jobs are always scheduled by the wall
	// clock, which the deadline runner uses.
	Clock  tack.Clock
	Logger *slog.Logger
}

// Service applies the rules.
type Service struct {
	store Store
	dir   Directory
	convs Conversations
	jobs  Deadlines
	clock tack.Clock
	cfg   Config
	log   *slog.Logger
}

// NewService returns a Service.
func NewService(store Store, dir Directory, convs Conversations, jobs Deadlines, cfg Config) *Service {
	if cfg.Every <= 0 {
		cfg.Every = time.Hour
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.MaxPerRun <= 0 {
		cfg.MaxPerRun = 20000
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Service{store: store, dir: dir, convs: convs, jobs: jobs, clock: cfg.Clock, cfg: cfg, log: log}
}

var errNoGroup = tack.Errorf(tack.ENotFound, "no such group in this organisation")

// member returns the caller's membership of orgID.
func (s *Service) member(ctx context.Context, orgID tack.ID) (org.Member, error) {
	if tack.UserID(ctx) == "" {
		return org.Member{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	_, me, err := s.dir.Get(ctx, orgID)
	return me, err
}

// admin returns the caller's membership if they are the owner or an admin
// (with the second factor the organisation may require of admins).
func (s *Service) admin(ctx context.Context, orgID tack.ID) (org.Member, error) {
	me, err := s.member(ctx, orgID)
	if err != nil {
		return me, err
	}
	if me.Needs2FA {
		return me, tack.Errorf(tack.EForbidden, "this organisation requires admins to sign in with two steps: turn on two-step sign-in first")
	}
	if me.Role != org.RoleOwner && me.Role != org.RoleAdmin {
		return me, tack.Errorf(tack.EForbidden, "only the owner and admins may do this")
	}
	return me, nil
}

// Policy returns an organisation's retention (its members).
func (s *Service) Policy(ctx context.Context, orgID tack.ID) (Policy, error) {
	if _, err := s.member(ctx, orgID); err != nil {
		return Policy{}, err
	}
	return s.policy(ctx, orgID)
}

func (s *Service) policy(ctx context.Context, orgID tack.ID) (Policy, error) {
	p, err := s.store.Policy(ctx, orgID)
	if err != nil {
		return Policy{}, fmt.Errorf("retention policy: %w", err)
	}
	p.OrgID = orgID
	return p, nil
}

// CheckDays validates a retention in days.
func CheckDays(days int) error {
	if days != 0 && (days < MinDays || days > MaxDays) {
		return tack.Invalid("days", "days must be 0 (keep forever) or between %d and %d", MinDays, MaxDays)
	}
	return nil
}

// SetPolicy sets an organisation's retention (owner and admins); the sweep
// is scheduled at once (or cancelled for 0).
func (s *Service) SetPolicy(ctx context.Context, orgID tack.ID, days int) (Policy, error) {
	if err := CheckDays(days); err != nil {
		return Policy{}, err
	}
	me, err := s.admin(ctx, orgID)
	if err != nil {
		return Policy{}, err
	}
	before, err := s.policy(ctx, orgID)
	if err != nil {
		return Policy{}, err
	}
	now := time.Now().UTC()
	p := Policy{OrgID: orgID, Days: days, UpdatedBy: me.UserID, UpdatedAt: &now}
	a := org.Audit{ID: tack.NewID(), OrgID: orgID, ActorID: me.UserID, Action: "org.retention", Target: string(orgID),
		Before: map[string]any{"days": before.Days}, After: map[string]any{"days": days}, At: now}
	if err := s.store.PutPolicy(ctx, p, a); err != nil {
		return Policy{}, fmt.Errorf("put retention policy: %w", err)
	}
	if days == 0 {
		err = errors.Join(s.jobs.Cancel(ctx, SweepJob, string(orgID)), s.jobs.Cancel(ctx, SweepJob, nowKey(orgID)))
	} else {
		err = s.jobs.Schedule(ctx, deadline.Job{Kind: SweepJob, Key: nowKey(orgID), Due: now}, true)
	}
	if err != nil {
		// The policy holds; Resume at the next start schedules the sweep.
		s.log.Warn("retention: schedule sweep", "org", orgID, "err", err)
	}
	return p, nil
}

// Holds lists an organisation's legal holds (owner and admins).
func (s *Service) Holds(ctx context.Context, orgID tack.ID) ([]Hold, error) {
	if _, err := s.admin(ctx, orgID); err != nil {
		return nil, err
	}
	hs, err := s.store.Holds(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("legal holds: %w", err)
	}
	if hs == nil {
		hs = []Hold{}
	}
	return hs, nil
}

// PutHold places one of the organisation's groups under legal hold (owner
// and admins); placing it again changes the reason.
func (s *Service) PutHold(ctx context.Context, orgID, convID tack.ID, reason string) (Hold, error) {
	reason = strings.TrimSpace(reason)
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > MaxReason {
		return Hold{}, tack.Invalid("reason", "reason must be text of at most %d characters", MaxReason)
	}
	me, err := s.admin(ctx, orgID)
	if err != nil {
		return Hold{}, err
	}
	if err := s.inOrg(ctx, orgID, convID); err != nil {
		return Hold{}, err
	}
	now := time.Now().UTC()
	h := Hold{ConversationID: convID, OrgID: orgID, Reason: reason, SetBy: me.UserID, CreatedAt: now}
	a := org.Audit{ID: tack.NewID(), OrgID: orgID, ActorID: me.UserID, Action: "group.hold", Target: string(convID),
		After: map[string]any{"reason": reason}, At: now}
	if err := s.store.PutHold(ctx, h, a); err != nil {
		return Hold{}, fmt.Errorf("put legal hold: %w", err)
	}
	hs, err := s.store.Holds(ctx, orgID)
	if err == nil {
		for _, x := range hs {
			if x.ConversationID == convID {
				h.Title = x.Title
			}
		}
	}
	return h, nil
}

// RemoveHold lifts a legal hold (owner and admins). The group's old
// messages go at the next sweep.
func (s *Service) RemoveHold(ctx context.Context, orgID, convID tack.ID) error {
	me, err := s.admin(ctx, orgID)
	if err != nil {
		return err
	}
	if !convID.Valid() {
		return errNoHold
	}
	now := time.Now().UTC()
	a := org.Audit{ID: tack.NewID(), OrgID: orgID, ActorID: me.UserID, Action: "group.unhold", Target: string(convID), At: now}
	if err := s.store.DeleteHold(ctx, orgID, convID, a); errors.Is(err, tack.ErrNotFound) {
		return errNoHold
	} else if err != nil {
		return fmt.Errorf("delete legal hold: %w", err)
	}
	if p, err := s.policy(ctx, orgID); err == nil && p.Days > 0 {
		if err := s.jobs.Schedule(ctx, deadline.Job{Kind: SweepJob, Key: nowKey(orgID), Due: now}, true); err != nil {
			s.log.Warn("retention: schedule sweep", "org", orgID, "err", err)
		}
	}
	return nil
}

var errNoHold = tack.Errorf(tack.ENotFound, "this group is under no legal hold")

func (s *Service) inOrg(ctx context.Context, orgID, convID tack.ID) error {
	if !convID.Valid() {
		return errNoGroup
	}
	o, err := s.store.GroupOrg(ctx, convID)
	if errors.Is(err, tack.ErrNotFound) || (err == nil && o != orgID) {
		return errNoGroup
	}
	return err
}

// Conversation tells a conversation's member what retention applies to it.
func (s *Service) Conversation(ctx context.Context, convID tack.ID) (Info, error) {
	if _, err := s.convs.Conversation(ctx, convID); err != nil {
		return Info{}, err
	}
	info := Info{ConversationID: convID}
	o, err := s.store.GroupOrg(ctx, convID)
	if errors.Is(err, tack.ErrNotFound) {
		return info, nil
	} else if err != nil {
		return Info{}, fmt.Errorf("group's organisation: %w", err)
	}
	info.OrgID = o
	p, err := s.policy(ctx, o)
	if err != nil {
		return Info{}, err
	}
	info.Days = p.Days
	if info.LegalHold, err = s.store.Held(ctx, convID); err != nil {
		return Info{}, fmt.Errorf("legal hold: %w", err)
	}
	return info, nil
}

// Resume schedules the sweep of every organisation with a policy (at
// start: a job dropped after failing too often comes back). Jobs already
// scheduled keep the earlier due time.
func (s *Service) Resume(ctx context.Context) error {
	ps, err := s.store.Policies(ctx)
	if err != nil {
		return fmt.Errorf("retention policies: %w", err)
	}
	now := time.Now()
	for _, p := range ps {
		if err := s.jobs.Schedule(ctx, deadline.Job{Kind: SweepJob, Key: string(p.OrgID), Due: now}, true); err != nil {
			return err
		}
	}
	return nil
}

// HandleSweep is the deadline handler of SweepJob: it deletes the
// organisation's expired messages, a batch per transaction. The periodic
// sweep then schedules itself again (at once if it stopped at MaxPerRun,
// else after Every); a sweep asked for by a change runs again at once only
// if it stopped at MaxPerRun, and makes sure the periodic one exists.
// Without a policy it ends. Safe to run twice, even at once on two nodes:
// deleting is idempotent.
func (s *Service) HandleSweep(ctx context.Context, j deadline.Job) error {
	id, suffix, asked := strings.Cut(j.Key, "/")
	orgID := tack.ID(id)
	if !orgID.Valid() || (asked && suffix != "now") {
		return deadline.Permanent(fmt.Errorf("retention sweep: bad organisation ID"))
	}
	n, more, err := s.Sweep(ctx, orgID)
	if n > 0 {
		s.log.Info("retention: messages removed", "org", orgID, "messages", n)
		if s.cfg.Expired != nil {
			s.cfg.Expired(ctx)
		}
	}
	if err != nil {
		return err
	}
	p, err := s.policy(ctx, orgID)
	if err != nil || p.Days == 0 {
		return err
	}
	if asked {
		if more {
			// Scheduling the same job again gives it a new claim: the
			// runner's Done for this run then leaves it in place.
			return s.jobs.Schedule(ctx, deadline.Job{Kind: SweepJob, Key: j.Key, Due: time.Now()}, false)
		}
		return s.jobs.Schedule(ctx, deadline.Job{Kind: SweepJob, Key: string(orgID), Due: time.Now().Add(s.cfg.Every)}, true)
	}
	next := time.Now().Add(s.cfg.Every)
	if more {
		next = time.Now()
	}
	return s.jobs.Schedule(ctx, deadline.Job{Kind: SweepJob, Key: j.Key, Due: next}, false)
}

// Sweep deletes up to MaxPerRun of orgID's expired messages now; more says
// whether it stopped at that bound.
func (s *Service) Sweep(ctx context.Context, orgID tack.ID) (n int, more bool, err error) {
	p, err := s.policy(ctx, orgID)
	if err != nil || p.Days == 0 {
		return 0, false, err
	}
	before := Cutoff(s.clock.Now(), p.Days)
	for n < s.cfg.MaxPerRun {
		k, err := s.store.Expire(ctx, orgID, before, min(s.cfg.Batch, s.cfg.MaxPerRun-n))
		n += k
		if err != nil {
			return n, false, fmt.Errorf("expire messages: %w", err)
		}
		if k == 0 {
			return n, false, nil
		}
	}
	return n, true, nil
}

// Cutoff is the creation time before which messages are expired under a
// retention of days at now.
func Cutoff(now time.Time, days int) time.Time {
	return now.Add(-time.Duration(days) * 24 * time.Hour)
}

package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/tackhq/tack"
)

// groupsTTL is how long the map of organisation groups with message
// subscribers is trusted: an app subscribed on another node starts
// receiving messages within it.
const groupsTTL = 10 * time.Second

type messageEvent struct {
	conv  tack.ID
	frame json.RawMessage
}

// HandleMessage takes a message this node committed (its stream frame,
// {"type":"message","message":{...}}) and queues a "message" event for
// the apps subscribed to its organisation group. It never blocks: when
// the queue is full the event is dropped and counted, and the count logged
// at most once every dropLogEvery (one line per dropped event flooded the
// log, and cost CPU, just when the node was busiest).
func (s *Service) HandleMessage(convID tack.ID, frame []byte) {
	s.evMu.RLock()
	defer s.evMu.RUnlock()
	if s.evClosed {
		return
	}
	select {
	case s.events <- messageEvent{conv: convID, frame: frame}:
	default:
		n := s.dropped.Add(1)
		now := s.clock.Now().Unix()
		if last := s.dropLogged.Load(); now-last >= int64(dropLogEvery/time.Second) && s.dropLogged.CompareAndSwap(last, now) {
			s.log.Warn("platform: event queue full; message events dropped", "dropped", n-s.dropReported.Swap(n))
		}
	}
}

// dropLogEvery bounds how often dropped message events are logged.
const dropLogEvery = 10 * time.Second

// Dropped is the number of message events dropped because the queue was
// full.
func (s *Service) Dropped() int64 { return s.dropped.Load() }

func (s *Service) eventLoop() {
	defer close(s.eventsEnd)
	ctx := context.Background()
	for e := range s.events {
		// Most messages need nothing from here (a direct chat, a text that
		// calls no robot): they are not decoded. A robot is called only by
		// a text with an '@' (handleOutgoing), which JSON keeps as it is.
		at := s.cfg.Outgoing != nil && bytes.ContainsRune(e.frame, '@')
		org, err := s.groupOrgOf(ctx, e.conv)
		if err != nil {
			s.log.Warn("platform: message event", "err", err)
			org = ""
		}
		if !at && org == "" {
			continue
		}
		var f struct {
			Message json.RawMessage `json:"message"`
		}
		if json.Unmarshal(e.frame, &f) != nil || len(f.Message) == 0 {
			continue
		}
		if at {
			s.handleOutgoing(ctx, f.Message)
		}
		if org == "" {
			continue
		}
		if err := s.Emit(ctx, org, EventMessage, string(e.conv), f.Message); err != nil {
			s.log.Warn("platform: emit message event", "err", err)
		}
	}
}

func (s *Service) staleGroups() {
	s.groupsMu.Lock()
	s.groupsAt = time.Time{}
	s.groupsMu.Unlock()
	s.subs.Range(func(k, _ any) bool { s.subs.Delete(k); return true })
}

type subsEntry struct {
	orgs map[tack.ID]bool
	at   time.Time
}

// subscribed reports whether an app of orgID may be subscribed to event,
// from a list of the organisations with subscribers read at most every
// groupsTTL (at once after an app changed on this node): events of
// organisations without subscribers cost no store read.
func (s *Service) subscribed(ctx context.Context, orgID tack.ID, event string) (bool, error) {
	if e, ok := s.subs.Load(event); ok && time.Since(e.(subsEntry).at) < groupsTTL {
		return e.(subsEntry).orgs[orgID], nil
	}
	apps, err := s.store.AppsSubscribed(ctx, event)
	if err != nil {
		return false, err
	}
	orgs := map[tack.ID]bool{}
	for _, a := range apps {
		orgs[a.OrgID] = true
	}
	s.subs.Store(event, subsEntry{orgs, time.Now()})
	return orgs[orgID], nil
}

// Event queues an event of another capability (membership, directory,
// attendance, approval) for orgID's subscribed apps, after the change it
// tells of committed. It returns nothing: a failure is logged (the
// change happened; the event is lost, as a message event whose node
// stops between the commit and the write).
func (s *Service) Event(ctx context.Context, orgID tack.ID, event, key string, data any) {
	ctx = context.WithoutCancel(ctx)
	ok, err := s.subscribed(ctx, orgID, event)
	if err == nil && ok {
		err = s.Emit(ctx, orgID, event, key, data)
	}
	if err != nil {
		s.log.Warn("platform: event", "event", event, "org", orgID, "err", err)
	}
}

// groupOrgOf returns the organisation whose group convID is, if that
// organisation has an app subscribed to messages; "" otherwise.
func (s *Service) groupOrgOf(ctx context.Context, convID tack.ID) (tack.ID, error) {
	s.groupsMu.Lock()
	defer s.groupsMu.Unlock()
	if time.Since(s.groupsAt) > groupsTTL {
		apps, err := s.store.AppsSubscribed(ctx, EventMessage)
		if err != nil {
			return "", err
		}
		m := map[tack.ID]tack.ID{}
		seen := map[tack.ID]bool{}
		for _, a := range apps {
			if seen[a.OrgID] {
				continue
			}
			seen[a.OrgID] = true
			convs, err := s.orgs.OrgGroups(ctx, a.OrgID)
			if err != nil {
				return "", err
			}
			for _, c := range convs {
				m[c] = a.OrgID
			}
		}
		s.groupOrg, s.groupsAt = m, time.Now()
	}
	return s.groupOrg[convID], nil
}

// EmitApproval queues an "approval" event for orgID's subscribed apps.
func (s *Service) EmitApproval(ctx context.Context, orgID tack.ID, approvalID string, data json.RawMessage) error {
	if ok, err := s.subscribed(ctx, orgID, EventApproval); err != nil || !ok {
		return err
	}
	return s.Emit(ctx, orgID, EventApproval, approvalID, data)
}

// AppPost posts a message as the app into one of its organisation's
// groups (scope chat:write, checked by Authorize). Another
// organisation's group, or any other conversation, is not found.
func (s *Service) AppPost(ctx context.Context, c Caller, convID tack.ID, p Post) error {
	convs, err := s.orgs.OrgGroups(ctx, c.App.OrgID)
	if err != nil {
		return err
	}
	found := false
	for _, x := range convs {
		found = found || x == convID
	}
	if !found {
		return tack.Errorf(tack.ENotFound, "no such group in the app's organisation")
	}
	p.Name = c.App.Name
	err = s.poster.PostRobot(ctx, convID, c.App.BotID, p)
	if errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "no such group in the app's organisation")
	}
	return err
}

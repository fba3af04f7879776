package ding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/deadline"
)

// steps are a DING's escalation steps: the app and push at once, then each
// other chosen channel in ladder order.
func steps(chans []string) [][]string {
	first := []string{App}
	if slices.Contains(chans, Push) {
		first = append(first, Push)
	}
	out := [][]string{first}
	for _, c := range chans {
		if c == Email || c == SMS || c == Call {
			out = append(out, []string{c})
		}
	}
	return out
}

// reached lists the channels of steps 0..level.
func reached(chans []string, level int) []string {
	out := []string{}
	for i, st := range steps(chans) {
		if i <= level {
			out = append(out, st...)
		}
	}
	return out
}

type jobData struct {
	ID    tack.ID `json:"id"`
	Level int     `json:"level,omitempty"`
}

func (s *Service) schedule(ctx context.Context, kind string, id tack.ID, at time.Time, level ...int) error {
	if s.cfg.Deadlines == nil {
		return nil
	}
	jd := jobData{ID: id}
	if len(level) > 0 {
		jd.Level = level[0]
	}
	data, _ := json.Marshal(jd)
	if err := s.cfg.Deadlines.Schedule(ctx, deadline.Job{Kind: kind, Key: string(id), Due: at, Data: data}, false); err != nil {
		return fmt.Errorf("schedule %s: %w", kind, err)
	}
	return nil
}

// deliver sends a DING now: in the app and by push, then schedules its
// escalation. Delivering a sent DING does nothing.
func (s *Service) deliver(ctx context.Context, id tack.ID) error {
	changed, err := s.store.MarkSent(ctx, id)
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	if !changed {
		return nil
	}
	d, err := s.store.Ding(ctx, id)
	if err != nil {
		return err
	}
	s.reach(ctx, d, 0, "sent")
	return s.next(ctx, d, 0)
}

// next schedules the escalation after level, if there is one and someone
// it could still reach.
func (s *Service) next(ctx context.Context, d Ding, level int) error {
	if level+1 >= len(steps(d.Channels)) || !s.escalatable(d) {
		return nil
	}
	return s.schedule(ctx, EscalateJob, d.ID, s.clock.Now().Add(time.Duration(d.EscalateAfterS)*time.Second), level+1)
}

// escalatable: someone unconfirmed may be reached past push (not in quiet
// hours, or an emergency).
func (s *Service) escalatable(d Ding) bool {
	for _, r := range d.Recipients {
		if r.ConfirmedAt == nil && (!r.Quiet || d.Emergency) {
			return true
		}
	}
	return false
}

// reach tells the unconfirmed recipients of d by the channels of step
// level (in the app: everyone concerned gets the event). Failures are
// logged: one person's bounced email must not stop the others.
func (s *Service) reach(ctx context.Context, d Ding, level int, action string) {
	v := view(d)
	if level == 0 {
		s.publish(ctx, v, action)
	}
	st := steps(d.Channels)
	if level >= len(st) || s.cfg.Notifier == nil {
		return
	}
	for _, ch := range st[level] {
		if ch == App {
			continue
		}
		for _, r := range d.Recipients {
			if r.ConfirmedAt != nil {
				continue
			}
			if r.Quiet && !d.Emergency && ch != Push {
				continue // quiet hours: the app and push only
			}
			to := Contact{UserID: r.UserID}
			if m, err := s.dir.DirectoryMember(ctx, d.OrgID, r.UserID); err == nil {
				to.Name, to.Email, to.Phone = m.Name, m.WorkEmail, m.Phone
			}
			if err := s.cfg.Notifier.Reach(ctx, ch, to, d); err != nil && !errors.Is(err, ErrNoAddress) {
				s.log.Warn("DING: reach", "ding", d.ID, "channel", ch, "user", r.UserID, "err", err)
			}
		}
	}
}

// HandleSend is the deadline handler of SendJob: a scheduled DING's time
// has come.
func (s *Service) HandleSend(ctx context.Context, j deadline.Job) error {
	var jd jobData
	if err := json.Unmarshal(j.Data, &jd); err != nil || !jd.ID.Valid() {
		return deadline.Permanent(fmt.Errorf("send job data: %v", err))
	}
	err := s.deliver(ctx, jd.ID)
	if errors.Is(err, tack.ErrNotFound) {
		return nil
	}
	return err
}

// HandleEscalate is the deadline handler of EscalateJob: reach the
// unconfirmed by the next channel, once.
func (s *Service) HandleEscalate(ctx context.Context, j deadline.Job) error {
	var jd jobData
	if err := json.Unmarshal(j.Data, &jd); err != nil || !jd.ID.Valid() || jd.Level < 1 {
		return deadline.Permanent(fmt.Errorf("escalate job data: %v", err))
	}
	d, err := s.store.Ding(ctx, jd.ID)
	if errors.Is(err, tack.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if d.Level >= jd.Level || !s.escalatable(d) {
		return nil // done before (a rerun), or nobody left to reach
	}
	s.reach(ctx, d, jd.Level, "escalated")
	if _, err := s.store.SetLevel(ctx, d.ID, d.Level, jd.Level); err != nil {
		return err
	}
	d.Level = jd.Level
	s.publish(ctx, view(d), "escalated")
	return s.next(ctx, d, jd.Level)
}

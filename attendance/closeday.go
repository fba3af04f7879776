package attendance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Run calls RunJobs every interval until ctx ends (a node runs it in the
// background). Failures are logged and retried on the next tick.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.RunJobs(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("attendance jobs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick: // a group changed: plan it now
		}
	}
}

// poke asks Run to run the jobs soon.
func (s *Service) poke() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// RunJobs does the background work that is due: plans each group's days
// up to today (catching up after downtime, at most MaxCatchUpDays), closes
// every day whose last punch window has ended, and erases field-punch
// coordinates past their retention. It is safe to run on any number of
// nodes at once: planning advances a per-group cursor by compare-and-set,
// closing claims days with a lease and closes each by compare-and-set on
// its revision, and erasing is idempotent.
func (s *Service) RunJobs(ctx context.Context) error {
	err1 := s.PlanDays(ctx)
	_, err2 := s.CloseDue(ctx)
	_, err3 := s.store.EraseCoordinates(ctx, s.now())
	return errors.Join(err1, err2, err3)
}

// PlanDays makes the day rows (open, with their plan and due time) of
// every group's members for every date from the group's cursor to today.
func (s *Service) PlanDays(ctx context.Context) error {
	gs, err := s.store.AllGroups(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, g := range gs {
		if err := s.planGroup(ctx, g); err != nil {
			errs = append(errs, fmt.Errorf("group %s: %w", g.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) planGroup(ctx context.Context, g Group) error {
	loc, err := loadLocation(g.TimeZone)
	if err != nil {
		return err
	}
	today := civil(s.now().In(loc))
	cursor, err := parseDate("planned_through", g.PlannedThrough)
	if err != nil {
		return err
	}
	if !cursor.Before(today) {
		return nil
	}
	t, err := s.freshTree(ctx, g.OrgID)
	if err != nil {
		return err
	}
	members, err := s.members(ctx, t, g)
	if err != nil {
		return err
	}
	prev := g.PlannedThrough
	for d := cursor.AddDate(0, 0, 1); !d.After(today); d = d.AddDate(0, 0, 1) {
		if today.Sub(d) > MaxCatchUpDays*24*time.Hour {
			// Too far back: skip to the oldest date we still plan.
			continue
		}
		if err := s.planDate(ctx, g, members, prev, d); err != nil {
			if tack.ErrorCode(err) == tack.EConflict {
				return nil // another node planned it
			}
			return err
		}
		prev = dateString(d)
	}
	return nil
}

// planDate plans one date for the group's members, and moves the cursor
// from prev to it, in one write.
func (s *Service) planDate(ctx context.Context, g Group, members []org.Member, prev string, date time.Time) error {
	ds := dateString(date)
	var hol *Holiday
	if g.FollowCalendar && g.Kind != Scheduled {
		hs, err := s.store.Holidays(ctx, g.OrgID, ds, ds)
		if err != nil {
			return err
		}
		if len(hs) > 0 {
			hol = &hs[0]
		}
	}
	var scheds map[tack.ID]Schedule
	var shifts map[tack.ID]Shift
	if g.Kind == Scheduled {
		ss, err := s.store.Schedules(ctx, g.OrgID, nil, ds, ds)
		if err != nil {
			return err
		}
		scheds = map[tack.ID]Schedule{}
		for _, x := range ss {
			if x.GroupID == g.ID {
				scheds[x.UserID] = x
			}
		}
		if shifts, err = s.shiftMap(ctx, g.OrgID); err != nil {
			return err
		}
	}
	loc, _ := loadLocation(g.TimeZone)
	covers, err := s.store.CoversOf(ctx, g.OrgID, wall(date, -1440, loc), wall(date, 2*1440, loc))
	if err != nil {
		return err
	}
	byUser := map[tack.ID][]Cover{}
	for _, c := range covers {
		byUser[c.UserID] = append(byUser[c.UserID], c)
	}
	now := s.now()
	writes := make([]DayWrite, 0, len(members))
	for _, m := range members {
		var sc *Schedule
		if x, ok := scheds[m.UserID]; ok {
			sc = &x
		}
		p := planFor(g, date, hol, sc, shifts)
		d := Day{OrgID: g.OrgID, UserID: m.UserID, MemberID: m.ID, GroupID: g.ID, WorkDate: ds, State: Open, Plan: p,
			Covers: coversWithin(byUser[m.UserID], p.Start, p.End), DueAt: p.dueAt(), UpdatedAt: now}
		d.Checks, d.Summary = judge(p, nil, d.Covers, false)
		writes = append(writes, DayWrite{Day: d, Mode: InsertIfAbsent})
	}
	// Write in chunks, so that punches are not held up behind one long
	// transaction; the cursor moves with the last chunk. Rows are inserted
	// only if absent, so a planner that stops half-way (or two planning
	// at once) leaves nothing twice.
	for len(writes) > planChunk {
		if err := s.store.Apply(ctx, Batch{Days: writes[:planChunk]}); err != nil {
			return err
		}
		writes = writes[planChunk:]
	}
	return s.store.Apply(ctx, Batch{Plan: &PlanAdvance{OrgID: g.OrgID, GroupID: g.ID, From: prev, To: ds}, Days: writes})
}

func coversWithin(cs []Cover, from, to time.Time) []Cover {
	var out []Cover
	for _, c := range cs {
		if c.Start.Before(to) && c.End.After(from) {
			out = append(out, c)
		}
	}
	return out
}

// CloseDue closes every open day that is due: missing checks become
// NotSigned and the summary is final. It returns how many days it closed.
func (s *Service) CloseDue(ctx context.Context) (int, error) {
	closed := 0
	for {
		now := s.now()
		days, err := s.store.ClaimDue(ctx, now, now.Add(leaseTime), s.node, claimBatch)
		if err != nil {
			return closed, err
		}
		if len(days) == 0 {
			return closed, nil
		}
		writes := make([]DayWrite, len(days))
		for i, d := range days {
			writes[i] = DayWrite{Day: closeDay(d, now), Mode: UpdateDay, PrevRev: d.Rev}
		}
		err = s.store.Apply(ctx, Batch{Days: writes})
		if tack.ErrorCode(err) == tack.EConflict {
			// One moved (a punch, a cover): close the others one by one;
			// the moved one is claimed again when its lease lapses.
			err = nil
			for _, w := range writes {
				e := s.store.Apply(ctx, Batch{Days: []DayWrite{w}})
				if e == nil {
					closed++
					s.emitDay(ctx, w.Day)
				} else if tack.ErrorCode(e) != tack.EConflict {
					err = e
				}
			}
		} else if err == nil {
			closed += len(writes)
			for _, w := range writes {
				s.emitDay(ctx, w.Day)
			}
		}
		if err != nil {
			return closed, err
		}
		if len(days) < claimBatch {
			return closed, nil
		}
	}
}

func closeDay(d Day, now time.Time) Day {
	d.Checks, d.Summary = judge(d.Plan, d.Checks, d.Covers, true)
	d.State = Closed
	d.Closes++
	d.ClosedAt = &now
	d.UpdatedAt = now
	return d
}

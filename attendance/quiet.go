package attendance

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/tackhq/tack"
)

// Interval is a span of time.
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// QuietHours are a user's quiet hours over the coming days: by default
// every time outside their shifts in every organisation where they are in
// an attendance group, widened by the ranges they chose. Someone in no
// group has only the quiet hours they chose.
type QuietHours struct {
	TimeZone string       `json:"time_zone"`
	From     time.Time    `json:"from"`
	To       time.Time    `json:"to"`
	Work     []Interval   `json:"work"`
	Quiet    []Interval   `json:"quiet"`
	Extra    []QuietRange `json:"extra"`
	// FromShifts: the defaults come from shifts (false: no group).
	FromShifts bool `json:"from_shifts"`
}

const quietDays = 7

// QuietHours returns the caller's quiet hours for the next seven days.
func (s *Service) QuietHours(ctx context.Context) (QuietHours, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return QuietHours{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	now := s.now()
	return s.quiet(ctx, uid, now, now.Add(quietDays*24*time.Hour))
}

// SetQuietHours replaces the caller's own quiet ranges (they widen the
// defaults; they cannot narrow them).
func (s *Service) SetQuietHours(ctx context.Context, p QuietPrefs) (QuietHours, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return QuietHours{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if p.TimeZone != "" {
		tz, err := validTimeZone(p.TimeZone)
		if err != nil {
			return QuietHours{}, err
		}
		p.TimeZone = tz
	}
	if len(p.Extra) > 14 {
		return QuietHours{}, tack.Errorf(tack.ETooLarge, "at most 14 quiet ranges")
	}
	for i := range p.Extra {
		r := &p.Extra[i]
		f := fmt.Sprintf("extra[%d]", i)
		if len(r.Days) == 0 {
			r.Days = []int{1, 2, 3, 4, 5, 6, 7}
		}
		var days []int
		for _, d := range r.Days {
			if d < 1 || d > 7 {
				return QuietHours{}, tack.Invalid(f+".days", "days are 1 (Monday) to 7 (Sunday)")
			}
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
		slices.Sort(days)
		r.Days = days
		from, err := parseHM(f+".from", r.From)
		if err != nil {
			return QuietHours{}, err
		}
		to, err := parseHM(f+".to", r.To)
		if err != nil {
			return QuietHours{}, err
		}
		if from == to {
			return QuietHours{}, tack.Invalid(f+".to", "a quiet range needs different from and to times")
		}
		r.From, r.To = fmtHM(from), fmtHM(to)
	}
	if p.Extra == nil {
		p.Extra = []QuietRange{}
	}
	if err := s.store.PutQuietPrefs(ctx, uid, p); err != nil {
		return QuietHours{}, err
	}
	return s.QuietHours(ctx)
}

// QuietAt reports whether userID is in their quiet hours at t: what
// notifications must respect. For other services (no caller checks).
func (s *Service) QuietAt(ctx context.Context, userID tack.ID, t time.Time) (bool, error) {
	q, err := s.quiet(ctx, userID, t.Add(-time.Hour), t.Add(time.Hour))
	if err != nil {
		return false, err
	}
	for _, iv := range q.Quiet {
		if !t.Before(iv.Start) && t.Before(iv.End) {
			return true, nil
		}
	}
	return false, nil
}

// QuietUntil returns when the quiet hours userID is in at t end (t itself
// when they are not quiet), looking at most 7 days ahead: quiet hours that
// last longer end, as far as it says, then. For other services.
func (s *Service) QuietUntil(ctx context.Context, userID tack.ID, t time.Time) (time.Time, error) {
	q, err := s.quiet(ctx, userID, t.Add(-time.Hour), t.Add(quietDays*24*time.Hour))
	if err != nil {
		return time.Time{}, err
	}
	for _, iv := range q.Quiet {
		if !t.Before(iv.Start) && t.Before(iv.End) {
			return iv.End, nil
		}
	}
	return t, nil
}

func (s *Service) quiet(ctx context.Context, uid tack.ID, from, to time.Time) (QuietHours, error) {
	prefs, err := s.store.QuietPrefs(ctx, uid)
	if err != nil {
		return QuietHours{}, err
	}
	if prefs.Extra == nil {
		prefs.Extra = []QuietRange{}
	}
	q := QuietHours{From: from, To: to, Extra: prefs.Extra, Work: []Interval{}, Quiet: []Interval{}, TimeZone: prefs.TimeZone}
	orgs, members, err := s.dir.DirectoryOrgsOf(ctx, uid)
	if err != nil {
		return QuietHours{}, err
	}
	var work []Interval
	for i, o := range orgs {
		t, err := s.cachedTree(ctx, o.ID)
		if err != nil {
			return QuietHours{}, err
		}
		g, ok, err := s.groupOf(ctx, t, members[i])
		if err != nil {
			return QuietHours{}, err
		}
		if !ok {
			continue
		}
		q.FromShifts = true
		if q.TimeZone == "" {
			q.TimeZone = g.TimeZone
		}
		loc, _ := loadLocation(g.TimeZone)
		if loc == nil {
			loc = time.UTC
		}
		var dates []time.Time
		for d := civil(from.In(loc)).AddDate(0, 0, -1); !d.After(civil(to.In(loc))); d = d.AddDate(0, 0, 1) {
			dates = append(dates, d)
		}
		existing, err := s.store.Days(ctx, o.ID, []tack.ID{uid}, dateString(dates[0]), dateString(dates[len(dates)-1]))
		if err != nil {
			return QuietHours{}, err
		}
		days := map[string]Day{}
		for _, d := range existing {
			days[d.WorkDate] = d
		}
		plans, err := s.plansFor(ctx, g, uid, dates, days)
		if err != nil {
			return QuietHours{}, err
		}
		for _, p := range plans {
			switch p.Kind {
			case KindWork:
				for _, pr := range p.Pairs {
					work = append(work, Interval{pr.On, pr.Off})
				}
			case KindFree:
				work = append(work, Interval{p.Start, p.End})
			}
		}
	}
	if q.TimeZone == "" {
		q.TimeZone = "UTC"
	}
	loc, err := loadLocation(q.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var extra []Interval
	for d := civil(from.In(loc)).AddDate(0, 0, -1); !d.After(civil(to.In(loc))); d = d.AddDate(0, 0, 1) {
		for _, r := range prefs.Extra {
			if !slices.Contains(r.Days, isoWeekday(d)) {
				continue
			}
			f, _ := parseHM("from", r.From)
			t, _ := parseHM("to", r.To)
			if t <= f {
				t += 1440
			}
			extra = append(extra, Interval{wall(d, f, loc), wall(d, t, loc)})
		}
	}
	work = clip(merge(work), from, to)
	extra = clip(merge(extra), from, to)
	if q.FromShifts {
		work = subtract(work, extra)
		q.Work = work
		q.Quiet = subtract([]Interval{{from, to}}, work)
	} else {
		q.Quiet = extra
	}
	if q.Quiet == nil {
		q.Quiet = []Interval{}
	}
	if q.Work == nil {
		q.Work = []Interval{}
	}
	return q, nil
}

// merge sorts intervals and joins those that touch.
func merge(ivs []Interval) []Interval {
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start.Before(ivs[j].Start) })
	var out []Interval
	for _, iv := range ivs {
		if !iv.End.After(iv.Start) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

func clip(ivs []Interval, from, to time.Time) []Interval {
	var out []Interval
	for _, iv := range ivs {
		iv.Start, iv.End = later(iv.Start, from), earlier(iv.End, to)
		if iv.End.After(iv.Start) {
			out = append(out, iv)
		}
	}
	return out
}

// subtract returns a minus b (both merged and sorted).
func subtract(a, b []Interval) []Interval {
	var out []Interval
	for _, iv := range a {
		cur := []Interval{iv}
		for _, x := range b {
			var next []Interval
			for _, c := range cur {
				if !x.End.After(c.Start) || !x.Start.Before(c.End) {
					next = append(next, c)
					continue
				}
				if x.Start.After(c.Start) {
					next = append(next, Interval{c.Start, x.Start})
				}
				if x.End.Before(c.End) {
					next = append(next, Interval{x.End, c.End})
				}
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return out
}

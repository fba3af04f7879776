package attendance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// PunchInput is a punch as a client sends it. The time is the server's,
// never the client's.
type PunchInput struct {
	Position
	Note string
}

// Rule is what judged a check: the group and rule version in force that
// day, the shift and its thresholds, and why the day is worked or not.
type Rule struct {
	GroupID            tack.ID `json:"group_id"`
	GroupName          string  `json:"group_name"`
	Version            int     `json:"version"`
	Day                string  `json:"day"` // work, rest, free
	Reason             string  `json:"reason,omitempty"`
	Holiday            string  `json:"holiday,omitempty"`
	Shift              string  `json:"shift,omitempty"`
	ShiftName          string  `json:"shift_name,omitempty"`
	TimeZone           string  `json:"time_zone"`
	FlexMinutes        int     `json:"flex_minutes,omitempty"`
	FlexMode           string  `json:"flex_mode,omitempty"`
	SeriousLateMinutes int     `json:"serious_late_minutes,omitempty"`
	AbsentLateMinutes  int     `json:"absent_late_minutes,omitempty"`
}

func ruleOf(p Plan) Rule {
	return Rule{GroupID: p.GroupID, GroupName: p.GroupName, Version: p.Version, Day: p.Kind, Reason: p.Reason,
		Holiday: p.Holiday, Shift: p.Shift, ShiftName: p.ShiftName, TimeZone: p.TimeZone, FlexMinutes: p.FlexMinutes,
		FlexMode: p.FlexMode, SeriousLateMinutes: p.SeriousLateMinutes, AbsentLateMinutes: p.AbsentLateMinutes}
}

// PunchResult is an accepted punch as judged.
type PunchResult struct {
	ID             tack.ID   `json:"id"`
	CheckType      string    `json:"check_type"`
	TimeResult     string    `json:"time_result"`
	LocationResult string    `json:"location_result"`
	SourceType     string    `json:"source_type"`
	WorkDate       string    `json:"work_date"`
	UserCheckTime  time.Time `json:"user_check_time"`
	BaseCheckTime  time.Time `json:"base_check_time"`
	Minutes        int       `json:"minutes,omitempty"`
	Place          string    `json:"place,omitempty"`
	DistanceM      *int      `json:"distance_m,omitempty"`
	Via            string    `json:"via"`
	ClientReported bool      `json:"client_reported,omitempty"`
	// Replaced: this off-duty punch replaced an earlier one.
	Replaced bool `json:"replaced,omitempty"`
	Rule     Rule `json:"rule"`
}

func (in *PunchInput) validate() error {
	if (in.Lat == nil) != (in.Lng == nil) {
		return tack.Invalid("lat", "send both lat and lng, or neither")
	}
	if in.Lat != nil {
		if err := validCoord("lat", *in.Lat, *in.Lng); err != nil {
			return err
		}
		if in.AccuracyM == nil {
			return tack.Invalid("accuracy_m", "accuracy_m is required with a position")
		}
	}
	if in.AccuracyM != nil {
		a := *in.AccuracyM
		if math.IsNaN(a) || a < 0 {
			return tack.Invalid("accuracy_m", "accuracy_m must be a distance in metres")
		}
		if a > MaxAccuracyM {
			return tack.Invalid("accuracy_m", "your position is only accurate to %s; punches need %d m or better (move outdoors or turn on precise location)", fmtDistance(a), MaxAccuracyM)
		}
	}
	var err error
	if in.Note, err = validText("note", in.Note, MaxNoteRunes); err != nil {
		return err
	}
	if in.SSID, err = validText("ssid", in.SSID, 32); err != nil {
		return err
	}
	if in.BSSID != "" && !validBSSID(strings.ToLower(strings.TrimSpace(in.BSSID))) {
		return tack.Invalid("bssid", "bssid must be a MAC address like 00:11:22:33:44:55")
	}
	return nil
}

var errNoGroupOfYours = tack.Errorf(tack.EForbidden, "you are not in an attendance group of this organisation")

// Punch records the caller's punch at the server's time. Inside a place or
// on an office network it is a normal punch; outside, a field punch with a
// note where the group allows it, else EOutsideArea naming the nearest
// place. The first on-duty punch of a pair counts; a later off-duty punch
// replaces an earlier one.
func (s *Service) Punch(ctx context.Context, orgID tack.ID, in PunchInput) (PunchResult, error) {
	if err := in.validate(); err != nil {
		return PunchResult{}, err
	}
	a, err := s.punchActor(ctx, orgID)
	if err != nil {
		return PunchResult{}, err
	}
	t, err := s.cachedTree(ctx, orgID)
	if err != nil {
		return PunchResult{}, err
	}
	g, ok, err := s.groupOf(ctx, t, a.me)
	if err != nil {
		return PunchResult{}, err
	}
	if !ok {
		return PunchResult{}, errNoGroupOfYours
	}
	m := locate(g, in.Position)
	if !m.inside {
		if !g.FieldPunch {
			return PunchResult{}, tack.Errorf(EOutsideArea, "%s", outsideMessage(g, m, in.Lat != nil))
		}
		if in.Lat == nil {
			return PunchResult{}, tack.Invalid("lat", "a field punch (外勤) needs your position")
		}
		if in.Note == "" {
			return PunchResult{}, tack.Invalid("note", "you are outside the punch area (%s); a field punch (外勤) needs a note", outsideMessage(g, m, true))
		}
		m.via = "field"
		if m.nearest != "" {
			m.place, m.distanceM = m.nearest, roundDistance(m.nearestM)
		}
	}
	for attempt := 1; ; attempt++ {
		res, err := s.punchOnce(ctx, a.me, g, m, in)
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxPunchAttempts {
			continue // a concurrent punch of the same person moved the day
		}
		return res, err
	}
}

func (s *Service) punchOnce(ctx context.Context, me org.Member, g Group, m match, in PunchInput) (PunchResult, error) {
	now := s.now()
	loc, err := loadLocation(g.TimeZone)
	if err != nil {
		return PunchResult{}, fmt.Errorf("group time zone: %w", err)
	}
	today := civil(now.In(loc))
	dates := []time.Time{today.AddDate(0, 0, -1), today, today.AddDate(0, 0, 1)}
	existing, err := s.store.Days(ctx, g.OrgID, []tack.ID{me.UserID}, dateString(dates[0]), dateString(dates[2]))
	if err != nil {
		return PunchResult{}, err
	}
	days := map[string]Day{}
	for _, d := range existing {
		days[d.WorkDate] = d
	}
	plans, err := s.plansFor(ctx, g, me.UserID, dates, days)
	if err != nil {
		return PunchResult{}, err
	}
	i, err := chooseDate(plans, now)
	if err != nil {
		return PunchResult{}, err
	}
	date := dateString(dates[i])
	p := plans[i]
	d, exists := days[date]
	if exists && d.State != Open {
		return PunchResult{}, tack.Errorf(tack.EExpired, "the work day %s is already closed", date)
	}
	if !exists {
		covers, err := s.store.Covers(ctx, g.OrgID, me.UserID, p.Start, p.End)
		if err != nil {
			return PunchResult{}, err
		}
		d = Day{OrgID: g.OrgID, UserID: me.UserID, MemberID: me.ID, GroupID: g.ID, WorkDate: date, State: Open,
			Plan: p, Covers: covers, DueAt: p.dueAt()}
	}
	punch := Punch{ID: tack.NewID(), OrgID: g.OrgID, UserID: me.UserID, WorkDate: date, At: now, SourceType: SourceUser,
		LocationResult: Normal, Via: m.via, Place: m.place, DistanceM: m.distanceM, ClientReported: m.clientReported, Note: in.Note}
	if m.via == "field" {
		punch.LocationResult = Outside
		lat, lng := *in.Lat, *in.Lng
		punch.Lat, punch.Lng, punch.AccuracyM = &lat, &lng, in.AccuracyM
		erase := now.AddDate(0, 0, g.FieldRetentionDays)
		punch.EraseAt = &erase
	}
	check := Check{UserTime: &now, SourceType: SourceUser, LocationResult: punch.LocationResult, PunchID: punch.ID,
		Place: m.place, DistanceM: m.distanceM, Via: m.via, ClientReported: m.clientReported}
	cs, replaced := slotPunch(d.Plan, d.Checks, check)
	d.Checks, d.Summary = judge(d.Plan, cs, d.Covers, false)
	var got Check
	for _, c := range d.Checks {
		if c.PunchID == punch.ID {
			got = c
		}
	}
	punch.CheckType, punch.Pair = got.CheckType, got.Pair
	d.UpdatedAt = now
	w := DayWrite{Day: d, Mode: InsertDay}
	if exists {
		w.Mode, w.PrevRev = UpdateDay, d.Rev
	}
	if err := s.store.Apply(ctx, Batch{Punches: []Punch{punch}, Days: []DayWrite{w}}); err != nil {
		return PunchResult{}, err
	}
	s.emit(ctx, g.OrgID, Result{Action: "punch", UserID: me.UserID, MemberID: me.ID, WorkDate: date, Check: &got})
	return PunchResult{ID: punch.ID, CheckType: got.CheckType, TimeResult: got.TimeResult, LocationResult: got.LocationResult,
		SourceType: SourceUser, WorkDate: date, UserCheckTime: now, BaseCheckTime: got.BaseTime, Minutes: got.Minutes,
		Place: got.Place, DistanceM: got.DistanceM, Via: got.Via, ClientReported: got.ClientReported, Replaced: replaced,
		Rule: ruleOf(d.Plan)}, nil
}

// chooseDate picks which of yesterday, today and tomorrow (plans[0..2]) a
// punch at t belongs to: an overnight shift of yesterday whose window is
// still open; today's windows (or today, if it is a rest or free day);
// tomorrow's first window if it opens before midnight. Where yesterday's
// and today's windows overlap, they meet halfway between yesterday's last
// off time and today's first on time.
func chooseDate(plans []Plan, t time.Time) (int, error) {
	prev, cur, next := plans[0], plans[1], plans[2]
	inPrev := prev.Kind == KindWork && prev.contains(t)
	inCur := cur.contains(t)
	inNext := next.Kind == KindWork && next.contains(t)
	switch {
	case inPrev && inCur && cur.Kind == KindWork:
		lastOff := prev.Pairs[len(prev.Pairs)-1].Off
		firstOn := cur.Pairs[0].On
		if t.Before(lastOff.Add(firstOn.Sub(lastOff) / 2)) {
			return 0, nil
		}
		return 1, nil
	case inPrev:
		return 0, nil
	case inCur && cur.Kind == KindWork:
		return 1, nil
	case inNext:
		return 2, nil
	case cur.Kind != KindWork:
		return 1, nil
	}
	loc, _ := loadLocation(cur.TimeZone)
	if loc == nil {
		loc = time.UTC
	}
	if t.Before(cur.Pairs[0].OnOpen) {
		return 0, tack.Errorf(ENotInWindow, "punching opens at %s (your shift starts at %s)",
			cur.Pairs[0].OnOpen.In(loc).Format("15:04"), cur.Pairs[0].On.In(loc).Format("15:04"))
	}
	for i := 0; i+1 < len(cur.Pairs); i++ {
		if t.After(cur.Pairs[i].OffClose) && t.Before(cur.Pairs[i+1].OnOpen) {
			return 0, tack.Errorf(ENotInWindow, "punching opens again at %s", cur.Pairs[i+1].OnOpen.In(loc).Format("15:04"))
		}
	}
	return 0, tack.Errorf(ENotInWindow, "today's punch windows closed at %s", cur.End.In(loc).Format("15:04"))
}

// slotPunch puts a new punch into a day's checks: the first on-duty punch of
// a pair counts; a later punch in the pair's window is its off-duty
// punch, replacing an earlier one. Rest and free days: the first punch is
// on duty, the last off duty.
func slotPunch(p Plan, checks []Check, c Check) ([]Check, bool) {
	t := *c.UserTime
	if p.Kind != KindWork {
		cs := append([]Check(nil), checks...)
		for i := range cs {
			if cs[i].CheckType == OffDuty {
				c.CheckType, c.BaseTime = OffDuty, t
				cs[i] = c
				return cs, true
			}
		}
		c.BaseTime = t
		if len(cs) == 0 {
			c.CheckType = OnDuty
		} else {
			c.CheckType = OffDuty
		}
		return append(cs, c), false
	}
	cs := p.slots(checks)
	for k, pr := range p.Pairs {
		if t.Before(pr.OnOpen) || t.After(pr.OffClose) {
			continue
		}
		on, off := &cs[2*k], &cs[2*k+1]
		if on.UserTime == nil && t.Before(pr.Split) {
			c.Pair, c.CheckType, c.BaseTime = k, OnDuty, pr.On
			*on = c
			return cs, false
		}
		replaced := off.UserTime != nil
		c.Pair, c.CheckType, c.BaseTime = k, OffDuty, pr.Off
		*off = c
		return cs, replaced
	}
	return cs, false // not reached: chooseDate checked the windows
}

// plansFor returns the plans of dates for a member of g: the planned
// day's plan where one exists, else a plan made now.
func (s *Service) plansFor(ctx context.Context, g Group, userID tack.ID, dates []time.Time, days map[string]Day) ([]Plan, error) {
	out := make([]Plan, len(dates))
	var missing []int
	for i, d := range dates {
		if day, ok := days[dateString(d)]; ok {
			out[i] = day.Plan
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	from, to := dateString(dates[missing[0]]), dateString(dates[missing[len(missing)-1]])
	var hols map[string]Holiday
	if g.FollowCalendar && g.Kind != Scheduled {
		hs, err := s.store.Holidays(ctx, g.OrgID, from, to)
		if err != nil {
			return nil, err
		}
		hols = map[string]Holiday{}
		for _, h := range hs {
			hols[h.Date] = h
		}
	}
	var scheds map[string]Schedule
	var shifts map[tack.ID]Shift
	if g.Kind == Scheduled {
		ss, err := s.store.Schedules(ctx, g.OrgID, []tack.ID{userID}, from, to)
		if err != nil {
			return nil, err
		}
		scheds = map[string]Schedule{}
		for _, x := range ss {
			if x.GroupID == g.ID {
				scheds[x.Date] = x
			}
		}
		if shifts, err = s.shiftMap(ctx, g.OrgID); err != nil {
			return nil, err
		}
	}
	for _, i := range missing {
		ds := dateString(dates[i])
		var hol *Holiday
		if h, ok := hols[ds]; ok {
			hol = &h
		}
		var sc *Schedule
		if x, ok := scheds[ds]; ok {
			sc = &x
		}
		out[i] = planFor(g, dates[i], hol, sc, shifts)
	}
	return out, nil
}

func (s *Service) shiftMap(ctx context.Context, orgID tack.ID) (map[tack.ID]Shift, error) {
	list, err := s.store.Shifts(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make(map[tack.ID]Shift, len(list))
	for _, x := range list {
		out[x.ID] = x
	}
	return out, nil
}

// Today is the caller's attendance today: their group (places included,
// so that a client can show the distance to the nearest), today's plan
// and checks.
type Today struct {
	Group   *Group    `json:"group"`
	Day     *Day      `json:"day"`
	Now     time.Time `json:"now"`
	InGroup bool      `json:"in_group"`
}

// MyDay returns the caller's group and today's day.
func (s *Service) MyDay(ctx context.Context, orgID tack.ID) (Today, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Today{}, err
	}
	t, err := s.cachedTree(ctx, orgID)
	if err != nil {
		return Today{}, err
	}
	now := s.now()
	g, ok, err := s.groupOf(ctx, t, a.me)
	if err != nil || !ok {
		return Today{Now: now}, err
	}
	out := Today{Group: &g, InGroup: true, Now: now}
	loc, _ := loadLocation(g.TimeZone)
	if loc == nil {
		loc = time.UTC
	}
	today := civil(now.In(loc))
	dates := []time.Time{today.AddDate(0, 0, -1), today, today.AddDate(0, 0, 1)}
	existing, err := s.store.Days(ctx, orgID, []tack.ID{a.me.UserID}, dateString(dates[0]), dateString(dates[2]))
	if err != nil {
		return Today{}, err
	}
	days := map[string]Day{}
	for _, d := range existing {
		days[d.WorkDate] = d
	}
	plans, err := s.plansFor(ctx, g, a.me.UserID, dates, days)
	if err != nil {
		return Today{}, err
	}
	i, err := chooseDate(plans, now)
	if err != nil {
		i = 1
		if errors.Is(err, context.Canceled) {
			return Today{}, err
		}
	}
	ds := dateString(dates[i])
	d, ok := days[ds]
	if !ok {
		d = Day{OrgID: orgID, UserID: a.me.UserID, MemberID: a.me.ID, GroupID: g.ID, WorkDate: ds, State: Open, Plan: plans[i], DueAt: plans[i].dueAt()}
		d.Checks, d.Summary = judge(d.Plan, nil, nil, false)
	}
	out.Day = &d
	return out, nil
}

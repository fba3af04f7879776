package attendance

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Pair is one on/off pair of a shift, in the wall-clock time of the
// group's zone ("HH:MM"). An off time at or before its on time is on the
// next day: 22:00–06:00 is an overnight pair, and belongs to the day it
// starts.
type Pair struct {
	On  string `json:"on"`
	Off string `json:"off"`
}

// Span is a rest break ("HH:MM" to "HH:MM") not counted as work.
type Span struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Shift (班次) is the working hours of a day: one to three on/off pairs,
// punch windows, flexible minutes, lateness thresholds and rest breaks.
// The zero thresholds mean the defaults (serious lateness after 30
// minutes, absent-late after 240, on-duty punches from 2 h before, off-duty
// punches until 6 h after).
type Shift struct {
	ID    tack.ID `json:"id,omitempty"`
	OrgID tack.ID `json:"org_id,omitempty"`
	Name  string  `json:"name,omitempty"`
	// On and Off are the first on time and the last off time; a shift of
	// one pair may give only these.
	On    string `json:"on"`
	Off   string `json:"off"`
	Pairs []Pair `json:"pairs"`
	// FlexMinutes of lateness are forgiven (FlexMode "forgive"), or may be
	// made up by leaving as much later (FlexMode "late_out", 晚到晚走).
	FlexMinutes int    `json:"flex_minutes"`
	FlexMode    string `json:"flex_mode,omitempty"`
	// Lateness past SeriousLateMinutes is SeriousLate, past
	// AbsentLateMinutes Absenteeism (旷工迟到).
	SeriousLateMinutes int `json:"serious_late_minutes"`
	AbsentLateMinutes  int `json:"absent_late_minutes"`
	// Punch windows: on-duty from OnBeforeMinutes before each on time,
	// off-duty until OffAfterMinutes after each off time (windows of
	// neighbouring pairs meet halfway).
	OnBeforeMinutes int       `json:"on_before_minutes"`
	OffAfterMinutes int       `json:"off_after_minutes"`
	Breaks          []Span    `json:"breaks"`
	CreatedAt       time.Time `json:"created_at,omitzero"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
}

// parseHM parses "HH:MM" (also "H:MM") into minutes after midnight.
func parseHM(field, s string) (int, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || len(h) < 1 || len(h) > 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, tack.Invalid(field, "%s must be a time like 09:00, not %q", field, s)
	}
	return hh*60 + mm, nil
}

func fmtHM(min int) string {
	min = ((min % 1440) + 1440) % 1440
	return fmt.Sprintf("%02d:%02d", min/60, min%60)
}

// normalize validates sh, fills defaults and returns it with canonical
// times. field prefixes error fields ("shift").
func (sh Shift) normalize(field string) (Shift, error) {
	if len(sh.Pairs) == 0 {
		if sh.On == "" || sh.Off == "" {
			return sh, tack.Invalid(field+".on", "a shift needs on and off times (or pairs)")
		}
		sh.Pairs = []Pair{{On: sh.On, Off: sh.Off}}
	}
	if len(sh.Pairs) > MaxPairs {
		return sh, tack.Invalid(field+".pairs", "a shift has at most %d on/off pairs", MaxPairs)
	}
	offs, err := sh.offsets(field)
	if err != nil {
		return sh, err
	}
	pairs := make([]Pair, len(sh.Pairs))
	for i := range sh.Pairs {
		pairs[i] = Pair{On: fmtHM(offs[2*i]), Off: fmtHM(offs[2*i+1])}
	}
	sh.Pairs = pairs
	sh.On, sh.Off = pairs[0].On, pairs[len(pairs)-1].Off
	if sh.FlexMinutes < 0 || sh.FlexMinutes > 240 {
		return sh, tack.Invalid(field+".flex_minutes", "flex_minutes must be between 0 and 240")
	}
	switch sh.FlexMode {
	case "":
		if sh.FlexMinutes > 0 {
			sh.FlexMode = defaultFlexMode
		}
	case defaultFlexMode, flexLateOut:
	default:
		return sh, tack.Invalid(field+".flex_mode", "flex_mode must be forgive or late_out")
	}
	if sh.FlexMinutes == 0 {
		sh.FlexMode = ""
	}
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	def(&sh.SeriousLateMinutes, DefaultSeriousLate)
	def(&sh.AbsentLateMinutes, DefaultAbsentLate)
	def(&sh.OnBeforeMinutes, DefaultOnBefore)
	def(&sh.OffAfterMinutes, DefaultOffAfter)
	if sh.SeriousLateMinutes < 1 || sh.SeriousLateMinutes > 1440 {
		return sh, tack.Invalid(field+".serious_late_minutes", "serious_late_minutes must be between 1 and 1440")
	}
	if sh.AbsentLateMinutes <= sh.SeriousLateMinutes || sh.AbsentLateMinutes > 1440 {
		return sh, tack.Invalid(field+".absent_late_minutes", "absent_late_minutes must be more than serious_late_minutes and at most 1440")
	}
	if sh.FlexMinutes >= sh.SeriousLateMinutes {
		return sh, tack.Invalid(field+".flex_minutes", "flex_minutes must be less than serious_late_minutes")
	}
	if sh.OnBeforeMinutes < 0 || sh.OnBeforeMinutes > 720 {
		return sh, tack.Invalid(field+".on_before_minutes", "on_before_minutes must be between 0 and 720")
	}
	if sh.OffAfterMinutes < 0 || sh.OffAfterMinutes > 720 {
		return sh, tack.Invalid(field+".off_after_minutes", "off_after_minutes must be between 0 and 720")
	}
	if sh.Breaks == nil {
		sh.Breaks = []Span{}
	}
	if len(sh.Breaks) > 3 {
		return sh, tack.Invalid(field+".breaks", "a shift has at most 3 breaks")
	}
	for i, b := range sh.Breaks {
		f, t, err := sh.breakOffsets(field, offs, b)
		if err != nil {
			return sh, err
		}
		sh.Breaks[i] = Span{From: fmtHM(f), To: fmtHM(t)}
	}
	return sh, nil
}

// offsets returns the minutes after the work date's midnight of every on
// and off time in order: on0, off0, on1, off1, ... Each is after the one
// before; a time at or before the previous one is on the next day (once).
func (sh Shift) offsets(field string) ([]int, error) {
	var out []int
	day := 0
	for i, p := range sh.Pairs {
		for j, s := range []string{p.On, p.Off} {
			name := fmt.Sprintf("%s.pairs[%d].%s", field, i, []string{"on", "off"}[j])
			m, err := parseHM(name, s)
			if err != nil {
				return nil, err
			}
			m += day
			if len(out) > 0 && m <= out[len(out)-1] {
				if day > 0 {
					return nil, tack.Invalid(name, "the times of a shift must follow each other within 24 hours")
				}
				day = 1440
				m += day
			}
			out = append(out, m)
		}
	}
	if out[len(out)-1]-out[0] > 1440 {
		return nil, tack.Invalid(field, "a shift lasts at most 24 hours")
	}
	return out, nil
}

// breakOffsets places a break within the shift's span.
func (sh Shift) breakOffsets(field string, offs []int, b Span) (int, int, error) {
	f, err := parseHM(field+".breaks.from", b.From)
	if err != nil {
		return 0, 0, err
	}
	t, err := parseHM(field+".breaks.to", b.To)
	if err != nil {
		return 0, 0, err
	}
	first, last := offs[0], offs[len(offs)-1]
	for f < first {
		f += 1440
	}
	for t <= f {
		t += 1440
	}
	if f < first || t > last {
		return 0, 0, tack.Invalid(field+".breaks", "a break must lie within the shift (%s–%s)", fmtHM(first), fmtHM(last))
	}
	return f, t, nil
}

// label is a shift's times for people: "09:00–12:00, 13:00–18:00".
func (sh Shift) label() string {
	var parts []string
	for _, p := range sh.Pairs {
		parts = append(parts, p.On+"–"+p.Off)
	}
	return strings.Join(parts, ", ")
}

// ---- shifts as named things (scheduled groups) ----

// CreateShift adds a named shift that scheduled groups can use (admins and
// sub-admins).
func (s *Service) CreateShift(ctx context.Context, orgID tack.ID, sh Shift) (Shift, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Shift{}, err
	}
	if !a.admin() && a.me.Role != org.RoleSubAdmin {
		return Shift{}, tack.Errorf(tack.EForbidden, "only admins and sub-admins may make shifts")
	}
	if sh.Name, err = validName("name", sh.Name); err != nil {
		return Shift{}, err
	}
	if sh, err = sh.normalize("shift"); err != nil {
		return Shift{}, err
	}
	sh.ID, sh.OrgID = tack.NewID(), orgID
	sh.CreatedAt, sh.UpdatedAt = s.now(), s.now()
	b := Batch{Shifts: []Shift{sh}, Audit: []Audit{s.audit(a, "shift.create", sh.ID, sh)}}
	if err := s.store.Apply(ctx, b); err != nil {
		return Shift{}, err
	}
	return sh, nil
}

// Shifts lists the organisation's named shifts (every member may see them).
func (s *Service) Shifts(ctx context.Context, orgID tack.ID) ([]Shift, error) {
	if _, err := s.actor(ctx, orgID); err != nil {
		return nil, err
	}
	return s.store.Shifts(ctx, orgID)
}

// UpdateShift changes a named shift; days already planned keep the shift
// they were planned with.
func (s *Service) UpdateShift(ctx context.Context, orgID, id tack.ID, sh Shift) (Shift, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Shift{}, err
	}
	if !a.admin() && a.me.Role != org.RoleSubAdmin {
		return Shift{}, tack.Errorf(tack.EForbidden, "only admins and sub-admins may change shifts")
	}
	old, err := s.shift(ctx, orgID, id)
	if err != nil {
		return Shift{}, err
	}
	if sh.Name == "" {
		sh.Name = old.Name
	}
	if sh.Name, err = validName("name", sh.Name); err != nil {
		return Shift{}, err
	}
	if sh, err = sh.normalize("shift"); err != nil {
		return Shift{}, err
	}
	sh.ID, sh.OrgID, sh.CreatedAt, sh.UpdatedAt = old.ID, orgID, old.CreatedAt, s.now()
	b := Batch{Shifts: []Shift{sh}, Audit: []Audit{s.audit(a, "shift.update", sh.ID, sh)}}
	return sh, s.store.Apply(ctx, b)
}

// DeleteShift removes a named shift that no schedule from today on uses.
func (s *Service) DeleteShift(ctx context.Context, orgID, id tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if !a.admin() && a.me.Role != org.RoleSubAdmin {
		return tack.Errorf(tack.EForbidden, "only admins and sub-admins may delete shifts")
	}
	if _, err := s.shift(ctx, orgID, id); err != nil {
		return err
	}
	used, err := s.store.ShiftInUse(ctx, orgID, id, dateString(s.now().AddDate(0, 0, -1)))
	if err != nil {
		return err
	}
	if used {
		return tack.Errorf(tack.EConflict, "the shift is in a schedule; change the schedule first")
	}
	return s.store.Apply(ctx, Batch{DeleteShifts: []tack.ID{id}, Audit: []Audit{s.audit(a, "shift.delete", id, nil)}})
}

func (s *Service) shift(ctx context.Context, orgID, id tack.ID) (Shift, error) {
	if !id.Valid() {
		return Shift{}, errNoShift
	}
	sh, err := s.store.Shift(ctx, orgID, id)
	if err != nil {
		if tack.ErrorCode(err) == tack.ENotFound {
			return Shift{}, errNoShift
		}
		return Shift{}, err
	}
	return sh, nil
}

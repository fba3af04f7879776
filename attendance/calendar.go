package attendance

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tackhq/tack"
)

// Presets are holiday calendars shipped with Tack (holidays/*.csv: date,
// kind, name), which an admin can apply to the organisation's calendar.
//
//go:embed holidays/*.csv
var presets embed.FS

// Preset is a shipped calendar.
type Preset struct {
	ID       string    `json:"id"` // e.g. cn-2026
	Holidays []Holiday `json:"holidays"`
}

// Presets lists the shipped calendars.
func Presets() ([]Preset, error) {
	ents, err := presets.ReadDir("holidays")
	if err != nil {
		return nil, err
	}
	var out []Preset
	for _, e := range ents {
		id := strings.TrimSuffix(e.Name(), ".csv")
		p, err := preset(id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func preset(id string) (Preset, error) {
	if id == "" || strings.ContainsAny(id, "/\\.") {
		return Preset{}, tack.Errorf(tack.ENotFound, "no such calendar preset")
	}
	b, err := presets.ReadFile("holidays/" + id + ".csv")
	if err != nil {
		return Preset{}, tack.Errorf(tack.ENotFound, "no such calendar preset")
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return Preset{}, fmt.Errorf("preset %s: %w", id, err)
	}
	hs, err := parseHolidays(rows)
	if err != nil {
		return Preset{}, fmt.Errorf("preset %s: %w", id, err)
	}
	return Preset{ID: id, Holidays: hs}, nil
}

// parseHolidays reads a table of date, kind, name (a header row is
// skipped). Kinds: holiday (also 休, rest, off) and workday (also 班,
// work, 调休).
func parseHolidays(rows [][]string) ([]Holiday, error) {
	var out []Holiday
	seen := map[string]bool{}
	for i, r := range rows {
		if len(r) == 0 || len(r) == 1 && strings.TrimSpace(r[0]) == "" {
			continue
		}
		date := strings.TrimSpace(strings.TrimPrefix(r[0], "\ufeff"))
		if i == 0 && strings.EqualFold(date, "date") || date == "日期" {
			continue
		}
		line := fmt.Sprintf("line %d", i+1)
		d, err := parseDate("date", strings.ReplaceAll(date, "/", "-"))
		if err != nil {
			return nil, tack.Invalid("file", "%s: %q is not a date like 2026-10-01", line, date)
		}
		kind := ""
		if len(r) > 1 {
			kind = strings.ToLower(strings.TrimSpace(r[1]))
		}
		switch kind {
		case "holiday", "休", "rest", "off", "假":
			kind = HolidayOff
		case "workday", "班", "work", "调休", "上班":
			kind = HolidayWork
		default:
			return nil, tack.Invalid("file", "%s: kind must be holiday (休) or workday (班), not %q", line, kind)
		}
		name := ""
		if len(r) > 2 {
			if name, err = validText("name", r[2], MaxNameRunes); err != nil {
				return nil, tack.Invalid("file", "%s: %s", line, tack.ErrorMessage(err))
			}
		}
		ds := dateString(d)
		if seen[ds] {
			return nil, tack.Invalid("file", "%s: %s is listed twice", line, ds)
		}
		seen[ds] = true
		out = append(out, Holiday{Date: ds, Kind: kind, Name: name})
	}
	if len(out) > MaxHolidaysPerWrite {
		return nil, tack.Errorf(tack.ETooLarge, "at most %d calendar entries at once", MaxHolidaysPerWrite)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return out, nil
}

// Calendar lists the organisation's holidays and make-up workdays of a
// year (every member may read it).
func (s *Service) Calendar(ctx context.Context, orgID tack.ID, year int) ([]Holiday, error) {
	if _, err := s.actor(ctx, orgID); err != nil {
		return nil, err
	}
	if year < 1970 || year > 2200 {
		return nil, tack.Invalid("year", "year must be between 1970 and 2200")
	}
	return s.store.Holidays(ctx, orgID, fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year))
}

// SetCalendar adds or replaces calendar entries and removes the dates in
// remove (admins). Days already planned keep their plan.
func (s *Service) SetCalendar(ctx context.Context, orgID tack.ID, put []Holiday, remove []string) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if !a.admin() {
		return errAdminOnly
	}
	if len(put)+len(remove) > MaxHolidaysPerWrite {
		return tack.Errorf(tack.ETooLarge, "at most %d calendar entries at once", MaxHolidaysPerWrite)
	}
	b := Batch{}
	for i, h := range put {
		d, err := parseDate(fmt.Sprintf("holidays[%d].date", i), h.Date)
		if err != nil {
			return err
		}
		if h.Kind != HolidayOff && h.Kind != HolidayWork {
			return tack.Invalid(fmt.Sprintf("holidays[%d].kind", i), "kind must be holiday or workday")
		}
		if h.Name, err = validText(fmt.Sprintf("holidays[%d].name", i), h.Name, MaxNameRunes); err != nil {
			return err
		}
		b.Holidays = append(b.Holidays, Holiday{OrgID: orgID, Date: dateString(d), Kind: h.Kind, Name: h.Name})
	}
	for i, r := range remove {
		d, err := parseDate(fmt.Sprintf("remove[%d]", i), r)
		if err != nil {
			return err
		}
		b.DeleteHolidays = append(b.DeleteHolidays, Holiday{OrgID: orgID, Date: dateString(d)})
	}
	b.Audit = []Audit{s.audit(a, "calendar.set", orgID, map[string]any{"put": b.Holidays, "remove": remove})}
	return s.store.Apply(ctx, b)
}

// ImportCalendar adds the entries of a table (date, kind, name), as read
// from a CSV or XLSX file (admins).
func (s *Service) ImportCalendar(ctx context.Context, orgID tack.ID, rows [][]string) ([]Holiday, error) {
	if a, err := s.actor(ctx, orgID); err != nil {
		return nil, err
	} else if !a.admin() {
		return nil, errAdminOnly
	}
	hs, err := parseHolidays(rows)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 {
		return nil, tack.Invalid("file", "the file has no calendar entries (columns: date, kind, name)")
	}
	return hs, s.SetCalendar(ctx, orgID, hs, nil)
}

// ApplyPreset adds a shipped calendar (e.g. cn-2026) to the
// organisation's (admins).
func (s *Service) ApplyPreset(ctx context.Context, orgID tack.ID, id string) ([]Holiday, error) {
	if a, err := s.actor(ctx, orgID); err != nil {
		return nil, err
	} else if !a.admin() {
		return nil, errAdminOnly
	}
	p, err := preset(id)
	if err != nil {
		return nil, err
	}
	return p.Holidays, s.SetCalendar(ctx, orgID, p.Holidays, nil)
}

// WorkDay is a working day of a member: its shift's times and expected
// minutes (free hours: the local day and the expected minutes).
type WorkDay struct {
	Date            string    `json:"date"`
	Kind            string    `json:"kind"` // work or free
	Shift           string    `json:"shift,omitempty"`
	Start           time.Time `json:"start"`
	End             time.Time `json:"end"`
	ExpectedMinutes int       `json:"expected_minutes"`
}

// WorkingDays lists the member's working days from from to to (YYYY-MM-DD,
// inclusive, at most 366 days) as their group's shifts, schedule and
// calendar make them: what a leave counter counts. Days already planned
// count as planned. userID is a user or member ID. For the approvals
// service (no caller checks); a member in no group has no working days.
func (s *Service) WorkingDays(ctx context.Context, orgID, userID tack.ID, from, to string) ([]WorkDay, error) {
	f, err := parseDate("from", from)
	if err != nil {
		return nil, err
	}
	t, err := parseDate("to", to)
	if err != nil {
		return nil, err
	}
	if t.Before(f) || t.Sub(f) > 365*24*time.Hour {
		return nil, tack.Invalid("to", "to must be on or after from, at most a year later")
	}
	m, g, err := s.subjectFor(ctx, orgID, userID)
	if tack.ErrorCode(err) == tack.EConflict {
		return []WorkDay{}, nil
	} else if err != nil {
		return nil, err
	}
	existing, err := s.store.Days(ctx, orgID, []tack.ID{m.UserID}, from, to)
	if err != nil {
		return nil, err
	}
	days := map[string]Day{}
	for _, d := range existing {
		days[d.WorkDate] = d
	}
	var dates []time.Time
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d)
	}
	plans, err := s.plansFor(ctx, g, m.UserID, dates, days)
	if err != nil {
		return nil, err
	}
	out := []WorkDay{}
	for i, p := range plans {
		if p.Kind == KindRest {
			continue
		}
		wd := WorkDay{Date: dateString(dates[i]), Kind: p.Kind, Shift: p.Shift, ExpectedMinutes: p.ExpectedMinutes, Start: p.Start, End: p.End}
		if p.Kind == KindWork {
			wd.Start, wd.End = p.Pairs[0].On, p.Pairs[len(p.Pairs)-1].Off
		}
		out = append(out, wd)
	}
	return out, nil
}

package attendance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// TestCalendarFileRows: blank rows are skipped; a row needs a date and a
// kind, its name is optional; errors name the file's line (counted
// from 1, header included); entries come out in date order.
func TestCalendarFileRows(t *testing.T) {
	hs, err := parseHolidays([][]string{
		{"date", "kind", "name"},
		{"2026-10-02", "休"},
		{},
		{"  "},
		{"2026/10/01", "holiday", "国庆节"},
		{"2026-09-27", "班", ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Holiday{{Date: "2026-09-27", Kind: HolidayWork}, {Date: "2026-10-01", Kind: HolidayOff, Name: "国庆节"}, {Date: "2026-10-02", Kind: HolidayOff}}
	if fmt.Sprint(hs) != fmt.Sprint(want) {
		t.Errorf("got %+v, want %+v", hs, want)
	}
	for _, c := range []struct {
		rows [][]string
		line string
	}{
		{[][]string{{"date", "kind"}, {"2026-10-01", "holiday"}, {"2026-10-02"}}, "line 3"},
		{[][]string{{"2026-10-01", "holiday"}, {"", "holiday"}}, "line 2"},
		{[][]string{{"2026-10-01", "party"}}, "line 1"},
		{[][]string{{"2026-10-01", "holiday"}, {"2026-10-01", "workday"}}, "line 2"},
		{[][]string{{"tomorrow", "holiday"}}, "line 1"},
	} {
		_, err := parseHolidays(c.rows)
		if tack.ErrorCode(err) != tack.EInvalid || !strings.Contains(tack.ErrorMessage(err), c.line+":") {
			t.Errorf("%q: %v, want an error at %s", c.rows, err, c.line)
		}
	}
}

// TestCalendarFileLimit: a file holds at most MaxHolidaysPerWrite entries.
func TestCalendarFileLimit(t *testing.T) {
	rows := func(n int) [][]string {
		var out [][]string
		d := date("2000-01-01")
		for i := 0; i < n; i++ {
			out = append(out, []string{dateString(d.AddDate(0, 0, i)), "holiday"})
		}
		return out
	}
	if hs, err := parseHolidays(rows(MaxHolidaysPerWrite)); err != nil || len(hs) != MaxHolidaysPerWrite {
		t.Errorf("%d entries: %d, %v", MaxHolidaysPerWrite, len(hs), err)
	}
	if _, err := parseHolidays(rows(MaxHolidaysPerWrite + 1)); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("%d entries: %v", MaxHolidaysPerWrite+1, err)
	}
}

// TestDatesFrom1970To2200: dates are of the years 1970 to 2200.
func TestDatesFrom1970To2200(t *testing.T) {
	for _, c := range []struct {
		s  string
		ok bool
	}{
		{"1970-01-01", true}, {"2200-12-31", true}, {"1969-12-31", false}, {"2201-01-01", false}, {"2026-02-30", false},
	} {
		_, err := parseDate("date", c.s)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok %v", c.s, err, c.ok)
		}
	}
}

// TestPlanContains: a work day's punch windows include both ends; a rest
// or free day is its local day, from midnight to (not including) the
// next.
func TestPlanContains(t *testing.T) {
	loc := mustLoc(t, "Asia/Shanghai")
	g := fixedGroup(t, "Asia/Shanghai", Shift{On: "09:00", Off: "18:00", OnBeforeMinutes: 60, OffAfterMinutes: 60})
	work := planFor(g, date("2026-03-04"), nil, nil, nil)
	rest := planFor(g, date("2026-03-07"), nil, nil, nil) // Saturday
	if work.Kind != KindWork || rest.Kind != KindRest {
		t.Fatalf("kinds %s %s", work.Kind, rest.Kind)
	}
	for _, c := range []struct {
		p    Plan
		when time.Time
		want bool
	}{
		{work, at(loc, "2026-03-04 07:59:59"), false},
		{work, at(loc, "2026-03-04 08:00:00"), true},
		{work, at(loc, "2026-03-04 19:00:00"), true},
		{work, at(loc, "2026-03-04 19:00:01"), false},
		{rest, at(loc, "2026-03-06 23:59:59"), false},
		{rest, at(loc, "2026-03-07 00:00:00"), true},
		{rest, at(loc, "2026-03-07 12:00:00"), true},
		{rest, at(loc, "2026-03-07 23:59:59"), true},
		{rest, at(loc, "2026-03-08 00:00:00"), false},
	} {
		if got := c.p.contains(c.when); got != c.want {
			t.Errorf("%s day contains %v = %v, want %v", c.p.Kind, c.when.In(loc), got, c.want)
		}
	}
}

package leave

import (
	"testing"
	"time"

	"github.com/tackhq/tack/attendance"
)

// TestHourlySpanDays: hourly leave may be given in RFC 3339 too; its last
// day is the day of its last minute, so leave ending at midnight ends the
// day before.
func TestHourlySpanDays(t *testing.T) {
	for _, c := range []struct {
		r        Request
		from, to string
	}{
		{Request{Start: "2026-03-07 22:00", End: "2026-03-08 00:00"}, "2026-03-07", "2026-03-07"},
		{Request{Start: "2026-03-07 22:00", End: "2026-03-08 00:30"}, "2026-03-07", "2026-03-08"},
		{Request{Start: "2026-03-07T09:00:00+08:00", End: "2026-03-07T11:00:00+08:00"}, "2026-03-07", "2026-03-07"},
		{Request{Start: "2026-03-07T01:00:00Z", End: "2026-03-07T16:00:00Z"}, "2026-03-07", "2026-03-07"},
	} {
		sp, err := parseSpan(UnitHour, c.r, shanghai)
		if err != nil {
			t.Errorf("%+v: %v", c.r, err)
			continue
		}
		if date(sp.from) != c.from || date(sp.to) != c.to {
			t.Errorf("%+v: %s to %s, want %s to %s", c.r, date(sp.from), date(sp.to), c.from, c.to)
		}
	}
}

// TestCountHoursOutsideWork: hours that fall on no working time list no
// day; a working day without expected minutes does not cap the hours.
func TestCountHoursOutsideWork(t *testing.T) {
	d := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	comp := Type{Key: CompTime, Unit: UnitHour, Counting: WorkingDays}
	for _, c := range []struct {
		name     string
		expected int
		r        Request
		want     Amount
		days     int
	}{
		{"evening after work", 480, Request{Start: "2026-03-04 19:00", End: "2026-03-04 21:00"}, 0, 0},
		{"over a day off", 480, Request{Start: "2026-03-04 19:00", End: "2026-03-06 09:00"}, 0, 0},
		{"no expected minutes", 0, Request{Start: "2026-03-04 09:00", End: "2026-03-04 11:00"}, Days(2), 1},
	} {
		days := []attendance.WorkDay{{Date: "2026-03-04", Kind: "work", Start: wall(d, 9*60, shanghai), End: wall(d, 18*60, shanghai), ExpectedMinutes: c.expected}}
		sp, err := parseSpan(UnitHour, c.r, shanghai)
		if err != nil {
			t.Fatal(err)
		}
		got, list, _, _ := count(comp, sp, days, shanghai)
		if got != c.want || len(list) != c.days {
			t.Errorf("%s: counted %s over %v, want %s over %d days", c.name, got, list, c.want, c.days)
		}
	}
}

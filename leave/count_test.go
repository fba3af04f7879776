package leave

import (
	"testing"
	"time"

	"github.com/tackhq/tack/attendance"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// cn2026 lists the working days of a member who works Monday to Friday,
// 09:00–18:00 (480 minutes with lunch), following China's 2026 calendar
// as shipped with attendance (holidays off, 调休 make-up workdays on).
func cn2026(t *testing.T) []attendance.WorkDay {
	t.Helper()
	ps, err := attendance.Presets()
	if err != nil {
		t.Fatal(err)
	}
	kind := map[string]string{}
	for _, p := range ps {
		if p.ID == "cn-2026" {
			for _, h := range p.Holidays {
				kind[h.Date] = h.Kind
			}
		}
	}
	if len(kind) == 0 {
		t.Fatal("no cn-2026 preset")
	}
	var out []attendance.WorkDay
	for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
		ds := d.Format("2006-01-02")
		work := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
		switch kind[ds] {
		case attendance.HolidayOff:
			work = false
		case attendance.HolidayWork:
			work = true
		}
		if work {
			out = append(out, attendance.WorkDay{Date: ds, Kind: "work", Start: wall(d, 9*60, shanghai), End: wall(d, 18*60, shanghai), ExpectedMinutes: 480})
		}
	}
	return out
}

// TestCount: leave counted in working days across holidays and 调休
// make-up workdays, in half days, in hours, and in calendar days.
func TestCount(t *testing.T) {
	days := cn2026(t)
	annual := Type{Key: Annual, Unit: UnitHalfDay, Counting: WorkingDays}
	whole := Type{Key: "x", Unit: UnitDay, Counting: WorkingDays}
	maternity := Type{Key: Maternity, Unit: UnitDay, Counting: CalendarDays}
	comp := Type{Key: CompTime, Unit: UnitHour, Counting: WorkingDays}
	hourly := Type{Key: "h", Unit: UnitHour, Counting: CalendarDays}
	for _, c := range []struct {
		name       string
		t          Type
		r          Request
		want       Amount
		start, end string // local times of the span covered, when checked
	}{
		{"one Thursday", whole, Request{Start: "2026-03-05", End: "2026-03-05"}, Days(1), "2026-03-05 00:00", "2026-03-06 00:00"},
		{"a week with its weekend", whole, Request{Start: "2026-03-02", End: "2026-03-08"}, Days(5), "", ""},
		{"Spring Festival with a make-up Saturday", annual, Request{Start: "2026-02-13", End: "2026-02-24"}, Days(3), "", ""},
		{"around National Day", annual, Request{Start: "2026-09-28", End: "2026-10-09"}, Days(5), "", ""},
		{"a make-up workday alone", whole, Request{Start: "2026-02-28", End: "2026-02-28"}, Days(1), "", ""},
		{"a holiday alone", whole, Request{Start: "2026-10-01", End: "2026-10-01"}, 0, "", ""},
		{"an afternoon", annual, Request{Start: "2026-03-04", End: "2026-03-04", StartHalf: PM}, 50, "2026-03-04 13:30", "2026-03-05 00:00"},
		{"a morning", annual, Request{Start: "2026-03-04", End: "2026-03-04", EndHalf: AM}, 50, "2026-03-04 00:00", "2026-03-04 13:30"},
		{"afternoon to morning", annual, Request{Start: "2026-03-04", End: "2026-03-05", StartHalf: PM, EndHalf: AM}, Days(1), "2026-03-04 13:30", "2026-03-05 13:30"},
		{"Friday afternoon to Monday morning", annual, Request{Start: "2026-03-06", End: "2026-03-09", StartHalf: PM, EndHalf: AM}, Days(1), "", ""},
		{"from a holiday afternoon", annual, Request{Start: "2026-05-01", End: "2026-05-06", StartHalf: PM, EndHalf: AM}, 50, "2026-05-01 12:00", "2026-05-06 13:30"},
		{"calendar days over National Day", maternity, Request{Start: "2026-10-01", End: "2026-10-07"}, Days(7), "", ""},
		{"a working day in hours", comp, Request{Start: "2026-03-04 09:00", End: "2026-03-04 18:00"}, Days(8), "", ""},
		{"hours across two days", comp, Request{Start: "2026-03-04 14:00", End: "2026-03-05 11:00"}, Days(6), "2026-03-04 14:00", "2026-03-05 11:00"},
		{"hours across Qingming", comp, Request{Start: "2026-04-03 16:00", End: "2026-04-07 10:00"}, Days(3), "", ""},
		{"half an hour", comp, Request{Start: "2026-03-04 17:30", End: "2026-03-04 18:00"}, 50, "", ""},
		{"hours by the clock", hourly, Request{Start: "2026-03-07 22:00", End: "2026-03-08 01:30"}, 350, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			sp, err := parseSpan(c.t.Unit, c.r, shanghai)
			if err != nil {
				t.Fatal(err)
			}
			got, list, start, end := count(c.t, sp, days, shanghai)
			if got != c.want {
				t.Errorf("counted %s, want %s (%v)", got, c.want, list)
			}
			var sum Amount
			for _, d := range list {
				sum += d.Amount
			}
			if sum != got {
				t.Errorf("days sum to %s, total %s", sum, got)
			}
			if c.start != "" {
				if s := start.In(shanghai).Format("2006-01-02 15:04"); s != c.start {
					t.Errorf("start %s, want %s", s, c.start)
				}
				if e := end.In(shanghai).Format("2006-01-02 15:04"); e != c.end {
					t.Errorf("end %s, want %s", e, c.end)
				}
			}
		})
	}
}

func TestParseSpan(t *testing.T) {
	for _, c := range []struct {
		unit  string
		r     Request
		field string
	}{
		{UnitDay, Request{Start: "2026-03-04", End: "2026-03-03"}, "end"},
		{UnitDay, Request{Start: "03/04/2026", End: "2026-03-04"}, "start"},
		{UnitDay, Request{Start: "2026-01-01", End: "2027-01-02"}, "end"},
		{UnitDay, Request{Start: "2026-03-04", End: "2026-03-04", StartHalf: AM}, "start_half"},
		{UnitHalfDay, Request{Start: "2026-03-04", End: "2026-03-04", StartHalf: PM, EndHalf: AM}, "end_half"},
		{UnitHalfDay, Request{Start: "2026-03-04", End: "2026-03-04", StartHalf: "evening"}, "start_half"},
		{UnitHour, Request{Start: "2026-03-04 09:15", End: "2026-03-04 10:00"}, "start"},
		{UnitHour, Request{Start: "2026-03-04 10:00", End: "2026-03-04 10:00"}, "end"},
		{UnitHour, Request{Start: "2026-03-04", End: "2026-03-04 10:00"}, "start"},
	} {
		_, err := parseSpan(c.unit, c.r, shanghai)
		if f := fieldOf(err); f != c.field {
			t.Errorf("%s %+v: %v (field %q), want %q", c.unit, c.r, err, f, c.field)
		}
	}
}

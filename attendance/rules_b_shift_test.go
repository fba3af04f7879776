package attendance

import (
	"slices"
	"testing"

	"github.com/tackhq/tack"
)

// TestShiftTimesParse: "H:MM" and "HH:MM" from 00:00 to 23:59 are minutes
// after midnight; anything else is refused.
func TestShiftTimesParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"9:00", 540, true},
		{"09:30", 570, true},
		{"00:00", 0, true},
		{"00:30", 30, true},
		{"23:00", 1380, true},
		{"23:59", 1439, true},
		{"09:59", 599, true},
		{"24:00", 0, false},
		{"09:60", 0, false},
		{":30", 0, false},
		{"009:00", 0, false},
		{"-1:00", 0, false},
	} {
		got, err := parseHM("x", c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%q: %d, %v; want %d (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

// TestShiftLimitsAtTheirEdges: every limit of a shift accepts its edge
// value and refuses the next, naming the field at fault.
func TestShiftLimitsAtTheirEdges(t *testing.T) {
	day := func(f func(*Shift)) Shift {
		sh := Shift{On: "09:00", Off: "18:00"}
		f(&sh)
		return sh
	}
	for _, c := range []struct {
		name  string
		sh    Shift
		field string // "" accepted
	}{
		{"on at midnight", Shift{On: "00:00", Off: "08:00"}, ""},
		{"on at 23:00", Shift{On: "23:00", Off: "07:00"}, ""},
		{"three pairs", Shift{Pairs: []Pair{{"09:00", "11:00"}, {"12:00", "14:00"}, {"15:00", "18:00"}}}, ""},
		{"flex 240", day(func(s *Shift) { s.FlexMinutes, s.SeriousLateMinutes, s.AbsentLateMinutes = 240, 241, 242 }), ""},
		{"flex 241", day(func(s *Shift) { s.FlexMinutes, s.SeriousLateMinutes, s.AbsentLateMinutes = 241, 242, 243 }), "shift.flex_minutes"},
		{"flex as long as serious lateness", day(func(s *Shift) { s.FlexMinutes = 30 }), "shift.flex_minutes"},
		{"flex just under serious lateness", day(func(s *Shift) { s.FlexMinutes = 29 }), ""},
		{"serious late after 1 minute", day(func(s *Shift) { s.SeriousLateMinutes = 1 }), ""},
		{"serious late after a whole day leaves no room for absent", day(func(s *Shift) { s.SeriousLateMinutes = 1440 }), "shift.absent_late_minutes"},
		{"serious late 1439, absent 1440", day(func(s *Shift) { s.SeriousLateMinutes, s.AbsentLateMinutes = 1439, 1440 }), ""},
		{"absent late 1441", day(func(s *Shift) { s.AbsentLateMinutes = 1441 }), "shift.absent_late_minutes"},
		{"absent late equal to serious", day(func(s *Shift) { s.SeriousLateMinutes, s.AbsentLateMinutes = 60, 60 }), "shift.absent_late_minutes"},
		{"absent late one more than serious", day(func(s *Shift) { s.SeriousLateMinutes, s.AbsentLateMinutes = 60, 61 }), ""},
		{"on window 720", day(func(s *Shift) { s.OnBeforeMinutes = 720 }), ""},
		{"on window 721", day(func(s *Shift) { s.OnBeforeMinutes = 721 }), "shift.on_before_minutes"},
		{"off window 720", day(func(s *Shift) { s.OffAfterMinutes = 720 }), ""},
		{"off window 721", day(func(s *Shift) { s.OffAfterMinutes = 721 }), "shift.off_after_minutes"},
		{"three breaks", day(func(s *Shift) { s.Breaks = []Span{{"10:00", "10:15"}, {"12:00", "13:00"}, {"15:00", "15:15"}} }), ""},
		{"four breaks", day(func(s *Shift) {
			s.Breaks = []Span{{"10:00", "10:15"}, {"12:00", "13:00"}, {"15:00", "15:15"}, {"16:00", "16:15"}}
		}), "shift.breaks"},
		{"break from the shift's start", day(func(s *Shift) { s.Breaks = []Span{{"09:00", "10:00"}} }), ""},
		{"break to the shift's end", day(func(s *Shift) { s.Breaks = []Span{{"17:00", "18:00"}} }), ""},
		{"break of no time is a day long", day(func(s *Shift) { s.Breaks = []Span{{"12:00", "12:00"}} }), "shift.breaks"},
	} {
		_, err := c.sh.normalize("shift")
		var te *tack.Error
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.field != "" && (err == nil || !asError(err, &te) || te.Field != c.field):
			t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
		}
	}
}

// TestShiftNormalForm: flex minutes without a mode forgive; breaks and
// pairs come back in canonical times.
func TestShiftNormalForm(t *testing.T) {
	sh, err := Shift{On: "9:00", Off: "18:00", FlexMinutes: 10, Breaks: []Span{{"9:00", "9:30"}}}.normalize("shift")
	if err != nil {
		t.Fatal(err)
	}
	if sh.FlexMode != defaultFlexMode || sh.On != "09:00" || sh.Breaks[0] != (Span{"09:00", "09:30"}) {
		t.Errorf("normalized: %+v", sh)
	}
	sh, err = Shift{On: "09:00", Off: "18:00"}.normalize("shift")
	if err != nil || sh.FlexMode != "" {
		t.Errorf("no flex: mode %q, %v", sh.FlexMode, err)
	}
}

// TestShiftOfADay: an off time equal to the on time is the next day's, a
// 24-hour shift; one more minute is too long.
func TestShiftOfADay(t *testing.T) {
	offs, err := Shift{Pairs: []Pair{{"09:00", "09:00"}}}.offsets("shift")
	if err != nil || !slices.Equal(offs, []int{540, 1980}) {
		t.Errorf("09:00–09:00: %v, %v; want [540 1980]", offs, err)
	}
	if _, err := (Shift{Pairs: []Pair{{"09:00", "12:00"}, {"13:00", "09:01"}}}).offsets("shift"); err == nil {
		t.Errorf("a shift of 24 h 1 min is accepted")
	}
	g := fixedGroup(t, "UTC", Shift{On: "09:00", Off: "09:00"})
	if p := planFor(g, date("2026-03-04"), nil, nil, nil); p.ExpectedMinutes != 1440 {
		t.Errorf("a 09:00–09:00 shift expects %d minutes", p.ExpectedMinutes)
	}
}

package leave

import (
	"strings"
	"testing"
)

// TestTenureReachedOnTheAnniversary: a full year of tenure is reached on
// the anniversary day itself, not the day after.
func TestTenureReachedOnTheAnniversary(t *testing.T) {
	for on, want := range map[string]int{"2026-05-31": 9, "2026-06-01": 10, "2026-06-02": 10, "2016-06-01": 0, "2016-05-31": -1} {
		if got := tenure("2016-06-01", day(on)); got != want {
			t.Errorf("tenure(2016-06-01, %s) = %d, want %d", on, got, want)
		}
	}
}

// TestAccrueTenureEdges: the tier of a first look is the one reached by the
// end of that month; a tier of 0 years is granted from the hire on and
// topped up by the difference only; the hire month itself is no
// anniversary; a balance of zero carries nothing, so nothing expires.
func TestAccrueTenureEdges(t *testing.T) {
	statutory := []Tier{{Years: 1, Amount: Days(5)}, {Years: 10, Amount: Days(10)}, {Years: 20, Amount: Days(15)}}
	fromHire := []Tier{{Years: 0, Amount: Days(2)}, {Years: 1, Amount: Days(5)}}
	type look struct {
		on      string
		balance Amount
		lines   string
	}
	for _, c := range []struct {
		name  string
		t     Type
		hire  string
		looks []look
	}{
		{"first look takes the tier reached by the end of its month", Type{Accrual: Accrual{Kind: AccrueTenure, Tiers: statutory}}, "2025-03-20", []look{
			{on: "2026-03-10", balance: Days(5), lines: "accrual:2026 +5"},
		}},
		{"a tier of 0 years", Type{Accrual: Accrual{Kind: AccrueTenure, Tiers: fromHire}}, "2025-06-01", []look{
			{on: "2025-12-10", balance: Days(2), lines: "accrual:2025 +2"},
			{on: "2026-01-05", balance: Days(4), lines: "accrual:2026 +2"},
			{on: "2026-06-01", balance: Days(7), lines: "accrual:2026-tenure +3"},
		}},
		{"the hire month is no anniversary", Type{Accrual: Accrual{Kind: AccrueTenure, Tiers: fromHire}}, "2026-03-15", []look{
			{on: "2026-02-10", balance: 0},
			{on: "2026-03-20", balance: 0},
			{on: "2027-01-05", balance: Days(2), lines: "accrual:2027 +2"},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.t.Balance = true
			var b Balance
			for _, l := range c.looks {
				var lines []Line
				b, lines = accrue(c.t, b, c.hire, day(l.on), func(kind, key string, delta Amount) Line {
					return Line{Kind: kind, Key: key, Delta: delta}
				})
				var got []string
				for _, x := range lines {
					sign := "+"
					if x.Delta < 0 {
						sign = ""
					}
					got = append(got, x.Key+" "+sign+x.Delta.String())
				}
				if g := strings.Join(got, ", "); g != l.lines {
					t.Errorf("%s: lines %q, want %q", l.on, g, l.lines)
				}
				if b.Balance != l.balance {
					t.Errorf("%s: balance %s, want %s", l.on, b.Balance, l.balance)
				}
			}
		})
	}
	t.Run("a zero balance carries nothing", func(t *testing.T) {
		ty := Type{Balance: true, Carry: Carry{ExpiresMonths: 3}}
		mk := func(kind, key string, delta Amount) Line { return Line{Kind: kind, Key: key, Delta: delta} }
		b, _ := accrue(ty, Balance{}, "", day("2026-12-01"), mk)
		b, _ = accrue(ty, b, "", day("2027-01-05"), mk)
		if b.Carried != 0 || b.CarryExpires != "" {
			t.Errorf("carried %s expiring %q, want nothing", b.Carried, b.CarryExpires)
		}
	})
}

// TestAccrueLeapDayHire: a member hired on 29 February reaches a higher
// tier in February of a common year too, and gets the difference then (not
// only with the next year's grant).
func TestAccrueLeapDayHire(t *testing.T) {
	ty := Type{Balance: true, Accrual: Accrual{Kind: AccrueTenure, Tiers: []Tier{{Years: 1, Amount: Days(5)}}}}
	mk := func(kind, key string, delta Amount) Line { return Line{Kind: kind, Key: key, Delta: delta} }
	b, _ := accrue(ty, Balance{}, "2024-02-29", day("2024-12-10"), mk)
	b, _ = accrue(ty, b, "2024-02-29", day("2025-01-10"), mk)
	if b.Balance != 0 {
		t.Fatalf("January 2025: balance %s, want 0 (under a year)", b.Balance)
	}
	b, lines := accrue(ty, b, "2024-02-29", day("2025-03-01"), mk)
	if b.Balance != Days(5) || len(lines) != 1 || lines[0].Key != "accrual:2025-tenure" {
		t.Errorf("March 2025: balance %s, lines %v; want 5 from accrual:2025-tenure", b.Balance, lines)
	}
}

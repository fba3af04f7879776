package leave

import (
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

func fieldOf(err error) string {
	if e, ok := err.(*tack.Error); ok {
		return e.Field
	}
	return ""
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestAccrue: grants by month, year and tenure; carry-over with a cap and
// an expiry; nothing granted for months before a balance was first seen.
func TestAccrue(t *testing.T) {
	statutory := []Tier{{Years: 1, Amount: Days(5)}, {Years: 10, Amount: Days(10)}, {Years: 20, Amount: Days(15)}}
	type look struct {
		on      string // a date the balance is looked at
		spend   Amount // spent before that look
		balance Amount
		lines   string // kinds and deltas of the lines made
	}
	for _, c := range []struct {
		name  string
		t     Type
		hire  string
		looks []look
	}{
		{"yearly", Type{Accrual: Accrual{Kind: AccrueYearly, Amount: Days(5)}}, "", []look{
			{on: "2026-03-10", balance: Days(5), lines: "accrual:2026 +5"},
			{on: "2026-12-31", balance: Days(5)},
			{on: "2027-01-01", balance: Days(10), lines: "accrual:2027 +5"},
		}},
		{"monthly, no back pay", Type{Accrual: Accrual{Kind: AccrueMonthly, Amount: 150}}, "", []look{
			{on: "2026-03-31", balance: 150, lines: "accrual:2026-03 +1.5"},
			{on: "2026-06-01", balance: 600, lines: "accrual:2026-04 +1.5, accrual:2026-05 +1.5, accrual:2026-06 +1.5"},
		}},
		{"tenure", Type{Accrual: Accrual{Kind: AccrueTenure, Tiers: statutory}}, "2016-06-01", []look{
			{on: "2026-03-10", balance: Days(5), lines: "accrual:2026 +5"},
			{on: "2027-01-01", spend: Days(5), balance: Days(15), lines: "accrual:2026-tenure +5, accrual:2027 +10"},
		}},
		{"tenure under a year", Type{Accrual: Accrual{Kind: AccrueTenure, Tiers: statutory}}, "2026-01-15", []look{
			{on: "2026-03-10", balance: 0},
			{on: "2027-01-15", balance: Days(5), lines: "accrual:2027-tenure +5"},
		}},
		{"tenure without a hire date", Type{Accrual: Accrual{Kind: AccrueTenure, Tiers: statutory}}, "", []look{
			{on: "2026-03-10", balance: 0},
			{on: "2028-03-10", balance: 0},
		}},
		{"carry-over capped, then expired", Type{Accrual: Accrual{Kind: AccrueYearly, Amount: Days(5)}, Carry: Carry{Cap: amt(Days(3)), ExpiresMonths: 3}}, "", []look{
			{on: "2026-03-10", spend: 0, balance: Days(5), lines: "accrual:2026 +5"},
			{on: "2027-02-01", balance: Days(8), lines: "forfeit:2027 -2, accrual:2027 +5"},
			{on: "2027-03-31", spend: Days(1), balance: Days(7)},
			{on: "2027-04-01", balance: Days(5), lines: "expire:2027-04-01 -2"},
		}},
		{"nothing carried", Type{Carry: Carry{Cap: amt(0)}}, "", []look{
			{on: "2026-12-01", balance: 0},
			{on: "2027-01-05", spend: -Days(2), balance: 0, lines: "forfeit:2027 -2"},
		}},
		{"a negative balance carries itself", Type{Carry: Carry{Cap: amt(Days(3)), ExpiresMonths: 1}}, "", []look{
			{on: "2026-12-01", balance: 0},
			{on: "2027-03-01", spend: Days(1), balance: -Days(1)},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.t.Balance = true
			var b Balance
			for _, l := range c.looks {
				b.Balance -= l.spend
				b.Carried = max(b.Carried-l.spend, 0)
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
				if len(lines) > 0 && lines[len(lines)-1].Balance != b.Balance {
					t.Errorf("%s: the last line says %s, the balance is %s", l.on, lines[len(lines)-1].Balance, b.Balance)
				}
			}
		})
	}
}

func TestAmount(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Amount
		ok   bool
	}{
		{"4.5", 450, true}, {"-0.25", -25, true}, {"3", 300, true}, {"0.1", 10, true}, {"1000000", MaxAmount, true},
		{"1000000.01", 0, false}, {"1.005", 0, false}, {"1e2", 0, false}, {".5", 0, false}, {"5.", 0, false}, {"+1", 0, false}, {"", 0, false}, {"--1", 0, false},
	} {
		got, err := ParseAmount(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("%q: %v %v", c.in, got, err)
		}
		if c.ok && got.String() != strings.TrimSuffix(strings.TrimSuffix(c.in, "0"), ".") && c.in != "0.1" && c.in != "3" {
			t.Logf("%q prints as %s", c.in, got)
		}
	}
	for a, want := range map[Amount]string{450: "4.5", -25: "-0.25", 300: "3", 5: "0.05", -100: "-1"} {
		if a.String() != want {
			t.Errorf("%d prints as %s, want %s", a, a.String(), want)
		}
	}
}

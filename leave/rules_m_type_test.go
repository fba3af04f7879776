package leave

import (
	"strings"
	"testing"
)

// TestValidKeyBounds: a key is 1–MaxKeyLen of a-z, 0-9 and _, the ends of
// each range included.
func TestValidKeyBounds(t *testing.T) {
	for _, c := range []struct {
		key string
		ok  bool
	}{
		{"a", true}, {"z", true}, {"0", true}, {"9", true}, {"_", true},
		{"m5_k", true},
		{strings.Repeat("k", MaxKeyLen), true},
		{strings.Repeat("k", MaxKeyLen+1), false},
		{"", false}, {"A", false}, {"`", false}, {"{", false}, {"/", false}, {":", false}, {"-", false},
	} {
		if got := validKey(c.key); got != c.ok {
			t.Errorf("validKey(%q) = %v, want %v", c.key, got, c.ok)
		}
	}
}

// TestValidTypeBounds: every bound of a leave type accepts its ends and
// rejects the value just past them.
func TestValidTypeBounds(t *testing.T) {
	base := func() Type {
		return Type{Key: "k", Name: "n", Balance: true}
	}
	tiers := func(n int) []Tier {
		out := make([]Tier, n)
		for i := range out {
			out[i] = Tier{Years: i, Amount: Days(1)}
		}
		return out
	}
	for _, c := range []struct {
		name string
		set  func(*Type)
		ok   bool
	}{
		{"plain", func(*Type) {}, true},
		{"name of MaxNameRunes runes", func(t *Type) { t.Name = strings.Repeat("假", MaxNameRunes) }, true},
		{"name past MaxNameRunes runes", func(t *Type) { t.Name = strings.Repeat("假", MaxNameRunes+1) }, false},
		{"max at MaxAmount", func(t *Type) { t.Max = MaxAmount }, true},
		{"max past MaxAmount", func(t *Type) { t.Max = MaxAmount + 1 }, false},
		{"min above no max", func(t *Type) { t.Min = Days(5) }, true},
		{"min equal to max", func(t *Type) { t.Min, t.Max = Days(2), Days(2) }, true},
		{"min above max", func(t *Type) { t.Min, t.Max = Days(3), Days(2) }, false},
		{"proof_over 0 (always)", func(t *Type) { t.ProofOver = amt(0) }, true},
		{"proof_over at MaxAmount", func(t *Type) { t.ProofOver = amt(MaxAmount) }, true},
		{"proof_over past MaxAmount", func(t *Type) { t.ProofOver = amt(MaxAmount + 1) }, false},
		{"proof_over negative", func(t *Type) { t.ProofOver = amt(-1) }, false},
		{"max_days_ahead 3660", func(t *Type) { t.MaxDaysAhead = 3660 }, true},
		{"max_days_ahead 3661", func(t *Type) { t.MaxDaysAhead = 3661 }, false},
		{"max_days_after -1", func(t *Type) { t.MaxDaysAfter = -1 }, true},
		{"max_days_after -2", func(t *Type) { t.MaxDaysAfter = -2 }, false},
		{"max_days_after 3660", func(t *Type) { t.MaxDaysAfter = 3660 }, true},
		{"max_days_after 3661", func(t *Type) { t.MaxDaysAfter = 3661 }, false},
		{"MaxTiers tiers", func(t *Type) { t.Accrual = Accrual{Kind: AccrueTenure, Tiers: tiers(MaxTiers)} }, true},
		{"MaxTiers+1 tiers", func(t *Type) { t.Accrual = Accrual{Kind: AccrueTenure, Tiers: tiers(MaxTiers + 1)} }, false},
		{"tier of 0 years and 0 amount", func(t *Type) {
			t.Accrual = Accrual{Kind: AccrueTenure, Tiers: []Tier{{Years: 0, Amount: 0}}}
		}, true},
		{"tier of 80 years and MaxAmount", func(t *Type) {
			t.Accrual = Accrual{Kind: AccrueTenure, Tiers: []Tier{{Years: 80, Amount: MaxAmount}}}
		}, true},
		{"tier of 81 years", func(t *Type) { t.Accrual = Accrual{Kind: AccrueTenure, Tiers: []Tier{{Years: 81, Amount: 1}}} }, false},
		{"tier past MaxAmount", func(t *Type) {
			t.Accrual = Accrual{Kind: AccrueTenure, Tiers: []Tier{{Years: 1, Amount: MaxAmount + 1}}}
		}, false},
		{"tiers of equal years", func(t *Type) {
			t.Accrual = Accrual{Kind: AccrueTenure, Tiers: []Tier{{Years: 1, Amount: 1}, {Years: 1, Amount: 2}}}
		}, false},
		{"carry cap 0", func(t *Type) { t.Carry.Cap = amt(0) }, true},
		{"carry cap at MaxAmount", func(t *Type) { t.Carry.Cap = amt(MaxAmount) }, true},
		{"carry cap past MaxAmount", func(t *Type) { t.Carry.Cap = amt(MaxAmount + 1) }, false},
		{"carry cap negative", func(t *Type) { t.Carry.Cap = amt(-1) }, false},
		{"carry expires 12 months", func(t *Type) { t.Carry.ExpiresMonths = 12 }, true},
		{"carry expires 13 months", func(t *Type) { t.Carry.ExpiresMonths = 13 }, false},
	} {
		ty := base()
		c.set(&ty)
		if err := validType(&ty); (err == nil) != c.ok {
			t.Errorf("%s: validType = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// TestMarriageLeaveOnlyAhead: by default marriage leave is asked before it
// starts, never after.
func TestMarriageLeaveOnlyAhead(t *testing.T) {
	for _, ty := range Defaults() {
		if ty.Key == Marriage && ty.MaxDaysAfter != -1 {
			t.Fatalf("marriage MaxDaysAfter = %d, want -1", ty.MaxDaysAfter)
		}
	}
}

// TestParseAmountQuotesShortInputWhole: a refused amount is quoted in the
// error whole up to 20 bytes, clipped with an ellipsis past that.
func TestParseAmountQuotesShortInputWhole(t *testing.T) {
	for _, c := range []struct {
		in      string
		clipped bool
	}{
		{strings.Repeat("x", 20), false},
		{strings.Repeat("x", 21), true},
	} {
		_, err := ParseAmount(c.in)
		if err == nil {
			t.Fatalf("ParseAmount(%q) accepted", c.in)
		}
		if got := strings.Contains(err.Error(), "…"); got != c.clipped {
			t.Errorf("ParseAmount(%d bytes): error %q, clipped %v, want %v", len(c.in), err, got, c.clipped)
		}
	}
}

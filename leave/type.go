package leave

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// validKey reports whether k is a leave type key: 1–32 of a-z, 0-9, _.
func validKey(k string) bool {
	if k == "" || len(k) > MaxKeyLen {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// validType checks t and fills defaults.
func validType(t *Type) error {
	if !validKey(t.Key) {
		return tack.Invalid("key", "key must be 1–%d of a-z, 0-9 and _", MaxKeyLen)
	}
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || utf8.RuneCountInString(t.Name) > MaxNameRunes || !utf8.ValidString(t.Name) {
		return tack.Invalid("name", "name must be 1–%d characters", MaxNameRunes)
	}
	switch t.Unit {
	case "":
		t.Unit = UnitDay
	case UnitDay, UnitHalfDay, UnitHour:
	default:
		return tack.Invalid("unit", "unit must be day, half_day or hour")
	}
	switch t.Counting {
	case "":
		t.Counting = WorkingDays
	case WorkingDays, CalendarDays:
	default:
		return tack.Invalid("counting", "counting must be working_days or calendar_days")
	}
	for _, f := range []struct {
		name string
		v    Amount
	}{{"min", t.Min}, {"max", t.Max}, {"negative_limit", t.NegativeLimit}, {"accrual.amount", t.Accrual.Amount}} {
		if f.v < 0 || f.v > MaxAmount {
			return tack.Invalid(f.name, "%s must be between 0 and %s", f.name, MaxAmount)
		}
	}
	if t.Max > 0 && t.Min > t.Max {
		return tack.Invalid("min", "min must not be above max")
	}
	if t.ProofOver != nil && (*t.ProofOver < 0 || *t.ProofOver > MaxAmount) {
		return tack.Invalid("proof_over", "proof_over must be between 0 and %s (null: never)", MaxAmount)
	}
	if t.MaxDaysAhead < 0 || t.MaxDaysAhead > 3660 {
		return tack.Invalid("max_days_ahead", "max_days_ahead must be between 0 (no limit) and 3660")
	}
	if t.MaxDaysAfter < -1 || t.MaxDaysAfter > 3660 {
		return tack.Invalid("max_days_after", "max_days_after must be between -1 (only ahead) and 3660 (0: no limit)")
	}
	switch t.Accrual.Kind {
	case "":
		t.Accrual.Kind = AccrueNone
	case AccrueNone, AccrueYearly, AccrueMonthly, AccrueTenure:
	default:
		return tack.Invalid("accrual.kind", "accrual.kind must be none, yearly, monthly or tenure")
	}
	if t.Accrual.Kind != AccrueNone && !t.Balance {
		return tack.Invalid("accrual.kind", "only a type with a balance accrues")
	}
	if t.Accrual.Kind == AccrueTenure {
		if len(t.Accrual.Tiers) == 0 || len(t.Accrual.Tiers) > MaxTiers {
			return tack.Invalid("accrual.tiers", "tenure accrual needs 1–%d tiers", MaxTiers)
		}
		for i, tr := range t.Accrual.Tiers {
			if tr.Years < 0 || tr.Years > 80 || tr.Amount < 0 || tr.Amount > MaxAmount {
				return tack.Invalid("accrual.tiers", "tier %d: years 0–80 and an amount of at least 0", i+1)
			}
			if i > 0 && tr.Years <= t.Accrual.Tiers[i-1].Years {
				return tack.Invalid("accrual.tiers", "tiers must be in increasing years")
			}
		}
	} else {
		t.Accrual.Tiers = nil
	}
	if t.Carry.Cap != nil && (*t.Carry.Cap < 0 || *t.Carry.Cap > MaxAmount) {
		return tack.Invalid("carry_over.cap", "carry_over.cap must be at least 0 (null: everything)")
	}
	if t.Carry.ExpiresMonths < 0 || t.Carry.ExpiresMonths > 12 {
		return tack.Invalid("carry_over.expires_months", "carry_over.expires_months must be between 0 (never) and 12")
	}
	return nil
}

// types returns the organisation's leave types: the defaults as the
// organisation changed them, then its own, each once.
func (s *Service) types(ctx context.Context, orgID tack.ID) ([]Type, error) {
	stored, err := s.store.Types(ctx, orgID)
	if err != nil {
		return nil, err
	}
	byKey := map[string]Type{}
	for _, t := range stored {
		byKey[t.Key] = t
	}
	var out []Type
	for _, d := range Defaults() {
		d.Builtin, d.Enabled = true, true
		if t, ok := byKey[d.Key]; ok {
			d = t
			d.Builtin = true
			delete(byKey, d.Key)
		}
		out = append(out, d)
	}
	for _, t := range stored {
		if _, ok := byKey[t.Key]; ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// TypeOf returns one leave type of the organisation, for other services.
func (s *Service) TypeOf(ctx context.Context, orgID tack.ID, key string) (Type, error) {
	ts, err := s.types(ctx, orgID)
	if err != nil {
		return Type{}, err
	}
	for _, t := range ts {
		if t.Key == key {
			return t, nil
		}
	}
	return Type{}, errNoType
}

// Types lists the organisation's leave types (every member may).
func (s *Service) Types(ctx context.Context, orgID tack.ID) ([]Type, error) {
	if _, err := s.actor(ctx, orgID); err != nil {
		return nil, err
	}
	return s.types(ctx, orgID)
}

// PutType adds a leave type or changes one (admins). A built-in type can
// be changed and disabled, never removed; its key stays.
func (s *Service) PutType(ctx context.Context, orgID tack.ID, t Type) (Type, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Type{}, err
	}
	if !isAdmin(a) {
		return Type{}, errAdmin
	}
	if err := validType(&t); err != nil {
		return Type{}, err
	}
	ts, err := s.types(ctx, orgID)
	if err != nil {
		return Type{}, err
	}
	i := slices.IndexFunc(ts, func(x Type) bool { return x.Key == t.Key })
	t.Builtin = slices.ContainsFunc(Defaults(), func(x Type) bool { return x.Key == t.Key })
	if i < 0 {
		if len(ts) >= MaxTypes {
			return Type{}, tack.Errorf(tack.ETooLarge, "an organisation has at most %d leave types", MaxTypes)
		}
		t.Version = 1
	} else {
		if ts[i].Balance && !t.Balance {
			t.Balance = true // balances exist; a type keeps them
		}
		t.Version = ts[i].Version + 1
	}
	t.UpdatedAt = s.now()
	prev := 0
	if i >= 0 {
		prev = ts[i].Version
	}
	err = s.store.ApplyLeave(ctx, Batch{Types: []TypeWrite{{OrgID: orgID, Type: t, PrevVersion: prev}},
		Audit: []Audit{{ID: tack.NewID(), OrgID: orgID, ActorID: a.UserID, Action: "leave_type.put", Target: t.Key, Detail: t, At: t.UpdatedAt}}})
	return t, err
}

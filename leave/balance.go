package leave

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// month is "YYYY-MM" of a civil date.
func month(d time.Time) string { return d.Format("2006-01") }

func nextMonth(m string) string {
	t, _ := time.Parse("2006-01", m)
	return month(t.AddDate(0, 1, 0))
}

// tenure is the full years from hire (YYYY-MM-DD) to d; -1 if unknown.
func tenure(hire string, d time.Time) int {
	h, err := time.Parse("2006-01-02", hire)
	if err != nil || h.After(d) {
		return -1
	}
	y := d.Year() - h.Year()
	if d.Month() < h.Month() || d.Month() == h.Month() && d.Day() < h.Day() {
		y--
	}
	return y
}

// tierAmount is the yearly grant of a tenure of years.
func tierAmount(tiers []Tier, years int) Amount {
	var a Amount
	for _, t := range tiers {
		if years >= t.Years {
			a = t.Amount
		}
	}
	return a
}

// accrue brings b up to the month of today (a civil date in the
// organisation's zone): carry-over and forfeit at each new year, grants of
// the type's accrual (tenure: the tier of the years reached on 1 January,
// topped up in the month of the hire anniversary when it reaches a higher
// tier), and the expiry of carried leave. A balance seen for
// the first time starts this month: nothing is granted for months before
// it. mk makes a ledger line. It is pure; the table tests call it.
func accrue(t Type, b Balance, hire string, today time.Time, mk func(kind, key string, delta Amount) Line) (Balance, []Line) {
	var lines []Line
	put := func(kind, key string, delta Amount) {
		if delta == 0 {
			return
		}
		b.Balance += delta
		l := mk(kind, key, delta)
		l.Balance = b.Balance
		lines = append(lines, l)
	}
	grant := func(m string, first bool) {
		mt, _ := time.Parse("2006-01", m)
		year := m[:4]
		switch t.Accrual.Kind {
		case AccrueYearly:
			if first || mt.Month() == time.January {
				put(LineAccrual, "accrual:"+year, t.Accrual.Amount)
			}
		case AccrueMonthly:
			put(LineAccrual, "accrual:"+m, t.Accrual.Amount)
		case AccrueTenure:
			if first || mt.Month() == time.January {
				at := mt
				if first { // the tier reached by the end of this month
					at = time.Date(today.Year(), today.Month()+1, 0, 0, 0, 0, 0, time.UTC)
				}
				if y := tenure(hire, at); y >= 0 {
					put(LineAccrual, "accrual:"+year, tierAmount(t.Accrual.Tiers, y))
				}
			}
			// In the month of the hire anniversary, a member who reached a higher tier by the start
			// of the next month (a 29 February hire too, in a common year) gets the difference.
			if h, err := time.Parse("2006-01-02", hire); err == nil && !first && h.Month() == mt.Month() && mt.Year() > h.Year() {
				jan := time.Date(mt.Year(), time.January, 1, 0, 0, 0, 0, time.UTC)
				before := tierAmount(t.Accrual.Tiers, tenure(hire, jan))
				if tenure(hire, jan) < 0 {
					before = 0
				}
				now := tierAmount(t.Accrual.Tiers, tenure(hire, mt.AddDate(0, 1, 0)))
				if now > before {
					put(LineAccrual, "accrual:"+year+"-tenure", now-before)
				}
			}
		}
	}
	expire := func(d time.Time) {
		if b.Carried > 0 && b.CarryExpires != "" && date(d) >= b.CarryExpires {
			gone := min(b.Carried, max(b.Balance, 0))
			put(LineExpire, "expire:"+b.CarryExpires, -gone)
			b.Carried, b.CarryExpires = 0, ""
		}
	}
	cur := month(today)
	if b.Through == "" {
		grant(cur, true)
		b.Through = cur
		return b, lines
	}
	for m := nextMonth(b.Through); m <= cur; m = nextMonth(m) {
		mt, _ := time.Parse("2006-01", m)
		expire(mt)
		if mt.Month() == time.January {
			year := m[:4]
			if t.Carry.Cap != nil && b.Balance > *t.Carry.Cap {
				put(LineForfeit, "forfeit:"+year, *t.Carry.Cap-b.Balance)
			}
			b.Carried, b.CarryExpires = 0, ""
			if b.Balance > 0 && t.Carry.ExpiresMonths > 0 {
				b.Carried = b.Balance
				b.CarryExpires = date(mt.AddDate(0, t.Carry.ExpiresMonths, 0))
			}
		}
		grant(m, false)
		b.Through = m
	}
	expire(today)
	return b, lines
}

// ensure returns a member's balance of t with accrual applied up to now.
func (s *Service) ensure(ctx context.Context, orgID tack.ID, m org.Member, t Type) (Balance, error) {
	loc, err := s.location(ctx, orgID)
	if err != nil {
		return Balance{}, err
	}
	for attempt := 1; ; attempt++ {
		b, err := s.store.Balance(ctx, orgID, m.UserID, t.Key)
		prev := b.Rev
		if errors.Is(err, tack.ErrNotFound) {
			b, prev = Balance{OrgID: orgID, UserID: m.UserID, LeaveType: t.Key}, 0
		} else if err != nil {
			return Balance{}, err
		}
		now := s.now()
		nb, lines := accrue(t, b, m.HireDate, civil(now.In(loc)), func(kind, key string, delta Amount) Line {
			return Line{ID: tack.NewID(), OrgID: orgID, UserID: m.UserID, LeaveType: t.Key, Kind: kind, Key: key, Delta: delta, At: now}
		})
		if prev != 0 && nb.Through == b.Through && len(lines) == 0 {
			return b, nil
		}
		nb.Rev, nb.UpdatedAt = prev+1, now
		err = s.store.ApplyLeave(ctx, Batch{Writes: []Write{{Balance: nb, PrevRev: prev, Lines: lines}}})
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return Balance{}, fmt.Errorf("accrue %s: %w", t.Key, err)
		}
		return nb, nil
	}
}

// BalanceOut is a balance as the API shows it.
type BalanceOut struct {
	LeaveType    string `json:"leave_type"`
	Name         string `json:"name"`
	Unit         string `json:"unit"`
	Balance      Amount `json:"balance"`
	Carried      Amount `json:"carried,omitempty"`
	CarryExpires string `json:"carry_expires,omitempty"`
}

// Balances lists a member's balances of the types that have one (the
// member, their managers, sub-admins over them and admins). userID is a
// user or member ID ("" is the caller).
func (s *Service) Balances(ctx context.Context, orgID, userID tack.ID) ([]BalanceOut, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	m, err := s.subject(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	ts, err := s.types(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := []BalanceOut{}
	for _, t := range ts {
		if !t.Balance || !t.Enabled {
			continue
		}
		b, err := s.ensure(ctx, orgID, m, t)
		if err != nil {
			return nil, err
		}
		out = append(out, BalanceOut{LeaveType: t.Key, Name: t.Name, Unit: t.Unit, Balance: b.Balance, Carried: b.Carried, CarryExpires: b.CarryExpires})
	}
	return out, nil
}

// SetBalance sets a member's balance of a type (admins), with a reason:
// a ledger line of the difference.
func (s *Service) SetBalance(ctx context.Context, orgID, userID tack.ID, leaveType string, to Amount, reason string) (BalanceOut, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return BalanceOut{}, err
	}
	if !isAdmin(a) {
		return BalanceOut{}, errAdmin
	}
	m, err := s.subject(ctx, a, userID)
	if err != nil {
		return BalanceOut{}, err
	}
	t, err := s.TypeOf(ctx, orgID, leaveType)
	if err != nil {
		return BalanceOut{}, err
	}
	if !t.Balance {
		return BalanceOut{}, tack.Invalid("leave_type", "%s has no balance", t.Name)
	}
	if to > MaxAmount || to < -MaxAmount {
		return BalanceOut{}, tack.Invalid("balance", "balance must be between -%s and %s", MaxAmount, MaxAmount)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReasonRunes || !utf8.ValidString(reason) {
		return BalanceOut{}, tack.Invalid("reason", "say why (reason, at most %d characters)", MaxReasonRunes)
	}
	for attempt := 1; ; attempt++ {
		b, err := s.ensure(ctx, orgID, m, t)
		if err != nil {
			return BalanceOut{}, err
		}
		now := s.now()
		nb := b
		nb.Balance, nb.Rev, nb.UpdatedAt = to, b.Rev+1, now
		nb.Carried = max(min(nb.Carried, to), 0)
		var lines []Line
		if to != b.Balance {
			id := tack.NewID()
			lines = append(lines, Line{ID: id, OrgID: orgID, UserID: m.UserID, LeaveType: t.Key, Kind: LineAdjust, Delta: to - b.Balance, Balance: to,
				Key: "adjust:" + string(id), ActorID: a.UserID, Reason: reason, At: now})
		}
		err = s.store.ApplyLeave(ctx, Batch{Writes: []Write{{Balance: nb, PrevRev: b.Rev, Lines: lines}},
			Audit: []Audit{{ID: tack.NewID(), OrgID: orgID, ActorID: a.UserID, Action: "leave.balance.set", Target: string(m.UserID),
				Detail: map[string]any{"leave_type": t.Key, "from": b.Balance, "to": to, "reason": reason}, At: now}}})
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return BalanceOut{}, err
		}
		return BalanceOut{LeaveType: t.Key, Name: t.Name, Unit: t.Unit, Balance: nb.Balance, Carried: nb.Carried, CarryExpires: nb.CarryExpires}, nil
	}
}

// Ledger lists a member's ledger lines, newest first (as Balances).
func (s *Service) Ledger(ctx context.Context, orgID, userID tack.ID, leaveType string, before tack.ID, limit int) ([]Line, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	m, err := s.subject(ctx, a, userID)
	if err != nil {
		return nil, err
	}
	if leaveType != "" && !validKey(leaveType) {
		return nil, tack.Invalid("leave_type", "no such leave type")
	}
	if before != "" && !before.Valid() {
		return nil, tack.Invalid("before", "before must be a ledger line ID")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.Ledger(ctx, orgID, m.UserID, leaveType, before, limit)
}

// Available returns a member's balance of a type, accrued up to now, for
// the approvals service (no caller checks). ok is false for a type
// without a balance.
func (s *Service) Available(ctx context.Context, orgID, userID tack.ID, leaveType string) (b Balance, t Type, ok bool, err error) {
	m, err := s.member(ctx, orgID, userID)
	if err != nil {
		return Balance{}, Type{}, false, err
	}
	if t, err = s.TypeOf(ctx, orgID, leaveType); err != nil {
		return Balance{}, Type{}, false, err
	}
	if !t.Balance {
		return Balance{}, t, false, nil
	}
	b, err = s.ensure(ctx, orgID, m, t)
	return b, t, err == nil, err
}

// Change is a balance change an approval makes.
type Change struct {
	OrgID      tack.ID
	UserID     tack.ID
	LeaveType  string
	Amount     Amount // how much leave (positive)
	ApprovalID tack.ID
	ActorID    tack.ID // who decided
	Reason     string
}

// Deduct returns the write that deducts approved leave from a balance,
// for the approvals store to commit with the decision (nil for a type
// without a balance). It refuses (tack.EConflict) a deduction past the
// type's negative limit.
func (s *Service) Deduct(ctx context.Context, c Change) (*Write, error) {
	return s.change(ctx, c, LineDeduct, -c.Amount)
}

// Restore returns the write that gives cancelled leave back.
func (s *Service) Restore(ctx context.Context, c Change) (*Write, error) {
	return s.change(ctx, c, LineRestore, c.Amount)
}

// Credit returns the write that adds approved overtime to a balance
// (comp time).
func (s *Service) Credit(ctx context.Context, c Change) (*Write, error) {
	return s.change(ctx, c, LineCredit, c.Amount)
}

func (s *Service) change(ctx context.Context, c Change, kind string, delta Amount) (*Write, error) {
	if c.Amount <= 0 || c.Amount > MaxAmount {
		return nil, tack.Invalid("amount", "a balance change must be positive")
	}
	b, t, ok, err := s.Available(ctx, c.OrgID, c.UserID, c.LeaveType)
	if err != nil || !ok {
		return nil, err
	}
	nb := b
	nb.Balance += delta
	if kind == LineDeduct {
		if nb.Balance < -t.NegativeLimit {
			return nil, tack.Errorf(tack.EConflict, "not enough %s: %s left, %s asked", t.Name, b.Balance, c.Amount)
		}
		nb.Carried = max(nb.Carried+delta, 0)
	}
	now := s.now()
	nb.Rev, nb.UpdatedAt = b.Rev+1, now
	return &Write{Balance: nb, PrevRev: b.Rev, Lines: []Line{{ID: tack.NewID(), OrgID: c.OrgID, UserID: b.UserID, LeaveType: t.Key, Kind: kind,
		Delta: delta, Balance: nb.Balance, Key: kind + ":" + string(c.ApprovalID), ApprovalID: c.ApprovalID, ActorID: c.ActorID, Reason: c.Reason, At: now}}}, nil
}

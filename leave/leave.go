// Package leave is the rules of leave (请假): an organisation's leave
// types (annual, personal, sick, marriage, maternity, paternity,
// bereavement, comp time and its own), how a request is counted (days,
// half-days or hours; working days from the attendance calendar, or
// calendar days), the limits of a request (minimum, maximum, proof above
// a length, how far ahead and how long after it may be asked), balances
// with accrual (monthly, yearly, by tenure from the hire date), carry-over
// with a cap and an expiry, a negative-balance policy, and the ledger:
// every change of a balance is a line, with who made it and why.
//
// Requests are asked for and decided through approvals (package approval):
// this package quotes a request (counts it and checks its limits) and
// returns the balance writes of a deduction, a restoration or a credit,
// which the approvals store commits in the same transaction as the
// decision, so that one approval deducts exactly once.
//
// Amounts are exact: hundredths of a day (day and half-day leave) or of
// an hour (hourly leave), never floats.
//
// Permissions: a caller who is not an active member of the organisation
// gets tack.ENotFound for everything of it. Members see their own
// balances and ledger; their managers (manager_id, transitively, and heads
// of their departments), sub-admins over their departments and admins see
// theirs. Leave types and balance adjustments are for admins; every
// adjustment needs a reason and is a ledger line.
package leave

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/org"
)

// Units of leave.
const (
	UnitDay     = "day"      // whole days
	UnitHalfDay = "half_day" // mornings and afternoons; balances in days
	UnitHour    = "hour"     // hours; balances in hours
)

// How a request's length is counted.
const (
	WorkingDays  = "working_days"  // the member's working days (attendance calendar)
	CalendarDays = "calendar_days" // every day
)

// Accrual kinds.
const (
	AccrueNone    = "none"    // balances change only by admins and approvals
	AccrueYearly  = "yearly"  // Amount at the start of each year
	AccrueMonthly = "monthly" // Amount at the start of each month
	AccrueTenure  = "tenure"  // each year, the tier of the member's full years since the hire date
)

// Ledger line kinds.
const (
	LineAccrual = "accrual" // a grant by the type's accrual
	LineAdjust  = "adjust"  // an admin set the balance, with a reason
	LineDeduct  = "deduct"  // approved leave
	LineRestore = "restore" // approved leave cancelled
	LineCredit  = "credit"  // approved overtime as comp time
	LineForfeit = "forfeit" // what exceeded the carry-over cap at a year's end
	LineExpire  = "expire"  // carried-over leave unused at its expiry
)

// Built-in leave type keys.
const (
	Annual      = "annual"
	Personal    = "personal"
	Sick        = "sick"
	Marriage    = "marriage"
	Maternity   = "maternity"
	Paternity   = "paternity"
	Bereavement = "bereavement"
	CompTime    = "comp_time"
)

// Limits.
const (
	MaxTypes       = 50
	MaxKeyLen      = 32
	MaxNameRunes   = 32
	MaxReasonRunes = 500
	MaxTiers       = 20
	MaxRequestDays = 366
	maxAttempts    = 5
	maxChain       = 32
)

// Type is a kind of leave of an organisation and its rules.
type Type struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Builtin bool   `json:"builtin"`
	Enabled bool   `json:"enabled"`
	// Unit: day, half_day or hour.
	Unit string `json:"unit"`
	// Counting: working_days or calendar_days.
	Counting string `json:"counting"`
	Paid     bool   `json:"paid"`
	// Min and Max bound one request (0: no bound).
	Min Amount `json:"min"`
	Max Amount `json:"max"`
	// ProofOver: a request longer than this needs proof (an attachment);
	// nil never, 0 always.
	ProofOver *Amount `json:"proof_over"`
	// MaxDaysAhead: how many days before its start a request may be asked
	// at most; MaxDaysAfter: how many days after its start it may still be
	// asked (0: no limit; -1 for MaxDaysAfter: only before it starts).
	MaxDaysAhead int `json:"max_days_ahead"`
	MaxDaysAfter int `json:"max_days_after"`
	// Balance: requests deduct from a balance (annual leave, comp time);
	// without one they are only counted.
	Balance bool    `json:"balance"`
	Accrual Accrual `json:"accrual"`
	Carry   Carry   `json:"carry_over"`
	// NegativeLimit is how far below zero a balance may go (0: never).
	NegativeLimit Amount    `json:"negative_limit"`
	Version       int       `json:"version"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Accrual says how a balance grows by itself.
type Accrual struct {
	Kind string `json:"kind"` // none, yearly, monthly, tenure
	// Amount per year (yearly) or per month (monthly).
	Amount Amount `json:"amount"`
	// Tiers by full years since the hire date (tenure): the highest tier
	// whose Years the member has reached applies.
	Tiers []Tier `json:"tiers,omitempty"`
}

// Tier is a yearly grant from Years of tenure.
type Tier struct {
	Years  int    `json:"years"`
	Amount Amount `json:"amount"`
}

// Carry says what of a balance passes into the next year.
type Carry struct {
	// Cap is the most carried into a new year; the rest is forfeited. Nil
	// carries everything.
	Cap *Amount `json:"cap"`
	// ExpiresMonths: carried leave unused this many months into the new
	// year expires (0: never).
	ExpiresMonths int `json:"expires_months"`
}

func amt(v Amount) *Amount { return &v }

// Defaults are the built-in types every organisation starts with; admins
// change or disable them and add their own. Annual leave follows China's
// statutory tiers (5 days from 1 year, 10 from 10, 15 from 20 years of
// tenure; it needs the member's hire date). No default asks for proof:
// until files can be shared, nobody could give it (admins set proof_over).
func Defaults() []Type {
	return []Type{
		{Key: Annual, Name: "年假", Unit: UnitHalfDay, Counting: WorkingDays, Paid: true, Balance: true,
			Accrual: Accrual{Kind: AccrueTenure, Tiers: []Tier{{Years: 1, Amount: Days(5)}, {Years: 10, Amount: Days(10)}, {Years: 20, Amount: Days(15)}}}},
		{Key: Personal, Name: "事假", Unit: UnitHalfDay, Counting: WorkingDays},
		{Key: Sick, Name: "病假", Unit: UnitHalfDay, Counting: WorkingDays, Paid: true},
		{Key: Marriage, Name: "婚假", Unit: UnitDay, Counting: WorkingDays, Paid: true, MaxDaysAfter: -1},
		{Key: Maternity, Name: "产假", Unit: UnitDay, Counting: CalendarDays, Paid: true},
		{Key: Paternity, Name: "陪产假", Unit: UnitDay, Counting: WorkingDays, Paid: true},
		{Key: Bereavement, Name: "丧假", Unit: UnitDay, Counting: WorkingDays, Paid: true, Max: Days(3)},
		{Key: CompTime, Name: "调休", Unit: UnitHour, Counting: WorkingDays, Paid: true, Balance: true},
	}
}

func init() {
	for _, t := range Defaults() {
		if err := validType(&t); err != nil {
			panic(fmt.Sprintf("leave: default type %s: %v", t.Key, err))
		}
	}
}

// Directory is what leave reads of the organisation service (which
// implements it); it checks no permission.
type Directory interface {
	DirectoryMember(ctx context.Context, orgID, id tack.ID) (org.Member, error)
	DirectoryOrg(ctx context.Context, orgID tack.ID) (org.Org, error)
	// DirectoryManages reports whether viewer may see subject's personal
	// records: an admin, a sub-admin over one of subject's departments,
	// a manager up subject's manager_id chain, or a head of one of
	// subject's departments or a department above.
	DirectoryManages(ctx context.Context, orgID tack.ID, viewer, subject org.Member) (bool, error)
}

// Calendar counts working days (attendance implements it).
type Calendar interface {
	// CountingDays lists a member's working days from from to to
	// (inclusive, YYYY-MM-DD) with their times.
	CountingDays(ctx context.Context, orgID, userID tack.ID, from, to string) ([]attendance.WorkDay, error)
}

// Config tunes the Service.
type Config struct {
	Logger *slog.Logger
}

// Service holds every leave rule. It is safe for concurrent use.
type Service struct {
	store Store
	dir   Directory
	cal   Calendar
	clock tack.Clock
	log   *slog.Logger
}

// NewService returns a Service. clock may be nil (the wall clock).
func NewService(store Store, dir Directory, cal Calendar, clock tack.Clock, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{store: store, dir: dir, cal: cal, clock: clock, log: cfg.Logger}
}

var (
	errNoOrg    = tack.Errorf(tack.ENotFound, "no such organisation")
	errNoMember = tack.Errorf(tack.ENotFound, "no such member")
	errNoType   = tack.Errorf(tack.ENotFound, "no such leave type")
	errAdmin    = tack.Errorf(tack.EForbidden, "only the organisation's admins may do that")
)

// actor returns the caller's active membership of orgID.
func (s *Service) actor(ctx context.Context, orgID tack.ID) (org.Member, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return org.Member{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if !orgID.Valid() {
		return org.Member{}, errNoOrg
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, uid)
	if errors.Is(err, tack.ErrNotFound) || err == nil && m.UserID != uid {
		return org.Member{}, errNoOrg
	} else if err != nil {
		return org.Member{}, fmt.Errorf("membership: %w", err)
	}
	switch m.Status {
	case org.Active:
		return m, nil
	case org.Suspended:
		return org.Member{}, tack.Errorf(tack.EForbidden, "your membership of this organisation is suspended")
	}
	return org.Member{}, errNoOrg
}

func isAdmin(m org.Member) bool {
	return !m.Needs2FA && (m.Role == org.RoleOwner || m.Role == org.RoleAdmin) // see org.Service.DirectoryMember
}

// subject returns the member whose balances the actor asks about ("" is
// the actor), if the actor may see them. Others get ENotFound for
// members they may not see, so that nothing leaks.
func (s *Service) subject(ctx context.Context, a org.Member, id tack.ID) (org.Member, error) {
	if id == "" || id == a.ID || id == a.UserID {
		return a, nil
	}
	if !id.Valid() {
		return org.Member{}, errNoMember
	}
	m, err := s.dir.DirectoryMember(ctx, a.OrgID, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && m.UserID == "" {
		return org.Member{}, errNoMember
	} else if err != nil {
		return org.Member{}, err
	}
	ok, err := s.dir.DirectoryManages(ctx, a.OrgID, a, m)
	if err != nil {
		return org.Member{}, err
	}
	if !ok {
		return org.Member{}, tack.Errorf(tack.EForbidden, "you may see the leave of yourself and of the people you manage only")
	}
	return m, nil
}

// member returns an active member with a user, for calls of other services.
func (s *Service) member(ctx context.Context, orgID, id tack.ID) (org.Member, error) {
	if !orgID.Valid() || !id.Valid() {
		return org.Member{}, errNoMember
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && (m.UserID == "" || m.Status != org.Active) {
		return org.Member{}, errNoMember
	}
	return m, err
}

// location is the organisation's time zone.
func (s *Service) location(ctx context.Context, orgID tack.ID) (*time.Location, error) {
	o, err := s.dir.DirectoryOrg(ctx, orgID)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil || o.TimeZone == "" {
		return time.UTC, nil
	}
	return loc, nil
}

func (s *Service) now() time.Time { return s.clock.Now() }

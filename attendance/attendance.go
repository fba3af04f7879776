// Package attendance is clocking in (考勤): attendance groups with fixed
// hours, scheduled shifts or free hours; shifts with one to three on/off
// pairs, overnight shifts, punch windows, flexible minutes and lateness
// thresholds; the working-day calendar (weekly workdays, statutory holidays
// and make-up workdays, China 2026 shipped as data); punches judged on
// server time, inside a place's radius or from an office network, or as
// field punches with a note; day close, which turns missing punches into
// NotSigned exactly once per member and day on any number of nodes;
// corrections (make-up punches) and approved leave, trips and outings;
// monthly reports; and transparency for the person being judged: every
// result carries the rule that judged it, every view of someone's
// attendance by someone else is recorded and shown to them, normal punches
// keep no coordinates, field punches keep them for a bounded time, and a
// member's shifts are their default quiet hours.
//
// Results use the vocabulary of DingTalk's attendance API: check_type
// OnDuty/OffDuty, time_result Normal/Early/Late/SeriousLate/Absenteeism/
// NotSigned, location_result Normal/Outside/NotSigned, source_type
// USER/APPROVE/SYSTEM/ADMIN.
//
// Permissions: a caller who is not an active member of the organisation
// gets tack.ENotFound for everything of it. Members see their own
// attendance; managers (manager_id, transitively, and heads of a member's
// departments) see their reports'; sub-admins the members of their
// departments; admins everyone. Groups are managed by organisation admins
// and by sub-admins whose scope covers every department and member of the
// group. The holiday calendar is organisation-wide and managed by admins.
//
// # Entry points for other services
//
// These methods take no caller from the context and check no permission:
// they are for services in the same process (the approvals service of
// issue 14), which decide who may do what themselves.
//
//   - [Service.WorkingDays](ctx, orgID, userID, from, to): the member's
//     working days between two dates (inclusive) with their expected
//     minutes and shift times, from their group's shifts, schedule and
//     calendar: what a leave counter counts.
//   - [Service.CheckCorrection] and [Service.ApplyCorrection]: whether a
//     make-up punch (补卡) is within the monthly quota and deadline, and
//     applying an approved one (source_type APPROVE, audited).
//   - [Service.Cover] and [Service.Uncover]: approved leave, a business
//     trip or an outing covering a span of time (or whole days); covered
//     checks read as Normal with source_type APPROVE and the leave type,
//     and a covered working day reads as leave in records, never as absent.
//     Uncover removes the cover of a withdrawn or cancelled approval.
//   - [Service.QuietAt]: whether a user is in their quiet hours at a time.
//
// Day close runs in [Service.RunJobs], which the node calls on a timer: it
// plans each group's days (a row per member and day, due when the last
// punch window of the day ends), closes the days that are due (claimed with
// a lease; on PostgreSQL with FOR UPDATE SKIP LOCKED; the close itself is a
// compare-and-set on the day's revision, so a day closes once even if two
// nodes raced), and erases field-punch coordinates past their retention.
// Everything it needs is in the database, so it survives restarts and
// catches up after downtime.
package attendance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// Check types.
const (
	OnDuty  = "OnDuty"
	OffDuty = "OffDuty"
)

// Time results.
const (
	Normal      = "Normal"
	Early       = "Early"
	Late        = "Late"
	SeriousLate = "SeriousLate"
	Absenteeism = "Absenteeism"
	NotSigned   = "NotSigned"
)

// Location results (Normal and NotSigned as above).
const Outside = "Outside"

// Source types: who made a check.
const (
	SourceUser    = "USER"    // the member punched
	SourceApprove = "APPROVE" // an approval: a make-up punch, leave, a trip, an outing
	SourceSystem  = "SYSTEM"  // day close: a missing punch
	SourceAdmin   = "ADMIN"   // an admin's correction
)

// Group kinds.
const (
	Fixed     = "fixed"     // 固定班制: one shift on the group's workdays
	Scheduled = "scheduled" // 排班制: a shift per person per day, set by the group's admins
	Free      = "free"      // 自由工时: hours are counted, not judged
)

// Error codes of this package, beside tack's.
const (
	// EOutsideArea: the punch is outside every place and network of the
	// group and the group allows no field punches. The message names the
	// nearest place and its distance.
	EOutsideArea = "outside_area"
	// ENotInWindow: no punch window of the member's shifts is open now.
	ENotInWindow = "not_in_window"
)

// Limits and defaults.
const (
	MaxNameRunes        = 64
	MaxNoteRunes        = 500
	MaxPlaces           = 50
	MaxNetworks         = 50
	MaxWiFi             = 50
	MaxGroupTargets     = 5000 // member and department IDs of one group
	MaxPairs            = 3
	MinRadiusM          = 100
	MaxRadiusM          = 3000
	DefaultRadiusM      = 300
	MaxAccuracyM        = 1000
	DefaultSeriousLate  = 30
	DefaultAbsentLate   = 240
	DefaultOnBefore     = 120
	DefaultOffAfter     = 360
	DefaultMakeupQuota  = 3
	DefaultMakeupDays   = 7
	DefaultFieldDays    = 30
	DefaultFreeMinutes  = 480
	MaxRangeDays        = 62 // records, punches and month views
	MaxCatchUpDays      = 62 // days a group's planner catches up after downtime
	DistanceRoundingM   = 10 // normal punches keep the distance rounded to this
	closeGrace          = time.Minute
	leaseTime           = time.Minute
	deptCacheTTL        = 30 * time.Second
	groupCacheTTL       = 2 * time.Second
	memberCacheTTL      = 2 * time.Second
	maxPunchAttempts    = 5
	claimBatch          = 500
	planChunk           = 500
	defaultFlexMode     = "forgive"
	flexLateOut         = "late_out"
	maxManagerChain     = 32
	MaxScheduleEntries  = 50000
	MaxHolidaysPerWrite = 1000
)

// Directory is what attendance reads of the organisation service. It
// checks no permission: the Service does. *org.Service implements it.
type Directory interface {
	// DirectoryMember returns the member of orgID whose member ID or user
	// ID is id, whatever its status; an error wrapping tack.ErrNotFound if
	// there is none.
	DirectoryMember(ctx context.Context, orgID, id tack.ID) (org.Member, error)
	// DirectoryMembers returns those of ids (member IDs) that are members
	// of orgID, whatever their status.
	DirectoryMembers(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]org.Member, error)
	// DirectoryActiveMembers returns the active members of orgID in a
	// department within one of the subtrees at paths (every active member
	// when paths is nil).
	DirectoryActiveMembers(ctx context.Context, orgID tack.ID, paths []string) ([]org.Member, error)
	// DirectoryOrg returns the organisation.
	DirectoryOrg(ctx context.Context, orgID tack.ID) (org.Org, error)
	// DirectoryDepartments returns every department of orgID, with paths.
	DirectoryDepartments(ctx context.Context, orgID tack.ID) ([]org.Department, error)
	// DirectoryOrgsOf returns the organisations in which userID is an
	// active member, with that membership.
	DirectoryOrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error)
}

// Config tunes the Service. The zero value is the production default.
type Config struct {
	Logger *slog.Logger
	// Events hears of punches, corrections and closed days; nil: nobody.
	Events Events
	// Node names this process in job leases (default: a random ID).
	Node string
}

// Service holds every attendance rule. It is safe for concurrent use.
type Service struct {
	store Store
	dir   Directory
	clock tack.Clock
	log   *slog.Logger
	node  string

	deptMu sync.Mutex
	depts  map[tack.ID]deptEntry

	groupMu    sync.Mutex
	groupCache map[tack.ID]groupEntry

	kick chan struct{} // wakes Run

	events Events

	dirMu     sync.Mutex
	dirs      map[tack.ID]*dirState // the punch's directory cache (directory.go)
	memberTTL time.Duration         // memberCacheTTL; tests make it longer
}

type groupEntry struct {
	groups []Group
	at     time.Time
}

type deptEntry struct {
	t  *tree
	at time.Time
}

// NewService returns a Service. clock may be nil (the wall clock).
func NewService(store Store, dir Directory, clock tack.Clock, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Node == "" {
		cfg.Node = string(tack.NewID())
	}
	return &Service{store: store, dir: dir, clock: clock, log: cfg.Logger, node: cfg.Node, depts: map[tack.ID]deptEntry{},
		groupCache: map[tack.ID]groupEntry{}, kick: make(chan struct{}, 1),
		dirs: map[tack.ID]*dirState{}, memberTTL: memberCacheTTL, events: cfg.Events}
}

var (
	errNoOrg       = tack.Errorf(tack.ENotFound, "no such organisation")
	errNoMember    = tack.Errorf(tack.ENotFound, "no such member")
	errNoGroup     = tack.Errorf(tack.ENotFound, "no such attendance group")
	errNoShift     = tack.Errorf(tack.ENotFound, "no such shift")
	errAdminOnly   = tack.Errorf(tack.EForbidden, "only the organisation's admins may do that")
	errNotOverseen = tack.Errorf(tack.EForbidden, "you may see the attendance of yourself and of the people you manage only")
)

// actor is the caller as an active member of an organisation.
type actor struct {
	orgID tack.ID
	me    org.Member
}

func (a *actor) admin() bool { return a.me.Role == org.RoleOwner || a.me.Role == org.RoleAdmin }

// actor returns the caller's active membership of orgID. Outsiders, and
// members who left or were never let in, get ENotFound; suspended members
// learn that they are suspended.
func (s *Service) actor(ctx context.Context, orgID tack.ID) (*actor, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if !orgID.Valid() {
		return nil, errNoOrg
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, uid)
	if errors.Is(err, tack.ErrNotFound) || (err == nil && m.UserID != uid) {
		return nil, errNoOrg
	} else if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	switch m.Status {
	case org.Active:
	case org.Suspended:
		return nil, tack.Errorf(tack.EForbidden, "your membership of this organisation is suspended")
	default:
		return nil, errNoOrg
	}
	if m.Needs2FA {
		// The organisation requires two-step sign-in of its admins and
		// this one has none: a plain member until they turn it on.
		m.Role = org.RoleMember
	}
	return &actor{orgID: orgID, me: m}, nil
}

// subject returns the member of a's organisation whose member or user ID is
// id ("" is the caller), for reading their attendance. Members who never
// joined (no user) are not found.
func (s *Service) subject(ctx context.Context, a *actor, id tack.ID) (org.Member, error) {
	if id == "" || id == a.me.ID || id == a.me.UserID {
		return a.me, nil
	}
	if !id.Valid() {
		return org.Member{}, errNoMember
	}
	m, err := s.dir.DirectoryMember(ctx, a.orgID, id)
	if errors.Is(err, tack.ErrNotFound) || (err == nil && m.UserID == "") {
		return org.Member{}, errNoMember
	} else if err != nil {
		return org.Member{}, fmt.Errorf("member: %w", err)
	}
	return m, nil
}

func (s *Service) now() time.Time { return s.clock.Now() }

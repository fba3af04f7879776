package attendance

import (
	"context"
	"time"

	"github.com/tackhq/tack"
)

// Punch is one accepted punch, kept as history. Normal punches keep where
// they matched (place and rounded distance, or network), never the
// reported coordinates; field punches keep Lat/Lng until EraseAt.
type Punch struct {
	ID             tack.ID    `json:"id"`
	OrgID          tack.ID    `json:"org_id"`
	UserID         tack.ID    `json:"user_id"`
	WorkDate       string     `json:"work_date"`
	At             time.Time  `json:"at"`
	CheckType      string     `json:"check_type"`
	Pair           int        `json:"pair"`
	SourceType     string     `json:"source_type"`
	LocationResult string     `json:"location_result"`
	Via            string     `json:"via,omitempty"` // place, network, wifi, field, correction
	Place          string     `json:"place,omitempty"`
	DistanceM      *int       `json:"distance_m,omitempty"`
	ClientReported bool       `json:"client_reported,omitempty"`
	Note           string     `json:"note,omitempty"`
	Lat            *float64   `json:"lat,omitempty"`
	Lng            *float64   `json:"lng,omitempty"`
	AccuracyM      *float64   `json:"accuracy_m,omitempty"`
	EraseAt        *time.Time `json:"erase_at,omitempty"`
	ApproveID      string     `json:"approve_id,omitempty"`
	ActorID        tack.ID    `json:"actor_id,omitempty"` // who made a correction
}

// Holiday kinds of the calendar.
const (
	HolidayOff  = "holiday" // 法定节假日: a rest day
	HolidayWork = "workday" // 调休上班: a make-up workday
)

// Holiday is an organisation calendar entry.
type Holiday struct {
	OrgID tack.ID `json:"-"`
	Date  string  `json:"date"`
	Kind  string  `json:"kind"`
	Name  string  `json:"name"`
}

// View is one look at someone's attendance by someone else: shown to the
// person looked at.
type View struct {
	ID        tack.ID   `json:"id"`
	OrgID     tack.ID   `json:"org_id"`
	ViewerID  tack.ID   `json:"viewer_id"`  // user ID
	SubjectID tack.ID   `json:"subject_id"` // user ID
	What      string    `json:"what"`       // records, month, report, punches, locations
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	At        time.Time `json:"at"`
}

// Audit is one admin action or applied approval in attendance.
type Audit struct {
	ID      tack.ID   `json:"id"`
	OrgID   tack.ID   `json:"org_id"`
	ActorID tack.ID   `json:"actor_id"` // user ID; "" for another service
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Detail  any       `json:"detail,omitempty"`
	At      time.Time `json:"at"`
}

// QuietPrefs are the extra quiet hours a user chose.
type QuietPrefs struct {
	TimeZone string       `json:"time_zone,omitempty"`
	Extra    []QuietRange `json:"extra"`
}

// QuietRange is a weekly quiet period: on Days (Monday = 1), from From to
// To ("HH:MM"; To at or before From runs into the next day).
type QuietRange struct {
	Days []int  `json:"days"`
	From string `json:"from"`
	To   string `json:"to"`
}

// GroupWrite creates (PrevVersion 0), updates (compare-and-set on the
// version) or deletes a group; Targets replace the group's targets.
type GroupWrite struct {
	Group       Group
	Targets     []Target
	PrevVersion int
	Delete      bool
}

// Day write modes.
const (
	InsertDay      = 1 // fails with tack.EConflict if the day exists
	InsertIfAbsent = 2 // does nothing if the day exists
	UpdateDay      = 3 // compare-and-set on PrevRev; tack.EConflict if it moved
)

// DayWrite writes a day. The stored Rev becomes Day.Rev.
type DayWrite struct {
	Day     Day
	Mode    int
	PrevRev int64
}

// PlanAdvance moves a group's planning cursor from From to To
// (compare-and-set: tack.EConflict if it is not at From).
type PlanAdvance struct {
	OrgID, GroupID tack.ID
	From, To       string
}

// Batch is one atomic write: a store applies all of it in one transaction
// or, on error, none of it.
type Batch struct {
	Groups          []GroupWrite
	Plan            *PlanAdvance
	Shifts          []Shift // upserts by ID
	DeleteShifts    []tack.ID
	Holidays        []Holiday // upserts by (org, date)
	DeleteHolidays  []Holiday // by (org, date)
	Schedules       []Schedule
	DeleteSchedules []Schedule // by (org, user, date)
	Punches         []Punch
	Days            []DayWrite
	Covers          []Cover
	DeleteCovers    []tack.ID
	Views           []View
	Audit           []Audit
}

// GroupStore keeps groups and their targets.
type GroupStore interface {
	Group(ctx context.Context, orgID, id tack.ID) (Group, error)
	// Groups lists orgID's groups, oldest first.
	Groups(ctx context.Context, orgID tack.ID) ([]Group, error)
	// AllGroups lists every group of every organisation (the planner).
	AllGroups(ctx context.Context) ([]Group, error)
}

// ShiftStore keeps named shifts.
type ShiftStore interface {
	Shift(ctx context.Context, orgID, id tack.ID) (Shift, error)
	Shifts(ctx context.Context, orgID tack.ID) ([]Shift, error)
	// ShiftInUse reports whether a schedule entry after date uses the shift.
	ShiftInUse(ctx context.Context, orgID, id tack.ID, after string) (bool, error)
}

// CalendarStore keeps holidays and schedules.
type CalendarStore interface {
	// Holidays lists orgID's entries from from to to (inclusive), by date.
	Holidays(ctx context.Context, orgID tack.ID, from, to string) ([]Holiday, error)
	// Schedules lists entries of the users (all if nil) from from to to,
	// by user and date.
	Schedules(ctx context.Context, orgID tack.ID, userIDs []tack.ID, from, to string) ([]Schedule, error)
}

// DayStore keeps days, punches and covers.
type DayStore interface {
	// Days lists days of orgID from from to to (inclusive) of the users
	// (all if nil), by user and date.
	Days(ctx context.Context, orgID tack.ID, userIDs []tack.ID, from, to string) ([]Day, error)
	// Punches lists a user's punches of work dates from from to to, by time.
	Punches(ctx context.Context, orgID, userID tack.ID, from, to string) ([]Punch, error)
	// CountCorrections counts the user's punches with source_type
	// APPROVE and via "correction" of work dates from from to to.
	CountCorrections(ctx context.Context, orgID, userID tack.ID, from, to string) (int, error)
	// Covers lists a user's covers that overlap [from, to).
	Covers(ctx context.Context, orgID, userID tack.ID, from, to time.Time) ([]Cover, error)
	// CoversOf lists the covers of orgID overlapping [from, to) (all users).
	CoversOf(ctx context.Context, orgID tack.ID, from, to time.Time) ([]Cover, error)
	// CoverByApproval returns the cover made for an approval.
	CoverByApproval(ctx context.Context, orgID tack.ID, approvalID string) (Cover, error)
	// ClaimDue leases up to limit open days due at or before now whose
	// lease has lapsed, to owner until until, and returns them. Claims of
	// concurrent callers do not overlap (PostgreSQL: FOR UPDATE SKIP
	// LOCKED).
	ClaimDue(ctx context.Context, now, until time.Time, owner string, limit int) ([]Day, error)
	// EraseCoordinates removes the coordinates of punches whose EraseAt
	// has passed, and returns how many it erased.
	EraseCoordinates(ctx context.Context, now time.Time) (int64, error)
}

// ViewStore keeps views and the audit log.
type ViewStore interface {
	// Views lists views of subjectID in orgID with ID < before (all if
	// ""), newest first.
	Views(ctx context.Context, orgID, subjectID, before tack.ID, limit int) ([]View, error)
	// AuditLog lists orgID's attendance audit entries with ID < before,
	// newest first.
	AuditLog(ctx context.Context, orgID, before tack.ID, limit int) ([]Audit, error)
}

// QuietStore keeps users' quiet-hour choices.
type QuietStore interface {
	// QuietPrefs returns a user's choices (zero value if none).
	QuietPrefs(ctx context.Context, userID tack.ID) (QuietPrefs, error)
	PutQuietPrefs(ctx context.Context, userID tack.ID, p QuietPrefs) error
}

// Store is everything the Service needs. Errors: tack.ErrNotFound
// (possibly wrapped) for a missing row; tack.EConflict for a failed
// compare-and-set or a taken target. Stores decide nothing. All methods
// are safe for concurrent use.
type Store interface {
	GroupStore
	ShiftStore
	CalendarStore
	DayStore
	ViewStore
	QuietStore
	// Apply writes b atomically.
	Apply(ctx context.Context, b Batch) error
}

func (s *Service) audit(a *actor, action string, target tack.ID, detail any) Audit {
	var actorID tack.ID
	orgID := tack.ID("")
	if a != nil {
		actorID, orgID = a.me.UserID, a.orgID
	}
	return Audit{ID: tack.NewID(), OrgID: orgID, ActorID: actorID, Action: action, Target: string(target), Detail: detail, At: s.now()}
}

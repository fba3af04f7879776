package approval

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/leave"
)

// Instance is one request: a filled form on its way through its flow.
type Instance struct {
	ID              tack.ID         `json:"id"`
	OrgID           tack.ID         `json:"org_id"`
	Template        string          `json:"template"` // the template's key
	TemplateVersion int             `json:"template_version"`
	TemplateName    string          `json:"template_name"`
	Kind            string          `json:"kind"`
	Title           string          `json:"title"`
	OriginatorID    tack.ID         `json:"originator_id"` // user ID
	Form            json.RawMessage `json:"form"`
	Status          string          `json:"status"`
	Steps           []Step          `json:"steps"`
	// Current is the index of the running step (len(Steps) once ended).
	Current int `json:"current"`
	// Round counts activations of the current step (returns make new
	// rounds).
	Round int `json:"round"`
	// Pending are the approvers whose turn it is (user IDs).
	Pending []tack.ID `json:"pending"`
	// CC are the people told (CC steps reached, @mentions), user IDs.
	CC []tack.ID `json:"cc"`
	// Leave is a leave request as counted (leave), or overtime hours.
	Leave *LeaveInfo `json:"leave,omitempty"`
	// Span is the time leave, a trip or an outing covers.
	Span *Span `json:"span,omitempty"`
	// AutoReply: while the leave or trip runs, direct messages to the
	// originator get an automatic reply naming Handover.
	AutoReply bool       `json:"auto_reply,omitempty"`
	Handover  tack.ID    `json:"handover,omitempty"` // user ID
	Rev       int64      `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	UrgedAt   *time.Time `json:"urged_at,omitempty"`
	// Announced: the originator told their department group.
	Announced bool `json:"announced,omitempty"`
	// Attachments are the files of the form's attachment fields, as they
	// were when it was submitted (each once).
	Attachments []chat.Attachment `json:"attachments,omitempty"`
}

// LeaveInfo is a leave request (or overtime) as counted when asked.
type LeaveInfo struct {
	Type     string           `json:"leave_type"`
	Name     string           `json:"name"`
	Unit     string           `json:"unit"`
	Amount   leave.Amount     `json:"amount"`
	FromDate string           `json:"from_date"`
	ToDate   string           `json:"to_date"`
	Days     []leave.QuoteDay `json:"days,omitempty"`
}

// Span is a stretch of time.
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Task is one approver's part in one round of a step.
type Task struct {
	ID         tack.ID `json:"id"`
	InstanceID tack.ID `json:"instance_id"`
	OrgID      tack.ID `json:"-"`
	Step       int     `json:"step"`
	Round      int     `json:"round"`
	ApproverID tack.ID `json:"approver_id"` // user ID
	Status     string  `json:"status"`
	// After is the task this one waits for (sequential order, an
	// approver added before); "" for none.
	After     tack.ID    `json:"after,omitempty"`
	AddedBy   tack.ID    `json:"added_by,omitempty"` // who added or transferred it
	Comment   string     `json:"comment,omitempty"`
	Auto      string     `json:"auto,omitempty"` // dedup: approved by itself
	CreatedAt time.Time  `json:"created_at"`
	ActedAt   *time.Time `json:"acted_at,omitempty"`
}

// Action is one entry of an instance's timeline and audit trail.
type Action struct {
	ID         tack.ID   `json:"id"`
	InstanceID tack.ID   `json:"-"`
	OrgID      tack.ID   `json:"-"`
	ActorID    tack.ID   `json:"actor_id,omitempty"` // user ID; "" for the system
	Kind       string    `json:"kind"`
	Step       int       `json:"step"`
	Targets    []tack.ID `json:"targets,omitempty"`
	Comment    string    `json:"comment,omitempty"`
	Mentions   []tack.ID `json:"mentions,omitempty"`
	// Key makes an action happen once per actor and instance (a
	// comment's client_id).
	Key string    `json:"-"`
	At  time.Time `json:"at"`
}

// Audit is an admin action on templates.
type Audit struct {
	ID      tack.ID   `json:"id"`
	OrgID   tack.ID   `json:"org_id"`
	ActorID tack.ID   `json:"actor_id"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
	Detail  any       `json:"detail,omitempty"`
	At      time.Time `json:"at"`
}

// Job kinds: work done after a commit, kept until done (an outbox).
const (
	JobNotify     = "notify"     // bot messages and pushes
	JobCover      = "cover"      // approved leave, trip or outing into attendance
	JobUncover    = "uncover"    // cancelled ones out of it
	JobCorrection = "correction" // an approved make-up punch
)

// Job is work after a commit.
type Job struct {
	ID         tack.ID         `json:"id"`
	OrgID      tack.ID         `json:"org_id"`
	InstanceID tack.ID         `json:"instance_id"`
	Kind       string          `json:"kind"`
	Body       json.RawMessage `json:"body,omitempty"`
	DueAt      time.Time       `json:"due_at"`
	Attempts   int             `json:"attempts"`
}

// Away is approved leave or a trip while it runs: the person shows as
// 休假中 or 出差中, and may have direct messages answered.
type Away struct {
	OrgID      tack.ID   `json:"org_id"`
	UserID     tack.ID   `json:"user_id"`
	InstanceID tack.ID   `json:"approval_id"`
	Kind       string    `json:"kind"` // leave, trip
	LeaveType  string    `json:"leave_type,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	AutoReply  bool      `json:"auto_reply"`
	Handover   tack.ID   `json:"handover,omitempty"`
}

// Entry is an instance in one person's box.
type Entry struct {
	UserID     tack.ID
	OrgID      tack.ID
	Box        string
	InstanceID tack.ID
	At         time.Time // sort key: newest first
}

// Cursor is where a page of a box starts (after the last entry of the
// page before).
type Cursor struct {
	At         time.Time
	InstanceID tack.ID
}

// InstanceWrite inserts an instance (PrevRev 0) or updates it if its
// revision is still PrevRev (tack.EConflict otherwise). The stored Rev
// becomes Instance.Rev.
type InstanceWrite struct {
	Instance Instance
	PrevRev  int64
}

// TemplateWrite stores a new version of a template: the first (PrevVersion
// 0: no version stored yet) or the next of PrevVersion.
type TemplateWrite struct {
	Template    Template
	PrevVersion int
}

// Batch is one atomic write. Leave carries balance writes of package
// leave (a deduction with its decision).
type Batch struct {
	Instance    *InstanceWrite
	Tasks       []Task // upserts by ID
	Actions     []Action
	Inbox       []Entry // upserts by (user, box, instance)
	InboxRemove []Entry // by (user, box, instance)
	Away        []Away  // upserts by instance
	AwayRemove  []tack.ID
	Jobs        []Job
	Leave       []leave.Write
	Template    *TemplateWrite
	Audit       []Audit
	// Files are files Instance references (inserted with a new instance):
	// people who may read it may read them, and the media collector keeps
	// them.
	Files []tack.ID
}

// Store keeps approvals. Errors: tack.ErrNotFound (possibly wrapped) for
// a missing row; tack.EConflict for a failed compare-and-set, a used
// action key or ledger key, or a template version taken, in which case
// nothing of the batch is written. Stores decide nothing. Safe for
// concurrent use.
type Store interface {
	// Template returns a version of a template (0: the current one).
	Template(ctx context.Context, orgID tack.ID, key string, version int) (Template, error)
	// Templates lists the current versions of the organisation's stored
	// templates, by key.
	Templates(ctx context.Context, orgID tack.ID) ([]Template, error)
	Instance(ctx context.Context, orgID, id tack.ID) (Instance, error)
	// Instances returns those of ids that exist in orgID, in no order.
	Instances(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]Instance, error)
	// Tasks lists an instance's tasks, oldest first.
	Tasks(ctx context.Context, instanceID tack.ID) ([]Task, error)
	// Actions lists an instance's actions, oldest first.
	Actions(ctx context.Context, instanceID tack.ID) ([]Action, error)
	// Box lists up to limit entries of a person's box, newest first,
	// after the cursor (nil: from the newest).
	Box(ctx context.Context, userID, orgID tack.ID, box string, after *Cursor, limit int) ([]Entry, error)
	// BoxCount counts the entries of a person's box.
	BoxCount(ctx context.Context, userID, orgID tack.ID, box string) (int, error)
	// PendingLeave sums the amounts of a user's running leave requests of
	// a type.
	PendingLeave(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Amount, error)
	// AwayAt lists the aways of users (user IDs; nil: everyone's) that
	// hold at t (Start ≤ t < End).
	AwayAt(ctx context.Context, userIDs []tack.ID, t time.Time) ([]Away, error)
	// ClaimJobs leases up to limit jobs due at or before now whose lease
	// lapsed, to owner until until. Concurrent claims do not overlap.
	ClaimJobs(ctx context.Context, now, until time.Time, owner string, limit int) ([]Job, error)
	// ClaimJob leases one job, if it exists and is not leased.
	ClaimJob(ctx context.Context, id tack.ID, now, until time.Time, owner string) (Job, error)
	// FinishJob removes a job.
	FinishJob(ctx context.Context, id tack.ID) error
	// RetryJob releases a job to run again at due, counting the attempt.
	RetryJob(ctx context.Context, id tack.ID, due time.Time) error
	// FileInstances lists up to limit instances referencing a file.
	FileInstances(ctx context.Context, fileID tack.ID, limit int) ([]FileRef, error)
	// InstanceFiles lists the files an instance references, in no order.
	InstanceFiles(ctx context.Context, instanceID tack.ID) ([]tack.ID, error)
	// Apply writes b atomically.
	Apply(ctx context.Context, b Batch) error
}

// Package approval is approvals (审批): forms made from templates (the
// built-in leave, overtime, make-up punch, going out, business trip,
// expense and general ones, and an organisation's own), flows as a tree of
// approver, CC and condition-branch nodes resolved against the directory
// when a request is made, instances with their steps and tasks, the
// actions on them (approve, reject, transfer, add an approver before or
// after oneself, return to an earlier step, comment with @mentions,
// withdraw, urge, cancel an approved request), the inbox (pending, done,
// CC'd, mine), and what an approval does elsewhere: leave is deducted from
// its balance (package leave) in the same transaction as the decision,
// and approved leave, trips and outings cover their time in attendance, an
// approved make-up punch fixes the day, approved overtime can become comp
// time; while approved leave or a trip runs the person shows as 休假中 /
// 出差中, and direct messages to them may get an automatic reply.
//
// Decisions are compare-and-set on the instance's revision: of two
// approvers of one 或签 (any-one) step acting at once on any number of
// nodes exactly one decides; the other learns it was decided. Every action
// is idempotent (acting twice is acting once) and audited.
//
// Permissions: a caller who is not an active member of the organisation
// gets tack.ENotFound for everything of it, and so does a member for an
// instance they have no part in. The originator, every approver the flow
// reached, the people CC'd (once their step is reached, or by an
// @mention) and the organisation's admins may read an instance; only its
// current approvers act on it; only the originator withdraws, urges or
// cancels (admins may cancel too). Templates are managed by admins.
package approval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/push"
)

// Template kinds: the built-ins, whose forms have fixed meanings, and
// custom forms.
const (
	KindLeave    = "leave"    // 请假
	KindOvertime = "overtime" // 加班
	KindMakeup   = "makeup"   // 补卡
	KindOuting   = "outing"   // 外出
	KindTrip     = "trip"     // 出差
	KindExpense  = "expense"  // 报销
	KindGeneral  = "general"  // 通用
	KindCustom   = "custom"
)

// Instance statuses.
const (
	Running   = "running"
	Approved  = "approved"
	Rejected  = "rejected"
	Withdrawn = "withdrawn" // by the originator while running
	Cancelled = "cancelled" // an approved request called off
)

// Task statuses.
const (
	TaskWaiting     = "waiting"     // its turn has not come (sequential, or an approver added before)
	TaskPending     = "pending"     // the approver's turn
	TaskApproved    = "approved"    //
	TaskRejected    = "rejected"    //
	TaskTransferred = "transferred" // handed to someone else
	TaskReturned    = "returned"    // the approver sent the request back to an earlier step
	TaskCancelled   = "cancelled"   // decided by someone else, withdrawn, or returned past
)

// Action kinds, as audited.
const (
	ActSubmit      = "submit"
	ActApprove     = "approve"
	ActReject      = "reject"
	ActTransfer    = "transfer"
	ActAddBefore   = "add_before"
	ActAddAfter    = "add_after"
	ActReturn      = "return"
	ActComment     = "comment"
	ActWithdraw    = "withdraw"
	ActUrge        = "urge"
	ActCancel      = "cancel"
	ActAutoApprove = "auto_approve" // nobody to ask, or the same approver twice in a row
	ActCC          = "cc"
	ActAnnounce    = "announce"
)

// Boxes of the inbox.
const (
	BoxPending = "pending"
	BoxDone    = "done"
	BoxCC      = "cc"
	BoxMine    = "mine"
)

// Limits.
const (
	MaxFields         = 50
	MaxTableColumns   = 20
	MaxTableRows      = 100
	MaxOptions        = 100
	MaxTextRunes      = 2000
	MaxCommentRunes   = 1000
	MaxMentions       = 20
	MaxNameRunes      = 64
	MaxNodes          = 100 // nodes in one flow, all branches together
	MaxDepth          = 8   // nesting of branches
	MaxBranches       = 20
	MaxConditions     = 20
	MaxApprovers      = 100 // people of one step
	MaxManagerLevel   = 20
	MaxTemplates      = 200
	MaxSelected       = 50 // picks of a multiple select, people, departments, attachments
	MaxPage           = 100
	DefaultPage       = 50
	UrgeEvery         = 10 * time.Minute
	maxAttempts       = 8
	jobLease          = time.Minute
	jobRetry          = 30 * time.Second
	maxJobAttempts    = 20
	autoReplyInterval = 24 * time.Hour
)

// Error codes beside tack's.
const (
	// EDecided: the step was decided by someone else a moment ago (the
	// other approver of a 或签 step, or the originator withdrew).
	EDecided = "already_decided"
)

// Directory is what approvals read of the organisation service (which
// implements it). It checks no permission.
type Directory interface {
	DirectoryMember(ctx context.Context, orgID, id tack.ID) (org.Member, error)
	DirectoryMembers(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]org.Member, error)
	DirectoryOrg(ctx context.Context, orgID tack.ID) (org.Org, error)
	DirectoryDepartments(ctx context.Context, orgID tack.ID) ([]org.Department, error)
	// DirectoryManagers follows m's manager_id chain (nearest first,
	// whatever their status) up to max links.
	DirectoryManagers(ctx context.Context, orgID tack.ID, m org.Member, max int) ([]org.Member, error)
	// DirectoryAdmins returns the active owner and admins.
	DirectoryAdmins(ctx context.Context, orgID tack.ID) ([]org.Member, error)
	DirectoryManages(ctx context.Context, orgID tack.ID, viewer, subject org.Member) (bool, error)
	DirectoryGroups(ctx context.Context, orgID tack.ID) ([]org.Group, error)
	DirectoryOrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error)
}

// Attendance is what approvals do in attendance (attendance.Service
// implements it): covering approved leave, trips and outings, and
// applying approved make-up punches.
type Attendance interface {
	Cover(ctx context.Context, in attendance.CoverInput) (attendance.Cover, error)
	Uncover(ctx context.Context, orgID tack.ID, approvalID string) error
	CheckCorrection(ctx context.Context, c attendance.Correction) error
	ApplyCorrection(ctx context.Context, c attendance.Correction) (attendance.Check, error)
	// CorrectionApplied reports whether a make-up punch of approvalID was
	// applied already.
	CorrectionApplied(ctx context.Context, orgID, userID tack.ID, workDate, approvalID string) (bool, error)
	CountingDays(ctx context.Context, orgID, userID tack.ID, from, to string) ([]attendance.WorkDay, error)
}

// Leave is what approvals need of leave rules (leave.Service implements it).
type Leave interface {
	Quote(ctx context.Context, orgID, userID tack.ID, r leave.Request) (leave.Quote, error)
	Available(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Balance, leave.Type, bool, error)
	Deduct(ctx context.Context, c leave.Change) (*leave.Write, error)
	Restore(ctx context.Context, c leave.Change) (*leave.Write, error)
	Credit(ctx context.Context, c leave.Change) (*leave.Write, error)
	TypeOf(ctx context.Context, orgID tack.ID, key string) (leave.Type, error)
}

// Chats posts the approval bot's messages and reads direct chats for
// automatic replies (chat.Service with the chat store implements it).
type Chats interface {
	// Notify posts text from the bot in its direct chat with to, once per
	// clientID, and returns the conversation.
	Notify(ctx context.Context, to tack.ID, clientID, text string) (tack.ID, error)
	// AutoReply posts text in conversation convID on behalf of user (a
	// system message), once per clientID.
	AutoReply(ctx context.Context, convID, user tack.ID, clientID, text string) error
	// DirectPeer returns the other member of a direct conversation
	// ("" if convID is not a direct conversation).
	DirectPeer(ctx context.Context, convID, sender tack.ID) (tack.ID, error)
	// Send sends text as user (the announcement to a department group).
	Send(ctx context.Context, user, convID tack.ID, clientID, text string) error
}

// Pusher pushes notifications (push.Service implements it).
type Pusher interface {
	Notify(n push.Notification) bool
}

// Publisher publishes live events (the bus).
type Publisher interface {
	PublishApproval(ctx context.Context, users []tack.ID, payload []byte)
}

// Config tunes the Service.
type Config struct {
	Logger *slog.Logger
	// Node names this process in job leases (default: a random ID).
	Node string
	// Chats, Push and Events may be nil (no bot messages, pushes or live
	// events).
	Chats  Chats
	Push   Pusher
	Events Publisher
	// Files checks the files of attachment fields (nil: forms with
	// attachments are refused).
	Files Files
}

// Service holds every approval rule. It is safe for concurrent use.
type Service struct {
	store  Store
	dir    Directory
	att    Attendance
	leave  Leave
	clock  tack.Clock
	log    *slog.Logger
	node   string
	chats  Chats
	push   Pusher
	events Publisher
	files  Files

	replies chan replyJob
	jobs    chan tack.ID
	// replying holds the people whose direct messages get automatic
	// replies now (refreshed every sweep and after this node's decisions).
	replying atomic.Pointer[map[tack.ID]bool]
	stop     chan struct{}
	done     chan struct{}
}

// NewService returns a Service and starts its workers (Close stops them).
func NewService(store Store, dir Directory, att Attendance, lv Leave, clock tack.Clock, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Node == "" {
		cfg.Node = string(tack.NewID())
	}
	s := &Service{store: store, dir: dir, att: att, leave: lv, clock: clock, log: cfg.Logger, node: cfg.Node,
		chats: cfg.Chats, push: cfg.Push, events: cfg.Events, files: cfg.Files,
		replies: make(chan replyJob, 1024), jobs: make(chan tack.ID, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	go s.worker()
	return s
}

// Close stops the workers, finishing the job at hand.
func (s *Service) Close() {
	close(s.stop)
	<-s.done
}

var (
	errNoOrg      = tack.Errorf(tack.ENotFound, "no such organisation")
	errNoApproval = tack.Errorf(tack.ENotFound, "no such approval")
	errNoTemplate = tack.Errorf(tack.ENotFound, "no such approval template")
	errAdminOnly  = tack.Errorf(tack.EForbidden, "only the organisation's admins may do that")
)

// actor is the caller as an active member.
type actor struct {
	orgID tack.ID
	me    org.Member
}

func (a *actor) admin() bool { return a.me.Role == org.RoleOwner || a.me.Role == org.RoleAdmin }

func (s *Service) actor(ctx context.Context, orgID tack.ID) (*actor, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if !orgID.Valid() {
		return nil, errNoOrg
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, uid)
	if errors.Is(err, tack.ErrNotFound) || err == nil && m.UserID != uid {
		return nil, errNoOrg
	} else if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	switch m.Status {
	case org.Active:
		if m.Needs2FA {
			// The organisation requires two-step sign-in of its admins
			// and this one has none: a plain member until they turn it on.
			m.Role = org.RoleMember
		}
		return &actor{orgID: orgID, me: m}, nil
	case org.Suspended:
		return nil, tack.Errorf(tack.EForbidden, "your membership of this organisation is suspended")
	}
	return nil, errNoOrg
}

// activeUser returns the active member of orgID whose user or member ID
// is id.
func (s *Service) activeUser(ctx context.Context, orgID, id tack.ID) (org.Member, bool, error) {
	if !id.Valid() {
		return org.Member{}, false, nil
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, id)
	if errors.Is(err, tack.ErrNotFound) {
		return org.Member{}, false, nil
	} else if err != nil {
		return org.Member{}, false, err
	}
	return m, m.Status == org.Active && m.UserID != "", nil
}

func (s *Service) now() time.Time { return s.clock.Now() }

// Package org is organisations and the directory: companies as tenants with
// their settings and privacy rules, a department tree, members with their
// lifecycle (invited, pending, active, suspended, left), roles (owner,
// admins, sub-admins whose rights cover chosen departments), invitations and
// join requests, bulk import, automatic groups kept in step with
// membership, directory search (names, full pinyin and initials, email,
// phone, employee number, department), the audit log of admin actions,
// friends, blocks, and external contacts.
//
// Permissions: a caller who is not an active member of an organisation gets
// tack.ENotFound for anything of it (never EForbidden, which would confirm
// that it exists); a member who may not do something gets EForbidden with a
// message that names nobody and counts nothing.
package org

import (
	"context"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// Roles of a member in an organisation.
const (
	RoleOwner    = "owner"    // exactly one; every right, transfers ownership
	RoleAdmin    = "admin"    // every right but appointing admins and transferring ownership
	RoleSubAdmin = "subadmin" // manages the departments of its scope and their members
	RoleMember   = "member"
)

// Member statuses. A member is invited (a row made by an admin, an
// invitation by email or phone, or an import, not yet claimed by a user),
// pending (asked to join; waits for an admin), active, suspended (no access
// until reactivated) or left (no access, ever, unless invited again).
const (
	Invited   = "invited"
	Pending   = "pending"
	Active    = "active"
	Suspended = "suspended"
	Left      = "left"
)

// Limits.
const (
	MaxNameRunes      = 64 // organisation, department, member and contact names
	MaxTitleRunes     = 64 // job titles
	MaxDepth          = 64 // department nesting
	MaxDepartments    = 20000
	MaxMemberDepts    = 20  // departments of one member
	MaxHeads          = 20  // heads of one department
	MaxScope          = 100 // departments of one sub-admin
	MaxLogo           = 2048
	MaxImportRows     = 50000
	MaxImportProblems = 1000 // problems an import reports in detail
	MaxInviteUses     = 100000
	MaxInviteHours    = 24 * 365
	DefaultInvHours   = 24 * 7
	MaxPageSize       = 200
	DefaultPageSize   = 50
	MaxTags           = 20
	MaxContactFields  = 256
)

// Fields of a member profile that admins may hide from other members.
var HideableFields = []string{"title", "employee_no", "work_email", "phone", "hire_date", "manager_id"}

// Privacy is an organisation's directory and chat rules.
type Privacy struct {
	// HiddenFields are profile fields only admins (and sub-admins over the
	// member's department, and the member) see; one of HideableFields.
	HiddenFields []string `json:"hidden_fields"`
	// HiddenDepartments, with their sub-departments and members, are seen
	// only by admins, their sub-admins and their own members.
	HiddenDepartments []tack.ID `json:"hidden_departments"`
	// OwnDepartmentOnly lets members see only the members of their own
	// departments (and sub-departments).
	OwnDepartmentOnly bool `json:"own_department_only"`
	// JoinApproval makes every invitation accepted a join request that an
	// admin approves or declines.
	JoinApproval bool `json:"join_approval"`
	// ForbidExternal stops members from starting chats with, or adding to
	// groups, anyone who is not an active member of the organisation.
	ForbidExternal bool `json:"forbid_external_chats"`
}

// Org is an organisation.
type Org struct {
	ID       tack.ID `json:"id"`
	Name     string  `json:"name"`
	Logo     string  `json:"logo"`
	TimeZone string  `json:"time_zone"`
	OwnerID  tack.ID `json:"owner_id"` // a user ID
	Privacy  Privacy `json:"privacy"`
	// RequireAdmin2FA: the owner and admins must sign in with two steps
	// (an authenticator app); until they turn it on, they act as plain
	// members in the organisation's directory and admin area.
	RequireAdmin2FA bool      `json:"require_admin_2fa"`
	CreatedAt       time.Time `json:"created_at"`
}

// Department is a node of an organisation's tree. Top-level departments
// have no parent.
type Department struct {
	ID       tack.ID   `json:"id"`
	OrgID    tack.ID   `json:"org_id"`
	ParentID tack.ID   `json:"parent_id"`
	Name     string    `json:"name"`
	HeadIDs  []tack.ID `json:"head_ids"` // member IDs
	// Path lists the IDs from the top down to this one: "/a/b/c/". Stores
	// keep it; the Service computes it.
	Path      string    `json:"-"`
	Keys      []Key     `json:"-"` // search keys, made by the Service
	CreatedAt time.Time `json:"created_at"`
}

// Member is a person's place in an organisation. UserID is empty while the
// member is invited and has not yet accepted.
type Member struct {
	ID          tack.ID    `json:"id"`
	OrgID       tack.ID    `json:"org_id"`
	UserID      tack.ID    `json:"user_id,omitempty"`
	Name        string     `json:"name"`
	Title       string     `json:"title,omitempty"`
	EmployeeNo  string     `json:"employee_no,omitempty"`
	WorkEmail   string     `json:"work_email,omitempty"`
	Phone       string     `json:"phone,omitempty"`
	HireDate    string     `json:"hire_date,omitempty"` // YYYY-MM-DD
	Departments []tack.ID  `json:"department_ids"`
	ManagerID   tack.ID    `json:"manager_id,omitempty"` // a member ID
	Status      string     `json:"status,omitempty"`
	Role        string     `json:"role,omitempty"`
	Scope       []tack.ID  `json:"admin_department_ids,omitempty"` // sub-admins: departments they manage
	CreatedAt   time.Time  `json:"created_at"`
	JoinedAt    *time.Time `json:"joined_at,omitempty"`
	// Needs2FA, on the caller's own membership: the organisation requires
	// two-step sign-in of admins and the caller, an admin, has none yet
	// (they act as a plain member until they turn it on).
	Needs2FA  bool      `json:"needs_2fa,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`

	SortKey string `json:"-"` // directory order, made by the Service
	Keys    []Key  `json:"-"` // search keys, made by the Service
}

// Search key fields: a key says which profile field it comes from, so that
// hidden fields are not searchable by those who may not see them.
const (
	FieldName       = 1
	FieldPinyin     = 2
	FieldEmail      = 3
	FieldPhone      = 4
	FieldEmployeeNo = 5
)

// Key is one search key of a member or department: a lower-case string
// matched by prefix.
type Key struct {
	Text  string
	Field int
}

// Invitation lets people join an organisation by a code. A targeted
// invitation (by email or phone) is for one invited member and is used once.
type Invitation struct {
	Code        string    `json:"code"`
	OrgID       tack.ID   `json:"org_id"`
	CreatedBy   tack.ID   `json:"created_by"` // user ID
	Departments []tack.ID `json:"department_ids"`
	MemberID    tack.ID   `json:"member_id,omitempty"` // the invited member of a targeted invitation
	Target      string    `json:"target,omitempty"`    // normalised email or phone
	MaxUses     int       `json:"max_uses"`
	Uses        int       `json:"uses"`
	ExpiresAt   time.Time `json:"expires_at"`
	Revoked     bool      `json:"revoked,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Group is an organisation group: a chat group whose members the Service
// keeps in step with the organisation: every active member (all-staff,
// DepartmentID empty) or the active members of a department and its
// sub-departments.
type Group struct {
	ConversationID tack.ID   `json:"conversation_id"`
	OrgID          tack.ID   `json:"org_id"`
	DepartmentID   tack.ID   `json:"department_id,omitempty"`
	CreatedBy      tack.ID   `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// Audit is one admin action.
type Audit struct {
	ID      tack.ID `json:"id"`
	OrgID   tack.ID `json:"org_id"`
	ActorID tack.ID `json:"actor_id"` // user ID
	// Action is a stable code (docs/orgs.md lists them), e.g.
	// "department.create", "member.status".
	Action string    `json:"action"`
	Target string    `json:"target"` // the ID of what was acted on
	Before any       `json:"before,omitempty"`
	After  any       `json:"after,omitempty"`
	At     time.Time `json:"at"`
	// Params fill in the sentence a client says for the action: who did it
	// and to what, by name, and the action's own details (docs/orgs.md).
	// Made when the log is read, not stored.
	Params map[string]any `json:"params,omitempty"`
}

// Relation states between two users, seen from the first.
const (
	Requested = "requested" // the first asked the second to be friends
	Friend    = "friend"
	Blocked   = "blocked" // the first blocked the second
)

// Relation is a directed friend-graph edge.
type Relation struct {
	UserID  tack.ID   `json:"user_id"`
	OtherID tack.ID   `json:"other_id"`
	State   string    `json:"state"` // "" in SetRelations: delete
	At      time.Time `json:"at"`
}

// Contact is an external contact kept by a member of an organisation.
type Contact struct {
	ID        tack.ID   `json:"id"`
	OrgID     tack.ID   `json:"org_id"`
	OwnerID   tack.ID   `json:"owner_id"` // user ID
	Name      string    `json:"name"`
	Company   string    `json:"company,omitempty"`
	Title     string    `json:"title,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Email     string    `json:"email,omitempty"`
	Tags      []string  `json:"tags"`
	Note      string    `json:"note,omitempty"`
	Shared    bool      `json:"shared"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// NewConversation is an organisation group to create.
type NewConversation struct {
	Conversation chat.Conversation
	Members      []chat.Membership
	First        chat.NewMessage
}

// Claim takes one use of an invitation: the store fails the whole batch
// with tack.EConflict if the invitation is revoked or has no use left.
type Claim struct {
	Code string
}

// Batch is one atomic write: a store applies all of it in one transaction,
// or, on error, none of it. Slices of things are upserts by ID (a member's
// Keys and Departments replace the old ones).
type Batch struct {
	Org               *Org
	Departments       []Department
	DeleteDepartments []tack.ID
	Members           []Member
	DeleteMembers     []tack.ID
	Invitations       []Invitation
	Claims            []Claim
	Groups            []Group
	DeleteGroups      []tack.ID // conversation IDs
	NewConversations  []NewConversation
	// GroupChanges alter organisation groups' memberships, each with its
	// system message, as chat.ConversationStore.ApplyChange does.
	GroupChanges []chat.Change
	Audit        []Audit
}

// Empty reports whether b writes nothing.
func (b *Batch) Empty() bool {
	return b.Org == nil && len(b.Departments)+len(b.DeleteDepartments)+len(b.Members)+len(b.DeleteMembers)+
		len(b.Invitations)+len(b.Claims)+len(b.Groups)+len(b.DeleteGroups)+len(b.NewConversations)+
		len(b.GroupChanges)+len(b.Audit) == 0
}

// MemberQuery selects members for the directory. Every condition set must
// hold.
type MemberQuery struct {
	OrgID tack.ID
	// Terms: each must prefix-match one of the member's keys whose field is
	// in Fields, or the key of one of the member's (direct) departments.
	Terms  []string
	Fields []int
	// Statuses the member may have (empty: any).
	Statuses []string
	// Department: only direct members of this department.
	Department tack.ID
	// Under: only members of a department within one of these subtrees
	// (paths); Self is let through regardless.
	Under []string
	Self  tack.ID
	// Exclude: no member of a department within one of these subtrees.
	Exclude []string
	// After: the page after this (SortKey, ID).
	AfterKey string
	AfterID  tack.ID
	Limit    int
}

// OrgStore keeps organisations and their departments.
type OrgStore interface {
	Org(ctx context.Context, id tack.ID) (Org, error)
	// OrgsOf lists the organisations in which userID has a member row,
	// with that row, oldest membership first.
	OrgsOf(ctx context.Context, userID tack.ID) ([]Org, []Member, error)
	Departments(ctx context.Context, orgID tack.ID) ([]Department, error)
	// DepartmentUse counts a department's sub-departments and its direct
	// members who have not left.
	DepartmentUse(ctx context.Context, deptID tack.ID) (children, members int, err error)
}

// MemberStore keeps members.
type MemberStore interface {
	// Member returns the member of orgID whose member ID or user ID is id.
	Member(ctx context.Context, orgID, id tack.ID) (Member, error)
	// MembersByID returns those of ids (member IDs) that are members of orgID.
	MembersByID(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]Member, error)
	// MembersMatching returns members of orgID whose employee number is
	// among empNos or whose work email is among emails.
	MembersMatching(ctx context.Context, orgID tack.ID, empNos, emails []string) ([]Member, error)
	// SearchMembers returns members ordered by (SortKey, ID).
	SearchMembers(ctx context.Context, q MemberQuery) ([]Member, error)
	// ActiveUsersUnder returns the user IDs of active members of orgID in a
	// department within the subtree at path (every active member if path
	// is empty).
	ActiveUsersUnder(ctx context.Context, orgID tack.ID, path string) ([]tack.ID, error)
	// ActiveOrgsOf maps each of userIDs to the organisations in which it is
	// an active member.
	ActiveOrgsOf(ctx context.Context, userIDs []tack.ID) (map[tack.ID][]tack.ID, error)
}

// InvitationStore keeps invitations.
type InvitationStore interface {
	Invitation(ctx context.Context, code string) (Invitation, error)
	// Invitations lists an organisation's invitations, newest first.
	Invitations(ctx context.Context, orgID tack.ID) ([]Invitation, error)
	// InvitationsFor lists invitations whose target is one of targets.
	InvitationsFor(ctx context.Context, targets []string) ([]Invitation, error)
}

// GroupStore keeps organisation groups.
type GroupStore interface {
	Groups(ctx context.Context, orgID tack.ID) ([]Group, error)
}

// AuditStore keeps the audit log.
type AuditStore interface {
	// AuditLog returns up to limit entries of orgID with ID < before (all
	// if before is empty), newest first.
	AuditLog(ctx context.Context, orgID tack.ID, before tack.ID, limit int) ([]Audit, error)
}

// RelationStore keeps the friend graph.
type RelationStore interface {
	// Relations lists every edge from or to userID.
	Relations(ctx context.Context, userID tack.ID) ([]Relation, error)
	// RelationsAmong lists the edges between userID and any of others, in
	// both directions.
	RelationsAmong(ctx context.Context, userID tack.ID, others []tack.ID) ([]Relation, error)
	// SetRelations writes edges (State "" deletes the edge) atomically.
	SetRelations(ctx context.Context, rs []Relation) error
}

// ContactStore keeps external contacts.
type ContactStore interface {
	Contact(ctx context.Context, orgID, id tack.ID) (Contact, error)
	// Contacts lists orgID's contacts owned by owner or shared (all if
	// owner is empty), whose name, company or tags start with text, by name.
	Contacts(ctx context.Context, orgID, owner tack.ID, text, tag string, limit int) ([]Contact, error)
	PutContact(ctx context.Context, c Contact) error
	DeleteContact(ctx context.Context, orgID, id tack.ID) error
}

// Writer applies batches.
type Writer interface {
	// Apply writes b atomically and returns the system messages of its
	// NewConversations and GroupChanges, in that order.
	// Errors: tack.EConflict when a claim fails or a unique employee
	// number, work email or (organisation, user) pair clashes.
	Apply(ctx context.Context, b Batch) ([]chat.Message, error)
}

// ConversationReader is what the Service reads of chats: whom it has
// already put in an organisation group, and whether it exists.
type ConversationReader interface {
	Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error)
	Memberships(ctx context.Context, convID tack.ID) ([]chat.Membership, error)
	MembersAmong(ctx context.Context, convID tack.ID, ids []tack.ID) ([]tack.ID, error)
	// ExternalConversations lists userID's conversations with someone who
	// shares no active organisation with userID.
	ExternalConversations(ctx context.Context, userID tack.ID) ([]tack.ID, error)
	// DirectBetween returns the ID of the direct conversation of a and b,
	// or tack.ErrNotFound.
	DirectBetween(ctx context.Context, a, b tack.ID) (tack.ID, error)
}

// Store is everything the Service needs. Errors: tack.ErrNotFound (possibly
// wrapped) for a missing row. Stores decide nothing. All methods are safe
// for concurrent use.
type Store interface {
	OrgStore
	MemberStore
	InvitationStore
	GroupStore
	AuditStore
	RelationStore
	ContactStore
	PrivacyStore
	Writer
	ConversationReader
}

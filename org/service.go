package org

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // time zones without the system database
	"unicode"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/limit"
)

// Users is what the Service reads of accounts: names for new members, and
// logins to match invitations by email or phone.
type Users interface {
	User(ctx context.Context, id tack.ID) (account.User, error)
	Users(ctx context.Context, ids []tack.ID) ([]account.User, error)
}

// Config tunes the Service. The zero value is the production default.
type Config struct {
	// AcceptLimit bounds failed invitation accepts per user (guessing
	// codes); default 10 a minute with bursts of 20.
	AcceptLimit *limit.Keyed
	// FriendLimit bounds friend requests per user; default 60 an hour.
	FriendLimit *limit.Keyed
	// MaxImports bounds the imports running at once on this node (each
	// organisation runs one at a time); default DefaultMaxImports.
	MaxImports int
	// ImportMemory bounds the bytes of rows the imports running on this
	// node hold together; default DefaultImportMemory.
	ImportMemory int64
	// Verifier says whether this server can prove that someone owns a
	// login (account.Service does); nil: it cannot, and invitations for
	// one person need an admin's approval (see Accept).
	Verifier LoginVerifier
	// SecondFactor says whether a user signs in with two steps
	// (account.Service.HasSecondFactor); nil: nobody does, and an
	// organisation's RequireAdmin2FA cannot be turned on.
	SecondFactor func(ctx context.Context, userID tack.ID) (bool, error)
	// Events hears of membership and directory changes; nil: nobody.
	Events Events
	Logger *slog.Logger
}

// LoginVerifier says whether a login's owner can prove they own it.
type LoginVerifier interface {
	// CanVerify reports whether this server can send a code to login.
	CanVerify(login string) bool
}

// Service holds every organisation rule. It is safe for concurrent use.
type Service struct {
	store  Store
	users  Users
	people chat.People
	bus    bus.Publisher
	clock  tack.Clock
	log    *slog.Logger
	accept *limit.Keyed
	friend *limit.Keyed

	verifier     LoginVerifier
	secondFactor func(ctx context.Context, userID tack.ID) (bool, error)
	events       Events
	importMu     sync.Mutex
	importing    map[tack.ID]bool // organisations with an import running
	importSlots  chan struct{}
	importMemory *memoryBudget
}

// NewService returns a Service. people decides who exists (account.Service
// does); the Service narrows it by blocks and organisation rules when used
// as chat.People. pub may be nil.
func NewService(store Store, users Users, people chat.People, pub bus.Publisher, clock tack.Clock, cfg Config) *Service {
	if cfg.AcceptLimit == nil {
		cfg.AcceptLimit = &limit.Keyed{Rate: 10.0 / 60, Burst: 20}
	}
	if cfg.FriendLimit == nil {
		cfg.FriendLimit = &limit.Keyed{Rate: 60.0 / 3600, Burst: 60}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxImports <= 0 {
		cfg.MaxImports = DefaultMaxImports
	}
	if cfg.ImportMemory <= 0 {
		cfg.ImportMemory = DefaultImportMemory
	}
	return &Service{store: store, users: users, people: people, bus: pub, clock: clock, log: cfg.Logger,
		accept: cfg.AcceptLimit, friend: cfg.FriendLimit, verifier: cfg.Verifier, secondFactor: cfg.SecondFactor,
		importing: map[tack.ID]bool{}, importSlots: make(chan struct{}, cfg.MaxImports), importMemory: &memoryBudget{max: cfg.ImportMemory}, events: cfg.Events}
}

var (
	errNoOrg     = tack.Errorf(tack.ENotFound, "no such organisation")
	errNoDept    = tack.Errorf(tack.ENotFound, "no such department")
	errNoMember  = tack.Errorf(tack.ENotFound, "no such member")
	errDenied    = tack.Errorf(tack.EForbidden, "you are not allowed to do that in this organisation")
	errAdminOnly = tack.Errorf(tack.EForbidden, "only the organisation's admins may do that")
)

func caller(ctx context.Context) (tack.ID, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return "", tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return uid, nil
}

// actor is the caller as an active member of an organisation.
type actor struct {
	org Org
	me  Member
	t   *tree
	vis *visibility
	// lacks2FA: the organisation requires two-step sign-in of its admins
	// and this one has none: they act as a plain member (see actor).
	lacks2FA bool
}

func (a *actor) admin() bool {
	return !a.lacks2FA && (a.me.Role == RoleOwner || a.me.Role == RoleAdmin)
}

// actor returns the caller's active membership of orgID, or ENotFound:
// outsiders, and members who left or were never let in, learn nothing.
// Suspended members learn that they are suspended.
func (s *Service) actor(ctx context.Context, orgID tack.ID) (*actor, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !orgID.Valid() {
		return nil, errNoOrg
	}
	me, err := s.store.Member(ctx, orgID, uid)
	if errors.Is(err, tack.ErrNotFound) || (err == nil && me.UserID != uid) {
		return nil, errNoOrg
	} else if err != nil {
		return nil, fmt.Errorf("membership: %w", err)
	}
	switch me.Status {
	case Active:
	case Suspended:
		return nil, tack.Errorf(tack.EForbidden, "your membership of this organisation is suspended")
	default:
		return nil, errNoOrg
	}
	o, err := s.store.Org(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("organisation: %w", err)
	}
	a := &actor{org: o, me: me}
	if o.RequireAdmin2FA && me.Role != RoleMember {
		has, err := s.hasSecondFactor(ctx, uid)
		if err != nil {
			return nil, err
		}
		a.lacks2FA = !has
	}
	return a, nil
}

func (s *Service) hasSecondFactor(ctx context.Context, uid tack.ID) (bool, error) {
	if s.secondFactor == nil {
		return false, nil
	}
	has, err := s.secondFactor(ctx, uid)
	if err != nil {
		return false, fmt.Errorf("two-step sign-in: %w", err)
	}
	return has, nil
}

// tree returns the actor's organisation's department tree, loading it once.
func (s *Service) tree(ctx context.Context, a *actor) (*tree, error) {
	if a.t != nil {
		return a.t, nil
	}
	ds, err := s.store.Departments(ctx, a.org.ID)
	if err != nil {
		return nil, fmt.Errorf("departments: %w", err)
	}
	a.t = newTree(ds)
	return a.t, nil
}

// tree is an organisation's departments, indexed.
type tree struct {
	byID     map[tack.ID]*Department
	children map[tack.ID][]*Department // "" holds the top level
}

func newTree(ds []Department) *tree {
	t := &tree{byID: make(map[tack.ID]*Department, len(ds)), children: map[tack.ID][]*Department{}}
	for i := range ds {
		d := &ds[i]
		t.byID[d.ID] = d
		t.children[d.ParentID] = append(t.children[d.ParentID], d)
	}
	return t
}

func (t *tree) path(id tack.ID) string {
	if d := t.byID[id]; d != nil {
		return d.Path
	}
	return ""
}

// paths returns the paths of ids that exist.
func (t *tree) paths(ids []tack.ID) []string {
	var out []string
	for _, id := range ids {
		if p := t.path(id); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// subtree returns d and every department below it.
func (t *tree) subtree(id tack.ID) []*Department {
	var out []*Department
	var walk func(id tack.ID)
	walk = func(id tack.ID) {
		d := t.byID[id]
		if d == nil {
			return
		}
		out = append(out, d)
		for _, c := range t.children[id] {
			walk(c.ID)
		}
	}
	walk(id)
	return out
}

func underAny(path string, roots []string) bool {
	for _, r := range roots {
		if strings.HasPrefix(path, r) {
			return true
		}
	}
	return false
}

// visibility is what a member may see of the directory.
type visibility struct {
	all     bool
	under   []string // nil: no restriction; else only these subtrees
	exclude []string // hidden subtrees
	scope   []string // sub-admin's subtrees: seen in full
	hidden  map[string]bool
}

func (s *Service) visibility(ctx context.Context, a *actor) (*visibility, error) {
	if a.vis != nil {
		return a.vis, nil
	}
	v := &visibility{}
	a.vis = v
	if a.admin() {
		v.all = true
		return v, nil
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return nil, err
	}
	own := t.paths(a.me.Departments)
	if a.me.Role == RoleSubAdmin {
		v.scope = t.paths(a.me.Scope)
	}
	mine := append(slices.Clone(own), v.scope...)
	for _, p := range t.paths(a.org.Privacy.HiddenDepartments) {
		inside := false
		for _, m := range mine {
			if strings.HasPrefix(m, p) {
				inside = true
				break
			}
		}
		if !inside && !underAny(p, v.scope) {
			v.exclude = append(v.exclude, p)
		}
	}
	if a.org.Privacy.OwnDepartmentOnly {
		v.under = mine
		if v.under == nil {
			v.under = []string{}
		}
	}
	return v, nil
}

// deptVisible reports whether the actor may see department d.
func (v *visibility) deptVisible(d *Department) bool {
	if v.all || underAny(d.Path, v.scope) {
		return true
	}
	if underAny(d.Path, v.exclude) {
		return false
	}
	if v.under == nil {
		return true
	}
	for _, u := range v.under {
		// Inside a permitted subtree, or on the way down to one.
		if strings.HasPrefix(d.Path, u) || strings.HasPrefix(u, d.Path) {
			return true
		}
	}
	return false
}

// memberVisible reports whether the actor may see member m.
func (s *Service) memberVisible(a *actor, t *tree, v *visibility, m *Member) bool {
	if v.all || m.ID == a.me.ID {
		return true
	}
	paths := t.paths(m.Departments)
	for _, p := range paths {
		if underAny(p, v.scope) {
			return true
		}
	}
	if m.Status != Active {
		return false
	}
	for _, p := range paths {
		if underAny(p, v.exclude) {
			return false
		}
	}
	if v.under != nil {
		for _, p := range paths {
			if underAny(p, v.under) {
				return true
			}
		}
		return false
	}
	return true
}

// managesDept reports whether the actor may manage the department at path
// (admins: all; sub-admins: their scope).
func (a *actor) managesDept(t *tree, path string) bool {
	if a.admin() {
		return true
	}
	return a.me.Role == RoleSubAdmin && path != "" && underAny(path, t.paths(a.me.Scope))
}

// managesMember reports whether the actor may change m's profile and
// status: admins manage everyone but the owner (and only the owner manages
// admins); sub-admins manage plain members all of whose departments are in
// their scope.
func (a *actor) managesMember(t *tree, m *Member) bool {
	switch {
	case a.lacks2FA:
		return false
	case m.ID == a.me.ID:
		return a.admin()
	case m.Role == RoleOwner:
		return false
	case a.me.Role == RoleOwner:
		return true
	case a.me.Role == RoleAdmin:
		return m.Role != RoleAdmin
	case a.me.Role == RoleSubAdmin:
		if m.Role != RoleMember || len(m.Departments) == 0 {
			return false
		}
		scope := t.paths(a.me.Scope)
		for _, p := range t.paths(m.Departments) {
			if !underAny(p, scope) {
				return false
			}
		}
		return len(t.paths(m.Departments)) == len(m.Departments)
	}
	return false
}

// present returns m as the actor may see it: hidden fields are dropped
// unless the actor is an admin, the member, or a sub-admin over one of its
// departments; invisible departments are dropped.
func (s *Service) present(a *actor, t *tree, v *visibility, m Member) Member {
	full := v.all || m.ID == a.me.ID
	if !full {
		for _, p := range t.paths(m.Departments) {
			if underAny(p, v.scope) {
				full = true
			}
		}
	}
	if full {
		if !v.all && m.ID != a.me.ID {
			m.Scope = nil
		}
		return m
	}
	for _, f := range a.org.Privacy.HiddenFields {
		switch f {
		case "title":
			m.Title = ""
		case "employee_no":
			m.EmployeeNo = ""
		case "work_email":
			m.WorkEmail = ""
		case "phone":
			m.Phone = ""
		case "hire_date":
			m.HireDate = ""
		case "manager_id":
			m.ManagerID = ""
		}
	}
	ds := make([]tack.ID, 0, len(m.Departments))
	for _, id := range m.Departments {
		if d := t.byID[id]; d != nil && v.deptVisible(d) {
			ds = append(ds, id)
		}
	}
	m.Departments = ds
	m.Scope = nil
	// Those without the full view see active colleagues only, so "active"
	// tells them nothing new (and lets a client offer to message the
	// person); any other status is for those with the full view.
	if m.Status != Active {
		m.Status = ""
	}
	return m
}

// searchFields lists the key fields the actor may search by.
func (a *actor) searchFields() []int {
	fields := []int{FieldName, FieldPinyin, FieldEmail, FieldPhone, FieldEmployeeNo}
	if a.admin() {
		return fields
	}
	for _, f := range a.org.Privacy.HiddenFields {
		switch f {
		case "work_email":
			fields = slices.DeleteFunc(fields, func(x int) bool { return x == FieldEmail })
		case "phone":
			fields = slices.DeleteFunc(fields, func(x int) bool { return x == FieldPhone })
		case "employee_no":
			fields = slices.DeleteFunc(fields, func(x int) bool { return x == FieldEmployeeNo })
		}
	}
	return fields
}

// ---- validation ----

// validName checks a name people see (organisation, department, member,
// contact): see tack.CleanName.
func validName(field, name string) (string, error) {
	return tack.CleanName(field, name, MaxNameRunes)
}

func validText(field, s string, max int) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", tack.Invalid(field, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", tack.Invalid(field, "%s is longer than %d characters", field, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", tack.Invalid(field, "%s contains a control character", field)
		}
	}
	return s, nil
}

// validEmail and validPhone normalise as logins are normalised (see
// account.NormalizeLogin), so that an invitation's target compares equal
// to the login of the person it is for.
func validEmail(field, e string) (string, error) { return account.NormalizeEmail(field, e) }

func validPhone(field, p string) (string, error) {
	if strings.Contains(p, "@") {
		return "", tack.Invalid(field, "%s is not a phone number", field)
	}
	return account.NormalizePhone(field, p)
}

func validEmployeeNo(field, e string) (string, error) {
	e = strings.TrimSpace(e)
	if len(e) > 32 {
		return "", tack.Invalid(field, "%s is longer than 32 characters", field)
	}
	for _, r := range e {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' || r == '.') {
			return "", tack.Invalid(field, "%s may have only letters, digits, '-', '_' and '.'", field)
		}
	}
	return strings.ToUpper(e), nil
}

func validDate(field, d string) (string, error) {
	d = strings.TrimSpace(d)
	if d == "" {
		return "", nil
	}
	for _, layout := range []string{"2006-01-02", "2006/01/02", "2006/1/2", "2006-1-2", "2006.01.02", "01-02-06", "1/2/06", "2006年1月2日"} {
		if t, err := time.Parse(layout, d); err == nil && t.Year() >= 1900 && t.Year() <= 2200 {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", tack.Invalid(field, "%s must be a date like 2024-03-01", field)
}

func validTimeZone(tz string) (string, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return "UTC", nil
	}
	if len(tz) > 64 || strings.HasPrefix(tz, "/") || strings.Contains(tz, "..") || strings.EqualFold(tz, "local") {
		return "", tack.Invalid("time_zone", "time_zone must be an IANA zone such as Asia/Shanghai")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", tack.Invalid("time_zone", "time_zone must be an IANA zone such as Asia/Shanghai")
	}
	return tz, nil
}

func validLogo(logo string) (string, error) {
	logo = strings.TrimSpace(logo)
	if logo == "" {
		return "", nil
	}
	if len(logo) > MaxLogo {
		return "", tack.Invalid("logo", "logo is longer than %d characters", MaxLogo)
	}
	if !(strings.HasPrefix(logo, "https://") || strings.HasPrefix(logo, "/")) || strings.ContainsAny(logo, " \"'<>\\") {
		return "", tack.Invalid("logo", "logo must be an https:// URL or a path on this server")
	}
	for _, r := range logo {
		if unicode.IsControl(r) {
			return "", tack.Invalid("logo", "logo contains a control character")
		}
	}
	return logo, nil
}

func validIDs(field string, ids []tack.ID, max int) ([]tack.ID, error) {
	if len(ids) > max {
		return nil, tack.Errorf(tack.ETooLarge, "%s: at most %d", field, max)
	}
	out := make([]tack.ID, 0, len(ids))
	for _, id := range ids {
		if !id.Valid() {
			return nil, tack.Invalid(field, "%q is not an ID", string(id))
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// index prepares m for storage: search keys and sort key.
func index(m *Member) {
	m.Keys = memberKeys(m)
	m.SortKey = sortKey(m.Name)
	if m.Departments == nil {
		m.Departments = []tack.ID{}
	}
}

func indexDept(d *Department) {
	d.Keys = nameKeys(d.Name)
	if d.HeadIDs == nil {
		d.HeadIDs = []tack.ID{}
	}
}

func (s *Service) audit(a *actor, action string, target tack.ID, before, after any) Audit {
	return Audit{ID: tack.NewID(), OrgID: a.org.ID, ActorID: a.me.UserID, Action: action, Target: string(target),
		Before: before, After: after, At: s.clock.Now()}
}

// apply writes b and publishes the chat events of its group changes.
func (s *Service) apply(ctx context.Context, b Batch) error {
	msgs, err := s.store.Apply(ctx, b)
	if err != nil {
		return err
	}
	s.publishGroupEvents(ctx, b, msgs)
	s.emitChanges(ctx, b)
	return nil
}

// ---- organisations ----

// OrgSettings are the settings an admin may change; nil fields stay.
type OrgSettings struct {
	Name     *string
	Logo     *string
	TimeZone *string
	Privacy  *Privacy
	// RequireAdmin2FA: see Org (owner only; the owner must have two-step
	// sign-in on to turn it on).
	RequireAdmin2FA *bool
}

// Create makes an organisation owned by the caller.
func (s *Service) Create(ctx context.Context, name, timeZone, logo string) (Org, Member, error) {
	uid, err := caller(ctx)
	if err != nil {
		return Org{}, Member{}, err
	}
	if name, err = validName("name", name); err != nil {
		return Org{}, Member{}, err
	}
	if timeZone, err = validTimeZone(timeZone); err != nil {
		return Org{}, Member{}, err
	}
	if logo, err = validLogo(logo); err != nil {
		return Org{}, Member{}, err
	}
	u, err := s.users.User(ctx, uid)
	if err != nil {
		return Org{}, Member{}, fmt.Errorf("create organisation: %w", err)
	}
	now := s.clock.Now()
	o := Org{ID: tack.NewID(), Name: name, Logo: logo, TimeZone: timeZone, OwnerID: uid, CreatedAt: now,
		Privacy: Privacy{HiddenFields: []string{}, HiddenDepartments: []tack.ID{}}}
	m := Member{ID: tack.NewID(), OrgID: o.ID, UserID: uid, Name: u.Name, Status: Active, Role: RoleOwner,
		CreatedAt: now, JoinedAt: &now, UpdatedAt: now}
	index(&m)
	a := &actor{org: o, me: m}
	err = s.apply(ctx, Batch{Org: &o, Members: []Member{m},
		Audit: []Audit{s.audit(a, "org.create", o.ID, nil, orgAudit(o))}})
	if err != nil {
		return Org{}, Member{}, fmt.Errorf("create organisation: %w", err)
	}
	return o, m, nil
}

func orgAudit(o Org) map[string]any {
	return map[string]any{"name": o.Name, "logo": o.Logo, "time_zone": o.TimeZone, "owner_id": o.OwnerID, "privacy": o.Privacy, "require_admin_2fa": o.RequireAdmin2FA}
}

// Mine lists the organisations the caller is an active, suspended or
// pending member of, with the caller's membership.
func (s *Service) Mine(ctx context.Context) ([]Org, []Member, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, nil, err
	}
	os, ms, err := s.store.OrgsOf(ctx, uid)
	if err != nil {
		return nil, nil, fmt.Errorf("organisations: %w", err)
	}
	var outO []Org
	var outM []Member
	for i := range os {
		if ms[i].Status == Left || ms[i].Status == Invited {
			continue
		}
		o := os[i]
		if o.RequireAdmin2FA && ms[i].Role != RoleMember {
			has, err := s.hasSecondFactor(ctx, uid)
			if err != nil {
				return nil, nil, err
			}
			ms[i].Needs2FA = !has
		}
		if ms[i].Status != Active || (ms[i].Role != RoleOwner && ms[i].Role != RoleAdmin) || ms[i].Needs2FA {
			o.Privacy = Privacy{}
		}
		outO = append(outO, o)
		outM = append(outM, ms[i])
	}
	return outO, outM, nil
}

// Get returns an organisation and the caller's membership. Privacy rules
// are shown to admins only.
func (s *Service) Get(ctx context.Context, orgID tack.ID) (Org, Member, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Org{}, Member{}, err
	}
	o := a.org
	if !a.admin() {
		o.Privacy = Privacy{}
	}
	me := a.me
	me.Needs2FA = a.lacks2FA
	return o, me, nil
}

// Update changes an organisation's settings (owner and admins).
func (s *Service) Update(ctx context.Context, orgID tack.ID, in OrgSettings) (Org, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Org{}, err
	}
	if !a.admin() {
		return Org{}, errAdminOnly
	}
	o := a.org
	if in.Name != nil {
		if o.Name, err = validName("name", *in.Name); err != nil {
			return Org{}, err
		}
	}
	if in.Logo != nil {
		if o.Logo, err = validLogo(*in.Logo); err != nil {
			return Org{}, err
		}
	}
	if in.TimeZone != nil {
		if o.TimeZone, err = validTimeZone(*in.TimeZone); err != nil {
			return Org{}, err
		}
	}
	if in.Privacy != nil {
		p := *in.Privacy
		if len(p.HiddenFields) > len(HideableFields) {
			return Org{}, tack.Invalid("privacy.hidden_fields", "unknown field")
		}
		fields := []string{}
		for _, f := range p.HiddenFields {
			if !slices.Contains(HideableFields, f) {
				return Org{}, tack.Invalid("privacy.hidden_fields", "%q cannot be hidden; choose among %s", f, strings.Join(HideableFields, ", "))
			}
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
		p.HiddenFields = fields
		if p.HiddenDepartments, err = validIDs("privacy.hidden_departments", p.HiddenDepartments, MaxScope); err != nil {
			return Org{}, err
		}
		t, err := s.tree(ctx, a)
		if err != nil {
			return Org{}, err
		}
		for _, id := range p.HiddenDepartments {
			if t.byID[id] == nil {
				return Org{}, tack.Invalid("privacy.hidden_departments", "no such department: %s", id)
			}
		}
		o.Privacy = p
	}
	if in.RequireAdmin2FA != nil && *in.RequireAdmin2FA != o.RequireAdmin2FA {
		if a.me.Role != RoleOwner {
			return Org{}, tack.Errorf(tack.EForbidden, "only the owner may change whether admins need two-step sign-in")
		}
		if *in.RequireAdmin2FA {
			has, err := s.hasSecondFactor(ctx, a.me.UserID)
			if err != nil {
				return Org{}, err
			}
			if !has {
				return Org{}, &tack.Error{Code: tack.EConflict, Field: "require_admin_2fa", Message: "turn on two-step sign-in for yourself first"}
			}
		}
		o.RequireAdmin2FA = *in.RequireAdmin2FA
	}
	if o.Name == a.org.Name && o.Logo == a.org.Logo && o.TimeZone == a.org.TimeZone && samePrivacy(o.Privacy, a.org.Privacy) && o.RequireAdmin2FA == a.org.RequireAdmin2FA {
		return o, nil
	}
	err = s.apply(ctx, Batch{Org: &o, Audit: []Audit{s.audit(a, "org.update", o.ID, orgAudit(a.org), orgAudit(o))}})
	if err != nil {
		return Org{}, fmt.Errorf("update organisation: %w", err)
	}
	return o, nil
}

func samePrivacy(a, b Privacy) bool {
	return slices.Equal(a.HiddenFields, b.HiddenFields) && slices.Equal(a.HiddenDepartments, b.HiddenDepartments) &&
		a.OwnDepartmentOnly == b.OwnDepartmentOnly && a.JoinApproval == b.JoinApproval && a.ForbidExternal == b.ForbidExternal
}

// member returns a member of the actor's organisation by member or user
// ID, or ENotFound if it does not exist or the actor may not see it.
func (s *Service) member(ctx context.Context, a *actor, id tack.ID) (Member, error) {
	if !id.Valid() {
		return Member{}, errNoMember
	}
	m, err := s.store.Member(ctx, a.org.ID, id)
	if errors.Is(err, tack.ErrNotFound) {
		return Member{}, errNoMember
	} else if err != nil {
		return Member{}, fmt.Errorf("member: %w", err)
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return Member{}, err
	}
	v, err := s.visibility(ctx, a)
	if err != nil {
		return Member{}, err
	}
	if !s.memberVisible(a, t, v, &m) {
		return Member{}, errNoMember
	}
	return m, nil
}

// TransferOwnership makes another active member the owner (owner only);
// the old owner becomes an admin.
func (s *Service) TransferOwnership(ctx context.Context, orgID, to tack.ID) (Org, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Org{}, err
	}
	if a.me.Role != RoleOwner {
		return Org{}, tack.Errorf(tack.EForbidden, "only the owner transfers ownership")
	}
	m, err := s.member(ctx, a, to)
	if err != nil {
		return Org{}, err
	}
	if m.ID == a.me.ID {
		return a.org, nil
	}
	if m.Status != Active || m.UserID == "" {
		return Org{}, tack.Invalid("member_id", "the new owner must be an active member")
	}
	now := s.clock.Now()
	o := a.org
	o.OwnerID = m.UserID
	old, neu := a.me, m
	old.Role, old.Scope, old.UpdatedAt = RoleAdmin, nil, now
	neu.Role, neu.Scope, neu.UpdatedAt = RoleOwner, nil, now
	index(&old) // a batch's members replace their search keys
	index(&neu)
	err = s.apply(ctx, Batch{Org: &o, Members: []Member{old, neu},
		Audit: []Audit{s.audit(a, "org.transfer", o.ID, map[string]any{"owner_id": a.org.OwnerID}, map[string]any{"owner_id": o.OwnerID})}})
	if err != nil {
		return Org{}, fmt.Errorf("transfer ownership: %w", err)
	}
	return o, nil
}

// SetRole appoints or removes admins and sub-admins. The owner appoints
// admins; the owner and admins appoint sub-admins over chosen departments.
func (s *Service) SetRole(ctx context.Context, orgID, memberID tack.ID, role string, scope []tack.ID) (Member, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Member{}, err
	}
	if !a.admin() {
		return Member{}, errAdminOnly
	}
	m, err := s.member(ctx, a, memberID)
	if err != nil {
		return Member{}, err
	}
	switch role {
	case RoleAdmin, RoleSubAdmin, RoleMember:
	case RoleOwner:
		return Member{}, tack.Invalid("role", "ownership changes only by transfer")
	default:
		return Member{}, tack.Invalid("role", `role must be "admin", "subadmin" or "member"`)
	}
	if m.Role == RoleOwner {
		return Member{}, tack.Invalid("role", "the owner's role changes only by transfer")
	}
	if (role == RoleAdmin || m.Role == RoleAdmin) && a.me.Role != RoleOwner {
		return Member{}, tack.Errorf(tack.EForbidden, "only the owner appoints and removes admins")
	}
	if m.Status != Active || m.UserID == "" {
		return Member{}, tack.Invalid("member_id", "only active members take a role")
	}
	if scope, err = validIDs("department_ids", scope, MaxScope); err != nil {
		return Member{}, err
	}
	if role == RoleSubAdmin {
		if len(scope) == 0 {
			return Member{}, tack.Invalid("department_ids", "a sub-admin needs at least one department")
		}
		t, err := s.tree(ctx, a)
		if err != nil {
			return Member{}, err
		}
		for _, id := range scope {
			if t.byID[id] == nil {
				return Member{}, tack.Invalid("department_ids", "no such department: %s", id)
			}
		}
	} else if len(scope) > 0 {
		return Member{}, tack.Invalid("department_ids", "only sub-admins have departments to manage")
	}
	before := map[string]any{"role": m.Role, "admin_department_ids": m.Scope}
	m.Role, m.Scope, m.UpdatedAt = role, scope, s.clock.Now()
	if slices.Equal(before["admin_department_ids"].([]tack.ID), scope) && before["role"] == role {
		return m, nil
	}
	index(&m) // a batch's members replace their search keys
	err = s.apply(ctx, Batch{Members: []Member{m},
		Audit: []Audit{s.audit(a, "member.role", m.ID, before, map[string]any{"role": m.Role, "admin_department_ids": m.Scope})}})
	if err != nil {
		return Member{}, fmt.Errorf("set role: %w", err)
	}
	return m, nil
}

// ---- departments ----

// Departments lists the departments the caller may see, top-down.
func (s *Service) Departments(ctx context.Context, orgID tack.ID) ([]Department, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return nil, err
	}
	v, err := s.visibility(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []Department{}
	var walk func(parent tack.ID)
	walk = func(parent tack.ID) {
		for _, d := range t.children[parent] {
			if v.deptVisible(d) {
				out = append(out, *d)
				walk(d.ID)
			}
		}
	}
	walk("")
	return out, nil
}

func (s *Service) dept(ctx context.Context, a *actor, id tack.ID) (*Department, *tree, error) {
	t, err := s.tree(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	d := t.byID[id]
	if d == nil {
		return nil, nil, errNoDept
	}
	v, err := s.visibility(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	if !v.deptVisible(d) {
		return nil, nil, errNoDept
	}
	return d, t, nil
}

// Department returns one department.
func (s *Service) Department(ctx context.Context, orgID, id tack.ID) (Department, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Department{}, err
	}
	d, _, err := s.dept(ctx, a, id)
	if err != nil {
		return Department{}, err
	}
	return *d, nil
}

func validDeptName(name string) (string, error) {
	name, err := validName("name", name)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(name, "/;|") {
		return "", tack.Invalid("name", "a department name may not contain '/', ';' or '|'")
	}
	return name, nil
}

func siblingTaken(t *tree, parent tack.ID, name string, except tack.ID) bool {
	for _, c := range t.children[parent] {
		if c.ID != except && strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// CreateDepartment adds a department under parentID ("" for the top level:
// admins only; sub-admins create within their scope).
func (s *Service) CreateDepartment(ctx context.Context, orgID, parentID tack.ID, name string) (Department, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Department{}, err
	}
	if !a.admin() && a.me.Role != RoleSubAdmin {
		return Department{}, errDenied
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return Department{}, err
	}
	parentPath := "/"
	if parentID != "" {
		p, _, err := s.dept(ctx, a, parentID)
		if err != nil {
			return Department{}, err
		}
		parentPath = p.Path
	}
	if !a.managesDept(t, strings.TrimSuffix(parentPath, "/")+"/") || (parentID == "" && !a.admin()) {
		return Department{}, errDenied
	}
	if name, err = validDeptName(name); err != nil {
		return Department{}, err
	}
	if strings.Count(parentPath, "/") > MaxDepth {
		return Department{}, tack.Invalid("parent_id", "departments nest at most %d deep", MaxDepth)
	}
	if len(t.byID) >= MaxDepartments {
		return Department{}, tack.Errorf(tack.ETooLarge, "an organisation has at most %d departments", MaxDepartments)
	}
	if siblingTaken(t, parentID, name, "") {
		return Department{}, tack.Errorf(tack.EConflict, "a department of that name is already there")
	}
	d := Department{ID: tack.NewID(), OrgID: orgID, ParentID: parentID, Name: name, CreatedAt: s.clock.Now()}
	d.Path = parentPath + string(d.ID) + "/"
	indexDept(&d)
	err = s.apply(ctx, Batch{Departments: []Department{d},
		Audit: []Audit{s.audit(a, "department.create", d.ID, nil, deptAudit(d))}})
	if err != nil {
		return Department{}, fmt.Errorf("create department: %w", err)
	}
	return d, nil
}

func deptAudit(d Department) map[string]any {
	return map[string]any{"name": d.Name, "parent_id": d.ParentID, "head_ids": d.HeadIDs}
}

// DepartmentChange is a rename, a move and/or new heads; nil fields stay.
type DepartmentChange struct {
	Name     *string
	ParentID *tack.ID // "" moves to the top level
	HeadIDs  *[]tack.ID
}

// UpdateDepartment renames or moves a department or sets its heads.
// Moving it moves its whole subtree; organisation groups follow.
func (s *Service) UpdateDepartment(ctx context.Context, orgID, id tack.ID, ch DepartmentChange) (Department, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Department{}, err
	}
	d, t, err := s.dept(ctx, a, id)
	if err != nil {
		return Department{}, err
	}
	if !a.managesDept(t, d.Path) {
		return Department{}, errDenied
	}
	before := *d
	after := *d
	var b Batch
	if ch.Name != nil {
		if after.Name, err = validDeptName(*ch.Name); err != nil {
			return Department{}, err
		}
	}
	if ch.HeadIDs != nil {
		heads, err := validIDs("head_ids", *ch.HeadIDs, MaxHeads)
		if err != nil {
			return Department{}, err
		}
		if len(heads) > 0 {
			ms, err := s.store.MembersByID(ctx, orgID, heads)
			if err != nil {
				return Department{}, err
			}
			if len(ms) != len(heads) {
				return Department{}, tack.Invalid("head_ids", "heads must be members of the organisation")
			}
			for _, m := range ms {
				if m.Status == Left {
					return Department{}, tack.Invalid("head_ids", "heads must be members of the organisation")
				}
			}
		}
		after.HeadIDs = heads
	}
	moved := false
	if ch.ParentID != nil && *ch.ParentID != d.ParentID {
		np := *ch.ParentID
		newParentPath := "/"
		if np != "" {
			p, _, err := s.dept(ctx, a, np)
			if err != nil {
				return Department{}, err
			}
			if strings.HasPrefix(p.Path, d.Path) {
				return Department{}, tack.Invalid("parent_id", "a department cannot move under itself")
			}
			newParentPath = p.Path
		}
		if !a.managesDept(t, newParentPath) || (np == "" && !a.admin()) {
			return Department{}, errDenied
		}
		depth := 0
		for _, sd := range t.subtree(d.ID) {
			depth = max(depth, strings.Count(sd.Path, "/")-strings.Count(d.Path, "/"))
		}
		if strings.Count(newParentPath, "/")+depth > MaxDepth {
			return Department{}, tack.Invalid("parent_id", "departments nest at most %d deep", MaxDepth)
		}
		after.ParentID = np
		after.Path = newParentPath + string(d.ID) + "/"
		moved = true
		for _, sd := range t.subtree(d.ID) {
			if sd.ID == d.ID {
				continue
			}
			c := *sd
			c.Path = after.Path + strings.TrimPrefix(sd.Path, d.Path)
			indexDept(&c)
			b.Departments = append(b.Departments, c)
		}
	}
	if after.Name != before.Name || moved {
		if siblingTaken(t, after.ParentID, after.Name, d.ID) {
			return Department{}, tack.Errorf(tack.EConflict, "a department of that name is already there")
		}
	}
	if after.Name == before.Name && !moved && slices.Equal(after.HeadIDs, before.HeadIDs) {
		return after, nil
	}
	indexDept(&after)
	b.Departments = append([]Department{after}, b.Departments...)
	b.Audit = []Audit{s.audit(a, "department.update", d.ID, deptAudit(before), deptAudit(after))}
	if err := s.apply(ctx, b); err != nil {
		return Department{}, fmt.Errorf("update department: %w", err)
	}
	if moved {
		// Groups of the departments above the old and the new place, and of
		// the subtree, change membership: bring them back in step.
		s.reconcileGroups(ctx, a, nil)
	}
	return after, nil
}

// DeleteDepartment removes an empty department: no sub-departments and no
// members who have not left.
func (s *Service) DeleteDepartment(ctx context.Context, orgID, id tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	d, t, err := s.dept(ctx, a, id)
	if err != nil {
		return err
	}
	if !a.managesDept(t, d.Path) || (d.ParentID == "" && !a.admin()) {
		return errDenied
	}
	children, members, err := s.store.DepartmentUse(ctx, id)
	if err != nil {
		return fmt.Errorf("delete department: %w", err)
	}
	if children > 0 || members > 0 {
		return tack.Errorf(tack.EConflict, "only an empty department can be deleted: move its members and sub-departments first")
	}
	b := Batch{DeleteDepartments: []tack.ID{id}, Audit: []Audit{s.audit(a, "department.delete", id, deptAudit(*d), nil)}}
	gs, err := s.store.Groups(ctx, orgID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.DepartmentID == id {
			b.DeleteGroups = append(b.DeleteGroups, g.ConversationID)
		}
	}
	o := a.org
	if slices.Contains(o.Privacy.HiddenDepartments, id) {
		o.Privacy.HiddenDepartments = slices.DeleteFunc(slices.Clone(o.Privacy.HiddenDepartments), func(x tack.ID) bool { return x == id })
		b.Org = &o
	}
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("delete department: %w", err)
	}
	return nil
}

// ---- members ----

// Query is a directory search.
type Query struct {
	Text       string
	Department tack.ID // only direct members of this department
	Under      tack.ID // only members of this department and those below
	Status     string  // admins: any status; others see active members only
	Cursor     string
	Limit      int
}

// Page is a page of members; Next is the cursor of the next page, or "".
type Page struct {
	Members []Member
	Next    string
}

func encodeCursor(key string, id tack.ID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key + "\x00" + string(id)))
}

func decodeCursor(c string) (string, tack.ID, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(c) > 600 {
		return "", "", tack.Invalid("cursor", "cursor is not one this server gave")
	}
	k, id, ok := strings.Cut(string(b), "\x00")
	if !ok || !tack.ID(id).Valid() {
		return "", "", tack.Invalid("cursor", "cursor is not one this server gave")
	}
	return k, tack.ID(id), nil
}

// Search pages through the directory: members the caller may see whose
// name (as written, in full pinyin, or by initials), email, phone,
// employee number or department starts with each word of q.
func (s *Service) Search(ctx context.Context, orgID tack.ID, q Query) (Page, error) {
	if utf8.RuneCountInString(q.Text) > 100 {
		return Page{}, tack.Invalid("q", "q is longer than 100 characters")
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit < 1 || q.Limit > MaxPageSize {
		return Page{}, tack.Invalid("limit", "limit must be between 1 and %d", MaxPageSize)
	}
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Page{}, err
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return Page{}, err
	}
	v, err := s.visibility(ctx, a)
	if err != nil {
		return Page{}, err
	}
	mq := MemberQuery{OrgID: orgID, Terms: queryTerms(q.Text), Fields: a.searchFields(), Limit: q.Limit + 1}
	switch {
	case q.Status == "" && v.all:
		mq.Statuses = []string{Active, Invited, Suspended}
	case q.Status == "" || q.Status == Active:
		mq.Statuses = []string{Active}
	case slices.Contains([]string{Invited, Pending, Suspended, Left}, q.Status):
		if !v.all && len(v.scope) == 0 {
			return Page{}, errAdminOnly
		}
		mq.Statuses = []string{q.Status}
	case q.Status == "all":
		if !v.all {
			return Page{}, errAdminOnly
		}
	default:
		return Page{}, tack.Invalid("status", "status must be active, invited, pending, suspended, left or all")
	}
	if q.Department != "" {
		if _, _, err := s.dept(ctx, a, q.Department); err != nil {
			return Page{}, err
		}
		mq.Department = q.Department
	}
	if q.Under != "" {
		d, _, err := s.dept(ctx, a, q.Under)
		if err != nil {
			return Page{}, err
		}
		mq.Under = []string{d.Path}
	}
	if !v.all {
		if !slices.Equal(mq.Statuses, []string{Active}) {
			// Sub-admins see other statuses within their scope only.
			mq.Under = intersectPaths(mq.Under, v.scope)
		} else if v.under != nil {
			mq.Under = intersectPaths(mq.Under, append(slices.Clone(v.under), v.scope...))
			mq.Self = a.me.ID
		}
		mq.Exclude = v.exclude
		if mq.Under != nil && len(mq.Under) == 0 {
			mq.Under = []string{"/nothing/"}
		}
	}
	if q.Cursor != "" {
		if mq.AfterKey, mq.AfterID, err = decodeCursor(q.Cursor); err != nil {
			return Page{}, err
		}
	}
	ms, err := s.store.SearchMembers(ctx, mq)
	if err != nil {
		return Page{}, fmt.Errorf("search members: %w", err)
	}
	p := Page{Members: make([]Member, 0, min(len(ms), q.Limit))}
	for i, m := range ms {
		if i == q.Limit {
			last := ms[i-1]
			p.Next = encodeCursor(last.SortKey, last.ID)
			break
		}
		if !s.memberVisible(a, t, v, &m) {
			continue // a member in a visible and a hidden department
		}
		p.Members = append(p.Members, s.present(a, t, v, m))
	}
	return p, nil
}

// intersectPaths narrows filter (nil: everything) to the subtrees allowed.
func intersectPaths(filter, allowed []string) []string {
	if filter == nil {
		return slices.Clone(allowed)
	}
	out := []string{}
	for _, f := range filter {
		for _, al := range allowed {
			switch {
			case strings.HasPrefix(f, al):
				out = append(out, f)
			case strings.HasPrefix(al, f):
				out = append(out, al)
			}
		}
	}
	return out
}

// Member returns a member's profile as the caller may see it.
func (s *Service) Member(ctx context.Context, orgID, id tack.ID) (Member, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Member{}, err
	}
	m, err := s.member(ctx, a, id)
	if err != nil {
		return Member{}, err
	}
	return s.present(a, a.t, a.vis, m), nil
}

// Profile is a profile change; nil fields stay.
type Profile struct {
	Name        *string
	Title       *string
	EmployeeNo  *string
	WorkEmail   *string
	Phone       *string
	HireDate    *string
	Departments *[]tack.ID
	ManagerID   *tack.ID
}

// validate checks p and applies it to m.
func (p Profile) apply(m *Member) error {
	var err error
	if p.Name != nil {
		if m.Name, err = validName("name", *p.Name); err != nil {
			return err
		}
	}
	if p.Title != nil {
		if m.Title, err = validText("title", *p.Title, MaxTitleRunes); err != nil {
			return err
		}
	}
	if p.EmployeeNo != nil {
		if m.EmployeeNo, err = validEmployeeNo("employee_no", *p.EmployeeNo); err != nil {
			return err
		}
	}
	if p.WorkEmail != nil {
		if m.WorkEmail, err = validEmail("work_email", *p.WorkEmail); err != nil {
			return err
		}
	}
	if p.Phone != nil {
		if m.Phone, err = validPhone("phone", *p.Phone); err != nil {
			return err
		}
	}
	if p.HireDate != nil {
		if m.HireDate, err = validDate("hire_date", *p.HireDate); err != nil {
			return err
		}
	}
	if p.Departments != nil {
		if m.Departments, err = validIDs("department_ids", *p.Departments, MaxMemberDepts); err != nil {
			return err
		}
	}
	if p.ManagerID != nil {
		if *p.ManagerID != "" && !p.ManagerID.Valid() {
			return tack.Invalid("manager_id", "manager_id is not an ID")
		}
		m.ManagerID = *p.ManagerID
	}
	return nil
}

func profileAudit(m Member) map[string]any {
	return map[string]any{"name": m.Name, "title": m.Title, "employee_no": m.EmployeeNo, "work_email": m.WorkEmail,
		"phone": m.Phone, "hire_date": m.HireDate, "department_ids": m.Departments, "manager_id": m.ManagerID}
}

// checkManager checks that manager is a member of the organisation, not m
// itself, and that m is not above it in the chain.
func (s *Service) checkManager(ctx context.Context, orgID tack.ID, m *Member, pending map[tack.ID]tack.ID) error {
	if m.ManagerID == "" {
		return nil
	}
	if m.ManagerID == m.ID {
		return tack.Invalid("manager_id", "a member cannot be their own manager")
	}
	cur := m.ManagerID
	for i := 0; i < 100 && cur != ""; i++ {
		if cur == m.ID {
			return tack.Invalid("manager_id", "that would make a circle of managers")
		}
		if next, ok := pending[cur]; ok {
			cur = next
			continue
		}
		mm, err := s.store.Member(ctx, orgID, cur)
		if errors.Is(err, tack.ErrNotFound) || (err == nil && (mm.ID != cur || mm.Status == Left)) {
			if i == 0 {
				return tack.Invalid("manager_id", "the manager must be a member of the organisation")
			}
			return nil
		} else if err != nil {
			return err
		}
		cur = mm.ManagerID
	}
	return nil
}

// UpdateMember changes a member's profile (admins; sub-admins for members
// of their departments, moving them only within their scope).
func (s *Service) UpdateMember(ctx context.Context, orgID, id tack.ID, p Profile) (Member, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Member{}, err
	}
	m, err := s.member(ctx, a, id)
	if err != nil {
		return Member{}, err
	}
	t := a.t
	if !a.managesMember(t, &m) {
		return Member{}, errDenied
	}
	before := m
	if err := p.apply(&m); err != nil {
		return Member{}, err
	}
	for _, d := range m.Departments {
		if t.byID[d] == nil {
			return Member{}, tack.Invalid("department_ids", "no such department: %s", d)
		}
	}
	if !a.admin() && !a.managesMember(t, &m) {
		return Member{}, tack.Invalid("department_ids", "you may move members only within your departments")
	}
	if err := s.checkManager(ctx, orgID, &m, nil); err != nil {
		return Member{}, err
	}
	if err := s.checkUnique(ctx, orgID, &m); err != nil {
		return Member{}, err
	}
	if sameProfile(before, m) {
		return s.present(a, t, a.vis, m), nil
	}
	m.UpdatedAt = s.clock.Now()
	index(&m)
	b := Batch{Members: []Member{m}, Audit: []Audit{s.audit(a, "member.update", m.ID, profileAudit(before), profileAudit(m))}}
	if err := s.syncMembers(ctx, a, t, &b, []Member{m}); err != nil {
		return Member{}, err
	}
	if err := s.apply(ctx, b); err != nil {
		return Member{}, fmt.Errorf("update member: %w", err)
	}
	return s.present(a, t, a.vis, m), nil
}

func sameProfile(a, b Member) bool {
	return a.Name == b.Name && a.Title == b.Title && a.EmployeeNo == b.EmployeeNo && a.WorkEmail == b.WorkEmail &&
		a.Phone == b.Phone && a.HireDate == b.HireDate && slices.Equal(a.Departments, b.Departments) && a.ManagerID == b.ManagerID
}

// checkUnique refuses an employee number or work email another member has.
func (s *Service) checkUnique(ctx context.Context, orgID tack.ID, m *Member) error {
	var nos, emails []string
	if m.EmployeeNo != "" {
		nos = []string{m.EmployeeNo}
	}
	if m.WorkEmail != "" {
		emails = []string{m.WorkEmail}
	}
	if nos == nil && emails == nil {
		return nil
	}
	others, err := s.store.MembersMatching(ctx, orgID, nos, emails)
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID == m.ID {
			continue
		}
		if m.EmployeeNo != "" && strings.EqualFold(o.EmployeeNo, m.EmployeeNo) {
			return &tack.Error{Code: tack.EConflict, Field: "employee_no", Message: "another member has that employee number"}
		}
		return &tack.Error{Code: tack.EConflict, Field: "work_email", Message: "another member has that work email"}
	}
	return nil
}

// SetStatus suspends, reactivates or removes a member ("left"). A member
// who leaves loses all access at once and is removed from every
// organisation group in the same transaction; their messages stay.
func (s *Service) SetStatus(ctx context.Context, orgID, id tack.ID, status string) (Member, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Member{}, err
	}
	m, err := s.member(ctx, a, id)
	if err != nil {
		return Member{}, err
	}
	if m.ID == a.me.ID {
		return Member{}, tack.Invalid("member_id", "to leave, use leave; you cannot suspend yourself")
	}
	if !a.managesMember(a.t, &m) {
		return Member{}, errDenied
	}
	switch {
	case status == m.Status:
		return s.present(a, a.t, a.vis, m), nil
	case status == Suspended && m.Status == Active,
		status == Active && m.Status == Suspended,
		status == Left && (m.Status == Active || m.Status == Suspended || m.Status == Invited):
	case status == Active && m.Status == Pending:
		return s.Approve(ctx, orgID, id)
	default:
		return Member{}, tack.Invalid("status", "a member who is %s cannot become %s", m.Status, status)
	}
	return s.changeStatus(ctx, a, m, status, "member.status")
}

func (s *Service) changeStatus(ctx context.Context, a *actor, m Member, status, action string) (Member, error) {
	t, err := s.tree(ctx, a)
	if err != nil {
		return Member{}, err
	}
	before := map[string]any{"status": m.Status, "role": m.Role}
	now := s.clock.Now()
	m.Status, m.UpdatedAt = status, now
	if status == Left {
		m.Role, m.Scope = RoleMember, nil
	}
	if status == Active && m.JoinedAt == nil {
		m.JoinedAt = &now
	}
	index(&m)
	b := Batch{Members: []Member{m}, Audit: []Audit{s.audit(a, action, m.ID, before, map[string]any{"status": m.Status, "role": m.Role})}}
	if err := s.syncMembers(ctx, a, t, &b, []Member{m}); err != nil {
		return Member{}, err
	}
	if err := s.apply(ctx, b); err != nil {
		return Member{}, fmt.Errorf("member status: %w", err)
	}
	v, err := s.visibility(ctx, a)
	if err != nil {
		return Member{}, err
	}
	return s.present(a, t, v, m), nil
}

// Leave takes the caller out of an organisation. The owner transfers
// ownership first.
func (s *Service) Leave(ctx context.Context, orgID tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if a.me.Role == RoleOwner {
		return tack.Errorf(tack.EConflict, "the owner transfers ownership before leaving")
	}
	_, err = s.changeStatus(ctx, a, a.me, Left, "member.leave")
	return err
}

// AuditLog pages through the audit log, newest first (owner and admins).
func (s *Service) AuditLog(ctx context.Context, orgID tack.ID, before tack.ID, limit int) ([]Audit, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !a.admin() {
		return nil, errAdminOnly
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return nil, tack.Invalid("limit", "limit must be between 1 and %d", MaxPageSize)
	}
	if before != "" && !before.Valid() {
		return nil, tack.Invalid("before", "before must be an audit entry ID")
	}
	list, err := s.store.AuditLog(ctx, orgID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if err := s.auditParams(ctx, a, list); err != nil {
		return nil, err
	}
	return list, nil
}

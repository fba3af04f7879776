package org

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// InvitationInput asks for an invitation. With Email or Phone it invites one
// person: an invited member is made at once (shown to admins, matched when
// that person accepts) and the code works once. Without, it is a link or
// code for anyone who has it, used up to MaxUses times.
type InvitationInput struct {
	Email       string
	Phone       string
	Name        string // the invited person's name (targeted invitations)
	Departments []tack.ID
	MaxUses     int // default 1 for targeted invitations, 100 otherwise
	ExpiresIn   time.Duration
}

var codeAlphabet = "23456789abcdefghjkmnpqrstuvwxyz" // no 0/1/i/l/o: read aloud, typed by hand

// newCode returns a 12-character code: about 59 bits of randomness.
func newCode() string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b)
}

// validCode reports whether c looks like a code this server makes.
func validCode(c string) bool {
	if len(c) != 12 {
		return false
	}
	for i := 0; i < len(c); i++ {
		if !strings.ContainsRune(codeAlphabet, rune(c[i])) {
			return false
		}
	}
	return true
}

// checkDepts checks that ids are departments the actor may put people in.
func (s *Service) checkDepts(ctx context.Context, a *actor, field string, ids []tack.ID, max int) ([]tack.ID, error) {
	ids, err := validIDs(field, ids, max)
	if err != nil {
		return nil, err
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		d := t.byID[id]
		if d == nil {
			return nil, tack.Invalid(field, "no such department: %s", id)
		}
		if !a.managesDept(t, d.Path) {
			return nil, errDenied
		}
	}
	if !a.admin() && len(ids) == 0 {
		return nil, tack.Invalid(field, "name the departments the invitation is for")
	}
	return ids, nil
}

// Invite makes an invitation (admins; sub-admins into their departments).
func (s *Service) Invite(ctx context.Context, orgID tack.ID, in InvitationInput) (Invitation, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Invitation{}, err
	}
	if !a.admin() && a.me.Role != RoleSubAdmin {
		return Invitation{}, errDenied
	}
	depts, err := s.checkDepts(ctx, a, "department_ids", in.Departments, MaxMemberDepts)
	if err != nil {
		return Invitation{}, err
	}
	if in.ExpiresIn == 0 {
		in.ExpiresIn = DefaultInvHours * time.Hour
	}
	if in.ExpiresIn < time.Minute || in.ExpiresIn > MaxInviteHours*time.Hour {
		return Invitation{}, tack.Invalid("expires_in_hours", "an invitation lasts from a minute to a year")
	}
	email, err := validEmail("email", in.Email)
	if err != nil {
		return Invitation{}, err
	}
	phone, err := validPhone("phone", in.Phone)
	if err != nil {
		return Invitation{}, err
	}
	if email != "" && phone != "" {
		return Invitation{}, tack.Invalid("phone", "invite by email or by phone, not both")
	}
	targeted := email != "" || phone != ""
	switch {
	case in.MaxUses == 0 && targeted:
		in.MaxUses = 1
	case in.MaxUses == 0:
		in.MaxUses = 100
	case targeted && in.MaxUses != 1:
		return Invitation{}, tack.Invalid("max_uses", "an invitation for one person is used once")
	case in.MaxUses < 1 || in.MaxUses > MaxInviteUses:
		return Invitation{}, tack.Invalid("max_uses", "max_uses must be between 1 and %d", MaxInviteUses)
	}
	now := s.clock.Now()
	inv := Invitation{Code: newCode(), OrgID: orgID, CreatedBy: a.me.UserID, Departments: depts, MaxUses: in.MaxUses,
		ExpiresAt: now.Add(in.ExpiresIn), CreatedAt: now}
	b := Batch{}
	if targeted {
		name := in.Name
		if strings.TrimSpace(name) == "" {
			name, _, _ = strings.Cut(email+phone, "@")
		}
		if name, err = validName("name", name); err != nil {
			return Invitation{}, err
		}
		m := Member{ID: tack.NewID(), OrgID: orgID, Name: name, WorkEmail: email, Phone: phone, Departments: depts,
			Status: Invited, Role: RoleMember, CreatedAt: now, UpdatedAt: now}
		if err := s.checkUnique(ctx, orgID, &m); err != nil {
			return Invitation{}, err
		}
		index(&m)
		inv.MemberID, inv.Target = m.ID, email+phone
		b.Members = []Member{m}
	}
	b.Invitations = []Invitation{inv}
	b.Audit = []Audit{s.audit(a, "invitation.create", inv.MemberID, nil, invitationAudit(inv))}
	if err := s.apply(ctx, b); err != nil {
		return Invitation{}, fmt.Errorf("invite: %w", err)
	}
	return inv, nil
}

func invitationAudit(inv Invitation) map[string]any {
	return map[string]any{"code": inv.Code[:4] + "…", "target": inv.Target, "member_id": inv.MemberID,
		"department_ids": inv.Departments, "max_uses": inv.MaxUses, "expires_at": inv.ExpiresAt}
}

// Invitations lists an organisation's invitations (admins: all; sub-admins:
// those into their departments).
func (s *Service) Invitations(ctx context.Context, orgID tack.ID) ([]Invitation, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !a.admin() && a.me.Role != RoleSubAdmin {
		return nil, errDenied
	}
	list, err := s.store.Invitations(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("invitations: %w", err)
	}
	if a.admin() {
		return list, nil
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []Invitation{}
	for _, inv := range list {
		ok := len(inv.Departments) > 0
		for _, p := range t.paths(inv.Departments) {
			ok = ok && a.managesDept(t, p)
		}
		if ok {
			out = append(out, inv)
		}
	}
	return out, nil
}

// RevokeInvitation stops a code from working. An invited member made with
// it leaves the organisation's list of invited people.
func (s *Service) RevokeInvitation(ctx context.Context, orgID tack.ID, code string) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if !a.admin() && a.me.Role != RoleSubAdmin {
		return errDenied
	}
	if !validCode(code) {
		return tack.Errorf(tack.ENotFound, "no such invitation")
	}
	inv, err := s.store.Invitation(ctx, code)
	if errors.Is(err, tack.ErrNotFound) || (err == nil && inv.OrgID != orgID) {
		return tack.Errorf(tack.ENotFound, "no such invitation")
	} else if err != nil {
		return err
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return err
	}
	if !a.admin() {
		if len(inv.Departments) == 0 {
			return errDenied
		}
		for _, p := range t.paths(inv.Departments) {
			if !a.managesDept(t, p) {
				return errDenied
			}
		}
	}
	if inv.Revoked {
		return nil
	}
	inv.Revoked = true
	b := Batch{Invitations: []Invitation{inv}, Audit: []Audit{s.audit(a, "invitation.revoke", inv.MemberID, invitationAudit(inv), nil)}}
	if inv.MemberID != "" {
		if m, err := s.store.Member(ctx, orgID, inv.MemberID); err == nil && m.Status == Invited {
			m.Status, m.UpdatedAt = Left, s.clock.Now()
			index(&m)
			b.Members = []Member{m}
		}
	}
	return s.apply(ctx, b)
}

// InvitationPreview is what someone holding a code learns before
// accepting: the organisation's name and logo, and whether an admin must
// approve.
type InvitationPreview struct {
	Code      string    `json:"code"`
	OrgID     tack.ID   `json:"org_id"`
	OrgName   string    `json:"org_name"`
	OrgLogo   string    `json:"org_logo"`
	ExpiresAt time.Time `json:"expires_at"`
	Approval  bool      `json:"requires_approval"`
	// VerifyFirst: the invitation is for one person, and the caller must
	// verify their login before accepting it.
	VerifyFirst bool `json:"verify_first,omitempty"`
}

var errNoInvitation = tack.Errorf(tack.ENotFound, "no such invitation, or it was withdrawn")

// usable returns the invitation of code if it can still be used. Wrong
// codes are limited per user: each try takes a token before the code is
// looked up, given back unless the code was wrong, so that concurrent
// guesses cannot all be tried.
func (s *Service) usable(ctx context.Context, code string) (Invitation, Org, error) {
	uid, err := caller(ctx)
	if err != nil {
		return Invitation{}, Org{}, err
	}
	code = strings.ToLower(strings.TrimSpace(code))
	now := time.Now()
	ok, wait := s.accept.Take(string(uid), now)
	if !ok {
		return Invitation{}, Org{}, tack.RateLimited(wait, "too many wrong codes; try again later")
	}
	guessed := false
	defer func() {
		if !guessed {
			s.accept.Give(string(uid), now)
		}
	}()
	fail := func(e error) (Invitation, Org, error) {
		guessed = true
		return Invitation{}, Org{}, e
	}
	if !validCode(code) {
		return fail(errNoInvitation)
	}
	inv, err := s.store.Invitation(ctx, code)
	if errors.Is(err, tack.ErrNotFound) {
		return fail(errNoInvitation)
	} else if err != nil {
		return Invitation{}, Org{}, fmt.Errorf("invitation: %w", err)
	}
	if inv.Revoked {
		return fail(errNoInvitation)
	}
	if !s.clock.Now().Before(inv.ExpiresAt) {
		return Invitation{}, Org{}, tack.Errorf(tack.EExpired, "this invitation has expired; ask for a new one")
	}
	if inv.Uses >= inv.MaxUses {
		return Invitation{}, Org{}, tack.Errorf(tack.EExpired, "this invitation has been used up; ask for a new one")
	}
	o, err := s.store.Org(ctx, inv.OrgID)
	if err != nil {
		return Invitation{}, Org{}, fmt.Errorf("organisation: %w", err)
	}
	return inv, o, nil
}

var errVerifyFirst = tack.Errorf(tack.EForbidden,
	"this invitation is for one person: verify your email address or phone number first")

// addressedClaim says how the caller u may take up inv, an invitation
// addressed to one email address or phone number (inv.MemberID set), so
// that nobody becomes that person by registering their login first:
//
//   - u has verified their login and it is the invitation's target: u
//     joins at once;
//   - u has not verified a login this server could verify (it sends email,
//     or text messages, for u's kind of login): refused until u verifies;
//   - otherwise u holds the code (from the admin, or the server cannot
//     verify logins like u's): u asks to join, and an admin approves
//     through the join requests.
func (s *Service) addressedClaim(u account.User, inv Invitation) (approval bool, err error) {
	if u.Verified() && slices.Contains(account.LoginSpellings(u.Login), inv.Target) {
		return false, nil
	}
	if !u.Verified() && s.verifier != nil && s.verifier.CanVerify(u.Login) {
		return false, errVerifyFirst
	}
	return true, nil
}

// approval says whether accepting inv makes a join request rather than a
// member; err refuses the caller outright.
func (s *Service) approval(ctx context.Context, inv Invitation, o Org) (bool, error) {
	if inv.MemberID == "" {
		if o.Privacy.JoinApproval {
			return true, nil
		}
		// A former member asks to come back: the admins decide.
		m, err := s.store.Member(ctx, o.ID, tack.UserID(ctx))
		if err != nil && !errors.Is(err, tack.ErrNotFound) {
			return false, fmt.Errorf("invitation: %w", err)
		}
		return err == nil && m.UserID == tack.UserID(ctx) && m.Status == Left, nil
	}
	u, err := s.users.User(ctx, tack.UserID(ctx))
	if err != nil {
		return false, fmt.Errorf("invitation: %w", err)
	}
	return s.addressedClaim(u, inv)
}

// Preview describes an invitation to someone holding its code.
func (s *Service) Preview(ctx context.Context, code string) (InvitationPreview, error) {
	inv, o, err := s.usable(ctx, code)
	if err != nil {
		return InvitationPreview{}, err
	}
	p := InvitationPreview{Code: inv.Code, OrgID: o.ID, OrgName: o.Name, OrgLogo: o.Logo, ExpiresAt: inv.ExpiresAt}
	p.Approval, err = s.approval(ctx, inv, o)
	if errors.Is(err, errVerifyFirst) {
		p.VerifyFirst, err = true, nil
	}
	return p, err
}

// Accept joins the caller to the invitation's organisation: at once, or as
// a join request when the organisation wants approval or the caller is a
// former member (see approval). An invitation for
// one person (by email or phone) needs no approval when the caller has
// verified that login; otherwise see addressedClaim. Accepting again
// changes nothing.
func (s *Service) Accept(ctx context.Context, code string) (Org, Member, error) {
	inv, o, err := s.usable(ctx, code)
	if err != nil {
		return Org{}, Member{}, err
	}
	approval, err := s.approval(ctx, inv, o)
	if err != nil {
		return Org{}, Member{}, err
	}
	uid := tack.UserID(ctx)
	u, err := s.users.User(ctx, uid)
	if err != nil {
		return Org{}, Member{}, fmt.Errorf("accept: %w", err)
	}
	now := s.clock.Now()
	existing, err := s.store.Member(ctx, o.ID, uid)
	if err != nil && !errors.Is(err, tack.ErrNotFound) {
		return Org{}, Member{}, err
	}
	have := err == nil && existing.UserID == uid
	if have {
		switch existing.Status {
		case Active, Pending:
			return o, existing, nil
		case Suspended:
			return Org{}, Member{}, tack.Errorf(tack.EForbidden, "your membership of this organisation is suspended")
		}
	}
	var m Member
	switch {
	case inv.MemberID != "":
		m, err = s.store.Member(ctx, o.ID, inv.MemberID)
		if err != nil || m.ID != inv.MemberID || m.Status != Invited || m.UserID != "" {
			return Org{}, Member{}, errNoInvitation
		}
		if have {
			// The person had been a member before: the old row keeps its
			// history; the invited row takes over.
			existing.UserID = ""
		}
		m.UserID, m.Status, m.JoinedAt, m.UpdatedAt = uid, Active, &now, now
	case have:
		m = existing
		m.Status, m.Departments, m.UpdatedAt = Active, inv.Departments, now
		m.Role, m.Scope = RoleMember, nil
		m.JoinedAt = &now
	default:
		m = Member{ID: tack.NewID(), OrgID: o.ID, UserID: uid, Name: u.Name, Departments: inv.Departments,
			Status: Active, Role: RoleMember, CreatedAt: now, UpdatedAt: now, JoinedAt: &now}
	}
	// A general link needs an admin's approval when the organisation says
	// so, and always for a former member: someone who left (or was
	// removed) does not come back on a link they kept (as DingTalk treats a
	// departed employee); an invitation made for them lets them in at once.
	if approval {
		m.Status, m.JoinedAt = Pending, nil
		if have && existing.Status == Left {
			m.JoinedAt = existing.JoinedAt // a former member: declining sets them back to left
		}
	}
	a := &actor{org: o, me: m}
	t, err := s.tree(ctx, a)
	if err != nil {
		return Org{}, Member{}, err
	}
	// Departments deleted since the invitation was made are dropped.
	m.Departments = slices.DeleteFunc(slices.Clone(m.Departments), func(id tack.ID) bool { return t.byID[id] == nil })
	index(&m)
	a.me = m
	b := Batch{Claims: []Claim{{Code: inv.Code}}}
	if have && existing.ID != m.ID {
		index(&existing)
		b.Members = append(b.Members, existing)
	}
	b.Members = append(b.Members, m)
	action := "member.join"
	if m.Status == Pending {
		action = "member.request"
	}
	b.Audit = []Audit{s.audit(a, action, m.ID, nil, map[string]any{"status": m.Status, "invitation": inv.Code[:4] + "…"})}
	if m.Status == Active {
		if err := s.syncMembers(ctx, a, t, &b, []Member{m}); err != nil {
			return Org{}, Member{}, err
		}
	}
	if err := s.apply(ctx, b); err != nil {
		if tack.ErrorCode(err) == tack.EConflict {
			return Org{}, Member{}, tack.Errorf(tack.EExpired, "this invitation has been used up; ask for a new one")
		}
		return Org{}, Member{}, fmt.Errorf("accept: %w", err)
	}
	if m.Status != Active || (m.Role != RoleOwner && m.Role != RoleAdmin) {
		o.Privacy = Privacy{}
	}
	return o, m, nil
}

// PendingInvitation is an invitation addressed to the caller's email or
// phone.
type PendingInvitation struct {
	Code      string    `json:"code"`
	OrgID     tack.ID   `json:"org_id"`
	OrgName   string    `json:"org_name"`
	ExpiresAt time.Time `json:"expires_at"`
}

// MyInvitations lists usable invitations addressed to the caller's login,
// once the caller has verified it: anyone may register any login, only its
// owner can verify it.
func (s *Service) MyInvitations(ctx context.Context) ([]PendingInvitation, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.users.User(ctx, uid)
	if err != nil {
		return nil, err
	}
	if !u.Verified() {
		return []PendingInvitation{}, nil
	}
	list, err := s.store.InvitationsFor(ctx, account.LoginSpellings(u.Login))
	if err != nil {
		return nil, fmt.Errorf("invitations: %w", err)
	}
	now := s.clock.Now()
	out := []PendingInvitation{}
	for _, inv := range list {
		if inv.Revoked || inv.Uses >= inv.MaxUses || !now.Before(inv.ExpiresAt) {
			continue
		}
		o, err := s.store.Org(ctx, inv.OrgID)
		if err != nil {
			continue
		}
		out = append(out, PendingInvitation{Code: inv.Code, OrgID: o.ID, OrgName: o.Name, ExpiresAt: inv.ExpiresAt})
	}
	return out, nil
}

// Approve lets a pending join request in (admins; sub-admins for requests
// into their departments).
func (s *Service) Approve(ctx context.Context, orgID, id tack.ID) (Member, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Member{}, err
	}
	m, err := s.pendingRequest(ctx, a, id)
	if err != nil {
		return Member{}, err
	}
	return s.changeStatus(ctx, a, m, Active, "member.approve")
}

// Decline refuses a pending join request; its row is deleted. A request
// made with an invitation for one person gives that person's place back:
// the member is invited again, under a new code (the old one is
// withdrawn), so that the real person can still join.
// A former member asking to come back on a general link is set back to
// left instead.
func (s *Service) Decline(ctx context.Context, orgID, id tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	m, err := s.pendingRequest(ctx, a, id)
	if err != nil {
		return err
	}
	invs, err := s.store.Invitations(ctx, orgID)
	if err != nil {
		return fmt.Errorf("decline: %w", err)
	}
	for _, inv := range invs {
		if inv.MemberID != m.ID || inv.Revoked {
			continue
		}
		now := s.clock.Now()
		before := map[string]any{"status": m.Status, "name": m.Name}
		m.Status, m.UserID, m.JoinedAt, m.UpdatedAt = Invited, "", nil, now
		index(&m)
		again := inv
		again.Code, again.Uses, again.CreatedBy, again.CreatedAt = newCode(), 0, a.me.UserID, now
		if !now.Before(again.ExpiresAt) {
			again.ExpiresAt = now.Add(DefaultInvHours * time.Hour)
		}
		inv.Revoked = true
		return s.apply(ctx, Batch{Members: []Member{m}, Invitations: []Invitation{inv, again},
			Audit: []Audit{s.audit(a, "member.decline", m.ID, before, map[string]any{"status": m.Status, "invitation": again.Code[:4] + "…"})}})
	}
	if m.JoinedAt != nil {
		before := map[string]any{"status": m.Status, "name": m.Name}
		m.Status, m.UpdatedAt = Left, s.clock.Now()
		index(&m)
		return s.apply(ctx, Batch{Members: []Member{m},
			Audit: []Audit{s.audit(a, "member.decline", m.ID, before, map[string]any{"status": m.Status})}})
	}
	return s.apply(ctx, Batch{DeleteMembers: []tack.ID{m.ID},
		Audit: []Audit{s.audit(a, "member.decline", m.ID, map[string]any{"status": m.Status, "name": m.Name}, nil)}})
}

func (s *Service) pendingRequest(ctx context.Context, a *actor, id tack.ID) (Member, error) {
	if !a.admin() && a.me.Role != RoleSubAdmin {
		return Member{}, errDenied
	}
	m, err := s.member(ctx, a, id)
	if err != nil {
		return Member{}, err
	}
	if m.Status != Pending {
		return Member{}, tack.Errorf(tack.EConflict, "there is no pending request of that member")
	}
	if !a.admin() && !a.managesMember(a.t, &m) {
		return Member{}, errDenied
	}
	return m, nil
}

// Requests lists pending join requests (admins and sub-admins).
func (s *Service) Requests(ctx context.Context, orgID tack.ID) ([]Member, error) {
	p, err := s.Search(ctx, orgID, Query{Status: Pending, Limit: MaxPageSize})
	if err != nil {
		return nil, err
	}
	return p.Members, nil
}

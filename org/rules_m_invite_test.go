package org_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/sqlite"
)

// TestSubadminInvitesIntoTheirDepartments: a sub-admin may invite people
// into the departments they manage and must name them (an invitation
// into the organisation at large is an admin's); a plain member may not
// invite at all.
func TestSubadminInvitesIntoTheirDepartments(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	if _, err := w.sub.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(w.eng.ID)}}); err != nil {
		t.Errorf("a sub-admin invites into their department: %v", err)
	}
	if _, err := w.sub.CreateInvitation(ctx, oid, nil); code(err) != "invalid" {
		t.Errorf("a sub-admin invites naming no department: %v, want invalid", err)
	}
	if _, err := w.member.CreateInvitation(ctx, oid, nil); code(err) != "forbidden" {
		t.Errorf("a member invites: %v, want forbidden", err)
	}
	if _, err := w.member.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(w.eng.ID)}}); code(err) != "forbidden" {
		t.Errorf("a member invites into their own department: %v, want forbidden", err)
	}
}

// limitRig is an organisation service on its own SQLite file with the
// default limits and n users.
func limitRig(t *testing.T, n int) (*org.Service, []tack.ID) {
	t.Helper()
	return limitRigWith(t, n, org.Config{})
}

// limitRigWith is limitRig with cfg.
func limitRigWith(t *testing.T, n int, cfg org.Config) (*org.Service, []tack.ID) {
	t.Helper()
	svc, _, users := storeRig(t, n, cfg, nil)
	return svc, users
}

// storeRig is limitRigWith's service with its store, for tests that write
// to the store behind the service's back; wrap, if not nil, stands between
// the service and the account store.
func storeRig(t *testing.T, n int, cfg org.Config, wrap func(org.Users) org.Users) (*org.Service, *sqlite.DB, []tack.ID) {
	t.Helper()
	c := context.Background()
	db, err := sqlite.Open(c, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var users []tack.ID
	for i := range n {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("l%d@example.com", i), Name: fmt.Sprint("User ", i), CreatedAt: time.Now()}
		if err := db.CreateUser(c, u, "x"); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	var accounts org.Users = db
	if wrap != nil {
		accounts = wrap(db)
	}
	return org.NewService(db, accounts, anyone{}, nil, nil, cfg), db, users
}

// TestWrongInvitationCodesLimited: by default a user may try 20 wrong
// invitation codes in a row; then tries are refused as rate limited, one
// more allowed every 6 seconds (the refusal says when).
func TestWrongInvitationCodesLimited(t *testing.T) {
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	limited := 0
	for i := range 30 {
		const alphabet = "23456789abcdefghjkmnpqrstuvwxyz"
		code := "zzzzzzzzzz" + string(alphabet[i%len(alphabet)]) + string(alphabet[i/len(alphabet)])
		_, _, err := svc.Accept(me, code)
		switch tack.ErrorCode(err) {
		case tack.ERateLimited:
			if i < 20 {
				t.Fatalf("wrong code %d refused as rate limited: the first 20 are allowed", i+1)
			}
			// One more try every 6 s: the refusal says to come back in
			// seconds, not milliseconds.
			var te *tack.Error
			if !errors.As(err, &te) || te.RetryAfter < time.Second || te.RetryAfter > 6*time.Second {
				t.Errorf("wrong code %d refused with %v, want a retry after 1–6 s", i+1, err)
			}
			limited++
		case tack.ENotFound:
		default:
			t.Fatalf("wrong code %d: %v", i+1, err)
		}
	}
	if limited == 0 {
		t.Errorf("30 wrong codes in a row, none rate limited")
	}
}

// TestFriendRequestsLimited: by default a user may send 60 friend requests
// in a row; then requests are refused as rate limited (one more a minute).
func TestFriendRequestsLimited(t *testing.T) {
	svc, users := limitRig(t, 71)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	limited := 0
	for i, other := range users[1:] {
		_, err := svc.RequestFriend(me, other)
		switch {
		case tack.ErrorCode(err) == tack.ERateLimited:
			if i < 60 {
				t.Fatalf("friend request %d refused as rate limited: the first 60 are allowed", i+1)
			}
			limited++
		case err != nil:
			t.Fatalf("friend request %d: %v", i+1, err)
		}
	}
	if limited == 0 {
		t.Errorf("70 friend requests in a row, none rate limited")
	}
}

// TestInvitationLifetimeBounds: an invitation lasts from one minute to
// MaxInviteHours, both ends included.
func TestInvitationLifetimeBounds(t *testing.T) {
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	o, _, err := svc.Create(me, "Bounds Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	max := org.MaxInviteHours * time.Hour
	for _, c := range []struct {
		d  time.Duration
		ok bool
	}{{time.Minute, true}, {time.Minute - time.Second, false}, {max, true}, {max + time.Second, false}} {
		_, err := svc.Invite(me, o.ID, org.InvitationInput{ExpiresIn: c.d})
		if got := err == nil; got != c.ok {
			t.Errorf("an invitation lasting %v: %v, want allowed=%v", c.d, err, c.ok)
		}
		if err != nil && tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("an invitation lasting %v: %v, want invalid", c.d, err)
		}
	}
}

// failingMember is a store whose membership lookup fails.
type failingMember struct{ *sqlite.DB }

var errMemberLookup = fmt.Errorf("injected: membership lookup failed")

func (f failingMember) Member(context.Context, tack.ID, tack.ID) (org.Member, error) {
	return org.Member{}, errMemberLookup
}

// TestStoreFailureIsNotNotFound: when the store fails to say whether the
// caller belongs to an organisation, the caller gets that failure, not "no
// such organisation".
func TestStoreFailureIsNotNotFound(t *testing.T) {
	c := context.Background()
	db, err := sqlite.Open(c, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := org.NewService(failingMember{db}, db, anyone{}, nil, nil, org.Config{})
	me := tack.WithCaller(c, tack.Caller{UserID: tack.NewID()})
	_, err = svc.Groups(me, tack.NewID())
	if !errors.Is(err, errMemberLookup) {
		t.Errorf("Groups with the membership lookup failing: %v, want the store's error", err)
	}
}

// TestSubadminSeesAndRevokesOnlyTheirInvitations: a sub-admin lists and
// revokes the invitations into departments they manage, and neither sees
// nor revokes general invitations or those into other departments; an
// invitation of another organisation is not found through this one.
func TestSubadminSeesAndRevokesOnlyTheirInvitations(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	mine := must(w.admin.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(w.eng.ID)}}))
	general := must(w.admin.CreateInvitation(ctx, oid, nil))
	sales := must(w.admin.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(w.sales.ID)}}))
	var codes []string
	for _, inv := range must(w.sub.Invitations(ctx, oid)) {
		codes = append(codes, inv.Code)
	}
	if !slices.Contains(codes, mine.Code) || slices.Contains(codes, general.Code) || slices.Contains(codes, sales.Code) {
		t.Errorf("a sub-admin of Engineering lists %v; want the Engineering invitation %s only, not %s (general) nor %s (Sales)",
			codes, mine.Code, general.Code, sales.Code)
	}
	if _, err := w.member.Invitations(ctx, oid); code(err) != "forbidden" {
		t.Errorf("a member lists invitations: %v", err)
	}
	if err := w.sub.RevokeInvitation(ctx, oid, general.Code); code(err) != "forbidden" {
		t.Errorf("a sub-admin revokes a general invitation: %v", err)
	}
	if err := w.sub.RevokeInvitation(ctx, oid, sales.Code); code(err) != "forbidden" {
		t.Errorf("a sub-admin revokes another department's invitation: %v", err)
	}
	if err := w.member.RevokeInvitation(ctx, oid, mine.Code); code(err) != "forbidden" {
		t.Errorf("a member revokes an invitation: %v", err)
	}
	ok(t, w.sub.RevokeInvitation(ctx, oid, mine.Code))
	if _, err := w.srv.NewUser(t, "Late Comer").AcceptInvitation(ctx, mine.Code); code(err) != "not_found" {
		t.Errorf("a revoked invitation accepted: %v", err)
	}
	foreign := must(w.other.CreateInvitation(ctx, string(w.otherOrg.ID), nil))
	if err := w.owner.RevokeInvitation(ctx, oid, foreign.Code); code(err) != "not_found" {
		t.Errorf("another organisation's invitation revoked through this one: %v", err)
	}
	if _, err := w.srv.NewUser(t, "Still Welcome").AcceptInvitation(ctx, foreign.Code); err != nil {
		t.Errorf("the other organisation's invitation stopped working: %v", err)
	}
}

// TestRevokedInvitationDropsItsInvitee: revoking an invitation for one
// person takes that person off the list of people invited.
func TestRevokedInvitationDropsItsInvitee(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	inv := must(w.admin.CreateInvitation(ctx, oid, map[string]any{"email": "ida@example.com", "name": "Ida Invited"}))
	invited := func() []string {
		var out []string
		for _, m := range must(w.owner.OrgMembers(ctx, oid, client.MemberQuery{Status: "invited"})).Members {
			out = append(out, m.Name)
		}
		return out
	}
	if got := invited(); !slices.Contains(got, "Ida Invited") {
		t.Fatalf("invited people: %v", got)
	}
	ok(t, w.admin.RevokeInvitation(ctx, oid, inv.Code))
	if got := invited(); slices.Contains(got, "Ida Invited") {
		t.Errorf("after the invitation was revoked, still invited: %v", got)
	}
}

// TestFormerMemberInvitedAgain: someone who left and is invited again by
// name joins at once on that invitation, as one active member: their old
// record gives up its account, so the directory holds them once and they
// see the organisation.
func TestFormerMemberInvitedAgain(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	must(w.owner.SetMemberStatus(ctx, oid, string(w.target.ID), "left"))
	inv := must(w.admin.CreateInvitation(ctx, oid, map[string]any{"email": w.tina.Login, "name": "Tina Again"}))
	w.tina.VerifyEmail(t, w.mail)
	j := must(w.tina.AcceptInvitation(ctx, inv.Code))
	if j.Status != "active" || j.Member.ID == w.target.ID {
		t.Fatalf("a former member accepting an invitation made for them: %s, member %s (old %s)", j.Status, j.Member.ID, w.target.ID)
	}
	o := must(w.tina.Org(ctx, oid))
	if o.Me.ID != j.Member.ID || o.Me.Status != "active" {
		t.Errorf("Tina's membership after rejoining: %s %s, want %s active", o.Me.ID, o.Me.Status, j.Member.ID)
	}
	old := must(w.owner.OrgMember(ctx, oid, string(w.target.ID)))
	if old.UserID != "" {
		t.Errorf("the old record still holds the account %s", old.UserID)
	}
}

// TestJoinAuditSaysJoinOrRequest: joining on a link is audited as a join,
// and as a request where the organisation approves joins first.
func TestJoinAuditSaysJoinOrRequest(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	lastFor := func(name string) string {
		entries, _ := must2(w.owner.AuditLog(ctx, oid, "", 100))
		for _, e := range entries {
			if e.Params["target"] == name && (e.Action == "member.join" || e.Action == "member.request") {
				return e.Action
			}
		}
		return ""
	}
	inv := must(w.admin.CreateInvitation(ctx, oid, nil))
	must(w.srv.NewUser(t, "Jo Joiner").AcceptInvitation(ctx, inv.Code))
	if got := lastFor("Jo Joiner"); got != "member.join" {
		t.Errorf("joining on a link is audited as %q", got)
	}
	must(w.admin.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"join_approval": true}}))
	must(w.srv.NewUser(t, "Ray Requester").AcceptInvitation(ctx, inv.Code))
	if got := lastFor("Ray Requester"); got != "member.request" {
		t.Errorf("asking to join is audited as %q", got)
	}
}

// TestJoinerIsNotShownPrivacySettings: someone who joins on a link gets the
// organisation without its privacy settings, as every non-admin does.
func TestJoinerIsNotShownPrivacySettings(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"hidden_fields": []string{"phone"}}}))
	inv := must(w.admin.CreateInvitation(ctx, oid, nil))
	j := must(w.srv.NewUser(t, "Nosy Joiner").AcceptInvitation(ctx, inv.Code))
	if j.Status != "active" || len(j.Org.Privacy.HiddenFields) != 0 {
		t.Errorf("a joiner (%s) is shown the privacy settings %+v", j.Status, j.Org.Privacy)
	}
}

// TestUsedInvitationLeavesMyInvitations: an invitation made for someone
// stops being listed under their invitations once they have used it.
func TestUsedInvitationLeavesMyInvitations(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	ivy := w.srv.NewUser(t, "Ivy Invitee")
	must(w.admin.CreateInvitation(ctx, oid, map[string]any{"email": ivy.Login, "name": "Ivy"}))
	ivy.VerifyEmail(t, w.mail)
	var mine struct {
		Invitations []struct {
			Code string `json:"code"`
		} `json:"invitations"`
	}
	ok(t, ivy.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine))
	if len(mine.Invitations) != 1 {
		t.Fatalf("invitations for the invitee: %d", len(mine.Invitations))
	}
	must(ivy.AcceptInvitation(ctx, mine.Invitations[0].Code))
	mine.Invitations = nil
	ok(t, ivy.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine))
	if len(mine.Invitations) != 0 {
		t.Errorf("a used invitation is still listed: %+v", mine.Invitations)
	}
}

package org_test

import (
	"slices"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

func memberIDs(t *testing.T, u *tacktest.User, conv string) []string {
	t.Helper()
	ms := must(u.Members(ctx, conv))
	var out []string
	for _, m := range ms {
		out = append(out, m.UserID)
	}
	slices.Sort(out)
	return out
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// systemActions returns the actions of a conversation's system messages.
func systemActions(t *testing.T, u *tacktest.User, conv string) []string {
	t.Helper()
	var out []string
	for _, m := range must(u.History(ctx, conv, 0, 0, 200)) {
		if m.System != nil {
			out = append(out, m.System.Action)
		}
	}
	return out
}

// TestOrgGroups checks that the all-staff group and department groups
// follow joins, moves, suspensions and leaving without anyone touching
// them, with system events; and that a member who leaves loses access at
// once while their messages stay.
func TestOrgGroups(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	all := must(w.owner.CreateOrgGroup(ctx, oid, "", ""))
	sales := must(w.admin.CreateOrgGroup(ctx, oid, string(w.sales.ID), ""))
	if _, err := w.owner.CreateOrgGroup(ctx, oid, "", ""); code(err) != "conflict" {
		t.Errorf("second all-staff group: %v", err)
	}
	allID, salesID := string(all.ConversationID), string(sales.ConversationID)
	tina := w.target.UserID
	everyone := sorted(w.owner.ID, w.admin.ID, w.sub.ID, w.member.ID, string(tina))
	if got := memberIDs(t, w.owner, allID); !slices.Equal(got, everyone) {
		t.Errorf("all-staff group: %v, want %v", got, everyone)
	}
	// The Sales group: its members (Tina, in Sales) and its creator.
	if got := memberIDs(t, w.admin, salesID); !slices.Equal(got, sorted(w.admin.ID, string(tina))) {
		t.Errorf("sales group: %v", got)
	}

	// A newcomer into East (under Sales) lands in both groups.
	nu := w.srv.NewUser(t, "Nora Newcomer")
	nm := w.join(t, nu, string(w.salesEast.ID))
	if got := memberIDs(t, w.admin, salesID); !slices.Contains(got, nu.ID) {
		t.Errorf("a newcomer under Sales is not in the Sales group")
	}
	if got := memberIDs(t, w.owner, allID); !slices.Contains(got, nu.ID) {
		t.Errorf("a newcomer is not in the all-staff group")
	}
	// Nora speaks in the Sales group.
	must(nu.Send(ctx, salesID, client.Draft{ClientID: "n1", Text: "hello sales"}))

	// Moved to Engineering: out of Sales' group.
	must(w.owner.UpdateOrgMember(ctx, oid, string(nm.ID), map[string]any{"department_ids": []string{string(w.eng.ID)}}))
	if got := memberIDs(t, w.admin, salesID); slices.Contains(got, nu.ID) {
		t.Errorf("a member moved out of Sales is still in its group")
	}
	// Moved back, then the whole East department moves to Engineering.
	must(w.owner.UpdateOrgMember(ctx, oid, string(nm.ID), map[string]any{"department_ids": []string{string(w.salesEast.ID)}}))
	if got := memberIDs(t, w.admin, salesID); !slices.Contains(got, nu.ID) {
		t.Errorf("a member moved back into Sales is not in its group")
	}
	must(w.owner.UpdateDepartment(ctx, oid, string(w.salesEast.ID), map[string]any{"parent_id": string(w.eng.ID)}))
	if got := memberIDs(t, w.admin, salesID); slices.Contains(got, nu.ID) {
		t.Errorf("after East moved under Engineering, its member is still in Sales' group")
	}

	// Suspended: out of every group; reactivated: back.
	must(w.admin.SetMemberStatus(ctx, oid, string(w.target.ID), "suspended"))
	if slices.Contains(memberIDs(t, w.owner, allID), string(tina)) {
		t.Errorf("a suspended member is still in the all-staff group")
	}
	must(w.admin.SetMemberStatus(ctx, oid, string(w.target.ID), "active"))
	if !slices.Contains(memberIDs(t, w.owner, allID), string(tina)) {
		t.Errorf("a reactivated member is not back in the all-staff group")
	}

	// Leaving: out at once, no access, messages stay.
	must(w.owner.SetMemberStatus(ctx, oid, string(nm.ID), "left"))
	if slices.Contains(memberIDs(t, w.owner, allID), nu.ID) {
		t.Errorf("a member who left is still in the all-staff group")
	}
	if _, err := nu.Org(ctx, oid); code(err) != "not_found" {
		t.Errorf("a member who left still sees the organisation: %v", err)
	}
	if _, err := nu.History(ctx, allID, 0, 0, 10); code(err) != "not_found" {
		t.Errorf("a member who left still reads the all-staff group: %v", err)
	}
	found := false
	for _, m := range must(w.admin.History(ctx, salesID, 0, 0, 200)) {
		if string(m.SenderID) == nu.ID && m.Text == "hello sales" {
			found = true
		}
	}
	if !found {
		t.Errorf("the messages of a member who left are gone")
	}
	acts := systemActions(t, w.owner, allID)
	if !slices.Contains(acts, "added") || !slices.Contains(acts, "removed") {
		t.Errorf("all-staff timeline has no added/removed events: %v", acts)
	}
	// The creator of a department group who leaves hands it on.
	must(w.owner.SetMemberStatus(ctx, oid, string(must(w.owner.OrgMember(ctx, oid, w.admin.ID)).ID), "left"))
	sc, err := w.tina.Conversation(ctx, salesID)
	_ = sc
	if err != nil {
		// Tina is in Sales; she must still see the group.
		t.Fatalf("sales group after its creator left: %v", err)
	}
	if string(sc.OwnerID) == w.admin.ID {
		t.Errorf("the Sales group is still owned by someone who left")
	}
}

// TestLifecycle checks leaving by oneself, rejoining, ownership transfer,
// roles and join approval.
func TestLifecycle(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	// The owner cannot leave before transferring.
	if err := w.owner.LeaveOrg(ctx, oid); code(err) != "conflict" {
		t.Errorf("owner leaves: %v", err)
	}
	am := must(w.owner.OrgMember(ctx, oid, w.admin.ID))
	ok(t, w.owner.TransferOrg(ctx, oid, string(am.ID)))
	o := must(w.admin.Org(ctx, oid))
	if string(o.OwnerID) != w.admin.ID || o.Me.Role != "owner" {
		t.Errorf("after transfer: owner %s, role %s", o.OwnerID, o.Me.Role)
	}
	if om := must(w.admin.OrgMember(ctx, oid, w.owner.ID)); om.Role != "admin" {
		t.Errorf("old owner is %s, want admin", om.Role)
	}
	ok(t, w.owner.LeaveOrg(ctx, oid))
	if _, err := w.owner.Org(ctx, oid); code(err) != "not_found" {
		t.Errorf("after leaving: %v", err)
	}
	// On a general link they ask to come back, and an admin lets them in.
	inv := must(w.admin.CreateInvitation(ctx, oid, nil))
	j := must(w.owner.AcceptInvitation(ctx, inv.Code))
	if j.Status != "pending" || j.Member.Role != "member" {
		t.Errorf("rejoin: %s %s", j.Status, j.Member.Role)
	}
	ok(t, w.admin.ApproveRequest(ctx, oid, string(j.Member.ID)))
	if om := must(w.admin.OrgMember(ctx, oid, string(j.Member.ID))); om.Status != "active" || om.Role != "member" {
		t.Errorf("rejoined: %s %s", om.Status, om.Role)
	}
	// Use limits and expiry.
	one := must(w.admin.CreateInvitation(ctx, oid, map[string]any{"max_uses": 1}))
	must(w.srv.NewUser(t, "First").AcceptInvitation(ctx, one.Code))
	if _, err := w.srv.NewUser(t, "Second").AcceptInvitation(ctx, one.Code); code(err) != "expired" {
		t.Errorf("second use of a one-use invitation: %v", err)
	}
	if _, err := w.strang.AcceptInvitation(ctx, "zzzzzzzzzzzz"); code(err) != "not_found" {
		t.Errorf("unknown code: %v", err)
	}
	// Invitation by email: the person sees it under /me/invitations once
	// they have proved that the address is theirs.
	invitee := w.srv.NewUser(t, "Ivy Invitee")
	must(w.admin.CreateInvitation(ctx, oid, map[string]any{"email": invitee.Login, "name": "Ivy I.", "department_ids": []string{string(w.sales.ID)}}))
	invitee.VerifyEmail(t, w.mail)
	var mine struct {
		Invitations []struct {
			Code string `json:"code"`
		} `json:"invitations"`
	}
	ok(t, invitee.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine))
	if len(mine.Invitations) != 1 {
		t.Fatalf("invitations for the invitee: %d", len(mine.Invitations))
	}
	jj := must(invitee.AcceptInvitation(ctx, mine.Invitations[0].Code))
	if jj.Member.Name != "Ivy I." || jj.Member.WorkEmail != invitee.Login || len(jj.Member.Departments) != 1 {
		t.Errorf("targeted invitation member: %+v", jj.Member)
	}
	// Join approval.
	must(w.admin.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"join_approval": true}}))
	gen := must(w.admin.CreateInvitation(ctx, oid, nil))
	pu := w.srv.NewUser(t, "Petra Pending")
	pj := must(pu.AcceptInvitation(ctx, gen.Code))
	if pj.Status != "pending" {
		t.Fatalf("with approval: %s", pj.Status)
	}
	if _, err := pu.Org(ctx, oid); code(err) != "not_found" {
		t.Errorf("a pending member sees the organisation: %v", err)
	}
	reqs := must(w.admin.JoinRequests(ctx, oid))
	if len(reqs) != 1 || reqs[0].ID != pj.Member.ID {
		t.Fatalf("join requests: %v", reqs)
	}
	ok(t, w.admin.ApproveRequest(ctx, oid, string(pj.Member.ID)))
	if _, err := pu.Org(ctx, oid); err != nil {
		t.Errorf("an approved member cannot see the organisation: %v", err)
	}
	// Audit log: every admin action, newest first, pages.
	var all []client.Audit
	before := ""
	for range 50 {
		page, next := must2(w.admin.AuditLog(ctx, oid, before, 3))
		all = append(all, page...)
		if next == "" {
			break
		}
		before = next
	}
	var actions []string
	for _, a := range all {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"org.create", "org.transfer", "member.role", "member.leave", "invitation.create", "org.update", "member.approve", "department.create"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("audit log not newest first")
		}
	}
	for _, a := range all {
		if a.Action == "org.transfer" && (a.Before == nil || a.After == nil || a.ActorID == "") {
			t.Errorf("transfer entry lacks before/after/actor: %+v", a)
		}
	}
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

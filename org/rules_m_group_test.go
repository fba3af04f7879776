package org_test

import (
	"slices"
	"testing"

	"github.com/tackhq/tack/client"
)

// Rules of organisation groups that the mutation run found untested
// (scripts/mutate.sh --all org). Each test names its rule.

func lastSystem(t *testing.T, w *world, conv string) client.Message {
	t.Helper()
	var last *client.Message
	for _, m := range must(w.owner.History(ctx, conv, 0, 0, 200)) {
		if m.System != nil {
			last = &m
		}
	}
	if last == nil {
		t.Fatalf("no system message in %s", conv)
	}
	return *last
}

func usersOf(m client.Message) []string {
	var out []string
	for _, u := range m.System.Users {
		out = append(out, string(u))
	}
	return out
}

// TestGroupChangeWritesOnlyWhatHappened: a member change that only adds
// people writes one "added" event and no "removed" one, and one that only
// removes writes one "removed" event and no "added" one, each naming the
// people concerned.
func TestGroupChangeWritesOnlyWhatHappened(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	all := string(must(w.owner.CreateOrgGroup(ctx, oid, "", "")).ConversationID)
	n0 := len(systemActions(t, w.owner, all))
	nu := w.srv.NewUser(t, "Nadia Newcomer")
	nm := w.join(t, nu, string(w.eng.ID))
	acts := systemActions(t, w.owner, all)
	if len(acts) != n0+1 || acts[len(acts)-1] != "added" {
		t.Fatalf("a newcomer joining: system events %v after %d, want exactly one more, \"added\"", acts, n0)
	}
	if got := usersOf(lastSystem(t, w, all)); !slices.Equal(got, []string{nu.ID}) {
		t.Errorf("the \"added\" event names %v, want the newcomer only", got)
	}
	must(w.owner.SetMemberStatus(ctx, oid, string(nm.ID), "suspended"))
	acts = systemActions(t, w.owner, all)
	if len(acts) != n0+2 || acts[len(acts)-1] != "removed" {
		t.Fatalf("a member suspended: system events %v, want exactly one more, \"removed\"", acts)
	}
	if got := usersOf(lastSystem(t, w, all)); !slices.Equal(got, []string{nu.ID}) {
		t.Errorf("the \"removed\" event names %v, want the suspended member only", got)
	}
}

// TestGroupOwnerStaysWhileActive: the owner of a department group who is
// moved out of the department stays in the group, still its owner, while
// an active member of the organisation; once they leave, the group passes
// to someone else.
func TestGroupOwnerStaysWhileActive(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	sales := string(must(w.admin.CreateOrgGroup(ctx, oid, string(w.sales.ID), "")).ConversationID)
	am := must(w.owner.OrgMember(ctx, oid, w.admin.ID))
	// Adam moves into Engineering, then Sales and back out of it.
	must(w.owner.UpdateOrgMember(ctx, oid, string(am.ID), map[string]any{"department_ids": []string{string(w.sales.ID)}}))
	must(w.owner.UpdateOrgMember(ctx, oid, string(am.ID), map[string]any{"department_ids": []string{string(w.eng.ID)}}))
	if got := memberIDs(t, w.tina, sales); !slices.Contains(got, w.admin.ID) {
		t.Fatalf("the group's owner, moved out of Sales but still active, was removed: %v", got)
	}
	if c := must(w.tina.Conversation(ctx, sales)); string(c.OwnerID) != w.admin.ID {
		t.Errorf("owner after the move: %s, want %s", c.OwnerID, w.admin.ID)
	}
	must(w.owner.SetMemberStatus(ctx, oid, string(am.ID), "left"))
	if got := memberIDs(t, w.tina, sales); slices.Contains(got, w.admin.ID) {
		t.Errorf("the owner left the organisation and is still in its group: %v", got)
	}
}

// TestGroupHeirPrefersAdmin: when a group's owner leaves, a remaining
// group admin becomes the owner, before any plain member, however long
// that member has been in the group.
func TestGroupHeirPrefersAdmin(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	sales := string(must(w.admin.CreateOrgGroup(ctx, oid, string(w.sales.ID), "")).ConversationID)
	// Tina has been in the group since it was made; Nils joins later and
	// is made a group admin; Nina joins last, a plain member.
	nils := w.srv.NewUser(t, "Nils Newcomer")
	w.join(t, nils, string(w.salesEast.ID))
	nina := w.srv.NewUser(t, "Nina Newcomer")
	w.join(t, nina, string(w.salesEast.ID))
	ok(t, w.admin.SetRole(ctx, sales, nils.ID, "admin"))
	am := must(w.owner.OrgMember(ctx, oid, w.admin.ID))
	must(w.owner.SetMemberStatus(ctx, oid, string(am.ID), "left"))
	c := must(w.tina.Conversation(ctx, sales))
	if string(c.OwnerID) != nils.ID {
		t.Errorf("after the owner left, the owner is %s; want the group admin %s (Tina %s, Nina %s)", c.OwnerID, nils.ID, w.tina.ID, nina.ID)
	}
	for _, m := range must(w.tina.Members(ctx, sales)) {
		if m.UserID == nils.ID && m.Role != "owner" {
			t.Errorf("the heir's role: %s", m.Role)
		}
	}
}

// TestGroupLiveEvents: the people concerned hear of organisation group
// changes live: a new group (member added, then its first message), a
// newcomer (the "added" message), and the owner leaving (the new owner in
// a conversation event, then the member removed).
func TestGroupLiveEvents(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	s := stream(t, w.member)
	eng := string(must(w.sub.CreateOrgGroup(ctx, oid, string(w.eng.ID), "")).ConversationID)
	_, before := waitFor(t, s, "the new group's first message", func(e client.Event) bool {
		return e.Type == "message" && e.Message != nil && string(e.Message.ConversationID) == eng
	})
	added := false
	for _, e := range before {
		if e.Type == "member" && e.ConversationID == eng && e.UserID == w.member.ID && e.Action == "added" {
			added = true
		}
	}
	if !added {
		t.Errorf("no member added event for the new group before its first message: %+v", before)
	}
	nu := w.srv.NewUser(t, "Noor Newcomer")
	w.join(t, nu, string(w.eng.ID))
	waitFor(t, s, "the newcomer's added message", func(e client.Event) bool {
		return e.Type == "message" && e.Message != nil && string(e.Message.ConversationID) == eng &&
			e.Message.System != nil && e.Message.System.Action == "added"
	})
	sm := must(w.owner.OrgMember(ctx, oid, w.sub.ID))
	must(w.owner.SetMemberStatus(ctx, oid, string(sm.ID), "left"))
	ce, _ := waitFor(t, s, "the group's new owner", func(e client.Event) bool {
		return e.Type == "conversation" && e.Conversation != nil && string(e.Conversation.ID) == eng
	})
	if string(ce.Conversation.OwnerID) == w.sub.ID || ce.Conversation.OwnerID == "" {
		t.Errorf("conversation event after the owner left names owner %q", ce.Conversation.OwnerID)
	}
	waitFor(t, s, "the old owner removed", func(e client.Event) bool {
		return e.Type == "member" && e.ConversationID == eng && e.UserID == w.sub.ID && e.Action == "removed"
	})
}

// TestCreateGroupTitlesAndRoles: a department group is titled after its
// department and the all-staff group after the organisation unless a title
// is given; the creator owns the group and everyone else is a member.
func TestCreateGroupTitlesAndRoles(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	eng := must(w.owner.CreateOrgGroup(ctx, oid, string(w.eng.ID), ""))
	if c := must(w.owner.Conversation(ctx, string(eng.ConversationID))); c.Title != "Engineering" {
		t.Errorf("untitled department group: %q, want the department's name", c.Title)
	}
	sales := must(w.owner.CreateOrgGroup(ctx, oid, string(w.sales.ID), "Sales chat"))
	if c := must(w.owner.Conversation(ctx, string(sales.ConversationID))); c.Title != "Sales chat" {
		t.Errorf("titled department group: %q", c.Title)
	}
	all := must(w.owner.CreateOrgGroup(ctx, oid, "", ""))
	if c := must(w.owner.Conversation(ctx, string(all.ConversationID))); c.Title != w.org.Name {
		t.Errorf("untitled all-staff group: %q, want %q", c.Title, w.org.Name)
	}
	ok(t, w.owner.Do(ctx, "DELETE", "/api/v1/orgs/"+oid+"/groups/"+string(all.ConversationID), nil, nil))
	all2 := must(w.owner.CreateOrgGroup(ctx, oid, "", "Everyone"))
	if c := must(w.owner.Conversation(ctx, string(all2.ConversationID))); c.Title != "Everyone" {
		t.Errorf("titled all-staff group: %q", c.Title)
	}
	for _, m := range must(w.owner.Members(ctx, string(eng.ConversationID))) {
		want := "member"
		if m.UserID == w.owner.ID {
			want = "owner"
		}
		if m.Role != want {
			t.Errorf("%s's role in the new group: %s, want %s", m.Name, m.Role, want)
		}
	}
}

// TestSubadminCreatesGroupsInScope: a sub-admin may make the group of a
// department they manage, not of another department, nor the all-staff
// group.
func TestSubadminCreatesGroupsInScope(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	if _, err := w.sub.CreateOrgGroup(ctx, oid, string(w.eng.ID), ""); err != nil {
		t.Errorf("a sub-admin makes the group of their department: %v", err)
	}
	if _, err := w.sub.CreateOrgGroup(ctx, oid, string(w.sales.ID), ""); code(err) != "forbidden" {
		t.Errorf("a sub-admin makes another department's group: %v", err)
	}
	if _, err := w.sub.CreateOrgGroup(ctx, oid, "", ""); code(err) != "forbidden" {
		t.Errorf("a sub-admin makes the all-staff group: %v", err)
	}
	if _, err := w.member.CreateOrgGroup(ctx, oid, string(w.eng.ID), ""); code(err) != "forbidden" {
		t.Errorf("a member makes a department group: %v", err)
	}
}

// TestGroupsListedForMembers: any member lists the organisation's groups;
// someone outside it learns nothing.
func TestGroupsListedForMembers(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	all := must(w.owner.CreateOrgGroup(ctx, oid, "", ""))
	eng := must(w.owner.CreateOrgGroup(ctx, oid, string(w.eng.ID), ""))
	var ids []string
	for _, g := range must(w.member.OrgGroups(ctx, oid)) {
		ids = append(ids, string(g.ConversationID))
	}
	if !slices.Contains(ids, string(all.ConversationID)) || !slices.Contains(ids, string(eng.ConversationID)) {
		t.Errorf("a member lists groups %v, want the all-staff and Engineering groups", ids)
	}
	if _, err := w.strang.OrgGroups(ctx, oid); code(err) != "not_found" {
		t.Errorf("a stranger lists the groups: %v", err)
	}
}

// TestAuditNamesInvitees: the audit entries of a targeted invitation, made
// and revoked, name the person invited and say whom it was for.
func TestAuditNamesInvitees(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	inv := must(w.admin.CreateInvitation(ctx, oid, map[string]any{"email": "ivy@example.com", "name": "Ivy Invitee"}))
	ok(t, w.admin.RevokeInvitation(ctx, oid, inv.Code))
	entries, _ := must2(w.owner.AuditLog(ctx, oid, "", 50))
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Action != "invitation.create" && e.Action != "invitation.revoke" || e.Params["actor"] != "Adam Admin" {
			continue // the general invitations the world's members joined by
		}
		seen[e.Action] = true
		if e.Params["target"] != "Ivy Invitee" {
			t.Errorf("%s: target %v, want the invitee's name (params %v)", e.Action, e.Params["target"], e.Params)
		}
		if e.Params["invitee"] != "ivy@example.com" {
			t.Errorf("%s: invitee %v, want the address invited (params %v)", e.Action, e.Params["invitee"], e.Params)
		}
	}
	if !seen["invitation.create"] || !seen["invitation.revoke"] {
		t.Errorf("audit entries: %v", seen)
	}
}

package org_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// TestUnlinkGroup: an admin unlinks one organisation group of several; it
// is no longer listed nor kept in step, the others stay linked, and the
// audit log names the department of the group unlinked. A plain member
// may not unlink; a group that is not (or no longer) linked is not found.
func TestUnlinkGroup(t *testing.T) {
	svc, users := limitRig(t, 2)
	u := newUnitOrg(t, svc, users, "Groups Co")
	as, o := u.as, u.Org
	u.join(1)
	sales, eng := u.dept("Sales"), u.dept("Engineering")
	gs, ge := u.group(0, sales.ID), u.group(0, eng.ID)

	if err := svc.UnlinkGroup(as(1), o.ID, ge.ConversationID); tack.ErrorCode(err) != tack.EForbidden {
		t.Errorf("a plain member unlinks a group: %v, want forbidden", err)
	}
	if err := svc.UnlinkGroup(as(0), o.ID, ge.ConversationID); err != nil {
		t.Fatal(err)
	}
	left, err := svc.Groups(as(0), o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].ConversationID != gs.ConversationID {
		t.Errorf("groups after unlinking Engineering's: %+v, want Sales' only", left)
	}
	list, err := svc.AuditLog(as(0), o.ID, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range list {
		if a.Action != "group.unlink" {
			continue
		}
		found = true
		b, _ := json.Marshal(a.Before)
		if a.Target != string(ge.ConversationID) || !strings.Contains(string(b), string(eng.ID)) || strings.Contains(string(b), string(sales.ID)) {
			t.Errorf("the audit of the unlink: target %s, before %s; want %s of department %s", a.Target, b, ge.ConversationID, eng.ID)
		}
	}
	if !found {
		t.Errorf("no group.unlink in the audit log")
	}
	if err := svc.UnlinkGroup(as(0), o.ID, ge.ConversationID); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("unlinking it again: %v, want not found", err)
	}
	if err := svc.UnlinkGroup(as(0), o.ID, tack.NewID()); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("unlinking a conversation that is no group: %v, want not found", err)
	}
}

// TestSyncRemovesAnOwnerNoLongerActive: the repair (SyncGroups) takes a
// group's owner out of it once they are no longer an active member of the
// organisation (here their leaving was written without the groups being
// kept in step, as after a crash), and the group passes to someone else;
// an active owner outside the group's department stays.
func TestSyncRemovesAnOwnerNoLongerActive(t *testing.T) {
	svc, db, users := storeRig(t, 3, org.Config{}, nil)
	u := newUnitOrg(t, svc, users, "Repair Co")
	as, o := u.as, u.Org
	ops := u.dept("Ops")
	adm := u.join(1)
	if _, err := svc.SetRole(as(0), o.ID, adm.ID, org.RoleAdmin, nil); err != nil {
		t.Fatal(err)
	}
	u.join(2, ops.ID)
	g := u.group(1, ops.ID)
	members := func() []tack.ID {
		t.Helper()
		ms, err := db.Memberships(context.Background(), g.ConversationID)
		if err != nil {
			t.Fatal(err)
		}
		var out []tack.ID
		for _, m := range ms {
			out = append(out, m.UserID)
		}
		return out
	}
	if err := svc.SyncGroups(as(0), o.ID); err != nil {
		t.Fatal(err)
	}
	if got := members(); !slices.Contains(got, users[1]) || !slices.Contains(got, users[2]) {
		t.Fatalf("Ops' group before: %v, want its owner (an active admin outside Ops) and Ops' member", got)
	}
	m, err := svc.DirectoryMember(as(0), o.ID, adm.ID)
	if err != nil {
		t.Fatal(err)
	}
	m.Status = org.Left
	if _, err := db.Apply(context.Background(), org.Batch{Members: []org.Member{m}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncGroups(as(0), o.ID); err != nil {
		t.Fatal(err)
	}
	if got := members(); slices.Contains(got, users[1]) || !slices.Contains(got, users[2]) {
		t.Errorf("Ops' group after its owner left and a repair: %v, want Ops' member only", got)
	}
	if c, err := db.Conversation(context.Background(), g.ConversationID); err != nil || c.OwnerID == users[1] || c.OwnerID == "" {
		t.Errorf("the group's owner after the repair: %v %q, want someone still in it", err, c.OwnerID)
	}
}

package org_test

import (
	"context"
	"encoding/json"
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
	as := func(i int) context.Context { return tack.WithCaller(context.Background(), tack.Caller{UserID: users[i]}) }
	o, _, err := svc.Create(as(0), "Groups Co", "Asia/Shanghai", "")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := svc.Invite(as(0), o.ID, org.InvitationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Accept(as(1), inv.Code); err != nil {
		t.Fatal(err)
	}
	sales, err := svc.CreateDepartment(as(0), o.ID, "", "Sales")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := svc.CreateDepartment(as(0), o.ID, "", "Engineering")
	if err != nil {
		t.Fatal(err)
	}
	gs, err := svc.CreateGroup(as(0), o.ID, sales.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	ge, err := svc.CreateGroup(as(0), o.ID, eng.ID, "")
	if err != nil {
		t.Fatal(err)
	}

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

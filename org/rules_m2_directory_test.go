package org_test

import (
	"context"
	"testing"

	"github.com/tackhq/tack"
)

// TestDirectoryOrgsOfListsActiveMemberships: DirectoryOrgsOf returns the
// organisations a user is an active member of, each with that membership.
func TestDirectoryOrgsOfListsActiveMemberships(t *testing.T) {
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	o, _, err := svc.Create(me, "Listed Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	os, ms, err := svc.DirectoryOrgsOf(context.Background(), users[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(os) != 1 || len(ms) != 1 || os[0].ID != o.ID || ms[0].UserID != users[0] {
		t.Fatalf("organisations of the owner: %+v %+v, want %s", os, ms, o.ID)
	}
}

package org_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// TestDirectoryMemberNeeds2FA: other services read a member through
// DirectoryMember and treat one marked Needs2FA as a plain member. The
// mark is set only where the organisation requires two-step sign-in of its
// admins, only on the caller's own record, only for an admin without it;
// the second-factor lookup's error reaches the caller.
func TestDirectoryMemberNeeds2FA(t *testing.T) {
	has := map[tack.ID]bool{}
	var factorErr error
	svc, users := limitRigWith(t, 3, org.Config{SecondFactor: func(_ context.Context, u tack.ID) (bool, error) { return has[u], factorErr }})
	has[users[0]] = true
	u := newUnitOrg(t, svc, users, "Directory Co")
	as, o, owner := u.as, u.Org, u.owner
	adm, mem := u.join(1), u.join(2)
	if _, err := svc.SetRole(as(0), o.ID, adm.ID, org.RoleAdmin, nil); err != nil {
		t.Fatal(err)
	}
	check := func(when string, caller int, id tack.ID, want bool) {
		t.Helper()
		m, err := svc.DirectoryMember(as(caller), o.ID, id)
		if err != nil {
			t.Fatalf("%s: user %d reads %s: %v", when, caller, id, err)
		}
		if m.Needs2FA != want {
			t.Errorf("%s: user %d reads %s (role %s): Needs2FA %v, want %v", when, caller, id, m.Role, m.Needs2FA, want)
		}
	}
	check("no rule", 1, adm.ID, false)
	check("no rule", 1, users[1], false)

	if _, err := svc.Update(as(0), o.ID, org.OrgSettings{RequireAdmin2FA: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	check("rule on", 1, adm.ID, true)    // the admin without it, by member ID
	check("rule on", 1, users[1], true)  // and by user ID
	check("rule on", 2, adm.ID, false)   // someone else reading the admin
	check("rule on", 0, adm.ID, false)   // the owner reading the admin
	check("rule on", 2, mem.ID, false)   // a plain member reading themselves
	check("rule on", 0, owner.ID, false) // the owner, who has it
	has[users[1]] = true
	check("admin turned it on", 1, adm.ID, false)

	has[users[1]] = false
	factorErr = errors.New("accounts unavailable")
	if _, err := svc.DirectoryMember(as(1), o.ID, adm.ID); !errors.Is(err, factorErr) {
		t.Errorf("the second-factor lookup failing: %v, want its error", err)
	}
	factorErr = nil
	if _, err := svc.DirectoryMember(as(1), o.ID, tack.NewID()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("no such member: %v, want not found", err)
	}
	if _, err := svc.DirectoryMember(as(1), "bad id", adm.ID); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("a malformed organisation ID: %v, want not found", err)
	}
}

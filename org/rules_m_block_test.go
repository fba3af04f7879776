package org_test

import (
	"context"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

func stateOf(t *testing.T, svc *org.Service, me context.Context, other tack.ID) string {
	t.Helper()
	fs, err := svc.Friends(me)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.UserID == other {
			return f.State
		}
	}
	return ""
}

// TestBlockEndsTheOtherSide: blocking someone ends their side of a
// friendship or request too, but keeps a block of their own.
func TestBlockEndsTheOtherSide(t *testing.T) {
	svc, users := limitRig(t, 3)
	a := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	b := tack.WithCaller(context.Background(), tack.Caller{UserID: users[1]})
	c := tack.WithCaller(context.Background(), tack.Caller{UserID: users[2]})
	if _, err := svc.RequestFriend(a, users[1]); err != nil {
		t.Fatal(err)
	}
	if err := svc.AcceptFriend(b, users[0]); err != nil {
		t.Fatal(err)
	}
	if err := svc.Block(a, users[1]); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, svc, b, users[0]); got != "" {
		t.Errorf("after A blocked B, B's side toward A is %q, want nothing", got)
	}
	if got := stateOf(t, svc, a, users[1]); got != "blocked" {
		t.Errorf("A's side toward B: %q, want blocked", got)
	}
	// C blocked A first; A blocking C keeps C's block.
	if err := svc.Block(c, users[0]); err != nil {
		t.Fatal(err)
	}
	if err := svc.Block(a, users[2]); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, svc, c, users[0]); got != "blocked" {
		t.Errorf("C's own block of A after A blocked C: %q, want blocked", got)
	}
}

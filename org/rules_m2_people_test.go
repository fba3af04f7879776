package org_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// TestPeopleQueryBounds: a people search takes a query of up to 100
// characters and a limit from 1 to MaxPeople; anything past either bound
// is refused as invalid.
func TestPeopleQueryBounds(t *testing.T) {
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	for _, c := range []struct {
		q     string
		limit int
		valid bool
	}{
		{strings.Repeat("é", 100), 10, true},
		{strings.Repeat("é", 101), 10, false},
		{"a", 1, true},
		{"a", org.MaxPeople, true},
		{"a", org.MaxPeople + 1, false},
		{"a", -1, false},
	} {
		_, err := svc.People(me, c.q, c.limit)
		if valid := err == nil; valid != c.valid || (!valid && tack.ErrorCode(err) != tack.EInvalid) {
			t.Errorf("query of %d characters, limit %d: %v, want valid=%v", len([]rune(c.q)), c.limit, err, c.valid)
		}
	}
}

// TestPeopleFillsTheLimit: a people search returns as many people as its
// limit asks for when there are that many colleagues (the owner of the
// test world has more than two).
func TestPeopleFillsTheLimit(t *testing.T) {
	w := newWorld(t)
	for _, limit := range []int{2, 3} {
		fs, err := w.owner.FindPeople(ctx, "", limit)
		if err != nil || len(fs) != limit {
			t.Errorf("limit %d: %v %v", limit, err, foundNames(fs))
		}
	}
}

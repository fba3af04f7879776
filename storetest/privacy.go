package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
)

// TestPrivacyStore runs the org.PrivacyStore conformance tests. open must
// return a new, empty store for each call; users are made through the
// account store.
func TestPrivacyStore(t *testing.T, open func(t *testing.T) (account.Store, org.PrivacyStore)) {
	tests := []struct {
		name string
		fn   func(*testing.T, account.Store, org.PrivacyStore)
	}{
		{"Missing", testPrivacyMissing},
		{"RoundTrip", testPrivacyRoundTrip},
		{"Replace", testPrivacyReplace},
		{"Partial", testPrivacyPartial},
		{"Many", testPrivacyMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, ps := open(t)
			tt.fn(t, as, ps)
		})
	}
}

// A user who never stored settings is absent from the map (the Service
// gives the defaults); no IDs give an empty map, not an error.
func testPrivacyMissing(t *testing.T, as account.Store, ps org.PrivacyStore) {
	ctx := context.Background()
	u := newUser(t, as, "Ann")
	got, err := ps.UserPrivacy(ctx, []tack.ID{u.ID, tack.NewID()})
	must(t, "UserPrivacy", err)
	if len(got) != 0 {
		t.Errorf("settings of users who stored none: %v", got)
	}
	got, err = ps.UserPrivacy(ctx, nil)
	must(t, "UserPrivacy(nil)", err)
	if len(got) != 0 {
		t.Errorf("settings of nobody: %v", got)
	}
}

func testPrivacyRoundTrip(t *testing.T, as account.Store, ps org.PrivacyStore) {
	ctx := context.Background()
	u := newUser(t, as, "Ann")
	at := now()
	must(t, "SetUserPrivacy", ps.SetUserPrivacy(ctx, org.UserPrivacy{UserID: u.ID, AddToGroups: org.Nobody, ShowOnline: org.Nobody, UpdatedAt: at}))
	got, err := ps.UserPrivacy(ctx, []tack.ID{u.ID})
	must(t, "UserPrivacy", err)
	p, ok := got[u.ID]
	if !ok || p.UserID != u.ID || p.AddToGroups != org.Nobody || p.ShowOnline != org.Nobody {
		t.Fatalf("round trip: %+v (found %v)", p, ok)
	}
	sameTime(t, "UpdatedAt", p.UpdatedAt, at)
}

func testPrivacyReplace(t *testing.T, as account.Store, ps org.PrivacyStore) {
	ctx := context.Background()
	u := newUser(t, as, "Ann")
	must(t, "SetUserPrivacy", ps.SetUserPrivacy(ctx, org.UserPrivacy{UserID: u.ID, AddToGroups: org.Nobody, ShowOnline: org.Nobody, UpdatedAt: now()}))
	at := now()
	must(t, "SetUserPrivacy again", ps.SetUserPrivacy(ctx, org.UserPrivacy{UserID: u.ID, AddToGroups: org.ColleaguesAndFriends, ShowOnline: org.Everyone, UpdatedAt: at}))
	got, err := ps.UserPrivacy(ctx, []tack.ID{u.ID})
	must(t, "UserPrivacy", err)
	p := got[u.ID]
	if p.AddToGroups != org.ColleaguesAndFriends || p.ShowOnline != org.Everyone {
		t.Fatalf("after replacing: %+v", p)
	}
	sameTime(t, "UpdatedAt", p.UpdatedAt, at)
}

// Settings of many users at once (more than one query's worth of IDs),
// each its own.
func testPrivacyMany(t *testing.T, as account.Store, ps org.PrivacyStore) {
	ctx := context.Background()
	var ids []tack.ID
	for i := range 450 {
		u := newUser(t, as, "U")
		ids = append(ids, u.ID)
		if i%3 == 0 {
			must(t, "SetUserPrivacy", ps.SetUserPrivacy(ctx, org.UserPrivacy{UserID: u.ID, AddToGroups: org.Nobody, ShowOnline: org.Everyone, UpdatedAt: now()}))
		}
	}
	got, err := ps.UserPrivacy(ctx, ids)
	must(t, "UserPrivacy", err)
	if len(got) != 150 {
		t.Fatalf("%d users with settings, want 150", len(got))
	}
	for i, id := range ids {
		if _, ok := got[id]; ok != (i%3 == 0) {
			t.Errorf("user %d: stored %v", i, ok)
		}
	}
}

// testPrivacyPartial: empty fields keep what is stored; two updates of
// different fields at once both hold.
func testPrivacyPartial(t *testing.T, as account.Store, ps org.PrivacyStore) {
	ctx := context.Background()
	u := newUser(t, as, "Ann")
	must(t, "SetUserPrivacy of one field", ps.SetUserPrivacy(ctx, org.UserPrivacy{UserID: u.ID, ShowOnline: org.Nobody, UpdatedAt: now()}))
	got, err := ps.UserPrivacy(ctx, []tack.ID{u.ID})
	must(t, "UserPrivacy", err)
	if p := got[u.ID]; p.AddToGroups != org.Everyone || p.ShowOnline != org.Nobody {
		t.Fatalf("a new row from one field: %+v", p)
	}
	for i := 0; i < 20; i++ {
		a, b := org.Nobody, org.Everyone
		if i%2 == 1 {
			a, b = org.ColleaguesAndFriends, org.Nobody
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			must(t, "SetUserPrivacy add_to_groups", ps.SetUserPrivacy(ctx, org.UserPrivacy{UserID: u.ID, AddToGroups: a, UpdatedAt: now()}))
		}()
		go func() {
			defer wg.Done()
			must(t, "SetUserPrivacy show_online", ps.SetUserPrivacy(ctx, org.UserPrivacy{UserID: u.ID, ShowOnline: b, UpdatedAt: now()}))
		}()
		wg.Wait()
		got, err := ps.UserPrivacy(ctx, []tack.ID{u.ID})
		must(t, "UserPrivacy", err)
		if p := got[u.ID]; p.AddToGroups != a || p.ShowOnline != b {
			t.Fatalf("round %d: %+v, want add_to_groups %s and show_online %s", i, p, a, b)
		}
	}
}

package org_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
)

// TestContactUpdateKeepsWhatItDoesNotName: a contact's tags are kept as
// given (each once, in order), a contact without tags lists none (an empty
// list, not null); an update changes the fields it names and keeps the
// rest, tags included; an invalid update is refused and changes nothing.
func TestContactUpdateKeepsWhatItDoesNotName(t *testing.T) {
	svc, users := limitRig(t, 1)
	co := newUnitOrg(t, svc, users, "Contact Co")
	me, o := co.as(0), co.Org
	str := func(s string) *string { return &s }
	tags := []string{"VIP", "buyer", "VIP"}
	c, err := svc.AddContact(me, o.ID, org.ContactInput{Name: str("Zoe"), Company: str("Client Co"), Tags: &tags})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Tags, []string{"VIP", "buyer"}) {
		t.Errorf("tags as added: %q, want [VIP buyer]", c.Tags)
	}
	bare, err := svc.AddContact(me, o.ID, org.ContactInput{Name: str("Zed")})
	if err != nil {
		t.Fatal(err)
	}
	if bare.Tags == nil || len(bare.Tags) != 0 {
		t.Errorf("a contact added without tags has tags %#v, want an empty list", bare.Tags)
	}

	u, err := svc.UpdateContact(me, o.ID, c.ID, org.ContactInput{Company: str("Client Group")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Contact(me, o.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []org.Contact{u, got} {
		if x.ID != c.ID || x.Name != "Zoe" || x.Company != "Client Group" || !slices.Equal(x.Tags, []string{"VIP", "buyer"}) {
			t.Errorf("after changing the company: %+v, want Zoe of Client Group with tags [VIP buyer]", x)
		}
	}
	if _, err := svc.UpdateContact(me, o.ID, c.ID, org.ContactInput{Company: str("Other"), Email: str("not an email")}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("an update with a bad email: %v, want invalid", err)
	}
	if got, err := svc.Contact(me, o.ID, c.ID); err != nil || got.Company != "Client Group" || got.Email != "" {
		t.Errorf("after the refused update: %v %+v, want it unchanged", err, got)
	}
}

// failingUsers is the account store with its user lookup failing.
type failingUsers struct {
	users org.Users
	err   error
}

func (f failingUsers) User(ctx context.Context, id tack.ID) (account.User, error) {
	return account.User{}, f.err
}

func (f failingUsers) Users(ctx context.Context, ids []tack.ID) ([]account.User, error) {
	return f.users.Users(ctx, ids)
}

// TestFriendRequestStoreErrorReported: when the account store fails to
// look up the person asked, the request fails with that error (not "no
// such user", not a request that looks sent).
func TestFriendRequestStoreErrorReported(t *testing.T) {
	c := context.Background()
	boom := errors.New("account store unavailable")
	svc, _, ids := storeRig(t, 2, org.Config{}, func(u org.Users) org.Users { return failingUsers{u, boom} })
	me := tack.WithCaller(c, tack.Caller{UserID: ids[0]})
	if _, err := svc.RequestFriend(me, ids[1]); !errors.Is(err, boom) {
		t.Errorf("a friend request while the account store fails: %v, want its error", err)
	}
	if fs, err := svc.Friends(me); err != nil || len(fs) != 0 {
		t.Errorf("friendships after the failed request: %v %+v, want none", err, fs)
	}
}

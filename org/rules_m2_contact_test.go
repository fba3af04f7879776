package org_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// TestContactEmailAndNoteChecked: an external contact's email must be an
// email and its note at most 1000 characters; a contact with a valid email
// and note keeps both.
func TestContactEmailAndNoteChecked(t *testing.T) {
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	o, _, err := svc.Create(me, "Contact Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	c, err := svc.AddContact(me, o.ID, org.ContactInput{Name: str("Zoe"), Email: str("zoe@example.com"), Note: str(strings.Repeat("n", 1000))})
	if err != nil || c.Email != "zoe@example.com" || len(c.Note) != 1000 {
		t.Fatalf("a valid contact: %v %q, note of %d", err, c.Email, len(c.Note))
	}
	if _, err := svc.AddContact(me, o.ID, org.ContactInput{Name: str("Zed"), Email: str("not an email")}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a contact with a bad email: %v, want invalid", err)
	}
	if _, err := svc.AddContact(me, o.ID, org.ContactInput{Name: str("Zed"), Note: str(strings.Repeat("n", 1001))}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a contact with a note of 1001 characters: %v, want invalid", err)
	}
}

// TestContactSearchBounds: a contact search lists the contacts found; its
// text and tag are at most 100 bytes and its limit from 1 to MaxPageSize,
// anything past a bound is refused as invalid.
func TestContactSearchBounds(t *testing.T) {
	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	o, _, err := svc.Create(me, "Contact Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	name := "Zoe"
	if _, err := svc.AddContact(me, o.ID, org.ContactInput{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if cs, err := svc.Contacts(me, o.ID, "", "", 1); err != nil || len(cs) != 1 || cs[0].Name != "Zoe" {
		t.Errorf("contacts, limit 1: %v %+v", err, cs)
	}
	long := strings.Repeat("z", 100)
	for _, c := range []struct {
		text, tag string
		limit     int
		valid     bool
	}{
		{long, "", 10, true},
		{long + "z", "", 10, false},
		{"", long, 10, true},
		{"", long + "z", 10, false},
		{"", "", org.MaxPageSize, true},
		{"", "", org.MaxPageSize + 1, false},
	} {
		_, err := svc.Contacts(me, o.ID, c.text, c.tag, c.limit)
		if valid := err == nil; valid != c.valid || (!valid && tack.ErrorCode(err) != tack.EInvalid) {
			t.Errorf("text of %d, tag of %d, limit %d: %v, want valid=%v", len(c.text), len(c.tag), c.limit, err, c.valid)
		}
	}
}

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

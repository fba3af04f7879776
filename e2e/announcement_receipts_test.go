package e2e

import (
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/tacktest"
)

// TestAnnouncementReceiptPolicy: who has read a must-read announcement is
// shown to its admins as the organisation's read-receipt policy says: by
// name under choice while nobody hides; a member who hides theirs counts as
// unread, and an admin who hides theirs sees no one's; everyone under on;
// counts only above the names bound; nothing under off (the list's counts
// go too). The reader always sees their own reading.
func TestAnnouncementReceiptPolicy(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	admin := srv.NewUser(t, "行政")
	o := mustDo[client.Org](t)(admin.CreateOrg(ctx, "Acme", "UTC"))
	org := string(o.ID)
	bob, carol := srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	for _, u := range []*tacktest.User{bob, carol} {
		inv := mustDo[client.InvitationOut](t)(admin.CreateInvitation(ctx, org, map[string]any{}))
		mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code))
	}
	a := mustDo[client.Announcement](t)(admin.PostAnnouncement(ctx, org, client.AnnouncementInput{Title: "停电", Body: "周五停电", MustRead: true}))
	id := string(a.ID)
	for _, u := range []*tacktest.User{bob, carol} {
		if r := mustDo[client.Announcement](t)(u.ReadAnnouncement(ctx, org, id)); !r.Read || r.ReadCount != nil {
			t.Errorf("%s's own view after reading: read %v, read_count %v", u.Name, r.Read, r.ReadCount)
		}
	}
	receipts := func() (client.AnnouncementReceipts, string) {
		r, err := admin.AnnouncementReceipts(ctx, org, id)
		return r, apiCode(err)
	}
	listCount := func() *int {
		for _, x := range mustDo[[]client.Announcement](t)(admin.Announcements(ctx, org)) {
			if x.ID == a.ID {
				return x.ReadCount
			}
		}
		t.Fatal("the announcement is not in the admin's list")
		return nil
	}
	setOrg := func(s ding.OrgSettings) { mustDo[client.DingSettings](t)(admin.PutDingSettings(ctx, org, s)) }
	hide := func(u *tacktest.User, h bool) {
		if err := u.Do(ctx, "PUT", "/api/v1/me/ding-settings", ding.UserSettings{HideReceipts: h}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Choice (the default), nobody hides: names. The admin (its author)
	// has not read it: author rows start unread like anyone's.
	r, code := receipts()
	if code != "" || r.ReadCount != 2 || r.UnreadCount != 1 || len(r.Read) != 2 || len(r.Unread) != 1 || string(r.Unread[0]) != admin.ID || r.CountsOnly {
		t.Errorf("choice: %+v %s", r, code)
	}
	if n := listCount(); n == nil || *n != 2 {
		t.Errorf("choice: the list's read_count = %v, want 2", n)
	}
	// Bob hides his: he counts as unread.
	hide(bob, true)
	if r, code := receipts(); code != "" || r.ReadCount != 1 || r.UnreadCount != 2 || len(r.Read) != 1 || string(r.Read[0].UserID) != carol.ID {
		t.Errorf("choice, Bob hides: %+v %s", r, code)
	}
	if n := listCount(); n == nil || *n != 1 {
		t.Errorf("choice, Bob hides: the list's read_count = %v, want 1", n)
	}
	if v := mustDo[client.Announcement](t)(bob.Announcement(ctx, org, id)); !v.Read {
		t.Error("Bob, who hides his receipts, no longer sees that he read it")
	}
	// The admin hides theirs: reciprocal, they see no one's.
	hide(admin, true)
	if _, code := receipts(); code != "forbidden" {
		t.Errorf("choice, the admin hides: %s, want forbidden", code)
	}
	if n := listCount(); n != nil {
		t.Errorf("choice, the admin hides: the list's read_count = %d, want none", *n)
	}
	// On: nobody may hide.
	setOrg(ding.OrgSettings{Receipts: ding.ReceiptsOn})
	if r, code := receipts(); code != "" || r.ReadCount != 2 || len(r.Read) != 2 {
		t.Errorf("on: %+v %s", r, code)
	}
	// Counts only above the names bound (3 recipients).
	setOrg(ding.OrgSettings{Receipts: ding.ReceiptsOn, ReceiptNamesMax: 2})
	if r, code := receipts(); code != "" || !r.CountsOnly || len(r.Read) != 0 || len(r.Unread) != 0 || r.ReadCount != 2 || r.UnreadCount != 1 {
		t.Errorf("counts only: %+v %s", r, code)
	}
	// Off: nothing, not even counts.
	setOrg(ding.OrgSettings{Receipts: ding.ReceiptsOff})
	if _, code := receipts(); code != "forbidden" {
		t.Errorf("off: %s, want forbidden", code)
	}
	if n := listCount(); n != nil {
		t.Errorf("off: the list's read_count = %d, want none", *n)
	}
	if v := mustDo[client.Announcement](t)(carol.Announcement(ctx, org, id)); !v.Read {
		t.Error("off: Carol no longer sees that she read it")
	}
}

package e2e

import (
	"testing"

	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
	"github.com/tackhq/tack/tacktest"
)

// TestAnnouncementPushes: a published announcement is pushed to its
// recipients (not its author), naming the author; its title is the
// preview only for those who turned previews on; a recipient in their
// quiet hours gets no push then.
func TestAnnouncementPushes(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	ctx := ctxT(t)
	admin, bob, carol, dan := srv.NewUser(t, "行政"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol"), srv.NewUser(t, "Dan")
	o := mustDo[client.Org](t)(admin.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	org := string(o.ID)
	for _, u := range []*tacktest.User{bob, carol, dan} {
		inv := mustDo[client.InvitationOut](t)(admin.CreateInvitation(ctx, org, map[string]any{}))
		mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code))
	}
	ab, bb, cb, db := pushtest.NewBrowser(t), pushtest.NewBrowser(t), pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, admin, ab)
	subscribe(t, bob, bb)
	subscribe(t, carol, cb)
	subscribe(t, dan, db)
	if err := dan.Do(ctx, "PUT", "/api/v1/me/push", map[string]any{"previews": true}, nil); err != nil {
		t.Fatal(err)
	}
	mustDo[client.QuietHours](t)(bob.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "UTC", Extra: []attendance.QuietRange{
		{From: "00:00", To: "12:00"}, {From: "12:00", To: "00:00"}}}))

	a := mustDo[client.Announcement](t)(admin.PostAnnouncement(ctx, org, client.AnnouncementInput{Title: "周五停电", Body: "全楼停电", MustRead: true}))
	pl, _ := nextPayload(t, cb, key)
	if pl.Type != push.KindAnnouncement || pl.Title != "Announcement from 行政" || pl.Body != "" || pl.URL != "/workbench/announcements" || string(pl.SenderID) != admin.ID {
		t.Errorf("Carol's push (previews off): %+v", pl)
	}
	pl, _ = nextPayload(t, db, key)
	if pl.Type != push.KindAnnouncement || pl.Body != a.Title {
		t.Errorf("Dan's push (previews on): %+v", pl)
	}
	// One notification, planned at once: when Carol's and Dan's arrived,
	// Bob's and the author's were decided.
	if got := bb.Pending(); len(got) != 0 {
		t.Errorf("Bob got %d pushes in his quiet hours", len(got))
	}
	if got := ab.Pending(); len(got) != 0 {
		t.Errorf("the author got %d pushes of their own announcement", len(got))
	}
}

package e2e

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/tacktest"
)

type annHint struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

func nextAnnouncement(t *testing.T, s *client.Stream, what string) string {
	t.Helper()
	var h annHint
	waitEvent(t, s, what, func(e client.Event) bool {
		if e.Type != circle.AnnouncementKind {
			return false
		}
		json.Unmarshal(e.Raw, &h)
		return true
	})
	return h.ID
}

// TestAnnouncements: an admin posts a must-read announcement; who has and
// has not read it, as members read; the permission matrix (a plain member,
// an outsider, an admin); a scheduled announcement published once by the
// deadline queue; and its notification waiting out a member's quiet hours.
func TestAnnouncements(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	admin, a, b, outsider := srv.NewUser(t, "行政"), srv.NewUser(t, "A"), srv.NewUser(t, "B"), srv.NewUser(t, "Mallory")
	o := mustDo[client.Org](t)(admin.CreateOrg(ctx, "Acme", "UTC"))
	org := string(o.ID)
	for _, u := range []*tacktest.User{a, b} {
		inv := mustDo[client.InvitationOut](t)(admin.CreateInvitation(ctx, org, map[string]any{}))
		mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code))
	}
	sa, sb := connect(t, a.Client, nil), connect(t, b.Client, nil)

	// permissions and bad input
	if _, err := a.PostAnnouncement(ctx, org, client.AnnouncementInput{Title: "x", Body: "y"}); apiCode(err) != tack.EForbidden {
		t.Errorf("a plain member posted: %v", err)
	}
	if _, err := outsider.PostAnnouncement(ctx, org, client.AnnouncementInput{Title: "x", Body: "y"}); apiCode(err) != tack.ENotFound {
		t.Errorf("an outsider posted: %v", err)
	}
	for _, in := range []client.AnnouncementInput{{Title: "", Body: "y"}, {Title: "a\nb", Body: "y"}, {Title: "x", Body: "<script>alert(1)</script>"},
		{Title: "x", Body: "y", DepartmentIDs: []tack.ID{tack.NewID()}}} {
		if _, err := admin.PostAnnouncement(ctx, org, in); apiCode(err) != tack.EInvalid {
			t.Errorf("bad input %+v: %v", in, err)
		}
	}

	ann := mustDo[client.Announcement](t)(admin.PostAnnouncement(ctx, org, client.AnnouncementInput{Title: "周五停电", Body: "**注意**：周五 9:00–12:00 停电", MustRead: true, Pinned: true}))
	if !ann.Published || ann.Recipients == nil || *ann.Recipients != 3 || *ann.ReadCount != 0 {
		t.Fatalf("posted: %+v", ann)
	}
	if id := nextAnnouncement(t, sa, "a's hint"); id != string(ann.ID) {
		t.Errorf("a heard of %s", id)
	}
	if id := nextAnnouncement(t, sb, "b's hint"); id != string(ann.ID) {
		t.Errorf("b heard of %s", id)
	}
	if _, err := outsider.Announcement(ctx, org, string(ann.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("an outsider read it: %v", err)
	}
	if _, err := a.AnnouncementReceipts(ctx, org, string(ann.ID)); apiCode(err) != tack.EForbidden {
		t.Errorf("a plain member read the receipts: %v", err)
	}
	list := mustDo[[]client.Announcement](t)(a.Announcements(ctx, org))
	if len(list) != 1 || list[0].Read || list[0].ReadCount != nil {
		t.Errorf("a's list: %+v", list)
	}
	r := mustDo[client.Announcement](t)(a.ReadAnnouncement(ctx, org, string(ann.ID)))
	if !r.Read {
		t.Errorf("after reading: %+v", r)
	}
	mustDo[client.Announcement](t)(a.ReadAnnouncement(ctx, org, string(ann.ID))) // twice: no change
	rc := mustDo[client.AnnouncementReceipts](t)(admin.AnnouncementReceipts(ctx, org, string(ann.ID)))
	if len(rc.Read) != 1 || rc.Read[0].UserID != tack.ID(a.ID) || !slices.Contains(rc.Unread, tack.ID(b.ID)) || !slices.Contains(rc.Unread, tack.ID(admin.ID)) {
		t.Errorf("receipts after a read: %+v", rc)
	}

	// Scheduled, with b in quiet hours (all day, by b's own choice).
	if _, err := b.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "UTC", Extra: []attendance.QuietRange{{From: "00:00", To: "12:00"}, {From: "12:00", To: "00:00"}}}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(2 * time.Second)
	sch := mustDo[client.Announcement](t)(admin.PostAnnouncement(ctx, org, client.AnnouncementInput{Title: "年会", Body: "下周五晚上", PublishAt: &at}))
	if sch.Published {
		t.Fatalf("published before its time: %+v", sch)
	}
	if _, err := a.Announcement(ctx, org, string(sch.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("a read a scheduled announcement: %v", err)
	}
	if id := nextAnnouncement(t, sa, "the scheduled one, published"); id != string(sch.ID) {
		t.Errorf("a heard of %s", id)
	}
	got := mustDo[client.Announcement](t)(a.Announcement(ctx, org, string(sch.ID)))
	if !got.Published {
		t.Errorf("a sees it unpublished: %+v", got)
	}
	// b received it (it is in b's list) but was not told: b is quiet. A
	// notify job waits in the queue.
	bl := mustDo[[]client.Announcement](t)(b.Announcements(ctx, org))
	if len(bl) != 2 {
		t.Errorf("b's list has %d announcements, want 2", len(bl))
	}
	ds := srv.Node.Store.(interface{ Deadlines() deadline.Store }).Deadlines()
	jobs, err := ds.Claim(ctx, time.Now().Add(circle.QuietRetry+time.Minute), time.Minute, 100)
	if err != nil {
		t.Fatal(err)
	}
	var notify *deadline.Job
	for i := range jobs {
		if jobs[i].Kind == circle.NotifyJob && jobs[i].Key == string(sch.ID) {
			notify = &jobs[i]
		}
	}
	if notify == nil {
		t.Fatalf("no notify job for the quiet recipient: %+v", jobs)
	}
	if due := notify.Due.Sub(time.Now()); due < circle.QuietRetry-time.Minute {
		t.Errorf("the notify job is due in %v", due)
	}
	// While b stays quiet, the job changes nothing; once b's quiet hours end, it tells b.
	if err := srv.Node.Board.HandleNotify(ctx, *notify); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "UTC", Extra: []attendance.QuietRange{}}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Node.Board.HandleNotify(ctx, *notify); err != nil {
		t.Fatal(err)
	}
	if id := nextAnnouncement(t, sb, "b's hint after quiet hours"); id != string(sch.ID) {
		t.Errorf("b heard of %s", id)
	}

	// delete: admins only
	if err := a.DeleteAnnouncement(ctx, org, string(ann.ID)); apiCode(err) != tack.EForbidden {
		t.Errorf("a deleted: %v", err)
	}
	if err := admin.DeleteAnnouncement(ctx, org, string(ann.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Announcement(ctx, org, string(ann.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("deleted announcement: %v", err)
	}
}

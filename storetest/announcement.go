package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/circle"
)

// TestAnnouncementStore checks the contract of circle.AnnouncementStore:
// an announcement round-trips; publishing stores its recipients once;
// lists are pinned first then newest, the published ones a user receives
// (or all, scheduled too) with that user's read time; reading and
// notifying are recorded once per recipient; deleting takes the receipts.
func TestAnnouncementStore(t *testing.T, open func(t *testing.T) (account.Store, circle.AnnouncementStore)) {
	ctx := context.Background()
	as, s := open(t)
	admin, a, b := newUser(t, as, "Admin").ID, newUser(t, as, "A").ID, newUser(t, as, "B").ID
	orgID := tack.NewID()
	mk := func(title string, pinned bool, at time.Time) circle.Announcement {
		t.Helper()
		x := circle.Announcement{ID: tack.NewID(), OrgID: orgID, AuthorID: admin, Title: title, Body: "**注意** 周五停电", DepartmentIDs: []tack.ID{tack.NewID()},
			Files: []chat.Attachment{}, Pinned: pinned, MustRead: true, PublishAt: at.UTC(), CreatedAt: now().UTC()}
		mustDo(t, s.CreateAnnouncement(ctx, x))
		return x
	}
	base := now().UTC()
	old := mk("old", false, base.Add(-2*time.Hour))
	pinned := mk("pinned", true, base.Add(-3*time.Hour))
	fresh := mk("fresh", false, base.Add(-time.Hour))
	later := mk("scheduled", false, base.Add(time.Hour))

	got, err := s.Announcement(ctx, old.ID)
	mustDo(t, err)
	if !reflect.DeepEqual(got, old) {
		t.Fatalf("announcement came back as %+v, want %+v", got, old)
	}
	if _, err := s.Announcement(ctx, tack.NewID()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("missing announcement: %v", err)
	}
	for _, x := range []circle.Announcement{old, pinned, fresh} {
		ok, err := s.PublishAnnouncement(ctx, x.ID, []tack.ID{admin, a})
		if err != nil || !ok {
			t.Fatalf("publish %s: %v %v", x.Title, ok, err)
		}
	}
	if ok, err := s.PublishAnnouncement(ctx, old.ID, []tack.ID{b}); err != nil || ok {
		t.Errorf("publishing twice: %v %v", ok, err)
	}
	if _, err := s.PublishAnnouncement(ctx, tack.NewID(), nil); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("publishing a missing one: %v", err)
	}
	titles := func(list []circle.Announcement, err error) []string {
		t.Helper()
		mustDo(t, err)
		out := []string{}
		for _, x := range list {
			out = append(out, x.Title)
		}
		return out
	}
	if got := titles(s.Announcements(ctx, orgID, a, false, 10)); !reflect.DeepEqual(got, []string{"pinned", "fresh", "old"}) {
		t.Errorf("a's list %v", got)
	}
	if got := titles(s.Announcements(ctx, orgID, b, false, 10)); len(got) != 0 {
		t.Errorf("b (no recipient) sees %v", got)
	}
	if got := titles(s.Announcements(ctx, orgID, b, true, 10)); !reflect.DeepEqual(got, []string{"pinned", "scheduled", "fresh", "old"}) {
		t.Errorf("all %v", got)
	}
	at := now()
	if ok, err := s.MarkRead(ctx, old.ID, a, at); err != nil || !ok {
		t.Errorf("MarkRead %v %v", ok, err)
	}
	if ok, err := s.MarkRead(ctx, old.ID, a, now()); err != nil || ok {
		t.Errorf("MarkRead twice %v %v", ok, err)
	}
	if ok, err := s.MarkRead(ctx, old.ID, b, now()); err != nil || ok {
		t.Errorf("MarkRead by a non-recipient %v %v", ok, err)
	}
	list, err := s.Announcements(ctx, orgID, a, false, 10)
	mustDo(t, err)
	for _, x := range list {
		if (x.ReadAt != nil) != (x.ID == old.ID) || x.ReadAt != nil && !x.ReadAt.Equal(at) {
			t.Errorf("%s read at %v", x.Title, x.ReadAt)
		}
	}
	mustDo(t, s.MarkNotified(ctx, old.ID, []tack.ID{a}))
	rs, err := s.Receipts(ctx, old.ID)
	mustDo(t, err)
	if len(rs) != 2 {
		t.Fatalf("receipts %+v", rs)
	}
	for _, r := range rs {
		if (r.UserID == a) != (r.ReadAt != nil) || (r.UserID == a) != r.Notified {
			t.Errorf("receipt %+v", r)
		}
	}
	mustDo(t, s.SetPinned(ctx, old.ID, true))
	if got := titles(s.Announcements(ctx, orgID, a, false, 2)); !reflect.DeepEqual(got, []string{"old", "pinned"}) {
		t.Errorf("after pinning old: %v", got)
	}
	mustDo(t, s.DeleteAnnouncement(ctx, old.ID))
	if err := s.DeleteAnnouncement(ctx, old.ID); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if rs, _ := s.Receipts(ctx, old.ID); len(rs) != 0 {
		t.Errorf("receipts outlived the announcement: %+v", rs)
	}
	_ = later
}

package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/media"
)

// TestCircleStore checks the contract of circle.Store: a moment
// round-trips with its audience and files, and pins its files against
// media's collector until it is deleted; Moments pages newest first by
// author, organisation, cursor and age; comments and likes are kept per
// moment and go with it; settings round-trip.
func TestCircleStore(t *testing.T, open func(t *testing.T) (account.Store, media.Store, circle.Store)) {
	ctx := context.Background()
	as, ms, s := open(t)
	alice, bob, carol := newUser(t, as, "Alice").ID, newUser(t, as, "Bob").ID, newUser(t, as, "Carol").ID
	orgID := tack.NewID()

	base := now().UTC()
	fi := media.FileInfo{ID: tack.NewID(), UploaderID: alice, Kind: media.Image, Name: "花.jpg", Size: 10, MIME: "image/jpeg",
		SHA256: "circle-" + string(tack.NewID()), Width: 4, Height: 3, CreatedAt: base.Add(-time.Hour)}
	fi, err := ms.CreateFile(ctx, fi, media.Blob{SHA256: fi.SHA256, Key: "f/" + fi.SHA256, Size: 10})
	mustDo(t, err)

	mk := func(author tack.ID, aud circle.Audience, text string, files ...chat.Attachment) circle.Moment {
		t.Helper()
		m := circle.Moment{ID: tack.NewID(), AuthorID: author, Text: text, Audience: aud, Files: files, CreatedAt: now()}
		if m.Files == nil {
			m.Files = []chat.Attachment{}
		}
		mustDo(t, s.CreateMoment(ctx, m))
		m.CreatedAt = m.CreatedAt.UTC()
		return m
	}
	m1 := mk(alice, circle.Audience{Type: circle.Only, UserIDs: []tack.ID{bob}}, "春天 spring", fi.Attachment())
	m2 := mk(bob, circle.Audience{Type: circle.Friends}, "bob's")
	m3 := mk(carol, circle.Audience{Type: circle.Colleagues, OrgID: orgID}, "同事圈")
	m4 := mk(alice, circle.Audience{Type: circle.Private}, "mine")

	got, err := s.Moment(ctx, m1.ID)
	mustDo(t, err)
	if !reflect.DeepEqual(got, m1) || got.CreatedAt.Location() != time.UTC {
		t.Fatalf("moment came back as %+v, want %+v", got, m1)
	}
	if _, err := s.Moment(ctx, tack.NewID()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("missing moment: %v", err)
	}
	// The file is pinned: media's collector leaves it.
	if ids, err := ms.Unreferenced(ctx, base.Add(time.Hour), 100); err != nil || contains(ids, fi.ID) {
		t.Errorf("Unreferenced = %v, %v: a moment's file was not pinned", ids, err)
	}

	list := func(q circle.Query) []tack.ID {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 10
		}
		ms, err := s.Moments(ctx, q)
		mustDo(t, err)
		out := []tack.ID{}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	check := func(what string, got, want []tack.ID) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("timeline of alice+bob in org", list(circle.Query{Authors: []tack.ID{alice, bob}, Orgs: []tack.ID{orgID}}), []tack.ID{m4.ID, m3.ID, m2.ID, m1.ID})
	check("timeline without orgs", list(circle.Query{Authors: []tack.ID{alice, bob, carol}}), []tack.ID{m4.ID, m2.ID, m1.ID})
	check("timeline of the org only", list(circle.Query{Orgs: []tack.ID{orgID}}), []tack.ID{m3.ID})
	check("page 1", list(circle.Query{Authors: []tack.ID{alice, bob}, Orgs: []tack.ID{orgID}, Limit: 2}), []tack.ID{m4.ID, m3.ID})
	check("page 2", list(circle.Query{Authors: []tack.ID{alice, bob}, Orgs: []tack.ID{orgID}, Before: m3.ID, Limit: 2}), []tack.ID{m2.ID, m1.ID})
	check("profile of carol", list(circle.Query{Authors: []tack.ID{carol}, ByAuthorOnly: true}), []tack.ID{m3.ID})
	check("profile since", list(circle.Query{Authors: []tack.ID{alice}, ByAuthorOnly: true, Since: m4.CreatedAt}), []tack.ID{m4.ID})
	check("nobody", list(circle.Query{}), []tack.ID{})

	at := now()
	mustDo(t, s.EditMoment(ctx, m1.ID, "edited", at))
	got, err = s.Moment(ctx, m1.ID)
	mustDo(t, err)
	if got.Text != "edited" || got.EditedAt == nil || !got.EditedAt.Equal(at) {
		t.Errorf("edited moment %+v", got)
	}
	if err := s.EditMoment(ctx, tack.NewID(), "x", at); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("EditMoment of a missing moment: %v", err)
	}

	c1 := circle.Comment{ID: tack.NewID(), MomentID: m1.ID, AuthorID: bob, Text: "好看", CreatedAt: now().UTC()}
	c2 := circle.Comment{ID: tack.NewID(), MomentID: m1.ID, AuthorID: alice, ReplyTo: bob, Text: "谢谢", CreatedAt: now().UTC()}
	c3 := circle.Comment{ID: tack.NewID(), MomentID: m2.ID, AuthorID: alice, Text: "hi", CreatedAt: now().UTC()}
	for _, c := range []circle.Comment{c1, c2, c3} {
		mustDo(t, s.AddComment(ctx, c))
	}
	if err := s.AddComment(ctx, circle.Comment{ID: tack.NewID(), MomentID: tack.NewID(), AuthorID: bob, Text: "x", CreatedAt: now()}); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("comment on a missing moment: %v", err)
	}
	cs, err := s.Comments(ctx, []tack.ID{m1.ID, m2.ID})
	mustDo(t, err)
	if !reflect.DeepEqual(cs, []circle.Comment{c1, c2, c3}) {
		t.Errorf("Comments = %+v", cs)
	}
	if n, err := s.CountComments(ctx, m1.ID); n != 2 || err != nil {
		t.Errorf("CountComments = %d, %v", n, err)
	}
	if c, err := s.Comment(ctx, c2.ID); err != nil || c != c2 {
		t.Errorf("Comment = %+v, %v", c, err)
	}
	mustDo(t, s.DeleteComment(ctx, c3.ID))
	if err := s.DeleteComment(ctx, c3.ID); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("DeleteComment twice: %v", err)
	}

	like := func(m, u tack.ID, on, want bool) {
		t.Helper()
		ok, err := s.SetLike(ctx, circle.Like{MomentID: m, UserID: u, CreatedAt: now()}, on)
		if err != nil || ok != want {
			t.Errorf("SetLike(%v) = %v, %v; want %v", on, ok, err, want)
		}
	}
	like(m1.ID, bob, true, true)
	like(m1.ID, bob, true, false)
	like(m1.ID, carol, true, true)
	like(m1.ID, carol, false, true)
	like(m1.ID, carol, false, false)
	like(m2.ID, alice, true, true)
	if _, err := s.SetLike(ctx, circle.Like{MomentID: tack.NewID(), UserID: bob, CreatedAt: now()}, true); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("like of a missing moment: %v", err)
	}
	ls, err := s.Likes(ctx, []tack.ID{m1.ID})
	mustDo(t, err)
	if len(ls) != 1 || ls[0].UserID != bob || ls[0].CreatedAt.Location() != time.UTC {
		t.Errorf("Likes = %+v", ls)
	}

	// Deleting takes the likes, comments and the file's pin with it.
	mustDo(t, s.DeleteMoment(ctx, m1.ID))
	if _, err := s.Moment(ctx, m1.ID); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("deleted moment: %v", err)
	}
	if err := s.DeleteMoment(ctx, m1.ID); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("DeleteMoment twice: %v", err)
	}
	if cs, _ := s.Comments(ctx, []tack.ID{m1.ID}); len(cs) != 0 {
		t.Errorf("comments outlived their moment: %+v", cs)
	}
	if ls, _ := s.Likes(ctx, []tack.ID{m1.ID, m2.ID}); len(ls) != 1 || ls[0].MomentID != m2.ID {
		t.Errorf("likes after delete: %+v", ls)
	}
	if ids, err := ms.Unreferenced(ctx, base.Add(time.Hour), 100); err != nil || !contains(ids, fi.ID) {
		t.Errorf("Unreferenced = %v, %v: the deleted moment's file is still pinned", ids, err)
	}

	set, err := s.Settings(ctx, alice)
	mustDo(t, err)
	if set.UserID != alice || set.VisibleDays != 0 {
		t.Errorf("default settings %+v", set)
	}
	at = now().UTC()
	mustDo(t, s.PutSettings(ctx, circle.Settings{UserID: alice, VisibleDays: 3, UpdatedAt: at}))
	mustDo(t, s.PutSettings(ctx, circle.Settings{UserID: alice, VisibleDays: 180, UpdatedAt: at}))
	if set, err := s.Settings(ctx, alice); err != nil || set.VisibleDays != 180 || !set.UpdatedAt.Equal(at) {
		t.Errorf("settings %+v, %v", set, err)
	}

	testFriendTags(t, s, alice, bob, carol)
	testTimelinePages(t, as, s)
}

// testTimelinePages: paging a timeline of many sources (authors outside
// circles and organisations' circles, each with its own number of moments,
// interleaved in time) by small pages yields every moment once, newest
// first, whatever the page size; an author's circle moments come only
// through their organisation.
func testTimelinePages(t *testing.T, as account.Store, s circle.Store) {
	ctx := context.Background()
	var authors []tack.ID
	for i := range 8 {
		authors = append(authors, newUser(t, as, "Pager "+string(rune('A'+i))).ID)
	}
	orgA, orgB := tack.NewID(), tack.NewID()
	var want []tack.ID
	base := now().UTC()
	for i := range 60 {
		a := authors[(i*i+3*i)%len(authors)]
		if i%7 == 0 {
			a = authors[0] // one prolific author
		}
		aud := circle.Audience{Type: circle.Friends}
		switch {
		case i%11 == 0:
			aud = circle.Audience{Type: circle.Colleagues, OrgID: orgA}
		case i%13 == 0:
			aud = circle.Audience{Type: circle.Colleagues, OrgID: orgB}
		}
		m := circle.Moment{ID: tack.NewID(), AuthorID: a, Text: "p", Audience: aud, Files: []chat.Attachment{}, CreatedAt: base.Add(time.Duration(i) * time.Second)}
		mustDo(t, s.CreateMoment(ctx, m))
		if aud.OrgID != orgB { // the reader is in orgA only
			want = append(want, m.ID)
		}
	}
	slices.Reverse(want)
	for _, limit := range []int{1, 3, 7, 20, 100} {
		var got []tack.ID
		q := circle.Query{Authors: authors, Orgs: []tack.ID{orgA}, Limit: limit}
		for range len(want) + 2 {
			ms, err := s.Moments(ctx, q)
			mustDo(t, err)
			for _, m := range ms {
				got = append(got, m.ID)
			}
			if len(ms) < limit {
				break
			}
			q.Before = ms[len(ms)-1].ID
		}
		if !slices.Equal(got, want) {
			t.Errorf("pages of %d: %d moments, want %d, newest first (got %v, want %v)", limit, len(got), len(want), got, want)
		}
	}
}

// testFriendTags: tags round-trip with their members, list by name per
// owner, replace by ID (a rename keeps the ID), refuse a second tag of one
// owner's name (another owner may use it), and delete.
func testFriendTags(t *testing.T, s circle.Store, alice, bob, carol tack.ID) {
	ctx := context.Background()
	if ts, err := s.Tags(ctx, alice); err != nil || ts == nil || len(ts) != 0 {
		t.Fatalf("no tags yet: %+v, %v", ts, err)
	}
	at := now().UTC()
	family := circle.Tag{ID: tack.NewID(), OwnerID: alice, Name: "家人", UserIDs: []tack.ID{bob, carol}, UpdatedAt: at}
	work := circle.Tag{ID: tack.NewID(), OwnerID: alice, Name: "Work", UserIDs: []tack.ID{}, UpdatedAt: at}
	mustDo(t, s.PutTag(ctx, family))
	mustDo(t, s.PutTag(ctx, work))
	mustDo(t, s.PutTag(ctx, circle.Tag{ID: tack.NewID(), OwnerID: bob, Name: "家人", UserIDs: []tack.ID{alice}, UpdatedAt: at}))
	got, err := s.Tag(ctx, family.ID)
	mustDo(t, err)
	if !reflect.DeepEqual(got, family) || got.UpdatedAt.Location() != time.UTC {
		t.Errorf("tag came back as %+v, want %+v", got, family)
	}
	if _, err := s.Tag(ctx, tack.NewID()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("missing tag: %v", err)
	}
	ts, err := s.Tags(ctx, alice)
	mustDo(t, err)
	if len(ts) != 2 || ts[0].ID != work.ID || ts[1].ID != family.ID {
		t.Errorf("alice's tags by name: %+v", ts)
	}
	clash := circle.Tag{ID: tack.NewID(), OwnerID: alice, Name: "家人", UserIDs: []tack.ID{}, UpdatedAt: at}
	if err := s.PutTag(ctx, clash); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("a second tag named 家人: %v, want conflict", err)
	}
	renamed := work
	renamed.Name, renamed.UserIDs = "同事", []tack.ID{carol}
	mustDo(t, s.PutTag(ctx, renamed))
	if got, err := s.Tag(ctx, work.ID); err != nil || !reflect.DeepEqual(got, renamed) {
		t.Errorf("replaced tag %+v, %v; want %+v", got, err, renamed)
	}
	if err := s.PutTag(ctx, circle.Tag{ID: work.ID, OwnerID: alice, Name: "家人", UserIDs: []tack.ID{}, UpdatedAt: at}); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("renaming onto another tag's name: %v, want conflict", err)
	}
	mustDo(t, s.DeleteTag(ctx, family.ID))
	if err := s.DeleteTag(ctx, family.ID); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
	if ts, err := s.Tags(ctx, alice); err != nil || len(ts) != 1 || ts[0].Name != "同事" {
		t.Errorf("after delete: %+v, %v", ts, err)
	}
	if ts, err := s.Tags(ctx, bob); err != nil || len(ts) != 1 {
		t.Errorf("bob's tags: %+v, %v", ts, err)
	}
}

func contains(ids []tack.ID, id tack.ID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

package circle

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/tacktest/logbuf"
)

// Live hints of a new moment go to its audience, the author first, at
// most MaxHints people; 5000 when MaxHints is unset (0 or less).
func TestHintsCappedAtMaxHints(t *testing.T) {
	me, bob, carol := tack.NewID(), tack.NewID(), tack.NewID()
	g := graph{friends: map[tack.ID][]tack.ID{me: {bob, carol}}}
	for _, c := range []struct {
		name string
		max  int
		want []tack.ID
	}{
		{"unset", 0, []tack.ID{me, bob, carol}},
		{"negative", -1, []tack.ID{me, bob, carol}},
		{"two", 2, []tack.ID{me, bob}},
	} {
		s := NewService(&tagStore{tags: map[tack.ID]Tag{}}, g, nil, nil, fixedClock(time.Now()), Config{MaxHints: c.max})
		got, err := s.audienceOf(context.Background(), Moment{AuthorID: me, Audience: Audience{Type: Friends}})
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
}

type rmFailingBus struct{}

func (rmFailingBus) Publish(context.Context, *bus.Event) error { return errors.New("bus down") }

// The Service logs to Config.Logger when one is set: a failed publish of
// a hint is reported there.
func TestSetLoggerIsUsed(t *testing.T) {
	var lw logbuf.Buffer
	s := NewService(&tagStore{tags: map[tack.ID]Tag{}}, graph{}, nil, rmFailingBus{}, fixedClock(time.Now()),
		Config{Logger: slog.New(slog.NewTextHandler(&lw, nil))})
	me := tack.NewID()
	s.publish(context.Background(), []tack.ID{me}, "posted", Moment{ID: tack.NewID(), AuthorID: me}, me)
	if !bytes.Contains([]byte(lw.String()), []byte("bus down")) {
		t.Fatalf("logged %q", lw.String())
	}
}

// Audience shapes: friends, private and except audiences may name nobody
// and carry no tags; an only audience needs a friend or a tag holding
// one, and a tag alone is enough.
func TestAudienceShapes(t *testing.T) {
	me, bob, carol := tack.NewID(), tack.NewID(), tack.NewID()
	v := newViewer(me, []tack.ID{bob, carol}, nil, nil)
	for _, c := range []struct {
		name   string
		a      Audience
		tagged []tack.ID
		err    string // "" valid, else words of the error
	}{
		{"friends", Audience{Type: Friends}, nil, ""},
		{"private", Audience{Type: Private}, nil, ""},
		{"except nobody", Audience{Type: Except}, nil, ""},
		{"except nobody, empty tag list", Audience{Type: Except, TagIDs: []tack.ID{}}, nil, ""},
		{"only a tag", Audience{Type: Only, TagIDs: []tack.ID{tack.NewID()}}, []tack.ID{bob}, ""},
		{"only nobody", Audience{Type: Only}, nil, "name at least one friend or tag"},
		{"friends with a tag", Audience{Type: Friends, TagIDs: []tack.ID{tack.NewID()}}, nil, "tags are for an only or except audience"},
	} {
		got, err := validAudience(c.a, me, v, c.tagged)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.err != "" && (tack.ErrorCode(err) != tack.EInvalid || !bytes.Contains([]byte(err.Error()), []byte(c.err))):
			t.Errorf("%s: %v, want invalid: %s", c.name, err, c.err)
		case c.err == "" && len(c.a.TagIDs) == 0 && got.TagIDs != nil:
			t.Errorf("%s: an audience without tags carries tag_ids %#v", c.name, got.TagIDs)
		}
	}
}

// A tag holds at most MaxAudience friends, inclusive.
func TestTagMembersUpToMaxAudience(t *testing.T) {
	me := tack.NewID()
	friends := make([]tack.ID, MaxAudience+1)
	for i := range friends {
		friends[i] = tack.NewID()
	}
	v := newViewer(me, friends, nil, nil)
	if got, err := validMembers(friends[:MaxAudience], v); err != nil || len(got) != MaxAudience {
		t.Errorf("%d members: %d, %v", MaxAudience, len(got), err)
	}
	if _, err := validMembers(friends, v); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("%d members: %v", MaxAudience+1, err)
	}
}

// An audience names at most MaxTags tags, inclusive.
func TestAudienceTagsUpToMaxTags(t *testing.T) {
	me, bob := tack.NewID(), tack.NewID()
	st := &tagStore{tags: map[tack.ID]Tag{}}
	s := NewService(st, graph{}, nil, nil, fixedClock(time.Now()), Config{})
	ids := make([]tack.ID, MaxTags+1)
	for i := range ids {
		ids[i] = tack.NewID()
		st.PutTag(context.Background(), Tag{ID: ids[i], OwnerID: me, Name: "t" + strconv.Itoa(i), UserIDs: []tack.ID{bob}})
	}
	v := newViewer(me, []tack.ID{bob}, nil, nil)
	if got, err := s.tagged(as(me), me, ids[:MaxTags], v); err != nil || !slices.Equal(got, []tack.ID{bob}) {
		t.Errorf("%d tags: %v, %v", MaxTags, got, err)
	}
	if _, err := s.tagged(as(me), me, ids, v); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("%d tags: %v", MaxTags+1, err)
	}
}

// rmFailingDelete fails DeleteTag with a store error.
type rmFailingDelete struct{ *tagStore }

func (rmFailingDelete) DeleteTag(context.Context, tack.ID) error { return errors.New("disk on fire") }

// DeleteTag reports a store failure (it does not claim success).
func TestDeleteTagStoreFailure(t *testing.T) {
	me := tack.NewID()
	st := &tagStore{tags: map[tack.ID]Tag{}}
	id := tack.NewID()
	st.PutTag(context.Background(), Tag{ID: id, OwnerID: me, Name: "t", UserIDs: []tack.ID{}})
	s := NewService(rmFailingDelete{st}, graph{}, nil, nil, fixedClock(time.Now()), Config{})
	if err := s.DeleteTag(as(me), id); err == nil || err.Error() != "disk on fire" {
		t.Fatalf("delete with a failing store: %v", err)
	}
}

// In a colleagues circle, people are seen (in likes and comments) when
// they are active colleagues in its organisation, friends or not.
func TestColleaguesSeenInTheirCircle(t *testing.T) {
	me, author, colleague := tack.NewID(), tack.NewID(), tack.NewID()
	org := tack.NewID()
	v := newViewer(me, []tack.ID{author}, nil, []tack.ID{org})
	v.orgsOf[colleague] = []tack.ID{org}
	m := Moment{AuthorID: author, Audience: Audience{Type: Colleagues, OrgID: org}}
	if !v.seesPerson(m, colleague) {
		t.Error("a colleague in a colleagues circle is not seen")
	}
	m.Audience = Audience{Type: Friends}
	if v.seesPerson(m, colleague) {
		t.Error("a colleague, not a friend, is seen in a friends circle")
	}
}

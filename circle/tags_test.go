package circle

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/limit"
)

// tagStore keeps tags in memory (the rest of Store is not used here).
type tagStore struct {
	Store
	mu   sync.Mutex
	tags map[tack.ID]Tag
}

func (s *tagStore) Tags(_ context.Context, owner tack.ID) ([]Tag, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Tag{}
	for _, t := range s.tags {
		if t.OwnerID == owner {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Tag) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *tagStore) Tag(_ context.Context, id tack.ID) (Tag, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tags[id]
	if !ok {
		return Tag{}, tack.ErrNotFound
	}
	return t, nil
}

func (s *tagStore) PutTag(_ context.Context, t Tag) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tags[t.ID] = t
	return nil
}

func (s *tagStore) DeleteTag(_ context.Context, id tack.ID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tags[id]; !ok {
		return tack.ErrNotFound
	}
	delete(s.tags, id)
	return nil
}

// graph is a friend graph for People.
type graph struct {
	friends map[tack.ID][]tack.ID
}

func (g graph) Ties(_ context.Context, id tack.ID) ([]tack.ID, []tack.ID, error) {
	return g.friends[id], nil, nil
}
func (g graph) ActiveOrgs(context.Context, []tack.ID) (map[tack.ID][]tack.ID, error) {
	return map[tack.ID][]tack.ID{}, nil
}
func (g graph) OrgMembers(context.Context, tack.ID, int) ([]tack.ID, error) { return nil, nil }

func fixedClock(t time.Time) tack.Clock { return func() time.Time { return t } }

func as(id tack.ID) context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: id})
}

func code(err error) string { return tack.ErrorCode(err) }

// TestTags: a person's tags hold only their friends, have unique
// one-line names of at most 32 characters, are theirs alone (404 to
// others), and drop members who stopped being friends.
func TestTags(t *testing.T) {
	me, bob, carol, dan, eve := tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID()
	g := graph{friends: map[tack.ID][]tack.ID{me: {bob, carol, dan}, eve: {me}}}
	st := &tagStore{tags: map[tack.ID]Tag{}}
	s := NewService(st, g, nil, nil, fixedClock(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)), Config{})
	ctx := as(me)
	str := func(s string) *string { return &s }
	ids := func(l ...tack.ID) *[]tack.ID { return &l }

	fam, err := s.CreateTag(ctx, TagInput{Name: str("  家人 "), UserIDs: ids(bob, carol, bob)})
	if err != nil {
		t.Fatal(err)
	}
	if fam.Name != "家人" || !slices.Equal(fam.UserIDs, []tack.ID{bob, carol}) || fam.OwnerID != me || fam.UpdatedAt.IsZero() {
		t.Fatalf("created %+v", fam)
	}
	for i, tc := range []struct {
		in   TagInput
		want string
	}{
		{TagInput{UserIDs: ids()}, tack.EInvalid},
		{TagInput{Name: str("x")}, tack.EInvalid},
		{TagInput{Name: str(" "), UserIDs: ids()}, tack.EInvalid},
		{TagInput{Name: str("a\nb"), UserIDs: ids()}, tack.EInvalid},
		{TagInput{Name: str("a\x01"), UserIDs: ids()}, tack.EInvalid},
		{TagInput{Name: str(strings.Repeat("字", MaxTagName+1)), UserIDs: ids()}, tack.ETooLarge},
		{TagInput{Name: str("x"), UserIDs: ids(eve)}, tack.EInvalid}, // eve befriended me, not I her
		{TagInput{Name: str("x"), UserIDs: ids(me)}, tack.EInvalid},
		{TagInput{Name: str("x"), UserIDs: ids("nope")}, tack.EInvalid},
		{TagInput{Name: str("家人"), UserIDs: ids()}, tack.EConflict},
	} {
		if _, err := s.CreateTag(ctx, tc.in); code(err) != tc.want {
			t.Errorf("case %d: %v, want %s", i, err, tc.want)
		}
	}
	if _, err := s.CreateTag(ctx, TagInput{Name: str(strings.Repeat("字", MaxTagName)), UserIDs: ids()}); err != nil {
		t.Errorf("a name of %d characters: %v", MaxTagName, err)
	}
	many := make([]tack.ID, MaxAudience+1)
	if _, err := s.CreateTag(ctx, TagInput{Name: str("many"), UserIDs: &many}); code(err) != tack.ETooLarge {
		t.Errorf("%d members: %v", len(many), err)
	}

	// Rename keeps members; replacing members keeps the name.
	up, err := s.UpdateTag(ctx, fam.ID, TagInput{Name: str("Family")})
	if err != nil || up.Name != "Family" || !slices.Equal(up.UserIDs, fam.UserIDs) || up.ID != fam.ID {
		t.Fatalf("renamed: %+v, %v", up, err)
	}
	if up, err = s.UpdateTag(ctx, fam.ID, TagInput{UserIDs: ids(dan)}); err != nil || up.Name != "Family" || !slices.Equal(up.UserIDs, []tack.ID{dan}) {
		t.Fatalf("members replaced: %+v, %v", up, err)
	}
	if _, err := s.UpdateTag(ctx, fam.ID, TagInput{Name: str(strings.Repeat("字", MaxTagName))}); code(err) != tack.EConflict {
		t.Errorf("renamed onto another tag: %v", err)
	}

	// Someone else's tag is not there for them.
	other := as(bob)
	if _, err := s.UpdateTag(other, fam.ID, TagInput{Name: str("mine")}); code(err) != tack.ENotFound {
		t.Errorf("bob changing my tag: %v", err)
	}
	if err := s.DeleteTag(other, fam.ID); code(err) != tack.ENotFound {
		t.Errorf("bob deleting my tag: %v", err)
	}
	if ts, err := s.Tags(other); err != nil || len(ts) != 0 {
		t.Errorf("bob's tags: %+v, %v", ts, err)
	}
	if _, err := s.Tags(context.Background()); code(err) != tack.EUnauthorized {
		t.Errorf("signed out: %v", err)
	}

	// Dan stops being a friend: he drops out of what the tag holds.
	g.friends[me] = []tack.ID{bob, carol}
	ts, err := s.Tags(ctx)
	if err != nil || len(ts) != 2 || ts[0].Name != "Family" || len(ts[0].UserIDs) != 0 {
		t.Errorf("tags after unfriending: %+v, %v", ts, err)
	}
	if got, err := s.tagged(ctx, me, []tack.ID{fam.ID}, newViewer(me, g.friends[me], nil, nil)); err != nil || len(got) != 0 {
		t.Errorf("tagged after unfriending: %v, %v", got, err)
	}

	if err := s.DeleteTag(ctx, fam.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTag(ctx, fam.ID); code(err) != tack.ENotFound {
		t.Errorf("deleted twice: %v", err)
	}
	if err := s.DeleteTag(ctx, "bad"); code(err) != tack.ENotFound {
		t.Errorf("a bad ID: %v", err)
	}
}

// TestTagLimit: a person keeps at most MaxTags tags.
func TestTagLimit(t *testing.T) {
	me := tack.NewID()
	st := &tagStore{tags: map[tack.ID]Tag{}}
	s := NewService(st, graph{}, nil, nil, fixedClock(time.Now()), Config{PostLimit: &limit.Keyed{Rate: 1000, Burst: 1000}})
	ctx := as(me)
	for i := range MaxTags {
		n := "t" + strings.Repeat("x", i%30) + string(rune('A'+i/30))
		if _, err := s.CreateTag(ctx, TagInput{Name: &n, UserIDs: &[]tack.ID{}}); err != nil {
			t.Fatalf("tag %d: %v", i, err)
		}
	}
	n := "one more"
	if _, err := s.CreateTag(ctx, TagInput{Name: &n, UserIDs: &[]tack.ID{}}); code(err) != tack.ETooLarge {
		t.Errorf("tag %d: %v", MaxTags+1, err)
	}
	// Changing one of them is still fine.
	ts, _ := s.Tags(ctx)
	if _, err := s.UpdateTag(ctx, ts[0].ID, TagInput{Name: &n}); err != nil {
		t.Errorf("renaming at the limit: %v", err)
	}
}

// TestTaggedAudience: tags resolve to the friends they hold, for only and
// except audiences alone; another's tag, a missing one or one listed twice
// is refused; an only audience whose tags hold nobody is refused.
func TestTaggedAudience(t *testing.T) {
	me, bob, carol, dan := tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID()
	g := graph{friends: map[tack.ID][]tack.ID{me: {bob, carol, dan}, bob: {me}}}
	st := &tagStore{tags: map[tack.ID]Tag{}}
	s := NewService(st, g, nil, nil, fixedClock(time.Now()), Config{})
	ctx := as(me)
	str := func(s string) *string { return &s }
	t1, err := s.CreateTag(ctx, TagInput{Name: str("a"), UserIDs: &[]tack.ID{bob, carol}})
	if err != nil {
		t.Fatal(err)
	}
	empty, err := s.CreateTag(ctx, TagInput{Name: str("empty"), UserIDs: &[]tack.ID{}})
	if err != nil {
		t.Fatal(err)
	}
	bobs, err := s.CreateTag(as(bob), TagInput{Name: str("b"), UserIDs: &[]tack.ID{me}})
	if err != nil {
		t.Fatal(err)
	}
	v := newViewer(me, g.friends[me], nil, nil)
	resolve := func(a Audience) (Audience, error) {
		tagged, err := s.tagged(ctx, me, a.TagIDs, v)
		if err != nil {
			return Audience{}, err
		}
		return validAudience(a, me, v, tagged)
	}
	got, err := resolve(Audience{Type: Only, UserIDs: []tack.ID{carol, dan}, TagIDs: []tack.ID{t1.ID}})
	if err != nil || !slices.Equal(got.UserIDs, []tack.ID{carol, dan, bob}) || !slices.Equal(got.TagIDs, []tack.ID{t1.ID}) {
		t.Errorf("only with a tag: %+v, %v", got, err)
	}
	got, err = resolve(Audience{Type: Except, TagIDs: []tack.ID{t1.ID, empty.ID}})
	if err != nil || !slices.Equal(got.UserIDs, []tack.ID{bob, carol}) {
		t.Errorf("except with tags: %+v, %v", got, err)
	}
	m := Moment{AuthorID: me, Audience: got}
	for id, want := range map[tack.ID]bool{bob: false, carol: false, dan: true} {
		if newViewer(id, []tack.ID{me}, nil, nil).mayView(m) != want {
			t.Errorf("except-tagged moment: %s sees it = %v", id, !want)
		}
	}
	for i, tc := range []struct {
		a    Audience
		want string
	}{
		{Audience{Type: Only, TagIDs: []tack.ID{empty.ID}}, tack.EInvalid},
		{Audience{Type: Only, TagIDs: []tack.ID{bobs.ID}}, tack.EInvalid},
		{Audience{Type: Only, TagIDs: []tack.ID{tack.NewID()}}, tack.EInvalid},
		{Audience{Type: Only, TagIDs: []tack.ID{"bad"}}, tack.EInvalid},
		{Audience{Type: Only, TagIDs: []tack.ID{t1.ID, t1.ID}}, tack.EInvalid},
		{Audience{Type: Friends, TagIDs: []tack.ID{t1.ID}}, tack.EInvalid},
		{Audience{Type: Private, TagIDs: []tack.ID{t1.ID}}, tack.EInvalid},
		{Audience{Type: Only, TagIDs: make([]tack.ID, MaxTags+1)}, tack.ETooLarge},
		{Audience{Type: Only}, tack.EInvalid},
	} {
		if _, err := resolve(tc.a); code(err) != tc.want {
			t.Errorf("case %d: %v, want %s", i, err, tc.want)
		}
	}
	// The union of tags and listed friends is bounded.
	var lots []tack.ID
	for range MaxAudience {
		lots = append(lots, tack.NewID())
	}
	big := newViewer(me, append(lots, bob), nil, nil)
	if _, err := validAudience(Audience{Type: Only, UserIDs: lots, TagIDs: []tack.ID{t1.ID}}, me, big, []tack.ID{bob}); code(err) != tack.ETooLarge {
		t.Errorf("%d people: %v", MaxAudience+1, err)
	}
	if a, err := validAudience(Audience{Type: Only, UserIDs: lots}, me, big, nil); err != nil || len(a.UserIDs) != MaxAudience || a.TagIDs != nil {
		t.Errorf("%d people: %v", MaxAudience, err)
	}
}

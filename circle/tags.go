package circle

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tackhq/tack"
)

// Friend tags (标签) are a person's own names over some of their friends.
// Only the owner sees them; a moment's audience of type Only or Except may
// name them (Audience.TagIDs), and they stand for the friends they hold
// when the moment is posted. A tag keeps only friends: the members are
// checked when it is set, and whoever stopped being a friend since drops
// out when it is read.

// TagInput sets a tag; a nil field stays as it was (both are required to
// create one).
type TagInput struct {
	Name    *string    `json:"name"`
	UserIDs *[]tack.ID `json:"user_ids"`
}

var errNoTag = tack.Errorf(tack.ENotFound, "no such tag")

// validTagName trims a tag's name and checks it: 1 to MaxTagName
// characters, no control characters.
func validTagName(name string) (string, error) {
	name, err := validText("name", name, MaxTagName)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", tack.Invalid("name", "a tag needs a name")
	}
	for _, r := range name {
		if r == '\n' || r == '\t' {
			return "", tack.Invalid("name", "a tag's name is one line")
		}
	}
	return name, nil
}

// validMembers checks a tag's members: friends of the owner, each once,
// at most MaxAudience.
func validMembers(ids []tack.ID, v *viewer) ([]tack.ID, error) {
	if len(ids) > MaxAudience {
		return nil, tack.Errorf(tack.ETooLarge, "user_ids: at most %d", MaxAudience)
	}
	out := []tack.ID{}
	for _, id := range ids {
		if !id.Valid() || id == v.me || !v.friend[id] {
			return nil, tack.Invalid("user_ids", "%q is not one of your friends", id)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// current drops from t those who are no longer v's friends.
func current(t Tag, v *viewer) Tag {
	ids := make([]tack.ID, 0, len(t.UserIDs))
	for _, id := range t.UserIDs {
		if v.friend[id] {
			ids = append(ids, id)
		}
	}
	t.UserIDs = ids
	return t
}

// Tags lists the caller's friend tags by name, each with those of its
// members who are still friends.
func (s *Service) Tags(ctx context.Context) ([]Tag, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return nil, err
	}
	ts, err := s.store.Tags(ctx, me)
	if err != nil {
		return nil, err
	}
	for i := range ts {
		ts[i] = current(ts[i], v)
	}
	return ts, nil
}

// myTag returns the caller's tag id, or errNoTag (also for another's).
func (s *Service) myTag(ctx context.Context, me, id tack.ID) (Tag, error) {
	if !id.Valid() {
		return Tag{}, errNoTag
	}
	t, err := s.store.Tag(ctx, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && t.OwnerID != me {
		return Tag{}, errNoTag
	}
	return t, err
}

// CreateTag creates a friend tag of the caller's; name and user_ids are
// required (user_ids may be empty).
func (s *Service) CreateTag(ctx context.Context, in TagInput) (Tag, error) {
	me, err := caller(ctx)
	if err != nil {
		return Tag{}, err
	}
	if in.Name == nil {
		return Tag{}, tack.Invalid("name", "name is required")
	}
	if in.UserIDs == nil {
		return Tag{}, tack.Invalid("user_ids", "user_ids is required")
	}
	t := Tag{ID: tack.NewID(), OwnerID: me}
	return s.putTag(ctx, me, t, in, true)
}

// UpdateTag renames a tag of the caller's or replaces its members.
func (s *Service) UpdateTag(ctx context.Context, id tack.ID, in TagInput) (Tag, error) {
	me, err := caller(ctx)
	if err != nil {
		return Tag{}, err
	}
	t, err := s.myTag(ctx, me, id)
	if err != nil {
		return Tag{}, err
	}
	return s.putTag(ctx, me, t, in, false)
}

func (s *Service) putTag(ctx context.Context, me tack.ID, t Tag, in TagInput, isNew bool) (Tag, error) {
	if in.Name != nil {
		name, err := validTagName(*in.Name)
		if err != nil {
			return Tag{}, err
		}
		t.Name = name
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return Tag{}, err
	}
	if in.UserIDs != nil {
		if t.UserIDs, err = validMembers(*in.UserIDs, v); err != nil {
			return Tag{}, err
		}
	}
	t = current(t, v)
	mine, err := s.store.Tags(ctx, me)
	if err != nil {
		return Tag{}, err
	}
	if isNew && len(mine) >= MaxTags {
		return Tag{}, tack.Errorf(tack.ETooLarge, "you have %d tags, the most one keeps", MaxTags)
	}
	for _, o := range mine {
		if o.ID != t.ID && o.Name == t.Name {
			return Tag{}, tack.Errorf(tack.EConflict, "you have a tag named %q", t.Name)
		}
	}
	if err := s.limited(me); err != nil {
		return Tag{}, err
	}
	t.UpdatedAt = s.clock.Now().UTC().Truncate(time.Microsecond)
	if err := s.store.PutTag(ctx, t); err != nil {
		return Tag{}, err
	}
	return t, nil
}

// DeleteTag deletes a tag of the caller's; moments posted to it keep
// their audience.
func (s *Service) DeleteTag(ctx context.Context, id tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	if _, err := s.myTag(ctx, me, id); err != nil {
		return err
	}
	if err := s.store.DeleteTag(ctx, id); errors.Is(err, tack.ErrNotFound) {
		return errNoTag
	} else if err != nil {
		return err
	}
	return nil
}

// tagged resolves an audience's tags (the author's own, each once, at
// most MaxTags) to the friends they hold now.
func (s *Service) tagged(ctx context.Context, me tack.ID, tagIDs []tack.ID, v *viewer) ([]tack.ID, error) {
	if len(tagIDs) > MaxTags {
		return nil, tack.Errorf(tack.ETooLarge, "audience.tag_ids: at most %d", MaxTags)
	}
	var out []tack.ID
	seen := map[tack.ID]bool{}
	for _, id := range tagIDs {
		if seen[id] {
			return nil, tack.Invalid("audience.tag_ids", "%q is listed twice", id)
		}
		seen[id] = true
		t, err := s.myTag(ctx, me, id)
		if tack.ErrorCode(err) == tack.ENotFound {
			return nil, tack.Invalid("audience.tag_ids", "%q is not one of your tags", id)
		} else if err != nil {
			return nil, err
		}
		for _, u := range current(t, v).UserIDs {
			if !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

package org

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tackhq/tack"
)

// A user's own privacy settings, in one place: who may put them in a group,
// and whether anyone sees them online. The people a user "knows" here are
// colleagues (who share an organisation in which both are active members)
// and friends.

// Values of the settings.
const (
	Everyone             = "everyone"
	ColleaguesAndFriends = "colleagues_and_friends"
	Nobody               = "nobody"
)

// UserPrivacy is a user's own privacy settings.
type UserPrivacy struct {
	UserID tack.ID `json:"-"`
	// AddToGroups says who may put the user in a group, when it is made or
	// later: Everyone (whom chat rules let reach the user), ColleaguesAndFriends,
	// or Nobody. Someone refused gets tack.ERefused; no invitation is sent.
	AddToGroups string `json:"add_to_groups"`
	// ShowOnline says whether the user's online status is shown: Everyone
	// (that is, to colleagues and friends; nobody else ever sees it) or
	// Nobody.
	ShowOnline string    `json:"show_online"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// DefaultPrivacy is the settings of a user who never changed them.
var DefaultPrivacy = UserPrivacy{AddToGroups: Everyone, ShowOnline: Everyone}

// PrivacyStore keeps users' privacy settings.
type PrivacyStore interface {
	// UserPrivacy returns the settings of those of userIDs that have any
	// stored; the others have DefaultPrivacy.
	UserPrivacy(ctx context.Context, userIDs []tack.ID) (map[tack.ID]UserPrivacy, error)
	// SetUserPrivacy stores p.UserID's settings: each non-empty field of p
	// replaces the stored one, empty fields keep it (Everyone for a user
	// with no row yet), in one atomic statement, so that two changes of
	// different fields at once both hold.
	SetUserPrivacy(ctx context.Context, p UserPrivacy) error
}

// PrivacyInput changes settings; nil fields stay.
type PrivacyInput struct {
	AddToGroups *string
	ShowOnline  *string
}

func (s *Service) privacyOf(ctx context.Context, ids []tack.ID) (map[tack.ID]UserPrivacy, error) {
	stored, err := s.store.UserPrivacy(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("privacy settings: %w", err)
	}
	out := make(map[tack.ID]UserPrivacy, len(ids))
	for _, id := range ids {
		p, ok := stored[id]
		if !ok {
			p = DefaultPrivacy
			p.UserID = id
		}
		out[id] = p
	}
	return out, nil
}

// MyPrivacy returns the caller's privacy settings.
func (s *Service) MyPrivacy(ctx context.Context) (UserPrivacy, error) {
	me, err := caller(ctx)
	if err != nil {
		return UserPrivacy{}, err
	}
	ps, err := s.privacyOf(ctx, []tack.ID{me})
	if err != nil {
		return UserPrivacy{}, err
	}
	return ps[me], nil
}

// SetMyPrivacy changes the caller's privacy settings: only the fields
// given, so that two changes of different fields at once both hold.
func (s *Service) SetMyPrivacy(ctx context.Context, in PrivacyInput) (UserPrivacy, error) {
	me, err := caller(ctx)
	if err != nil {
		return UserPrivacy{}, err
	}
	p := UserPrivacy{UserID: me}
	if v := in.AddToGroups; v != nil {
		if !slices.Contains([]string{Everyone, ColleaguesAndFriends, Nobody}, *v) {
			return UserPrivacy{}, tack.Invalid("add_to_groups", `add_to_groups must be "everyone", "colleagues_and_friends" or "nobody"`)
		}
		p.AddToGroups = *v
	}
	if v := in.ShowOnline; v != nil {
		if *v != Everyone && *v != Nobody {
			return UserPrivacy{}, tack.Invalid("show_online", `show_online must be "everyone" or "nobody"`)
		}
		p.ShowOnline = *v
	}
	if p.AddToGroups == "" && p.ShowOnline == "" {
		return s.MyPrivacy(ctx)
	}
	p.UpdatedAt = s.clock.Now()
	if err := s.store.SetUserPrivacy(ctx, p); err != nil {
		return UserPrivacy{}, err
	}
	return s.MyPrivacy(ctx)
}

// ties says, for each of others, whether it shares an active
// organisation with user (colleague), is a friend, or is blocked by or
// blocks user.
type ties struct {
	colleague, friend, blocked map[tack.ID]bool
}

func (s *Service) tiesOf(ctx context.Context, user tack.ID, others []tack.ID) (ties, error) {
	t := ties{colleague: map[tack.ID]bool{}, friend: map[tack.ID]bool{}, blocked: map[tack.ID]bool{}}
	if len(others) == 0 {
		return t, nil
	}
	rs, err := s.store.RelationsAmong(ctx, user, others)
	if err != nil {
		return t, fmt.Errorf("relations: %w", err)
	}
	for _, r := range rs {
		other := r.OtherID
		if other == user {
			other = r.UserID
		}
		switch r.State {
		case Blocked:
			t.blocked[other] = true
		case Friend:
			t.friend[other] = true
		}
	}
	orgs, err := s.store.ActiveOrgsOf(ctx, append([]tack.ID{user}, others...))
	if err != nil {
		return t, fmt.Errorf("organisations: %w", err)
	}
	for _, o := range others {
		for _, id := range orgs[o] {
			if slices.Contains(orgs[user], id) {
				t.colleague[o] = true
				break
			}
		}
	}
	return t, nil
}

// GroupAddRefused returns those of ids whose settings refuse being put in
// a group by from (chat asks it when a group is made and when people are
// added). It does not judge who exists or blocks: chat.People does.
func (s *Service) GroupAddRefused(ctx context.Context, from tack.ID, ids []tack.ID) ([]tack.ID, error) {
	others := slices.DeleteFunc(slices.Clone(ids), func(id tack.ID) bool { return id == from })
	if len(others) == 0 {
		return nil, nil
	}
	ps, err := s.privacyOf(ctx, others)
	if err != nil {
		return nil, err
	}
	var picky []tack.ID
	var refused []tack.ID
	for _, id := range others {
		switch ps[id].AddToGroups {
		case Nobody:
			refused = append(refused, id)
		case ColleaguesAndFriends:
			picky = append(picky, id)
		}
	}
	if len(picky) > 0 {
		t, err := s.tiesOf(ctx, from, picky)
		if err != nil {
			return nil, err
		}
		for _, id := range picky {
			if !t.colleague[id] && !t.friend[id] {
				refused = append(refused, id)
			}
		}
	}
	return refused, nil
}

// OnlineVisible returns those of ids whose online status viewer may see:
// themselves, and colleagues and friends who show it and between whom and
// viewer there is no block either way.
func (s *Service) OnlineVisible(ctx context.Context, viewer tack.ID, ids []tack.ID) ([]tack.ID, error) {
	out := []tack.ID{}
	var others []tack.ID
	for _, id := range ids {
		switch {
		case id == viewer:
			out = append(out, id)
		case id.Valid() && !slices.Contains(others, id):
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		return out, nil
	}
	ps, err := s.privacyOf(ctx, others)
	if err != nil {
		return nil, err
	}
	others = slices.DeleteFunc(others, func(id tack.ID) bool { return ps[id].ShowOnline == Nobody })
	t, err := s.tiesOf(ctx, viewer, others)
	if err != nil {
		return nil, err
	}
	for _, id := range others {
		if !t.blocked[id] && (t.colleague[id] || t.friend[id]) {
			out = append(out, id)
		}
	}
	return out, nil
}

// PresenceAudience returns those of viewers who may see user's online
// status (the same rule as OnlineVisible, seen from user).
func (s *Service) PresenceAudience(ctx context.Context, user tack.ID, viewers []tack.ID) ([]tack.ID, error) {
	var others []tack.ID
	for _, v := range viewers {
		if v != user && !slices.Contains(others, v) {
			others = append(others, v)
		}
	}
	if len(others) == 0 {
		return nil, nil
	}
	ps, err := s.privacyOf(ctx, []tack.ID{user})
	if err != nil {
		return nil, err
	}
	if ps[user].ShowOnline == Nobody {
		return nil, nil
	}
	t, err := s.tiesOf(ctx, user, others)
	if err != nil {
		return nil, err
	}
	var out []tack.ID
	for _, id := range others {
		if !t.blocked[id] && (t.colleague[id] || t.friend[id]) {
			out = append(out, id)
		}
	}
	return out, nil
}

// Blocked reports whether a blocked b or b blocked a (chat asks it before
// a message goes into their direct chat).
func (s *Service) Blocked(ctx context.Context, a, b tack.ID) (bool, error) {
	rs, err := s.store.RelationsAmong(ctx, a, []tack.ID{b})
	if err != nil {
		return false, fmt.Errorf("relations: %w", err)
	}
	for _, r := range rs {
		if r.State == Blocked {
			return true, nil
		}
	}
	return false, nil
}

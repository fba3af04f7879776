package org

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// Friends are people one chats with outside any organisation. A request
// waits until the other accepts or declines; either may block the other,
// which ends the friendship, hides requests, stops new chats and messages
// in their direct chat both ways, and hides each one's online status from
// the other.

// Friendship is the caller's relation to another user.
type Friendship struct {
	UserID tack.ID `json:"user_id"`
	Name   string  `json:"name"`
	// State: "friend", "incoming" (they asked), "outgoing" (you asked),
	// "blocked" (you blocked them).
	State string `json:"state"`
}

func (s *Service) relation(ctx context.Context, me, other tack.ID) (mine, theirs string, err error) {
	rs, err := s.store.RelationsAmong(ctx, me, []tack.ID{other})
	if err != nil {
		return "", "", err
	}
	for _, r := range rs {
		if r.UserID == me && r.OtherID == other {
			mine = r.State
		} else if r.UserID == other && r.OtherID == me {
			theirs = r.State
		}
	}
	return mine, theirs, nil
}

func (s *Service) otherUser(ctx context.Context, me, other tack.ID) error {
	if other == me {
		return tack.Invalid("user_id", "that is you")
	}
	if !other.Valid() {
		return tack.Errorf(tack.ENotFound, "no such user")
	}
	if _, err := s.users.User(ctx, other); errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "no such user")
	} else if err != nil {
		return err
	}
	return nil
}

// RequestFriend asks other to be friends. If other had asked the caller,
// they become friends at once. A request to someone who blocked the caller
// looks sent but is not.
func (s *Service) RequestFriend(ctx context.Context, other tack.ID) (string, error) {
	me, err := caller(ctx)
	if err != nil {
		return "", err
	}
	if err := s.otherUser(ctx, me, other); err != nil {
		return "", err
	}
	mine, theirs, err := s.relation(ctx, me, other)
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	switch {
	case mine == Blocked:
		return "", tack.Errorf(tack.EConflict, "you blocked this person; unblock them first")
	case mine == Friend:
		return "friend", nil
	case theirs == Blocked:
		return "outgoing", nil
	case mine == Requested:
		return "outgoing", nil
	case theirs == Requested:
		err = s.store.SetRelations(ctx, []Relation{{UserID: me, OtherID: other, State: Friend, At: now}, {UserID: other, OtherID: me, State: Friend, At: now}})
		return "friend", err
	}
	if !s.friend.Allow(string(me)) {
		return "", tack.Errorf(tack.ERateLimited, "too many friend requests; try again later")
	}
	err = s.store.SetRelations(ctx, []Relation{{UserID: me, OtherID: other, State: Requested, At: now}})
	return "outgoing", err
}

// AcceptFriend accepts other's request.
func (s *Service) AcceptFriend(ctx context.Context, other tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	mine, theirs, err := s.relation(ctx, me, other)
	if err != nil {
		return err
	}
	if mine == Friend {
		return nil
	}
	if theirs != Requested || mine == Blocked {
		return tack.Errorf(tack.ENotFound, "no such friend request")
	}
	now := s.clock.Now()
	return s.store.SetRelations(ctx, []Relation{{UserID: me, OtherID: other, State: Friend, At: now}, {UserID: other, OtherID: me, State: Friend, At: now}})
}

// DeclineFriend declines other's request (or withdraws the caller's own).
func (s *Service) DeclineFriend(ctx context.Context, other tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	mine, theirs, err := s.relation(ctx, me, other)
	if err != nil {
		return err
	}
	var rs []Relation
	if theirs == Requested {
		rs = append(rs, Relation{UserID: other, OtherID: me})
	}
	if mine == Requested {
		rs = append(rs, Relation{UserID: me, OtherID: other})
	}
	if rs == nil {
		return tack.Errorf(tack.ENotFound, "no such friend request")
	}
	return s.store.SetRelations(ctx, rs)
}

// Unfriend ends a friendship.
func (s *Service) Unfriend(ctx context.Context, other tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	mine, _, err := s.relation(ctx, me, other)
	if err != nil {
		return err
	}
	if mine != Friend {
		return tack.Errorf(tack.ENotFound, "not a friend")
	}
	return s.store.SetRelations(ctx, []Relation{{UserID: me, OtherID: other}, {UserID: other, OtherID: me}})
}

// Block blocks other: no friendship, no requests, no new chats either way.
func (s *Service) Block(ctx context.Context, other tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	if err := s.otherUser(ctx, me, other); err != nil {
		return err
	}
	_, theirs, err := s.relation(ctx, me, other)
	if err != nil {
		return err
	}
	rs := []Relation{{UserID: me, OtherID: other, State: Blocked, At: s.clock.Now()}}
	if theirs != Blocked && theirs != "" {
		rs = append(rs, Relation{UserID: other, OtherID: me})
	}
	if err := s.store.SetRelations(ctx, rs); err != nil {
		return err
	}
	s.blockChanged(ctx, me, other)
	return nil
}

// blockChanged tells every node that what may go into a and b's direct
// chat changed (package chat caches it per conversation). The event has no
// payload: no client hears of it.
func (s *Service) blockChanged(ctx context.Context, a, b tack.ID) {
	if s.bus == nil {
		return
	}
	conv, err := s.store.DirectBetween(ctx, a, b)
	if err != nil {
		return // no direct chat (or the store failed: entries expire anyway)
	}
	if err := s.bus.Publish(ctx, &bus.Event{Kind: bus.Conversation, ConversationID: conv, Action: "blocks"}); err != nil {
		s.log.Warn("publish", "kind", bus.Conversation, "err", err)
	}
}

// Unblock lifts the caller's block of other.
func (s *Service) Unblock(ctx context.Context, other tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	mine, _, err := s.relation(ctx, me, other)
	if err != nil {
		return err
	}
	if mine != Blocked {
		return nil
	}
	if err := s.store.SetRelations(ctx, []Relation{{UserID: me, OtherID: other}}); err != nil {
		return err
	}
	s.blockChanged(ctx, me, other)
	return nil
}

// Friends lists the caller's friends, requests both ways and blocks.
func (s *Service) Friends(ctx context.Context) ([]Friendship, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.store.Relations(ctx, me)
	if err != nil {
		return nil, fmt.Errorf("friends: %w", err)
	}
	out := []Friendship{}
	var ids []tack.ID
	for _, r := range rs {
		switch {
		case r.UserID == me && r.State == Friend:
			out = append(out, Friendship{UserID: r.OtherID, State: "friend"})
		case r.UserID == me && r.State == Requested:
			out = append(out, Friendship{UserID: r.OtherID, State: "outgoing"})
		case r.UserID == me && r.State == Blocked:
			out = append(out, Friendship{UserID: r.OtherID, State: "blocked"})
		case r.OtherID == me && r.State == Requested:
			out = append(out, Friendship{UserID: r.UserID, State: "incoming"})
		default:
			continue
		}
		ids = append(ids, out[len(out)-1].UserID)
	}
	us, err := s.users.Users(ctx, ids)
	if err != nil {
		return nil, err
	}
	names := map[tack.ID]string{}
	for _, u := range us {
		names[u.ID] = u.Name
	}
	for i := range out {
		out[i].Name = names[out[i].UserID]
	}
	slices.SortFunc(out, func(a, b Friendship) int { return strings.Compare(a.State+a.Name, b.State+b.Name) })
	return out, nil
}

// Reachable implements chat.People: of ids, those that exist (as the
// underlying People says) that from may start a chat with or add to a
// group. Blocks either way, and organisations that forbid chats with
// outsiders (for from's organisations and for each other's), narrow it.
func (s *Service) Reachable(ctx context.Context, from tack.ID, ids []tack.ID) ([]tack.ID, error) {
	ok, err := s.people.Reachable(ctx, from, ids)
	if err != nil || len(ok) == 0 {
		return ok, err
	}
	rs, err := s.store.RelationsAmong(ctx, from, ok)
	if err != nil {
		return nil, err
	}
	blocked := map[tack.ID]bool{}
	for _, r := range rs {
		if r.State == Blocked {
			blocked[r.UserID] = true
			blocked[r.OtherID] = true
		}
	}
	orgsOf, err := s.store.ActiveOrgsOf(ctx, append([]tack.ID{from}, ok...))
	if err != nil {
		return nil, err
	}
	forbids := map[tack.ID]bool{}
	closed := func(id tack.ID) bool {
		v, seen := forbids[id]
		if !seen {
			o, err := s.store.Org(ctx, id)
			v = err == nil && o.Privacy.ForbidExternal
			forbids[id] = v
		}
		return v
	}
	out := make([]tack.ID, 0, len(ok))
	for _, id := range ok {
		if id != from && blocked[id] {
			continue
		}
		allowed := true
		for _, o := range orgsOf[from] {
			if closed(o) && !slices.Contains(orgsOf[id], o) {
				allowed = false
			}
		}
		for _, o := range orgsOf[id] {
			if closed(o) && !slices.Contains(orgsOf[from], o) {
				allowed = false
			}
		}
		if allowed || id == from {
			out = append(out, id)
		}
	}
	return out, nil
}

// ExternalConversations lists the caller's conversations that are
// external: the caller is an active member of some organisation, and
// another member of the conversation shares none with the caller.
func (s *Service) ExternalConversations(ctx context.Context) ([]tack.ID, error) {
	me, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := s.store.ActiveOrgsOf(ctx, []tack.ID{me})
	if err != nil {
		return nil, err
	}
	if len(orgs[me]) == 0 {
		return []tack.ID{}, nil
	}
	ids, err := s.store.ExternalConversations(ctx, me)
	if ids == nil {
		ids = []tack.ID{}
	}
	return ids, err
}

// ---- external contacts ----

// ContactInput is an external contact to add or change; nil fields stay.
type ContactInput struct {
	Name    *string
	Company *string
	Title   *string
	Phone   *string
	Email   *string
	Tags    *[]string
	Note    *string
	Shared  *bool
}

func (in ContactInput) apply(c *Contact) error {
	var err error
	if in.Name != nil {
		if c.Name, err = validName("name", *in.Name); err != nil {
			return err
		}
	}
	if in.Company != nil {
		if c.Company, err = validText("company", *in.Company, 128); err != nil {
			return err
		}
	}
	if in.Title != nil {
		if c.Title, err = validText("title", *in.Title, MaxTitleRunes); err != nil {
			return err
		}
	}
	if in.Phone != nil {
		if c.Phone, err = validPhone("phone", *in.Phone); err != nil {
			return err
		}
	}
	if in.Email != nil {
		if c.Email, err = validEmail("email", *in.Email); err != nil {
			return err
		}
	}
	if in.Note != nil {
		if c.Note, err = validText("note", *in.Note, 1000); err != nil {
			return err
		}
	}
	if in.Tags != nil {
		if len(*in.Tags) > MaxTags {
			return tack.Errorf(tack.ETooLarge, "tags: at most %d", MaxTags)
		}
		tags := []string{}
		for _, t := range *in.Tags {
			t, err := validName("tags", t)
			if err != nil {
				return err
			}
			if len([]rune(t)) > 32 {
				return tack.Invalid("tags", "a tag has at most 32 characters")
			}
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
		c.Tags = tags
	}
	if in.Shared != nil {
		c.Shared = *in.Shared
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	return nil
}

// AddContact adds an external contact owned by the caller.
func (s *Service) AddContact(ctx context.Context, orgID tack.ID, in ContactInput) (Contact, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Contact{}, err
	}
	now := s.clock.Now()
	c := Contact{ID: tack.NewID(), OrgID: orgID, OwnerID: a.me.UserID, CreatedAt: now, UpdatedAt: now}
	if in.Name == nil {
		return Contact{}, tack.Invalid("name", "name is required")
	}
	if err := in.apply(&c); err != nil {
		return Contact{}, err
	}
	if err := s.store.PutContact(ctx, c); err != nil {
		return Contact{}, fmt.Errorf("add contact: %w", err)
	}
	return c, nil
}

// Contacts lists the external contacts the caller may see: their own, and
// those shared with colleagues (admins see all).
func (s *Service) Contacts(ctx context.Context, orgID tack.ID, text, tag string, limit int) ([]Contact, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		return nil, tack.Invalid("limit", "limit must be between 1 and %d", MaxPageSize)
	}
	if len(text) > 100 || len(tag) > 100 {
		return nil, tack.Invalid("q", "q is longer than 100 characters")
	}
	owner := a.me.UserID
	if a.admin() {
		owner = ""
	}
	list, err := s.store.Contacts(ctx, orgID, owner, strings.ToLower(strings.TrimSpace(text)), strings.TrimSpace(tag), limit)
	if list == nil {
		list = []Contact{}
	}
	return list, err
}

func (s *Service) contact(ctx context.Context, a *actor, id tack.ID, write bool) (Contact, error) {
	errNo := tack.Errorf(tack.ENotFound, "no such contact")
	if !id.Valid() {
		return Contact{}, errNo
	}
	c, err := s.store.Contact(ctx, a.org.ID, id)
	if errors.Is(err, tack.ErrNotFound) {
		return Contact{}, errNo
	} else if err != nil {
		return Contact{}, err
	}
	mine := c.OwnerID == a.me.UserID || a.admin()
	if !mine && !c.Shared {
		return Contact{}, errNo
	}
	if write && !mine {
		return Contact{}, tack.Errorf(tack.EForbidden, "only the contact's owner changes it")
	}
	return c, nil
}

// Contact returns one external contact.
func (s *Service) Contact(ctx context.Context, orgID, id tack.ID) (Contact, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Contact{}, err
	}
	return s.contact(ctx, a, id, false)
}

// UpdateContact changes a contact (its owner, or an admin).
func (s *Service) UpdateContact(ctx context.Context, orgID, id tack.ID, in ContactInput) (Contact, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Contact{}, err
	}
	c, err := s.contact(ctx, a, id, true)
	if err != nil {
		return Contact{}, err
	}
	if err := in.apply(&c); err != nil {
		return Contact{}, err
	}
	c.UpdatedAt = s.clock.Now()
	return c, s.store.PutContact(ctx, c)
}

// DeleteContact removes a contact (its owner, or an admin).
func (s *Service) DeleteContact(ctx context.Context, orgID, id tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if _, err := s.contact(ctx, a, id, true); err != nil {
		return err
	}
	return s.store.DeleteContact(ctx, orgID, id)
}

// Acquainted reports whether a and b are friends or share an active
// organisation, and neither blocks the other (secret chats are only
// between such people; chat.Acquaintances).
func (s *Service) Acquainted(ctx context.Context, a, b tack.ID) (bool, error) {
	t, err := s.tiesOf(ctx, a, []tack.ID{b})
	if err != nil {
		return false, err
	}
	return !t.blocked[b] && (t.friend[b] || t.colleague[b]), nil
}

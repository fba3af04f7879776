package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
)

// Organisation groups are chat groups whose membership follows the
// organisation: the all-staff group holds every active member; a
// department's group holds the active members of the department and of
// every department below it. A member change (join, move, suspension,
// leaving) writes the group changes in the same transaction as the member,
// each with its system event in the group's timeline, so that someone who
// leaves is out of every organisation group the moment the change commits.
// Moving a department brings the groups back in step right after.

// wants reports whether member m belongs in group g.
func wants(t *tree, g Group, m *Member) bool {
	if m.Status != Active || m.UserID == "" {
		return false
	}
	if g.DepartmentID == "" {
		return true
	}
	root := t.path(g.DepartmentID)
	if root == "" {
		return false
	}
	for _, p := range t.paths(m.Departments) {
		if strings.HasPrefix(p, root) {
			return true
		}
	}
	return false
}

// syncMembers adds to b the group changes that members (as they will be
// after b) call for.
func (s *Service) syncMembers(ctx context.Context, a *actor, t *tree, b *Batch, members []Member) error {
	gs, err := s.store.Groups(ctx, a.org.ID)
	if err != nil {
		return fmt.Errorf("groups: %w", err)
	}
	if len(gs) == 0 {
		return nil
	}
	var users []tack.ID
	byUser := map[tack.ID]*Member{}
	for i := range members {
		if u := members[i].UserID; u != "" {
			users = append(users, u)
			byUser[u] = &members[i]
		}
	}
	if len(users) == 0 {
		return nil
	}
	for _, g := range gs {
		in, err := s.store.MembersAmong(ctx, g.ConversationID, users)
		if err != nil {
			return fmt.Errorf("group members: %w", err)
		}
		var add, remove []tack.ID
		for _, u := range users {
			want, have := wants(t, g, byUser[u]), slices.Contains(in, u)
			switch {
			case want && !have:
				add = append(add, u)
			case !want && have:
				remove = append(remove, u)
			}
		}
		if len(remove) > 0 {
			// A group's owner stays while an active member of the organisation.
			c, err := s.store.Conversation(ctx, g.ConversationID)
			if err != nil {
				return fmt.Errorf("group: %w", err)
			}
			remove = slices.DeleteFunc(remove, func(u tack.ID) bool { return u == c.OwnerID && byUser[u].Status == Active })
		}
		chs, err := s.groupChanges(ctx, a, g, add, remove)
		if err != nil {
			return err
		}
		b.GroupChanges = append(b.GroupChanges, chs...)
	}
	return nil
}

// groupChanges returns the changes that add and remove people from an
// organisation group. If the group's owner is removed, the longest-standing
// remaining admin, or else member, becomes the owner.
func (s *Service) groupChanges(ctx context.Context, a *actor, g Group, add, remove []tack.ID) ([]chat.Change, error) {
	var out []chat.Change
	now := s.clock.Now()
	actor := a.me.UserID
	if len(add) > 0 {
		ch := chat.Change{ConversationID: g.ConversationID, System: chat.NewMessage{ConversationID: g.ConversationID,
			SenderID: actor, Kind: chat.SystemMessage, CreatedAt: now,
			System: &chat.System{Action: "added", ActorID: actor, Users: add}}}
		for _, u := range add {
			ch.Add = append(ch.Add, chat.Membership{ConversationID: g.ConversationID, UserID: u, Role: chat.Member, JoinedAt: now})
		}
		out = append(out, ch)
	}
	if len(remove) > 0 {
		ch := chat.Change{ConversationID: g.ConversationID, Remove: remove, System: chat.NewMessage{ConversationID: g.ConversationID,
			SenderID: actor, Kind: chat.SystemMessage, CreatedAt: now,
			System: &chat.System{Action: "removed", ActorID: actor, Users: remove}}}
		c, err := s.store.Conversation(ctx, g.ConversationID)
		if err != nil {
			return nil, fmt.Errorf("group: %w", err)
		}
		if slices.Contains(remove, c.OwnerID) {
			ms, err := s.store.Memberships(ctx, g.ConversationID)
			if err != nil {
				return nil, err
			}
			var heir *chat.Membership
			for i := range ms {
				m := &ms[i]
				if slices.Contains(remove, m.UserID) {
					continue
				}
				if heir == nil || (m.Role == chat.Admin && heir.Role != chat.Admin) {
					heir = m
				}
			}
			for _, u := range add {
				if heir == nil {
					heir = &chat.Membership{UserID: u}
				}
			}
			if heir != nil {
				ch.OwnerID = heir.UserID
				ch.Roles = map[tack.ID]string{heir.UserID: chat.Owner}
			}
		}
		out = append(out, ch)
	}
	return out, nil
}

// reconcileGroups brings every organisation group of a's organisation (or
// only those listed) in step with the members in the store. It logs what
// fails: the next change or reconcile heals it.
func (s *Service) reconcileGroups(ctx context.Context, a *actor, only []tack.ID) {
	if err := s.reconcile(ctx, a, only); err != nil {
		s.log.Error("reconcile organisation groups", "org", a.org.ID, "err", err)
	}
}

func (s *Service) reconcile(ctx context.Context, a *actor, only []tack.ID) error {
	ds, err := s.store.Departments(ctx, a.org.ID)
	if err != nil {
		return err
	}
	t := newTree(ds)
	gs, err := s.store.Groups(ctx, a.org.ID)
	if err != nil {
		return err
	}
	var b Batch
	for _, g := range gs {
		if only != nil && !slices.Contains(only, g.ConversationID) {
			continue
		}
		path := ""
		if g.DepartmentID != "" {
			if path = t.path(g.DepartmentID); path == "" {
				continue
			}
		}
		want, err := s.store.ActiveUsersUnder(ctx, a.org.ID, path)
		if err != nil {
			return err
		}
		ms, err := s.store.Memberships(ctx, g.ConversationID)
		if err != nil {
			return err
		}
		c, err := s.store.Conversation(ctx, g.ConversationID)
		if err != nil {
			return err
		}
		wantSet := make(map[tack.ID]bool, len(want))
		for _, u := range want {
			wantSet[u] = true
		}
		have := make(map[tack.ID]bool, len(ms))
		var add, remove []tack.ID
		for _, m := range ms {
			have[m.UserID] = true
			if !wantSet[m.UserID] && m.UserID != c.OwnerID {
				remove = append(remove, m.UserID)
			}
		}
		// The owner stays while an active member of the organisation.
		if c.OwnerID != "" && !wantSet[c.OwnerID] && have[c.OwnerID] {
			om, err := s.store.Member(ctx, a.org.ID, c.OwnerID)
			if err != nil && !errors.Is(err, tack.ErrNotFound) {
				return err
			}
			if err != nil || om.Status != Active {
				remove = append(remove, c.OwnerID)
			}
		}
		for _, u := range want {
			if !have[u] {
				add = append(add, u)
			}
		}
		chs, err := s.groupChanges(ctx, a, g, add, remove)
		if err != nil {
			return err
		}
		b.GroupChanges = append(b.GroupChanges, chs...)
	}
	if len(b.GroupChanges) == 0 {
		return nil
	}
	return s.apply(ctx, b)
}

// publishGroupEvents tells live clients what b changed in chats: member
// events for people added before the system message (so that their
// connections subscribe first), for people removed after it.
func (s *Service) publishGroupEvents(ctx context.Context, b Batch, msgs []chat.Message) {
	if s.bus == nil || len(msgs) == 0 {
		return
	}
	var evs []*bus.Event
	i := 0
	for _, nc := range b.NewConversations {
		if i >= len(msgs) {
			break
		}
		for _, m := range nc.Members {
			evs = append(evs, memberEvent(nc.Conversation.ID, m.UserID, "added", msgs[i].Mod))
		}
		evs = append(evs, messageEvent(msgs[i]))
		i++
	}
	for _, ch := range b.GroupChanges {
		if i >= len(msgs) {
			break
		}
		for _, m := range ch.Add {
			evs = append(evs, memberEvent(ch.ConversationID, m.UserID, "added", msgs[i].Mod))
		}
		evs = append(evs, messageEvent(msgs[i]))
		if ch.OwnerID != "" {
			if c, err := s.store.Conversation(ctx, ch.ConversationID); err == nil {
				evs = append(evs, conversationEvent(c))
			}
		}
		for _, u := range ch.Remove {
			evs = append(evs, memberEvent(ch.ConversationID, u, "removed", 0))
		}
		i++
	}
	for _, e := range evs {
		if err := s.bus.Publish(ctx, e); err != nil {
			s.log.Warn("publish", "kind", e.Kind, "err", err)
		}
	}
}

// The frames below match those package chat sends.

// memberEvent is a Member event; mod is the change that added the member
// (0 for "removed"), from which their connections catch up.
func memberEvent(convID, user tack.ID, action string, mod int64) *bus.Event {
	b, _ := json.Marshal(map[string]any{"type": "member", "conversation_id": convID, "user_id": user, "action": action})
	return &bus.Event{Kind: bus.Member, ConversationID: convID, Subject: user, Action: action, Mod: mod, Payload: b}
}

func messageEvent(m chat.Message) *bus.Event {
	return &bus.Event{Kind: bus.Message, ConversationID: m.ConversationID, Mod: m.Mod, Payload: chat.MessageFrame(&m)}
}

func conversationEvent(c chat.Conversation) *bus.Event {
	shared := map[string]any{"id": c.ID, "type": c.Kind, "title": c.Title, "owner_id": c.OwnerID,
		"mute_all": c.MuteAll, "member_count": c.MemberCount}
	b, _ := json.Marshal(map[string]any{"type": "conversation", "conversation": shared})
	return &bus.Event{Kind: bus.Conversation, ConversationID: c.ID, Payload: b}
}

// CreateGroup makes the all-staff group (departmentID "") or a
// department's group (admins; sub-admins for departments of their scope).
// The caller owns it. There is at most one group per department.
func (s *Service) CreateGroup(ctx context.Context, orgID, departmentID tack.ID, title string) (Group, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return Group{}, err
	}
	path := ""
	if departmentID != "" {
		d, _, err := s.dept(ctx, a, departmentID)
		if err != nil {
			return Group{}, err
		}
		path = d.Path
		if title == "" {
			title = d.Name
		}
	} else if title == "" {
		title = a.org.Name
	}
	if !a.admin() && (path == "" || !a.managesDept(t, path)) {
		return Group{}, errDenied
	}
	if title, err = validText("title", title, chat.MaxTitleRunes); err != nil {
		return Group{}, err
	}
	gs, err := s.store.Groups(ctx, orgID)
	if err != nil {
		return Group{}, err
	}
	for _, g := range gs {
		if g.DepartmentID == departmentID {
			return Group{}, tack.Errorf(tack.EConflict, "that group exists already")
		}
	}
	users, err := s.store.ActiveUsersUnder(ctx, orgID, path)
	if err != nil {
		return Group{}, err
	}
	if !slices.Contains(users, a.me.UserID) {
		users = append([]tack.ID{a.me.UserID}, users...)
	}
	if len(users) > chat.MaxMembers {
		return Group{}, tack.Errorf(tack.ETooLarge, "a group has at most %d members", chat.MaxMembers)
	}
	now := s.clock.Now()
	conv := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, Title: title, OwnerID: a.me.UserID, CreatedAt: now}
	var ms []chat.Membership
	var others []tack.ID
	for _, u := range users {
		role := chat.Member
		if u == a.me.UserID {
			role = chat.Owner
		} else {
			others = append(others, u)
		}
		ms = append(ms, chat.Membership{ConversationID: conv.ID, UserID: u, Role: role, JoinedAt: now})
	}
	first := chat.NewMessage{ConversationID: conv.ID, SenderID: a.me.UserID, Kind: chat.SystemMessage, CreatedAt: now,
		System: &chat.System{Action: "created", ActorID: a.me.UserID, Users: others, Title: title}}
	g := Group{ConversationID: conv.ID, OrgID: orgID, DepartmentID: departmentID, CreatedBy: a.me.UserID, CreatedAt: now}
	b := Batch{NewConversations: []NewConversation{{Conversation: conv, Members: ms, First: first}}, Groups: []Group{g},
		Audit: []Audit{s.audit(a, "group.create", conv.ID, nil, map[string]any{"department_id": departmentID, "title": title})}}
	if err := s.apply(ctx, b); err != nil {
		return Group{}, fmt.Errorf("create group: %w", err)
	}
	return g, nil
}

// Groups lists an organisation's groups (any member).
func (s *Service) Groups(ctx context.Context, orgID tack.ID) ([]Group, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	gs, err := s.store.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return nil, err
	}
	v, err := s.visibility(ctx, a)
	if err != nil {
		return nil, err
	}
	out := []Group{}
	for _, g := range gs {
		if g.DepartmentID == "" || (t.byID[g.DepartmentID] != nil && v.deptVisible(t.byID[g.DepartmentID])) {
			out = append(out, g)
		}
	}
	return out, nil
}

// UnlinkGroup stops keeping a group in step; the group and its members
// stay as they are (admins).
func (s *Service) UnlinkGroup(ctx context.Context, orgID, convID tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if !a.admin() {
		return errAdminOnly
	}
	gs, err := s.store.Groups(ctx, orgID)
	if err != nil {
		return err
	}
	for _, g := range gs {
		if g.ConversationID == convID {
			return s.apply(ctx, Batch{DeleteGroups: []tack.ID{convID},
				Audit: []Audit{s.audit(a, "group.unlink", convID, map[string]any{"department_id": g.DepartmentID}, nil)}})
		}
	}
	return tack.Errorf(tack.ENotFound, "no such organisation group")
}

// SyncGroups brings every organisation group back in step (admins); it is
// what happens on its own after every change, for repair.
func (s *Service) SyncGroups(ctx context.Context, orgID tack.ID) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	if !a.admin() {
		return errAdminOnly
	}
	return s.reconcile(ctx, a, nil)
}

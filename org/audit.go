package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/tackhq/tack"
)

// auditParams fills in each entry's Params: "actor" (the name of who did
// it), "target" (the name of the member, department, organisation or
// group acted on, while it exists), and per action the details a sentence
// needs, taken from Before and After (docs/orgs.md lists them).
func (s *Service) auditParams(ctx context.Context, a *actor, list []Audit) error {
	if len(list) == 0 {
		return nil
	}
	var actors, members []tack.ID
	for _, e := range list {
		actors = append(actors, e.ActorID)
		if kind, _, _ := strings.Cut(e.Action, "."); (kind == "member" || kind == "invitation") && tack.ID(e.Target).Valid() {
			members = append(members, tack.ID(e.Target))
		}
	}
	us, err := s.users.Users(ctx, actors)
	if err != nil {
		return fmt.Errorf("audit actors: %w", err)
	}
	names := map[tack.ID]string{}
	for _, u := range us {
		names[u.ID] = u.Name
	}
	ms, err := s.store.MembersByID(ctx, a.org.ID, members)
	if err != nil {
		return fmt.Errorf("audit members: %w", err)
	}
	memberNames := map[tack.ID]string{}
	for _, m := range ms {
		memberNames[m.ID] = m.Name
	}
	t, err := s.tree(ctx, a)
	if err != nil {
		return err
	}
	groupTitles := map[tack.ID]string{}
	for i := range list {
		e := &list[i]
		p := map[string]any{"actor": names[e.ActorID]}
		target := tack.ID(e.Target)
		kind, _, _ := strings.Cut(e.Action, ".")
		switch kind {
		case "member", "invitation":
			if n, ok := memberNames[target]; ok {
				p["target"] = n
			}
		case "department":
			if d := t.byID[target]; d != nil {
				p["target"] = d.Name
			}
		case "org":
			p["target"] = a.org.Name
		case "group":
			title, seen := groupTitles[target]
			if !seen {
				if c, err := s.store.Conversation(ctx, target); err == nil {
					title = c.Title
				} else if !errors.Is(err, tack.ErrNotFound) {
					return fmt.Errorf("audit group: %w", err)
				}
				groupTitles[target] = title
			}
			if title != "" {
				p["target"] = title
			}
		}
		before, after := asMap(e.Before), asMap(e.After)
		switch e.Action {
		case "member.status", "member.leave", "member.approve", "member.decline":
			copyParam(p, "from", before, "status")
			copyParam(p, "to", after, "status")
		case "member.role":
			copyParam(p, "from", before, "role")
			copyParam(p, "to", after, "role")
		case "member.import":
			for _, k := range []string{"rows", "created", "updated", "unchanged", "new_departments"} {
				copyParam(p, k, after, k)
			}
		case "invitation.create", "invitation.revoke":
			src := after
			if src == nil {
				src = before
			}
			copyParam(p, "invitee", src, "target")
			copyParam(p, "max_uses", src, "max_uses")
		case "department.create", "department.update", "department.delete":
			copyParam(p, "name", after, "name")
			copyParam(p, "old_name", before, "name")
		case "group.create":
			copyParam(p, "title", after, "title")
		case "org.update", "org.create":
			copyParam(p, "name", after, "name")
			copyParam(p, "old_name", before, "name")
		case "org.transfer":
			copyParam(p, "owner_id", after, "owner_id")
		}
		e.Params = p
	}
	return nil
}

func copyParam(p map[string]any, key string, from map[string]any, field string) {
	if v, ok := from[field]; ok && v != nil && v != "" {
		p[key] = v
	}
}

// asMap reads an entry's Before or After: a map, or JSON as a store keeps
// it.
func asMap(v any) map[string]any {
	switch v := v.(type) {
	case map[string]any:
		return v
	case json.RawMessage:
		var m map[string]any
		_ = json.Unmarshal(v, &m)
		return m
	case []byte:
		var m map[string]any
		_ = json.Unmarshal(v, &m)
		return m
	}
	return nil
}

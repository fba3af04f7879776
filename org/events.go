package org

import (
	"context"
	"slices"
	"strings"

	"github.com/tackhq/tack"
)

// Events hears of committed changes to organisations (the open platform
// turns them into apps' "membership" and "directory" events). It is
// called after the change committed, in the request that made it.
type Events interface {
	// Event tells of one change: event is "membership" or "directory",
	// key orders it among changes with the same key.
	Event(ctx context.Context, orgID tack.ID, event, key string, data any)
}

// Change is the data of a membership or directory event.
type Change struct {
	// Action is the audit log's code of the change (docs/orgs.md), e.g.
	// "member.join", "department.update", "member.import".
	Action       string      `json:"action"`
	ActorID      tack.ID     `json:"actor_id,omitempty"`
	MemberID     tack.ID     `json:"member_id,omitempty"`
	Member       *Member     `json:"member,omitempty"`
	DepartmentID tack.ID     `json:"department_id,omitempty"`
	Department   *Department `json:"department,omitempty"`
	// An import's batch: the members and departments it wrote.
	Members     []Member     `json:"members,omitempty"`
	Departments []Department `json:"departments,omitempty"`
}

// eventOf says which event an audit action is ("" for none).
func eventOf(action string) string {
	switch action {
	case "member.join", "member.request", "member.approve", "member.decline", "member.status", "member.leave", "member.role":
		return "membership"
	case "member.update", "member.import", "department.create", "department.update", "department.delete":
		return "directory"
	}
	return ""
}

// emitChanges tells s.events of the membership and directory changes b
// committed, as its audit entries name them.
func (s *Service) emitChanges(ctx context.Context, b Batch) {
	if s.events == nil {
		return
	}
	for _, a := range b.Audit {
		ev := eventOf(a.Action)
		if ev == "" || a.Action == "member.import" {
			continue // an import's members are told by writeImport
		}
		c := Change{Action: a.Action, ActorID: a.ActorID}
		kind, _, _ := strings.Cut(a.Action, ".")
		id := tack.ID(a.Target)
		if kind == "member" {
			c.MemberID = id
			for i := range b.Members {
				if b.Members[i].ID == id {
					m := b.Members[i]
					m.Needs2FA = false
					c.Member = &m
				}
			}
		} else {
			c.DepartmentID = id
			for i := range b.Departments {
				if b.Departments[i].ID == id {
					d := b.Departments[i]
					c.Department = &d
				}
			}
		}
		s.events.Event(ctx, a.OrgID, ev, kind+":"+string(id), c)
	}
}

// emitImported tells s.events of the departments and members one import
// batch wrote: one event per batch (up to a few hundred rows each).
func (s *Service) emitImported(ctx context.Context, orgID, actor tack.ID, b Batch) {
	if s.events == nil || len(b.Departments)+len(b.Members) == 0 {
		return
	}
	c := Change{Action: "member.import", ActorID: actor, Departments: slices.Clone(b.Departments), Members: slices.Clone(b.Members)}
	if len(b.Members) == 0 {
		c.Action = "department.import"
	}
	for i := range c.Members {
		c.Members[i].Needs2FA = false
	}
	s.events.Event(ctx, orgID, "directory", "import:"+string(orgID), c)
}

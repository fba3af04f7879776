package org

import (
	"context"
	"slices"
	"strings"

	"github.com/tackhq/tack"
)

// More Directory* methods, for approvals and leave (issue 14). Like those
// of attendance_directory.go they check no permission and take no caller.

// DirectoryManages reports whether viewer (an active member) may see
// subject's personal records (leave balances, approvals of theirs): the
// owner and admins; a sub-admin whose scope holds one of subject's
// departments; a manager up subject's manager_id chain; a head of one of
// subject's departments or of a department above them.
func (s *Service) DirectoryManages(ctx context.Context, orgID tack.ID, viewer, subject Member) (bool, error) {
	if viewer.ID == subject.ID || viewer.Role == RoleOwner || viewer.Role == RoleAdmin {
		return true, nil
	}
	ds, err := s.store.Departments(ctx, orgID)
	if err != nil {
		return false, err
	}
	byID := make(map[tack.ID]Department, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
	}
	var paths []string
	for _, id := range subject.Departments {
		if d, ok := byID[id]; ok {
			paths = append(paths, d.Path)
		}
	}
	if viewer.Role == RoleSubAdmin {
		for _, id := range viewer.Scope {
			if d, ok := byID[id]; ok {
				for _, p := range paths {
					if strings.HasPrefix(p, d.Path) {
						return true, nil
					}
				}
			}
		}
	}
	for _, p := range paths {
		for _, id := range strings.Split(strings.Trim(p, "/"), "/") {
			if d, ok := byID[tack.ID(id)]; ok && slices.Contains(d.HeadIDs, viewer.ID) {
				return true, nil
			}
		}
	}
	chain, err := s.DirectoryManagers(ctx, orgID, subject, 32)
	if err != nil {
		return false, err
	}
	for _, m := range chain {
		if m.ID == viewer.ID {
			return true, nil
		}
	}
	return false, nil
}

// DirectoryManagers follows m's manager_id chain up to max links and
// returns the managers met, nearest first, whatever their status (a
// manager who left is still a link: callers decide whether to skip
// them). The chain ends at a member without a manager, at a manager_id
// naming no member, or at a loop.
func (s *Service) DirectoryManagers(ctx context.Context, orgID tack.ID, m Member, max int) ([]Member, error) {
	var out []Member
	seen := map[tack.ID]bool{m.ID: true}
	next := m.ManagerID
	for len(out) < max && next != "" && !seen[next] {
		seen[next] = true
		mgr, err := s.store.Member(ctx, orgID, next)
		if err != nil {
			if tack.ErrorCode(err) == tack.ENotFound {
				break
			}
			return nil, err
		}
		out = append(out, mgr)
		next = mgr.ManagerID
	}
	return out, nil
}

// DirectoryAdmins returns the active owner and admins of orgID.
func (s *Service) DirectoryAdmins(ctx context.Context, orgID tack.ID) ([]Member, error) {
	all, err := s.DirectoryActiveMembers(ctx, orgID, nil)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(m Member) bool { return m.Role != RoleOwner && m.Role != RoleAdmin }), nil
}

// DirectoryGroups returns the organisation groups of orgID (the
// all-staff group and departments' groups).
func (s *Service) DirectoryGroups(ctx context.Context, orgID tack.ID) ([]Group, error) {
	return s.store.Groups(ctx, orgID)
}

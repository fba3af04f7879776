package org

import (
	"context"

	"github.com/tackhq/tack"
)

// The Directory* methods serve other services of the same process (such
// as attendance) that read the directory to apply rules of their own.
// They check no permission and take no caller: the service that calls
// them decides who may see what.

// DirectoryMember returns the member of orgID whose member ID or user ID
// is id, whatever its status; an error wrapping tack.ErrNotFound if none.
// When that member is the caller of ctx, the owner, an admin or a
// sub-admin of an organisation that requires two-step sign-in of its
// admins, and has none, Needs2FA is set: services then treat them as a
// plain member, as the directory does.
func (s *Service) DirectoryMember(ctx context.Context, orgID, id tack.ID) (Member, error) {
	if !orgID.Valid() || !id.Valid() {
		return Member{}, tack.ErrNotFound
	}
	m, err := s.store.Member(ctx, orgID, id)
	if err != nil || m.UserID == "" || m.UserID != tack.UserID(ctx) || m.Role == RoleMember {
		return m, err
	}
	o, err := s.store.Org(ctx, orgID)
	if err != nil || !o.RequireAdmin2FA {
		return m, err
	}
	has, err := s.hasSecondFactor(ctx, m.UserID)
	m.Needs2FA = !has
	return m, err
}

// DirectoryMembers returns those of ids (member IDs) that are members of
// orgID, whatever their status.
func (s *Service) DirectoryMembers(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]Member, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return s.store.MembersByID(ctx, orgID, ids)
}

// DirectoryActiveMembers returns the active members of orgID in a
// department within one of the subtrees at paths (every active member if
// paths is nil), in directory order.
func (s *Service) DirectoryActiveMembers(ctx context.Context, orgID tack.ID, paths []string) ([]Member, error) {
	if paths != nil && len(paths) == 0 {
		return nil, nil
	}
	var out []Member
	q := MemberQuery{OrgID: orgID, Statuses: []string{Active}, Under: paths, Limit: 1000}
	for {
		page, err := s.store.SearchMembers(ctx, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < q.Limit {
			return out, nil
		}
		last := page[len(page)-1]
		q.AfterKey, q.AfterID = last.SortKey, last.ID
	}
}

// DirectoryOrg returns an organisation.
func (s *Service) DirectoryOrg(ctx context.Context, orgID tack.ID) (Org, error) {
	return s.store.Org(ctx, orgID)
}

// DirectoryDepartments returns every department of orgID, with paths.
func (s *Service) DirectoryDepartments(ctx context.Context, orgID tack.ID) ([]Department, error) {
	return s.store.Departments(ctx, orgID)
}

// DirectoryOrgsOf returns the organisations in which userID is an active
// member, with that membership.
func (s *Service) DirectoryOrgsOf(ctx context.Context, userID tack.ID) ([]Org, []Member, error) {
	os, ms, err := s.store.OrgsOf(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	var outO []Org
	var outM []Member
	for i := range ms {
		if ms[i].Status == Active {
			outO = append(outO, os[i])
			outM = append(outM, ms[i])
		}
	}
	return outO, outM, nil
}

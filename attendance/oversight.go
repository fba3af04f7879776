package attendance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// tree is an organisation's departments, indexed by ID.
type tree struct {
	byID map[tack.ID]org.Department
}

func newTree(ds []org.Department) *tree {
	t := &tree{byID: make(map[tack.ID]org.Department, len(ds))}
	for _, d := range ds {
		t.byID[d.ID] = d
	}
	return t
}

// paths returns the paths of those of ids that exist.
func (t *tree) paths(ids []tack.ID) []string {
	var out []string
	for _, id := range ids {
		if d, ok := t.byID[id]; ok && d.Path != "" {
			out = append(out, d.Path)
		}
	}
	return out
}

// ancestry returns every department ID on the paths of ids (each
// department and those above it).
func (t *tree) ancestry(ids []tack.ID) []tack.ID {
	var out []tack.ID
	for _, p := range t.paths(ids) {
		for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
			if id := tack.ID(part); id != "" && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// depth is how deep department id sits (1 at the top), 0 if unknown.
func (t *tree) depth(id tack.ID) int {
	d, ok := t.byID[id]
	if !ok {
		return 0
	}
	return strings.Count(strings.Trim(d.Path, "/"), "/") + 1
}

func underAny(path string, roots []string) bool {
	for _, r := range roots {
		if r != "" && strings.HasPrefix(path, r) {
			return true
		}
	}
	return false
}

// freshTree reads the department tree (for permission checks).
func (s *Service) freshTree(ctx context.Context, orgID tack.ID) (*tree, error) {
	ds, err := s.dir.DirectoryDepartments(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("departments: %w", err)
	}
	t := newTree(ds)
	s.deptMu.Lock()
	s.depts[orgID] = deptEntry{t: t, at: time.Now()}
	s.deptMu.Unlock()
	return t, nil
}

// cachedTree returns the department tree, read at most deptCacheTTL ago:
// punches use it to find a member's group, where a department moved a few
// seconds ago matters less than a read per punch.
func (s *Service) cachedTree(ctx context.Context, orgID tack.ID) (*tree, error) {
	s.deptMu.Lock()
	e, ok := s.depts[orgID]
	s.deptMu.Unlock()
	if ok && time.Since(e.at) < deptCacheTTL {
		return e.t, nil
	}
	return s.freshTree(ctx, orgID)
}

// oversees reports whether the actor may see m's attendance: m is the
// actor; the actor is an admin; a sub-admin whose scope holds one of m's
// departments; m's manager (manager_id, transitively); or the head of one
// of m's departments or a department above it.
func (s *Service) oversees(ctx context.Context, a *actor, t *tree, m org.Member) (bool, error) {
	if m.ID == a.me.ID || a.admin() {
		return true, nil
	}
	if a.me.Role == org.RoleSubAdmin {
		scope := t.paths(a.me.Scope)
		for _, p := range t.paths(m.Departments) {
			if underAny(p, scope) {
				return true, nil
			}
		}
	}
	for _, id := range t.ancestry(m.Departments) {
		if slices.Contains(t.byID[id].HeadIDs, a.me.ID) {
			return true, nil
		}
	}
	next := m.ManagerID
	seen := map[tack.ID]bool{m.ID: true}
	for i := 0; next != "" && i < maxManagerChain && !seen[next]; i++ {
		if next == a.me.ID {
			return true, nil
		}
		seen[next] = true
		mgr, err := s.dir.DirectoryMember(ctx, a.orgID, next)
		if err != nil {
			break // a manager who left ends the chain
		}
		next = mgr.ManagerID
	}
	return false, nil
}

// overseenAmong filters ms to those the actor may see.
func (s *Service) overseenAmong(ctx context.Context, a *actor, t *tree, ms []org.Member) ([]org.Member, error) {
	if a.admin() {
		return ms, nil
	}
	out := ms[:0:0]
	for _, m := range ms {
		ok, err := s.oversees(ctx, a, t, m)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// managesMembers reports whether the actor may put these members and
// departments in a group: admins always; sub-admins when every department
// is within their scope and every member has all departments within it.
func (a *actor) managesTargets(t *tree, members []org.Member, depts []tack.ID) bool {
	if a.admin() {
		return true
	}
	if a.me.Role != org.RoleSubAdmin {
		return false
	}
	scope := t.paths(a.me.Scope)
	if len(scope) == 0 {
		return false
	}
	for _, id := range depts {
		ps := t.paths([]tack.ID{id})
		if len(ps) == 0 || !underAny(ps[0], scope) {
			return false
		}
	}
	for _, m := range members {
		ps := t.paths(m.Departments)
		if len(ps) == 0 || len(ps) != len(m.Departments) {
			return false
		}
		for _, p := range ps {
			if !underAny(p, scope) {
				return false
			}
		}
	}
	return true
}

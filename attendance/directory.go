package attendance

import (
	"context"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// The punch's view of the directory. A punch needs the caller's active
// membership; reading it costs one SQL statement (~30 µs of CPU on
// SQLite), as much as the rest of the punch's reads. So the Service keeps,
// per organisation:
//
//   - memberships read one at a time for punches, each good for
//     memberCacheTTL (a member punching twice reads once);
//   - when an organisation punches in earnest (dirHotMisses reads within
//     memberCacheTTL and at least one for every dirMissRatio members: the
//     morning rush), a snapshot of all its active plain members read in
//     one query (per member about an eighth of a read of one), also good
//     for memberCacheTTL and read again by the punch that finds it three
//     quarters that old if it served enough punches to pay for itself;
//     otherwise it expires and punches read one at a time again.
//
// Either way a membership counts for at most memberCacheTTL after it was
// read: a member suspended or removed on another node may still punch for
// that long. Changes made through this node are seen at once: the
// organisation service tells [Service.DirectoryChanged], which drops the
// organisation's cached memberships, snapshot and department tree.
// Reads of attendance (not punches) always read the membership afresh.

const (
	dirHotMisses   = 32     // membership reads within memberCacheTTL before a snapshot pays
	dirMissRatio   = 5      // … and at least one for every dirMissRatio members (BenchmarkDirectoryReads: a snapshot costs ~1/8 of a read per member)
	maxDirSnapshot = 50_000 // larger organisations are read a member at a time
	maxDirOrgs     = 10_000 // organisations with cached state, then all are forgotten
	maxDirMembers  = 20_000 // memberships cached one at a time per organisation
)

// dirState is what the Service caches of one organisation's directory.
type dirState struct {
	gen     uint64                 // bumped by DirectoryChanged: reads begun before it are not kept
	members map[tack.ID]memberHit  // by user ID, read one at a time
	snap    map[tack.ID]org.Member // active plain members by user ID; nil: none
	snapAt  time.Time
	loading bool      // a snapshot read is under way
	window  time.Time // start of the current count of reads
	misses  int       // membership reads since window
	size    int       // active members at the last snapshot read (0: unknown)
	hits    int       // punches the snapshot served since it was read
}

type memberHit struct {
	m  org.Member
	at time.Time
}

// DirectoryChanged tells the Service that orgID's members or departments
// changed: the memberships, member snapshot and department tree it
// cached of orgID are dropped, so that the next punch reads them afresh.
// The organisation service calls it (through the node) after each
// membership or directory change commits.
func (s *Service) DirectoryChanged(orgID tack.ID) {
	s.dirMu.Lock()
	if st := s.dirs[orgID]; st != nil {
		st.gen++
		st.members, st.snap = nil, nil
		st.misses, st.size = 0, 0
	}
	s.dirMu.Unlock()
	s.deptMu.Lock()
	delete(s.depts, orgID)
	s.deptMu.Unlock()
}

// stateOf returns orgID's state, made if missing. s.dirMu is held.
func (s *Service) stateOf(orgID tack.ID) *dirState {
	st := s.dirs[orgID]
	if st == nil {
		if len(s.dirs) >= maxDirOrgs {
			clear(s.dirs)
		}
		st = &dirState{}
		s.dirs[orgID] = st
	}
	return st
}

// punchActor is actor for punches, the hot path: an active membership
// read at most memberCacheTTL ago counts (see above).
func (s *Service) punchActor(ctx context.Context, orgID tack.ID) (*actor, error) {
	uid := tack.UserID(ctx)
	if uid == "" || !orgID.Valid() {
		return s.actor(ctx, orgID)
	}
	now := time.Now()
	s.dirMu.Lock()
	st := s.stateOf(orgID)
	if st.snap != nil && now.Sub(st.snapAt) < s.memberTTL {
		m, ok := st.snap[uid]
		if ok {
			st.hits++
		}
		// Read it again before it expires only if it saved enough reads
		// since it was read to pay for another.
		refresh := !st.loading && now.Sub(st.snapAt) > s.memberTTL*3/4 && st.hits*dirMissRatio >= st.size
		if refresh {
			st.loading = true
		}
		s.dirMu.Unlock()
		if refresh {
			s.loadSnapshot(ctx, orgID)
		}
		if ok {
			return &actor{orgID: orgID, me: m}, nil
		}
		s.dirMu.Lock() // not in the snapshot: an admin, someone who just joined, or no member
	}
	if e, ok := st.members[uid]; ok && now.Sub(e.at) < s.memberTTL {
		s.dirMu.Unlock()
		return &actor{orgID: orgID, me: e.m}, nil
	}
	if now.Sub(st.window) >= s.memberTTL {
		st.window, st.misses = now, 0
	}
	st.misses++
	load := !st.loading && st.misses >= dirHotMisses && st.misses*dirMissRatio >= st.size && st.size <= maxDirSnapshot
	if load {
		st.loading = true
	}
	gen := st.gen
	s.dirMu.Unlock()
	if load && s.loadSnapshot(ctx, orgID) {
		s.dirMu.Lock()
		m, ok := s.stateOf(orgID).snap[uid]
		s.dirMu.Unlock()
		if ok {
			return &actor{orgID: orgID, me: m}, nil
		}
	}
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	s.dirMu.Lock()
	if st := s.stateOf(orgID); st.gen == gen {
		if st.members == nil || len(st.members) >= maxDirMembers {
			st.members = map[tack.ID]memberHit{}
		}
		st.members[uid] = memberHit{m: a.me, at: now}
	}
	s.dirMu.Unlock()
	return a, nil
}

// loadSnapshot reads orgID's active members into its snapshot (the caller
// set loading) and reports whether a snapshot is now in place. A
// DirectoryChanged during the read discards what it read.
func (s *Service) loadSnapshot(ctx context.Context, orgID tack.ID) bool {
	s.dirMu.Lock()
	gen := s.stateOf(orgID).gen
	s.dirMu.Unlock()
	at := time.Now()
	// The read serves every punch of the organisation, not only this
	// request's: it is not cut short when this request's client leaves.
	ms, err := s.dir.DirectoryActiveMembers(context.WithoutCancel(ctx), orgID, nil)
	s.dirMu.Lock()
	defer s.dirMu.Unlock()
	st := s.stateOf(orgID)
	st.loading = false
	if st.gen != gen {
		return false
	}
	if err != nil {
		s.log.Warn("attendance: reading the directory", "org", orgID, "err", err)
		return false
	}
	st.size = len(ms)
	if len(ms) > maxDirSnapshot {
		st.snap = nil
		return false
	}
	snap := make(map[tack.ID]org.Member, len(ms))
	for _, m := range ms {
		if m.UserID == "" || m.Status != org.Active || m.Role != org.RoleMember {
			continue // admins are read one at a time (their two-step sign-in counts)
		}
		// What a punch uses of a member: the rest would only take memory.
		snap[m.UserID] = org.Member{ID: m.ID, OrgID: m.OrgID, UserID: m.UserID, Status: m.Status, Role: m.Role,
			Departments: m.Departments, ManagerID: m.ManagerID}
	}
	st.snap, st.snapAt, st.hits = snap, at, 0
	return true
}

package attendance

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// dirA is a Directory over a list of members, found by member or user ID
// as the organisation service finds them, counting reads.
type dirA struct {
	mu       sync.Mutex
	ms       []org.Member
	one, all int
	allErr   error
}

func (d *dirA) DirectoryMember(_ context.Context, orgID, id tack.ID) (org.Member, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.one++
	for _, m := range d.ms {
		if m.OrgID == orgID && (m.ID == id || m.UserID == id) {
			return m, nil
		}
	}
	return org.Member{}, tack.ErrNotFound
}

func (d *dirA) DirectoryActiveMembers(_ context.Context, orgID tack.ID, paths []string) ([]org.Member, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all++
	if d.allErr != nil {
		return nil, d.allErr
	}
	var out []org.Member
	for _, m := range d.ms {
		if m.OrgID == orgID && m.Status == org.Active {
			out = append(out, m)
		}
	}
	return out, nil
}

func (d *dirA) DirectoryMembers(context.Context, tack.ID, []tack.ID) ([]org.Member, error) {
	return nil, nil
}
func (d *dirA) DirectoryOrg(context.Context, tack.ID) (org.Org, error) { return org.Org{}, nil }
func (d *dirA) DirectoryDepartments(context.Context, tack.ID) ([]org.Department, error) {
	return nil, nil
}
func (d *dirA) DirectoryOrgsOf(context.Context, tack.ID) ([]org.Org, []org.Member, error) {
	return nil, nil, nil
}

func (d *dirA) counts() (int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.one, d.all
}

// orgA makes n active plain members of a new organisation.
func orgA(n int) (tack.ID, []org.Member) {
	orgID := tack.NewID()
	ms := make([]org.Member, n)
	for i := range ms {
		ms[i] = org.Member{ID: tack.NewID(), OrgID: orgID, UserID: tack.NewID(), Status: org.Active, Role: org.RoleMember}
	}
	return orgID, ms
}

func asA(uid tack.ID) context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: uid})
}

// TestCallerIsTheirOwnMember: the directory finds members by member or
// user ID; a caller whose user ID is someone's member ID is not that
// member. A member who never joined (no user) has no attendance to read.
func TestCallerIsTheirOwnMember(t *testing.T) {
	orgID, ms := orgA(2)
	invited := org.Member{ID: tack.NewID(), OrgID: orgID, Status: org.Active, Role: org.RoleMember}
	d := &dirA{ms: append(ms, invited)}
	s := NewService(nil, d, nil, Config{})
	if a, err := s.actor(asA(ms[0].UserID), orgID); err != nil || a.me.ID != ms[0].ID {
		t.Fatalf("member: %v %+v", err, a)
	}
	if a, err := s.actor(asA(ms[1].ID), orgID); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("a caller whose user ID is another's member ID: %v %+v", err, a)
	}
	a := &actor{orgID: orgID, me: ms[0]}
	if m, err := s.subject(context.Background(), a, ms[1].ID); err != nil || m.ID != ms[1].ID {
		t.Errorf("subject by member ID: %v %+v", err, m)
	}
	if m, err := s.subject(context.Background(), a, invited.ID); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("a member who never joined: %v %+v", err, m)
	}
}

// TestServiceConfigDefaults: the node name and logger given are used; a
// service given none names itself and logs to the default logger.
func TestServiceConfigDefaults(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, nil))
	s := NewService(nil, nil, nil, Config{Logger: l, Node: "node-1"})
	if s.node != "node-1" || s.log != l {
		t.Errorf("given: node %q, logger kept %v", s.node, s.log == l)
	}
	s = NewService(nil, nil, nil, Config{})
	if s.node == "" || s.log == nil {
		t.Errorf("defaults: node %q, logger %v", s.node, s.log)
	}
	// What a service logs goes to its logger: a failed snapshot read.
	orgID, ms := orgA(1)
	d := &dirA{ms: ms, allErr: errors.New("directory down")}
	s = NewService(nil, d, nil, Config{Logger: l})
	s.dirMu.Lock()
	s.stateOf(orgID).loading = true
	s.dirMu.Unlock()
	if s.loadSnapshot(context.Background(), orgID) {
		t.Errorf("a failed read made a snapshot")
	}
	if !strings.Contains(buf.String(), "directory down") {
		t.Errorf("log: %q", buf.String())
	}
}

// TestAuditNamesTheActor: an audit entry names the organisation and user
// acting; one without an actor (an approval applied) names neither.
func TestAuditNamesTheActor(t *testing.T) {
	s := NewService(nil, nil, nil, Config{})
	orgID, ms := orgA(1)
	e := s.audit(&actor{orgID: orgID, me: ms[0]}, "group.create", "x", nil)
	if e.OrgID != orgID || e.ActorID != ms[0].UserID || e.Action != "group.create" {
		t.Errorf("entry %+v", e)
	}
	e = s.audit(nil, "cover", "x", nil)
	if e.OrgID != "" || e.ActorID != "" {
		t.Errorf("entry without actor %+v", e)
	}
}

// TestDirectoryCacheForgetsManyOrgs: the punch's directory cache keeps
// at most maxDirOrgs organisations; the next one makes it forget them
// all. Below that, an organisation's cached memberships stay.
func TestDirectoryCacheForgetsManyOrgs(t *testing.T) {
	orgA1, ms1 := orgA(1)
	orgA2, ms2 := orgA(1)
	d := &dirA{ms: append(ms1, ms2...)}
	s := NewService(nil, d, nil, Config{})
	s.memberTTL = time.Hour
	punch := func(m org.Member) {
		t.Helper()
		if _, err := s.punchActor(asA(m.UserID), m.OrgID); err != nil {
			t.Fatal(err)
		}
	}
	punch(ms1[0])
	punch(ms2[0]) // a second organisation: the first stays cached
	punch(ms1[0])
	if one, _ := d.counts(); one != 2 {
		t.Fatalf("two organisations: %d member reads, want 2", one)
	}
	// Fill the cache to maxDirOrgs organisations (orgA1 and orgA2
	// among them).
	s.dirMu.Lock()
	for len(s.dirs) < maxDirOrgs {
		s.dirs[tack.NewID()] = &dirState{}
	}
	s.dirMu.Unlock()
	punch(ms1[0])
	if one, _ := d.counts(); one != 2 {
		t.Fatalf("at the limit: %d member reads, want 2", one)
	}
	orgA3, ms3 := orgA(1)
	d.mu.Lock()
	d.ms = append(d.ms, ms3...)
	d.mu.Unlock()
	punch(ms3[0]) // one more: everything is forgotten
	punch(ms1[0])
	if one, _ := d.counts(); one != 4 {
		t.Errorf("past the limit: %d member reads, want 4", one)
	}
	s.dirMu.Lock()
	n := len(s.dirs)
	s.dirMu.Unlock()
	if n != 2 {
		t.Errorf("%d organisations cached, want 2 (%s, %s)", n, orgA3, orgA1)
	}
	_ = orgA2
}

// TestDirectorySnapshotRefresh: a snapshot is read again only in the
// last quarter of its life, and only if the punches it served since it
// was read are at least a fifth of the organisation.
func TestDirectorySnapshotRefresh(t *testing.T) {
	orgID, ms := orgA(100)
	d := &dirA{ms: ms}
	s := NewService(nil, d, nil, Config{})
	s.memberTTL = time.Hour
	punch := func(m org.Member) {
		t.Helper()
		if _, err := s.punchActor(asA(m.UserID), orgID); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range ms[:dirHotMisses] {
		punch(m) // the rush: the snapshot is read
	}
	if _, all := d.counts(); all != 1 {
		t.Fatalf("snapshot reads %d, want 1", all)
	}
	// Nineteen punches served: not yet a fifth of 100.
	for _, m := range ms[dirHotMisses : dirHotMisses+19] {
		punch(m)
	}
	setAge := func(age time.Duration) {
		s.dirMu.Lock()
		s.dirs[orgID].snapAt = time.Now().Add(-age)
		s.dirMu.Unlock()
	}
	// Half its life: not read again, however many it served.
	setAge(30 * time.Minute)
	punch(ms[60])
	if _, all := d.counts(); all != 1 {
		t.Fatalf("a snapshot half its life old was read again: %d reads", all)
	}
	// Past three quarters, with 20 punches served (the 20th this one): a
	// fifth of 100, read again.
	s.dirMu.Lock()
	hits := s.dirs[orgID].hits
	s.dirMu.Unlock()
	if hits != 20 {
		t.Fatalf("the snapshot served %d punches, want 20", hits)
	}
	s.dirMu.Lock()
	s.dirs[orgID].hits = 19
	s.dirMu.Unlock()
	setAge(50 * time.Minute)
	punch(ms[61])
	if _, all := d.counts(); all != 2 {
		t.Fatalf("a snapshot that served a fifth of the organisation was not read again: %d reads", all)
	}
}

// TestDirectoryRushWindow: membership reads count toward a rush only
// within memberCacheTTL of the first of them.
func TestDirectoryRushWindow(t *testing.T) {
	orgID, ms := orgA(100)
	d := &dirA{ms: ms}
	s := NewService(nil, d, nil, Config{})
	s.memberTTL = time.Hour
	for _, m := range ms[:dirHotMisses-1] {
		if _, err := s.punchActor(asA(m.UserID), orgID); err != nil {
			t.Fatal(err)
		}
	}
	s.dirMu.Lock()
	s.dirs[orgID].window = time.Now().Add(-2 * time.Hour) // those reads were long ago
	s.dirMu.Unlock()
	if _, err := s.punchActor(asA(ms[dirHotMisses].UserID), orgID); err != nil {
		t.Fatal(err)
	}
	if _, all := d.counts(); all != 0 {
		t.Errorf("reads of an old window made a rush: %d snapshot reads", all)
	}
	s.dirMu.Lock()
	misses := s.dirs[orgID].misses
	s.dirMu.Unlock()
	if misses != 1 {
		t.Errorf("misses in the new window %d, want 1", misses)
	}
}

// TestDirectorySnapshotSize: an organisation of up to maxDirSnapshot
// active members is read whole in a rush; a larger one a member at a
// time.
func TestDirectorySnapshotSize(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 members")
	}
	for _, n := range []int{maxDirSnapshot, maxDirSnapshot + 1} {
		orgID, ms := orgA(n)
		d := &dirA{ms: ms}
		s := NewService(nil, d, nil, Config{})
		s.memberTTL = time.Hour
		if !s.loadSnapshot(context.Background(), orgID) != (n > maxDirSnapshot) {
			t.Errorf("%d members: snapshot %v", n, n <= maxDirSnapshot)
		}
		one0, _ := d.counts()
		if _, err := s.punchActor(asA(ms[n-1].UserID), orgID); err != nil {
			t.Fatal(err)
		}
		if one, _ := d.counts(); (one > one0) != (n > maxDirSnapshot) {
			t.Errorf("%d members: member reads %d -> %d", n, one0, one)
		}
	}
	// Rushes: a known size of exactly maxDirSnapshot is read whole when
	// a fifth of it has punched.
	orgID, ms := orgA(10)
	d := &dirA{ms: ms}
	s := NewService(nil, d, nil, Config{})
	s.memberTTL = time.Hour
	s.dirMu.Lock()
	st := s.stateOf(orgID)
	st.window, st.misses, st.size = time.Now(), maxDirSnapshot/dirMissRatio-1, maxDirSnapshot
	s.dirMu.Unlock()
	if _, err := s.punchActor(asA(ms[0].UserID), orgID); err != nil {
		t.Fatal(err)
	}
	if _, all := d.counts(); all != 1 {
		t.Errorf("an organisation of %d in a rush: %d snapshot reads, want 1", maxDirSnapshot, all)
	}
}

// groupStoreA is a Store that answers Groups, counting reads (the rest
// is not used).
type groupStoreA struct {
	Store
	mu    sync.Mutex
	reads int
	gs    []Group
}

func (st *groupStoreA) Groups(context.Context, tack.ID) ([]Group, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.reads++
	return st.gs, nil
}

// TestGroupCache: an organisation's groups are read from the store when
// the cached copy is older than groupCacheTTL, and not while it is
// fresh.
func TestGroupCache(t *testing.T) {
	st := &groupStoreA{gs: []Group{{ID: tack.NewID(), Name: "stored"}}}
	s := NewService(st, nil, nil, Config{})
	orgID := tack.NewID()
	cached := []Group{{ID: tack.NewID(), Name: "cached"}}
	s.groupCache[orgID] = groupEntry{groups: cached, at: time.Now().Add(time.Hour)} // fresh, whatever the wait
	gs, err := s.orgGroups(context.Background(), orgID)
	if err != nil || len(gs) != 1 || gs[0].Name != "cached" || st.reads != 0 {
		t.Errorf("fresh: %+v %v, %d reads", gs, err, st.reads)
	}
	s.groupCache[orgID] = groupEntry{groups: cached, at: time.Now().Add(-time.Hour)}
	gs, err = s.orgGroups(context.Background(), orgID)
	if err != nil || len(gs) != 1 || gs[0].Name != "stored" || st.reads != 1 {
		t.Errorf("stale: %+v %v, %d reads", gs, err, st.reads)
	}
}

// TestDirectoryMembershipsLimit: at most maxDirMembers memberships of an
// organisation are cached one at a time; the read that finds the cache
// full starts it afresh.
func TestDirectoryMembershipsLimit(t *testing.T) {
	orgID, ms := orgA(2)
	d := &dirA{ms: ms}
	s := NewService(nil, d, nil, Config{})
	s.memberTTL = time.Hour
	punch := func(m org.Member) {
		t.Helper()
		if _, err := s.punchActor(asA(m.UserID), orgID); err != nil {
			t.Fatal(err)
		}
	}
	punch(ms[0])
	s.dirMu.Lock()
	st := s.dirs[orgID]
	for len(st.members) < maxDirMembers-1 {
		st.members[tack.NewID()] = memberHit{at: time.Now()}
	}
	s.dirMu.Unlock()
	punch(ms[1]) // the cache is full now
	punch(ms[0])
	if one, _ := d.counts(); one != 2 {
		t.Fatalf("a full cache: %d member reads, want 2", one)
	}
	s.dirMu.Lock()
	st.misses = 0 // no rush: the next read is one at a time
	s.dirMu.Unlock()
	punch(orgAMember(d, orgID))
	s.dirMu.Lock()
	n := len(st.members)
	s.dirMu.Unlock()
	if n != 1 {
		t.Errorf("after a read into a full cache: %d memberships cached, want 1", n)
	}
	punch(ms[0])
	if one, _ := d.counts(); one != 4 {
		t.Errorf("a membership forgotten with the full cache: %d member reads, want 4", one)
	}
}

// orgAMember adds a member to orgID in d.
func orgAMember(d *dirA, orgID tack.ID) org.Member {
	m := org.Member{ID: tack.NewID(), OrgID: orgID, UserID: tack.NewID(), Status: org.Active, Role: org.RoleMember}
	d.mu.Lock()
	d.ms = append(d.ms, m)
	d.mu.Unlock()
	return m
}

// TestGroupMembersWithoutRivals: with no other group known to claim
// them, a group's department members are its own, even when this node's
// cached list of the organisation's groups does not hold it yet (a group
// made on another node moments ago plans its members at once).
func TestGroupMembersWithoutRivals(t *testing.T) {
	orgID, ms := orgA(3)
	dept := tack.NewID()
	for i := range ms {
		ms[i].Departments = []tack.ID{dept}
	}
	d := &dirA{ms: ms}
	s := NewService(&groupStoreA{}, d, nil, Config{})
	tr := newTree([]org.Department{{ID: dept, OrgID: orgID, Path: "/" + string(dept)}})
	g := Group{ID: tack.NewID(), OrgID: orgID, DepartmentIDs: []tack.ID{dept}}
	other := Group{ID: tack.NewID(), OrgID: orgID, MemberIDs: []tack.ID{tack.NewID()}}
	for _, known := range [][]Group{{g}, {other}} {
		s.groupCache[orgID] = groupEntry{groups: known, at: time.Now().Add(time.Hour)}
		got, err := s.members(context.Background(), tr, g)
		if err != nil || len(got) != len(ms) {
			t.Errorf("groups known %d (g among them: %v): %d members, %v; want %d", len(known), known[0].ID == g.ID, len(got), err, len(ms))
		}
	}
}

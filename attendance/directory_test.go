package attendance

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// fakeDir is a Directory over a map, counting reads.
type fakeDir struct {
	mu       sync.Mutex
	members  map[tack.ID]org.Member // by user ID
	one, all int                    // DirectoryMember and DirectoryActiveMembers calls
}

func (d *fakeDir) DirectoryMember(_ context.Context, orgID, id tack.ID) (org.Member, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.one++
	m, ok := d.members[id]
	if !ok || m.OrgID != orgID {
		return org.Member{}, tack.ErrNotFound
	}
	return m, nil
}

func (d *fakeDir) DirectoryActiveMembers(_ context.Context, orgID tack.ID, paths []string) ([]org.Member, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all++
	var out []org.Member
	for _, m := range d.members {
		if m.OrgID == orgID && m.Status == org.Active {
			out = append(out, m)
		}
	}
	return out, nil
}

func (d *fakeDir) DirectoryMembers(context.Context, tack.ID, []tack.ID) ([]org.Member, error) {
	return nil, nil
}
func (d *fakeDir) DirectoryOrg(context.Context, tack.ID) (org.Org, error) { return org.Org{}, nil }
func (d *fakeDir) DirectoryDepartments(context.Context, tack.ID) ([]org.Department, error) {
	return nil, nil
}
func (d *fakeDir) DirectoryOrgsOf(context.Context, tack.ID) ([]org.Org, []org.Member, error) {
	return nil, nil, nil
}

func (d *fakeDir) set(uid tack.ID, f func(*org.Member)) {
	d.mu.Lock()
	m := d.members[uid]
	f(&m)
	d.members[uid] = m
	d.mu.Unlock()
}

func (d *fakeDir) counts() (int, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.one, d.all
}

// TestPunchDirectory: the punch's membership cache. One at a time below
// the rush threshold, a snapshot of the organisation in a rush; admins are
// never taken from the snapshot; DirectoryChanged makes a suspension
// count at once; a larger organisation needs more punches before it is
// read whole. Nothing here depends on time: the cache's lifetime is an
// hour here.
func TestPunchDirectory(t *testing.T) {
	orgID := tack.NewID()
	d := &fakeDir{members: map[tack.ID]org.Member{}}
	var uids []tack.ID
	for i := range 100 {
		uid := tack.NewID()
		uids = append(uids, uid)
		role := org.RoleMember
		if i == 0 {
			role = org.RoleAdmin
		}
		d.members[uid] = org.Member{ID: tack.NewID(), OrgID: orgID, UserID: uid, Name: fmt.Sprint("M", i), Status: org.Active, Role: role}
	}
	s := NewService(nil, d, nil, Config{})
	s.memberTTL = time.Hour // nothing expires while the test runs, however slowly
	as := func(uid tack.ID) context.Context {
		return tack.WithCaller(context.Background(), tack.Caller{UserID: uid})
	}
	punch := func(uid tack.ID) (*actor, error) { return s.punchActor(as(uid), orgID) }

	// Below the threshold: one read per member, and a second punch of
	// the same member reads nothing.
	for i := 1; i < dirHotMisses; i++ {
		if a, err := punch(uids[i]); err != nil || a.me.UserID != uids[i] {
			t.Fatalf("punch %d: %v %+v", i, err, a)
		}
	}
	if _, err := punch(uids[1]); err != nil {
		t.Fatal(err)
	}
	if one, all := d.counts(); one != dirHotMisses-1 || all != 0 {
		t.Fatalf("below the threshold: %d member reads, %d snapshot reads; want %d, 0", one, all, dirHotMisses-1)
	}
	// The threshold's read takes the snapshot; the rest of the
	// organisation punches without a read.
	for i := dirHotMisses; i < len(uids); i++ {
		a, err := punch(uids[i])
		if err != nil || a.me.UserID != uids[i] || a.me.ID != d.members[uids[i]].ID || a.orgID != orgID {
			t.Fatalf("punch %d: %v %+v", i, err, a)
		}
		if a.me.Name != "" {
			t.Fatalf("the snapshot keeps what a punch needs only, got a name %q", a.me.Name)
		}
	}
	if one, all := d.counts(); one != dirHotMisses-1 || all != 1 {
		t.Fatalf("in the rush: %d member reads, %d snapshot reads; want %d, 1", one, all, dirHotMisses-1)
	}
	// An admin is read on their own (their two-step sign-in counts).
	if a, err := punch(uids[0]); err != nil || a.me.Role != org.RoleAdmin {
		t.Fatalf("admin: %v %+v", err, a)
	}
	if one, _ := d.counts(); one != dirHotMisses {
		t.Fatalf("the admin's punch read %d members in all, want %d", one, dirHotMisses)
	}
	// A suspension made through this node counts at once.
	d.set(uids[50], func(m *org.Member) { m.Status = org.Suspended })
	if _, err := punch(uids[50]); err != nil {
		t.Fatalf("before the change is told: %v", err) // the snapshot still has them
	}
	s.DirectoryChanged(orgID)
	if _, err := punch(uids[50]); tack.ErrorCode(err) != tack.EForbidden {
		t.Fatalf("suspended member after DirectoryChanged: %v, want forbidden", err)
	}
	// So does a removal of someone punching one at a time.
	if _, err := punch(uids[2]); err != nil {
		t.Fatal(err)
	}
	d.set(uids[2], func(m *org.Member) { m.Status = org.Left })
	s.DirectoryChanged(orgID)
	if _, err := punch(uids[2]); tack.ErrorCode(err) != tack.ENotFound {
		t.Fatalf("removed member after DirectoryChanged: %v, want not_found", err)
	}
	// Outsiders and callers without a user get not_found and are not
	// cached as members.
	if _, err := punch(tack.NewID()); tack.ErrorCode(err) != tack.ENotFound {
		t.Fatalf("outsider: %v", err)
	}
	if _, err := s.punchActor(context.Background(), orgID); tack.ErrorCode(err) != tack.EUnauthorized {
		t.Fatalf("no caller: %v", err)
	}
	// After the change the organisation is read a member at a time again
	// until the rush threshold, as its size is forgotten with it.
	_, all0 := d.counts()
	for i := 3; i < 3+dirHotMisses-3; i++ {
		if _, err := punch(uids[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, all := d.counts(); all != all0 {
		t.Fatalf("snapshot read below the threshold after a change: %d, want %d", all, all0)
	}
}

// TestPunchDirectoryLarge: an organisation is read whole only when its
// punches within memberCacheTTL are a fifth of its members or more, and
// read again before it expires only if it was worth it.
func TestPunchDirectoryLarge(t *testing.T) {
	orgID := tack.NewID()
	d := &fakeDir{members: map[tack.ID]org.Member{}}
	var uids []tack.ID
	for range 1000 {
		uid := tack.NewID()
		uids = append(uids, uid)
		d.members[uid] = org.Member{ID: tack.NewID(), OrgID: orgID, UserID: uid, Status: org.Active, Role: org.RoleMember}
	}
	s := NewService(nil, d, nil, Config{})
	s.memberTTL = time.Hour // nothing expires while the test runs, however slowly
	punch := func(uid tack.ID) {
		t.Helper()
		if _, err := s.punchActor(tack.WithCaller(context.Background(), tack.Caller{UserID: uid}), orgID); err != nil {
			t.Fatal(err)
		}
	}
	for _, uid := range uids[:dirHotMisses] {
		punch(uid) // the first snapshot: the size is unknown until then
	}
	if _, all := d.counts(); all != 1 {
		t.Fatalf("snapshot reads = %d, want 1", all)
	}
	s.dirMu.Lock()
	st := s.dirs[orgID]
	st.snap = nil                // as if it had expired
	st.misses, st.size = 0, 5000 // and the organisation had grown
	s.dirMu.Unlock()
	for _, uid := range uids[dirHotMisses:300] {
		punch(uid)
	}
	if _, all := d.counts(); all != 1 {
		t.Fatalf("a large organisation at a trickle was read whole: %d snapshot reads", all)
	}
	s.dirMu.Lock()
	st.misses, st.size = 0, 1000
	s.dirMu.Unlock()
	for _, uid := range uids[300:500] {
		punch(uid)
	}
	if _, all := d.counts(); all != 2 {
		t.Fatalf("snapshot reads = %d after a fifth of the organisation punched, want 2", all)
	}
	// Near its end a snapshot is read again only if it served enough
	// punches to pay for another read.
	s.dirMu.Lock()
	st.snapAt, st.hits = time.Now().Add(-50*time.Minute), 0 // 5/6 of its hour
	s.dirMu.Unlock()
	punch(uids[600])
	if _, all := d.counts(); all != 2 {
		t.Fatalf("a snapshot that served one punch was read again: %d snapshot reads", all)
	}
	s.dirMu.Lock()
	st.hits = 300
	s.dirMu.Unlock()
	punch(uids[601])
	if _, all := d.counts(); all != 3 {
		t.Fatalf("a snapshot that served 300 punches of 1,000 members was not read again: %d snapshot reads", all)
	}
}

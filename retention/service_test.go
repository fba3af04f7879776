package retention

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/org"
)

type fakeStore struct {
	policies map[tack.ID]Policy
	groups   map[tack.ID]tack.ID // conversation: organisation
	holds    map[tack.ID]Hold
	expired  []int // what each Expire returns, in turn
	audits   []string
}

func (f *fakeStore) Policy(_ context.Context, o tack.ID) (Policy, error) { return f.policies[o], nil }
func (f *fakeStore) PutPolicy(_ context.Context, p Policy, a org.Audit) error {
	f.policies[p.OrgID] = p
	f.audits = append(f.audits, a.Action)
	return nil
}
func (f *fakeStore) Policies(context.Context) ([]Policy, error) {
	var out []Policy
	for _, p := range f.policies {
		if p.Days > 0 {
			out = append(out, p)
		}
	}
	return out, nil
}
func (f *fakeStore) GroupOrg(_ context.Context, c tack.ID) (tack.ID, error) {
	if o, ok := f.groups[c]; ok {
		return o, nil
	}
	return "", tack.ErrNotFound
}
func (f *fakeStore) Holds(_ context.Context, o tack.ID) ([]Hold, error) {
	var out []Hold
	for _, h := range f.holds {
		if h.OrgID == o {
			out = append(out, h)
		}
	}
	return out, nil
}
func (f *fakeStore) PutHold(_ context.Context, h Hold, a org.Audit) error {
	f.holds[h.ConversationID] = h
	f.audits = append(f.audits, a.Action)
	return nil
}
func (f *fakeStore) DeleteHold(_ context.Context, o, c tack.ID, a org.Audit) error {
	if h, ok := f.holds[c]; !ok || h.OrgID != o {
		return tack.ErrNotFound
	}
	delete(f.holds, c)
	f.audits = append(f.audits, a.Action)
	return nil
}
func (f *fakeStore) Held(_ context.Context, c tack.ID) (bool, error) {
	_, ok := f.holds[c]
	return ok, nil
}
func (f *fakeStore) Expire(context.Context, tack.ID, time.Time, int) (int, error) {
	if len(f.expired) == 0 {
		return 0, nil
	}
	n := f.expired[0]
	f.expired = f.expired[1:]
	return n, nil
}

type fakeDir map[tack.ID]org.Member // by user

func (d fakeDir) Get(ctx context.Context, orgID tack.ID) (org.Org, org.Member, error) {
	m, ok := d[tack.UserID(ctx)]
	if !ok || m.OrgID != orgID {
		return org.Org{}, org.Member{}, tack.Errorf(tack.ENotFound, "no such organisation")
	}
	return org.Org{ID: orgID}, m, nil
}

type fakeConvs map[tack.ID][]tack.ID // conversation: members

func (c fakeConvs) Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error) {
	for _, u := range c[id] {
		if u == tack.UserID(ctx) {
			return chat.Conversation{ID: id}, nil
		}
	}
	return chat.Conversation{}, tack.Errorf(tack.ENotFound, "no such conversation")
}

type fakeJobs struct{ scheduled []deadline.Job }

func (j *fakeJobs) Schedule(_ context.Context, job deadline.Job, _ bool) error {
	j.scheduled = append(j.scheduled, job)
	return nil
}
func (j *fakeJobs) Cancel(context.Context, string, string) error { return nil }

func as(u tack.ID) context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: u, SessionID: "s"})
}

func setup() (*Service, *fakeStore, *fakeJobs, map[string]tack.ID) {
	ids := map[string]tack.ID{}
	for _, n := range []string{"org", "other", "owner", "admin", "weak", "member", "outsider", "group", "otherGroup", "direct"} {
		ids[n] = tack.NewID()
	}
	st := &fakeStore{policies: map[tack.ID]Policy{}, holds: map[tack.ID]Hold{},
		groups: map[tack.ID]tack.ID{ids["group"]: ids["org"], ids["otherGroup"]: ids["other"]}}
	dir := fakeDir{
		ids["owner"]:  {OrgID: ids["org"], UserID: ids["owner"], Role: org.RoleOwner},
		ids["admin"]:  {OrgID: ids["org"], UserID: ids["admin"], Role: org.RoleAdmin},
		ids["weak"]:   {OrgID: ids["org"], UserID: ids["weak"], Role: org.RoleAdmin, Needs2FA: true},
		ids["member"]: {OrgID: ids["org"], UserID: ids["member"], Role: org.RoleMember},
	}
	convs := fakeConvs{ids["group"]: {ids["member"], ids["owner"]}, ids["direct"]: {ids["member"], ids["outsider"]}}
	jobs := &fakeJobs{}
	return NewService(st, dir, convs, jobs, Config{}), st, jobs, ids
}

func code(err error) string { return tack.ErrorCode(err) }

// TestPermissions: who may read and change retention and holds.
func TestPermissions(t *testing.T) {
	s, st, jobs, id := setup()
	for _, c := range []struct {
		who  string
		read string // code of Policy
		set  string // code of SetPolicy
	}{
		{"owner", "", ""}, {"admin", "", ""}, {"weak", "", tack.EForbidden}, {"member", "", tack.EForbidden}, {"outsider", tack.ENotFound, tack.ENotFound},
	} {
		_, err := s.Policy(as(id[c.who]), id["org"])
		if code(err) != c.read {
			t.Errorf("%s reads: %v, want %q", c.who, err, c.read)
		}
		_, err = s.SetPolicy(as(id[c.who]), id["org"], 30)
		if code(err) != c.set {
			t.Errorf("%s sets: %v, want %q", c.who, err, c.set)
		}
		_, err = s.PutHold(as(id[c.who]), id["org"], id["group"], "")
		if code(err) != c.set {
			t.Errorf("%s holds: %v, want %q", c.who, err, c.set)
		}
	}
	if _, err := s.Policy(context.Background(), id["org"]); code(err) != tack.EUnauthorized {
		t.Errorf("anonymous: %v", err)
	}
	if len(jobs.scheduled) != 2 || jobs.scheduled[0].Kind != SweepJob || jobs.scheduled[0].Key != nowKey(id["org"]) {
		t.Errorf("jobs %+v", jobs.scheduled)
	}
	if len(st.audits) != 4 {
		t.Errorf("audits %v", st.audits)
	}
	// Holds only on the organisation's own groups.
	for _, c := range []tack.ID{id["otherGroup"], id["direct"], "not an id"} {
		if _, err := s.PutHold(as(id["owner"]), id["org"], c, ""); code(err) != tack.ENotFound {
			t.Errorf("hold on %s: %v", c, err)
		}
	}
	if err := s.RemoveHold(as(id["owner"]), id["other"], id["group"]); code(err) != tack.ENotFound {
		t.Errorf("lifting through an organisation one is not in: %v", err)
	}
	if _, err := s.PutHold(as(id["owner"]), id["org"], id["group"], string(make([]rune, MaxReason+1))); code(err) != tack.EInvalid {
		t.Errorf("long reason: %v", err)
	}
	// A member of the group sees retention and hold; others nothing.
	info, err := s.Conversation(as(id["member"]), id["group"])
	if err != nil || info.Days != 30 || !info.LegalHold || info.OrgID != id["org"] {
		t.Errorf("member's view: %+v, %v", info, err)
	}
	if _, err := s.Conversation(as(id["outsider"]), id["group"]); code(err) != tack.ENotFound {
		t.Errorf("outsider's view: %v", err)
	}
	if info, err := s.Conversation(as(id["member"]), id["direct"]); err != nil || info.OrgID != "" || info.Days != 0 {
		t.Errorf("a direct chat: %+v, %v", info, err)
	}
	if err := s.RemoveHold(as(id["admin"]), id["org"], id["group"]); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveHold(as(id["admin"]), id["org"], id["group"]); code(err) != tack.ENotFound {
		t.Errorf("lifting twice: %v", err)
	}
}

func TestCheckDays(t *testing.T) {
	for days, ok := range map[int]bool{0: true, 1: true, 30: true, 36500: true, -1: false, 36501: false} {
		if err := CheckDays(days); (err == nil) != ok {
			t.Errorf("CheckDays(%d) = %v", days, err)
		}
	}
}

// TestSweep: a sweep removes in batches up to MaxPerRun, then schedules
// itself at once; done, it schedules the next run after Every; without a
// policy it ends.
func TestSweep(t *testing.T) {
	s, st, jobs, id := setup()
	s.cfg.Batch, s.cfg.MaxPerRun = 10, 20
	j := deadline.Job{Kind: SweepJob, Key: string(id["org"])}
	if err := s.HandleSweep(context.Background(), j); err != nil || len(jobs.scheduled) != 0 {
		t.Fatalf("without a policy: %v, %+v", err, jobs.scheduled)
	}
	st.policies[id["org"]] = Policy{OrgID: id["org"], Days: 7}
	st.expired = []int{10, 10, 10, 3}
	expired := 0
	s.cfg.Expired = func(context.Context) { expired++ }
	before := time.Now()
	if err := s.HandleSweep(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if len(jobs.scheduled) != 1 || jobs.scheduled[0].Due.After(time.Now()) || len(st.expired) != 2 {
		t.Fatalf("after a full run: %+v, left %v", jobs.scheduled, st.expired)
	}
	if err := s.HandleSweep(context.Background(), j); err != nil {
		t.Fatal(err)
	}
	if len(jobs.scheduled) != 2 || jobs.scheduled[1].Due.Before(before.Add(time.Hour)) || expired != 2 {
		t.Fatalf("after the last run: %+v, expired hook %d", jobs.scheduled, expired)
	}
	if err := s.HandleSweep(context.Background(), deadline.Job{Kind: SweepJob, Key: "bad"}); err == nil || !errors.As(err, new(interface{ Unwrap() error })) {
		t.Errorf("a bad key: %v", err)
	}
	if err := s.Resume(context.Background()); err != nil || len(jobs.scheduled) != 3 || jobs.scheduled[2].Key != string(id["org"]) {
		t.Errorf("Resume: %v, %+v", err, jobs.scheduled)
	}
	// A sweep a change asked for runs once, then leaves the periodic one.
	st.expired = []int{5}
	if err := s.HandleSweep(context.Background(), deadline.Job{Kind: SweepJob, Key: nowKey(id["org"])}); err != nil {
		t.Fatal(err)
	}
	if len(jobs.scheduled) != 4 || jobs.scheduled[3].Key != string(id["org"]) || jobs.scheduled[3].Due.Before(before.Add(time.Hour)) {
		t.Errorf("after an asked-for sweep: %+v", jobs.scheduled[3:])
	}
	if err := s.HandleSweep(context.Background(), deadline.Job{Kind: SweepJob, Key: string(id["org"]) + "/later"}); err == nil {
		t.Error("a bad key suffix was taken")
	}
}

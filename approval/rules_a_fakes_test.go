package approval

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/push"
)

// raStore is an in-memory Store for the rules tests: instances, tasks and
// actions as Apply wrote them, built-in templates only, a box and its
// counts as the test sets them. failApply, when set, answers the n-th
// Apply (from 1) instead of writing; a nil answer writes. Methods it does
// not fake panic (the embedded nil Store).
type raStore struct {
	Store
	mu        sync.Mutex
	inst      map[tack.ID]Instance
	tasks     map[tack.ID][]Task
	acts      map[tack.ID][]Action
	applies   int
	failApply func(n int) error

	entries   []Entry // a box, newest first
	boxAfter  []*Cursor
	boxLimits []int
	counts    map[string]int
	refs      []FileRef
	pending   leave.Amount
	tpls      map[string]Template // the organisation's own templates
}

func newRAStore() *raStore {
	return &raStore{inst: map[tack.ID]Instance{}, tasks: map[tack.ID][]Task{}, acts: map[tack.ID][]Action{}, counts: map[string]int{}}
}

func (s *raStore) put(in Instance, tasks ...Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in.Rev++
	s.inst[in.ID] = in
	s.tasks[in.ID] = tasks
}

func (s *raStore) Template(ctx context.Context, orgID tack.ID, key string, version int) (Template, error) {
	if t, ok := s.tpls[key]; ok {
		return t, nil
	}
	return Template{}, tack.ErrNotFound
}

func (s *raStore) Instance(ctx context.Context, orgID, id tack.ID) (Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.inst[id]
	if !ok || in.OrgID != orgID {
		return Instance{}, tack.ErrNotFound
	}
	return in, nil
}

func (s *raStore) Instances(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Instance
	for _, x := range ids {
		if in, ok := s.inst[x]; ok && in.OrgID == orgID {
			out = append(out, in)
		}
	}
	return out, nil
}

func (s *raStore) Tasks(ctx context.Context, id tack.ID) ([]Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.tasks[id]), nil
}

func (s *raStore) Actions(ctx context.Context, id tack.ID) ([]Action, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acts[id]), nil
}

func (s *raStore) Apply(ctx context.Context, b Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applies++
	if s.failApply != nil {
		if err := s.failApply(s.applies); err != nil {
			return err
		}
	}
	if b.Instance != nil {
		in := b.Instance.Instance
		in.Rev = b.Instance.PrevRev + 1
		s.inst[in.ID] = in
		ts := s.tasks[in.ID]
		for _, t := range b.Tasks {
			if i := slices.IndexFunc(ts, func(x Task) bool { return x.ID == t.ID }); i >= 0 {
				ts[i] = t
			} else {
				ts = append(ts, t)
			}
		}
		s.tasks[in.ID] = ts
		s.acts[in.ID] = append(s.acts[in.ID], b.Actions...)
	}
	return nil
}

func (s *raStore) applied() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applies
}

func (s *raStore) Box(ctx context.Context, userID, orgID tack.ID, box string, after *Cursor, limit int) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.boxAfter = append(s.boxAfter, after)
	s.boxLimits = append(s.boxLimits, limit)
	var out []Entry
	for _, e := range s.entries {
		if after != nil && !(e.At.Before(after.At) || e.At.Equal(after.At) && e.InstanceID < after.InstanceID) {
			continue
		}
		if len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *raStore) BoxCount(ctx context.Context, userID, orgID tack.ID, box string) (int, error) {
	return s.counts[box], nil
}

func (s *raStore) PendingLeave(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Amount, error) {
	return s.pending, nil
}

func (s *raStore) AwayAt(ctx context.Context, userIDs []tack.ID, t time.Time) ([]Away, error) {
	return nil, nil
}

func (s *raStore) ClaimJob(ctx context.Context, id tack.ID, now, until time.Time, owner string) (Job, error) {
	return Job{}, tack.ErrNotFound // jobs are not run here
}

func (s *raStore) ClaimJobs(ctx context.Context, now, until time.Time, owner string, limit int) ([]Job, error) {
	return nil, nil
}

func (s *raStore) FileInstances(ctx context.Context, fileID tack.ID, limit int) ([]FileRef, error) {
	return s.refs, nil
}

// raDir is the test directory with an organisation time zone, groups and
// a failure of member lookups to choose.
type raDir struct {
	*dir
	tz        string
	orgErr    error
	memberErr error
	groups    []org.Group
}

func (d *raDir) DirectoryOrg(ctx context.Context, orgID tack.ID) (org.Org, error) {
	if d.orgErr != nil {
		return org.Org{}, d.orgErr
	}
	return org.Org{ID: d.org, TimeZone: d.tz}, nil
}

func (d *raDir) DirectoryMember(ctx context.Context, orgID, x tack.ID) (org.Member, error) {
	if d.memberErr != nil {
		return org.Member{}, d.memberErr
	}
	return d.dir.DirectoryMember(ctx, orgID, x)
}

func (d *raDir) DirectoryGroups(ctx context.Context, orgID tack.ID) ([]org.Group, error) {
	return d.groups, nil
}

// raChats records the bot's messages and sends.
type raChats struct {
	mu       sync.Mutex
	notified []string // "to: text"
	sent     []string // "conv: text"
}

func (c *raChats) Notify(ctx context.Context, to tack.ID, clientID, text string) (tack.ID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.notified = append(c.notified, string(to)+": "+text)
	return id("botchat"), nil
}

func (c *raChats) AutoReply(ctx context.Context, convID, user tack.ID, clientID, text string) error {
	return nil
}

func (c *raChats) DirectPeer(ctx context.Context, convID, sender tack.ID) (tack.ID, error) {
	return "", nil
}

func (c *raChats) Send(ctx context.Context, user, convID tack.ID, clientID, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, string(convID)+": "+text)
	return nil
}

// raPush records pushes.
type raPush struct {
	mu sync.Mutex
	ns []push.Notification
}

func (p *raPush) Notify(n push.Notification) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ns = append(p.ns, n)
	return true
}

// raEvents counts live events.
type raEvents struct {
	mu sync.Mutex
	n  int
}

func (e *raEvents) PublishApproval(ctx context.Context, users []tack.ID, payload []byte) {
	e.mu.Lock()
	e.n++
	e.mu.Unlock()
}

func (e *raEvents) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

// raFiles answers every file ID as a file of the caller's.
type raFiles struct{}

func (raFiles) Attachments(ctx context.Context, ids []tack.ID) ([]chat.Attachment, error) {
	var out []chat.Attachment
	for _, x := range ids {
		out = append(out, chat.Attachment{ID: x, Kind: "file", Name: "f.txt", Size: 1, MIME: "text/plain"})
	}
	return out, nil
}

// raLeave quotes what the test says and knows one type.
type raLeave struct {
	Leave
	quote leave.Quote
	typ   leave.Type
}

func (l *raLeave) Quote(ctx context.Context, orgID, userID tack.ID, r leave.Request) (leave.Quote, error) {
	return l.quote, nil
}

func (l *raLeave) Available(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Balance, leave.Type, bool, error) {
	return leave.Balance{}, l.typ, true, nil
}

// raNow is the rules tests' time: Wednesday 2026-03-04 09:00 in Shanghai.
var raNow = time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)

// raService is a Service over the test directory (Shanghai) and store,
// without workers.
func raService(st *raStore) (*Service, *raDir) {
	d := &raDir{dir: testDir(), tz: "Asia/Shanghai"}
	return &Service{store: st, dir: d, clock: func() time.Time { return raNow }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}, d
}

// raAs is a context of the named test user.
func raAs(name string) context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: uid(name)})
}

// raActor is the named member of the test directory as an actor.
func raActor(d *dir, name string) *actor {
	m, _ := d.DirectoryMember(context.Background(), d.org, mid(name))
	return &actor{orgID: d.org, me: m}
}

package approval

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/push"
)

// memStore is the part of a Store the effects, jobs and away tests use;
// any other method panics (the embedded Store is nil).
type memStore struct {
	Store
	templates map[string]Template
	aways     []Away
	jobs      []Job // due, not leased
	claims    int   // ClaimJobs calls
	finished  []tack.ID
	retried   map[tack.ID]time.Time
	finishErr error
}

func (m *memStore) Template(ctx context.Context, orgID tack.ID, key string, version int) (Template, error) {
	if t, ok := m.templates[key]; ok {
		return t, nil
	}
	return Template{}, tack.ErrNotFound
}

func (m *memStore) AwayAt(ctx context.Context, userIDs []tack.ID, t time.Time) ([]Away, error) {
	var out []Away
	for _, a := range m.aways {
		if (userIDs == nil || contains(userIDs, a.UserID)) && !a.Start.After(t) && t.Before(a.End) {
			out = append(out, a)
		}
	}
	return out, nil
}

func contains(ids []tack.ID, x tack.ID) bool {
	for _, y := range ids {
		if y == x {
			return true
		}
	}
	return false
}

func (m *memStore) ClaimJobs(ctx context.Context, now, until time.Time, owner string, limit int) ([]Job, error) {
	m.claims++
	n := min(limit, len(m.jobs))
	out := m.jobs[:n:n]
	m.jobs = m.jobs[n:]
	return out, nil
}

func (m *memStore) ClaimJob(ctx context.Context, id tack.ID, now, until time.Time, owner string) (Job, error) {
	for i, j := range m.jobs {
		if j.ID == id {
			m.jobs = append(m.jobs[:i:i], m.jobs[i+1:]...)
			return j, nil
		}
	}
	return Job{}, tack.ErrNotFound
}

func (m *memStore) FinishJob(ctx context.Context, id tack.ID) error {
	m.finished = append(m.finished, id)
	return m.finishErr
}

func (m *memStore) RetryJob(ctx context.Context, id tack.ID, due time.Time) error {
	if m.retried == nil {
		m.retried = map[tack.ID]time.Time{}
	}
	m.retried[id] = due
	return nil
}

// memLeave records the balance changes asked of it.
type memLeave struct {
	Leave
	calls []string
}

func (l *memLeave) Deduct(ctx context.Context, c leave.Change) (*leave.Write, error) {
	l.calls = append(l.calls, "deduct "+c.LeaveType)
	return nil, nil
}

func (l *memLeave) Restore(ctx context.Context, c leave.Change) (*leave.Write, error) {
	l.calls = append(l.calls, "restore "+c.LeaveType)
	return nil, nil
}

func (l *memLeave) Credit(ctx context.Context, c leave.Change) (*leave.Write, error) {
	l.calls = append(l.calls, "credit "+c.LeaveType)
	return nil, nil
}

// memAtt records covers and uncovers; Uncover answers uncoverErr.
type memAtt struct {
	Attendance
	calls      []string
	uncoverErr error
}

func (a *memAtt) Cover(ctx context.Context, in attendance.CoverInput) (attendance.Cover, error) {
	a.calls = append(a.calls, "cover "+in.Kind)
	return attendance.Cover{}, nil
}

func (a *memAtt) Uncover(ctx context.Context, orgID tack.ID, approvalID string) error {
	a.calls = append(a.calls, "uncover")
	return a.uncoverErr
}

// memChats answers DirectPeer with peer and records automatic replies.
type memChats struct {
	Chats
	peer     tack.ID
	replies  []string
	replyErr error
}

func (c *memChats) DirectPeer(ctx context.Context, convID, sender tack.ID) (tack.ID, error) {
	return c.peer, nil
}

func (c *memChats) AutoReply(ctx context.Context, convID, user tack.ID, clientID, text string) error {
	c.replies = append(c.replies, text)
	return c.replyErr
}

func (c *memChats) Notify(ctx context.Context, to tack.ID, clientID, text string) (tack.ID, error) {
	return "", nil
}

type memPush struct{}

func (memPush) Notify(n push.Notification) bool { return true }

// orgsDir is the test directory whose people all belong to its one
// organisation.
type orgsDir struct{ *dir }

func (d orgsDir) DirectoryOrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error) {
	return []org.Org{{ID: d.org, TimeZone: "Asia/Shanghai"}}, nil, nil
}

// logBuf is a log the test reads.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// memService is a Service over the in-memory parts, without workers.
func memService(now time.Time) (*Service, *memStore, *logBuf) {
	st := &memStore{templates: map[string]Template{}}
	lb := &logBuf{}
	s := &Service{store: st, dir: orgsDir{testDir()}, clock: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(lb, nil)), node: "n1", replies: make(chan replyJob, 4)}
	return s, st, lb
}

func (m *memStore) Templates(ctx context.Context, orgID tack.ID) ([]Template, error) {
	var out []Template
	for _, t := range m.templates {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func (m *memStore) Apply(ctx context.Context, b Batch) error {
	if b.Template != nil {
		m.templates[b.Template.Template.Key] = b.Template.Template
	}
	return nil
}

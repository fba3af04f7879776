package approval

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/tacktest/logbuf"
)

// rbStore is the part of a Store the effects, jobs and away tests use;
// any other method panics (the embedded Store is nil).
type rbStore struct {
	Store
	templates map[string]Template
	aways     []Away
	jobs      []Job // due, not leased
	claims    int   // ClaimJobs calls
	finished  []tack.ID
	retried   map[tack.ID]time.Time
	finishErr error
}

func (m *rbStore) Template(ctx context.Context, orgID tack.ID, key string, version int) (Template, error) {
	if t, ok := m.templates[key]; ok {
		return t, nil
	}
	return Template{}, tack.ErrNotFound
}

func (m *rbStore) AwayAt(ctx context.Context, userIDs []tack.ID, t time.Time) ([]Away, error) {
	var out []Away
	for _, a := range m.aways {
		if (userIDs == nil || slices.Contains(userIDs, a.UserID)) && !a.Start.After(t) && t.Before(a.End) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (m *rbStore) ClaimJobs(ctx context.Context, now, until time.Time, owner string, limit int) ([]Job, error) {
	m.claims++
	n := min(limit, len(m.jobs))
	out := m.jobs[:n:n]
	m.jobs = m.jobs[n:]
	return out, nil
}

func (m *rbStore) ClaimJob(ctx context.Context, id tack.ID, now, until time.Time, owner string) (Job, error) {
	for i, j := range m.jobs {
		if j.ID == id {
			m.jobs = append(m.jobs[:i:i], m.jobs[i+1:]...)
			return j, nil
		}
	}
	return Job{}, tack.ErrNotFound
}

func (m *rbStore) FinishJob(ctx context.Context, id tack.ID) error {
	m.finished = append(m.finished, id)
	return m.finishErr
}

func (m *rbStore) RetryJob(ctx context.Context, id tack.ID, due time.Time) error {
	if m.retried == nil {
		m.retried = map[tack.ID]time.Time{}
	}
	m.retried[id] = due
	return nil
}

// rbLeave records the balance changes asked of it.
type rbLeave struct {
	Leave
	calls []string
}

func (l *rbLeave) Deduct(ctx context.Context, c leave.Change) (*leave.Write, error) {
	l.calls = append(l.calls, "deduct "+c.LeaveType)
	return nil, nil
}

func (l *rbLeave) Restore(ctx context.Context, c leave.Change) (*leave.Write, error) {
	l.calls = append(l.calls, "restore "+c.LeaveType)
	return nil, nil
}

func (l *rbLeave) Credit(ctx context.Context, c leave.Change) (*leave.Write, error) {
	l.calls = append(l.calls, "credit "+c.LeaveType)
	return nil, nil
}

// rbAtt records covers and uncovers; Uncover answers uncoverErr.
type rbAtt struct {
	Attendance
	calls      []string
	uncoverErr error
}

func (a *rbAtt) Cover(ctx context.Context, in attendance.CoverInput) (attendance.Cover, error) {
	a.calls = append(a.calls, "cover "+in.Kind)
	return attendance.Cover{}, nil
}

func (a *rbAtt) Uncover(ctx context.Context, orgID tack.ID, approvalID string) error {
	a.calls = append(a.calls, "uncover")
	return a.uncoverErr
}

// rbChats answers DirectPeer with peer and records automatic replies.
type rbChats struct {
	Chats
	peer     tack.ID
	replies  []string
	replyErr error
}

func (c *rbChats) DirectPeer(ctx context.Context, convID, sender tack.ID) (tack.ID, error) {
	return c.peer, nil
}

func (c *rbChats) AutoReply(ctx context.Context, convID, user tack.ID, clientID, text string) error {
	c.replies = append(c.replies, text)
	return c.replyErr
}

func (c *rbChats) Notify(ctx context.Context, to tack.ID, clientID, text string) (tack.ID, error) {
	return "", nil
}

type rbPush struct{}

func (rbPush) Notify(n push.Notification) bool { return true }

// rbDir is the test directory whose people all belong to its one
// organisation.
type rbDir struct{ *dir }

func (d rbDir) DirectoryOrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error) {
	return []org.Org{{ID: d.org, TimeZone: "Asia/Shanghai"}}, nil, nil
}

// rbService is a Service over the in-memory parts, without workers.
func rbService(now time.Time) (*Service, *rbStore, *logbuf.Buffer) {
	st := &rbStore{templates: map[string]Template{}}
	lb := &logbuf.Buffer{}
	s := &Service{store: st, dir: rbDir{testDir()}, clock: func() time.Time { return now },
		log: slog.New(slog.NewTextHandler(lb, nil)), node: "n1", replies: make(chan replyJob, 4)}
	return s, st, lb
}

func (m *rbStore) Templates(ctx context.Context, orgID tack.ID) ([]Template, error) {
	var out []Template
	for _, t := range m.templates {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Template) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

func (m *rbStore) Apply(ctx context.Context, b Batch) error {
	if b.Template != nil {
		m.templates[b.Template.Template.Key] = b.Template.Template
	}
	return nil
}

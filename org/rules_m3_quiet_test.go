package org_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/tacktest/logbuf"
)

// pubRec records what the service publishes, or fails every publish.
type pubRec struct {
	mu   sync.Mutex
	evs  []bus.Event
	fail error
}

func (p *pubRec) Publish(_ context.Context, e *bus.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	p.evs = append(p.evs, *e)
	return nil
}

func (p *pubRec) count(kind, action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.evs {
		if e.Kind == kind && e.Action == action {
			n++
		}
	}
	return n
}

func (p *pubRec) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.evs)
}

// TestQuietWhenAllGoesWell: blocking someone one has a direct chat with
// and keeping an organisation group in step publish their events and log
// no warning or error while the bus and the store work (moving a
// department, which brings groups in step, likewise); when the bus
// fails, the same changes still succeed and each failed publish is logged
// as a warning.
func TestQuietWhenAllGoesWell(t *testing.T) {
	c := context.Background()
	_, db, users := storeRig(t, 3, org.Config{}, nil)
	logs := &logbuf.Buffer{}
	pub := &pubRec{}
	svc := org.NewService(db, db, anyone{}, pub, nil, org.Config{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	as := func(i int) context.Context { return tack.WithCaller(c, tack.Caller{UserID: users[i]}) }

	// A direct chat between users 0 and 1.
	now := time.Now()
	conv := chat.Conversation{ID: tack.NewID(), Kind: chat.Direct, CreatedAt: now}
	if _, err := db.CreateConversation(c, conv, []chat.Membership{{ConversationID: conv.ID, UserID: users[0], Role: chat.Member, JoinedAt: now}, {ConversationID: conv.ID, UserID: users[1], Role: chat.Member, JoinedAt: now}},
		chat.NewMessage{ConversationID: conv.ID, SenderID: users[0], Kind: chat.SystemMessage, CreatedAt: now, System: &chat.System{Action: "created", ActorID: users[0]}}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Block(as(0), users[1]); err != nil {
		t.Fatal(err)
	}
	if n := pub.count(bus.Conversation, "blocks"); n != 1 {
		t.Errorf("a block between people with a direct chat published %d \"blocks\" events, want 1", n)
	}

	// An organisation group kept in step as a member joins its department.
	u := newUnitOrg(t, svc, users, "Quiet Co")
	o, d := u.Org, u.dept("Ops")
	u.group(0, d.ID)
	before := pub.len()
	u.join(2, d.ID)
	if pub.len() == before {
		t.Errorf("a member joining a department with a group published nothing")
	}
	if err := svc.SyncGroups(as(0), o.ID); err != nil {
		t.Fatal(err)
	}
	// A department moved under Ops: its groups are brought in step.
	sub, err := svc.CreateDepartment(as(0), o.ID, "", "Night shift")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateDepartment(as(0), o.ID, sub.ID, org.DepartmentChange{ParentID: &d.ID}); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); l != "" {
		t.Errorf("with everything working the service logged:\n%s", l)
	}

	// The bus fails: the changes stand, each failure is a warning.
	pub.mu.Lock()
	pub.fail = fmt.Errorf("bus down")
	pub.mu.Unlock()
	if err := svc.Unblock(as(0), users[1]); err != nil {
		t.Fatal(err)
	}
	if err := svc.Block(as(0), users[1]); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "bus down") {
		t.Errorf("a failed publish was not logged as a warning:\n%s", l)
	}
}

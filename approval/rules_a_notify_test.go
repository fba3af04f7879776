package approval

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/push"
)

// TestWhoIsTold: a change tells the approvers whose turn it became, the
// people newly CC'd (unless a mention told them), the originator the
// outcome (naming who decided when someone else did, and offering to tell
// the department of approved leave or a trip), the approvers whose turn it
// was that it was withdrawn, and the originator that someone else
// cancelled it. A change that does none of these tells nobody.
func TestWhoIsTold(t *testing.T) {
	s, _ := raService(newRAStore())
	ctx := context.Background()
	run := func(kind string, steps ...Step) *engineRun {
		r := newRun(t, false, steps...)
		r.in.Kind, r.in.TemplateName, r.in.Title = kind, map[string]string{KindLeave: "请假", KindTrip: "出差", KindGeneral: "通用审批"}[kind], "Laptop"
		return r
	}
	told := func(r *engineRun, actor string, fn func(c *change)) []string {
		t.Helper()
		c := newChange(r.in, r.tasks, false, raNow)
		fn(c)
		var out []string
		var who tack.ID // "": the system
		if actor != "" {
			who = uid(actor)
		}
		for _, n := range s.notices(ctx, c, who) {
			out = append(out, names(n.Users)+"|"+n.Text)
		}
		return out
	}
	mine := func(r *engineRun, who string) func(c *change) *Task { return r.mine(who) }
	want := func(name string, got []string, want ...string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: told %q, want %q", name, got, want)
		}
	}

	// Submission: the first approver.
	in := &Instance{ID: id("inst"), OrgID: id("org"), OriginatorID: uid("rita"), TemplateName: "通用审批", Title: "Laptop", Status: Running,
		Kind: KindGeneral, Steps: []Step{step(ModeAny, "dora")}}
	c := newChange(in, nil, false, raNow)
	c.activate()
	var got []string
	for _, n := range s.notices(ctx, c, uid("rita")) {
		got = append(got, names(n.Users)+"|"+n.Text)
	}
	want("submitted", got, "dora|【审批】rita提交的通用审批待你审批：Laptop")

	r := run(KindGeneral, step(ModeAny, "dora"))
	want("a comment", told(r, "rita", func(c *change) { c.act(ActComment, uid("rita"), nil, "hi") }))

	for _, k := range []struct{ kind, suffix string }{{KindLeave, "。可一键通知部门群。"}, {KindTrip, "。可一键通知部门群。"}, {KindGeneral, ""}} {
		r = run(k.kind, step(ModeAny, "dora"))
		want(k.kind+" approved", told(r, "dora", func(c *change) { c.approve(mine(r, "dora")(c), "") }),
			"rita|【审批】你的"+r.in.TemplateName+"已通过：Laptop（dora）"+k.suffix)
	}
	r = run(KindLeave, step(ModeAny, "dora"))
	want("leave rejected", told(r, "dora", func(c *change) { c.reject(mine(r, "dora")(c), "") }), "rita|【审批】你的请假已被拒绝：Laptop（dora）")
	r = run(KindGeneral, step(ModeAny, "dora"))
	want("approved by the system", told(r, "", func(c *change) { c.approve(mine(r, "dora")(c), "") }), "rita|【审批】你的通用审批已通过：Laptop")
	r = run(KindGeneral, step(ModeAny, "rita"))
	want("approved by the originator", told(r, "rita", func(c *change) { c.approve(mine(r, "rita")(c), "") }), "rita|【审批】你的通用审批已通过：Laptop")

	r = run(KindGeneral, step(ModeAny, "dora"), ccStep("vic"))
	want("CC'd", told(r, "dora", func(c *change) { c.approve(mine(r, "dora")(c), "") }),
		"vic|【审批】rita的通用审批抄送给你：Laptop", "rita|【审批】你的通用审批已通过：Laptop（dora）")
	r = run(KindGeneral, step(ModeAny, "dora"), ccStep("vic"))
	want("CC'd after a mention", told(r, "dora", func(c *change) {
		c.mentioned = []tack.ID{uid("vic")}
		c.approve(mine(r, "dora")(c), "")
	}), "rita|【审批】你的通用审批已通过：Laptop（dora）")

	r = run(KindGeneral, step(ModeAll, "dora", "vic"))
	want("withdrawn", told(r, "rita", func(c *change) { c.withdraw(uid("rita"), "") }), "dora,vic|【审批】rita撤回了通用审批：Laptop")
	r = run(KindGeneral)
	r.in.Status = Running
	want("withdrawn with nobody's turn", told(r, "rita", func(c *change) { c.withdraw(uid("rita"), "") }))

	cancelled := func() *engineRun {
		r := run(KindGeneral, step(ModeAny, "dora"))
		r.do("dora", "approve")
		return r
	}
	r = cancelled()
	want("cancelled by an admin", told(r, "ada", func(c *change) { c.in.Status = Cancelled }), "rita|【审批】ada撤销了你的通用审批：Laptop")
	r = cancelled()
	want("cancelled by the originator", told(r, "rita", func(c *change) { c.in.Status = Cancelled }))
}

// TestTellPostsAndPushes: a notify job posts the bot's message to each
// person and pushes each notice once, to the request.
func TestTellPostsAndPushes(t *testing.T) {
	s, _ := raService(newRAStore())
	ch, p := &raChats{}, &raPush{}
	s.chats, s.push = ch, p
	j := Job{ID: id("job"), InstanceID: id("inst")}
	ns := []notice{{Users: []tack.ID{uid("dora"), uid("vic")}, From: uid("rita"), Title: "T", Text: "text", Preview: "look"}}
	if err := s.tell(context.Background(), j, ns); err != nil {
		t.Fatal(err)
	}
	if want := []string{string(uid("dora")) + ": text", string(uid("vic")) + ": text"}; !slices.Equal(ch.notified, want) {
		t.Errorf("posted %q, want %q", ch.notified, want)
	}
	if len(p.ns) != 1 || p.ns[0].Kind != push.KindApproval || !slices.Equal(p.ns[0].Users, ns[0].Users) || p.ns[0].Text != "look" ||
		p.ns[0].URL != "/approvals/"+string(id("inst")) {
		t.Errorf("pushed %+v", p.ns)
	}
	s.chats, s.push = nil, nil
	if err := s.tell(context.Background(), j, ns); err != nil {
		t.Errorf("without chats and pushes: %v", err)
	}
}

// TestSummaries: a summary lists who is pending (an empty list, not
// null, when nobody is) and leaves out the leave's days.
func TestSummaries(t *testing.T) {
	sm := summaryOf(Instance{Pending: []tack.ID{uid("dora")}, Leave: &LeaveInfo{Amount: 100, Days: []leave.QuoteDay{{}}}})
	if !slices.Equal(sm.Pending, []tack.ID{uid("dora")}) || sm.Leave == nil || sm.Leave.Amount != 100 || sm.Leave.Days != nil {
		t.Errorf("summary %+v", sm)
	}
	if sm := summaryOf(Instance{}); sm.Pending == nil || len(sm.Pending) != 0 || sm.Leave != nil {
		t.Errorf("summary of nobody pending %+v", sm)
	}
}

// TestServiceConfig: the Service logs where it is told and names itself
// in job leases as told; without either, the default logger and a fresh
// ID.
func TestServiceConfig(t *testing.T) {
	l := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := NewService(newRAStore(), testDir(), nil, nil, nil, Config{Logger: l, Node: "node-a"})
	s.Close()
	if s.log != l || s.node != "node-a" {
		t.Errorf("logger %p (want %p), node %q", s.log, l, s.node)
	}
	s = NewService(newRAStore(), testDir(), nil, nil, nil, Config{})
	s.Close()
	if s.log == nil || !tack.ID(s.node).Valid() {
		t.Errorf("default logger %v, node %q", s.log, s.node)
	}
}

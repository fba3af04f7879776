package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
	"github.com/tackhq/tack/tacktest"
)

// fixedClock is a clock the test sets.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func shanghai(s string) time.Time {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func mustDo[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// team is an organisation with a manager and a member who reports to
// them, both in an attendance group (Monday to Friday, 09:00–18:00).
type team struct {
	org                    string
	owner, manager, member *tacktest.User
	managerMID, memberMID  string
}

func newTeam(t *testing.T, srv *tacktest.Server) *team {
	t.Helper()
	ctx := ctxT(t)
	tm := &team{owner: srv.NewUser(t, "老板"), manager: srv.NewUser(t, "王经理"), member: srv.NewUser(t, "张三")}
	o := mustDo[client.Org](t)(tm.owner.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	tm.org = string(o.ID)
	dept := mustDo[client.Department](t)(tm.owner.CreateDepartment(ctx, tm.org, "", "Sales"))
	for _, u := range []*tacktest.User{tm.manager, tm.member} {
		inv := mustDo[client.InvitationOut](t)(tm.owner.CreateInvitation(ctx, tm.org, map[string]any{"department_ids": []string{string(dept.ID)}}))
		j := mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code))
		if u == tm.manager {
			tm.managerMID = string(j.Member.ID)
		} else {
			tm.memberMID = string(j.Member.ID)
		}
	}
	mustDo[client.OrgMember](t)(tm.owner.UpdateOrgMember(ctx, tm.org, tm.memberMID, map[string]any{"manager_id": tm.managerMID}))
	mustDo[client.AttGroup](t)(tm.owner.CreateAttGroup(ctx, tm.org, map[string]any{"name": "Office", "department_ids": []string{string(dept.ID)},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "HQ", "lat": 31.2304, "lng": 121.4737, "radius_m": 300}}}))
	return tm
}

// TestLeaveEndToEnd is the end-to-end case: a member with 5 days
// of annual leave asks for one working day; their manager, on another
// device, hears of it live and approves; the balance is 4 and the day reads
// as leave in attendance, not absent, even after day close.
func TestLeaveEndToEnd(t *testing.T) {
	clk := &fixedClock{t: shanghai("2026-03-04 08:00")} // a Wednesday
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.AttendanceClock = clk.Now; c.AttendanceEvery = -1 }))
	tm := newTeam(t, srv)
	ctx := ctxT(t)
	mustDo[client.LeaveBalance](t)(tm.owner.SetLeaveBalance(ctx, tm.org, tm.memberMID, "annual", leave.Days(5), "2026 entitlement"))

	// The manager's second device: signed in separately, listening.
	phone := client.New(srv.URL)
	mustDo[client.User](t)(phone.SignIn(ctx, tm.manager.Login, tm.manager.Password))
	live := connect(t, phone, nil)
	mine := connect(t, tm.member.Client, nil)

	q := mustDo[client.LeaveQuote](t)(tm.member.LeaveQuote(ctx, tm.org, leave.Request{LeaveType: "annual", Start: "2026-03-05", End: "2026-03-05"}))
	if q.Amount != leave.Days(1) || q.Balance == nil || *q.Balance != leave.Days(5) {
		t.Fatalf("quote %+v", q)
	}
	asked := mustDo[client.Approval](t)(tm.member.SubmitApproval(ctx, tm.org, map[string]any{"template": "leave",
		"form": map[string]any{"leave_type": "annual", "start": "2026-03-05", "end": "2026-03-05", "reason": "家事"}}))
	if asked.Status != approval.Running || len(asked.Tasks) != 1 || string(asked.Tasks[0].ApproverID) != tm.manager.ID {
		t.Fatalf("asked %+v", asked)
	}
	id := string(asked.ID)
	ev := waitEvent(t, live, "the approval on the manager's phone", func(e client.Event) bool { return e.Type == "approval" })
	var frame struct {
		OrgID    string           `json:"org_id"`
		Approval approval.Summary `json:"approval"`
	}
	if err := json.Unmarshal(ev.Raw, &frame); err != nil || string(frame.Approval.ID) != id || frame.OrgID != tm.org {
		t.Fatalf("event %s: %v", ev.Raw, err)
	}
	waitEvent(t, live, "the bot's message", func(e client.Event) bool {
		return e.Type == "message" && e.Message.System != nil && e.Message.System.Action == "approval" && strings.Contains(e.Message.Text, "张三")
	})
	page := mustDo[client.ApprovalPage](t)(phone.Approvals(ctx, tm.org, "pending", "", 0))
	if len(page.Approvals) != 1 || string(page.Approvals[0].ID) != id {
		t.Fatalf("pending on the phone %+v", page.Approvals)
	}
	done := mustDo[client.Approval](t)(phone.Act(ctx, tm.org, id, "approve", client.ApprovalAction{Comment: "好"}))
	if done.Status != approval.Approved {
		t.Fatalf("status %s", done.Status)
	}
	waitEvent(t, mine, "the outcome for the member", func(e client.Event) bool {
		return e.Type == "message" && e.Message.System != nil && e.Message.System.Action == "approval" && strings.Contains(e.Message.Text, "已通过")
	})

	check := func(when string) {
		t.Helper()
		var annual leave.Amount = -1
		for _, b := range mustDo[[]client.LeaveBalance](t)(tm.member.LeaveBalances(ctx, tm.org, "")) {
			if b.LeaveType == "annual" {
				annual = b.Balance
			}
		}
		if annual != leave.Days(4) {
			t.Errorf("%s: annual balance %s, want 4", when, annual)
		}
		recs := mustDo[[]client.AttRecord](t)(tm.member.AttRecords(ctx, tm.org, "", "2026-03-05", "2026-03-05"))
		if len(recs) != 2 {
			t.Fatalf("%s: records %+v", when, recs)
		}
		for _, r := range recs {
			if r.DayStatus != "leave" || r.TimeResult == "NotSigned" || r.LeaveType != "annual" || r.ApproveID != id {
				t.Errorf("%s: record %+v", when, r)
			}
		}
	}
	check("right after")
	// Day close runs over the leave day: still leave, never absent.
	clk.mu.Lock()
	clk.t = shanghai("2026-03-06 09:00")
	clk.mu.Unlock()
	if err := srv.Node.Attendance.RunJobs(ctx); err != nil {
		t.Fatal(err)
	}
	check("after day close")
	month := mustDo[client.AttMonth](t)(tm.member.AttMonth(ctx, tm.org, "", "2026-03"))
	for _, d := range month.Days {
		if d.WorkDate == "2026-03-05" && (d.Summary.Absent || d.Summary.Status != "leave") {
			t.Errorf("the month shows %+v", d.Summary)
		}
	}
}

// TestOrSignOnTwoNodes: two approvers of one 或签 step approve at the same
// instant, each on its own node of one PostgreSQL database: exactly one
// decision and one ledger deduction, every time.
func TestOrSignOnTwoNodes(t *testing.T) {
	dsn := freshSchema(asT(t))
	clk := &fixedClock{t: shanghai("2026-03-02 08:00")} // a Monday
	var nodes []*tacktest.Server
	for i := 0; i < 2; i++ {
		nodes = append(nodes, tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
			c.PostgresURL, c.AttendanceClock, c.AttendanceEvery = dsn, clk.Now, -1
		})))
	}
	tm := newTeam(t, nodes[0])
	ctx := ctxT(t)
	second := nodes[0].NewUser(t, "李经理")
	inv := mustDo[client.InvitationOut](t)(tm.owner.CreateInvitation(ctx, tm.org, map[string]any{}))
	mustDo[client.Joined](t)(second.AcceptInvitation(ctx, inv.Code))
	// Leave goes to either manager: 或签.
	tpls := mustDo[[]client.ApprovalTemplate](t)(tm.owner.ApprovalTemplates(ctx, tm.org))
	var lv client.ApprovalTemplate
	for _, x := range tpls {
		if x.Key == "leave" {
			lv = x
		}
	}
	lv.Flow = []approval.Node{{Type: approval.NodeApprover, Mode: approval.ModeAny,
		Who: approval.Who{Type: approval.WhoPerson, UserIDs: []tack.ID{tack.ID(tm.manager.ID), tack.ID(second.ID)}}}}
	mustDo[client.ApprovalTemplate](t)(tm.owner.PutApprovalTemplate(ctx, tm.org, "leave", lv, 0))
	mustDo[client.LeaveBalance](t)(tm.owner.SetLeaveBalance(ctx, tm.org, tm.memberMID, "annual", leave.Days(5), "start"))
	// Each approver on a node of their own.
	a := client.New(nodes[0].URL)
	a.Token = tm.manager.Token
	b := client.New(nodes[1].URL)
	b.Token = second.Token

	const rounds = 8
	for i := 0; i < rounds; i++ {
		day := fmt.Sprintf("2026-03-%02d", 3+i/2)
		half := map[int]string{0: "am", 1: "pm"}[i%2]
		v := mustDo[client.Approval](t)(tm.member.SubmitApproval(ctx, tm.org, map[string]any{"template": "leave",
			"form": map[string]any{"leave_type": "annual", "start": day, "end": day, "start_half": half, "end_half": half}}))
		id := string(v.ID)
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k, c := range []*client.Client{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[k] = c.Act(ctx, tm.org, id, "approve", client.ApprovalAction{})
			}()
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch apiCode(err) {
			case "":
				won++
			case approval.EDecided:
			default:
				t.Fatalf("round %d: %v", i, err)
			}
		}
		got := mustDo[client.Approval](t)(tm.member.Approval(ctx, tm.org, id))
		approvals := 0
		for _, x := range got.Actions {
			if x.Kind == approval.ActApprove {
				approvals++
			}
		}
		if won != 1 || approvals != 1 || got.Status != approval.Approved {
			t.Fatalf("round %d: %d answered ok, %d approvals recorded, status %s", i, won, approvals, got.Status)
		}
	}
	lines := mustDo[[]client.LeaveLine](t)(tm.member.LeaveLedger(ctx, tm.org, "", "annual"))
	deducts := 0
	for _, l := range lines {
		if l.Kind == leave.LineDeduct {
			deducts++
		}
	}
	var annual leave.Amount
	for _, x := range mustDo[[]client.LeaveBalance](t)(tm.member.LeaveBalances(ctx, tm.org, "")) {
		if x.LeaveType == "annual" {
			annual = x.Balance
		}
	}
	if deducts != rounds || annual != leave.Days(5)-rounds*50 {
		t.Errorf("%d deductions, balance %s; want %d and %s", deducts, annual, rounds, leave.Days(5)-rounds*50)
	}
}

// TestApprovalCLI asks for leave with `tack leave request`, approves it
// with `tack approvals approve` as the manager, and reads the balance with
// `tack leave balance`, against a server process on its wall clock.
func TestApprovalCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	p := startProcess(t, "--data", t.TempDir())
	dir := t.TempDir()
	run := func(who string, wantOK bool, args ...string) string {
		t.Helper()
		cmd := exec.Command(tackBinary(t), args...)
		cmd.Env = append(os.Environ(), "TACK_CONFIG="+filepath.Join(dir, who, "config.json"), "TACK_PASSWORD=password123", "TACK_SERVER="+p.URL)
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("tack %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	token := func(who string) *client.Client {
		var cfg struct{ Token string }
		b, _ := os.ReadFile(filepath.Join(dir, who, "config.json"))
		json.Unmarshal(b, &cfg)
		c := client.New(p.URL)
		c.Token = cfg.Token
		return c
	}
	run("member", true, "register", "--login", "member@example.com", "--name", "张三")
	run("member", true, "org", "create", "Acme", "--tz", "UTC")
	run("manager", true, "register", "--login", "manager@example.com", "--name", "王经理")
	member, manager := token("member"), token("manager")
	ctx := context.Background()
	orgs := mustDo[[]client.Org](t)(member.Orgs(ctx))
	org := string(orgs[0].ID)
	inv := mustDo[client.InvitationOut](t)(member.CreateInvitation(ctx, org, map[string]any{}))
	j := mustDo[client.Joined](t)(manager.AcceptInvitation(ctx, inv.Code))
	mustDo[client.OrgMember](t)(member.UpdateOrgMember(ctx, org, string(orgs[0].Me.ID), map[string]any{"manager_id": string(j.Member.ID)}))
	mustDo[client.LeaveBalance](t)(member.SetLeaveBalance(ctx, org, string(orgs[0].Me.ID), "annual", leave.Days(5), "start"))
	day := time.Now().UTC().AddDate(0, 0, 2)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	out := run("member", true, "leave", "request", "--type", "annual", "--start", day.Format("2006-01-02"), "--reason", "家事", "--json")
	var v client.Approval
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.Status != "running" {
		t.Fatalf("request: %v %s", err, out)
	}
	out = run("manager", true, "approvals")
	if !strings.Contains(out, string(v.ID)) || !strings.Contains(out, "张三的请假") {
		t.Errorf("manager's box: %s", out)
	}
	out = run("manager", true, "approvals", "approve", string(v.ID), "--comment", "好")
	if !strings.Contains(out, "[approved]") {
		t.Errorf("approve: %s", out)
	}
	out = run("member", true, "leave", "balance", "--ledger")
	if !strings.Contains(out, "annual") || !strings.Contains(out, "4 ") || !strings.Contains(out, "-1") {
		t.Errorf("balance: %s", out)
	}
	run("member", false, "leave", "request", "--type", "annual", "--start", "not-a-date")
}

// TestApprovalPush: an approval waiting for someone reaches their browser
// as a push of type approval that opens the request, and its outcome
// reaches the originator's.
func TestApprovalPush(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	tm := newTeam(t, srv)
	ctx := ctxT(t)
	mb, ob := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, tm.manager, mb)
	subscribe(t, tm.member, ob)
	day := time.Now().UTC().AddDate(0, 0, 2)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	v := mustDo[client.Approval](t)(tm.member.SubmitApproval(ctx, tm.org, map[string]any{"template": "leave",
		"form": map[string]any{"leave_type": "personal", "start": day.Format("2006-01-02"), "end": day.Format("2006-01-02")}}))
	pl, _ := nextPayload(t, mb, key)
	if pl.Type != push.KindApproval || pl.URL != "/approvals/"+string(v.ID) || pl.Title != "张三的请假待你审批" || pl.SenderID != tack.ID(tm.member.ID) {
		t.Errorf("the manager's push %+v", pl)
	}
	mustDo[client.Approval](t)(tm.manager.Act(ctx, tm.org, string(v.ID), "approve", client.ApprovalAction{}))
	pl, _ = nextPayload(t, ob, key)
	if pl.Type != push.KindApproval || pl.Title != "你的请假已通过" {
		t.Errorf("the member's push %+v", pl)
	}
	noPushes(t, "manager", mb)
	noPushes(t, "member", ob)
}

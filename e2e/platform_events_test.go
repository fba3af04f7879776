package e2e

import (
	"net/http/httptest"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/tacktest"
)

// eventsOf returns the accepted, correctly signed callbacks of type typ
// whose data's action is action ("" for any).
func eventsOf(rc *receiver, typ, action string) []map[string]any {
	good, _, _ := rc.got()
	var out []map[string]any
	for _, g := range good {
		d, _ := g["data"].(map[string]any)
		if g["type"] == typ && (action == "" || d != nil && d["action"] == action) {
			out = append(out, g)
		}
	}
	return out
}

// TestPlatformEvents: an app holding directory:read, attendance:read and
// approval:read and subscribed to membership, directory, attendance and
// approval events receives each, signed, on its callback as people join,
// departments change, members punch and approvals are asked and decided;
// an app subscribed to the same events without the scopes gets none; an
// app of another organisation gets none.
func TestPlatformEvents(t *testing.T) {
	clk := &fixedClock{t: shanghai("2026-03-04 08:55")} // a Wednesday
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		fastPlatform(c)
		c.AttendanceClock = clk.Now
		c.AttendanceEvery = -1
	}))
	ctx := ctxT(t)
	owner, manager, member, other := srv.NewUser(t, "老板"), srv.NewUser(t, "王经理"), srv.NewUser(t, "张三"), srv.NewUser(t, "Other")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	org := string(o.ID)
	ob := mustDo[client.Org](t)(other.CreateOrg(ctx, "Beta", "Asia/Shanghai"))

	rc, blind, beta := &receiver{}, &receiver{}, &receiver{}
	for _, r := range []*receiver{rc, blind, beta} {
		h := httptest.NewServer(r)
		t.Cleanup(h.Close)
		r.secret = h.URL // replaced by the callback secret below
	}
	events := []string{"membership", "directory", "attendance", "approval"}
	register := func(u *tacktest.User, orgID string, r *receiver, scopes []string) appCreds {
		t.Helper()
		var a appCreds
		if err := u.Do(ctx, "POST", "/api/v1/orgs/"+orgID+"/apps", map[string]any{"name": "HR", "scopes": scopes, "callback_url": r.secret, "events": events}, &a); err != nil {
			t.Fatal(err)
		}
		r.mu.Lock()
		r.secret = a.CallbackSecret
		r.mu.Unlock()
		return a
	}
	hr := register(owner, org, rc, []string{"directory:read", "attendance:read", "approval:read"})
	nosy := register(owner, org, blind, []string{"chat:write"})
	betaApp := register(other, string(ob.ID), beta, []string{"directory:read", "attendance:read", "approval:read", "approval:write"})

	// Directory and membership.
	dept := mustDo[client.Department](t)(owner.CreateDepartment(ctx, org, "", "Sales"))
	var mids [2]string
	for i, u := range []*tacktest.User{manager, member} {
		inv := mustDo[client.InvitationOut](t)(owner.CreateInvitation(ctx, org, map[string]any{"department_ids": []string{string(dept.ID)}}))
		mids[i] = string(mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code)).Member.ID)
	}
	mustDo[client.OrgMember](t)(owner.UpdateOrgMember(ctx, org, mids[1], map[string]any{"manager_id": mids[0]}))
	// Attendance: the member punches in at 08:55.
	mustDo[client.AttGroup](t)(owner.CreateAttGroup(ctx, org, map[string]any{"name": "Office", "department_ids": []string{string(dept.ID)},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "HQ", "lat": 31.2304, "lng": 121.4737, "radius_m": 300}}}))
	lat, lng, acc := 31.2305, 121.4738, 20.0
	mustDo[client.AttPunch](t)(member.Punch(ctx, org, client.PunchIn{Lat: &lat, Lng: &lng, AccuracyM: &acc}))
	// Approvals: asked, then approved.
	mustDo[client.LeaveBalance](t)(owner.SetLeaveBalance(ctx, org, mids[1], "annual", leave.Days(5), "2026 entitlement"))
	asked := mustDo[client.Approval](t)(member.SubmitApproval(ctx, org, map[string]any{"template": "leave",
		"form": map[string]any{"leave_type": "annual", "start": "2026-03-05", "end": "2026-03-05", "reason": "家事"}}))
	mustDo[client.Approval](t)(manager.Act(ctx, org, string(asked.ID), "approve", client.ApprovalAction{Comment: "好"}))

	waitFor(t, "every kind of event", func() bool {
		return len(eventsOf(rc, "membership", "member.join")) == 2 && len(eventsOf(rc, "directory", "department.create")) == 1 &&
			len(eventsOf(rc, "directory", "member.update")) == 1 && len(eventsOf(rc, "attendance", "punch")) == 1 &&
			len(eventsOf(rc, "approval", "")) >= 2
	})
	if _, bad, _ := rc.got(); bad != 0 {
		t.Fatalf("%d callbacks with a wrong signature", bad)
	}
	join := eventsOf(rc, "membership", "member.join")[0]
	if d := join["data"].(map[string]any); join["org_id"] != org || join["id"] == "" || d["member"].(map[string]any)["org_id"] != org || d["member_id"] == "" {
		t.Fatalf("join event: %v", join)
	}
	if d := eventsOf(rc, "directory", "department.create")[0]["data"].(map[string]any); d["department_id"] != string(dept.ID) || d["department"].(map[string]any)["name"] != "Sales" {
		t.Fatalf("department event: %v", d)
	}
	p := eventsOf(rc, "attendance", "punch")[0]["data"].(map[string]any)
	if p["user_id"] != member.ID || p["work_date"] != "2026-03-04" || p["check"].(map[string]any)["time_result"] != "Normal" || p["check"].(map[string]any)["check_type"] != "OnDuty" {
		t.Fatalf("punch event: %v", p)
	}
	var outcome bool
	for _, e := range eventsOf(rc, "approval", "") {
		a, _ := e["data"].(map[string]any)["approval"].(map[string]any)
		if a == nil || a["id"] != string(asked.ID) {
			t.Fatalf("approval event: %v", e)
		}
		outcome = outcome || a["status"] == "approved"
	}
	if !outcome {
		t.Fatal("no approval event with the outcome")
	}
	// The day closes: its results are an attendance event.
	clk.mu.Lock()
	clk.t = shanghai("2026-03-05 09:00")
	clk.mu.Unlock()
	if err := srv.Node.Attendance.RunJobs(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the closed day", func() bool {
		for _, e := range eventsOf(rc, "attendance", "day_closed") {
			d := e["data"].(map[string]any)
			if d["user_id"] == member.ID && d["work_date"] == "2026-03-04" && d["summary"] != nil {
				return true
			}
		}
		return false
	})
	// Events are written before the request that made them answers: the
	// app without the scopes, and the other organisation's app, have none.
	var ds struct {
		Deliveries []platform.Delivery `json:"deliveries"`
	}
	if err := owner.Do(ctx, "GET", "/api/v1/orgs/"+org+"/apps/"+nosy.ID+"/deliveries", nil, &ds); err != nil || len(ds.Deliveries) != 0 {
		t.Fatalf("an app without the scopes has %d deliveries (%v)", len(ds.Deliveries), err)
	}
	if good, _, calls := beta.got(); len(good) != 0 || calls != 0 {
		t.Fatalf("another organisation's app got %d callbacks", calls)
	}
	appCalls(t, srv, owner, org, hr, nosy, betaApp, member, manager, other, string(asked.ID))

	// A member leaving is a membership event.
	if err := member.Do(ctx, "POST", "/api/v1/orgs/"+org+"/leave", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the member's leaving", func() bool { return len(eventsOf(rc, "membership", "member.leave")) == 1 })
	if d := eventsOf(rc, "membership", "member.leave")[0]["data"].(map[string]any); d["member_id"] != mids[1] || d["member"].(map[string]any)["status"] != "left" {
		t.Fatalf("leave event: %v", d)
	}
	if err := owner.Do(ctx, "GET", "/api/v1/orgs/"+org+"/apps/"+hr.ID+"/deliveries?state=pending", nil, &ds); err != nil {
		t.Fatal(err)
	}
}

// TestSwitchboardRobotsAndSecret: with robots off, a group owned by one of
// the organisation's members refuses robot webhooks in DingTalk's shape
// (nothing posted) and new robots with module_off; with secret chats off,
// no secret chat starts with one of its members. On again, both work.
func TestSwitchboardRobotsAndSecret(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t)
	owner, member := srv.NewUser(t, "Owner"), srv.NewUser(t, "Member")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	inv := mustDo[client.InvitationOut](t)(owner.CreateInvitation(ctx, string(o.ID), map[string]any{}))
	mustDo[client.Joined](t)(member.AcceptInvitation(ctx, inv.Code))
	conv := mustDo[client.Conversation](t)(member.CreateConversation(ctx, "group", []string{owner.ID}, "CI"))
	path := "/api/v1/conversations/" + string(conv.ID) + "/robots"
	var creds robotCreds
	if err := member.Do(ctx, "POST", path, map[string]any{"name": "Jenkins", "signed": false, "keywords": []string{"build"}}, &creds); err != nil {
		t.Fatal(err)
	}
	mods := "/api/v1/orgs/" + string(o.ID) + "/modules"
	set := func(m map[string]bool) {
		t.Helper()
		if err := owner.Do(ctx, "PUT", mods, map[string]any{"modules": m}, nil); err != nil {
			t.Fatal(err)
		}
	}
	q := "access_token=" + creds.AccessToken
	if a := robotPost(t, srv.URL, q, `{"msgtype":"text","text":{"content":"build 1"}}`); a.ErrCode != 0 {
		t.Fatalf("robots on: %+v", a)
	}
	set(map[string]bool{"robots": false})
	if a := robotPost(t, srv.URL, q, `{"msgtype":"text","text":{"content":"build 2"}}`); a.ErrCode != platform.CodeOff || a.ErrMsg == "" {
		t.Fatalf("robots off: %+v", a)
	}
	if err := member.Do(ctx, "POST", path, map[string]any{"name": "Another"}, nil); apiCode(err) != "module_off" {
		t.Fatalf("a new robot with robots off: %v", err)
	}
	h := mustDo[[]client.Message](t)(member.History(ctx, string(conv.ID), 0, 0, 50))
	robotTexts := 0
	for _, m := range h {
		if m.Kind == "robot" {
			robotTexts++
		}
	}
	if robotTexts != 1 {
		t.Fatalf("%d robot messages, want 1 (the post while robots were off was stored)", robotTexts)
	}
	var cm struct {
		Modules map[string]bool `json:"modules"`
	}
	if err := owner.Do(ctx, "GET", "/api/v1/conversations/"+string(conv.ID)+"/modules", nil, &cm); err != nil || cm.Modules["robots"] || !cm.Modules["secret_chat"] {
		t.Fatalf("the group's modules with robots off: %v %v", cm, err)
	}
	if err := srv.NewUser(t, "Outsider").Do(ctx, "GET", "/api/v1/conversations/"+string(conv.ID)+"/modules", nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("an outsider reads a group's modules: %v", err)
	}
	set(map[string]bool{"robots": true})
	if err := member.Do(ctx, "GET", "/api/v1/conversations/"+string(conv.ID)+"/modules", nil, &cm); err != nil || !cm.Modules["robots"] {
		t.Fatalf("the group's modules with robots on: %v %v", cm, err)
	}
	if a := robotPost(t, srv.URL, q, `{"msgtype":"text","text":{"content":"build 3"}}`); a.ErrCode != 0 {
		t.Fatalf("robots on again: %+v", a)
	}

	set(map[string]bool{"secret_chat": false})
	if err := member.Do(ctx, "GET", "/api/v1/conversations/"+string(conv.ID)+"/modules", nil, &cm); err != nil || cm.Modules["secret_chat"] {
		t.Fatalf("the modules with secret chats off: %v %v", cm, err)
	}
	if _, err := member.CreateConversation(ctx, "secret", []string{owner.ID}, ""); apiCode(err) != "module_off" {
		t.Fatalf("a secret chat with secret chats off: %v", err)
	}
	if _, err := owner.CreateConversation(ctx, "secret", []string{member.ID}, ""); apiCode(err) != "module_off" {
		t.Fatalf("a secret chat with secret chats off (the other way): %v", err)
	}
	set(map[string]bool{"secret_chat": true})
	if c, err := member.CreateConversation(ctx, "secret", []string{owner.ID}, ""); err != nil || c.Kind != "secret" {
		t.Fatalf("a secret chat with secret chats on: %+v %v", c, err)
	}
}

// appCalls checks the app calls of attendance:read, approval:read and
// approval:write: scopes, the app's organisation only, modules.
func appCalls(t *testing.T, srv *tacktest.Server, owner *tacktest.User, org string, hr, nosy, beta appCreds, member, manager, other *tacktest.User, asked string) {
	ctx := ctxT(t)
	app, blind, outside := appToken(t, srv.URL, hr), appToken(t, srv.URL, nosy), appToken(t, srv.URL, beta)
	recs := "/api/v1/app/attendance/records?user_ids=" + member.ID + "&from=2026-03-04&to=2026-03-04"
	var rs struct {
		Records []map[string]any `json:"records"`
	}
	if err := app.Do(ctx, "GET", recs, nil, &rs); err != nil || len(rs.Records) != 2 || rs.Records[0]["user_id"] != member.ID {
		t.Fatalf("records: %v %v", rs, err)
	}
	if err := blind.Do(ctx, "GET", recs, nil, nil); apiCode(err) != "forbidden" {
		t.Fatalf("records without attendance:read: %v", err)
	}
	if err := outside.Do(ctx, "GET", recs, nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("another organisation's app reads records: %v", err)
	}
	for _, q := range []string{"?from=2026-03-04&to=2026-03-04", "?user_ids=" + member.ID + "&from=2026-03-04&to=2026-01-01", "?user_ids=" + member.ID} {
		if err := app.Do(ctx, "GET", "/api/v1/app/attendance/records"+q, nil, nil); apiCode(err) != "invalid" {
			t.Fatalf("records %s: %v", q, err)
		}
	}
	var v map[string]any
	if err := app.Do(ctx, "GET", "/api/v1/app/approvals/"+asked, nil, &v); err != nil || v["status"] != "approved" || len(v["tasks"].([]any)) == 0 {
		t.Fatalf("approval: %v %v", v, err)
	}
	if err := outside.Do(ctx, "GET", "/api/v1/app/approvals/"+asked, nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("another organisation's app reads an approval: %v", err)
	}
	if err := blind.Do(ctx, "GET", "/api/v1/app/approvals/"+asked, nil, nil); apiCode(err) != "forbidden" {
		t.Fatalf("an approval without approval:read: %v", err)
	}
	var box struct {
		Approvals []map[string]any `json:"approvals"`
	}
	if err := app.Do(ctx, "GET", "/api/v1/app/approvals?box=mine&user_id="+member.ID, nil, &box); err != nil || len(box.Approvals) != 1 || box.Approvals[0]["id"] != asked {
		t.Fatalf("the member's box: %v %v", box, err)
	}
	if err := app.Do(ctx, "GET", "/api/v1/app/approvals?box=mine&user_id="+other.ID, nil, nil); apiCode(err) != "not_found" {
		t.Fatalf("the box of someone of another organisation: %v", err)
	}
	submit := map[string]any{"originator_user_id": member.ID, "template": "leave",
		"form": map[string]any{"leave_type": "annual", "start": "2026-03-09", "end": "2026-03-09", "reason": "看病"}}
	if err := app.Do(ctx, "POST", "/api/v1/app/approvals", submit, nil); apiCode(err) != "forbidden" {
		t.Fatalf("submitting without approval:write: %v", err)
	}
	if err := owner.Do(ctx, "PATCH", "/api/v1/orgs/"+org+"/apps/"+hr.ID, map[string]any{"scopes": []string{"directory:read", "attendance:read", "approval:read", "approval:write"}}, nil); err != nil {
		t.Fatal(err)
	}
	app = appToken(t, srv.URL, hr)
	var made map[string]any
	if err := app.Do(ctx, "POST", "/api/v1/app/approvals", submit, &made); err != nil || made["status"] != "running" || made["originator_id"] != member.ID {
		t.Fatalf("submitted on the member's behalf: %v %v", made, err)
	}
	id, _ := made["id"].(string)
	if err := outside.Do(ctx, "POST", "/api/v1/app/approvals", map[string]any{"originator_user_id": member.ID, "template": "leave", "form": submit["form"]}, nil); apiCode(err) != "not_found" {
		t.Fatalf("another organisation's app submits for a member: %v", err)
	}
	if err := app.Do(ctx, "POST", "/api/v1/app/approvals/"+id+"/approve", map[string]any{"actor_user_id": member.ID}, nil); apiCode(err) != "forbidden" {
		t.Fatalf("the originator approves their own request: %v", err)
	}
	if err := app.Do(ctx, "POST", "/api/v1/app/approvals/"+id+"/delete", map[string]any{"actor_user_id": manager.ID}, nil); apiCode(err) != "invalid" {
		t.Fatalf("an unknown action: %v", err)
	}
	if err := app.Do(ctx, "POST", "/api/v1/app/approvals/"+id+"/approve", map[string]any{"actor_user_id": manager.ID, "comment": "准"}, &made); err != nil || made["status"] != "approved" {
		t.Fatalf("approved on the manager's behalf: %v %v", made, err)
	}
	// Modules off: the app's calls into them answer module_off.
	if err := owner.Do(ctx, "PUT", "/api/v1/orgs/"+org+"/modules", map[string]any{"modules": map[string]bool{"approvals": false, "attendance": false}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := app.Do(ctx, "GET", "/api/v1/app/approvals/"+asked, nil, nil); apiCode(err) != "module_off" {
		t.Fatalf("approvals off: %v", err)
	}
	if err := app.Do(ctx, "GET", recs, nil, nil); apiCode(err) != "module_off" {
		t.Fatalf("attendance off: %v", err)
	}
	if err := owner.Do(ctx, "PUT", "/api/v1/orgs/"+org+"/modules", map[string]any{"modules": map[string]bool{"approvals": true, "attendance": true}}, nil); err != nil {
		t.Fatal(err)
	}
}

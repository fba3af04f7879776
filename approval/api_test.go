package approval_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/tacktest"
)

func ids(ss []client.ApprovalSummary) []string {
	var out []string
	for _, s := range ss {
		out = append(out, string(s.ID))
	}
	return out
}

func balanceOf(t testing.TB, u *tacktest.User, org, userID, lt string) leave.Amount {
	t.Helper()
	for _, b := range must[[]client.LeaveBalance](t)(u.LeaveBalances(bg, org, userID)) {
		if b.LeaveType == lt {
			return b.Balance
		}
	}
	t.Fatalf("no %s balance", lt)
	return 0
}

// TestContract drives DESIGN.md §4b: balances set by an admin, leave asked
// for, the built-in flow to the manager, the boxes, approval, the balance
// deducted once, the day read as leave in attendance.
func TestContract(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00")) // a Wednesday
	srv := server(t, clk)
	w := newWorld(t, srv)
	w.group(t)
	org := w.org

	var raw map[string]any
	ok(t, w.owner.Do(bg, "PUT", "/api/v1/orgs/"+org+"/leave/balances/"+w.report.ID+"/annual", map[string]any{"balance": 5, "reason": "opening balance"}, &raw))
	if raw["balance"] != 5.0 || raw["leave_type"] != "annual" {
		t.Fatalf("set balance = %v", raw)
	}
	var bals struct {
		Balances []map[string]any `json:"balances"`
	}
	ok(t, w.report.Do(bg, "GET", "/api/v1/orgs/"+org+"/leave/balances", nil, &bals))
	i := slices.IndexFunc(bals.Balances, func(b map[string]any) bool { return b["leave_type"] == "annual" })
	if i < 0 || bals.Balances[i]["balance"] != 5.0 || bals.Balances[i]["unit"] != "half_day" {
		t.Fatalf("balances = %v", bals.Balances)
	}

	var created map[string]any
	ok(t, w.report.Do(bg, "POST", "/api/v1/orgs/"+org+"/approvals", map[string]any{"template": "leave",
		"form": map[string]any{"leave_type": "annual", "start": "2026-03-05", "end": "2026-03-05", "reason": "family"}}, &created))
	id, _ := created["id"].(string)
	tasks, _ := created["tasks"].([]any)
	if !tack.ID(id).Valid() || created["status"] != "running" || len(tasks) != 1 {
		t.Fatalf("created = %v", created)
	}
	if task := tasks[0].(map[string]any); task["approver_id"] != w.manager.ID || task["status"] != "pending" {
		t.Errorf("task = %v", task)
	}
	if l, _ := created["leave"].(map[string]any); l["amount"] != 1.0 || l["leave_type"] != "annual" {
		t.Errorf("leave counted = %v", created["leave"])
	}

	var box struct {
		Approvals []map[string]any `json:"approvals"`
	}
	ok(t, w.manager.Do(bg, "GET", "/api/v1/orgs/"+org+"/approvals?box=pending", nil, &box))
	if len(box.Approvals) != 1 || box.Approvals[0]["id"] != id || box.Approvals[0]["status"] != "running" {
		t.Errorf("manager's pending box = %v", box.Approvals)
	}
	for _, b := range []string{"mine", "pending", "done", "cc"} {
		pg := must[client.ApprovalPage](t)(w.report.Approvals(bg, org, b, "", 0))
		if want := b == "mine"; (len(pg.Approvals) == 1) != want {
			t.Errorf("report's %s box = %v", b, ids(pg.Approvals))
		}
	}
	if n := must[client.ApprovalCounts](t)(w.manager.ApprovalCounts(bg, org)); n.Pending != 1 {
		t.Errorf("manager's counts = %+v", n)
	}

	var decided map[string]any
	ok(t, w.manager.Do(bg, "POST", "/api/v1/orgs/"+org+"/approvals/"+id+"/approve", map[string]any{"comment": "enjoy"}, &decided))
	if decided["status"] != "approved" {
		t.Fatalf("approved = %v", decided)
	}
	// Again: idempotent, and nothing is deducted twice.
	ok(t, w.manager.Do(bg, "POST", "/api/v1/orgs/"+org+"/approvals/"+id+"/approve", nil, &decided))
	if decided["status"] != "approved" {
		t.Errorf("approved twice = %v", decided)
	}
	if got := balanceOf(t, w.report, org, "", "annual"); got != leave.Days(4) {
		t.Errorf("balance after one day = %v", got)
	}
	lines := must[[]client.LeaveLine](t)(w.report.LeaveLedger(bg, org, "", "annual"))
	if len(lines) != 2 || lines[0].Kind != leave.LineDeduct || lines[0].Delta != -100 || string(lines[0].ApprovalID) != id ||
		lines[1].Kind != leave.LineAdjust || lines[1].Reason != "opening balance" {
		t.Errorf("ledger = %+v", lines)
	}
	// Rejecting a decided request is refused; the boxes moved.
	if _, err := w.act(w.manager, id, "reject", client.ApprovalAction{}); code(err) != tack.EConflict {
		t.Errorf("reject after approve: %v", err)
	}
	if pg := must[client.ApprovalPage](t)(w.manager.Approvals(bg, org, "pending", "", 0)); len(pg.Approvals) != 0 {
		t.Errorf("pending after approval: %v", ids(pg.Approvals))
	}
	if pg := must[client.ApprovalPage](t)(w.manager.Approvals(bg, org, "done", "", 0)); len(pg.Approvals) != 1 {
		t.Errorf("done after approval: %v", ids(pg.Approvals))
	}
	recs := must[[]client.AttRecord](t)(w.report.AttRecords(bg, org, "", "2026-03-05", "2026-03-05"))
	if len(recs) != 2 {
		t.Fatalf("records = %+v", recs)
	}
	for _, r := range recs {
		if r.DayStatus != "leave" || r.TimeResult != "Normal" || r.SourceType != "APPROVE" || r.LeaveType != "annual" || r.ApproveID != id {
			t.Errorf("record = %+v", r)
		}
	}
	// The timeline says who did what.
	v := must[client.Approval](t)(w.report.Approval(bg, org, id))
	var kinds []string
	for _, a := range v.Actions {
		kinds = append(kinds, a.Kind)
	}
	if !slices.Equal(kinds, []string{"submit", "approve"}) || v.Actions[1].Comment != "enjoy" || string(v.Actions[1].ActorID) != w.manager.ID {
		t.Errorf("timeline = %+v", v.Actions)
	}
}

// TestPermissionMatrix: only current approvers act; the originator
// withdraws; people CC'd read; everyone else gets 404.
func TestPermissionMatrix(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv)
	org := w.org
	// General requests: CC the member, then the manager, then the director.
	must[client.ApprovalTemplate](t)(w.owner.PutApprovalTemplate(bg, org, "general", map[string]any{"name": "通用审批",
		"fields": []map[string]any{{"key": "title", "type": "text", "label": "标题", "required": true}, {"key": "content", "type": "text", "label": "内容", "required": true}},
		"flow": []map[string]any{
			{"type": "cc", "who": map[string]any{"type": "person", "user_ids": []string{w.member.ID}}},
			{"type": "approver", "who": map[string]any{"type": "person", "user_ids": []string{w.manager.ID}}},
			{"type": "approver", "who": map[string]any{"type": "person", "user_ids": []string{w.director.ID}}},
		}}, 0))
	ask := func() string {
		v := must[client.Approval](t)(w.report.SubmitApproval(bg, org, map[string]any{"template": "general", "form": map[string]any{"title": "Laptop", "content": "A new one"}}))
		return string(v.ID)
	}
	id := ask()
	type who struct {
		name string
		u    *tacktest.User
		read int // status of GET
		act  string
	}
	for _, c := range []who{
		{"originator", w.report, 200, tack.EForbidden},
		{"approver", w.manager, 200, "ok"},
		{"cc", w.member, 200, tack.EForbidden},
		{"admin", w.admin, 200, tack.EForbidden},
		{"later approver", w.director, 404, tack.ENotFound},
		{"colleague", w.colleague, 404, tack.ENotFound},
		{"other organisation", w.other, 404, tack.ENotFound},
		{"stranger", w.stranger, 404, tack.ENotFound},
	} {
		_, err := c.u.Approval(bg, org, id)
		if got := 200; err != nil {
			got = status(err)
			if got != c.read {
				t.Errorf("%s reads: %v", c.name, err)
			}
		} else if got != c.read {
			t.Errorf("%s reads: 200, want %d", c.name, c.read)
		}
		if c.act == "ok" {
			continue // the approver acts last
		}
		for _, action := range []string{"approve", "reject", "transfer", "return"} {
			_, err := w.act(c.u, id, action, client.ApprovalAction{UserID: tack.ID(w.colleague.ID)})
			if code(err) != c.act && !(action == "transfer" && c.u == w.colleague && code(err) == tack.EInvalid) {
				t.Errorf("%s %s: %v, want %s", c.name, action, err, c.act)
			}
		}
		if c.u != w.report {
			if _, err := w.act(c.u, id, "withdraw", client.ApprovalAction{}); code(err) != map[bool]string{true: tack.EForbidden, false: tack.ENotFound}[c.read == 200] {
				t.Errorf("%s withdraws: %v", c.name, err)
			}
		}
		_, err = w.act(c.u, id, "comment", client.ApprovalAction{Comment: "hi"})
		if want := map[bool]string{true: "ok", false: tack.ENotFound}[c.read == 200]; code(err) != want {
			t.Errorf("%s comments: %v, want %s", c.name, err, want)
		}
	}
	// Outsiders learn nothing of boxes and counts either.
	if _, err := w.stranger.Approvals(bg, org, "pending", "", 0); code(err) != tack.ENotFound {
		t.Errorf("stranger's box: %v", err)
	}
	v := must[client.Approval](t)(w.act(w.manager, id, "approve", client.ApprovalAction{}))
	if v.Status != approval.Running || !slices.Equal(v.Pending, []tack.ID{tack.ID(w.director.ID)}) {
		t.Fatalf("after the manager: %s, pending %v", v.Status, v.Pending)
	}
	// Now the director reads and acts; the manager no longer acts.
	if _, err := w.act(w.manager, id, "approve", client.ApprovalAction{}); err != nil {
		t.Errorf("the manager approves again (idempotent): %v", err)
	}
	if _, err := w.act(w.manager, id, "reject", client.ApprovalAction{}); code(err) != tack.EForbidden {
		t.Errorf("the manager rejects the next step: %v", err)
	}
	// The originator withdraws; nobody acts after that.
	must[client.Approval](t)(w.act(w.report, id, "withdraw", client.ApprovalAction{}))
	must[client.Approval](t)(w.act(w.report, id, "withdraw", client.ApprovalAction{}))
	if _, err := w.act(w.director, id, "approve", client.ApprovalAction{}); code(err) != approval.EDecided || status(err) != http.StatusConflict {
		t.Errorf("approve a withdrawn request: %v", err)
	}
	if pg := must[client.ApprovalPage](t)(w.director.Approvals(bg, org, "pending", "", 0)); len(pg.Approvals) != 0 {
		t.Errorf("director's pending box after withdrawal: %v", ids(pg.Approvals))
	}
	// CC'd people see it in their box.
	if pg := must[client.ApprovalPage](t)(w.member.Approvals(bg, org, "cc", "", 0)); len(pg.Approvals) != 1 {
		t.Errorf("member's cc box: %v", ids(pg.Approvals))
	}
	// Only admins change templates.
	if _, err := w.report.PutApprovalTemplate(bg, org, "general", map[string]any{"name": "x"}, 0); code(err) != tack.EForbidden {
		t.Errorf("a member changes a template: %v", err)
	}
	if _, err := w.stranger.ApprovalTemplates(bg, org); code(err) != tack.ENotFound {
		t.Errorf("a stranger lists templates: %v", err)
	}
}

// TestValidation: bad input is refused with a precise code and field, and
// writes nothing.
func TestValidation(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv)
	w.group(t)
	org := w.org
	must[client.LeaveBalance](t)(w.owner.SetLeaveBalance(bg, org, w.report.ID, "annual", leave.Days(2), "start"))
	// Marriage leave needs proof here, always.
	var types []client.LeaveType
	types = must[[]client.LeaveType](t)(w.owner.LeaveTypes(bg, org))
	for _, ty := range types {
		if ty.Key == "marriage" {
			zero := leave.Amount(0)
			ty.ProofOver = &zero
			if got := must[client.LeaveType](t)(w.owner.PutLeaveType(bg, org, "marriage", ty)); got.ProofOver == nil || got.Version != 1 {
				t.Fatalf("put type: %+v", got)
			}
		}
	}
	if _, err := w.report.PutLeaveType(bg, org, "marriage", types[0]); code(err) != tack.EForbidden {
		t.Errorf("a member changes a leave type: %v", err)
	}
	post := func(body any) error {
		return w.report.Do(bg, "POST", "/api/v1/orgs/"+org+"/approvals", body, nil)
	}
	leaveForm := func(kv ...any) map[string]any {
		f := map[string]any{"leave_type": "annual", "start": "2026-03-05", "end": "2026-03-05"}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i].(string)] = kv[i+1]
		}
		return map[string]any{"template": "leave", "form": f}
	}
	fieldOf := func(err error) string {
		if e, ok := err.(*client.Error); ok {
			return e.Field
		}
		return ""
	}
	for _, c := range []struct {
		name  string
		body  any
		code  string
		field string
	}{
		{"no template", map[string]any{"form": map[string]any{}}, tack.EInvalid, "template"},
		{"unknown template", map[string]any{"template": "nope", "form": map[string]any{}}, tack.EInvalid, "template"},
		{"form not an object", map[string]any{"template": "leave", "form": []int{1}}, tack.EInvalid, "form"},
		{"unknown field", leaveForm("color", "red"), tack.EInvalid, "form.color"},
		{"missing start", map[string]any{"template": "leave", "form": map[string]any{"leave_type": "annual", "end": "2026-03-05"}}, tack.EInvalid, "form.start"},
		{"bad date", leaveForm("start", "2026-02-30"), tack.EInvalid, "form.start"},
		{"end before start", leaveForm("end", "2026-03-04"), tack.EInvalid, "form.end"},
		{"unknown leave type", leaveForm("leave_type", "holiday"), tack.EInvalid, "form.leave_type"},
		{"a weekend", leaveForm("start", "2026-03-07", "end", "2026-03-08"), tack.EInvalid, "form.end"},
		{"half of a half", leaveForm("start_half", "noon"), tack.EInvalid, "form.start_half"},
		{"more than the balance", leaveForm("end", "2026-03-09"), tack.EConflict, ""},
		{"a bereavement too long", leaveForm("leave_type", "bereavement", "end", "2026-03-11"), tack.EInvalid, "form.end"},
		{"marriage without proof", leaveForm("leave_type", "marriage"), tack.EInvalid, "form.attachments"},
		{"bad attachment ID", leaveForm("attachments", []string{"x"}), tack.EInvalid, "form.attachments"},
		{"handover not a member", leaveForm("handover", w.stranger.ID), tack.EInvalid, "form.handover"},
		{"expense: three decimals", map[string]any{"template": "expense", "form": map[string]any{"items": []map[string]any{{"item": "taxi", "amount": "12.345"}}}}, tack.EInvalid, "form.items[0].amount"},
		{"expense: negative", map[string]any{"template": "expense", "form": map[string]any{"items": []map[string]any{{"item": "taxi", "amount": -3}}}}, tack.EInvalid, "form.items[0].amount"},
		{"expense: float notation", map[string]any{"template": "expense", "form": map[string]any{"items": []map[string]any{{"item": "taxi", "amount": 1e21}}}}, tack.EInvalid, "form.items[0].amount"},
		{"expense: wrong total", map[string]any{"template": "expense", "form": map[string]any{"items": []map[string]any{{"item": "taxi", "amount": "10.10"}}, "total": "10.01"}}, tack.EInvalid, "form.total"},
		{"expense: no items", map[string]any{"template": "expense", "form": map[string]any{"items": []any{}}}, tack.EInvalid, "form.items"},
		{"general: chosen approver unknown", map[string]any{"template": "general", "form": map[string]any{"title": "x", "content": "y"}, "approvers": map[string]any{"chosen": []string{w.stranger.ID}}}, tack.EInvalid, "approvers"},
		{"makeup: a future day", map[string]any{"template": "makeup", "form": map[string]any{"work_date": "2026-03-09", "check_type": "OnDuty", "reason": "forgot"}}, tack.EInvalid, "form.work_date"},
	} {
		err := post(c.body)
		if code(err) != c.code || c.field != "" && fieldOf(err) != c.field {
			t.Errorf("%s: %v (field %q), want %s %s", c.name, err, fieldOf(err), c.code, c.field)
		}
	}
	if pg := must[client.ApprovalPage](t)(w.report.Approvals(bg, org, "mine", "", 0)); len(pg.Approvals) != 0 {
		t.Errorf("refused requests left %v", ids(pg.Approvals))
	}
	if got := balanceOf(t, w.report, org, "", "annual"); got != leave.Days(2) {
		t.Errorf("balance = %v", got)
	}
	// A second request may not spend what a running one asks for.
	must[client.Approval](t)(w.report.SubmitApproval(bg, org, leaveForm("end", "2026-03-06")))
	if err := post(leaveForm("start", "2026-03-09", "end", "2026-03-09")); code(err) != tack.EConflict || !strings.Contains(err.Error(), "still running") {
		t.Errorf("over-asking with a request running: %v", err)
	}
	// Actions and lists.
	id := string(must[client.ApprovalPage](t)(w.report.Approvals(bg, org, "mine", "", 0)).Approvals[0].ID)
	for _, c := range []struct {
		name   string
		u      *tacktest.User
		action string
		in     client.ApprovalAction
		code   string
	}{
		{"unknown action", w.manager, "explode", client.ApprovalAction{}, tack.ENotFound},
		{"transfer to nobody", w.manager, "transfer", client.ApprovalAction{}, tack.EInvalid},
		{"transfer to an outsider", w.manager, "transfer", client.ApprovalAction{UserID: tack.ID(w.stranger.ID)}, tack.EInvalid},
		{"transfer to oneself", w.manager, "transfer", client.ApprovalAction{UserID: tack.ID(w.manager.ID)}, tack.EInvalid},
		{"add sideways", w.manager, "add", client.ApprovalAction{UserID: tack.ID(w.director.ID), Position: "beside"}, tack.EInvalid},
		{"comment too long", w.manager, "approve", client.ApprovalAction{Comment: strings.Repeat("长", 1001)}, tack.EInvalid},
		{"empty comment", w.manager, "comment", client.ApprovalAction{}, tack.EInvalid},
		{"return with no step before", w.manager, "return", client.ApprovalAction{}, tack.EInvalid},
	} {
		if _, err := w.act(c.u, id, c.action, c.in); code(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	for _, q := range []string{"?box=inbox", "?cursor=zzz", "?limit=500", "?limit=-1"} {
		if err := w.report.Do(bg, "GET", "/api/v1/orgs/"+org+"/approvals"+q, nil, nil); code(err) != tack.EInvalid {
			t.Errorf("GET %s: %v", q, err)
		}
	}
	if err := w.owner.Do(bg, "PUT", "/api/v1/orgs/"+org+"/leave/balances/"+w.report.ID+"/annual", map[string]any{"balance": 1.234, "reason": "x"}, nil); code(err) != tack.EInvalid {
		t.Errorf("a balance with three decimals: %v", err)
	}
	if err := w.owner.Do(bg, "PUT", "/api/v1/orgs/"+org+"/leave/balances/"+w.report.ID+"/annual", map[string]any{"balance": 3}, nil); code(err) != tack.EInvalid {
		t.Errorf("a balance without a reason: %v", err)
	}
	if err := w.manager.Do(bg, "PUT", "/api/v1/orgs/"+org+"/leave/balances/"+w.report.ID+"/annual", map[string]any{"balance": 30, "reason": "x"}, nil); code(err) != tack.EForbidden {
		t.Errorf("a manager sets a balance: %v", err)
	}
	if v := must[client.Approval](t)(w.report.Approval(bg, org, id)); v.Status != approval.Running || len(v.Actions) != 1 {
		t.Errorf("refused actions wrote: %+v", v.Actions)
	}
}

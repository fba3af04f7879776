package approval_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/tacktest"
)

func kinds(v client.Approval) []string {
	var out []string
	for _, a := range v.Actions {
		out = append(out, a.Kind)
	}
	return out
}

// TestActions: transfer, add before and after, return, comment with a
// mention (who may then read), urge (rate-limited), withdraw.
func TestActions(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv)
	org := w.org
	// Two steps: the manager, then the director (managers up to 2, in order).
	must[client.ApprovalTemplate](t)(w.owner.PutApprovalTemplate(bg, org, "general", map[string]any{"name": "通用审批",
		"fields": []map[string]any{{"key": "title", "type": "text", "label": "标题", "required": true}, {"key": "content", "type": "text", "label": "内容", "required": true}},
		"flow": []map[string]any{{"type": "approver", "who": map[string]any{"type": "manager", "level": 1}},
			{"type": "approver", "who": map[string]any{"type": "manager", "level": 2}}}, "dedup": false}, 0))
	ask := func() string {
		return string(must[client.Approval](t)(w.report.SubmitApproval(bg, org, map[string]any{"template": "general",
			"form": map[string]any{"title": "Offsite", "content": "Two days"}})).ID)
	}
	id := ask()
	pending := func(want ...*tacktest.User) {
		t.Helper()
		v := must[client.Approval](t)(w.report.Approval(bg, org, id))
		var ws []tack.ID
		for _, u := range want {
			ws = append(ws, tack.ID(u.ID))
		}
		if !slices.Equal(v.Pending, ws) {
			t.Fatalf("pending %v, want %v", v.Pending, ws)
		}
	}
	pending(w.manager)
	// Transfer to the colleague; the manager no longer acts.
	must[client.Approval](t)(w.act(w.manager, id, "transfer", client.ApprovalAction{UserID: tack.ID(w.mid[w.colleague]), Comment: "you know it"}))
	must[client.Approval](t)(w.act(w.manager, id, "transfer", client.ApprovalAction{UserID: tack.ID(w.colleague.ID)})) // again: once
	pending(w.colleague)
	if _, err := w.act(w.manager, id, "approve", client.ApprovalAction{}); code(err) == "ok" {
		t.Error("the manager approved after transferring")
	}
	// The colleague asks the member first, then approves, adding the admin after.
	must[client.Approval](t)(w.act(w.colleague, id, "add", client.ApprovalAction{UserID: tack.ID(w.member.ID), Position: "before"}))
	pending(w.member)
	must[client.Approval](t)(w.act(w.member, id, "approve", client.ApprovalAction{}))
	pending(w.colleague)
	must[client.Approval](t)(w.act(w.colleague, id, "add", client.ApprovalAction{UserID: tack.ID(w.admin.ID), Position: "after"}))
	pending(w.admin)
	must[client.Approval](t)(w.act(w.admin, id, "approve", client.ApprovalAction{}))
	pending(w.director)
	// The director sends it back to the first step: the manager's turn again.
	v := must[client.Approval](t)(w.act(w.director, id, "return", client.ApprovalAction{Comment: "check the dates"}))
	if v.Current != 0 || !slices.Equal(v.Pending, []tack.ID{tack.ID(w.manager.ID)}) {
		t.Fatalf("after return: step %d, pending %v", v.Current, v.Pending)
	}
	must[client.Approval](t)(w.act(w.manager, id, "approve", client.ApprovalAction{}))
	v = must[client.Approval](t)(w.act(w.director, id, "approve", client.ApprovalAction{}))
	if v.Status != approval.Approved {
		t.Fatalf("status %s", v.Status)
	}
	want := []string{"submit", "transfer", "add_before", "approve", "add_after", "approve", "return", "approve", "approve"}
	if !slices.Equal(kinds(v), want) {
		t.Errorf("timeline %v, want %v", kinds(v), want)
	}

	// Comments: anyone who reads; a mention lets someone read, once.
	id = ask()
	if _, err := w.member.Approval(bg, org, id); code(err) != tack.ENotFound {
		t.Fatalf("the member reads before a mention: %v", err)
	}
	in := client.ApprovalAction{Comment: "@Member can you check?", Mentions: []tack.ID{tack.ID(w.member.ID)}, ClientID: "c-1"}
	must[client.Approval](t)(w.act(w.report, id, "comment", in))
	v = must[client.Approval](t)(w.act(w.report, id, "comment", in)) // a retry: once
	if n := strings.Count(strings.Join(kinds(v), " "), "comment"); n != 1 {
		t.Errorf("%d comments after a retry", n)
	}
	if v := must[client.Approval](t)(w.member.Approval(bg, org, id)); !slices.Contains(v.Can, "comment") || slices.Contains(v.Can, "approve") {
		t.Errorf("the mentioned member may %v", v.Can)
	}
	// Urge: once every ten minutes.
	must[client.Approval](t)(w.act(w.report, id, "urge", client.ApprovalAction{}))
	if _, err := w.act(w.report, id, "urge", client.ApprovalAction{}); code(err) != tack.ERateLimited || !strings.Contains(err.Error(), "urge again in 10 minutes") {
		t.Errorf("urging again at once: %v, want to wait 10 minutes", err)
	}
	// The refusal says how long is left, in whole minutes rounded up.
	clk.Set(at("2026-03-04 08:04").Add(30 * time.Second))
	if _, err := w.act(w.report, id, "urge", client.ApprovalAction{}); code(err) != tack.ERateLimited || !strings.Contains(err.Error(), "urge again in 6 minutes") {
		t.Errorf("urging again after 4½ minutes: %v, want to wait 6 more minutes", err)
	}
	clk.Set(at("2026-03-04 08:11"))
	must[client.Approval](t)(w.act(w.report, id, "urge", client.ApprovalAction{}))
	if _, err := w.act(w.manager, id, "urge", client.ApprovalAction{}); code(err) != tack.EForbidden {
		t.Errorf("an approver urges: %v", err)
	}
}

// TestCancelGivesLeaveBack: an approved leave cancelled before it starts
// restores the balance (a ledger line) and no longer covers the day.
func TestCancelGivesLeaveBack(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv)
	w.group(t)
	org := w.org
	must[client.LeaveBalance](t)(w.owner.SetLeaveBalance(bg, org, w.report.ID, "annual", leave.Days(5), "start"))
	v := w.leave(t, w.report, map[string]any{"leave_type": "annual", "start": "2026-03-05", "end": "2026-03-06", "start_half": "pm"})
	if v.Leave.Amount != 150 {
		t.Fatalf("counted %s", v.Leave.Amount)
	}
	id := string(v.ID)
	must[client.Approval](t)(w.act(w.manager, id, "approve", client.ApprovalAction{}))
	if got := balanceOf(t, w.report, org, "", "annual"); got != 350 {
		t.Fatalf("balance after approval %s", got)
	}
	recs := must[[]client.AttRecord](t)(w.report.AttRecords(bg, org, "", "2026-03-05", "2026-03-06"))
	var statuses []string
	for _, r := range recs {
		statuses = append(statuses, r.CheckType+":"+r.SourceType)
	}
	// Thursday morning is worked (its on-duty check, still to come, is
	// not listed yet); the afternoon and Friday are leave.
	if !slices.Equal(statuses, []string{"OffDuty:APPROVE", "OnDuty:APPROVE", "OffDuty:APPROVE"}) {
		t.Errorf("records %v", statuses)
	}
	// Someone else may not cancel it; the originator may, before it starts.
	if _, err := w.act(w.manager, id, "cancel", client.ApprovalAction{}); code(err) != tack.EForbidden {
		t.Errorf("the manager cancels: %v", err)
	}
	v = must[client.Approval](t)(w.act(w.report, id, "cancel", client.ApprovalAction{Comment: "plans changed"}))
	must[client.Approval](t)(w.act(w.report, id, "cancel", client.ApprovalAction{}))
	if v.Status != approval.Cancelled {
		t.Fatalf("status %s", v.Status)
	}
	if got := balanceOf(t, w.report, org, "", "annual"); got != leave.Days(5) {
		t.Errorf("balance after cancel %s", got)
	}
	lines := must[[]client.LeaveLine](t)(w.report.LeaveLedger(bg, org, "", "annual"))
	if len(lines) != 3 || lines[0].Kind != leave.LineRestore || lines[0].Delta != 150 || lines[1].Kind != leave.LineDeduct {
		t.Errorf("ledger %+v", lines)
	}
	for _, r := range must[[]client.AttRecord](t)(w.report.AttRecords(bg, org, "", "2026-03-05", "2026-03-06")) {
		if r.SourceType == "APPROVE" {
			t.Errorf("still covered: %+v", r)
		}
	}
	// Once it has started, only an admin may cancel.
	v = w.leave(t, w.report, map[string]any{"leave_type": "annual", "start": "2026-03-04", "end": "2026-03-04"})
	must[client.Approval](t)(w.act(w.manager, string(v.ID), "approve", client.ApprovalAction{}))
	clk.Set(at("2026-03-04 10:00"))
	if _, err := w.act(w.report, string(v.ID), "cancel", client.ApprovalAction{}); code(err) != tack.EConflict {
		t.Errorf("cancel after the start: %v", err)
	}
	must[client.Approval](t)(w.act(w.admin, string(v.ID), "cancel", client.ApprovalAction{}))
	if got := balanceOf(t, w.report, org, "", "annual"); got != leave.Days(5) {
		t.Errorf("balance after an admin's cancel %s", got)
	}
}

// TestVersionsAndBranches: an instance keeps the template version it was
// made with; the expense flow branches on the total (exact money).
func TestVersionsAndBranches(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv)
	org := w.org
	expense := func(amount string) client.Approval {
		return must[client.Approval](t)(w.report.SubmitApproval(bg, org, map[string]any{"template": "expense",
			"form": map[string]any{"items": []map[string]any{{"item": "hotel", "amount": amount}, {"item": "taxi", "amount": "0.01"}}}}))
	}
	small := expense("4999.98")
	big := expense("4999.99")
	if len(small.Steps) != 1 || len(big.Steps) != 2 || big.Steps[1].Approvers[0] != tack.ID(w.director.ID) {
		t.Errorf("steps: small %+v, big %+v", small.Steps, big.Steps)
	}
	if !strings.Contains(string(big.Form), `"total":"5000.00"`) {
		t.Errorf("form %s", big.Form)
	}
	// A new version of the leave template sends leave to the admin; a
	// request made before keeps its flow.
	before := w.leave(t, w.report, map[string]any{"leave_type": "personal", "start": "2026-03-05", "end": "2026-03-05"})
	tpl := must[[]client.ApprovalTemplate](t)(w.owner.ApprovalTemplates(bg, org))
	i := slices.IndexFunc(tpl, func(x client.ApprovalTemplate) bool { return x.Key == "leave" })
	lv := tpl[i]
	lv.Flow = []approval.Node{{Type: approval.NodeApprover, Who: approval.Who{Type: approval.WhoPerson, UserIDs: []tack.ID{tack.ID(w.admin.ID)}}}}
	put := must[client.ApprovalTemplate](t)(w.owner.PutApprovalTemplate(bg, org, "leave", lv, 1))
	if put.Version != 2 || len(put.Fields) != len(lv.Fields) {
		t.Fatalf("put: version %d, %d fields", put.Version, len(put.Fields))
	}
	if _, err := w.owner.PutApprovalTemplate(bg, org, "leave", lv, 1); code(err) != tack.EConflict {
		t.Errorf("a stale version: %v", err)
	}
	after := w.leave(t, w.report, map[string]any{"leave_type": "personal", "start": "2026-03-06", "end": "2026-03-06"})
	if before.TemplateVersion != 1 || after.TemplateVersion != 2 || after.Pending[0] != tack.ID(w.admin.ID) {
		t.Errorf("versions %d %d, pending %v", before.TemplateVersion, after.TemplateVersion, after.Pending)
	}
	v := must[client.Approval](t)(w.act(w.manager, string(before.ID), "approve", client.ApprovalAction{}))
	if v.Status != approval.Approved {
		t.Errorf("the old request: %s", v.Status)
	}
	// A custom template, then disabled: members no longer see or use it.
	must[client.ApprovalTemplate](t)(w.owner.PutApprovalTemplate(bg, org, "car", map[string]any{"name": "用车",
		"fields": []map[string]any{{"key": "km", "type": "number", "label": "公里", "required": true}},
		"flow":   []map[string]any{{"type": "approver", "who": map[string]any{"type": "role", "role": "admin"}, "mode": "all"}}}, 0))
	car := must[client.Approval](t)(w.report.SubmitApproval(bg, org, map[string]any{"template": "car", "form": map[string]any{"km": 12.5}}))
	if car.Kind != approval.KindCustom || len(car.Pending) != 2 {
		t.Errorf("car: %s, pending %v", car.Kind, car.Pending)
	}
	must[client.ApprovalTemplate](t)(w.owner.PutApprovalTemplate(bg, org, "car", map[string]any{"name": "用车", "enabled": false,
		"fields": []map[string]any{{"key": "km", "type": "number", "label": "公里"}},
		"flow":   []map[string]any{{"type": "approver", "who": map[string]any{"type": "role", "role": "admin"}}}}, 0))
	if _, err := w.report.SubmitApproval(bg, org, map[string]any{"template": "car", "form": map[string]any{"km": 1}}); code(err) != tack.EInvalid {
		t.Errorf("a disabled template: %v", err)
	}
	if ts := must[[]client.ApprovalTemplate](t)(w.report.ApprovalTemplates(bg, org)); slices.ContainsFunc(ts, func(x client.ApprovalTemplate) bool { return x.Key == "car" }) {
		t.Error("a member sees a disabled template")
	}
}

// TestAwayStatusAndAutoReply: while approved leave runs the person shows
// as 休假中 to colleagues (directory, /users), direct messages from
// colleagues get one automatic reply a day naming who covers, strangers
// learn nothing; an approval event and a bot message reach the approver.
func TestAwayStatusAndAutoReply(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(t, clk)
	w := newWorld(t, srv)
	org := w.org
	mgr := w.manager.Client
	stream, err := mgr.Connect(bg, client.StreamOptions{})
	ok(t, err)
	defer stream.CloseNow()
	waitFor(t, stream, "synced", func(e client.Event) bool { return e.Type == "synced" })

	v := must[client.Approval](t)(w.report.SubmitApproval(bg, org, map[string]any{"template": "leave", "auto_reply": true,
		"form": map[string]any{"leave_type": "personal", "start": "2026-03-04", "end": "2026-03-05", "handover": w.colleague.ID}}))
	id := string(v.ID)
	waitFor(t, stream, "the approval event", func(e client.Event) bool { return e.Type == "approval" && strings.Contains(string(e.Raw), id) })
	bot := waitFor(t, stream, "the bot's message", func(e client.Event) bool {
		return e.Type == "message" && e.Message.Kind == "system" && strings.Contains(e.Message.Text, "待你审批")
	})
	if bot.Message.System == nil || bot.Message.System.Action != "approval" {
		t.Errorf("bot message %+v", bot.Message)
	}
	must[client.Approval](t)(w.act(w.manager, id, "approve", client.ApprovalAction{}))

	var users struct {
		Users []map[string]any `json:"users"`
	}
	ok(t, w.colleague.Do(bg, "GET", "/api/v1/users?ids="+w.report.ID+","+w.manager.ID, nil, &users))
	for _, u := range users.Users {
		away, _ := u["away"].(map[string]any)
		if u["id"] == w.report.ID && (away["label"] != "休假中" || away["kind"] != "leave") || u["id"] == w.manager.ID && away != nil {
			t.Errorf("user %v", u)
		}
	}
	var members struct {
		Members []map[string]any `json:"members"`
	}
	ok(t, w.manager.Do(bg, "GET", "/api/v1/orgs/"+org+"/members?q=Report", nil, &members))
	if len(members.Members) != 1 || members.Members[0]["away"] == nil {
		t.Errorf("members %v", members.Members)
	}
	ok(t, w.stranger.Do(bg, "GET", "/api/v1/users?ids="+w.report.ID, nil, &users))
	if len(users.Users) == 1 && users.Users[0]["away"] != nil {
		t.Errorf("a stranger sees %v", users.Users[0])
	}

	// A colleague writes: one automatic reply, naming the handover.
	conv := must[client.Conversation](t)(w.manager.CreateConversation(bg, "direct", []string{w.report.ID}, ""))
	for i := 0; i < 2; i++ {
		must[client.Message](t)(w.manager.Send(bg, string(conv.ID), client.Draft{ClientID: string(tack.NewID()), Text: "are you there?"}))
	}
	reply := waitFor(t, stream, "the automatic reply", func(e client.Event) bool {
		return e.Type == "message" && e.Message.ConversationID == conv.ID && e.Message.System != nil && e.Message.System.Action == "auto_reply"
	})
	if !strings.Contains(reply.Message.Text, "自动回复") || !strings.Contains(reply.Message.Text, "Colleague") || reply.Message.System.ActorID != tack.ID(w.report.ID) {
		t.Errorf("reply %+v", reply.Message)
	}
	// Wait for a marker message so that a second reply would have come.
	must[client.Message](t)(w.manager.Send(bg, string(conv.ID), client.Draft{ClientID: "marker", Text: "marker"}))
	waitFor(t, stream, "the marker", func(e client.Event) bool { return e.Type == "message" && e.Message.ClientID == "marker" })
	ms := must[[]client.Message](t)(w.manager.History(bg, string(conv.ID), 0, 0, 50))
	n := 0
	for _, m := range ms {
		if m.Kind == "system" && strings.Contains(m.Text, "自动回复") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d automatic replies", n)
	}
	// After the leave: no status.
	clk.Set(at("2026-03-06 09:00"))
	ok(t, w.colleague.Do(bg, "GET", "/api/v1/users?ids="+w.report.ID, nil, &users))
	if users.Users[0]["away"] != nil {
		t.Errorf("after the leave: %v", users.Users[0])
	}
}

func waitFor(t *testing.T, s *client.Stream, what string, match func(client.Event) bool) client.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-s.Events():
			if !ok {
				t.Fatalf("waiting for %s: stream ended: %v", what, s.Err())
			}
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

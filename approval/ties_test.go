package approval_test

import (
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
)

// TestTies: an approved make-up punch fixes the day (within the quota); an
// approved overtime becomes comp time; an approved trip shows 出差中 and
// covers its days; an approved leave is announced in the department's
// group in one tap, once.
func TestTies(t *testing.T) {
	clk := newClock(at("2026-03-04 08:00")) // a Wednesday
	srv := server(t, clk)
	w := newWorld(t, srv)
	w.group(t)
	org := w.org
	ok(t, srv.Node.Attendance.RunJobs(bg))

	// Make-up punch: the report forgot Wednesday's on-duty punch.
	clk.Set(at("2026-03-05 10:00"))
	ok(t, srv.Node.Attendance.RunJobs(bg))
	mk := must[client.Approval](t)(w.report.SubmitApproval(bg, org, map[string]any{"template": "makeup",
		"form": map[string]any{"work_date": "2026-03-04", "check_type": "OnDuty", "reason": "forgot my phone"}}))
	must[client.Approval](t)(w.act(w.manager, string(mk.ID), "approve", client.ApprovalAction{}))
	recs := must[[]client.AttRecord](t)(w.report.AttRecords(bg, org, "", "2026-03-04", "2026-03-04"))
	found := false
	for _, r := range recs {
		if r.CheckType == "OnDuty" {
			found = true
			if r.TimeResult != "Normal" || r.SourceType != "APPROVE" || r.ApproveID != string(mk.ID) {
				t.Errorf("the corrected check %+v", r)
			}
		}
	}
	if !found {
		t.Errorf("no on-duty record: %+v", recs)
	}
	// Applying it again (a retried job) corrects once.
	ok(t, srv.Node.Approval.RunJobs(bg))
	var q struct {
		Used int `json:"used"`
	}
	ok(t, w.report.Do(bg, "GET", "/api/v1/orgs/"+org+"/attendance/corrections/quota?month=2026-03", nil, &q))
	if q.Used != 1 {
		t.Errorf("quota used %d", q.Used)
	}
	if _, err := w.act(w.report, string(mk.ID), "cancel", client.ApprovalAction{}); code(err) != tack.EConflict {
		t.Errorf("cancel a make-up punch: %v", err)
	}

	// Overtime on Saturday: four hours of comp time.
	ot := must[client.Approval](t)(w.report.SubmitApproval(bg, org, map[string]any{"template": "overtime",
		"form": map[string]any{"start": "2026-03-07 10:00", "end": "2026-03-07 14:00", "reason": "release"}}))
	if ot.Leave == nil || ot.Leave.Amount != leave.Days(4) {
		t.Fatalf("overtime counted %+v", ot.Leave)
	}
	must[client.Approval](t)(w.act(w.manager, string(ot.ID), "approve", client.ApprovalAction{}))
	if got := balanceOf(t, w.report, org, "", "comp_time"); got != leave.Days(4) {
		t.Errorf("comp time %s", got)
	}

	// A trip this week: 出差中, and its days covered.
	trip := must[client.Approval](t)(w.colleague.SubmitApproval(bg, org, map[string]any{"template": "trip",
		"form": map[string]any{"start": "2026-03-05", "end": "2026-03-06", "destination": "Shenzhen"}}))
	must[client.Approval](t)(w.act(w.manager, string(trip.ID), "approve", client.ApprovalAction{}))
	var users struct {
		Users []map[string]any `json:"users"`
	}
	ok(t, w.member.Do(bg, "GET", "/api/v1/users?ids="+w.colleague.ID, nil, &users))
	if away, _ := users.Users[0]["away"].(map[string]any); away["label"] != "出差中" {
		t.Errorf("the colleague shows %v", users.Users[0])
	}
	for _, r := range must[[]client.AttRecord](t)(w.colleague.AttRecords(bg, org, "", "2026-03-06", "2026-03-06")) {
		if r.DayStatus != "trip" || r.ApproveType != "trip" {
			t.Errorf("trip day record %+v", r)
		}
	}

	// Announce approved leave in Sales' group.
	g := must[client.OrgGroup](t)(w.owner.CreateOrgGroup(bg, org, w.sales, "Sales"))
	lv := w.leave(t, w.report, map[string]any{"leave_type": "personal", "start": "2026-03-09", "end": "2026-03-10", "handover": w.colleague.ID})
	if _, err := w.act(w.report, string(lv.ID), "announce", client.ApprovalAction{}); code(err) != tack.EConflict {
		t.Errorf("announce before approval: %v", err)
	}
	must[client.Approval](t)(w.act(w.manager, string(lv.ID), "approve", client.ApprovalAction{}))
	v := must[client.Approval](t)(w.act(w.report, string(lv.ID), "announce", client.ApprovalAction{}))
	must[client.Approval](t)(w.act(w.report, string(lv.ID), "announce", client.ApprovalAction{}))
	if !v.Announced {
		t.Errorf("not announced: %+v", v)
	}
	ms := must[[]client.Message](t)(w.manager.History(bg, string(g.ConversationID), 0, 0, 50))
	n := 0
	for _, m := range ms {
		if m.Kind == "text" && string(m.SenderID) == w.report.ID && strings.Contains(m.Text, "事假") && strings.Contains(m.Text, "Colleague") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d announcements in the group: %+v", n, ms)
	}
	if _, err := w.act(w.manager, string(lv.ID), "announce", client.ApprovalAction{}); code(err) != tack.EForbidden {
		t.Errorf("the manager announces: %v", err)
	}
	_ = approval.Approved
}

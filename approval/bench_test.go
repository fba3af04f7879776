package approval_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// BenchmarkInbox reads the approver's pending box over 10,000 open
// instances on SQLite (goal: a page of 50 in 20 ms or less): through the
// service, a page deep in the box, the counts, and over HTTP.
//
//	go test -run XXX -bench Inbox -benchtime 200x ./approval/
func BenchmarkInbox(b *testing.B) {
	const open = 10000
	clk := newClock(at("2026-03-04 08:00"))
	srv := server(b, clk)
	w := newWorld(b, srv)
	as := srv.Node.Approval
	must[client.ApprovalTemplate](b)(w.owner.PutApprovalTemplate(bg, w.org, "general", map[string]any{"name": "通用审批",
		"fields": []map[string]any{{"key": "title", "type": "text", "label": "标题", "required": true}, {"key": "content", "type": "text", "label": "内容", "required": true}},
		"flow":   []map[string]any{{"type": "approver", "who": map[string]any{"type": "person", "user_ids": []string{w.manager.ID}}}}}, 0))
	orgID := tack.ID(w.org)
	asker := tack.WithCaller(context.Background(), tack.Caller{UserID: tack.ID(w.report.ID)})
	start := time.Now()
	for i := 0; i < open; i++ {
		form, _ := json.Marshal(map[string]any{"title": fmt.Sprintf("Request %d", i), "content": "Please approve this request for a new laptop."})
		if _, err := as.Submit(asker, orgID, approval.SubmitInput{Template: "general", Form: form}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d open instances made in %v", open, time.Since(start).Round(time.Millisecond))
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: tack.ID(w.manager.ID)})
	first, err := as.Box(me, orgID, approval.BoxPending, "", 50)
	if err != nil || len(first.Approvals) != 50 {
		b.Fatalf("first page: %d, %v", len(first.Approvals), err)
	}
	// A cursor 100 pages in.
	deep := first.Next
	for i := 0; i < 99; i++ {
		p, err := as.Box(me, orgID, approval.BoxPending, deep, 50)
		if err != nil {
			b.Fatal(err)
		}
		deep = p.Next
	}
	b.Run("service/page50", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if p, err := as.Box(me, orgID, approval.BoxPending, "", 50); err != nil || len(p.Approvals) != 50 {
				b.Fatal(len(p.Approvals), err)
			}
		}
	})
	b.Run("service/page50-at-5000", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if p, err := as.Box(me, orgID, approval.BoxPending, deep, 50); err != nil || len(p.Approvals) != 50 {
				b.Fatal(len(p.Approvals), err)
			}
		}
	})
	b.Run("service/counts", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if c, err := as.Count(me, orgID); err != nil || c.Pending != open {
				b.Fatal(c, err)
			}
		}
	})
	b.Run("http/page50", func(b *testing.B) {
		c := w.manager.Client
		for i := 0; i < b.N; i++ {
			if p, err := c.Approvals(bg, w.org, "pending", "", 50); err != nil || len(p.Approvals) != 50 {
				b.Fatal(err)
			}
		}
	})
}

var _ = (*tacktest.Server)(nil)

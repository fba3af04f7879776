package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

// TestDeadlinesOnceAcrossNodes: two nodes on one PostgreSQL and NATS, both
// running the deadline queue. Unconfirmed DINGs escalate to SMS: each
// recipient gets exactly one text message per DING, never one from each
// node (escalation jobs are claimed with FOR UPDATE SKIP LOCKED).
func TestDeadlinesOnceAcrossNodes(t *testing.T) {
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	sms := &notifytest.SMS{}
	cfg := tacktest.WithConfig(func(c *node.Config) {
		c.PostgresURL, c.NATSURL, c.SMS, c.DingMinEscalate = dsn, natsURL, sms, time.Second
	})
	a, b := tacktest.NewServer(t, cfg), tacktest.NewServer(t, cfg)
	ctx := ctxT(t)
	boss := a.NewUser(t, "Boss")
	o := mustDo[client.Org](t)(boss.CreateOrg(ctx, "Acme", "UTC"))
	org := string(o.ID)
	var ids []tack.ID
	for i, name := range []string{"bob", "carol"} {
		u := b.NewUser(t, name)
		inv := mustDo[client.InvitationOut](t)(boss.CreateInvitation(ctx, org, map[string]any{}))
		j := mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code))
		mustDo[client.OrgMember](t)(boss.UpdateOrgMember(ctx, org, string(j.Member.ID), map[string]any{"phone": fmt.Sprintf("+861390000000%d", i)}))
		ids = append(ids, tack.ID(u.ID))
	}
	const dings = 5
	for i := range dings {
		mustDo[client.Ding](t)(boss.SendDing(ctx, org, client.DingInput{UserIDs: ids, Text: fmt.Sprint("outage ", i), Channels: []string{"sms"}, EscalateAfterS: 1}))
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Every escalation is done when the queue is empty (SMS is the last step).
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) { // polling the queue, with its deadline
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM deadlines WHERE kind = 'ding.escalate'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 && len(sms.Messages()) >= 2*dings {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("escalations not done: %d jobs left, %d texts sent", n, len(sms.Messages()))
		}
	}
	seen := map[string]int{}
	for _, m := range sms.Messages() {
		seen[m.To+" "+m.Text]++
	}
	if len(sms.Messages()) != 2*dings || len(seen) != 2*dings {
		t.Errorf("%d texts, %d distinct; want %d of each: %v", len(sms.Messages()), len(seen), 2*dings, seen)
	}
}

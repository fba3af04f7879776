package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
	"github.com/tackhq/tack/tacktest"
)

// TestQuietHoursHoldPushes: in someone's quiet hours a direct message is
// not pushed to them, unless they chose push_in_quiet; a secret message's
// push never carries its text.
func TestQuietHoursHoldPushes(t *testing.T) {
	srv := pushServer(t)
	key := pushKey(t, srv)
	ctx := ctxT(t)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	friends(t, alice, bob)
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, bob, bb)
	subscribe(t, carol, cb)
	mustDo[client.QuietHours](t)(bob.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "UTC", Extra: []attendance.QuietRange{
		{From: "00:00", To: "12:00"}, {From: "12:00", To: "00:00"}}}))
	d := mustDo[client.Conversation](t)(alice.CreateConversation(ctx, "direct", []string{bob.ID}, ""))
	mustDo[client.Message](t)(alice.Send(ctx, string(d.ID), client.Draft{ClientID: "q1", Text: "late night"}))
	// Pushes are planned in order, one at a time (PushWorkers 1): once
	// Carol's, planned after it, has arrived, Bob's was decided.
	dc := mustDo[client.Conversation](t)(alice.CreateConversation(ctx, "direct", []string{carol.ID}, ""))
	mustDo[client.Message](t)(alice.Send(ctx, string(dc.ID), client.Draft{ClientID: "c1", Text: "hi Carol"}))
	nextPayload(t, cb, key)
	if got := bb.Pending(); len(got) != 0 {
		t.Errorf("Bob got %d pushes in his quiet hours", len(got))
	}
	if err := bob.Do(ctx, "PUT", "/api/v1/me/ding-settings", ding.UserSettings{PushInQuiet: true}, nil); err != nil {
		t.Fatal(err)
	}
	sent := mustDo[client.Message](t)(alice.Send(ctx, string(d.ID), client.Draft{ClientID: "q2", Text: "and again"}))
	pl, _ := nextPayload(t, bb, key)
	if pl.Seq != sent.Seq {
		t.Errorf("the push is of message %d; want %d", pl.Seq, sent.Seq)
	}
	// A secret message: pushed (push_in_quiet), never with its text.
	s := mustDo[client.Conversation](t)(alice.CreateConversation(ctx, "secret", []string{bob.ID}, ""))
	if err := bob.Do(ctx, "PUT", "/api/v1/me/push", map[string]any{"previews": true}, nil); err != nil {
		t.Fatal(err)
	}
	mustDo[client.Message](t)(alice.Send(ctx, string(s.ID), client.Draft{ClientID: "q3", Text: "for your eyes only"}))
	pl, _ = nextPayload(t, bb, key)
	if pl.ConversationID != s.ID || pl.Body != "" {
		t.Errorf("the secret message's push: %+v", pl)
	}
}

// TestHeldPushesAfterQuietHours: pushes held in someone's quiet hours go
// out once when those hours end, even across a restart: one per
// conversation (its newest message), none for a conversation they read
// meanwhile.
func TestHeldPushesAfterQuietHours(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Now()
	y, m, d := start.In(sh).Date()
	// Quiet hours (00:00-12:00 in Shanghai) end 8 s after the test starts
	// (the set-up must be done by then: the test fails, never passes, if
	// it is not).
	end := time.Date(y, m, d, 12, 0, 0, 0, sh)
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.PushAllowLoopback = true
		c.PushWorkers = 1
		c.AttendanceClock = func() time.Time { return end.Add(-8 * time.Second).Add(time.Since(start)) }
	}))
	key := pushKey(t, srv)
	ctx := ctxT(t)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	friends(t, alice, bob)
	friends(t, carol, bob)
	friends(t, alice, carol)
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, bob, bb)
	subscribe(t, carol, cb)
	mustDo[client.QuietHours](t)(bob.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "Asia/Shanghai",
		Extra: []attendance.QuietRange{{From: "00:00", To: "12:00"}}}))
	da := mustDo[client.Conversation](t)(alice.CreateConversation(ctx, "direct", []string{bob.ID}, ""))
	dc := mustDo[client.Conversation](t)(carol.CreateConversation(ctx, "direct", []string{bob.ID}, ""))
	mustDo[client.Message](t)(alice.Send(ctx, string(da.ID), client.Draft{ClientID: "h1", Text: "first"}))
	newest := mustDo[client.Message](t)(alice.Send(ctx, string(da.ID), client.Draft{ClientID: "h2", Text: "second"}))
	read := mustDo[client.Message](t)(carol.Send(ctx, string(dc.ID), client.Draft{ClientID: "h3", Text: "seen in the app"}))
	// Pushes are planned in order (PushWorkers 1): once Carol's, planned
	// after them, has arrived, Bob's were held.
	ac := mustDo[client.Conversation](t)(alice.CreateConversation(ctx, "direct", []string{carol.ID}, ""))
	mustDo[client.Message](t)(alice.Send(ctx, string(ac.ID), client.Draft{ClientID: "s1", Text: "sentinel"}))
	nextPayload(t, cb, key)
	if got := bb.Pending(); len(got) != 0 {
		t.Fatalf("Bob got %d pushes in his quiet hours", len(got))
	}
	if _, err := bob.MarkRead(ctx, string(dc.ID), read.Seq); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t) // held in the database, not in memory

	pl, _ := nextPayload(t, bb, key)
	if pl.ConversationID != da.ID || pl.Seq != newest.Seq || pl.Type != "message" {
		t.Errorf("the held push = %+v; want message %d of Alice's chat", pl, newest.Seq)
	}
	// Once every held job has run, and a later push has gone out behind
	// them, Bob has had no other push.
	ds := srv.Node.Store.(interface{ Deadlines() deadline.Store }).Deadlines()
	for {
		_, pending, err := ds.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !pending {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mustDo[client.Message](t)(alice.Send(ctx, string(ac.ID), client.Draft{ClientID: "s2", Text: "sentinel 2"}))
	nextPayload(t, cb, key)
	if got := bb.Pending(); len(got) != 0 {
		t.Errorf("Bob got %d more pushes (a read conversation's, or the same twice)", len(got))
	}
}

// TestHeldPushesOnceAcrossNodes: two nodes on one PostgreSQL and NATS, both
// running the deadline queue. Bob's pushes held in his quiet hours (three
// conversations, two messages each, sent through both nodes) go out when
// the hours end exactly once each: one push per conversation, never one
// from each node.
func TestHeldPushesOnceAcrossNodes(t *testing.T) {
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Now()
	y, m, d := start.In(sh).Date()
	end := time.Date(y, m, d, 12, 0, 0, 0, sh)
	cfg := tacktest.WithConfig(func(c *node.Config) {
		c.PostgresURL, c.NATSURL = dsn, natsURL
		c.PushAllowLoopback, c.PushWorkers = true, 1
		c.AttendanceClock = func() time.Time { return end.Add(-10 * time.Second).Add(time.Since(start)) } // quiet for 10 s
	})
	na, nb := tacktest.NewServer(t, cfg), tacktest.NewServer(t, cfg)
	key := pushKey(t, na)
	ctx := ctxT(t)
	bob, carol := na.NewUser(t, "Bob"), na.NewUser(t, "Carol")
	senders := []*tacktest.User{na.NewUser(t, "Alice"), nb.NewUser(t, "Dave"), nb.NewUser(t, "Erin")}
	bb, cb := pushtest.NewBrowser(t), pushtest.NewBrowser(t)
	subscribe(t, bob, bb)
	subscribe(t, carol, cb)
	mustDo[client.QuietHours](t)(bob.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "Asia/Shanghai",
		Extra: []attendance.QuietRange{{From: "00:00", To: "12:00"}}}))
	newest := map[tack.ID]int64{}
	for i, s := range senders {
		friends(t, s, bob)
		c := mustDo[client.Conversation](t)(s.CreateConversation(ctx, "direct", []string{bob.ID}, ""))
		for j := range 2 {
			msg := mustDo[client.Message](t)(s.Send(ctx, string(c.ID), client.Draft{ClientID: fmt.Sprintf("h%d-%d", i, j), Text: "late"}))
			newest[c.ID] = msg.Seq
		}
	}
	// Every held job has run when the queue is empty; each handed its push
	// to its node's sender then.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var pushes []pushtest.Push // Pending hands each push over once
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM deadlines WHERE kind = 'push.held'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		pushes = append(pushes, bb.Pending()...)
		if n == 0 && len(pushes) >= len(senders) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("held pushes not done: %d jobs left, %d pushes", n, len(pushes))
		}
	}
	// A sentinel through each node (one sender each, in order): anything
	// either node queued before it has gone out.
	for i, s := range []*tacktest.User{senders[0], senders[1]} {
		friends(t, s, carol)
		c := mustDo[client.Conversation](t)(s.CreateConversation(ctx, "direct", []string{carol.ID}, ""))
		mustDo[client.Message](t)(s.Send(ctx, string(c.ID), client.Draft{ClientID: fmt.Sprint("sentinel", i), Text: "sentinel"}))
		nextPayload(t, cb, key)
	}
	got := map[tack.ID]int64{}
	n := 0
	for _, p := range append(pushes, bb.Pending()...) {
		var pl push.Payload
		if err := bb.Open(p, key, &pl); err != nil {
			t.Fatal(err)
		}
		got[pl.ConversationID] = pl.Seq
		n++
	}
	if n != len(senders) || len(got) != len(senders) {
		t.Errorf("Bob got %d pushes for %d conversations; want one for each of %d", n, len(got), len(senders))
	}
	for c, seq := range newest {
		if got[c] != seq {
			t.Errorf("conversation %s: pushed message %d, want the newest, %d", c, got[c], seq)
		}
	}
}

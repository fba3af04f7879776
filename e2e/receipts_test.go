package e2e

import (
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/tacktest"
)

// TestReceiptPolicy: an organisation's read-receipt policy applies to the
// who-read lists, the unread counts on one's messages and the stream's read
// events: off, each user's choice (reciprocal), on; counts only in groups
// above the names bound.
func TestReceiptPolicy(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	boss := srv.NewUser(t, "Boss")
	o := mustDo[client.Org](t)(boss.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	org := string(o.ID)
	bob, carol := srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	for _, u := range []*tacktest.User{bob, carol} {
		inv := mustDo[client.InvitationOut](t)(boss.CreateInvitation(ctx, org, map[string]any{}))
		mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code))
	}
	g := mustDo[client.Conversation](t)(boss.CreateConversation(ctx, "group", []string{bob.ID, carol.ID}, "team"))
	id := string(g.ID)
	m := mustDo[client.Message](t)(boss.Send(ctx, id, client.Draft{ClientID: "r1", Text: "read me"}))
	bs := connect(t, boss.Client, nil)
	if _, err := bob.MarkRead(ctx, id, m.Seq); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, bs, "Bob's read event", func(e client.Event) bool { return e.Type == "read" && string(e.UserID) == bob.ID })

	receipts := func(u *tacktest.User) (client.Receipts, string) {
		r, err := u.Receipts(ctx, id, m.Seq)
		return r, apiCode(err)
	}
	unreadOnMine := func() *int {
		hs := mustDo[[]client.Message](t)(boss.History(ctx, id, 0, 0, 50))
		for _, h := range hs {
			if h.Seq == m.Seq {
				return h.Unread
			}
		}
		t.Fatal("message not in history")
		return nil
	}
	setOrg := func(s ding.OrgSettings) { mustDo[client.DingSettings](t)(boss.PutDingSettings(ctx, org, s)) }
	hide := func(u *tacktest.User, h bool) {
		if err := u.Do(ctx, "PUT", "/api/v1/me/ding-settings", ding.UserSettings{HideReceipts: h}, nil); err != nil {
			t.Fatal(err)
		}
	}

	// Choice (the default), nobody hides: names.
	if r, code := receipts(boss); code != "" || r.ReadCount != 1 || len(r.Read) != 1 || r.Read[0].ID != bob.ID || r.CountsOnly {
		t.Errorf("choice: %+v %s", r, code)
	}
	if n := unreadOnMine(); n == nil || *n != 1 {
		t.Errorf("choice: unread on my message = %v, want 1", n)
	}
	// Bob hides his: he counts as unread, and (reciprocal) sees no one's.
	hide(bob, true)
	if r, _ := receipts(boss); r.ReadCount != 0 || r.UnreadCount != 2 {
		t.Errorf("choice, Bob hides: %+v", r)
	}
	if n := unreadOnMine(); n == nil || *n != 2 {
		t.Errorf("choice, Bob hides: unread = %v, want 2", n)
	}
	if _, code := receipts(bob); code != "forbidden" {
		t.Errorf("Bob, who hides his, asked for receipts: %s, want forbidden", code)
	}
	// A read by a hider is not announced to the sender.
	m2 := mustDo[client.Message](t)(boss.Send(ctx, id, client.Draft{ClientID: "r2", Text: "again"}))
	if _, err := bob.MarkRead(ctx, id, m2.Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.MarkRead(ctx, id, m2.Seq); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, bs, "a read event", func(e client.Event) bool { return e.Type == "read" && e.Seq == m2.Seq })
	if string(ev.UserID) != carol.ID {
		t.Errorf("the sender heard that %s read, want Carol only", ev.UserID)
	}
	// On: nobody may hide.
	setOrg(ding.OrgSettings{Receipts: ding.ReceiptsOn})
	if r, _ := receipts(boss); r.ReadCount != 2 { // Bob and Carol
		t.Errorf("on: %+v", r)
	}
	if _, code := receipts(bob); code != "" {
		t.Errorf("on: Bob's receipts: %s", code)
	}
	// Counts only above the names bound.
	setOrg(ding.OrgSettings{Receipts: ding.ReceiptsOn, ReceiptNamesMax: 2})
	if r, _ := receipts(boss); !r.CountsOnly || len(r.Read) != 0 || r.ReadCount != 2 {
		t.Errorf("counts only: %+v", r)
	}
	// ... and the sender hears that someone read, not who: the unread
	// count on the message moves live.
	m3 := mustDo[client.Message](t)(boss.Send(ctx, id, client.Draft{ClientID: "r3", Text: "a third"}))
	if _, err := carol.MarkRead(ctx, id, m3.Seq); err != nil {
		t.Fatal(err)
	}
	ev = waitEvent(t, bs, "an anonymous read event", func(e client.Event) bool { return e.Type == "read" && e.Seq == m3.Seq })
	if ev.UserID != "" || ev.PrevSeq != m2.Seq {
		t.Errorf("counts only: the sender heard %+v, want a read of (%d, %d] by no one named", ev, m2.Seq, m3.Seq)
	}
	// Off: nothing.
	setOrg(ding.OrgSettings{Receipts: ding.ReceiptsOff})
	if _, code := receipts(boss); code != "forbidden" {
		t.Errorf("off: %s, want forbidden", code)
	}
	if n := unreadOnMine(); n != nil {
		t.Errorf("off: unread on my message = %d, want none", *n)
	}
	if _, err := bob.PutDingSettings(ctx, org, ding.OrgSettings{Receipts: ding.ReceiptsOn}); apiCode(err) != "forbidden" {
		t.Errorf("a member set the policy: %v", err)
	}
}

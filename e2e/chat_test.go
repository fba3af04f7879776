package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

func TestTwoUsersChat(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	zhang := srv.NewUser(t, "張三")
	bob := srv.NewUser(t, "Bob")
	conv, err := zhang.CreateConversation(ctx, "direct", []string{bob.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := bob.CreateConversation(ctx, "direct", []string{zhang.ID}, "")
	if err != nil || again.ID != conv.ID {
		t.Fatalf("second direct create: %v, id %s want %s", err, again.ID, conv.ID)
	}
	bs := connect(t, bob.Client, nil)
	zs := connect(t, zhang.Client, nil)

	m, err := zs.Send(ctx, string(conv.ID), client.Draft{ClientID: "z1", Text: "你好，Bob！"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 2 || m.Text != "你好，Bob！" || string(m.SenderID) != zhang.ID {
		t.Fatalf("ack = %+v", m)
	}
	got := collectTexts(t, bs, 1)[0]
	if got.Seq != m.Seq || got.Text != m.Text {
		t.Fatalf("bob got %+v", got)
	}
	// Bob answers over REST; Zhang sees it live.
	if _, err := bob.Send(ctx, string(conv.ID), client.Draft{ClientID: "b1", Text: "hi 张三", ReplyTo: m.Seq}); err != nil {
		t.Fatal(err)
	}
	reply := collectFrom(t, zs, 1, bob.ID)[0]
	if reply.Quote == nil || reply.Quote.Text != "你好，Bob！" {
		t.Fatalf("reply quote = %+v", reply.Quote)
	}
	// Unread counts in the list.
	list, err := bob.Conversations(ctx)
	if err != nil || len(list) != 1 || list[0].Unread != 0 || list[0].LastMessage.Text != "hi 张三" { // replying marks read
		t.Fatalf("bob's list: %+v %v", list, err)
	}
	list, _ = zhang.Conversations(ctx)
	if list[0].Unread != 1 {
		t.Fatalf("zhang unread = %d, want 1", list[0].Unread)
	}
	// Zhang's "1 unread" fell to 0 live when Bob replied: replying reads
	// everything before the reply.
	e := waitEvent(t, zs, "read event", func(e client.Event) bool { return e.Type == "read" && e.UserID == bob.ID })
	if e.Seq != m.Seq || e.PrevSeq != 1 {
		t.Fatalf("read event %+v", e)
	}
	hist, err := zhang.History(ctx, string(conv.ID), 0, 0, 50)
	if err != nil || len(hist) != 3 {
		t.Fatalf("history: %v %d", err, len(hist))
	}
	if hist[1].Unread == nil || *hist[1].Unread != 0 {
		t.Fatalf("zhang's message unread = %v, want 0", hist[1].Unread)
	}
	// Edit and recall reach the other side.
	if _, err := zhang.Edit(ctx, string(conv.ID), m.Seq, "你好！"); err != nil {
		t.Fatal(err)
	}
	ed := collectFrom(t, bs, 1, zhang.ID)[0]
	if ed.Seq != m.Seq || ed.Text != "你好！" || ed.EditedAt == nil {
		t.Fatalf("edit seen as %+v", ed)
	}
	if _, err := zhang.Recall(ctx, string(conv.ID), m.Seq); err != nil {
		t.Fatal(err)
	}
	rc := collectFrom(t, bs, 1, zhang.ID)[0]
	if !rc.Recalled || rc.Text != "" {
		t.Fatalf("recall seen as %+v", rc)
	}
	// Bob cannot edit or recall Zhang's message.
	if _, err := bob.Edit(ctx, string(conv.ID), reply.Seq-1, "x"); apiCode(err) != "forbidden" {
		t.Fatalf("bob edits zhang's message: %v", err)
	}
}

func TestThreeDevices(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	ann := srv.NewUser(t, "Ann")
	ben := srv.NewUser(t, "Ben")
	// Ann signs in on two more devices.
	var devices []*client.Stream
	for i := 0; i < 3; i++ {
		c := client.New(srv.URL)
		if _, err := c.SignIn(ctx, ann.Login, ann.Password); err != nil {
			t.Fatal(err)
		}
		devices = append(devices, connect(t, c, nil))
	}
	sess, err := ann.Sessions(ctx)
	if err != nil || len(sess) != 4 {
		t.Fatalf("sessions = %d, %v; want 4 (register + 3 sign-ins)", len(sess), err)
	}
	conv, err := ben.CreateConversation(ctx, "group", []string{ann.ID}, "Project 項目")
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range devices {
		waitEvent(t, d, "conversation", func(e client.Event) bool {
			return e.Type == "conversation" && e.Conversation != nil && e.Conversation.ID == conv.ID
		})
		_ = i
	}
	if _, err := ben.Send(ctx, string(conv.ID), client.Draft{ClientID: "x", Text: "to all devices"}); err != nil {
		t.Fatal(err)
	}
	// Device 0 sends too: every device sees both, including its own.
	if _, err := devices[0].Send(ctx, string(conv.ID), client.Draft{ClientID: "y", Text: "from device 0"}); err != nil {
		t.Fatal(err)
	}
	for i, d := range devices {
		ms := collectTexts(t, d, 2)
		if ms[0].Text != "to all devices" || ms[1].Text != "from device 0" {
			t.Fatalf("device %d got %q, %q", i, ms[0].Text, ms[1].Text)
		}
	}
	// Reading on one device syncs the others.
	m, err := ben.Send(ctx, string(conv.ID), client.Draft{ClientID: "z", Text: "read me"})
	if err != nil {
		t.Fatal(err)
	}
	if err := devices[1].MarkRead(ctx, string(conv.ID), m.Seq); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*client.Stream{devices[0], devices[2]} {
		waitEvent(t, d, "read sync", func(e client.Event) bool { return e.Type == "read" && e.UserID == ann.ID && e.Seq == m.Seq })
	}
}

func TestResumeExactlyOnce(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, _ := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	id := string(conv.ID)
	bs := connect(t, b.Client, nil)
	for i := 1; i <= 5; i++ {
		if _, err := a.Send(ctx, id, client.Draft{ClientID: fmt.Sprint("a", i), Text: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	first := collectTexts(t, bs, 5)
	cursors := bs.Cursors()
	bs.CloseNow() // the network drops
	// While B is away: new messages, an edit of an old one, a recall.
	for i := 6; i <= 10; i++ {
		a.Send(ctx, id, client.Draft{ClientID: fmt.Sprint("a", i), Text: fmt.Sprint("m", i)})
	}
	a.Edit(ctx, id, first[0].Seq, "m1 edited")
	a.Recall(ctx, id, first[1].Seq)
	bs2 := connect(t, b.Client, cursors)
	_ = bs2
	// connect waited for "synced": everything missed came before it. Reconnect
	// again to read the catch-up explicitly.
	bs2.CloseNow()
	s3, err := b.Connect(ctx, client.StreamOptions{Cursors: cursors})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.CloseNow()
	var caught []client.Message
	waitEvent(t, s3, "synced", func(e client.Event) bool {
		if e.Type == "message" {
			caught = append(caught, *e.Message)
		}
		return e.Type == "synced"
	})
	// Exactly: 5 new, 1 edit, 1 recall; in mod order, none twice.
	if len(caught) != 7 {
		t.Fatalf("caught up %d changes, want 7: %+v", len(caught), caught)
	}
	for i := 1; i < len(caught); i++ {
		if caught[i].Mod <= caught[i-1].Mod {
			t.Fatalf("catch-up out of mod order at %d", i)
		}
	}
	if caught[5].Seq != first[0].Seq || caught[5].Text != "m1 edited" || !caught[6].Recalled {
		t.Fatalf("edit/recall not caught up: %+v %+v", caught[5], caught[6])
	}
	// Live continues with no gap.
	a.Send(ctx, id, client.Draft{ClientID: "a11", Text: "m11"})
	live := collectTexts(t, s3, 1)[0]
	if live.Text != "m11" || live.Seq != caught[4].Seq+1 {
		t.Fatalf("live after resume: %+v", live)
	}
}

func TestIdempotentRetry(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	conv, _ := a.CreateConversation(ctx, "group", nil, "notes")
	id := string(conv.ID)
	m1, err := a.Send(ctx, id, client.Draft{ClientID: "same", Text: "once"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		m2, err := a.Send(ctx, id, client.Draft{ClientID: "same", Text: "once"})
		if err != nil || m2.Seq != m1.Seq {
			t.Fatalf("retry %d: seq %d err %v, want seq %d", i, m2.Seq, err, m1.Seq)
		}
	}
	// Over the stream too.
	s := connect(t, a.Client, nil)
	m3, err := s.Send(ctx, id, client.Draft{ClientID: "same", Text: "once"})
	if err != nil || m3.Seq != m1.Seq {
		t.Fatalf("stream retry: %v %d", err, m3.Seq)
	}
	hist, _ := a.History(ctx, id, 0, 0, 50)
	n := 0
	for _, m := range hist {
		if m.Kind == "text" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d text messages stored, want 1", n)
	}
}

func TestGroupReceipts(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	owner := srv.NewUser(t, "Owner")
	var ids []string
	var members []*tacktest.User
	for i := 0; i < 4; i++ {
		u := srv.NewUser(t, fmt.Sprintf("成员%d", i))
		members = append(members, u)
		ids = append(ids, u.ID)
	}
	conv, err := owner.CreateConversation(ctx, "group", ids, "Receipts")
	if err != nil {
		t.Fatal(err)
	}
	id := string(conv.ID)
	os := connect(t, owner.Client, nil)
	m, err := os.Send(ctx, id, client.Draft{ClientID: "r1", Text: "please read"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Unread == nil || *m.Unread != 4 {
		t.Fatalf("ack unread = %v, want 4", m.Unread)
	}
	for i, u := range members[:3] {
		if _, err := u.MarkRead(ctx, id, m.Seq); err != nil {
			t.Fatal(err)
		}
		e := waitEvent(t, os, "read", func(e client.Event) bool { return e.Type == "read" && e.UserID == u.ID })
		if e.Seq != m.Seq {
			t.Fatalf("reader %d: read event seq %d", i, e.Seq)
		}
	}
	r, err := owner.Receipts(ctx, id, m.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if r.ReadCount != 3 || r.UnreadCount != 1 || r.Unread[0].ID != members[3].ID || r.Unread[0].Name != "成员3" {
		t.Fatalf("receipts = %+v", r)
	}
	hist, _ := owner.History(ctx, id, m.Seq-1, 0, 10)
	if *hist[0].Unread != 1 {
		t.Fatalf("history unread = %d, want 1", *hist[0].Unread)
	}
	// A member added later is neither read nor unread for the old message.
	late := srv.NewUser(t, "Late")
	if err := owner.AddMembers(ctx, id, []string{late.ID}); err != nil {
		t.Fatal(err)
	}
	r, _ = owner.Receipts(ctx, id, m.Seq)
	if r.ReadCount+r.UnreadCount != 4 {
		t.Fatalf("late member counted: %+v", r)
	}
}

func TestGroupManagement(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	owner := srv.NewUser(t, "Owner")
	admin := srv.NewUser(t, "Admin")
	member := srv.NewUser(t, "Member")
	outsider := srv.NewUser(t, "Outsider")
	conv, err := owner.CreateConversation(ctx, "group", []string{admin.ID, member.ID}, "Team")
	if err != nil {
		t.Fatal(err)
	}
	id := string(conv.ID)
	if err := member.SetRole(ctx, id, admin.ID, "admin"); apiCode(err) != "forbidden" {
		t.Fatalf("member appoints admin: %v", err)
	}
	if err := owner.SetRole(ctx, id, admin.ID, "admin"); err != nil {
		t.Fatal(err)
	}
	title := "Team 团队"
	if _, err := admin.UpdateConversation(ctx, id, &title, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := member.UpdateConversation(ctx, id, &title, nil); apiCode(err) != "forbidden" {
		t.Fatalf("member renames: %v", err)
	}
	mute := true
	if _, err := owner.UpdateConversation(ctx, id, nil, &mute); err != nil {
		t.Fatal(err)
	}
	if _, err := member.Send(ctx, id, client.Draft{ClientID: "m", Text: "hi"}); apiCode(err) != "forbidden" {
		t.Fatalf("member sends while muted: %v", err)
	}
	if _, err := admin.Send(ctx, id, client.Draft{ClientID: "a", Text: "admins may"}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Send(ctx, id, client.Draft{ClientID: "a2", Text: "@all", MentionAll: true}); apiCode(err) != "forbidden" {
		t.Fatalf("admin @all: %v", err)
	}
	if _, err := owner.Send(ctx, id, client.Draft{ClientID: "o", Text: "@all hello", MentionAll: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.Send(ctx, id, client.Draft{ClientID: "o2", Text: "@x", Mentions: []string{outsider.ID}}); apiCode(err) != "invalid" {
		t.Fatalf("mention of a non-member: %v", err)
	}
	// The outsider learns nothing.
	for _, call := range []func() error{
		func() error { _, err := outsider.Conversation(ctx, id); return err },
		func() error { _, err := outsider.History(ctx, id, 0, 0, 10); return err },
		func() error { _, err := outsider.Members(ctx, id); return err },
		func() error { _, err := outsider.Send(ctx, id, client.Draft{ClientID: "x", Text: "x"}); return err },
		func() error { _, err := outsider.Receipts(ctx, id, 1); return err },
		func() error { _, err := outsider.MarkRead(ctx, id, 1); return err },
		func() error { return outsider.Leave(ctx, id) },
	} {
		if err := call(); apiCode(err) != "not_found" {
			t.Fatalf("outsider got %v, want not_found", err)
		}
	}
	if err := admin.RemoveMember(ctx, id, member.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := member.History(ctx, id, 0, 0, 10); apiCode(err) != "not_found" {
		t.Fatalf("removed member reads history: %v", err)
	}
	if err := owner.TransferOwner(ctx, id, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := owner.Leave(ctx, id); err != nil {
		t.Fatal(err)
	}
	c, _ := admin.Conversation(ctx, id)
	if string(c.OwnerID) != admin.ID || c.MemberCount != 1 || c.Title != title {
		t.Fatalf("after transfer and leave: %+v", c)
	}
	hist, _ := admin.History(ctx, id, 0, 0, 100)
	var actions []string
	for _, m := range hist {
		if m.System != nil {
			actions = append(actions, m.System.Action)
		}
	}
	want := "created admin_added renamed muted removed owner_changed left"
	if strings.Join(actions, " ") != want {
		t.Fatalf("timeline system events = %q, want %q", strings.Join(actions, " "), want)
	}
}

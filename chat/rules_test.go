package chat_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/bus/inmem"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/sqlite"
)

// group makes a group owned by user 0 with users 1..n-1, user 1 an admin.
func (f *fixture) group(t *testing.T) chat.Conversation {
	t.Helper()
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetRole(f.as(0), g.ID, f.users[1], chat.Admin); err != nil {
		t.Fatal(err)
	}
	return g
}

func (f *fixture) roles(t *testing.T, id tack.ID) map[tack.ID]string {
	t.Helper()
	ms, err := f.svc.Members(f.as(0), id)
	if err != nil {
		t.Fatal(err)
	}
	r := map[tack.ID]string{}
	for _, m := range ms {
		r[m.UserID] = m.Role
	}
	return r
}

func wantCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if code(err) != want {
		t.Fatalf("%s: got %v, want %q", what, err, want)
	}
}

// Only the owner and admins add people to a group; a plain member cannot.
func TestPlainMemberCannotAddToGroup(t *testing.T) {
	f := newFixture(t, 6, chat.Config{})
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:3], "g")
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "plain member adds", f.svc.AddMembers(f.as(2), g.ID, []tack.ID{f.users[3]}), tack.EForbidden)
	if _, ok := f.roles(t, g.ID)[f.users[3]]; ok {
		t.Fatal("a plain member's add went through")
	}
	if err := f.svc.SetRole(f.as(0), g.ID, f.users[1], chat.Admin); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddMembers(f.as(1), g.ID, []tack.ID{f.users[3]}); err != nil {
		t.Fatalf("admin adds: %v", err)
	}
	if err := f.svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[4], f.users[4]}); err != nil {
		t.Fatalf("owner adds: %v", err)
	}
	r := f.roles(t, g.ID)
	if r[f.users[3]] != chat.Member || r[f.users[4]] != chat.Member || len(r) != 5 {
		t.Fatalf("members after adds: %v", r)
	}
	c, _ := f.svc.Conversation(f.as(0), g.ID)
	if c.MemberCount != 5 {
		t.Fatalf("member count %d, want 5", c.MemberCount)
	}
	// Adding people already there changes nothing and is no error.
	if err := f.svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[3]}); err != nil {
		t.Fatalf("re-add: %v", err)
	}
	wantCode(t, "nobody named", f.svc.AddMembers(f.as(0), g.ID, nil), tack.EInvalid)
	wantCode(t, "bad id", f.svc.AddMembers(f.as(0), g.ID, []tack.ID{"nope"}), tack.EInvalid)
	// Outsiders learn nothing, not even that the group exists.
	wantCode(t, "outsider adds", f.svc.AddMembers(f.as(5), g.ID, []tack.ID{f.users[5]}), tack.ENotFound)
}

// Group size cap: exactly the cap fits, one more does not.
func TestGroupCapBoundary(t *testing.T) {
	f := newFixture(t, 6, chat.Config{MaxGroupMembers: 4})
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:3], "g")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[3]}); err != nil {
		t.Fatalf("filling to the cap: %v", err)
	}
	wantCode(t, "past the cap", f.svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[4]}), tack.ETooLarge)
	if _, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:4], "full"); err != nil {
		t.Fatalf("group of exactly the cap: %v", err)
	}
	if f.svc.MaxGroupMembers() != 4 {
		t.Fatalf("cap %d", f.svc.MaxGroupMembers())
	}
	if got := newFixture(t, 1, chat.Config{MaxGroupMembers: chat.MaxMembers + 1}).svc.MaxGroupMembers(); got != chat.MaxMembers {
		t.Fatalf("cap above the maximum: %d", got)
	}
	if got := newFixture(t, 1, chat.Config{}).svc.MaxGroupMembers(); got != chat.DefaultMembers {
		t.Fatalf("default cap: %d", got)
	}
}

func TestRemoveMemberRules(t *testing.T) {
	f := newFixture(t, 5, chat.Config{})
	g := f.group(t) // 0 owner, 1 admin, 2..4 members
	if err := f.svc.SetRole(f.as(0), g.ID, f.users[2], chat.Admin); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "member removes", f.svc.RemoveMember(f.as(3), g.ID, f.users[4]), tack.EForbidden)
	wantCode(t, "admin removes admin", f.svc.RemoveMember(f.as(1), g.ID, f.users[2]), tack.EForbidden)
	wantCode(t, "admin removes owner", f.svc.RemoveMember(f.as(1), g.ID, f.users[0]), tack.EForbidden)
	if err := f.svc.RemoveMember(f.as(1), g.ID, f.users[4]); err != nil {
		t.Fatalf("admin removes member: %v", err)
	}
	wantCode(t, "removing a non-member", f.svc.RemoveMember(f.as(0), g.ID, f.users[4]), tack.ENotFound)
	if err := f.svc.RemoveMember(f.as(0), g.ID, f.users[2]); err != nil {
		t.Fatalf("owner removes admin: %v", err)
	}
	r := f.roles(t, g.ID)
	if _, ok := r[f.users[4]]; ok || len(r) != 3 {
		t.Fatalf("members: %v", r)
	}
	// Removing yourself is leaving.
	if err := f.svc.RemoveMember(f.as(3), g.ID, f.users[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Conversation(f.as(3), g.ID); code(err) != tack.ENotFound {
		t.Fatalf("after leaving: %v", err)
	}
}

func TestSettingsAndRolesNeedTheRightRole(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	g := f.group(t)
	title, on := "new", true
	if _, err := f.svc.Update(f.as(2), g.ID, &title, nil); code(err) != tack.EForbidden {
		t.Fatalf("member renames: %v", err)
	}
	c, err := f.svc.Update(f.as(1), g.ID, &title, &on)
	if err != nil || c.Title != "new" || !c.MuteAll {
		t.Fatalf("admin updates: %+v %v", c, err)
	}
	long := strings.Repeat("题", chat.MaxTitleRunes+1)
	if _, err := f.svc.Update(f.as(0), g.ID, &long, nil); code(err) != tack.EInvalid {
		t.Fatalf("long title: %v", err)
	}
	wantCode(t, "admin appoints", f.svc.SetRole(f.as(1), g.ID, f.users[2], chat.Admin), tack.EForbidden)
	wantCode(t, "bad role", f.svc.SetRole(f.as(0), g.ID, f.users[2], chat.Owner), tack.EInvalid)
	wantCode(t, "owner's role", f.svc.SetRole(f.as(0), g.ID, f.users[0], chat.Member), tack.EInvalid)
	if err := f.svc.SetRole(f.as(0), g.ID, f.users[1], chat.Member); err != nil {
		t.Fatal(err)
	}
	if r := f.roles(t, g.ID); r[f.users[1]] != chat.Member {
		t.Fatalf("admin removed: %v", r)
	}
	wantCode(t, "admin transfers", f.svc.TransferOwnership(f.as(1), g.ID, f.users[2]), tack.EForbidden)
	if err := f.svc.TransferOwnership(f.as(0), g.ID, f.users[2]); err != nil {
		t.Fatal(err)
	}
	r := f.roles(t, g.ID)
	if r[f.users[2]] != chat.Owner || r[f.users[0]] != chat.Admin {
		t.Fatalf("after transfer: %v", r)
	}
	c, _ = f.svc.Conversation(f.as(0), g.ID)
	if c.OwnerID != f.users[2] {
		t.Fatalf("owner %v", c.OwnerID)
	}
}

// An owner who leaves hands the group to the longest-standing admin, or
// else to the longest-standing member.
func TestOwnerLeavingHandsOver(t *testing.T) {
	f := newFixture(t, 5, chat.Config{})
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:3], "g")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range f.users[3:] {
		if err := f.svc.AddMembers(f.as(0), g.ID, []tack.ID{u}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.SetRole(f.as(0), g.ID, f.users[4], chat.Admin); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetRole(f.as(0), g.ID, f.users[3], chat.Admin); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Leave(f.as(0), g.ID); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Conversation(f.as(3), g.ID)
	if err != nil || c.OwnerID != f.users[3] || c.Role != chat.Owner {
		t.Fatalf("the longest-standing admin (3) should own it: %+v %v", c, err)
	}
	// Without admins the longest-standing member takes over.
	h, _, err := f.svc.Create(f.as(0), chat.Group, []tack.ID{f.users[2]}, "h")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []tack.ID{f.users[4], f.users[1]} {
		if err := f.svc.AddMembers(f.as(0), h.ID, []tack.ID{u}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.Leave(f.as(0), h.ID); err != nil {
		t.Fatal(err)
	}
	c, _ = f.svc.Conversation(f.as(2), h.ID)
	if c.OwnerID != f.users[2] {
		t.Fatalf("owner %v, want the first member", c.OwnerID)
	}
	// A plain member leaving changes no ownership.
	if err := f.svc.Leave(f.as(4), h.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ = f.svc.Conversation(f.as(2), h.ID); c.OwnerID != f.users[2] || c.MemberCount != 2 {
		t.Fatalf("after a member left: %+v", c)
	}
}

// The per-sender send limit is charged by every send and edit, per sender.
func TestSendLimitIsChargedPerSender(t *testing.T) {
	f := newFixture(t, 2, chat.Config{SendLimit: &limit.Keyed{Rate: 1e-9, Burst: 3}})
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if err != nil {
		t.Fatal(err)
	}
	var first chat.Message
	for i := 0; i < 2; i++ {
		m, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: fmt.Sprint("s", i), Text: "x"})
		if err != nil {
			t.Fatalf("send %d within the burst: %v", i, err)
		}
		if i == 0 {
			first = m
		}
	}
	if _, err := f.svc.Edit(f.as(0), g.ID, first.Seq, "edited", nil); err != nil {
		t.Fatalf("edit within the burst: %v", err)
	}
	if _, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "s9", Text: "x"}); code(err) != tack.ERateLimited {
		t.Fatalf("send past the burst: %v", err)
	}
	if _, err := f.svc.Edit(f.as(0), g.ID, first.Seq, "again", nil); code(err) != tack.ERateLimited {
		t.Fatalf("edit past the burst: %v", err)
	}
	if _, _, err := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "o1", Text: "x"}); err != nil {
		t.Fatalf("another sender is limited too: %v", err)
	}
}

func TestMuteAllAndMentions(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	g := f.group(t)
	on := true
	if _, err := f.svc.Update(f.as(0), g.ID, nil, &on); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Send(f.as(2), g.ID, chat.Draft{ClientID: "m1", Text: "x"}); code(err) != tack.EForbidden {
		t.Fatalf("member sends while muted: %v", err)
	}
	if _, _, err := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "a1", Text: "x"}); err != nil {
		t.Fatalf("admin sends while muted: %v", err)
	}
	off := false
	if _, err := f.svc.Update(f.as(0), g.ID, nil, &off); err != nil {
		t.Fatal(err)
	}
	m, _, err := f.svc.Send(f.as(2), g.ID, chat.Draft{ClientID: "m2", Text: "x", Mentions: []tack.ID{f.users[3]}})
	if err != nil || len(m.Mentions) != 1 {
		t.Fatalf("mention a member: %+v %v", m, err)
	}
	if _, err := f.svc.Update(f.as(0), g.ID, nil, &on); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Edit(f.as(2), g.ID, m.Seq, "y", nil); code(err) != tack.EForbidden {
		t.Fatalf("member edits while muted: %v", err)
	}
	if _, err := f.svc.Update(f.as(0), g.ID, nil, &off); err != nil {
		t.Fatal(err)
	}
	other := newFixture(t, 1, chat.Config{}).users[0]
	if _, _, err := f.svc.Send(f.as(2), g.ID, chat.Draft{ClientID: "m3", Text: "x", Mentions: []tack.ID{other}}); code(err) != tack.EInvalid {
		t.Fatalf("mention a non-member: %v", err)
	}
	if _, _, err := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "m4", Text: "x", MentionAll: true}); code(err) != tack.EForbidden {
		t.Fatalf("admin mentions all: %v", err)
	}
	if m, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "m5", Text: "x", MentionAll: true}); err != nil || !m.MentionAll {
		t.Fatalf("owner mentions all: %v", err)
	}
	d, _, _ := f.svc.Create(f.as(0), chat.Direct, []tack.ID{f.users[1]}, "")
	if _, _, err := f.svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "d1", Text: "x", MentionAll: true}); code(err) != tack.EForbidden {
		t.Fatalf("mention all in a direct chat: %v", err)
	}
	many := make([]tack.ID, chat.MaxMentions+1)
	for i := range many {
		many[i] = tack.NewID()
	}
	if _, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "m6", Text: "x", Mentions: many}); code(err) != tack.ETooLarge {
		t.Fatalf("too many mentions: %v", err)
	}
}

func TestDraftValidationBoundaries(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	n := 0
	send := func(clientID, text string) error {
		_, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: clientID, Text: text})
		return err
	}
	id := func() string { n++; return fmt.Sprint("c", n) }
	cases := []struct {
		name, clientID, text, want string
	}{
		{"client id at its limit", strings.Repeat("a", chat.MaxClientID), "x", ""},
		{"client id too long", strings.Repeat("b", chat.MaxClientID+1), "x", tack.EInvalid},
		{"client id empty", "", "x", tack.EInvalid},
		{"client id edges !~", "!~" + id(), "x", ""},
		{"client id with a space", "a b", "x", tack.EInvalid},
		{"client id with DEL", "a\x7f", "x", tack.EInvalid},
		{"text at its limit", "", strings.Repeat("字", chat.MaxTextRunes), ""},
		{"text too long", "", strings.Repeat("字", chat.MaxTextRunes+1), tack.ETooLarge},
		{"text blank", "", " \n\t ", tack.EInvalid},
		{"text with newline tab return", "", "a\nb\tc\r\n", ""},
		{"text with a control character", "", "a\x01", tack.EInvalid},
		{"text with a unit separator", "", "a\x1f", tack.EInvalid},
		{"text with a space", "", "a b", ""},
		{"text with DEL", "", "a\x7f", tack.EInvalid},
		{"text not UTF-8", "", "a\xff", tack.EInvalid},
	}
	for _, c := range cases {
		cid := c.clientID
		if cid == "" && !strings.HasPrefix(c.name, "client id empty") {
			cid = id()
		}
		wantCode(t, c.name, send(cid, c.text), c.want)
	}
	for _, title := range []string{strings.Repeat("t", chat.MaxTitleRunes), "  padded  "} {
		c, _, err := f.svc.Create(f.as(0), chat.Group, nil, title)
		if err != nil || c.Title != strings.TrimSpace(title) {
			t.Fatalf("title %q: %q %v", title, c.Title, err)
		}
	}
	for _, title := range []string{strings.Repeat("t", chat.MaxTitleRunes+1), "a\x00b", "a\xffb"} {
		if _, _, err := f.svc.Create(f.as(0), chat.Group, nil, title); code(err) != tack.EInvalid {
			t.Fatalf("title %q: %v", title, err)
		}
	}
	if _, _, err := f.svc.Create(f.as(0), "channel", nil, ""); code(err) != tack.EInvalid {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, _, err := f.svc.Create(context.Background(), chat.Group, nil, "x"); code(err) != tack.EUnauthorized {
		t.Fatalf("no caller: %v", err)
	}
}

func TestHistoryParameters(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	for i := 0; i < 60; i++ {
		if _, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: fmt.Sprint("h", i), Text: "x"}); err != nil {
			t.Fatal(err)
		}
	} // seqs 1 (created) .. 61
	count := func(after, before int64, limit int) (int, error) {
		ms, err := f.svc.History(f.as(0), g.ID, after, before, limit)
		return len(ms), err
	}
	for _, c := range []struct {
		after, before int64
		limit, want   int
		code          string
	}{
		{0, 0, 0, 50, ""},
		{0, 0, 1, 1, ""},
		{0, 0, 200, 61, ""},
		{0, 0, 201, 0, tack.EInvalid},
		{0, 0, -1, 0, tack.EInvalid},
		{-1, 0, 10, 0, tack.EInvalid},
		{0, -1, 10, 0, tack.EInvalid},
		{5, 10, 10, 0, tack.EInvalid},
		{59, 0, 10, 2, ""},
		{0, 3, 10, 2, ""},
	} {
		n, err := count(c.after, c.before, c.limit)
		if code(err) != c.code || n != c.want {
			t.Fatalf("History(after %d, before %d, limit %d) = %d, %v; want %d, %q", c.after, c.before, c.limit, n, err, c.want, c.code)
		}
	}
	if _, err := f.svc.History(f.as(0), "not-an-id", 0, 0, 10); code(err) != tack.ENotFound {
		t.Fatalf("bad conversation id: %v", err)
	}
}

func TestRepliesQuoteAndBounds(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	long := strings.Repeat("长", 250)
	m, _, err := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "q", Text: long})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "r", Text: "re", ReplyTo: m.Seq})
	if err != nil {
		t.Fatalf("reply to the last message: %v", err)
	}
	if r.Quote == nil || r.Quote.Seq != m.Seq || r.Quote.Text != strings.Repeat("长", 200)+"…" {
		t.Fatalf("quote: %+v", r.Quote)
	}
	ms, _ := f.svc.History(f.as(1), g.ID, r.Seq-1, 0, 10)
	if len(ms) != 1 || ms[0].Quote == nil || ms[0].Quote.SenderID != f.users[1] {
		t.Fatalf("history quote: %+v", ms)
	}
	for _, seq := range []int64{r.Seq + 1, -1} {
		if _, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: fmt.Sprint("bad", seq), Text: "x", ReplyTo: seq}); code(err) != tack.EInvalid {
			t.Fatalf("reply to %d: %v", seq, err)
		}
	}
	short, _, _ := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "s", Text: strings.Repeat("短", 200)})
	r2, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "r2", Text: "re", ReplyTo: short.Seq})
	if err != nil || r2.Quote.Text != strings.Repeat("短", 200) {
		t.Fatalf("200-character quote is cut: %+v %v", r2.Quote, err)
	}
}

// Receipts and unread counts: who was there when a message was sent, and
// whose read position reached it.
func TestReceiptsAndUnread(t *testing.T) {
	f := newFixture(t, 5, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:4], "g")
	m, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "m", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Unread == nil || *m.Unread != 3 {
		t.Fatalf("unread on send: %v", m.Unread)
	}
	if _, err := f.svc.MarkRead(f.as(1), g.ID, m.Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkRead(f.as(2), g.ID, m.Seq-1); err != nil {
		t.Fatal(err)
	}
	// Someone added later did not receive it and is in neither list.
	if err := f.svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[4]}); err != nil {
		t.Fatal(err)
	}
	read, unread, err := f.svc.Receipts(f.as(3), g.ID, m.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(read) != fmt.Sprint([]tack.ID{f.users[1]}) || len(unread) != 2 {
		t.Fatalf("read %v unread %v", read, unread)
	}
	for _, u := range unread {
		if u == f.users[0] || u == f.users[4] || u == f.users[1] {
			t.Fatalf("unread lists %v", u)
		}
	}
	ms, err := f.svc.History(f.as(0), g.ID, m.Seq-1, 0, 10)
	if err != nil || ms[0].Unread == nil || *ms[0].Unread != 2 {
		t.Fatalf("unread in history: %+v %v", ms, err)
	}
	// Others' messages carry no unread count for the viewer.
	ms, _ = f.svc.History(f.as(1), g.ID, m.Seq-1, 0, 10)
	if ms[0].Unread != nil {
		t.Fatalf("unread on someone else's message: %v", *ms[0].Unread)
	}
	if _, _, err := f.svc.Receipts(f.as(0), g.ID, 999); code(err) != tack.ENotFound {
		t.Fatalf("receipts of no message: %v", err)
	}
	c, _ := f.svc.Conversation(f.as(2), g.ID)
	if c.Unread != c.LastSeq-(m.Seq-1) || c.ReadSeq != m.Seq-1 {
		t.Fatalf("conversation unread %d read %d last %d", c.Unread, c.ReadSeq, c.LastSeq)
	}
	if _, err := f.svc.MarkRead(f.as(2), g.ID, -1); code(err) != tack.EInvalid {
		t.Fatalf("negative read: %v", err)
	}
	// Reading past the end stops at the last message.
	if now, err := f.svc.MarkRead(f.as(2), g.ID, 1000); err != nil || now != c.LastSeq {
		t.Fatalf("read past the end: %d %v", now, err)
	}
	if c, _ = f.svc.Conversation(f.as(2), g.ID); c.Unread != 0 {
		t.Fatalf("unread after reading all: %d", c.Unread)
	}
}

func TestRecallRules(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	d, _, _ := f.svc.Create(f.as(0), chat.Direct, []tack.ID{f.users[1]}, "")
	m, _, _ := f.svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "d", Text: "x"})
	// In a direct chat nobody is an admin: the peer cannot recall.
	if _, err := f.svc.Recall(f.as(1), d.ID, m.Seq); code(err) != tack.EForbidden {
		t.Fatalf("peer recalls: %v", err)
	}
	f.advance(chat.RecallWindow)
	if r, err := f.svc.Recall(f.as(0), d.ID, m.Seq); err != nil || !r.Recalled {
		t.Fatalf("recall at exactly the window: %v", err)
	}
	if r, err := f.svc.Recall(f.as(0), d.ID, m.Seq); err != nil || !r.Recalled {
		t.Fatalf("recalling twice: %v", err)
	}
	if _, err := f.svc.Recall(f.as(0), d.ID, 1); code(err) != tack.EForbidden {
		t.Fatalf("recall a system message: %v", err)
	}
	if _, err := f.svc.Edit(f.as(0), d.ID, 1, "x", nil); code(err) != tack.EForbidden {
		t.Fatalf("edit a system message: %v", err)
	}
	m2, _, _ := f.svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "d2", Text: "x"})
	f.advance(chat.EditWindow)
	if e, err := f.svc.Edit(f.as(0), d.ID, m2.Seq, "edited", nil); err != nil || e.Text != "edited" {
		t.Fatalf("edit at exactly the window: %+v %v", e, err)
	}
	if _, err := f.svc.Recall(f.as(2), d.ID, m2.Seq); code(err) != tack.ENotFound {
		t.Fatalf("outsider recalls: %v", err)
	}
}

func TestTypingIsThrottled(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	var typing atomic.Int32
	unsub, _ := f.bus.Subscribe(func(e *bus.Event) {
		if e.Kind == bus.Typing {
			typing.Add(1)
		}
	})
	defer unsub()
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:2], "g")
	h, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:2], "h")
	for i := 0; i < 5; i++ {
		if err := f.svc.Typing(f.as(0), g.ID); err != nil {
			t.Fatal(err)
		}
	}
	if n := typing.Load(); n != 2 {
		t.Fatalf("%d typing events from 5 quick calls, want the burst of 2", n)
	}
	if err := f.svc.Typing(f.as(0), h.ID); err != nil || typing.Load() != 3 {
		t.Fatalf("typing in another conversation is throttled apart: %d %v", typing.Load(), err)
	}
	if err := f.svc.Typing(f.as(1), g.ID); err != nil || typing.Load() != 4 {
		t.Fatalf("another person is throttled apart: %d %v", typing.Load(), err)
	}
	if err := f.svc.Typing(f.as(2), g.ID); code(err) != tack.ENotFound {
		t.Fatalf("outsider types: %v", err)
	}
}

// reads records the read events published on f's bus (published after
// MarkRead returns: tests wait for them).
type reads struct {
	mu   sync.Mutex
	evs  []*bus.Event
	seen map[tack.ID]int
}

func (f *fixture) reads(t *testing.T) *reads {
	r := &reads{seen: map[tack.ID]int{}}
	unsub, _ := f.bus.Subscribe(func(e *bus.Event) {
		if e.Kind == bus.Read {
			r.mu.Lock()
			r.evs = append(r.evs, e)
			r.mu.Unlock()
		}
	})
	t.Cleanup(unsub)
	return r
}

func (r *reads) of(subject tack.ID) []*bus.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*bus.Event
	for _, e := range r.evs {
		if e.Subject == subject {
			out = append(out, e)
		}
	}
	return out
}

// next waits for the next read event of subject's.
func (r *reads) next(t *testing.T, subject tack.ID) *bus.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if evs := r.of(subject); len(evs) > r.seen[subject] {
			r.seen[subject]++
			return evs[r.seen[subject]-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read event of %s", subject)
		}
		time.Sleep(time.Millisecond) // polling for the event, with a deadline
	}
}

// A read event goes to the reader and to the senders of the messages read
// (each once), not to other members; a read that moves nothing says
// nothing.
func TestReadEventsReachTheSendersRead(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if _, err := f.svc.MarkRead(f.as(3), g.ID, 0); err != nil {
		t.Fatalf("reading up to 0: %v", err)
	}
	r := f.reads(t)
	m1, _, _ := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"})
	f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "b", Text: "x"})
	m3, _, _ := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "c", Text: "x"})
	if _, err := f.svc.MarkRead(f.as(2), g.ID, m3.Seq); err != nil {
		t.Fatal(err)
	}
	if e := r.next(t, f.users[2]); fmt.Sprint(e.Users) != fmt.Sprint([]tack.ID{f.users[2], f.users[0], f.users[1]}) {
		t.Fatalf("read event users: %v", e.Users)
	}
	if _, err := f.svc.MarkRead(f.as(2), g.ID, m1.Seq); err != nil { // backwards: no move
		t.Fatal(err)
	}
	// Only the messages newly read count: user 3 reads m2, then just m3.
	if _, err := f.svc.MarkRead(f.as(3), g.ID, m3.Seq-1); err != nil {
		t.Fatal(err)
	}
	r.next(t, f.users[3]) // after user 2's non-move: had it said something, it would be there
	if n := len(r.of(f.users[2])); n != 1 {
		t.Fatalf("a read that moved nothing published: %d events", n)
	}
	if _, err := f.svc.MarkRead(f.as(3), g.ID, m3.Seq); err != nil {
		t.Fatal(err)
	}
	if e := r.next(t, f.users[3]); fmt.Sprint(e.Users) != fmt.Sprint([]tack.ID{f.users[3], f.users[0]}) {
		t.Fatalf("read of m3 only: %v", e.Users)
	}
	// A sender removed from the group hears nothing more of it.
	m4, _, _ := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "d", Text: "x"})
	if err := f.svc.RemoveMember(f.as(0), g.ID, f.users[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkRead(f.as(3), g.ID, m4.Seq); err != nil {
		t.Fatal(err)
	}
	if e := r.next(t, f.users[3]); fmt.Sprint(e.Users) != fmt.Sprint([]tack.ID{f.users[3]}) {
		t.Fatalf("a former member is told of a read: %v", e.Users)
	}
	d, _, _ := f.svc.Create(f.as(0), chat.Direct, []tack.ID{f.users[1]}, "")
	dm, _, _ := f.svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "dm", Text: "x"})
	if _, err := f.svc.MarkRead(f.as(1), d.ID, dm.Seq); err != nil {
		t.Fatal(err)
	}
	for {
		e := r.next(t, f.users[1])
		if e.ConversationID == d.ID {
			if fmt.Sprint(e.Users) != fmt.Sprint([]tack.ID{f.users[1], f.users[0]}) {
				t.Fatalf("direct read event: %v", e.Users)
			}
			break
		}
	}
	if _, err := f.svc.MarkRead(f.as(3), d.ID, 1); code(err) != tack.ENotFound {
		t.Fatalf("outsider reads: %v", err)
	}
}

// Far behind (more than 500 messages), senders are looked up per reader.
func TestReadEventsFarBehind(t *testing.T) {
	f := newFixture(t, 3, chat.Config{SendLimit: &limit.Keyed{Rate: 1e9, Burst: 1e9}})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	var last chat.Message
	for i := 0; i < 510; i++ {
		who := 0
		if i == 3 {
			who = 1
		}
		var err error
		if last, _, err = f.svc.Send(f.as(who), g.ID, chat.Draft{ClientID: fmt.Sprint("f", i), Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	r := f.reads(t)
	if _, err := f.svc.MarkRead(f.as(2), g.ID, last.Seq); err != nil {
		t.Fatal(err)
	}
	if e := r.next(t, f.users[2]); len(e.Users) != 3 || e.Users[0] != f.users[2] || !slices.Contains(e.Users, f.users[1]) {
		t.Fatalf("far-behind read event: %v", e.Users)
	}
}

type blocks map[[2]tack.ID]bool

func (b blocks) Blocked(_ context.Context, x, y tack.ID) (bool, error) {
	return b[[2]tack.ID{x, y}] || b[[2]tack.ID{y, x}], nil
}

type gate map[tack.ID]bool

func (g gate) GroupAddRefused(_ context.Context, _ tack.ID, ids []tack.ID) ([]tack.ID, error) {
	var out []tack.ID
	for _, id := range ids {
		if g[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// Blocks stop what goes into the two people's direct chat, not groups;
// privacy settings refuse being put in a group.
func TestBlocksAndGroupPrivacy(t *testing.T) {
	bl, gt := blocks{}, gate{}
	f := newFixture(t, 4, chat.Config{Blocks: bl, GroupGate: gt})
	d, _, _ := f.svc.Create(f.as(0), chat.Direct, []tack.ID{f.users[1]}, "")
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:3], "g")
	m, _, err := f.svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "ok", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	bl[[2]tack.ID{f.users[1], f.users[0]}] = true
	// A fresh service on the same store: nothing cached from before the block.
	svc := chat.NewService(f.db, f.bus, everyone{}, f.clock, chat.Config{Blocks: bl, GroupGate: gt})
	t.Cleanup(svc.Close)
	if _, _, err := svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "no", Text: "x"}); code(err) != tack.EForbidden {
		t.Fatalf("send to someone who blocked you: %v", err)
	}
	if _, _, err := svc.Send(f.as(1), d.ID, chat.Draft{ClientID: "no2", Text: "x"}); code(err) != tack.EForbidden {
		t.Fatalf("send to someone you blocked: %v", err)
	}
	if _, err := svc.Edit(f.as(0), d.ID, m.Seq, "edited", nil); code(err) != tack.EForbidden {
		t.Fatalf("edit into a blocked chat: %v", err)
	}
	if _, _, err := svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "g", Text: "x"}); err != nil {
		t.Fatalf("a block stops group messages: %v", err)
	}
	gt[f.users[3]] = true
	_, _, err = svc.Create(f.as(0), chat.Group, []tack.ID{f.users[1], f.users[3]}, "h")
	if code(err) != tack.ERefused || !strings.Contains(err.Error(), string(f.users[3])) || strings.Contains(err.Error(), string(f.users[1])) {
		t.Fatalf("group with someone who refuses: %v", err)
	}
	if err := svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[3]}); code(err) != tack.ERefused {
		t.Fatalf("adding someone who refuses: %v", err)
	}
	if _, _, err := svc.Create(f.as(0), chat.Group, nil, "alone"); err != nil {
		t.Fatalf("a group of one: %v", err)
	}
}

func TestNotices(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	ctx := context.Background()
	bot, to := f.users[0], f.users[1]
	for _, n := range []chat.Notice{
		{From: bot, To: to, Text: "x"},
		{From: bot, To: to, ClientID: strings.Repeat("n", chat.MaxClientID+1), Text: "x"},
		{From: bot, To: to, ClientID: "n1", Text: " "},
		{From: bot, To: bot, ClientID: "n1", Text: "x"},
		{From: bot, To: "nobody", ClientID: "n1", Text: "x"},
		{From: "nobody", To: to, ClientID: "n1", Text: "x"},
	} {
		if _, _, err := f.svc.PostNotice(ctx, n); code(err) != tack.EInvalid {
			t.Fatalf("notice %+v: %v", n, err)
		}
	}
	m, dup, err := f.svc.PostNotice(ctx, chat.Notice{From: bot, To: to, ClientID: "n1", Action: "approval", ActorID: f.users[2], Text: "a request waits"})
	if err != nil || dup || m.Kind != chat.SystemMessage || m.Text != "a request waits" || m.System == nil || m.System.Action != "approval" || m.System.ActorID != f.users[2] {
		t.Fatalf("first notice: %+v %v %v", m, dup, err)
	}
	c, err := f.svc.Conversation(f.as(1), m.ConversationID)
	if err != nil || c.Kind != chat.Direct || c.Peer != bot {
		t.Fatalf("the notice's direct chat: %+v %v", c, err)
	}
	again, dup, err := f.svc.PostNotice(ctx, chat.Notice{From: bot, To: to, ClientID: "n1", Text: "a request waits"})
	if err != nil || !dup || again.Seq != m.Seq {
		t.Fatalf("the same notice again: %+v %v %v", again, dup, err)
	}
	next, _, err := f.svc.PostNotice(ctx, chat.Notice{From: bot, To: to, ClientID: "n2", Text: "another"})
	if err != nil || next.ConversationID != m.ConversationID || next.Seq != m.Seq+1 {
		t.Fatalf("a second notice goes to the same chat: %+v %v", next, err)
	}
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	in, _, err := f.svc.PostNotice(ctx, chat.Notice{From: bot, ConversationID: g.ID, ClientID: "n3", Text: "to the group"})
	if err != nil || in.ConversationID != g.ID {
		t.Fatalf("notice into a conversation: %+v %v", in, err)
	}
	for _, c := range []struct {
		conv   tack.ID
		sender tack.ID
		want   tack.ID
	}{
		{m.ConversationID, bot, to},
		{m.ConversationID, to, bot},
		{m.ConversationID, f.users[2], ""},
		{g.ID, bot, ""},
		{tack.NewID(), bot, ""},
	} {
		if got, err := f.svc.DirectPeer(ctx, c.conv, c.sender); err != nil || got != c.want {
			t.Fatalf("DirectPeer(%v, %v) = %v, %v; want %v", c.conv, c.sender, got, err, c.want)
		}
	}
}

func TestChangesAndSnapshots(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:2], "g")
	for i := 0; i < 5; i++ {
		f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: fmt.Sprint("c", i), Text: fmt.Sprint("m", i)})
	}
	c, _ := f.svc.Conversation(f.as(0), g.ID)
	last := c.LastMod
	ms, err := f.svc.ChangesUpTo(f.as(1), g.ID, last-3, last-1, 100)
	if err != nil || len(ms) != 2 || ms[0].Mod != last-2 || ms[1].Mod != last-1 {
		t.Fatalf("changes in (last-3, last-1]: %+v %v", ms, err)
	}
	// The same range again (shared snapshot) gives the same answer.
	again, _ := f.svc.ChangesUpTo(f.as(0), g.ID, last-3, last-1, 100)
	if len(again) != 2 || again[1].Mod != last-1 || again[0].Unread == nil {
		t.Fatalf("the snapshot again, for the sender: %+v", again)
	}
	if ms, err := f.svc.ChangesUpTo(f.as(1), g.ID, last, last, 100); err != nil || ms != nil {
		t.Fatalf("an empty range: %v %v", ms, err)
	}
	if ms, err := f.svc.ChangesUpTo(f.as(1), g.ID, last, last-1, 100); err != nil || ms != nil {
		t.Fatalf("an inverted range: %v %v", ms, err)
	}
	if _, err := f.svc.ChangesUpTo(f.as(2), g.ID, 0, last, 100); code(err) != tack.ENotFound {
		t.Fatalf("outsider: %v", err)
	}
	ch, err := f.svc.Changes(f.as(1), g.ID, last-2, 100)
	if err != nil || len(ch) != 2 {
		t.Fatalf("changes after last-2: %+v %v", ch, err)
	}
	if _, err := f.svc.Changes(f.as(2), g.ID, 0, 100); code(err) != tack.ENotFound {
		t.Fatalf("outsider changes: %v", err)
	}
	mods, err := f.svc.ConversationMods(f.as(1))
	if err != nil || mods[g.ID] != last {
		t.Fatalf("mods: %v %v", mods, err)
	}
}

// A stream's catch-up reads the changes of a listed conversation as
// frames: each viewer's frames are exactly the frames of what ChangesUpTo
// gives that viewer (quotes, the sender's unread counts, a secret
// message's view), and viewers who sent none of them share one encoding.
func TestListedChangeFrames(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:3], "g")
	first, _, _ := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "first"})
	f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "b", Text: "re", ReplyTo: first.Seq})
	f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "c", Text: "mine"})
	f.svc.Send(f.as(2), g.ID, chat.Draft{ClientID: "d", Text: "<&>"})
	c, _ := f.svc.Conversation(f.as(0), g.ID)
	after := first.Mod - 1
	frames := make([][]chat.ChangeFrame, 3)
	for v := range 3 {
		cs, err := f.svc.ListedChangeFrames(f.as(v), g.ID, after, c.LastMod, 100)
		ms, err2 := f.svc.ChangesUpTo(f.as(v), g.ID, after, c.LastMod, 100)
		if err != nil || err2 != nil || len(cs) != 4 || len(cs) != len(ms) {
			t.Fatalf("viewer %d: %d frames (%v), %d messages (%v)", v, len(cs), err, len(ms), err2)
		}
		for i := range cs {
			if want := chat.MessageFrame(&ms[i]); cs[i].Mod != ms[i].Mod || string(cs[i].Frame) != string(want) {
				t.Errorf("viewer %d, change %d: mod %d frame %s; want mod %d frame %s", v, i, cs[i].Mod, cs[i].Frame, ms[i].Mod, want)
			}
		}
		frames[v] = cs
	}
	if !strings.Contains(string(frames[0][0].Frame), `"unread"`) || strings.Contains(string(frames[1][0].Frame), `"unread"`) {
		t.Errorf("unread counts: the sender's %s, another's %s", frames[0][0].Frame, frames[1][0].Frame)
	}
	if !strings.Contains(string(frames[1][1].Frame), `"quote"`) {
		t.Errorf("the reply's quote: %s", frames[1][1].Frame)
	}
	if &frames[1][0].Frame[0] != &frames[2][0].Frame[0] || &frames[0][2].Frame[0] != &frames[2][2].Frame[0] {
		t.Error("viewers who sent none of a message do not share its frame")
	}
	if &frames[0][0].Frame[0] == &frames[1][0].Frame[0] || &frames[2][3].Frame[0] == &frames[1][3].Frame[0] {
		t.Error("a sender shares the frame of its own message")
	}
	// A burn-after-reading message: the sender's view and the peer's differ.
	sc, _, _ := f.svc.Create(f.as(0), chat.Secret, f.users[3:4], "")
	secret, _, err := f.svc.Send(f.as(0), sc.ID, chat.Draft{ClientID: "s", Text: "for your eyes", BurnAfterS: 30})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []int{0, 3} {
		cs, err := f.svc.ListedChangeFrames(f.as(v), sc.ID, secret.Mod-1, secret.Mod, 100)
		ms, _ := f.svc.ChangesUpTo(f.as(v), sc.ID, secret.Mod-1, secret.Mod, 100)
		if err != nil || len(cs) != 1 || len(ms) != 1 || string(cs[0].Frame) != string(chat.MessageFrame(&ms[0])) {
			t.Fatalf("secret, viewer %d: %+v %v; want %+v", v, cs, err, ms)
		}
		if shown := strings.Contains(string(cs[0].Frame), "for your eyes"); shown != (v == 0) {
			t.Errorf("secret, viewer %d: text shown %v: %s", v, shown, cs[0].Frame)
		}
	}
	if cs, err := f.svc.ListedChangeFrames(f.as(1), g.ID, c.LastMod, c.LastMod, 100); err != nil || cs != nil {
		t.Fatalf("an empty range: %v %v", cs, err)
	}
	if _, err := f.svc.ListedChangeFrames(context.Background(), g.ID, after, c.LastMod, 100); code(err) != tack.EUnauthorized {
		t.Fatalf("without a caller: %v", err)
	}
}

func TestGroupCreationLimitAndMute(t *testing.T) {
	f := newFixture(t, 3, chat.Config{GroupLimit: &limit.Keyed{Rate: 1e-9, Burst: 2}})
	for i := 0; i < 2; i++ {
		if _, _, err := f.svc.Create(f.as(0), chat.Group, nil, "g"); err != nil {
			t.Fatalf("group %d: %v", i, err)
		}
	}
	if _, _, err := f.svc.Create(f.as(0), chat.Group, nil, "g"); code(err) != tack.ERateLimited {
		t.Fatalf("third group: %v", err)
	}
	g, _, err := f.svc.Create(f.as(1), chat.Group, []tack.ID{f.users[0]}, "g")
	if err != nil {
		t.Fatalf("someone else's group: %v", err)
	}
	c, err := f.svc.SetMuted(f.as(0), g.ID, true)
	if err != nil || !c.Muted {
		t.Fatalf("mute: %+v %v", c, err)
	}
	if c, _ := f.svc.Conversation(f.as(1), g.ID); c.Muted {
		t.Fatal("muting is per person")
	}
	if c, _ = f.svc.SetMuted(f.as(0), g.ID, false); c.Muted {
		t.Fatal("unmute")
	}
	if _, err := f.svc.SetMuted(f.as(2), g.ID, true); code(err) != tack.ENotFound {
		t.Fatalf("outsider mutes: %v", err)
	}
	list, err := f.svc.Conversations(f.as(0))
	if err != nil || len(list) != 3 {
		t.Fatalf("conversations: %d %v", len(list), err)
	}
}

// A change made on another node reaches this node's send cache through the
// bus: after the event, a member may no longer send into a muted group.
func TestSendCacheFollowsOtherNodes(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if _, _, err := f.svc.Send(f.as(2), g.ID, chat.Draft{ClientID: "a", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	other := chat.NewService(f.db, &inmem.Bus{}, everyone{}, f.clock, chat.Config{})
	t.Cleanup(other.Close)
	on := true
	if _, err := other.Update(f.as(0), g.ID, nil, &on); err != nil {
		t.Fatal(err)
	}
	f.svc.HandleEvent(&bus.Event{Kind: bus.Typing, ConversationID: g.ID})
	f.svc.HandleEvent(&bus.Event{Kind: bus.Conversation, ConversationID: g.ID})
	if _, _, err := f.svc.Send(f.as(2), g.ID, chat.Draft{ClientID: "b", Text: "x"}); code(err) != tack.EForbidden {
		t.Fatalf("send after another node muted the group: %v", err)
	}
	if err := other.SetRole(f.as(0), g.ID, f.users[2], chat.Admin); err != nil {
		t.Fatal(err)
	}
	f.svc.HandleEvent(&bus.Event{Kind: bus.Member, ConversationID: g.ID})
	if _, _, err := f.svc.Send(f.as(2), g.ID, chat.Draft{ClientID: "c", Text: "x"}); err != nil {
		t.Fatalf("send after another node made the sender an admin: %v", err)
	}
}

// poisoned is a store whose Append fails any batch holding a message with
// the text "poison".
type poisoned struct{ *sqlite.DB }

func (p poisoned) Append(ctx context.Context, msgs []chat.NewMessage) ([]chat.Appended, error) {
	for _, m := range msgs {
		if m.Text == "poison" {
			return nil, fmt.Errorf("disk says no")
		}
	}
	return p.DB.Append(ctx, msgs)
}

// One bad message does not fail the others committed with it.
func TestBadMessageFailsAlone(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	svc := chat.NewService(poisoned{f.db}, f.bus, everyone{}, f.clock, chat.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	t.Cleanup(svc.Close)
	g, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	for round := 0; round < 5; round++ {
		var ps []*chat.Pending
		for i, text := range []string{"a", "poison", "b", "c"} {
			ps = append(ps, svc.Queue(f.as(0), g.ID, chat.Draft{ClientID: fmt.Sprint(round, "-", i), Text: text}))
		}
		for i, p := range ps {
			m, _, err := p.Wait()
			if (err != nil) != (i == 1) {
				t.Fatalf("round %d, message %d: %+v %v", round, i, m, err)
			}
		}
	}
	ms, _ := svc.History(f.as(0), g.ID, 0, 0, 100)
	if len(ms) != 1+5*3 {
		t.Fatalf("%d messages stored, want 16", len(ms))
	}
}

type someone struct{ not tack.ID }

func (s someone) Reachable(_ context.Context, _ tack.ID, ids []tack.ID) ([]tack.ID, error) {
	return slices.DeleteFunc(slices.Clone(ids), func(id tack.ID) bool { return id == s.not }), nil
}

type externals []tack.ID

func (e externals) ExternalConversations(context.Context) ([]tack.ID, error) { return e, nil }

func TestReachabilityAndExternals(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	ext := externals{}
	svc := chat.NewService(f.db, f.bus, someone{f.users[3]}, f.clock, chat.Config{Externals: &ext})
	t.Cleanup(svc.Close)
	if _, _, err := svc.Create(f.as(0), chat.Group, []tack.ID{f.users[1], f.users[3]}, "g"); code(err) != tack.EInvalid || !strings.Contains(err.Error(), string(f.users[3])) {
		t.Fatalf("a group with someone unreachable: %v", err)
	}
	if _, _, err := svc.Create(f.as(0), chat.Direct, []tack.ID{f.users[3]}, ""); code(err) != tack.EInvalid {
		t.Fatalf("a direct chat with someone unreachable: %v", err)
	}
	g, _, err := svc.Create(f.as(0), chat.Group, f.users[1:3], "g")
	if err != nil || g.External {
		t.Fatalf("group: %+v %v", g, err)
	}
	if err := svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[3]}); code(err) != tack.EInvalid {
		t.Fatalf("adding someone unreachable: %v", err)
	}
	h, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:2], "h")
	ext = externals{h.ID}
	list, err := svc.Conversations(f.as(0))
	if err != nil || len(list) != 2 {
		t.Fatal(list, err)
	}
	for _, c := range list {
		if c.External != (c.ID == h.ID) {
			t.Fatalf("external marks: %+v", list)
		}
	}
	if c, _ := svc.Conversation(f.as(0), h.ID); !c.External {
		t.Fatal("one conversation not marked external")
	}
	// Exactly MaxMentions mentions pass the size check (and then must be members).
	many := make([]tack.ID, chat.MaxMentions)
	for i := range many {
		many[i] = tack.NewID()
	}
	if _, _, err := svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "m", Text: "x", Mentions: many}); code(err) != tack.EInvalid {
		t.Fatalf("%d mentions of strangers: %v", chat.MaxMentions, err)
	}
}

// noMessages is a store whose Messages read fails.
type noMessages struct{ *sqlite.DB }

func (noMessages) Messages(context.Context, tack.ID, int64, int64, int) ([]chat.Message, error) {
	return nil, fmt.Errorf("read failed")
}

// When the one read of a span's senders fails, each reader's senders are
// looked up alone: the read event still reaches them (and the failure is
// logged, to the default logger when none is configured).
func TestReadEventsWhenTheSpanReadFails(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	// The zero Config: the warning goes to the default logger.
	svc := chat.NewService(noMessages{f.db}, f.bus, everyone{}, f.clock, chat.Config{})
	t.Cleanup(svc.Close)
	g, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	m, _, err := svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "a", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	r := f.reads(t)
	if _, err := svc.MarkRead(f.as(2), g.ID, m.Seq); err != nil {
		t.Fatal(err)
	}
	if e := r.next(t, f.users[2]); !slices.Contains(e.Users, f.users[1]) {
		t.Fatalf("the sender was not told: %v", e.Users)
	}
}

// A conversation carries its last message, and a group has no peer.
func TestConversationView(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if g.LastMessage == nil || g.LastMessage.Kind != chat.SystemMessage || g.Peer != "" {
		t.Fatalf("a new group: %+v", g)
	}
	m, _, _ := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "a", Text: "latest"})
	c, err := f.svc.Conversation(f.as(0), g.ID)
	if err != nil || c.LastMessage == nil || c.LastMessage.Seq != m.Seq || c.LastMessage.Text != "latest" || c.Role != chat.Owner {
		t.Fatalf("last message: %+v %v", c, err)
	}
}

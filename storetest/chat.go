package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
)

// TestChatStore runs the chat.Store conformance tests. open must return a
// new, empty store for each call, with the account store of the same
// database (to create users, and for the user searches that depend on
// shared conversations).
func TestChatStore(t *testing.T, open func(t *testing.T) (account.Store, chat.Store)) {
	tests := []struct {
		name string
		fn   func(*testing.T, *fixture)
	}{
		{"CreateGroup", testCreateGroup},
		{"Direct", testDirect},
		{"NotFound", testChatNotFound},
		{"AppendRoundTrip", testAppendRoundTrip},
		{"SeqAndMod", testSeqAndMod},
		{"SenderReadPosition", testSenderReadPosition},
		{"Idempotent", testIdempotent},
		{"AllOrNothing", testAllOrNothing},
		{"ConcurrentAppend", testConcurrentAppend},
		{"ConcurrentBatches", testConcurrentBatches},
		{"ConcurrentDuplicates", testConcurrentDuplicates},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Messages", testMessages},
		{"MessagesSince", testMessagesSince},
		{"MessagesBySeq", testMessagesBySeq},
		{"Edit", testEdit},
		{"Recall", testRecall},
		{"SetReadSeq", testSetReadSeq},
		{"SetReadSeqs", testSetReadSeqs},
		{"SetMuted", testSetMuted},
		{"Behind", testBehind},
		{"SendersBetween", testSendersBetween},
		{"ApplyChange", testApplyChange},
		{"ApplyChangeAtomic", testApplyChangeAtomic},
		{"ConversationsOf", testConversationsOf},
		{"ConversationMods", testConversationMods},
		{"ConversationsTogether", testConversationsTogether},
		{"MembersAmong", testMembersAmong},
		{"SearchUsers", testSearchUsers},
		{"Text", testText},
		{"Secret", testSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, cs := open(t)
			tt.fn(t, &fixture{t: t, as: as, cs: cs, ctx: context.Background()})
		})
	}
}

type fixture struct {
	t   *testing.T
	as  account.Store
	cs  chat.Store
	ctx context.Context
	n   int // client ID counter
}

func (f *fixture) user(name string) tack.ID {
	f.t.Helper()
	return newUser(f.t, f.as, name).ID
}

func (f *fixture) users(n int) []tack.ID {
	f.t.Helper()
	ids := make([]tack.ID, n)
	for i := range ids {
		ids[i] = f.user(fmt.Sprintf("user %d", i))
	}
	return ids
}

// group creates a group owned by owner with the others as members, and
// returns it with its first (system) message.
func (f *fixture) group(owner tack.ID, others ...tack.ID) (chat.Conversation, chat.Message) {
	f.t.Helper()
	at := now()
	c := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, Title: "项目组 Project", OwnerID: owner, CreatedAt: at}
	ms := []chat.Membership{{UserID: owner, Role: chat.Owner, JoinedAt: at}}
	for _, u := range others {
		ms = append(ms, chat.Membership{UserID: u, Role: chat.Member, JoinedAt: at})
	}
	first := chat.NewMessage{ConversationID: c.ID, SenderID: owner, Kind: chat.SystemMessage, CreatedAt: at,
		System: &chat.System{Action: "created", ActorID: owner, Users: others, Title: c.Title}}
	m, err := f.cs.CreateConversation(f.ctx, c, ms, first)
	must(f.t, "CreateConversation", err)
	c.MemberCount = len(ms)
	return c, m
}

func (f *fixture) direct(a, b tack.ID) (chat.Conversation, error) {
	at := now()
	c := chat.Conversation{ID: tack.NewID(), Kind: chat.Direct, CreatedAt: at}
	ms := []chat.Membership{{UserID: a, Role: chat.Member, JoinedAt: at}, {UserID: b, Role: chat.Member, JoinedAt: at}}
	first := chat.NewMessage{ConversationID: c.ID, SenderID: a, Kind: chat.SystemMessage, CreatedAt: at,
		System: &chat.System{Action: "created", ActorID: a, Users: []tack.ID{b}}}
	_, err := f.cs.CreateConversation(f.ctx, c, ms, first)
	return c, err
}

// text returns a new text message with a fresh client ID.
func (f *fixture) text(conv, sender tack.ID, text string) chat.NewMessage {
	f.n++
	return chat.NewMessage{ConversationID: conv, ClientID: fmt.Sprintf("c-%d-%s", f.n, tack.NewID()), SenderID: sender,
		Kind: chat.TextMessage, Text: text, CreatedAt: now()}
}

// send appends one text message and returns it.
func (f *fixture) send(conv, sender tack.ID, text string) chat.Message {
	f.t.Helper()
	res, err := f.cs.Append(f.ctx, []chat.NewMessage{f.text(conv, sender, text)})
	must(f.t, "Append", err)
	if len(res) != 1 || res[0].Duplicate {
		f.t.Fatalf("Append = %+v, want one new message", res)
	}
	return res[0].Message
}

func (f *fixture) conv(id tack.ID) chat.Conversation {
	f.t.Helper()
	c, err := f.cs.Conversation(f.ctx, id)
	must(f.t, "Conversation", err)
	return c
}

func (f *fixture) membership(conv, user tack.ID) chat.Membership {
	f.t.Helper()
	m, err := f.cs.Membership(f.ctx, conv, user)
	must(f.t, "Membership", err)
	return m
}

func (f *fixture) message(conv tack.ID, seq int64) chat.Message {
	f.t.Helper()
	m, err := f.cs.Message(f.ctx, conv, seq)
	must(f.t, "Message", err)
	stored(f.t, "Message", m)
	return m
}

func (f *fixture) messages(conv tack.ID, after, before int64, limit int) []chat.Message {
	f.t.Helper()
	ms, err := f.cs.Messages(f.ctx, conv, after, before, limit)
	must(f.t, "Messages", err)
	stored(f.t, "Messages", ms...)
	return ms
}

// fromNew is the message nm should become once stored at seq, mod.
func fromNew(nm chat.NewMessage, seq, mod int64) chat.Message {
	return chat.Message{ConversationID: nm.ConversationID, Seq: seq, Mod: mod, ClientID: nm.ClientID, SenderID: nm.SenderID,
		Kind: nm.Kind, Text: nm.Text, Mentions: nm.Mentions, MentionAll: nm.MentionAll, ReplyTo: nm.ReplyTo,
		System: nm.System, CreatedAt: nm.CreatedAt}
}

// normal returns m in a form to compare: times in UTC, empty lists as nil,
// and the fields stores do not keep (Quote, Unread) cleared.
func normal(m chat.Message) chat.Message {
	m.CreatedAt = m.CreatedAt.UTC()
	if m.EditedAt != nil {
		t := m.EditedAt.UTC()
		m.EditedAt = &t
	}
	if len(m.Mentions) == 0 {
		m.Mentions = nil
	}
	if m.System != nil {
		s := *m.System
		if len(s.Users) == 0 {
			s.Users = nil
		}
		m.System = &s
	}
	m.Quote, m.Unread = nil, nil
	return m
}

func sameMessage(t *testing.T, what string, got, want chat.Message) {
	t.Helper()
	g, w := normal(got), normal(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, fmtMessage(g), fmtMessage(w))
	}
}

// stored checks that a message read from the store has its times in UTC.
// (Messages a write returns may carry the caller's times as given.)
func stored(t *testing.T, what string, ms ...chat.Message) {
	t.Helper()
	for _, got := range ms {
		if got.CreatedAt.Location() != time.UTC {
			t.Errorf("%s: CreatedAt in %v, want UTC", what, got.CreatedAt.Location())
		}
		if got.EditedAt != nil && got.EditedAt.Location() != time.UTC {
			t.Errorf("%s: EditedAt in %v, want UTC", what, got.EditedAt.Location())
		}
	}
}

func fmtMessage(m chat.Message) string {
	s := fmt.Sprintf("%+v", m)
	if m.System != nil {
		s += fmt.Sprintf(" system=%+v", *m.System)
	}
	if m.EditedAt != nil {
		s += fmt.Sprintf(" edited=%v", *m.EditedAt)
	}
	return s
}

func seqs(ms []chat.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func seqRange(from, to int64) []int64 {
	out := []int64{}
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

func testCreateGroup(t *testing.T, f *fixture) {
	owner, a, b := f.user("owner"), f.user("a"), f.user("b")
	at := now()
	c := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, Title: "周会 weekly", OwnerID: owner, MuteAll: true, CreatedAt: at}
	ms := []chat.Membership{
		{UserID: owner, Role: chat.Owner, JoinedAt: at},
		{UserID: a, Role: chat.Admin, JoinedAt: at},
		{UserID: b, Role: chat.Member, JoinedAt: at},
	}
	first := chat.NewMessage{ConversationID: c.ID, SenderID: owner, Kind: chat.SystemMessage, CreatedAt: at,
		System: &chat.System{Action: "created", ActorID: owner, Users: []tack.ID{a, b}, Title: c.Title}}
	m, err := f.cs.CreateConversation(f.ctx, c, ms, first)
	must(t, "CreateConversation", err)
	sameMessage(t, "first message", m, fromNew(first, 1, 1))
	sameMessage(t, "first message read back", f.message(c.ID, 1), fromNew(first, 1, 1))

	got := f.conv(c.ID)
	want := c
	want.LastSeq, want.LastMod, want.MemberCount = 1, 1, 3
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Conversation =\n %+v\nwant\n %+v", got, want)
	}

	list, err := f.cs.Memberships(f.ctx, c.ID)
	must(t, "Memberships", err)
	if len(list) != len(ms) {
		t.Fatalf("Memberships has %d members, want %d", len(list), len(ms))
	}
	for _, m := range ms {
		m.ConversationID, m.ReadSeq, m.JoinedSeq = c.ID, 1, 1
		i := slices.IndexFunc(list, func(x chat.Membership) bool { return x.UserID == m.UserID })
		if i < 0 {
			t.Errorf("Memberships lacks %s", m.UserID)
			continue
		}
		for what, got := range map[string]chat.Membership{"Memberships": list[i], "Membership": f.membership(c.ID, m.UserID)} {
			want := m
			sameTime(t, what+" JoinedAt", got.JoinedAt, want.JoinedAt)
			got.JoinedAt, want.JoinedAt = time.Time{}, time.Time{}
			if got != want {
				t.Errorf("%s = %+v, want %+v", what, got, want)
			}
		}
	}
}

func testDirect(t *testing.T, f *fixture) {
	a, b, c := f.user("a"), f.user("b"), f.user("c")
	f.group(a, b) // a group of the same two is not their direct chat
	_, err := f.cs.DirectBetween(f.ctx, a, b)
	wantNotFound(t, "DirectBetween before any direct chat", err)

	d, err := f.direct(a, b)
	must(t, "CreateConversation direct", err)
	for _, pair := range [][2]tack.ID{{a, b}, {b, a}} {
		id, err := f.cs.DirectBetween(f.ctx, pair[0], pair[1])
		must(t, "DirectBetween", err)
		if id != d.ID {
			t.Errorf("DirectBetween(%s, %s) = %s, want %s", pair[0], pair[1], id, d.ID)
		}
	}
	_, err = f.cs.DirectBetween(f.ctx, a, c)
	wantNotFound(t, "DirectBetween of strangers", err)
	got := f.conv(d.ID)
	if got.Kind != chat.Direct || got.MemberCount != 2 || got.LastSeq != 1 {
		t.Errorf("direct conversation = %+v", got)
	}

	// Implicit in the chat service: a second direct chat of the same pair,
	// in either order, is a conflict (two people starting a chat at once).
	_, err = f.direct(b, a)
	wantCode(t, "second direct chat of a pair", err, tack.EConflict)
	id, err := f.cs.DirectBetween(f.ctx, a, b)
	if err != nil || id != d.ID {
		t.Errorf("DirectBetween after the conflict = %s, %v; want %s", id, err, d.ID)
	}
}

func testChatNotFound(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a)
	unknown := tack.NewID()
	ctx := f.ctx

	_, err := f.cs.Conversation(ctx, unknown)
	wantNotFound(t, "Conversation", err)
	_, err = f.cs.Membership(ctx, c.ID, b)
	wantNotFound(t, "Membership of a non-member", err)
	_, err = f.cs.Membership(ctx, unknown, a)
	wantNotFound(t, "Membership in an unknown conversation", err)
	_, err = f.cs.Message(ctx, c.ID, 2)
	wantNotFound(t, "Message past the end", err)
	_, err = f.cs.Message(ctx, unknown, 1)
	wantNotFound(t, "Message of an unknown conversation", err)
	_, err = f.cs.EditMessage(ctx, c.ID, 2, "x", nil, false, now())
	wantNotFound(t, "EditMessage past the end", err)
	_, err = f.cs.EditMessage(ctx, unknown, 1, "x", nil, false, now())
	wantNotFound(t, "EditMessage in an unknown conversation", err)
	_, err = f.cs.RecallMessage(ctx, c.ID, 2, a)
	wantNotFound(t, "RecallMessage past the end", err)
	_, err = f.cs.RecallMessage(ctx, unknown, 1, a)
	wantNotFound(t, "RecallMessage in an unknown conversation", err)
	_, _, err = f.cs.SetReadSeq(ctx, c.ID, b, 1)
	wantNotFound(t, "SetReadSeq of a non-member", err)
	_, _, err = f.cs.SetReadSeq(ctx, unknown, a, 1)
	wantNotFound(t, "SetReadSeq in an unknown conversation", err)
	_, err = f.cs.Append(ctx, []chat.NewMessage{f.text(unknown, a, "hello")})
	wantNotFound(t, "Append to an unknown conversation", err)
	title := "x"
	_, err = f.cs.ApplyChange(ctx, chat.Change{ConversationID: unknown, Title: &title,
		System: chat.NewMessage{ConversationID: unknown, SenderID: a, Kind: chat.SystemMessage, CreatedAt: now(),
			System: &chat.System{Action: "renamed", ActorID: a, Title: title}}})
	wantNotFound(t, "ApplyChange of an unknown conversation", err)

	// The failed edits and recalls changed nothing.
	if got := f.conv(c.ID); got.LastSeq != 1 || got.LastMod != 1 {
		t.Errorf("after failed changes LastSeq, LastMod = %d, %d; want 1, 1", got.LastSeq, got.LastMod)
	}
}

func testAppendRoundTrip(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	nms := []chat.NewMessage{
		{ConversationID: c.ID, ClientID: "client-1", SenderID: a, Kind: chat.TextMessage, Text: "明天上午十点开会，请准时参加。",
			Mentions: []tack.ID{b}, CreatedAt: now()},
		{ConversationID: c.ID, ClientID: "client-2", SenderID: b, Kind: chat.TextMessage, Text: "收到 👍\nsee you",
			MentionAll: true, ReplyTo: 2, CreatedAt: now()},
		{ConversationID: c.ID, SenderID: a, Kind: chat.SystemMessage, CreatedAt: now(),
			System: &chat.System{Action: "renamed", ActorID: a, Title: "新名字"}},
	}
	res, err := f.cs.Append(f.ctx, nms)
	must(t, "Append", err)
	if len(res) != len(nms) {
		t.Fatalf("Append returned %d results for %d messages", len(res), len(nms))
	}
	for i, nm := range nms {
		want := fromNew(nm, int64(i+2), int64(i+2))
		if res[i].Duplicate {
			t.Errorf("message %d marked duplicate", i)
		}
		sameMessage(t, fmt.Sprintf("Append result %d", i), res[i].Message, want)
		sameMessage(t, fmt.Sprintf("Message(%d)", want.Seq), f.message(c.ID, want.Seq), want)
	}
	ms := f.messages(c.ID, 1, 0, 10)
	if len(ms) != 3 {
		t.Fatalf("Messages after 1 = %v, want seqs 2..4", seqs(ms))
	}
	for i, m := range ms {
		sameMessage(t, "Messages item", m, res[i].Message)
	}
}

func testSeqAndMod(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c1, _ := f.group(a, b)
	c2, _ := f.group(b, a)
	// One by one, then in a batch that interleaves the two conversations.
	for i := int64(2); i <= 4; i++ {
		m := f.send(c1.ID, a, "one")
		if m.Seq != i || m.Mod != i {
			t.Errorf("message %d has seq %d, mod %d", i, m.Seq, m.Mod)
		}
	}
	batch := []chat.NewMessage{f.text(c2.ID, b, "x"), f.text(c1.ID, a, "y"), f.text(c2.ID, a, "z"), f.text(c1.ID, b, "w")}
	res, err := f.cs.Append(f.ctx, batch)
	must(t, "Append", err)
	want := [][2]int64{{2, 2}, {5, 5}, {3, 3}, {6, 6}}
	for i, r := range res {
		if r.Message.Seq != want[i][0] || r.Message.Mod != want[i][1] || r.Message.ConversationID != batch[i].ConversationID {
			t.Errorf("batch item %d: conversation %s seq %d mod %d; want %s %d %d", i, r.Message.ConversationID,
				r.Message.Seq, r.Message.Mod, batch[i].ConversationID, want[i][0], want[i][1])
		}
	}
	for _, tc := range []struct {
		id        tack.ID
		seq, mod  int64
		wantSeqs  []int64
		wantCount int
	}{{c1.ID, 6, 6, seqRange(1, 6), 2}, {c2.ID, 3, 3, seqRange(1, 3), 2}} {
		got := f.conv(tc.id)
		if got.LastSeq != tc.seq || got.LastMod != tc.mod {
			t.Errorf("conversation LastSeq, LastMod = %d, %d; want %d, %d", got.LastSeq, got.LastMod, tc.seq, tc.mod)
		}
		if s := seqs(f.messages(tc.id, 0, 0, 100)); !slices.Equal(s, tc.wantSeqs) {
			t.Errorf("seqs = %v, want %v", s, tc.wantSeqs)
		}
	}
}

func testSenderReadPosition(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	f.send(c.ID, a, "1")
	m := f.send(c.ID, a, "2")
	if r := f.membership(c.ID, a).ReadSeq; r != m.Seq {
		t.Errorf("sender's ReadSeq = %d, want %d", r, m.Seq)
	}
	if r := f.membership(c.ID, b).ReadSeq; r != 1 {
		t.Errorf("other member's ReadSeq = %d, want 1", r)
	}
	// A batch moves it to the sender's last message in it.
	res, err := f.cs.Append(f.ctx, []chat.NewMessage{f.text(c.ID, b, "3"), f.text(c.ID, a, "4"), f.text(c.ID, b, "5")})
	must(t, "Append", err)
	if r := f.membership(c.ID, b).ReadSeq; r != res[2].Message.Seq {
		t.Errorf("b's ReadSeq = %d, want %d", r, res[2].Message.Seq)
	}
	if r := f.membership(c.ID, a).ReadSeq; r != res[1].Message.Seq {
		t.Errorf("a's ReadSeq = %d, want %d", r, res[1].Message.Seq)
	}
	// PrevReadSeq is where each sender's position was before each message,
	// as if the batch were stored one message at a time: b was at 1, then
	// at its own message 3; a was at its message 2.
	want := []int64{1, m.Seq, res[0].Message.Seq}
	for i, r := range res {
		if r.PrevReadSeq != want[i] {
			t.Errorf("message %d: PrevReadSeq = %d, want %d", i, r.PrevReadSeq, want[i])
		}
	}
	// Several conversations in one batch get their own gapless seqs.
	d, _ := f.group(a, b)
	res, err = f.cs.Append(f.ctx, []chat.NewMessage{f.text(c.ID, a, "6"), f.text(d.ID, a, "x"), f.text(c.ID, b, "7"), f.text(d.ID, b, "y")})
	must(t, "Append to two conversations", err)
	if res[0].Message.Seq+1 != res[2].Message.Seq || res[1].Message.Seq+1 != res[3].Message.Seq || res[1].Message.Seq != 2 {
		t.Errorf("seqs across two conversations: %d %d %d %d", res[0].Message.Seq, res[1].Message.Seq, res[2].Message.Seq, res[3].Message.Seq)
	}
	if res[0].Message.Mod+1 != res[2].Message.Mod {
		t.Errorf("mods in one conversation: %d then %d", res[0].Message.Mod, res[2].Message.Mod)
	}
}

func testIdempotent(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)

	orig := f.text(c.ID, a, "original")
	first := f.send(c.ID, a, "placeholder") // seq 2, so that orig is not right after creation
	_ = first
	res, err := f.cs.Append(f.ctx, []chat.NewMessage{orig})
	must(t, "Append", err)
	stored := res[0].Message

	// A retry, even with other content, returns the original.
	retry := orig
	retry.Text, retry.CreatedAt = "changed", now()
	res, err = f.cs.Append(f.ctx, []chat.NewMessage{retry})
	must(t, "Append retry", err)
	if !res[0].Duplicate {
		t.Errorf("retry not marked Duplicate")
	}
	sameMessage(t, "retry result", res[0].Message, stored)
	if got := f.conv(c.ID); got.LastSeq != stored.Seq || got.LastMod != stored.Mod {
		t.Errorf("retry moved LastSeq/LastMod to %d/%d", got.LastSeq, got.LastMod)
	}

	// Within one batch: the second copy is a duplicate of the first, and
	// a retry of an earlier batch among new messages leaves no gap.
	x := f.text(c.ID, b, "x")
	y := f.text(c.ID, b, "y")
	res, err = f.cs.Append(f.ctx, []chat.NewMessage{x, retry, x, y, x})
	must(t, "Append batch", err)
	wantSeq := []int64{stored.Seq + 1, stored.Seq, stored.Seq + 1, stored.Seq + 2, stored.Seq + 1}
	wantDup := []bool{false, true, true, false, true}
	for i, r := range res {
		if r.Message.Seq != wantSeq[i] || r.Duplicate != wantDup[i] {
			t.Errorf("batch item %d: seq %d duplicate %v; want %d %v", i, r.Message.Seq, r.Duplicate, wantSeq[i], wantDup[i])
		}
	}
	sameMessage(t, "in-batch duplicate", res[2].Message, res[0].Message)
	if got := f.conv(c.ID); got.LastSeq != stored.Seq+2 {
		t.Errorf("LastSeq = %d, want %d", got.LastSeq, stored.Seq+2)
	}
	if s := seqs(f.messages(c.ID, 0, 0, 100)); !slices.Equal(s, seqRange(1, stored.Seq+2)) {
		t.Errorf("seqs = %v, want 1..%d without gaps", s, stored.Seq+2)
	}

	// The key is (sender, client ID): another sender may use the same ID.
	other := orig
	other.SenderID = b
	res, err = f.cs.Append(f.ctx, []chat.NewMessage{other})
	must(t, "Append", err)
	if res[0].Duplicate || res[0].Message.SenderID != b {
		t.Errorf("same client ID from another sender: %+v", res[0])
	}

	// The key is (sender, client ID) across conversations: the same send
	// retried into another conversation returns the original, where it is.
	c2, _ := f.group(a, b)
	elsewhere := orig
	elsewhere.ConversationID = c2.ID
	res, err = f.cs.Append(f.ctx, []chat.NewMessage{elsewhere})
	must(t, "Append to another conversation", err)
	if !res[0].Duplicate {
		t.Errorf("same (sender, client ID) in another conversation stored again: %+v", res[0])
	}
	sameMessage(t, "duplicate in another conversation", res[0].Message, stored)
	if got := f.conv(c2.ID); got.LastSeq != 1 {
		t.Errorf("duplicate moved the other conversation's LastSeq to %d", got.LastSeq)
	}

	// Messages without a client ID (system events) are never duplicates.
	sys := chat.NewMessage{ConversationID: c.ID, SenderID: a, Kind: chat.SystemMessage, CreatedAt: now(),
		System: &chat.System{Action: "muted", ActorID: a}}
	res, err = f.cs.Append(f.ctx, []chat.NewMessage{sys, sys})
	must(t, "Append system", err)
	if res[0].Duplicate || res[1].Duplicate || res[0].Message.Seq == res[1].Message.Seq {
		t.Errorf("system messages deduplicated: %+v", res)
	}
}

func testAllOrNothing(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c1, _ := f.group(a, b)
	c2, _ := f.group(b, a)
	good1, good2 := f.text(c1.ID, a, "good 1"), f.text(c2.ID, a, "good 2")
	bad := f.text(tack.NewID(), a, "to nowhere")
	for _, order := range [][]chat.NewMessage{{good1, good2, bad}, {bad, good1, good2}, {good1, bad, good2}} {
		res, err := f.cs.Append(f.ctx, order)
		if err == nil {
			t.Fatalf("Append with a message to an unknown conversation succeeded: %+v", res)
		}
		wantNotFound(t, "Append with a message to an unknown conversation", err)
		for _, c := range []chat.Conversation{c1, c2} {
			got := f.conv(c.ID)
			if got.LastSeq != 1 || got.LastMod != 1 {
				t.Errorf("failed batch moved LastSeq/LastMod to %d/%d", got.LastSeq, got.LastMod)
			}
			if ms := f.messages(c.ID, 1, 0, 10); len(ms) != 0 {
				t.Errorf("failed batch stored %v", seqs(ms))
			}
			if r := f.membership(c.ID, a).ReadSeq; r != 1 {
				t.Errorf("failed batch moved the sender's ReadSeq to %d", r)
			}
		}
	}
	// Nothing of the failed batch counts as sent.
	res, err := f.cs.Append(f.ctx, []chat.NewMessage{good1, good2})
	must(t, "Append", err)
	for i, r := range res {
		if r.Duplicate || r.Message.Seq != 2 {
			t.Errorf("retry item %d: seq %d duplicate %v; want 2, false", i, r.Message.Seq, r.Duplicate)
		}
	}
}

// testConcurrentAppend: many goroutines append to one conversation; seqs
// come out 1..N with no gap and no duplicate.
func testConcurrentAppend(t *testing.T, f *fixture) {
	const n = 64
	users := f.users(4)
	c, _ := f.group(users[0], users[1:]...)
	var wg sync.WaitGroup
	got := make([]chat.Message, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		nm := f.text(c.ID, users[i%len(users)], fmt.Sprintf("message %d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
			if err == nil {
				got[i] = res[0].Message
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	must(t, "concurrent Append", errors.Join(errs...))
	s := seqs(got)
	slices.Sort(s)
	if !slices.Equal(s, seqRange(2, n+1)) {
		t.Errorf("concurrent seqs = %v, want 2..%d once each", s, n+1)
	}
	mods := map[int64]bool{}
	for _, m := range got {
		if mods[m.Mod] {
			t.Errorf("mod %d given twice", m.Mod)
		}
		mods[m.Mod] = true
		sameMessage(t, "stored message", f.message(c.ID, m.Seq), m)
	}
	if cv := f.conv(c.ID); cv.LastSeq != n+1 || cv.LastMod != n+1 {
		t.Errorf("LastSeq, LastMod = %d, %d; want %d", cv.LastSeq, cv.LastMod, n+1)
	}
}

// testConcurrentBatches: batches touching two conversations in opposite
// orders, at once (a deadlock for a store that locks them as it goes).
func testConcurrentBatches(t *testing.T, f *fixture) {
	const workers, rounds = 8, 10
	a, b := f.user("a"), f.user("b")
	c1, _ := f.group(a, b)
	c2, _ := f.group(b, a)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	batches := make([][][]chat.NewMessage, workers)
	for w := 0; w < workers; w++ {
		for r := 0; r < rounds; r++ {
			x, y := f.text(c1.ID, a, "x"), f.text(c2.ID, b, "y")
			if (w+r)%2 == 0 {
				x, y = y, x
			}
			batches[w] = append(batches[w], []chat.NewMessage{x, y, f.text(x.ConversationID, b, "z")})
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, batch := range batches[w] {
				if _, err := f.cs.Append(f.ctx, batch); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	must(t, "concurrent batches", errors.Join(errs...))
	total := int64(workers * rounds * 3)
	c1n, c2n := f.conv(c1.ID).LastSeq-1, f.conv(c2.ID).LastSeq-1
	if c1n+c2n != total {
		t.Errorf("stored %d + %d messages, want %d", c1n, c2n, total)
	}
	for _, c := range []tack.ID{c1.ID, c2.ID} {
		cv := f.conv(c)
		if s := seqs(f.messages(c, 0, 0, 1000)); !slices.Equal(s, seqRange(1, cv.LastSeq)) {
			t.Errorf("seqs = %v, want 1..%d", s, cv.LastSeq)
		}
	}
}

// testConcurrentDuplicates: the same send retried at once from many
// goroutines (as from several nodes) is stored once.
func testConcurrentDuplicates(t *testing.T, f *fixture) {
	const n = 16
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	nm := f.text(c.ID, a, "once")
	res := make([]chat.Appended, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
			if err == nil {
				res[i] = r[0]
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	must(t, "concurrent duplicate Append", errors.Join(errs...))
	fresh := 0
	for _, r := range res {
		if !r.Duplicate {
			fresh++
		}
		if r.Message.Seq != 2 {
			t.Errorf("got seq %d, want 2", r.Message.Seq)
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d concurrent copies stored as new, want 1", fresh, n)
	}
	if cv := f.conv(c.ID); cv.LastSeq != 2 {
		t.Errorf("LastSeq = %d, want 2", cv.LastSeq)
	}
}

// testConcurrentWriters: several writers (as several nodes' group
// commits) append at once batches spanning many of the same conversations,
// in different orders, with some sends repeated by two writers. Each
// conversation's counters stay exact: seqs and mods 1..N with no gap and
// no duplicate, every send stored once, each sender's read position at the
// last message it sent, and each PrevReadSeq what storing the messages one
// by one in seq order would report.
func testConcurrentWriters(t *testing.T, f *fixture) {
	const writers, rounds, perConv = 6, 6, 3
	users := f.users(4)
	convs := make([]tack.ID, 5)
	for i := range convs {
		c, _ := f.group(users[i%len(users)], slices.DeleteFunc(slices.Clone(users), func(u tack.ID) bool { return u == users[i%len(users)] })...)
		convs[i] = c.ID
	}
	batches := make([][][]chat.NewMessage, writers)
	unique := map[string]chat.NewMessage{}
	for w := range writers {
		for r := range rounds {
			var batch []chat.NewMessage
			for k := range len(convs) * perConv {
				c := convs[(k+w+r)%len(convs)] // each writer takes the conversations in its own order
				if (w+r)%2 == 1 {
					c = convs[len(convs)-1-(k+w+r)%len(convs)]
				}
				nm := f.text(c, users[(k+w)%len(users)], fmt.Sprintf("w%d r%d k%d", w, r, k))
				batch = append(batch, nm)
				unique[nm.ClientID] = nm
			}
			batches[w] = append(batches[w], batch)
		}
	}
	for w := range writers { // a send retried through another writer
		prev := batches[(w+1)%writers][0][w]
		batches[w][rounds-1] = append(batches[w][rounds-1], prev)
	}
	results := make([][]chat.Appended, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range batches[w] {
				res, err := f.cs.Append(f.ctx, b)
				if err != nil {
					errs[w] = err
					return
				}
				results[w] = append(results[w], res...)
			}
		}()
	}
	wg.Wait()
	must(t, "concurrent writers", errors.Join(errs...))

	fresh := map[string]chat.Appended{}
	for _, res := range results {
		for _, a := range res {
			if a.Duplicate {
				continue
			}
			if _, ok := fresh[a.Message.ClientID]; ok {
				t.Errorf("client ID %s stored twice", a.Message.ClientID)
			}
			fresh[a.Message.ClientID] = a
		}
	}
	if len(fresh) != len(unique) {
		t.Errorf("%d sends stored as new, want %d", len(fresh), len(unique))
	}
	for _, res := range results {
		for _, a := range res {
			if a.Duplicate && fresh[a.Message.ClientID].Message.Seq != a.Message.Seq {
				t.Errorf("duplicate %s answered with seq %d, stored as %d", a.Message.ClientID, a.Message.Seq, fresh[a.Message.ClientID].Message.Seq)
			}
		}
	}
	type key struct{ conv, user tack.ID }
	sent := map[key][]chat.Appended{}
	for _, a := range fresh {
		k := key{a.Message.ConversationID, a.Message.SenderID}
		sent[k] = append(sent[k], a)
	}
	for _, c := range convs {
		cv := f.conv(c)
		ms := f.messages(c, 0, 0, 10000)
		if s := seqs(ms); !slices.Equal(s, seqRange(1, cv.LastSeq)) {
			t.Errorf("seqs of %s = %v, want 1..%d", c, s, cv.LastSeq)
		}
		mods := make([]int64, len(ms))
		for i, m := range ms {
			mods[i] = m.Mod
			if a, ok := fresh[m.ClientID]; ok && m.ClientID != "" {
				sameMessage(t, "stored message", m, a.Message)
			}
		}
		slices.Sort(mods)
		if !slices.Equal(mods, seqRange(1, cv.LastMod)) {
			t.Errorf("mods of %s = %v, want 1..%d", c, mods, cv.LastMod)
		}
		for _, u := range users {
			as := sent[key{c, u}]
			if len(as) == 0 {
				continue
			}
			slices.SortFunc(as, func(x, y chat.Appended) int { return int(x.Message.Seq - y.Message.Seq) })
			want := int64(1) // where creating the group left every member
			for _, a := range as {
				if a.PrevReadSeq != want {
					t.Errorf("message %d of %s in %s: PrevReadSeq %d, want %d", a.Message.Seq, u, c, a.PrevReadSeq, want)
				}
				want = a.Message.Seq
			}
			if r := f.membership(c, u).ReadSeq; r != want {
				t.Errorf("read position of %s in %s = %d, want %d", u, c, r, want)
			}
		}
	}
	total := int64(0)
	for _, c := range convs {
		total += f.conv(c).LastSeq - 1
	}
	if total != int64(len(unique)) {
		t.Errorf("conversations count %d messages, want %d", total, len(unique))
	}
}

func testMessages(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	for i := 0; i < 10; i++ { // seqs 2..11
		f.send(c.ID, a, fmt.Sprint(i))
	}
	tests := []struct {
		name          string
		after, before int64
		limit         int
		want          []int64
	}{
		{"all", 0, 0, 100, seqRange(1, 11)},
		{"first page", 0, 0, 3, []int64{1, 2, 3}},
		{"after", 3, 0, 4, []int64{4, 5, 6, 7}},
		{"after near the end", 9, 0, 10, []int64{10, 11}},
		{"after the end", 11, 0, 10, nil},
		{"before", 0, 8, 3, []int64{5, 6, 7}},
		{"before near the start", 0, 3, 10, []int64{1, 2}},
		{"before the start", 0, 1, 10, nil},
		{"before the end", 0, 100, 2, []int64{10, 11}},
		{"limit one", 5, 0, 1, []int64{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := seqs(f.messages(c.ID, tt.after, tt.before, tt.limit))
			if len(got) != 0 || len(tt.want) != 0 {
				if !slices.Equal(got, tt.want) {
					t.Errorf("Messages(after %d, before %d, limit %d) = %v, want %v", tt.after, tt.before, tt.limit, got, tt.want)
				}
			}
		})
	}
	other, _ := f.group(b)
	if ms := f.messages(other.ID, 0, 0, 100); len(ms) != 1 {
		t.Errorf("another conversation has %d messages, want 1", len(ms))
	}
	if ms := f.messages(tack.NewID(), 0, 0, 100); len(ms) != 0 {
		t.Errorf("unknown conversation has %d messages", len(ms))
	}
}

func testMessagesSince(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	for i := 0; i < 5; i++ { // seqs 2..6, mods 2..6
		f.send(c.ID, a, fmt.Sprint(i))
	}
	e, err := f.cs.EditMessage(f.ctx, c.ID, 3, "edited", nil, false, now()) // mod 7
	must(t, "EditMessage", err)
	r, err := f.cs.RecallMessage(f.ctx, c.ID, 2, a) // mod 8
	must(t, "RecallMessage", err)
	f.send(c.ID, b, "new") // seq 7, mod 9
	if e.Mod != 7 || r.Mod != 8 {
		t.Fatalf("edit, recall mods = %d, %d; want 7, 8", e.Mod, r.Mod)
	}
	tests := []struct {
		mod      int64
		limit    int
		wantSeqs []int64
		wantMods []int64
	}{
		{0, 100, []int64{1, 4, 5, 6, 3, 2, 7}, []int64{1, 4, 5, 6, 7, 8, 9}},
		{4, 100, []int64{5, 6, 3, 2, 7}, []int64{5, 6, 7, 8, 9}},
		{6, 2, []int64{3, 2}, []int64{7, 8}},
		{8, 100, []int64{7}, []int64{9}},
		{9, 100, nil, nil},
	}
	for _, tt := range tests {
		ms, err := f.cs.MessagesSince(f.ctx, c.ID, tt.mod, tt.limit)
		must(t, "MessagesSince", err)
		var gotMods []int64
		for _, m := range ms {
			gotMods = append(gotMods, m.Mod)
		}
		if !slices.Equal(seqs(ms), tt.wantSeqs) && !(len(ms) == 0 && tt.wantSeqs == nil) || !slices.Equal(gotMods, tt.wantMods) {
			t.Errorf("MessagesSince(%d, %d): seqs %v mods %v; want %v %v", tt.mod, tt.limit, seqs(ms), gotMods, tt.wantSeqs, tt.wantMods)
		}
		for _, m := range ms {
			switch m.Seq {
			case 2:
				if !m.Recalled || m.Text != "" {
					t.Errorf("recalled message since: %+v", m)
				}
			case 3:
				if m.Text != "edited" {
					t.Errorf("edited message since: %+v", m)
				}
			}
		}
	}
}

func testMessagesBySeq(t *testing.T, f *fixture) {
	a := f.user("a")
	c, _ := f.group(a)
	for i := 0; i < 5; i++ {
		f.send(c.ID, a, fmt.Sprint(i))
	}
	tests := []struct {
		ask, want []int64
	}{
		{nil, nil},
		{[]int64{3}, []int64{3}},
		{[]int64{5, 2, 99, 0, -1}, []int64{2, 5}},
		{[]int64{100}, nil},
	}
	for _, tt := range tests {
		ms, err := f.cs.MessagesBySeq(f.ctx, c.ID, tt.ask)
		must(t, "MessagesBySeq", err)
		got := seqs(ms)
		slices.Sort(got)
		if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
			t.Errorf("MessagesBySeq(%v) = %v, want %v", tt.ask, got, tt.want)
		}
		for _, m := range ms {
			sameMessage(t, "MessagesBySeq item", m, f.message(c.ID, m.Seq))
		}
	}
}

func testEdit(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	nm := f.text(c.ID, a, "first draft")
	nm.Mentions, nm.ReplyTo = []tack.ID{b}, 1
	res, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
	must(t, "Append", err)
	orig := res[0].Message
	f.send(c.ID, b, "after")

	tests := []struct {
		name     string
		text     string
		mentions []tack.ID
		all      bool
	}{
		{"text and mentions", "第二稿 second draft", []tack.ID{a, b}, false},
		{"mention all", "全体注意", nil, true},
		{"clear mentions", "plain", nil, false},
	}
	for i, tt := range tests {
		at := now()
		m, err := f.cs.EditMessage(f.ctx, c.ID, orig.Seq, tt.text, tt.mentions, tt.all, at)
		must(t, "EditMessage", err)
		want := orig
		want.Text, want.Mentions, want.MentionAll, want.EditedAt = tt.text, tt.mentions, tt.all, &at
		want.Mod = int64(4 + i)
		sameMessage(t, tt.name+": EditMessage result", m, want)
		sameMessage(t, tt.name+": read back", f.message(c.ID, orig.Seq), want)
		cv := f.conv(c.ID)
		if cv.LastSeq != 3 || cv.LastMod != want.Mod {
			t.Errorf("%s: LastSeq, LastMod = %d, %d; want 3, %d", tt.name, cv.LastSeq, cv.LastMod, want.Mod)
		}
	}
}

func testRecall(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	nm := f.text(c.ID, a, "机密：工资单在附件里 secret")
	nm.Mentions, nm.MentionAll = []tack.ID{b}, true
	res, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
	must(t, "Append", err)
	orig := res[0].Message
	edited, err := f.cs.EditMessage(f.ctx, c.ID, orig.Seq, "机密 v2", []tack.ID{b}, true, now())
	must(t, "EditMessage", err)

	m, err := f.cs.RecallMessage(f.ctx, c.ID, orig.Seq, b)
	must(t, "RecallMessage", err)
	want := edited
	want.Text, want.Mentions, want.MentionAll = "", nil, false
	want.Recalled, want.RecalledBy, want.Mod = true, b, edited.Mod+1
	sameMessage(t, "RecallMessage result", m, want)

	// The text is gone from every way of reading it.
	sameMessage(t, "Message after recall", f.message(c.ID, orig.Seq), want)
	sameMessage(t, "Messages after recall", f.messages(c.ID, orig.Seq-1, 0, 1)[0], want)
	since, err := f.cs.MessagesSince(f.ctx, c.ID, 0, 100)
	must(t, "MessagesSince", err)
	stored(t, "MessagesSince", since...)
	bySeq, err := f.cs.MessagesBySeq(f.ctx, c.ID, []int64{orig.Seq})
	must(t, "MessagesBySeq", err)
	stored(t, "MessagesBySeq", bySeq...)
	list, err := f.cs.ConversationsOf(f.ctx, a)
	must(t, "ConversationsOf", err)
	all := append(since, bySeq...)
	for _, cv := range list {
		if cv.LastMessage != nil {
			all = append(all, *cv.LastMessage)
		}
	}
	for _, m := range all {
		if strings.Contains(m.Text, "机密") || len(m.Mentions) > 0 || m.MentionAll {
			t.Errorf("recalled content still readable: %+v", m)
		}
	}
	if cv := f.conv(c.ID); cv.LastSeq != orig.Seq || cv.LastMod != want.Mod {
		t.Errorf("LastSeq, LastMod = %d, %d; want %d, %d", cv.LastSeq, cv.LastMod, orig.Seq, want.Mod)
	}
}

func testSetReadSeq(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	for i := 0; i < 5; i++ { // last seq 6
		f.send(c.ID, a, fmt.Sprint(i))
	}
	// b starts at 1.
	tests := []struct {
		name      string
		seq       int64
		prev, now int64
	}{
		{"forward", 3, 1, 3},
		{"same", 3, 3, 3},
		{"never down", 2, 3, 3},
		{"zero", 0, 3, 3},
		{"never past the last seq", 100, 3, 6},
		{"at the end", 6, 6, 6},
	}
	for _, tt := range tests {
		prev, now, err := f.cs.SetReadSeq(f.ctx, c.ID, b, tt.seq)
		must(t, tt.name, err)
		if prev != tt.prev || now != tt.now {
			t.Errorf("%s: SetReadSeq(%d) = %d, %d; want %d, %d", tt.name, tt.seq, prev, now, tt.prev, tt.now)
		}
		if r := f.membership(c.ID, b).ReadSeq; r != tt.now {
			t.Errorf("%s: ReadSeq = %d, want %d", tt.name, r, tt.now)
		}
	}
	if r := f.membership(c.ID, a).ReadSeq; r != 6 {
		t.Errorf("a's ReadSeq = %d, want 6", r)
	}
}

func testSetReadSeqs(t *testing.T, f *fixture) {
	a, b, x := f.user("a"), f.user("b"), f.user("x")
	c, _ := f.group(a, b)
	for i := 0; i < 5; i++ { // last seq 6
		f.send(c.ID, a, fmt.Sprint(i))
	}
	res, err := f.cs.SetReadSeqs(f.ctx, []chat.ReadMove{
		{ConversationID: c.ID, UserID: b, Seq: 3},
		{ConversationID: c.ID, UserID: x, Seq: 3},   // not a member
		{ConversationID: c.ID, UserID: b, Seq: 2},   // never down, sees the first move
		{ConversationID: c.ID, UserID: a, Seq: 100}, // already at the end
		{ConversationID: c.ID, UserID: b, Seq: 100}, // never past the last seq
	})
	must(t, "SetReadSeqs", err)
	want := []chat.ReadMoved{{Found: true, Prev: 1, Now: 3}, {}, {Found: true, Prev: 3, Now: 3},
		{Found: true, Prev: 6, Now: 6}, {Found: true, Prev: 3, Now: 6}}
	if len(res) != len(want) {
		t.Fatalf("SetReadSeqs returned %d results, want %d", len(res), len(want))
	}
	for i := range want {
		if res[i] != want[i] {
			t.Errorf("move %d: got %+v, want %+v", i, res[i], want[i])
		}
	}
	if r := f.membership(c.ID, b).ReadSeq; r != 6 {
		t.Errorf("b's ReadSeq = %d, want 6", r)
	}
}

func testSetMuted(t *testing.T, f *fixture) {
	a, b, x := f.user("a"), f.user("b"), f.user("x")
	c, _ := f.group(a, b)
	if f.membership(c.ID, b).Muted {
		t.Fatal("a new member starts muted")
	}
	must(t, "SetMuted", f.cs.SetMuted(f.ctx, c.ID, b, true))
	if !f.membership(c.ID, b).Muted || f.membership(c.ID, a).Muted {
		t.Fatal("mute did not stick to b alone")
	}
	list, err := f.cs.ConversationsOf(f.ctx, b)
	must(t, "ConversationsOf", err)
	if len(list) != 1 || !list[0].Muted {
		t.Fatalf("ConversationsOf does not show the mute: %+v", list)
	}
	must(t, "SetMuted off", f.cs.SetMuted(f.ctx, c.ID, b, false))
	if f.membership(c.ID, b).Muted {
		t.Fatal("unmute did not stick")
	}
	wantNotFound(t, "SetMuted of a non-member", f.cs.SetMuted(f.ctx, c.ID, x, true))
}

func testBehind(t *testing.T, f *fixture) {
	u := f.users(4)
	c, _ := f.group(u[0], u[1:]...)
	for i := 0; i < 5; i++ { // last seq 6; u[0] has read 6
		f.send(c.ID, u[0], fmt.Sprint(i))
	}
	_, _, err := f.cs.SetReadSeq(f.ctx, c.ID, u[1], 4)
	must(t, "SetReadSeq", err)
	_, _, err = f.cs.SetReadSeq(f.ctx, c.ID, u[2], 6)
	must(t, "SetReadSeq", err)
	// u[3] stays at 1.
	tests := []struct {
		seq  int64
		want map[tack.ID]int64
	}{
		{1, nil},
		{2, map[tack.ID]int64{u[3]: 1}},
		{5, map[tack.ID]int64{u[1]: 4, u[3]: 1}},
		{6, map[tack.ID]int64{u[1]: 4, u[3]: 1}},
		{7, map[tack.ID]int64{u[0]: 6, u[1]: 4, u[2]: 6, u[3]: 1}},
	}
	for _, tt := range tests {
		ps, err := f.cs.Behind(f.ctx, c.ID, tt.seq)
		must(t, "Behind", err)
		got := map[tack.ID]int64{}
		for _, p := range ps {
			got[p.UserID] = p.ReadSeq
			if p.JoinedSeq != 1 {
				t.Errorf("Behind(%d): %s JoinedSeq = %d, want 1", tt.seq, p.UserID, p.JoinedSeq)
			}
		}
		if len(got) != len(tt.want) || len(ps) != len(got) {
			t.Errorf("Behind(%d) = %+v, want %v", tt.seq, ps, tt.want)
			continue
		}
		for id, r := range tt.want {
			if got[id] != r {
				t.Errorf("Behind(%d) = %+v, want %v", tt.seq, ps, tt.want)
				break
			}
		}
	}
}

// testSendersBetween uses only ranges where every system message's sender
// also sent text: whether system events count as "messages" here is left
// open by the contract (the SQLite store counts only text).
func testSendersBetween(t *testing.T, f *fixture) {
	a, b, c := f.user("a"), f.user("b"), f.user("c")
	cv, _ := f.group(a, b, c)
	f.send(cv.ID, a, "2")
	f.send(cv.ID, b, "3")
	f.send(cv.ID, a, "4")
	f.send(cv.ID, c, "5")
	f.send(cv.ID, c, "6")
	tests := []struct {
		from, to int64
		want     []tack.ID
	}{
		{0, 6, []tack.ID{a, b, c}},
		{1, 4, []tack.ID{a, b}},
		{2, 3, []tack.ID{b}},
		{2, 4, []tack.ID{a, b}},
		{4, 6, []tack.ID{c}},
		{4, 4, nil},
		{6, 100, nil},
	}
	for _, tt := range tests {
		got, err := f.cs.SendersBetween(f.ctx, cv.ID, tt.from, tt.to)
		must(t, "SendersBetween", err)
		if !sameIDs(got, tt.want) {
			t.Errorf("SendersBetween(%d, %d) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}

func (f *fixture) sysMsg(conv, actor tack.ID, action string) chat.NewMessage {
	return chat.NewMessage{ConversationID: conv, SenderID: actor, Kind: chat.SystemMessage, CreatedAt: now(),
		System: &chat.System{Action: action, ActorID: actor}}
}

func testApplyChange(t *testing.T, f *fixture) {
	u := f.users(5)
	owner := u[0]
	c, _ := f.group(owner, u[1])
	f.send(c.ID, u[1], "hello") // seq 2
	title := "新标题 New title"
	yes, no := true, false

	type check func(t *testing.T, msg chat.Message)
	tests := []struct {
		name   string
		change chat.Change
		check  check
	}{
		{"add", chat.Change{Add: []chat.Membership{
			{UserID: u[2], Role: chat.Member, JoinedAt: now()},
			{UserID: u[3], Role: chat.Admin, JoinedAt: now()},
		}}, func(t *testing.T, msg chat.Message) {
			for _, id := range []tack.ID{u[2], u[3]} {
				m := f.membership(c.ID, id)
				if m.JoinedSeq != msg.Seq || m.ReadSeq != msg.Seq {
					t.Errorf("new member JoinedSeq, ReadSeq = %d, %d; want %d", m.JoinedSeq, m.ReadSeq, msg.Seq)
				}
			}
			if r := f.membership(c.ID, u[3]).Role; r != chat.Admin {
				t.Errorf("new admin's role = %q", r)
			}
			if n := f.conv(c.ID).MemberCount; n != 4 {
				t.Errorf("MemberCount = %d, want 4", n)
			}
			// The old members' positions are untouched.
			if r := f.membership(c.ID, u[1]).ReadSeq; r != 2 {
				t.Errorf("old member's ReadSeq = %d, want 2", r)
			}
		}},
		{"remove", chat.Change{Remove: []tack.ID{u[2]}}, func(t *testing.T, msg chat.Message) {
			_, err := f.cs.Membership(f.ctx, c.ID, u[2])
			wantNotFound(t, "Membership of a removed member", err)
			if n := f.conv(c.ID).MemberCount; n != 3 {
				t.Errorf("MemberCount = %d, want 3", n)
			}
			list, err := f.cs.ConversationsOf(f.ctx, u[2])
			must(t, "ConversationsOf", err)
			if len(list) != 0 {
				t.Errorf("removed member still lists %d conversations", len(list))
			}
		}},
		{"roles", chat.Change{Roles: map[tack.ID]string{u[1]: chat.Admin, u[3]: chat.Member}}, func(t *testing.T, msg chat.Message) {
			if r := f.membership(c.ID, u[1]).Role; r != chat.Admin {
				t.Errorf("role = %q, want admin", r)
			}
			if r := f.membership(c.ID, u[3]).Role; r != chat.Member {
				t.Errorf("role = %q, want member", r)
			}
		}},
		{"owner", chat.Change{OwnerID: u[1], Roles: map[tack.ID]string{u[1]: chat.Owner, owner: chat.Admin}}, func(t *testing.T, msg chat.Message) {
			if o := f.conv(c.ID).OwnerID; o != u[1] {
				t.Errorf("OwnerID = %s, want %s", o, u[1])
			}
			if r := f.membership(c.ID, u[1]).Role; r != chat.Owner {
				t.Errorf("new owner's role = %q", r)
			}
		}},
		{"title", chat.Change{Title: &title}, func(t *testing.T, msg chat.Message) {
			if got := f.conv(c.ID).Title; got != title {
				t.Errorf("Title = %q, want %q", got, title)
			}
		}},
		{"mute", chat.Change{MuteAll: &yes}, func(t *testing.T, msg chat.Message) {
			if !f.conv(c.ID).MuteAll {
				t.Error("MuteAll not set")
			}
		}},
		{"unmute", chat.Change{MuteAll: &no}, func(t *testing.T, msg chat.Message) {
			if f.conv(c.ID).MuteAll {
				t.Error("MuteAll still set")
			}
		}},
		{"add and remove at once", chat.Change{Add: []chat.Membership{{UserID: u[4], Role: chat.Member, JoinedAt: now()}},
			Remove: []tack.ID{u[3]}}, func(t *testing.T, msg chat.Message) {
			if m := f.membership(c.ID, u[4]); m.JoinedSeq != msg.Seq {
				t.Errorf("JoinedSeq = %d, want %d", m.JoinedSeq, msg.Seq)
			}
			_, err := f.cs.Membership(f.ctx, c.ID, u[3])
			wantNotFound(t, "Membership of a removed member", err)
			if n := f.conv(c.ID).MemberCount; n != 3 {
				t.Errorf("MemberCount = %d, want 3", n)
			}
		}},
		{"rejoin", chat.Change{Add: []chat.Membership{{UserID: u[2], Role: chat.Member, JoinedAt: now()}}}, func(t *testing.T, msg chat.Message) {
			if m := f.membership(c.ID, u[2]); m.JoinedSeq != msg.Seq || m.ReadSeq != msg.Seq {
				t.Errorf("rejoined member JoinedSeq, ReadSeq = %d, %d; want %d", m.JoinedSeq, m.ReadSeq, msg.Seq)
			}
			if n := f.conv(c.ID).MemberCount; n != 4 {
				t.Errorf("MemberCount = %d, want 4", n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.conv(c.ID)
			ch := tt.change
			ch.ConversationID = c.ID
			ch.System = f.sysMsg(c.ID, owner, tt.name)
			msg, err := f.cs.ApplyChange(f.ctx, ch)
			must(t, "ApplyChange", err)
			want := fromNew(ch.System, before.LastSeq+1, before.LastMod+1)
			sameMessage(t, "ApplyChange message", msg, want)
			sameMessage(t, "ApplyChange message read back", f.message(c.ID, msg.Seq), want)
			after := f.conv(c.ID)
			if after.LastSeq != msg.Seq || after.LastMod != msg.Mod {
				t.Errorf("LastSeq, LastMod = %d, %d; want %d, %d", after.LastSeq, after.LastMod, msg.Seq, msg.Mod)
			}
			tt.check(t, msg)
		})
	}
}

// testApplyChangeAtomic: a change that fails leaves no trace. Adding a user
// who does not exist is the failure used; a store without foreign keys may
// accept it, and then there is nothing to check.
func testApplyChangeAtomic(t *testing.T, f *fixture) {
	a, b := f.user("a"), f.user("b")
	c, _ := f.group(a, b)
	title := "should not stick"
	before := f.conv(c.ID)
	_, err := f.cs.ApplyChange(f.ctx, chat.Change{ConversationID: c.ID, Title: &title, Remove: []tack.ID{b},
		Add:    []chat.Membership{{UserID: tack.NewID(), Role: chat.Member, JoinedAt: now()}},
		System: f.sysMsg(c.ID, a, "added")})
	if err == nil {
		t.Skip("the store accepts members that are not users; no failure to check atomicity with")
	}
	after := f.conv(c.ID)
	if after != before {
		t.Errorf("failed ApplyChange changed the conversation:\n %+v\nto\n %+v", before, after)
	}
	if _, err := f.cs.Membership(f.ctx, c.ID, b); err != nil {
		t.Errorf("failed ApplyChange removed a member: %v", err)
	}
	if ms := f.messages(c.ID, 1, 0, 10); len(ms) != 0 {
		t.Errorf("failed ApplyChange stored messages %v", seqs(ms))
	}
}

func testConversationsOf(t *testing.T, f *fixture) {
	me, bob, carol, stranger := f.user("me"), f.user("bob"), f.user("carol"), f.user("stranger")
	g1, _ := f.group(me, bob)
	d, err := f.direct(carol, me)
	must(t, "direct", err)
	g2, _ := f.group(bob, me, carol)
	f.group(stranger, bob) // not mine

	// Activity: g1 gets two messages, then d one; g2 only its creation.
	f.send(g1.ID, bob, "g1 first")
	f.send(g1.ID, bob, "g1 second")
	last := f.send(d.ID, carol, "你好")
	_, _, err = f.cs.SetReadSeq(f.ctx, g1.ID, me, 2)
	must(t, "SetReadSeq", err)

	list, err := f.cs.ConversationsOf(f.ctx, me)
	must(t, "ConversationsOf", err)
	var ids []tack.ID
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if want := []tack.ID{d.ID, g1.ID, g2.ID}; !slices.Equal(ids, want) {
		t.Fatalf("ConversationsOf order = %v, want %v (newest activity first)", ids, want)
	}
	dc, g1c, g2c := list[0], list[1], list[2]
	if dc.Kind != chat.Direct || dc.Peer != carol || dc.Unread != 1 || dc.ReadSeq != 1 || dc.Role != chat.Member {
		t.Errorf("direct view = %+v, want peer %s, unread 1", dc, carol)
	}
	if dc.LastMessage == nil {
		t.Errorf("direct has no LastMessage")
	} else {
		sameMessage(t, "LastMessage", *dc.LastMessage, last)
		stored(t, "LastMessage", *dc.LastMessage)
	}
	if g1c.LastSeq != 3 || g1c.ReadSeq != 2 || g1c.Unread != 1 || g1c.Role != chat.Owner || g1c.Peer != "" || g1c.MemberCount != 2 {
		t.Errorf("group view = %+v, want last 3, read 2, unread 1, owner", g1c)
	}
	if g1c.LastMessage == nil || g1c.LastMessage.Text != "g1 second" {
		t.Errorf("group LastMessage = %+v", g1c.LastMessage)
	}
	if g2c.Unread != 0 || g2c.Role != chat.Member || g2c.LastMessage == nil || g2c.LastMessage.Kind != chat.SystemMessage {
		t.Errorf("new group view = %+v, LastMessage %+v", g2c, g2c.LastMessage)
	}
	if g2c.Title != "项目组 Project" || g2c.MemberCount != 3 || g2c.LastMod != 1 {
		t.Errorf("new group view = %+v", g2c)
	}
	sameTime(t, "CreatedAt", g2c.CreatedAt, g2.CreatedAt)

	// A new message moves g2 to the top; a read does not reorder.
	f.send(g2.ID, carol, "top")
	_, _, err = f.cs.SetReadSeq(f.ctx, g1.ID, me, 3)
	must(t, "SetReadSeq", err)
	list, err = f.cs.ConversationsOf(f.ctx, me)
	must(t, "ConversationsOf", err)
	ids = ids[:0]
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if want := []tack.ID{g2.ID, d.ID, g1.ID}; !slices.Equal(ids, want) {
		t.Errorf("ConversationsOf order = %v, want %v", ids, want)
	}
	if list[2].Unread != 0 {
		t.Errorf("unread after reading all = %d", list[2].Unread)
	}

	none, err := f.cs.ConversationsOf(f.ctx, f.user("lonely"))
	must(t, "ConversationsOf", err)
	if len(none) != 0 {
		t.Errorf("new user has %d conversations", len(none))
	}
}

func testConversationMods(t *testing.T, f *fixture) {
	me, bob := f.user("me"), f.user("bob")
	g1, _ := f.group(me, bob)
	g2, _ := f.group(bob, me)
	g3, _ := f.group(bob)
	f.send(g1.ID, bob, "x")
	f.send(g1.ID, bob, "y")
	_, err := f.cs.EditMessage(f.ctx, g1.ID, 2, "edited", nil, false, now())
	must(t, "EditMessage", err)
	f.send(g3.ID, bob, "not mine")
	got, err := f.cs.ConversationMods(f.ctx, me)
	must(t, "ConversationMods", err)
	want := map[tack.ID]int64{g1.ID: 4, g2.ID: 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ConversationMods = %v, want %v", got, want)
	}
	got, err = f.cs.ConversationMods(f.ctx, f.user("lonely"))
	must(t, "ConversationMods", err)
	if len(got) != 0 {
		t.Errorf("ConversationMods of a new user = %v", got)
	}
}

// Many streams start at once (a reconnect storm): each user's list and
// mods, asked for concurrently (a store may answer them together), are
// exactly what they are when asked alone, and every asker owns its answer
// (the same user asked for twice gets two lists, not one shared).
func testConversationsTogether(t *testing.T, f *fixture) {
	u := f.users(6)
	g, _ := f.group(u[0], u[1], u[2])
	d, err := f.direct(u[1], u[3])
	must(t, "direct", err)
	sc := chat.Conversation{ID: tack.NewID(), Kind: chat.Secret, CreatedAt: now()}
	_, err = f.cs.CreateConversation(f.ctx, sc,
		[]chat.Membership{{UserID: u[2], Role: chat.Member, JoinedAt: now()}, {UserID: u[4], Role: chat.Member, JoinedAt: now()}},
		chat.NewMessage{ConversationID: sc.ID, SenderID: u[2], Kind: chat.SystemMessage, CreatedAt: now(),
			System: &chat.System{Action: "created", ActorID: u[2], Users: []tack.ID{u[4]}}})
	must(t, "secret", err)
	f.send(g.ID, u[2], "g")
	f.send(d.ID, u[3], "d")
	f.send(sc.ID, u[4], "s")
	// u[5] has none.
	lists := map[tack.ID][]chat.Conversation{}
	mods := map[tack.ID]map[tack.ID]int64{}
	for _, id := range u {
		l, err := f.cs.ConversationsOf(f.ctx, id)
		must(t, "ConversationsOf", err)
		m, err := f.cs.ConversationMods(f.ctx, id)
		must(t, "ConversationMods", err)
		lists[id], mods[id] = l, m
	}
	if len(lists[u[1]]) != 2 || lists[u[3]][0].Peer != u[1] || lists[u[4]][0].Peer != u[2] || len(lists[u[5]]) != 0 || lists[u[5]] == nil {
		t.Fatalf("alone: %+v", lists)
	}
	const rounds = 8
	var wg sync.WaitGroup
	gotLists := make([][]chat.Conversation, rounds*len(u))
	gotMods := make([]map[tack.ID]int64, rounds*len(u))
	for i := range gotLists {
		wg.Go(func() {
			var err error
			if gotLists[i], err = f.cs.ConversationsOf(f.ctx, u[i%len(u)]); err != nil {
				t.Errorf("ConversationsOf together: %v", err)
			}
			if gotMods[i], err = f.cs.ConversationMods(f.ctx, u[i%len(u)]); err != nil {
				t.Errorf("ConversationMods together: %v", err)
			}
		})
	}
	wg.Wait()
	for i := range gotLists {
		id := u[i%len(u)]
		if !reflect.DeepEqual(gotLists[i], lists[id]) {
			t.Fatalf("list of user %d together = %+v, alone %+v", i%len(u), gotLists[i], lists[id])
		}
		if !reflect.DeepEqual(gotMods[i], mods[id]) {
			t.Fatalf("mods of user %d together = %v, alone %v", i%len(u), gotMods[i], mods[id])
		}
	}
	// Each asker owns its answer.
	for i := range gotLists {
		for j := i + len(u); j < len(gotLists); j += len(u) {
			if len(gotLists[i]) > 0 && &gotLists[i][0] == &gotLists[j][0] {
				t.Fatalf("two askers of user %d share one list", i%len(u))
			}
			if len(gotLists[i]) > 0 && gotLists[i][0].LastMessage != nil && gotLists[i][0].LastMessage == gotLists[j][0].LastMessage {
				t.Fatalf("two askers of user %d share one last message", i%len(u))
			}
		}
	}
}

func testMembersAmong(t *testing.T, f *fixture) {
	u := f.users(4)
	c, _ := f.group(u[0], u[1], u[2])
	tests := []struct {
		ask, want []tack.ID
	}{
		{nil, nil},
		{[]tack.ID{u[3]}, nil},
		{[]tack.ID{u[1], u[3], tack.NewID()}, []tack.ID{u[1]}},
		{u, u[:3]},
		{append(manyIDs(1200), u[2]), []tack.ID{u[2]}},
	}
	for _, tt := range tests {
		got, err := f.cs.MembersAmong(f.ctx, c.ID, tt.ask)
		must(t, "MembersAmong", err)
		if !sameIDs(got, tt.want) {
			t.Errorf("MembersAmong(%d ids) = %v, want %v", len(tt.ask), got, tt.want)
		}
	}
}

// testSearchUsers covers account.Store.SearchUsers, which needs shared
// conversations.
func testSearchUsers(t *testing.T, f *fixture) {
	mk := func(name, login string) account.User {
		u := account.User{ID: tack.NewID(), Login: login, Name: name, CreatedAt: now()}
		must(t, "CreateUser", f.as.CreateUser(f.ctx, u, "h"))
		return u
	}
	me := mk("Zed Me", uniqueLogin("me"))
	alice := mk("Alice Wong", uniqueLogin("aw"))
	alice2 := mk("alice b", uniqueLogin("ab"))
	bob := mk("Bob", "bob."+string(tack.NewID())+"@example.com")
	zhang := mk("张伟", uniqueLogin("zw"))
	pct := mk("100% Real", uniqueLogin("pc"))
	under := mk("a_b", uniqueLogin("us"))
	stranger := mk("Alice Stranger", uniqueLogin("st"))
	f.group(me.ID, alice.ID, alice2.ID, bob.ID)
	f.group(zhang.ID, me.ID, pct.ID, under.ID)
	f.group(stranger.ID, bob.ID) // shares nothing with me

	tests := []struct {
		name string
		q    account.UserQuery
		want []tack.ID
	}{
		{"name prefix, any case", account.UserQuery{Text: "ali"}, []tack.ID{alice.ID, alice2.ID}},
		{"upper-case query", account.UserQuery{Text: "ALICE W"}, []tack.ID{alice.ID}},
		{"not a prefix", account.UserQuery{Text: "wong"}, nil},
		{"login prefix", account.UserQuery{Text: "bob."}, []tack.ID{bob.ID}},
		{"chinese", account.UserQuery{Text: "张"}, []tack.ID{zhang.ID}},
		{"percent is literal", account.UserQuery{Text: "100%"}, []tack.ID{pct.ID}},
		{"percent is not a wildcard", account.UserQuery{Text: "1%"}, nil},
		{"underscore is not a wildcard", account.UserQuery{Text: "a_"}, []tack.ID{under.ID}},
		{"exact login of a stranger", account.UserQuery{Text: "alice", Login: stranger.Login}, []tack.ID{alice.ID, alice2.ID, stranger.ID}},
		{"limit", account.UserQuery{Text: "ali", Limit: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.SharingWith = me.ID
			if q.Limit == 0 {
				q.Limit = 50
			}
			list, err := f.as.SearchUsers(f.ctx, q)
			must(t, "SearchUsers", err)
			var got []tack.ID
			for _, u := range list {
				got = append(got, u.ID)
			}
			if tt.name == "limit" {
				if len(got) != 1 || (got[0] != alice.ID && got[0] != alice2.ID) {
					t.Errorf("SearchUsers with limit 1 = %v", got)
				}
				return
			}
			if !sameIDs(got, tt.want) {
				t.Errorf("SearchUsers(%+v) = %v, want %v", q, got, tt.want)
			}
		})
	}
}

// testText: text of any script and size up to the limit, and times,
// come back exactly.
func testText(t *testing.T, f *fixture) {
	a := f.user("a")
	c, _ := f.group(a)
	texts := []string{
		"会议",
		"明天上午10点在3楼会议室开周会，请@所有人准时参加！",
		"繁體中文、日本語のテキスト、한국어",
		"emoji 👨‍👩‍👧‍👦 🇨🇳 and combining é",
		"line one\nline two\ttabbed\r\n",
		"quotes ' \" ` and backslash \\ and percent % and underscore _",
		strings.Repeat("长", chat.MaxTextRunes),
		"<b>粗体</b> & <i>x</i> \u2028 \u2029 \\u0041",
		"12345",
		"null",
	}
	for _, text := range texts {
		nm := f.text(c.ID, a, text)
		nm.CreatedAt = time.Date(2026, 2, 17, 23, 59, 59, 123456000, cst) // Chinese new year's eve, in CST
		res, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
		must(t, "Append", err)
		got := f.message(c.ID, res[0].Message.Seq)
		if got.Text != text {
			t.Errorf("text %q came back as %q", short(text), short(got.Text))
		}
		sameTime(t, "CreatedAt", got.CreatedAt, nm.CreatedAt)
	}
	// The same texts in one batch (stored by one statement for the batch).
	batch := make([]chat.NewMessage, len(texts))
	for i, text := range texts {
		batch[i] = f.text(c.ID, a, text)
	}
	res, err := f.cs.Append(f.ctx, batch)
	must(t, "Append batch", err)
	for i, r := range res {
		if got := f.message(c.ID, r.Message.Seq); got.Text != texts[i] || got.ClientID != batch[i].ClientID {
			t.Errorf("batched text %q came back as %q (client ID %q, want %q)", short(texts[i]), short(got.Text), got.ClientID, batch[i].ClientID)
		}
	}
	title := "标题 ✨"
	_, err = f.cs.ApplyChange(f.ctx, chat.Change{ConversationID: c.ID, Title: &title, System: f.sysMsg(c.ID, a, "renamed")})
	must(t, "ApplyChange", err)
	if got := f.conv(c.ID).Title; got != title {
		t.Errorf("title = %q, want %q", got, title)
	}
}

func short(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

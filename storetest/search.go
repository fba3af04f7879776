package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
)

// TestSearchStore runs the search.Store conformance tests. open must return
// new, empty stores for each call; the chat store writes the messages the
// search store finds (the index is kept in the same transaction).
//
// Decisions where search.Index's comments are silent: hits come newest
// first by Key, and an edit keeps the message's Key; a member sees messages
// from the system event that added them on (seq >= JoinedSeq); times come
// back in UTC.
func TestSearchStore(t *testing.T, open func(t *testing.T) (account.Store, chat.Store, search.Store)) {
	tests := []struct {
		name string
		fn   func(*testing.T, *fixture, search.Store)
	}{
		{"ChineseAndEnglish", testSearchChineseAndEnglish},
		{"NewestFirstAndPaging", testSearchPaging},
		{"Visibility", testSearchVisibility},
		{"EditAndRecall", testSearchEditRecall},
		{"Filters", testSearchFilters},
		{"NeverSecret", testSearchNeverSecret},
		{"Batch", testSearchBatch},
		{"IsMember", testSearchIsMember},
		{"Rebuild", testSearchRebuild},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, cs, ss := open(t)
			tt.fn(t, &fixture{t: t, as: as, cs: cs, ctx: context.Background()}, ss)
		})
	}
}

// find runs a parsed query for member and returns the hits' seqs.
func find(t *testing.T, ss search.Store, member tack.ID, q string, mod func(*search.Find)) []search.Hit {
	t.Helper()
	pq, err := search.Parse(q)
	must(t, "Parse", err)
	f := search.Find{Terms: pq.Terms, MemberID: member, Limit: 50}
	if mod != nil {
		mod(&f)
	}
	hits, err := ss.SearchMessages(context.Background(), f)
	must(t, "SearchMessages", err)
	for _, h := range hits {
		if h.CreatedAt.Location() != time.UTC {
			t.Errorf("hit CreatedAt in %v, want UTC", h.CreatedAt.Location())
		}
	}
	return hits
}

func hitSeqs(hs []search.Hit) []int64 {
	out := []int64{}
	for _, h := range hs {
		out = append(out, h.Seq)
	}
	return out
}

func wantSeqs(t *testing.T, what string, hs []search.Hit, want ...int64) {
	t.Helper()
	if want == nil {
		want = []int64{}
	}
	if got := hitSeqs(hs); !slices.Equal(got, want) {
		t.Errorf("%s: seqs %v, want %v", what, got, want)
	}
}

func testSearchChineseAndEnglish(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(2)
	c, _ := f.group(u[0], u[1])
	m1 := f.send(c.ID, u[0], "明天下午三点开会议，请准时")           // 2
	f.send(c.ID, u[1], "议会选举")                          // 3: 议会, not 会议
	m3 := f.send(c.ID, u[1], "Meeting notes for Q3 会议") // 4
	f.send(c.ID, u[0], "ＭＥＥＴ ｈｅｒｅ")                     // 5: full width
	wantSeqs(t, "会议", find(t, ss, u[1], "会议", nil), m3.Seq, m1.Seq)
	wantSeqs(t, "会", find(t, ss, u[1], "会", nil), 4, 3, 2)
	wantSeqs(t, "meeting", find(t, ss, u[1], "meeting", nil), 4)
	wantSeqs(t, "meet (prefix)", find(t, ss, u[1], "meet", nil), 5, 4)
	wantSeqs(t, "meet here (no prefix on meet)", find(t, ss, u[1], "meet here", nil), 5)
	wantSeqs(t, "q3 会议", find(t, ss, u[1], "Q3 会议", nil), 4)
	wantSeqs(t, "absent", find(t, ss, u[1], "预算", nil))
	h := find(t, ss, u[0], "notes", nil)
	if len(h) != 1 || h[0].Text != m3.Text || h[0].SenderID != u[1] || h[0].ConversationID != c.ID || !h[0].CreatedAt.Equal(m3.CreatedAt) {
		t.Errorf("hit = %+v, want message %+v", h, m3)
	}
}

func testSearchPaging(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(1)
	c, _ := f.group(u[0])
	for range 7 {
		f.send(c.ID, u[0], "周报 weekly")
	}
	all := find(t, ss, u[0], "周报", nil)
	wantSeqs(t, "all", all, 8, 7, 6, 5, 4, 3, 2)
	for i := 1; i < len(all); i++ {
		if all[i].Key >= all[i-1].Key {
			t.Fatalf("keys not descending: %d then %d", all[i-1].Key, all[i].Key)
		}
	}
	p1 := find(t, ss, u[0], "weekly", func(f *search.Find) { f.Limit = 3 })
	wantSeqs(t, "page 1", p1, 8, 7, 6)
	p2 := find(t, ss, u[0], "weekly", func(f *search.Find) { f.Limit = 3; f.Before = p1[2].Key })
	wantSeqs(t, "page 2", p2, 5, 4, 3)
	p3 := find(t, ss, u[0], "weekly", func(f *search.Find) { f.Limit = 3; f.Before = p2[2].Key })
	wantSeqs(t, "page 3", p3, 2)
}

func testSearchVisibility(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(4)
	c, _ := f.group(u[0], u[1])
	f.send(c.ID, u[0], "预算 budget one") // 2
	other, _ := f.group(u[3])
	f.send(other.ID, u[3], "预算 budget elsewhere")
	wantSeqs(t, "a member", find(t, ss, u[1], "预算", nil), 2)
	wantSeqs(t, "a non-member", find(t, ss, u[2], "预算", nil))
	// u[2] joins: the system event is seq 3, and they see from there on.
	_, err := f.cs.ApplyChange(f.ctx, chat.Change{ConversationID: c.ID,
		Add:    []chat.Membership{{UserID: u[2], Role: chat.Member, JoinedAt: now()}},
		System: chat.NewMessage{ConversationID: c.ID, SenderID: u[0], Kind: chat.SystemMessage, CreatedAt: now(), System: &chat.System{Action: "added", ActorID: u[0], Users: []tack.ID{u[2]}}}})
	must(t, "ApplyChange", err)
	f.send(c.ID, u[0], "预算 budget two") // 4
	wantSeqs(t, "a later joiner", find(t, ss, u[2], "budget", nil), 4)
	wantSeqs(t, "an early member", find(t, ss, u[1], "budget", nil), 4, 2)
	// u[1] is removed: nothing.
	_, err = f.cs.ApplyChange(f.ctx, chat.Change{ConversationID: c.ID, Remove: []tack.ID{u[1]},
		System: chat.NewMessage{ConversationID: c.ID, SenderID: u[0], Kind: chat.SystemMessage, CreatedAt: now(), System: &chat.System{Action: "removed", ActorID: u[0], Users: []tack.ID{u[1]}}}})
	must(t, "ApplyChange", err)
	wantSeqs(t, "a removed member", find(t, ss, u[1], "budget", nil))
}

func testSearchEditRecall(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(1)
	c, _ := f.group(u[0])
	m := f.send(c.ID, u[0], "旧的文字 old words")
	f.send(c.ID, u[0], "later 文字")
	before := find(t, ss, u[0], "旧的", nil)
	wantSeqs(t, "before the edit", before, m.Seq)
	_, err := f.cs.EditMessage(f.ctx, c.ID, m.Seq, "新的文字 new words", nil, false, now())
	must(t, "EditMessage", err)
	wantSeqs(t, "the old text", find(t, ss, u[0], "旧的", nil))
	wantSeqs(t, "the old word", find(t, ss, u[0], "old", nil))
	after := find(t, ss, u[0], "新的", nil)
	wantSeqs(t, "the new text", after, m.Seq)
	if len(after) == 1 && len(before) == 1 && after[0].Key != before[0].Key {
		t.Errorf("an edit changed the key: %d to %d", before[0].Key, after[0].Key)
	}
	if len(after) == 1 && after[0].Text != "新的文字 new words" {
		t.Errorf("hit text = %q", after[0].Text)
	}
	wantSeqs(t, "文字 before the recall", find(t, ss, u[0], "文字", nil), 3, 2)
	_, err = f.cs.RecallMessage(f.ctx, c.ID, m.Seq, u[0])
	must(t, "RecallMessage", err)
	wantSeqs(t, "文字 after the recall", find(t, ss, u[0], "文字", nil), 3)
	wantSeqs(t, "new after the recall", find(t, ss, u[0], "new", nil))
}

func testSearchFilters(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(2)
	c1, _ := f.group(u[0], u[1])
	c2, _ := f.group(u[0], u[1])
	a := f.send(c1.ID, u[0], "合同 contract A") // c1 2
	mid := now()
	f.send(c2.ID, u[1], "合同 contract B") // c2 2
	f.send(c1.ID, u[1], "合同 contract C") // c1 3
	wantSeqs(t, "conversation c1", find(t, ss, u[0], "合同", func(f *search.Find) { f.ConversationID = c1.ID }), 3, 2)
	wantSeqs(t, "sender u0", find(t, ss, u[0], "合同", func(f *search.Find) { f.SenderID = u[0] }), 2)
	h := find(t, ss, u[0], "合同", func(f *search.Find) { f.To = mid })
	if len(h) != 1 || h[0].ConversationID != c1.ID || h[0].Seq != a.Seq {
		t.Errorf("to: %+v", h)
	}
	h = find(t, ss, u[0], "合同", func(f *search.Find) { f.From = mid })
	if len(h) != 2 {
		t.Errorf("from: %d hits, want 2", len(h))
	}
	h = find(t, ss, u[0], "合同", func(f *search.Find) { f.From = a.CreatedAt; f.To = a.CreatedAt.Add(time.Microsecond) })
	if len(h) != 1 || h[0].Seq != a.Seq || h[0].ConversationID != c1.ID {
		t.Errorf("from inclusive, to exclusive: %+v", h)
	}
}

func testSearchNeverSecret(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(2)
	at := now()
	c := chat.Conversation{ID: tack.NewID(), Kind: "secret", CreatedAt: at}
	ms := []chat.Membership{{UserID: u[0], Role: chat.Member, JoinedAt: at}, {UserID: u[1], Role: chat.Member, JoinedAt: at}}
	_, err := f.cs.CreateConversation(f.ctx, c, ms, chat.NewMessage{ConversationID: c.ID, SenderID: u[0], Kind: chat.SystemMessage,
		CreatedAt: at, System: &chat.System{Action: "created", ActorID: u[0], Users: []tack.ID{u[1]}}})
	must(t, "CreateConversation", err)
	m := f.send(c.ID, u[0], "密码是 secret 1234")
	wantSeqs(t, "a secret chat", find(t, ss, u[1], "密码", nil))
	_, err = f.cs.EditMessage(f.ctx, c.ID, m.Seq, "密码是 secret 5678", nil, false, now())
	must(t, "EditMessage", err)
	wantSeqs(t, "an edited secret message", find(t, ss, u[1], "secret", nil))
	// System events are not indexed either.
	g, _ := f.group(u[0], u[1])
	title := "机密项目"
	_, err = f.cs.ApplyChange(f.ctx, chat.Change{ConversationID: g.ID, Title: &title,
		System: chat.NewMessage{ConversationID: g.ID, SenderID: u[0], Kind: chat.SystemMessage, Text: "改名 机密项目", CreatedAt: now(), System: &chat.System{Action: "renamed", ActorID: u[0], Title: title}}})
	must(t, "ApplyChange", err)
	wantSeqs(t, "a system event", find(t, ss, u[1], "机密", nil))
}

func testSearchBatch(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(2)
	c1, _ := f.group(u[0], u[1])
	c2, _ := f.group(u[1], u[0])
	batch := []chat.NewMessage{f.text(c1.ID, u[0], "批量 one"), f.text(c2.ID, u[1], "批量 two"), f.text(c1.ID, u[1], "批量 three")}
	res, err := f.cs.Append(f.ctx, batch)
	must(t, "Append", err)
	// A retry of the batch is all duplicates and indexes nothing twice.
	_, err = f.cs.Append(f.ctx, batch)
	must(t, "Append again", err)
	h := find(t, ss, u[0], "批量", nil)
	if len(h) != 3 {
		t.Fatalf("batch: %d hits, want 3", len(h))
	}
	if h[0].Seq != res[2].Message.Seq || h[0].ConversationID != c1.ID || h[2].Text != "批量 one" {
		t.Errorf("batch hits = %+v", h)
	}
}

func testSearchIsMember(t *testing.T, f *fixture, ss search.Store) {
	u := f.users(2)
	c, _ := f.group(u[0])
	for _, tc := range []struct {
		conv, user tack.ID
		want       bool
	}{{c.ID, u[0], true}, {c.ID, u[1], false}, {tack.NewID(), u[0], false}} {
		got, err := ss.IsMember(f.ctx, tc.conv, tc.user)
		must(t, "IsMember", err)
		if got != tc.want {
			t.Errorf("IsMember(%s, %s) = %v, want %v", tc.conv, tc.user, got, tc.want)
		}
	}
}

// testSearchRebuild: a store that can rebuild its index (what its migration
// does for a database that already holds messages) indexes the same
// messages as it does when they are written, in time order.
func testSearchRebuild(t *testing.T, f *fixture, ss search.Store) {
	rs, ok := ss.(interface {
		RebuildSearch(ctx context.Context) error
	})
	if !ok {
		t.Skip("the store does not rebuild its index")
	}
	u := f.users(2)
	c1, _ := f.group(u[0], u[1])
	c2, _ := f.group(u[1], u[0])
	at := now()
	sc := chat.Conversation{ID: tack.NewID(), Kind: "secret", CreatedAt: at}
	_, err := f.cs.CreateConversation(f.ctx, sc, []chat.Membership{{UserID: u[0], Role: chat.Member, JoinedAt: at}, {UserID: u[1], Role: chat.Member, JoinedAt: at}},
		chat.NewMessage{ConversationID: sc.ID, SenderID: u[0], Kind: chat.SystemMessage, CreatedAt: at, System: &chat.System{Action: "created", ActorID: u[0]}})
	must(t, "CreateConversation", err)
	a := f.send(c1.ID, u[0], "重建 one")
	gone := f.send(c2.ID, u[1], "重建 recalled")
	f.send(sc.ID, u[0], "重建 secret")
	b := f.send(c2.ID, u[1], "重建 two")
	_, err = f.cs.RecallMessage(f.ctx, c2.ID, gone.Seq, u[1])
	must(t, "RecallMessage", err)
	before := find(t, ss, u[0], "重建", nil)
	must(t, "RebuildSearch", rs.RebuildSearch(f.ctx))
	after := find(t, ss, u[0], "重建", nil)
	if len(after) != 2 || after[0].Seq != b.Seq || after[0].ConversationID != c2.ID || after[1].Seq != a.Seq || after[1].ConversationID != c1.ID {
		t.Errorf("after a rebuild: %+v (before: %+v)", after, before)
	}
	f.send(c1.ID, u[0], "重建 three")
	if h := find(t, ss, u[0], "重建", nil); len(h) != 3 || h[0].Text != "重建 three" {
		t.Errorf("a message after the rebuild: %+v", h)
	}
}

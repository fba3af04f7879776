package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

func send2(t *testing.T, u *tacktest.User, conv string, d client.Draft) client.Message {
	t.Helper()
	m, err := u.Send(ctxT(t), conv, d)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func searchSeqs(p client.SearchPage) []int64 {
	out := []int64{}
	for _, r := range p.Results {
		out = append(out, r.Seq)
	}
	return out
}

// TestSearch searches Chinese and English through the real server, on
// SQLite and (when TACK_TEST_POSTGRES is set) PostgreSQL: visibility (a
// non-member finds nothing, a later joiner nothing from before they
// joined), recalled and edited text, highlights, grouping, filters, paging
// and bad input.
func TestSearch(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSearch(t, tacktest.NewServer(t)) })
	t.Run("postgres", func(t *testing.T) {
		dsn := freshSchema(asT(t))
		testSearch(t, tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.PostgresURL = dsn })))
	})
}

func testSearch(t *testing.T, srv *tacktest.Server) {
	ctx := ctxT(t)
	zhang := srv.NewUser(t, "张伟")
	li := srv.NewUser(t, "李娜")
	wang := srv.NewUser(t, "王芳") // joins later
	eve := srv.NewUser(t, "Eve") // never a member
	g, err := zhang.CreateConversation(ctx, "group", []string{li.ID}, "项目组")
	if err != nil {
		t.Fatal(err)
	}
	d, err := zhang.CreateConversation(ctx, "direct", []string{li.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	send := func(u *tacktest.User, conv, text string) client.Message {
		t.Helper()
		m, err := u.Send(ctx, conv, client.Draft{ClientID: fmt.Sprint(time.Now().UnixNano()), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	old := send(zhang, string(g.ID), "明天下午三点开会，讨论Q3预算")
	recalled := send(li, string(g.ID), "会议室密码是 8848")
	edited := send(li, string(g.ID), "the budget meeting moved")
	inDirect := send(li, string(d.ID), "会议纪要发你了 meeting notes")
	if _, err := li.Recall(ctx, string(g.ID), recalled.Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := li.Edit(ctx, string(g.ID), edited.Seq, "预算会议改到周五"); err != nil {
		t.Fatal(err)
	}
	if err := zhang.AddMembers(ctx, string(g.ID), []string{wang.ID}); err != nil {
		t.Fatal(err)
	}
	later := send(zhang, string(g.ID), "欢迎王芳！预算表在共享盘")

	// 会议: the edited message and the direct chat; not the recalled one.
	p, err := li.Search(ctx, client.SearchQuery{Q: "会议"})
	if err != nil {
		t.Fatal(err)
	}
	if got := searchSeqs(p); !slices.Equal(got, []int64{inDirect.Seq, edited.Seq}) || p.Results[0].ConversationID != d.ID {
		t.Fatalf("li 会议 = %+v", p.Results)
	}
	if r := p.Results[1]; r.Text != "预算会议改到周五" || len(r.Highlights) != 1 || r.Highlights[0].Start != 2 || r.Highlights[0].End != 4 {
		t.Errorf("edited hit = %+v", r)
	}
	if len(p.Groups) != 2 || p.Groups[0].ConversationID != d.ID || p.Groups[1].ConversationID != g.ID {
		t.Errorf("groups = %+v", p.Groups)
	}
	// The recalled text is found by nobody; the old text of an edit neither.
	for _, q := range []string{"8848", "密码", "moved", "budget meeting"} {
		if p, err := li.Search(ctx, client.SearchQuery{Q: q}); err != nil || len(p.Results) != 0 {
			t.Errorf("li %q = %+v, %v; want nothing", q, p.Results, err)
		}
	}
	// English, case-insensitive, prefix on the last word.
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "MEET"}); err != nil || !slices.Equal(searchSeqs(p), []int64{inDirect.Seq}) ||
		p.Results[0].Highlights[0].Start != 8 {
		t.Errorf("zhang MEET = %+v, %v", p.Results, err)
	}
	// 预算 for the members: three; for the later joiner: only what came after
	// they joined; for a stranger: nothing.
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "预算"}); err != nil || !slices.Equal(searchSeqs(p), []int64{later.Seq, edited.Seq, old.Seq}) {
		t.Errorf("zhang 预算 = %v, %v", searchSeqs(p), err)
	}
	if p, err := wang.Search(ctx, client.SearchQuery{Q: "预算"}); err != nil || !slices.Equal(searchSeqs(p), []int64{later.Seq}) {
		t.Errorf("wang (joined later) 预算 = %v, %v", searchSeqs(p), err)
	}
	if p, err := eve.Search(ctx, client.SearchQuery{Q: "预算"}); err != nil || len(p.Results) != 0 {
		t.Errorf("eve 预算 = %+v, %v", p.Results, err)
	}
	if _, err := eve.Search(ctx, client.SearchQuery{Q: "预算", ConversationID: string(g.ID)}); apiCode(err) != "not_found" {
		t.Errorf("eve in the group: %v, want not_found", err)
	}
	// Filters: conversation, sender, dates.
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "预算", ConversationID: string(g.ID), SenderID: li.ID}); err != nil || !slices.Equal(searchSeqs(p), []int64{edited.Seq}) {
		t.Errorf("by li in the group = %v, %v", searchSeqs(p), err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "预算", From: today, To: today}); err != nil || len(p.Results) != 3 {
		t.Errorf("today = %v, %v", searchSeqs(p), err)
	}
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "预算", From: tomorrow}); err != nil || len(p.Results) != 0 {
		t.Errorf("from tomorrow = %v, %v", searchSeqs(p), err)
	}
	// Paging by cursor: 1 + 1 + 1, then no cursor.
	var all []int64
	cursor := ""
	for range 5 {
		p, err := zhang.Search(ctx, client.SearchQuery{Q: "预算", Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, searchSeqs(p)...)
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(all, []int64{later.Seq, edited.Seq, old.Seq}) {
		t.Errorf("paged = %v", all)
	}
	// A secret chat is never indexed: its text is not found, even by its
	// own two people.
	friends(t, zhang, li)
	sc, err := zhang.CreateConversation(ctx, "secret", []string{li.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	send2(t, zhang, string(sc.ID), client.Draft{ClientID: "secret1", Text: "秘密会议 secretword", BurnAfterS: 30})
	for _, u := range []*tacktest.User{zhang, li} {
		if p, err := u.Search(ctx, client.SearchQuery{Q: "secretword"}); err != nil || len(p.Results) != 0 {
			t.Errorf("a secret message found: %+v, %v", p.Results, err)
		}
	}
	// People on the first page.
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "李娜"}); err != nil || len(p.People) != 1 || p.People[0].ID != li.ID {
		t.Errorf("people 李娜 = %+v, %v", p.People, err)
	}
	// Bad input: precise codes and fields.
	for _, q := range []client.SearchQuery{
		{Q: ""}, {Q: "!!!"}, {Q: "会议", Cursor: "nope"}, {Q: "会议", Limit: 1000}, {Q: "会议", From: "yesterday"},
		{Q: "会议", From: tomorrow, To: today}, {Q: "会议", ConversationID: "x"}, {Q: "会议", SenderID: "bad id"},
	} {
		if _, err := zhang.Search(ctx, q); apiCode(err) != "invalid" {
			t.Errorf("Search(%+v) = %v, want invalid", q, err)
		}
	}
	if err := zhang.Do(ctx, "GET", "/api/v1/search?q=x&has_file=maybe", nil, nil); apiCode(err) != "invalid" {
		t.Errorf("has_file=maybe: %v", err)
	}
	// Only messages with files: the scan of a contract, not the talk of it.
	f := upload(t, li, []byte("%PDF-1.4 contract"), client.UploadOptions{Name: "合同.pdf"})
	withFile := send2(t, li, string(g.ID), client.Draft{ClientID: "file1", Text: "合同扫描件", Attachments: []string{string(f.ID)}})
	send(li, string(g.ID), "合同还没签")
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "合同", HasFile: true}); err != nil || !slices.Equal(searchSeqs(p), []int64{withFile.Seq}) {
		t.Errorf("合同 with a file = %v, %v", searchSeqs(p), err)
	}
	if p, err := zhang.Search(ctx, client.SearchQuery{Q: "合同"}); err != nil || len(p.Results) != 2 {
		t.Errorf("合同 = %v, %v", searchSeqs(p), err)
	}
	anon := client.New(srv.URL)
	if _, err := anon.Search(ctx, client.SearchQuery{Q: "会议"}); apiCode(err) != "unauthorized" {
		t.Errorf("anonymous: %v", err)
	}
}

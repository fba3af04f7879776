package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestSearchFilesByName: a file sent without text is found by its name, in
// Chinese and English, by members of the conversation only; the result
// carries the names.
func TestSearchFilesByName(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a, b, eve := srv.NewUser(t, "甲"), srv.NewUser(t, "乙"), srv.NewUser(t, "eve")
	g := mustDo[client.Conversation](t)(a.CreateConversation(ctx, "group", []string{b.ID}, "项目组"))
	f := mustDo[client.File](t)(a.Upload(ctx, strings.NewReader("plan"), client.UploadOptions{Name: "年度计划 Roadmap.pdf", Size: -1}))
	m := mustDo[client.Message](t)(a.Send(ctx, string(g.ID), client.Draft{ClientID: "f1", Attachments: []string{string(f.ID)}}))
	for _, q := range []string{"年度", "roadmap", "计划 road"} {
		p := mustDo[client.SearchPage](t)(b.Search(ctx, client.SearchQuery{Q: q}))
		if len(p.Results) != 1 || p.Results[0].Seq != m.Seq || !slices.Equal(p.Results[0].Files, []string{"年度计划 Roadmap.pdf"}) {
			t.Errorf("%q: %+v", q, p.Results)
		}
	}
	if p := mustDo[client.SearchPage](t)(eve.Search(ctx, client.SearchQuery{Q: "roadmap"})); len(p.Results) != 0 {
		t.Errorf("an outsider finds the file: %+v", p.Results)
	}
}

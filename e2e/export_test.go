package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// readZip opens an export and returns its files by name.
func readZip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("export is no ZIP: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// orgWithBob makes an organisation of boss with bob as a plain member in a
// department, and returns its ID, the department's ID and bob's member ID.
func orgWithBob(t *testing.T, boss, bob *tacktest.User) (org, dept, bobMember string) {
	ctx := ctxT(t)
	o := mustDo[client.Org](t)(boss.CreateOrg(ctx, "Acme 示例", "Asia/Shanghai"))
	org = string(o.ID)
	d := mustDo[client.Department](t)(boss.CreateDepartment(ctx, org, "", "研发 R&D"))
	inv := mustDo[client.InvitationOut](t)(boss.CreateInvitation(ctx, org, map[string]any{}))
	j := mustDo[client.Joined](t)(bob.AcceptInvitation(ctx, inv.Code))
	mustDo[client.OrgMember](t)(boss.UpdateOrgMember(ctx, org, string(j.Member.ID), map[string]any{"department_ids": []string{string(d.ID)}}))
	return org, string(d.ID), string(j.Member.ID)
}

// TestExport: a member exports their own data (a ZIP of JSON and their
// files, never a secret chat's text); an organisation's owner exports its
// directory and attendance, a plain member may not and an outsider learns
// nothing; bad ranges are refused; every export is logged and an
// organisation's is in its audit log.
func TestExport(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	boss, bob, eve := srv.NewUser(t, "老板"), srv.NewUser(t, "bob 小明"), srv.NewUser(t, "eve")
	org, _, _ := orgWithBob(t, boss, bob)
	all := mustDo[client.OrgGroup](t)(boss.CreateOrgGroup(ctx, org, "", "全员 All"))
	g := string(all.ConversationID)

	mustDo[client.Message](t)(bob.Send(ctx, g, client.Draft{ClientID: "m1", Text: "明天开会 meeting at 3"}))
	f := mustDo[client.File](t)(bob.Upload(ctx, strings.NewReader("季度报告 report body"), client.UploadOptions{Name: "季度报告 Q3.txt", Size: -1}))
	mustDo[client.Message](t)(bob.Send(ctx, g, client.Draft{ClientID: "m2", Text: "见附件", Attachments: []string{string(f.ID)}}))
	mustDo[client.Message](t)(boss.Send(ctx, g, client.Draft{ClientID: "b1", Text: "boss's own words"}))
	sec := mustDo[client.Conversation](t)(bob.CreateConversation(ctx, "secret", []string{boss.ID}, ""))
	mustDo[client.Message](t)(bob.Send(ctx, string(sec.ID), client.Draft{ClientID: "s1", Text: "秘密 burn this", BurnAfterS: 30}))

	var buf bytes.Buffer
	if err := bob.ExportMine(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	files := readZip(t, buf.Bytes())
	for _, name := range []string{"README.txt", "profile.json", "messages.json", "files.json", "attendance.json", "approvals.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("export lacks %s (has %v)", name, keys(files))
		}
	}
	if !bytes.Contains(files["profile.json"], []byte(bob.ID)) || !bytes.Contains(files["profile.json"], []byte(org)) {
		t.Errorf("profile.json: %s", files["profile.json"])
	}
	var raw []map[string]any
	if err := json.Unmarshal(files["messages.json"], &raw); err != nil {
		t.Fatalf("messages.json: %v\n%s", err, files["messages.json"])
	}
	var texts []string
	for _, m := range raw {
		texts = append(texts, m["text"].(string))
	}
	slices.Sort(texts)
	if !slices.Equal(texts, []string{"明天开会 meeting at 3", "见附件"}) {
		t.Errorf("exported messages %q: want bob's two, not the boss's, not the secret one", texts)
	}
	if bytes.Contains(buf.Bytes(), []byte("秘密")) {
		t.Error("a secret chat's text is in the export")
	}
	if got := files["files/"+string(f.ID)+"-"+f.Name]; string(got) != "季度报告 report body" {
		t.Errorf("uploaded file in the export = %q (files %v)", got, keys(files))
	}
	if rs := mustDo[[]client.ExportRecord](t)(bob.Exports(ctx, "")); len(rs) != 1 || rs[0].Kind != "mine" || rs[0].UserID != bob.ID {
		t.Errorf("bob's exports: %+v", rs)
	}

	// The organisation's export.
	if err := eve.ExportOrg(ctx, org, "", "", io.Discard); apiCode(err) != "not_found" {
		t.Errorf("an outsider's organisation export: %v", err)
	}
	if err := bob.ExportOrg(ctx, org, "", "", io.Discard); apiCode(err) != "forbidden" {
		t.Errorf("a plain member's organisation export: %v", err)
	}
	for _, c := range [][2]string{{"2026-13-01", ""}, {"", "yesterday"}, {"2026-01-01", "2026-06-01"}, {"2026-03-02", "2026-03-01"}} {
		if err := boss.ExportOrg(ctx, org, c[0], c[1], io.Discard); apiCode(err) != "invalid" {
			t.Errorf("range %v: %v, want invalid", c, err)
		}
	}
	buf.Reset()
	if err := boss.ExportOrg(ctx, org, "2026-03-01", "2026-03-31", &buf); err != nil {
		t.Fatal(err)
	}
	files = readZip(t, buf.Bytes())
	for _, name := range []string{"organisation.json", "departments.json", "members.json", "attendance.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("organisation export lacks %s", name)
		}
	}
	if !bytes.Contains(files["members.json"], []byte("bob 小明")) || !bytes.Contains(files["departments.json"], []byte("研发 R&D")) {
		t.Errorf("directory export: %s %s", files["members.json"], files["departments.json"])
	}
	if _, err := bob.Exports(ctx, org); apiCode(err) != "forbidden" {
		t.Errorf("a plain member lists the organisation's exports: %v", err)
	}
	if rs := mustDo[[]client.ExportRecord](t)(boss.Exports(ctx, org)); len(rs) != 1 || rs[0].Kind != "org" || rs[0].UserID != boss.ID {
		t.Errorf("organisation exports: %+v", rs)
	}
	if rs := mustDo[[]client.ExportRecord](t)(boss.Exports(ctx, "")); len(rs) != 0 {
		t.Errorf("the boss's own exports: %+v", rs)
	}
	log, _, err := boss.AuditLog(ctx, org, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log {
		found = found || (e.Action == "org.export" && string(e.ActorID) == boss.ID)
	}
	if !found {
		t.Errorf("no org.export in the audit log: %+v", log)
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func texts(t *testing.T, u *tacktest.User, conv string) []string {
	t.Helper()
	ms := mustDo[[]client.Message](t)(u.History(ctxT(t), conv, 0, 0, 100))
	var out []string
	for _, m := range ms {
		if m.Text != "" {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestRetention: an organisation's retention removes its groups' old
// messages, their files and search entries in the background; a legal
// hold keeps a group's until lifted; direct chats are never touched; the
// sweep resumes after a restart. Members see both in the conversation's
// info; only the owner and admins change them; outsiders learn nothing.
func TestRetention(t *testing.T) {
	var ahead atomic.Int64 // how far the retention clock is ahead of the wall clock
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.RetentionClock = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
		c.MediaGrace = time.Millisecond
	}))
	ctx := ctxT(t)
	boss, bob, eve := srv.NewUser(t, "老板"), srv.NewUser(t, "bob"), srv.NewUser(t, "eve")
	org, dept, _ := orgWithBob(t, boss, bob)
	all := string(mustDo[client.OrgGroup](t)(boss.CreateOrgGroup(ctx, org, "", "全员")).ConversationID)
	team := string(mustDo[client.OrgGroup](t)(boss.CreateOrgGroup(ctx, org, dept, "研发群")).ConversationID)
	direct := string(mustDo[client.Conversation](t)(bob.CreateConversation(ctx, "direct", []string{boss.ID}, "")).ID)

	// Who may see and change what.
	if p := mustDo[client.Retention](t)(bob.Retention(ctx, org)); p.Days != 0 {
		t.Errorf("initial retention %+v", p)
	}
	if _, err := eve.Retention(ctx, org); apiCode(err) != "not_found" {
		t.Errorf("an outsider reads the retention: %v", err)
	}
	if _, err := bob.SetRetention(ctx, org, 30); apiCode(err) != "forbidden" {
		t.Errorf("a plain member sets the retention: %v", err)
	}
	if _, err := eve.SetRetention(ctx, org, 30); apiCode(err) != "not_found" {
		t.Errorf("an outsider sets the retention: %v", err)
	}
	for _, days := range []int{-1, 36501} {
		if _, err := boss.SetRetention(ctx, org, days); apiCode(err) != "invalid" {
			t.Errorf("%d days: %v", days, err)
		}
	}
	for _, body := range []any{map[string]any{}, map[string]any{"days": "30"}, map[string]any{"days": 1.5}} {
		if err := boss.Do(ctx, "PUT", "/api/v1/orgs/"+org+"/retention", body, nil); apiCode(err) != "invalid" {
			t.Errorf("body %v: %v", body, err)
		}
	}
	if _, err := bob.PutLegalHold(ctx, org, all, "x"); apiCode(err) != "forbidden" {
		t.Errorf("a plain member places a hold: %v", err)
	}
	if _, err := eve.LegalHolds(ctx, org); apiCode(err) != "not_found" {
		t.Errorf("an outsider lists holds: %v", err)
	}
	if _, err := boss.PutLegalHold(ctx, org, direct, "x"); apiCode(err) != "not_found" {
		t.Errorf("a hold on a direct chat: %v", err)
	}
	if _, err := boss.PutLegalHold(ctx, org, all, strings.Repeat("长", 501)); apiCode(err) != "invalid" {
		t.Errorf("a hold with a long reason: %v", err)
	}
	if err := boss.DeleteLegalHold(ctx, org, team); apiCode(err) != "not_found" {
		t.Errorf("lifting a hold there is none of: %v", err)
	}
	h := mustDo[client.LegalHold](t)(boss.PutLegalHold(ctx, org, all, "诉讼 case 42"))
	if h.ConversationID != all || h.Title != "全员" || h.Reason != "诉讼 case 42" {
		t.Errorf("hold %+v", h)
	}
	if info := mustDo[client.ChatRetention](t)(bob.ChatRetention(ctx, all)); !info.LegalHold || info.OrgID != org {
		t.Errorf("bob's view of the held group: %+v", info)
	}
	if _, err := eve.ChatRetention(ctx, all); apiCode(err) != "not_found" {
		t.Errorf("an outsider's view of a group: %v", err)
	}
	if info := mustDo[client.ChatRetention](t)(bob.ChatRetention(ctx, direct)); info.OrgID != "" || info.LegalHold || info.Days != 0 {
		t.Errorf("a direct chat's retention: %+v", info)
	}

	// Old messages everywhere.
	f := mustDo[client.File](t)(bob.Upload(ctx, strings.NewReader("old file"), client.UploadOptions{Name: "old.txt", Size: -1}))
	for _, c := range []string{all, team, direct} {
		mustDo[client.Message](t)(bob.Send(ctx, c, client.Draft{ClientID: "old-" + c, Text: "旧消息 old news"}))
	}
	mustDo[client.Message](t)(bob.Send(ctx, team, client.Draft{ClientID: "file-" + team, Text: "file", Attachments: []string{string(f.ID)}}))
	if _, err := bob.FileInfo(ctx, string(f.ID)); err != nil {
		t.Fatal(err)
	}

	ahead.Store(int64(40 * 24 * time.Hour))
	if p := mustDo[client.Retention](t)(boss.SetRetention(ctx, org, 30)); p.Days != 30 || p.UpdatedBy != boss.ID {
		t.Errorf("set retention: %+v", p)
	}
	waitFor(t, "the team group's old messages to go", func() bool { return len(texts(t, bob, team)) == 0 })
	if got := texts(t, bob, all); !slices.Contains(got, "旧消息 old news") {
		t.Errorf("the held group lost its messages: %q", got)
	}
	if got := texts(t, bob, direct); !slices.Contains(got, "旧消息 old news") {
		t.Errorf("the direct chat lost its messages: %q", got)
	}
	waitFor(t, "the expired message's file to be collected", func() bool {
		_, err := bob.FileInfo(ctx, string(f.ID))
		return apiCode(err) == "not_found"
	})
	page := mustDo[client.SearchPage](t)(bob.Search(ctx, client.SearchQuery{Q: "旧消息"}))
	var where []string
	for _, r := range page.Results {
		where = append(where, string(r.ConversationID))
	}
	if slices.Contains(where, team) || !slices.Contains(where, all) || !slices.Contains(where, direct) {
		t.Errorf("search finds old news in %v (team %s, all %s, direct %s)", where, team, all, direct)
	}
	if info := mustDo[client.ChatRetention](t)(bob.ChatRetention(ctx, team)); info.Days != 30 || info.LegalHold {
		t.Errorf("bob's view of the team group: %+v", info)
	}

	// Lifting the hold lets the sweep take the group's old messages.
	if err := boss.DeleteLegalHold(ctx, org, all); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the formerly held group's old messages to go", func() bool { return len(texts(t, bob, all)) == 0 })

	// A restart: the sweep comes back and takes what aged meanwhile.
	mustDo[client.Message](t)(bob.Send(ctx, team, client.Draft{ClientID: "later", Text: "later words"}))
	srv.Close()
	ahead.Store(int64(80 * 24 * time.Hour))
	srv.Restart(t)
	waitFor(t, "the sweep after a restart", func() bool { return len(texts(t, bob, team)) == 0 })
	if got := texts(t, bob, direct); !slices.Contains(got, "旧消息 old news") {
		t.Errorf("the direct chat lost its messages: %q", got)
	}
	log, _, err := boss.AuditLog(ctx, org, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action)
	}
	for _, a := range []string{"org.retention", "group.hold", "group.unhold"} {
		if !slices.Contains(actions, a) {
			t.Errorf("audit log lacks %s: %v", a, actions)
		}
	}
}

// TestRetentionAcrossNodes: two nodes on one PostgreSQL and NATS, both
// running the deadline queue, share an organisation's retention sweep; the
// organisation's expired messages go, a held group's stay, and the
// periodic sweep is left scheduled exactly once.
func TestRetentionAcrossNodes(t *testing.T) {
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	var ahead atomic.Int64
	cfg := tacktest.WithConfig(func(c *node.Config) {
		c.PostgresURL, c.NATSURL = dsn, natsURL
		c.RetentionClock = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	a, b := tacktest.NewServer(t, cfg), tacktest.NewServer(t, cfg)
	ctx := ctxT(t)
	boss, bob := a.NewUser(t, "Boss"), b.NewUser(t, "bob")
	org, dept, _ := orgWithBob(t, boss, bob)
	all := string(mustDo[client.OrgGroup](t)(boss.CreateOrgGroup(ctx, org, "", "All")).ConversationID)
	team := string(mustDo[client.OrgGroup](t)(boss.CreateOrgGroup(ctx, org, dept, "Team")).ConversationID)
	for i := range 30 {
		for _, c := range []string{all, team} {
			mustDo[client.Message](t)(bob.Send(ctx, c, client.Draft{ClientID: fmt.Sprint(c, i), Text: fmt.Sprint("old ", i)}))
		}
	}
	mustDo[client.LegalHold](t)(boss.PutLegalHold(ctx, org, all, "audit"))
	ahead.Store(int64(10 * 24 * time.Hour))
	mustDo[client.Retention](t)(bob.Retention(ctx, org))
	mustDo[client.Retention](t)(boss.SetRetention(ctx, org, 7))
	waitFor(t, "the team group's messages to go", func() bool { return len(texts(t, bob, team)) == 0 })
	if got := texts(t, bob, all); len(got) != 30 {
		t.Errorf("the held group keeps %d messages, want 30", len(got))
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// The sweep the change asked for is done and gone; the periodic one is
	// scheduled once, for the organisation.
	waitFor(t, "one periodic sweep job", func() bool {
		var keys []string
		rows, err := conn.Query(ctx, `SELECT key FROM deadlines WHERE kind = 'retention.sweep'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			rows.Scan(&k)
			keys = append(keys, k)
		}
		rows.Close()
		return len(keys) == 1 && keys[0] == org
	})
}

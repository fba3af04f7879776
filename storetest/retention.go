package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/export"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/retention"
	"github.com/tackhq/tack/search"
)

// DataStores are the stores the retention and export suites use: the
// stores under test, and those that make their fixtures.
type DataStores struct {
	Accounts  account.Store
	Chat      chat.Store
	Org       org.Writer
	Media     media.Store
	Retention retention.Store
	Export    export.Store
	Search    search.Store
}

type dataFixture struct {
	t   *testing.T
	s   DataStores
	ctx context.Context
	n   int
}

// conv creates a conversation of kind at time at with members.
func (f *dataFixture) conv(kind string, at time.Time, members ...tack.ID) tack.ID {
	f.t.Helper()
	c := chat.Conversation{ID: tack.NewID(), Kind: kind, Title: "组 " + kind, OwnerID: members[0], CreatedAt: at}
	var ms []chat.Membership
	for i, u := range members {
		role := chat.Member
		if i == 0 && kind == chat.Group {
			role = chat.Owner
		}
		ms = append(ms, chat.Membership{UserID: u, Role: role, JoinedAt: at})
	}
	first := chat.NewMessage{ConversationID: c.ID, SenderID: members[0], Kind: chat.SystemMessage, CreatedAt: at,
		System: &chat.System{Action: "created", ActorID: members[0], Users: members[1:]}}
	_, err := f.s.Chat.CreateConversation(f.ctx, c, ms, first)
	must(f.t, "CreateConversation", err)
	return c.ID
}

// say appends a text message created at at (and carrying files).
func (f *dataFixture) say(conv, sender tack.ID, at time.Time, text string, files ...chat.Attachment) chat.Message {
	f.t.Helper()
	f.n++
	kind := chat.TextMessage
	if len(files) > 0 {
		kind = chat.FileMessage
	}
	res, err := f.s.Chat.Append(f.ctx, []chat.NewMessage{{ConversationID: conv, ClientID: fmt.Sprintf("x-%04d-%s", f.n, tack.NewID()),
		SenderID: sender, Kind: kind, Text: text, CreatedAt: at, Attachments: files}})
	must(f.t, "Append", err)
	return res[0].Message
}

func (f *dataFixture) file(uploader tack.ID, at time.Time, name string) chat.Attachment {
	f.t.Helper()
	sum := fmt.Sprintf("%064s", tack.NewID())
	fi := media.FileInfo{ID: tack.NewID(), UploaderID: uploader, Kind: "file", Name: name, Size: 3, MIME: "text/plain", SHA256: sum, CreatedAt: at}
	_, err := f.s.Media.CreateFile(f.ctx, fi, media.Blob{SHA256: sum, Key: "k/" + string(fi.ID), Size: 3})
	must(f.t, "CreateFile", err)
	return chat.Attachment{ID: fi.ID, Kind: "file", Name: name, Size: 3, MIME: "text/plain"}
}

func (f *dataFixture) org(owner tack.ID, groups ...tack.ID) tack.ID {
	f.t.Helper()
	o := org.Org{ID: tack.NewID(), Name: "示例公司", TimeZone: "Asia/Shanghai", OwnerID: owner, CreatedAt: now()}
	b := org.Batch{Org: &o}
	for i, g := range groups {
		var dept tack.ID // the first is the company-wide group, the others departments'
		if i > 0 {
			dept = tack.NewID()
		}
		b.Groups = append(b.Groups, org.Group{ConversationID: g, OrgID: o.ID, DepartmentID: dept, CreatedBy: owner, CreatedAt: now()})
	}
	_, err := f.s.Org.Apply(f.ctx, b)
	must(f.t, "Apply", err)
	return o.ID
}

func (f *dataFixture) seqs(conv tack.ID) []int64 {
	f.t.Helper()
	ms, err := f.s.Chat.Messages(f.ctx, conv, 0, 0, 1000)
	must(f.t, "Messages", err)
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

func audit(orgID, actor tack.ID, action string) org.Audit {
	return org.Audit{ID: tack.NewID(), OrgID: orgID, ActorID: actor, Action: action, Target: string(orgID), After: map[string]any{"days": 1}, At: now()}
}

// TestRetentionStore checks the contract of retention.Store: policies and
// holds round-trip (audited), GroupOrg knows only organisation groups, and
// Expire deletes, in batches, exactly the expired prefix of the
// organisation's groups that no hold covers, with their file references,
// and nothing of any other conversation.
func TestRetentionStore(t *testing.T, open func(t *testing.T) DataStores) {
	ctx := context.Background()
	f := &dataFixture{t: t, s: open(t), ctx: ctx}
	s := f.s.Retention
	a, b := newUser(t, f.s.Accounts, "甲").ID, newUser(t, f.s.Accounts, "乙").ID
	old := now().UTC().Add(-40 * 24 * time.Hour)
	cutoff := now().UTC().Add(-30 * 24 * time.Hour)

	g1 := f.conv(chat.Group, old, a, b)
	g2 := f.conv(chat.Group, old, a, b)
	g3 := f.conv(chat.Group, old, a, b) // another organisation's
	d := f.conv(chat.Direct, old, a, b)
	o := f.org(a, g1, g2)
	o2 := f.org(b, g3)

	att := f.file(a, old, "合同.pdf")
	kept := f.file(a, old, "kept.txt")
	for i := range 3 {
		f.say(g1, a, old.Add(time.Duration(i+1)*time.Minute), "旧 old", []chat.Attachment{att}[:i%2]...)
	}
	f.say(g1, b, now(), "new 新", kept)
	f.say(g1, a, now(), "new 2")
	for _, c := range []tack.ID{g2, g3, d} {
		f.say(c, a, old.Add(time.Minute), "old")
		f.say(c, a, now(), "new")
	}

	t.Run("policy", func(t *testing.T) {
		p, err := s.Policy(ctx, o)
		must(t, "Policy", err)
		if p.Days != 0 || p.UpdatedAt != nil {
			t.Fatalf("unset policy = %+v", p)
		}
		at := now()
		must(t, "PutPolicy", s.PutPolicy(ctx, retention.Policy{OrgID: o, Days: 30, UpdatedBy: a, UpdatedAt: &at}, audit(o, a, "org.retention")))
		p, err = s.Policy(ctx, o)
		must(t, "Policy", err)
		if p.Days != 30 || p.UpdatedBy != a || p.UpdatedAt == nil || !p.UpdatedAt.Equal(at) || p.UpdatedAt.Location() != time.UTC {
			t.Fatalf("policy = %+v", p)
		}
		must(t, "PutPolicy o2", s.PutPolicy(ctx, retention.Policy{OrgID: o2, Days: 0, UpdatedBy: b, UpdatedAt: &at}, audit(o2, b, "org.retention")))
		ps, err := s.Policies(ctx)
		must(t, "Policies", err)
		var orgs []tack.ID
		for _, p := range ps {
			orgs = append(orgs, p.OrgID)
		}
		if !slices.Contains(orgs, o) || slices.Contains(orgs, o2) {
			t.Errorf("Policies = %v, want %s and not %s (0 days)", orgs, o, o2)
		}
		if log, ok := f.s.Org.(org.AuditStore); ok {
			es, err := log.AuditLog(ctx, o, "", 10)
			must(t, "AuditLog", err)
			if len(es) != 1 || es[0].Action != "org.retention" {
				t.Errorf("audit = %+v", es)
			}
		}
	})

	t.Run("groups", func(t *testing.T) {
		if got, err := s.GroupOrg(ctx, g1); err != nil || got != o {
			t.Errorf("GroupOrg(g1) = %q, %v", got, err)
		}
		if _, err := s.GroupOrg(ctx, d); !errors.Is(err, tack.ErrNotFound) {
			t.Errorf("GroupOrg(direct) err = %v, want not found", err)
		}
	})

	t.Run("holds", func(t *testing.T) {
		must(t, "PutHold", s.PutHold(ctx, retention.Hold{ConversationID: g2, OrgID: o, Reason: "诉讼 lawsuit", SetBy: a, CreatedAt: now()}, audit(o, a, "group.hold")))
		must(t, "PutHold again", s.PutHold(ctx, retention.Hold{ConversationID: g2, OrgID: o, Reason: "lawsuit 2", SetBy: a, CreatedAt: now()}, audit(o, a, "group.hold")))
		hs, err := s.Holds(ctx, o)
		must(t, "Holds", err)
		if len(hs) != 1 || hs[0].ConversationID != g2 || hs[0].Reason != "lawsuit 2" || hs[0].Title == "" || hs[0].CreatedAt.Location() != time.UTC {
			t.Fatalf("holds = %+v", hs)
		}
		if hs, _ := s.Holds(ctx, o2); len(hs) != 0 {
			t.Errorf("o2 holds = %+v", hs)
		}
		if held, err := s.Held(ctx, g2); err != nil || !held {
			t.Errorf("Held(g2) = %v, %v", held, err)
		}
		if held, err := s.Held(ctx, g1); err != nil || held {
			t.Errorf("Held(g1) = %v, %v", held, err)
		}
		if err := s.DeleteHold(ctx, o, g1, audit(o, a, "group.unhold")); !errors.Is(err, tack.ErrNotFound) {
			t.Errorf("DeleteHold of none: %v", err)
		}
		if err := s.DeleteHold(ctx, o2, g2, audit(o2, a, "group.unhold")); !errors.Is(err, tack.ErrNotFound) {
			t.Errorf("DeleteHold through another organisation: %v", err)
		}
	})

	t.Run("expire", func(t *testing.T) {
		before := map[tack.ID][]int64{g1: f.seqs(g1), g2: f.seqs(g2), g3: f.seqs(g3), d: f.seqs(d)}
		if len(before[g1]) != 6 {
			t.Fatalf("g1 has %v", before[g1])
		}
		n, err := s.Expire(ctx, o, cutoff, 3)
		must(t, "Expire", err)
		if n != 3 {
			t.Fatalf("first batch removed %d, want 3", n)
		}
		if got := f.seqs(g1); !slices.Equal(got, before[g1][3:]) {
			t.Fatalf("after a batch g1 has %v", got)
		}
		n, err = s.Expire(ctx, o, cutoff, 100)
		must(t, "Expire", err)
		if n != 1 {
			t.Fatalf("second batch removed %d, want 1", n)
		}
		if n, err := s.Expire(ctx, o, cutoff, 100); err != nil || n != 0 {
			t.Fatalf("third batch = %d, %v, want nothing left", n, err)
		}
		if got := f.seqs(g1); !slices.Equal(got, before[g1][4:]) {
			t.Errorf("g1 keeps %v, want %v", got, before[g1][4:])
		}
		for _, c := range []tack.ID{g2, g3, d} {
			if got := f.seqs(c); !slices.Equal(got, before[c]) {
				t.Errorf("conversation %s: %v, want %v untouched", c, got, before[c])
			}
		}
		free, err := f.s.Media.Unreferenced(ctx, now().Add(time.Hour), 100)
		must(t, "Unreferenced", err)
		if !slices.Contains(free, att.ID) || slices.Contains(free, kept.ID) {
			t.Errorf("unreferenced files %v: want %s (its message expired), not %s", free, att.ID, kept.ID)
		}

		must(t, "DeleteHold", s.DeleteHold(ctx, o, g2, audit(o, a, "group.unhold")))
		n, err = s.Expire(ctx, o, cutoff, 100)
		must(t, "Expire", err)
		if n != 2 || !slices.Equal(f.seqs(g2), before[g2][2:]) {
			t.Errorf("lifted hold: removed %d, g2 keeps %v", n, f.seqs(g2))
		}
	})
}

// TestExportStore checks the contract of export.Store: the log lists a
// person's own exports and an organisation's apart; SentMessages pages by
// client ID through what the person sent, never a secret chat's, recalled
// ones without text; UploadedFiles pages through their uploads.
func TestExportStore(t *testing.T, open func(t *testing.T) DataStores) {
	ctx := context.Background()
	f := &dataFixture{t: t, s: open(t), ctx: ctx}
	s := f.s.Export
	a, b := newUser(t, f.s.Accounts, "甲").ID, newUser(t, f.s.Accounts, "乙").ID
	g := f.conv(chat.Group, now(), a, b)
	o := f.org(a, g)

	t.Run("log", func(t *testing.T) {
		mine := export.Record{ID: tack.NewID(), UserID: a, Kind: export.KindMine, At: now()}
		must(t, "mine", s.RecordExport(ctx, mine, nil))
		oa := audit(o, a, "org.export")
		ox := export.Record{ID: tack.NewID(), UserID: a, OrgID: o, Kind: export.KindOrg, At: now()}
		must(t, "org", s.RecordExport(ctx, ox, &oa))
		must(t, "b's", s.RecordExport(ctx, export.Record{ID: tack.NewID(), UserID: b, Kind: export.KindMine, At: now()}, nil))
		rs, err := s.Exports(ctx, a, "", 10)
		must(t, "Exports", err)
		if len(rs) != 1 || rs[0].ID != mine.ID || !rs[0].At.Equal(mine.At) || rs[0].At.Location() != time.UTC {
			t.Errorf("own exports = %+v", rs)
		}
		rs, err = s.Exports(ctx, b, o, 10)
		must(t, "Exports org", err)
		if len(rs) != 1 || rs[0].ID != ox.ID || rs[0].OrgID != o || rs[0].Kind != export.KindOrg {
			t.Errorf("org exports = %+v", rs)
		}
		if log, ok := f.s.Org.(org.AuditStore); ok {
			es, err := log.AuditLog(ctx, o, "", 10)
			must(t, "AuditLog", err)
			if len(es) != 1 || es[0].Action != "org.export" {
				t.Errorf("audit = %+v", es)
			}
		}
	})

	t.Run("messages", func(t *testing.T) {
		sec := f.conv(chat.Secret, now(), a, b)
		d := f.conv(chat.Direct, now(), a, b)
		file := f.file(a, now(), "a.txt")
		var want []string
		for i, c := range []tack.ID{g, d, g} {
			m := f.say(c, a, now(), fmt.Sprintf("第%d条 message", i), []chat.Attachment{file}[:i%2]...)
			want = append(want, m.ClientID)
		}
		f.say(sec, a, now(), "secret text")
		f.say(g, b, now(), "b's")
		r := f.say(g, a, now(), "recalled text")
		want = append(want, r.ClientID)
		_, err := f.s.Chat.RecallMessage(ctx, g, r.Seq, a)
		must(t, "RecallMessage", err)
		var got []export.Message
		after := ""
		for range 10 {
			page, err := s.SentMessages(ctx, a, after, 2)
			must(t, "SentMessages", err)
			got = append(got, page...)
			if len(page) < 2 {
				break
			}
			after = page[len(page)-1].ClientID
		}
		var ids []string
		for _, m := range got {
			ids = append(ids, m.ClientID)
			if m.ConversationKind == chat.Secret || m.Text == "secret text" {
				t.Errorf("a secret chat's message was exported: %+v", m)
			}
			if m.ClientID == r.ClientID && (!m.Recalled || m.Text != "") {
				t.Errorf("recalled message exported as %+v", m)
			}
			if m.ConversationID == d && len(m.Attachments) == 0 {
				t.Errorf("message with a file lost it: %+v", m)
			}
			if m.CreatedAt.Location() != time.UTC || m.Seq == 0 {
				t.Errorf("message %+v", m)
			}
		}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Errorf("sent messages %v, want %v (in client ID order)", ids, want)
		}
	})

	t.Run("files", func(t *testing.T) {
		var want []tack.ID
		for i := range 3 {
			want = append(want, f.file(b, now(), fmt.Sprintf("%d.txt", i)).ID)
		}
		f.file(a, now(), "not b's")
		var got []tack.ID
		after := tack.ID("")
		for range 10 {
			page, err := s.UploadedFiles(ctx, b, after, 2)
			must(t, "UploadedFiles", err)
			got = append(got, page...)
			if len(page) < 2 {
				break
			}
			after = page[len(page)-1]
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("uploads %v, want %v", got, want)
		}
	})
}

// TestSearchFileNames checks that files are found by name (issue 18, item
// 1): a message with files, with or without text, is found by a file's
// name as by its text, its hit carries the names, and a recall removes it;
// a secret chat's file is never found.
func TestSearchFileNames(t *testing.T, open func(t *testing.T) DataStores) {
	ctx := context.Background()
	f := &dataFixture{t: t, s: open(t), ctx: ctx}
	a, b := newUser(t, f.s.Accounts, "甲").ID, newUser(t, f.s.Accounts, "乙").ID
	g := f.conv(chat.Group, now(), a, b)
	sec := f.conv(chat.Secret, now(), a, b)
	onlyFile := f.say(g, a, now(), "", f.file(a, now(), "季度报告Q3.pdf"))
	withText := f.say(g, b, now(), "see attached", f.file(b, now(), "budget-2026.xlsx"))
	f.say(sec, a, now(), "", f.file(a, now(), "季度机密.pdf"))
	hits := find(t, f.s.Search, b, "季度", nil)
	if len(hits) != 1 || hits[0].Seq != onlyFile.Seq || hits[0].Text != "" || !slices.Equal(hits[0].Files, []string{"季度报告Q3.pdf"}) {
		t.Errorf("a file by its Chinese name: %+v", hits)
	}
	for _, q := range []string{"budget", "2026", "attached"} {
		if hits := find(t, f.s.Search, a, q, nil); len(hits) != 1 || hits[0].Seq != withText.Seq || !slices.Equal(hits[0].Files, []string{"budget-2026.xlsx"}) {
			t.Errorf("%q: %+v", q, hits)
		}
	}
	if hits := find(t, f.s.Search, a, "季度", func(x *search.Find) { x.HasFile = true }); len(hits) != 1 {
		t.Errorf("has_file: %+v", hits)
	}
	// A rebuild (the migrations' backfill) indexes the names the same way.
	if rb, ok := f.s.Search.(interface{ RebuildSearch(context.Context) error }); ok {
		must(t, "RebuildSearch", rb.RebuildSearch(ctx))
		if hits := find(t, f.s.Search, b, "季度", nil); len(hits) != 1 || hits[0].Seq != onlyFile.Seq {
			t.Errorf("after a rebuild: %+v", hits)
		}
		if hits := find(t, f.s.Search, a, "budget", nil); len(hits) != 1 || hits[0].Seq != withText.Seq {
			t.Errorf("after a rebuild: %+v", hits)
		}
	}
	_, err := f.s.Chat.RecallMessage(ctx, g, onlyFile.Seq, a)
	must(t, "RecallMessage", err)
	if hits := find(t, f.s.Search, b, "季度", nil); len(hits) != 0 {
		t.Errorf("a recalled file is found: %+v", hits)
	}
}

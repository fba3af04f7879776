package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/search"
)

// followRig is a database with two users in a direct chat and a group.
type followRig struct {
	t      testing.TB
	db     *DB
	path   string
	a, b   tack.ID
	direct tack.ID
	group  tack.ID
	n      int
}

// newFollowRig opens a database whose follower does not run (noFollow):
// messages stay unindexed until a pass or a search.
func newFollowRig(t testing.TB) *followRig {
	t.Helper()
	r := &followRig{t: t, path: filepath.Join(t.TempDir(), "tack.db")}
	r.open(Options{noFollow: true})
	ctx := context.Background()
	old := time.Now().UTC().Add(-40 * 24 * time.Hour)
	for _, id := range []*tack.ID{&r.a, &r.b} {
		*id = tack.NewID()
		if err := r.db.CreateUser(ctx, account.User{ID: *id, Login: "u" + string(*id), Name: "用户", CreatedAt: old}, "hash"); err != nil {
			t.Fatal(err)
		}
	}
	r.direct = r.conv(chat.Direct, old)
	r.group = r.conv(chat.Group, old)
	return r
}

func (r *followRig) open(opt Options) {
	r.t.Helper()
	db, err := Open(context.Background(), r.path, opt)
	if err != nil {
		r.t.Fatal(err)
	}
	r.db = db
	r.t.Cleanup(func() { db.Close() })
}

func (r *followRig) conv(kind string, at time.Time) tack.ID {
	r.t.Helper()
	c := chat.Conversation{ID: tack.NewID(), Kind: kind, Title: "组", OwnerID: r.a, CreatedAt: at}
	ms := []chat.Membership{{UserID: r.a, Role: chat.Owner, JoinedAt: at}, {UserID: r.b, Role: chat.Member, JoinedAt: at}}
	if kind == chat.Direct {
		ms[0].Role = chat.Member
	}
	_, err := r.db.CreateConversation(context.Background(), c, ms, chat.NewMessage{ConversationID: c.ID, SenderID: r.a,
		Kind: chat.SystemMessage, CreatedAt: at, System: &chat.System{Action: "created", ActorID: r.a}})
	if err != nil {
		r.t.Fatal(err)
	}
	return c.ID
}

func (r *followRig) say(conv tack.ID, text string, at time.Time) chat.Message {
	r.t.Helper()
	r.n++
	out, err := r.db.Append(context.Background(), []chat.NewMessage{{ConversationID: conv, ClientID: fmt.Sprintf("c%d", r.n),
		SenderID: r.a, Kind: chat.TextMessage, Text: text, CreatedAt: at}})
	if err != nil {
		r.t.Fatal(err)
	}
	return out[0].Message
}

// orgGroup makes the group an organisation's (created at at), so
// retention applies to it, and returns the organisation.
func (r *followRig) orgGroup(at time.Time) org.Org {
	r.t.Helper()
	o := org.Org{ID: tack.NewID(), Name: "示例公司", TimeZone: "Asia/Shanghai", OwnerID: r.a, CreatedAt: at}
	if _, err := r.db.Apply(context.Background(), org.Batch{Org: &o, Groups: []org.Group{{ConversationID: r.group, OrgID: o.ID, CreatedBy: r.a, CreatedAt: at}}}); err != nil {
		r.t.Fatal(err)
	}
	return o
}

// found is the seqs a search for q by b finds.
func (r *followRig) found(q string) []int64 {
	r.t.Helper()
	pq, err := search.Parse(q)
	if err != nil {
		r.t.Fatal(err)
	}
	hits, err := r.db.SearchMessages(context.Background(), search.Find{Terms: pq.Terms, MemberID: r.b, Limit: 50})
	if err != nil {
		r.t.Fatal(err)
	}
	var seqs []int64
	for _, h := range hits {
		seqs = append(seqs, h.Seq)
	}
	return seqs
}

// readPass runs the read half of a pass, which must find one document.
func (r *followRig) readPass() (cursor, last int64, docs []followDoc) {
	r.t.Helper()
	if err := r.db.w.QueryRow(`SELECT last_rowid FROM search_cursor`).Scan(&cursor); err != nil {
		r.t.Fatal(err)
	}
	docs, last, rows, err := r.db.followRead(context.Background(), cursor)
	if err != nil || rows == 0 || len(docs) != 1 {
		r.t.Fatalf("followRead = %d docs, %d rows, %v; want 1 document", len(docs), rows, err)
	}
	return cursor, last, docs
}

// counts is the documents in search_fts and the cursor.
func (r *followRig) counts() (docs, cursor int64) {
	r.t.Helper()
	err := r.db.w.QueryRow(`SELECT (SELECT count(*) FROM search_fts), (SELECT last_rowid FROM search_cursor)`).Scan(&docs, &cursor)
	if err != nil {
		r.t.Fatal(err)
	}
	return docs, cursor
}

// A send is not indexed in its transaction; a search indexes what was
// committed before it, so it finds what was acknowledged without a follower.
func TestSearchFollowSendThenSearch(t *testing.T) {
	r := newFollowRig(t)
	m := r.say(r.direct, "季度 report", time.Now())
	if docs, _ := r.counts(); docs != 0 {
		t.Fatalf("search docs after a send = %d, want 0 (indexed after the commit)", docs)
	}
	if got := r.found("report"); len(got) != 1 || got[0] != m.Seq {
		t.Fatalf("search = %v, want [%d]", got, m.Seq)
	}
	if docs, _ := r.counts(); docs != 1 {
		t.Fatalf("docs = %d, want 1", docs)
	}
	// Indexed once: a second search, and a pass, add nothing.
	r.found("report")
	if n, err := r.db.indexPending(context.Background(), 0); err != nil || n != 0 {
		t.Fatalf("second pass = %d, %v; want 0", n, err)
	}
	if d, _ := r.counts(); d != 1 {
		t.Fatalf("after a second pass docs = %d", d)
	}
}

// Messages stored but not indexed when the process stopped (as a crash
// leaves them) are indexed by the follower once the database opens again,
// with no search needed; system events, recalled messages and secret
// conversations are not.
func TestSearchFollowAfterRestart(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	now := time.Now()
	for i := range 3 {
		r.say(r.group, fmt.Sprintf("restart 第%d条", i), now)
	}
	gone := r.say(r.group, "restart recalled", now)
	if _, err := r.db.RecallMessage(ctx, r.group, gone.Seq, r.a); err != nil {
		t.Fatal(err)
	}
	secret := r.conv(chat.Secret, now)
	r.say(secret, "restart secret", now)
	if docs, _ := r.counts(); docs != 0 {
		t.Fatalf("docs before the restart = %d", docs)
	}
	r.db.Close()
	r.open(Options{})
	deadline := time.Now().Add(30 * time.Second)
	for {
		docs, cursor := r.counts()
		var last int64
		r.db.w.QueryRow(`SELECT max(rowid) FROM messages`).Scan(&last)
		if docs == 3 && cursor == last {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the restart: docs %d, cursor %d of %d; want 3 and the last message", docs, cursor, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := r.found("restart"); len(got) != 3 {
		t.Fatalf("search = %v, want the 3 not recalled", got)
	}
}

// An edit made after a pass read a message and before it wrote is not
// undone by the pass: the pass indexes the text as it is at its write.
func TestSearchFollowEditDuringPass(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	m := r.say(r.direct, "alpha draft", time.Now())
	cursor, last, docs := r.readPass()
	if _, err := r.db.EditMessage(ctx, r.direct, m.Seq, "beta final", nil, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := r.db.followWrite(ctx, cursor, last, docs); err != nil {
		t.Fatal(err)
	}
	if got := r.found("alpha"); len(got) != 0 {
		t.Errorf("the old text is found: %v", got)
	}
	if got := r.found("beta"); len(got) != 1 {
		t.Errorf("the new text: %v, want 1 hit", got)
	}
	if d, _ := r.counts(); d != 1 {
		t.Errorf("docs = %d, want 1", d)
	}
}

// A message recalled after a pass read it is not indexed by the pass.
func TestSearchFollowRecallDuringPass(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	m := r.say(r.direct, "gamma secret plan", time.Now())
	cursor, last, docs := r.readPass()
	if _, err := r.db.RecallMessage(ctx, r.direct, m.Seq, r.a); err != nil {
		t.Fatal(err)
	}
	if err := r.db.followWrite(ctx, cursor, last, docs); err != nil {
		t.Fatal(err)
	}
	if d, c := r.counts(); d != 0 || c != last {
		t.Errorf("docs, cursor = %d, %d; want 0, %d", d, c, last)
	}
}

// A pass whose cursor moved between its read and its write writes nothing;
// indexPending then reruns it from the new cursor.
func TestSearchFollowCursorMoved(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	r.say(r.direct, "delta one", time.Now())
	cursor, last, docs := r.readPass()
	if _, err := r.db.w.Exec(`UPDATE search_cursor SET last_rowid = last_rowid - 1`); err != nil {
		t.Fatal(err)
	}
	if err := r.db.followWrite(ctx, cursor, last, docs); !errors.Is(err, errCursorMoved) {
		t.Fatalf("followWrite after the cursor moved = %v, want errCursorMoved", err)
	}
	if d, c := r.counts(); d != 0 || c != cursor-1 {
		t.Fatalf("after a refused pass: docs, cursor = %d, %d", d, c)
	}
	if n, err := r.db.indexPending(ctx, 0); err != nil || n != 1 {
		t.Fatalf("indexPending = %d, %v; want 1", n, err)
	}
	if got := r.found("delta"); len(got) != 1 {
		t.Fatalf("search = %v", got)
	}
}

// More messages than one pass takes are all indexed, in several passes,
// and catchUp stops once past what was committed before it.
func TestSearchFollowManyPasses(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	var batch []chat.NewMessage
	for i := range followBatch + 10 {
		batch = append(batch, chat.NewMessage{ConversationID: r.group, ClientID: fmt.Sprintf("m%d", i), SenderID: r.a,
			Kind: chat.TextMessage, Text: fmt.Sprintf("epsilon %d", i), CreatedAt: time.Now()})
	}
	if _, err := r.db.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := r.db.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.counts(); d != followBatch+10 {
		t.Fatalf("docs = %d, want %d", d, followBatch+10)
	}
	if r.db.followed.Load() != followBatch+10 {
		t.Fatalf("followed = %d", r.db.followed.Load())
	}
}

// Retention deleting the newest rows lowers the cursor, so a message
// stored under a rowid SQLite hands out again is still indexed.
func TestSearchFollowRetentionReusesRowid(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	old := time.Now().UTC().Add(-40 * 24 * time.Hour)
	o := r.orgGroup(old)
	m := r.say(r.group, "zeta old", old)
	var rowid int64
	r.db.w.QueryRow(`SELECT rowid FROM messages WHERE conversation_id = ? AND seq = ?`, r.group, m.Seq).Scan(&rowid)
	if err := r.db.catchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if _, c := r.counts(); c != rowid {
		t.Fatalf("cursor = %d, want %d", c, rowid)
	}
	n, err := r.db.Retention().Expire(ctx, o.ID, time.Now().Add(-30*24*time.Hour), 100)
	if err != nil || n == 0 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	fresh := r.say(r.direct, "zeta fresh", time.Now())
	var again int64
	r.db.w.QueryRow(`SELECT rowid FROM messages WHERE conversation_id = ? AND seq = ?`, r.direct, fresh.Seq).Scan(&again)
	if again > rowid {
		t.Fatalf("rowid %d not handed out again (got %d): the test needs SQLite to reuse it", rowid, again)
	}
	if got := r.found("zeta"); len(got) != 1 || got[0] != fresh.Seq {
		t.Fatalf("search = %v, want the fresh message %d", got, fresh.Seq)
	}
}

// A message edited before the follower reached it keeps its place in the
// index's order (newest sent first): the edit leaves it to the follower.
func TestSearchFollowEditBeforeIndexKeepsOrder(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	first := r.say(r.group, "omega one", time.Now())
	second := r.say(r.group, "omega two", time.Now())
	if _, err := r.db.EditMessage(ctx, r.group, second.Seq, "omega 2", nil, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.counts(); d != 0 {
		t.Fatalf("the edit indexed a message the follower had not reached: %d docs", d)
	}
	if got := r.found("omega"); len(got) != 2 || got[0] != second.Seq || got[1] != first.Seq {
		t.Fatalf("search = %v, want [%d %d]", got, second.Seq, first.Seq)
	}
	if got := r.found("two"); len(got) != 0 {
		t.Fatalf("the text before the edit is found: %v", got)
	}
	// Once indexed, an edit is the trigger's again.
	if _, err := r.db.EditMessage(ctx, r.group, first.Seq, "omega uno", nil, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := r.found("uno"); len(got) != 1 || got[0] != first.Seq {
		t.Fatalf("search uno = %v", got)
	}
	if got := r.found("one"); len(got) != 0 {
		t.Fatalf("one = %v after the edit", got)
	}
}

// A cursor past the newest message (rows deleted by hand, a copied file) is
// lowered when the database opens, so messages stored under rowids handed
// out again are indexed.
func TestSearchFollowClampOnOpen(t *testing.T) {
	r := newFollowRig(t)
	if _, err := r.db.w.Exec(`UPDATE search_cursor SET last_rowid = last_rowid + 100`); err != nil {
		t.Fatal(err)
	}
	r.db.Close()
	r.open(Options{})
	m := r.say(r.direct, "theta after the copy", time.Now())
	deadline := time.Now().Add(30 * time.Second)
	for {
		if d, _ := r.counts(); d == 1 {
			break
		}
		if time.Now().After(deadline) {
			d, c := r.counts()
			t.Fatalf("the message was not indexed by the follower: %d docs, cursor %d, errs %d", d, c, r.db.followErrs.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := r.found("theta"); len(got) != 1 || got[0] != m.Seq {
		t.Fatalf("search = %v", got)
	}
}

// Migration 00025 keys the index by the messages' rowids: a database
// indexed the old way (search_docs) keeps what the follower indexed,
// findable newest first, and what it had not reached is indexed after; its
// Down gives the old tables back with the same documents.
func TestSearchMigrationByRowid(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	at := time.Now()
	one := r.say(r.direct, "alpha one", at)
	two := r.say(r.group, "alpha two", at)
	r.say(r.direct, "beta", at)
	if n, err := r.db.indexPending(ctx, 0); err != nil || n != 3 {
		t.Fatalf("indexPending = %d, %v", n, err)
	}
	late := r.say(r.group, "alpha late", at)

	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, r.db.w, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 24); err != nil {
		t.Fatal(err)
	}
	var docs, fts int64
	if err := r.db.w.QueryRow(`SELECT (SELECT count(*) FROM search_docs), (SELECT count(*) FROM search_fts)`).Scan(&docs, &fts); err != nil || docs != 3 || fts != 3 {
		t.Fatalf("after Down: %d docs, %d fts rows, %v; want 3, 3", docs, fts, err)
	}
	r.db.Close()
	r.open(Options{noFollow: true}) // Up again
	if d, _ := r.counts(); d != 3 {
		t.Fatalf("after Up: %d documents, want 3", d)
	}
	if got := r.found("alpha"); fmt.Sprint(got) != fmt.Sprint([]int64{late.Seq, two.Seq, one.Seq}) {
		t.Fatalf("alpha found %v, want %v", got, []int64{late.Seq, two.Seq, one.Seq})
	}
	if _, err := r.db.EditMessage(ctx, r.group, two.Seq, "gamma", nil, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := r.found("alpha"); fmt.Sprint(got) != fmt.Sprint([]int64{late.Seq, one.Seq}) {
		t.Errorf("after the edit alpha found %v", got)
	}
	if got := r.found("gamma"); fmt.Sprint(got) != fmt.Sprint([]int64{two.Seq}) {
		t.Errorf("gamma found %v", got)
	}
}

// The index is keyed by the messages' rowids, which SQLite keeps through
// VACUUM for a table with indexes (messages has several): after rows are
// deleted and the file vacuumed, a search finds the same messages.
func TestSearchSurvivesVacuum(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	at := time.Now()
	var seqs []int64
	for i := 0; i < 6; i++ {
		seqs = append(seqs, r.say(r.group, fmt.Sprintf("delta %d", i), at).Seq)
	}
	if n, err := r.db.indexPending(ctx, 0); err != nil || n != 6 {
		t.Fatalf("indexPending = %d, %v", n, err)
	}
	if _, err := r.db.w.Exec(`DELETE FROM messages WHERE conversation_id = ? AND seq IN (?, ?)`, r.group, seqs[1], seqs[3]); err != nil {
		t.Fatal(err)
	}
	rowids := func() string {
		var s string
		if err := r.db.w.QueryRow(`SELECT group_concat(rowid || ':' || seq) FROM messages`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := rowids()
	if _, err := r.db.w.ExecContext(ctx, `VACUUM`); err != nil {
		t.Fatal(err)
	}
	if after := rowids(); after != before {
		t.Fatalf("VACUUM changed the messages' rowids: %s, was %s", after, before)
	}
	want := fmt.Sprint([]int64{seqs[5], seqs[4], seqs[2], seqs[0]})
	if got := r.found("delta"); fmt.Sprint(got) != want {
		t.Fatalf("delta found %v, want %v", got, want)
	}
	if _, err := r.db.EditMessage(ctx, r.group, seqs[2], "epsilon", nil, false, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := r.found("epsilon"); fmt.Sprint(got) != fmt.Sprint([]int64{seqs[2]}) {
		t.Errorf("epsilon found %v", got)
	}
	// A backup (VACUUM INTO) keeps them too: the copy finds the same.
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := Snapshot(ctx, r.path, dst); err != nil {
		t.Fatal(err)
	}
	r.db.Close()
	r.path = dst
	r.open(Options{noFollow: true})
	if after := rowids(); after != before {
		t.Fatalf("the backup changed the messages' rowids: %s, was %s", after, before)
	}
	want = fmt.Sprint([]int64{seqs[5], seqs[4], seqs[0]})
	if got := r.found("delta"); fmt.Sprint(got) != want {
		t.Errorf("in the backup delta found %v, want %v", got, want)
	}
}

// Retention does not delete while a follower pass is between its read and
// its write: the rowids it frees are handed out again, and the pass would
// move its cursor past a message stored under one of them unread.
func TestSearchFollowRetentionWaitsForPass(t *testing.T) {
	r := newFollowRig(t)
	ctx := context.Background()
	old := time.Now().UTC().Add(-40 * 24 * time.Hour)
	o := r.orgGroup(old)
	r.say(r.group, "theta old", old)
	r.db.followMu.Lock() // a pass in progress: read, not yet written
	cursor, last, docs := r.readPass()
	done := make(chan error, 1)
	go func() {
		_, err := r.db.Retention().Expire(ctx, o.ID, time.Now().Add(-30*24*time.Hour), 100)
		done <- err
	}()
	select {
	case err := <-done:
		r.db.followMu.Unlock()
		t.Fatalf("retention deleted during a follower pass (%v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	err := r.db.followWrite(ctx, cursor, last, docs)
	r.db.followMu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	fresh := r.say(r.direct, "theta fresh", time.Now())
	if got := r.found("theta"); len(got) != 1 || got[0] != fresh.Seq {
		t.Fatalf("search = %v, want the fresh message %d", got, fresh.Seq)
	}
}

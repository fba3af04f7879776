package chat_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/sqlite"
)

// Rules at their edges: membership changes and what they announce, who
// inherits a group, files with or without text, burns at their due time,
// read positions that sending moves, unread counts and receipts at the read
// boundary, and the logging of failures nobody else hears of.

// recorder keeps the events published on a bus (inmem publishes
// synchronously: a call's publishNow events are there when it returns).
type recorder struct {
	mu  sync.Mutex
	evs []*bus.Event
}

func (f *fixture) record(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	unsub, _ := f.bus.Subscribe(func(e *bus.Event) {
		r.mu.Lock()
		r.evs = append(r.evs, e)
		r.mu.Unlock()
	})
	t.Cleanup(unsub)
	return r
}

// take returns the events of kind recorded so far and forgets all events.
func (r *recorder) take(kind string) []*bus.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*bus.Event
	for _, e := range r.evs {
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	r.evs = nil
	return out
}

func memberCounts(t *testing.T, evs []*bus.Event) []int {
	t.Helper()
	var out []int
	for _, e := range evs {
		var p struct {
			Conversation struct {
				MemberCount int `json:"member_count"`
			} `json:"conversation"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Conversation.MemberCount)
	}
	return out
}

// Adding, removing and leaving change member_count, and every member's
// clients hear the new count in a conversation event.
func TestMembershipChangesAnnounceTheMemberCount(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:2], "g")
	if err != nil {
		t.Fatal(err)
	}
	r := f.record(t)
	steps := []struct {
		what string
		do   func() error
		want int
	}{
		{"add", func() error { return f.svc.AddMembers(f.as(0), g.ID, f.users[2:4]) }, 4},
		{"remove", func() error { return f.svc.RemoveMember(f.as(0), g.ID, f.users[2]) }, 3},
		{"leave", func() error { return f.svc.Leave(f.as(3), g.ID) }, 2},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got := memberCounts(t, r.take(bus.Conversation)); fmt.Sprint(got) != fmt.Sprint([]int{s.want}) {
			t.Fatalf("%s: conversation events with member counts %v, want [%d]", s.what, got, s.want)
		}
	}
}

// The system message of a role change says which way it went.
func TestRoleChangesSayWhichWay(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	for _, c := range []struct{ role, action string }{{chat.Admin, "admin_added"}, {chat.Member, "admin_removed"}} {
		if err := f.svc.SetRole(f.as(0), g.ID, f.users[1], c.role); err != nil {
			t.Fatal(err)
		}
		ms, err := f.svc.History(f.as(1), g.ID, 0, 1<<62, 1)
		if err != nil || len(ms) != 1 || ms[0].System == nil || ms[0].System.Action != c.action {
			t.Fatalf("made %s: last message %+v %v, want action %q", c.role, ms, err, c.action)
		}
	}
}

// reversedMembers is a store that lists members in the reverse of the
// SQLite order: the Store interface promises no order.
type reversedMembers struct{ *sqlite.DB }

func (r reversedMembers) Memberships(ctx context.Context, convID tack.ID) ([]chat.Membership, error) {
	ms, err := r.DB.Memberships(ctx, convID)
	slices.Reverse(ms)
	return ms, err
}

// The heir of an owner who leaves is the longest-standing admin, else the
// longest-standing member, whatever order the store lists members in.
func TestHeirDoesNotDependOnTheStoresOrder(t *testing.T) {
	f := newFixture(t, 5, chat.Config{})
	svc := chat.NewService(reversedMembers{f.db}, f.bus, everyone{}, f.clock, chat.Config{})
	t.Cleanup(svc.Close)
	g, _, err := svc.Create(f.as(0), chat.Group, f.users[1:3], "g")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range f.users[3:] {
		if err := svc.AddMembers(f.as(0), g.ID, []tack.ID{u}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []tack.ID{f.users[4], f.users[3]} {
		if err := svc.SetRole(f.as(0), g.ID, u, chat.Admin); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Leave(f.as(0), g.ID); err != nil {
		t.Fatal(err)
	}
	if c, err := svc.Conversation(f.as(3), g.ID); err != nil || c.OwnerID != f.users[3] {
		t.Fatalf("owner %v (%v), want the longest-standing admin (3)", c.OwnerID, err)
	}
	h, _, err := svc.Create(f.as(0), chat.Group, f.users[2:3], "h")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []tack.ID{f.users[4], f.users[1]} {
		if err := svc.AddMembers(f.as(0), h.ID, []tack.ID{u}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Leave(f.as(0), h.ID); err != nil {
		t.Fatal(err)
	}
	if c, err := svc.Conversation(f.as(2), h.ID); err != nil || c.OwnerID != f.users[2] {
		t.Fatalf("owner %v (%v), want the longest-standing member (2)", c.OwnerID, err)
	}
}

// Among members who joined together, the heir is the first of them in the
// member list (by user ID): the choice is the same whoever computes it.
func TestHeirAmongEqualsIsTheFirstListed(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Leave(f.as(0), g.ID); err != nil {
		t.Fatal(err)
	}
	want := slices.Min(f.users[1:])
	if c, err := f.svc.Conversation(f.as(1), g.ID); err != nil || c.OwnerID != want {
		t.Fatalf("owner %v (%v), want %v, the first of those who joined together", c.OwnerID, err, want)
	}
}

// images resolves every file ID to an image.
type images struct{}

func (images) Attachments(_ context.Context, ids []tack.ID) ([]chat.Attachment, error) {
	var out []chat.Attachment
	for _, id := range ids {
		out = append(out, chat.Attachment{ID: id, Kind: chat.ImageAttachment, Name: "a.png", Size: 1, MIME: "image/png", Width: 1, Height: 1})
	}
	return out, nil
}

// A message with files may have no text; the text it has obeys the text
// rules; a message without files needs text.
func TestFilesMayGoWithoutText(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	svc := chat.NewService(f.db, f.bus, everyone{}, f.clock, chat.Config{Files: images{}})
	t.Cleanup(svc.Close)
	g, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	for i, c := range []struct {
		files bool
		text  string
		want  string
	}{
		{true, "", ""},
		{true, "caption", ""},
		{true, "bell\a", tack.EInvalid},
		{true, " ", tack.EInvalid},
		{false, "", tack.EInvalid},
		{false, "bell\a", tack.EInvalid},
	} {
		d := chat.Draft{ClientID: fmt.Sprint("f", i), Text: c.text}
		if c.files {
			sum := fmt.Sprint("sum", i)
			file, err := f.db.Media().CreateFile(context.Background(), media.FileInfo{ID: tack.NewID(), UploaderID: f.users[0], Kind: chat.ImageAttachment,
				Name: "a.png", Size: 1, MIME: "image/png", SHA256: sum, Width: 1, Height: 1, CreatedAt: f.clock()}, media.Blob{SHA256: sum, Key: sum, Size: 1})
			if err != nil {
				t.Fatal(err)
			}
			d.Files = []tack.ID{file.ID}
		}
		m, _, err := svc.Send(f.as(0), g.ID, d)
		if code(err) != c.want {
			t.Fatalf("files %v, text %q: %v, want %q", c.files, c.text, err, c.want)
		}
		if err == nil && c.files && (m.Kind != chat.ImageMessage || len(m.Attachments) != 1 || m.Text != c.text) {
			t.Fatalf("files %v, text %q: %+v", c.files, c.text, m)
		}
	}
}

// Only secret messages burn: an ordinary message has no burn time and a
// sweep long after leaves it; recalling one does not burn it. A recalled
// secret message burns at once.
func TestOnlySecretMessagesBurn(t *testing.T) {
	f, _ := secretFixture(t)
	ctx := context.Background()
	d, _, _ := f.svc.Create(f.as(0), chat.Direct, f.users[1:2], "")
	plain, _, err := f.svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "p", Text: "stays"})
	if err != nil || plain.BurnsAt != nil || plain.BurnAfterS != 0 {
		t.Fatalf("an ordinary message: %+v %v", plain, err)
	}
	recalled, _, _ := f.svc.Send(f.as(0), d.ID, chat.Draft{ClientID: "r", Text: "recalled"})
	if _, err := f.svc.Recall(f.as(0), d.ID, recalled.Seq); err != nil {
		t.Fatal(err)
	}
	if m, err := f.db.Message(ctx, d.ID, recalled.Seq); err != nil || m.Burned || !m.Recalled {
		t.Fatalf("a recalled ordinary message: %+v %v", m, err)
	}
	s, _, _ := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	secret, _, err := f.svc.Send(f.as(0), s.ID, chat.Draft{ClientID: "s", Text: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Recall(f.as(0), s.ID, secret.Seq); err != nil {
		t.Fatal(err)
	}
	if m, err := f.db.Message(ctx, s.ID, secret.Seq); err != nil || !m.Burned || m.Text != "" || !m.Recalled {
		t.Fatalf("a recalled secret message: %+v %v", m, err)
	}
	f.advance(chat.UnrevealedBurn + time.Hour)
	if n, err := f.svc.SweepBurns(ctx); err != nil || n != 0 {
		t.Fatalf("the sweep burned %d (%v)", n, err)
	}
	if m, err := f.db.Message(ctx, d.ID, plain.Seq); err != nil || m.Burned || m.Text != "stays" {
		t.Fatalf("an ordinary message a week later: %+v %v", m, err)
	}
}

// A revealed message burns when its time comes, to the microsecond: the
// burn job running exactly at BurnsAt burns it.
func TestBurnAtExactlyItsTime(t *testing.T) {
	f, r := secretFixture(t)
	ctx := context.Background()
	c, _, _ := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	m, _, err := f.svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "a", Text: "x", BurnAfterS: 30})
	if err != nil {
		t.Fatal(err)
	}
	waitScheduled(t, f, 1)
	revealed, err := f.svc.Reveal(f.as(1), c.ID, m.Seq)
	if err != nil {
		t.Fatal(err)
	}
	f.advance(revealed.BurnsAt.Sub(f.clock()))
	if !f.clock().Equal(*revealed.BurnsAt) {
		t.Fatalf("clock %v, burns at %v", f.clock(), revealed.BurnsAt)
	}
	if _, err := r.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := f.db.Message(ctx, c.ID, m.Seq); err != nil || !got.Burned {
		t.Fatalf("at its burn time: %+v %v", got, err)
	}
}

// The sweep burns every message that is due, however many.
func TestSweepBurnsEveryDueMessage(t *testing.T) {
	f := newFixture(t, 2, chat.Config{SendLimit: &limit.Keyed{Rate: 1e9, Burst: 1e9}}) // no Deadlines: every burn is the sweep's
	ctx := context.Background()
	c, _, err := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 101
	var ps []*chat.Pending
	for i := 0; i < n; i++ {
		ps = append(ps, f.svc.Queue(f.as(0), c.ID, chat.Draft{ClientID: fmt.Sprint("s", i), Text: "x"}))
	}
	for _, p := range ps {
		if _, _, err := p.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	f.advance(chat.UnrevealedBurn)
	if got, err := f.svc.SweepBurns(ctx); err != nil || got != n {
		t.Fatalf("the sweep burned %d (%v), want %d", got, err, n)
	}
	if due, err := f.db.DueBurns(ctx, f.clock(), 10); err != nil || len(due) != 0 {
		t.Fatalf("still due: %v %v", due, err)
	}
}

// Reports of a screenshot within one ScreenshotEvery window, not only at
// the same instant, give the one notice.
func TestScreenshotReportsWithinTheWindow(t *testing.T) {
	f, _ := secretFixture(t)
	c, _, _ := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	if f.clock().UnixNano()%int64(chat.ScreenshotEvery) != 0 {
		t.Fatalf("the fixture's clock %v does not start a window", f.clock())
	}
	first, err := f.svc.ReportScreenshot(f.as(1), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.advance(chat.ScreenshotEvery - time.Millisecond)
	again, err := f.svc.ReportScreenshot(f.as(1), c.ID)
	if err != nil || again.Seq != first.Seq {
		t.Fatalf("a report later in the same window = %d, %v; want notice %d", again.Seq, err, first.Seq)
	}
}

// A notice that makes its direct chat announces the chat like any new
// conversation: both members hear they were added, then the messages.
func TestNoticeThatMakesTheChatAnnouncesIt(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	r := f.record(t)
	m, _, err := f.svc.PostNotice(context.Background(), chat.Notice{From: f.users[0], To: f.users[1], ClientID: "n", Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var added []tack.ID
	for _, e := range r.take(bus.Member) {
		if e.ConversationID == m.ConversationID && e.Action == "added" {
			added = append(added, e.Subject)
		}
	}
	slices.Sort(added)
	want := slices.Clone(f.users[:2])
	slices.Sort(want)
	if fmt.Sprint(added) != fmt.Sprint(want) {
		t.Fatalf("added events for %v, want %v", added, want)
	}
	// A second notice into the chat adds nobody.
	if _, _, err := f.svc.PostNotice(context.Background(), chat.Notice{From: f.users[0], To: f.users[1], ClientID: "n2", Text: "again"}); err != nil {
		t.Fatal(err)
	}
	if evs := r.take(bus.Member); len(evs) != 0 {
		t.Fatalf("member events for a notice into an existing chat: %d", len(evs))
	}
}

// The conversation list shows a secret chat's last message as its viewer
// may see it: hidden from the recipient until revealed.
func TestConversationListHidesSecretMessages(t *testing.T) {
	f, _ := secretFixture(t)
	c, _, _ := f.svc.Create(f.as(0), chat.Secret, f.users[1:2], "")
	if _, _, err := f.svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "a", Text: "secret"}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		who  int
		text string
	}{{1, ""}, {0, "secret"}} {
		list, err := f.svc.Conversations(f.as(v.who))
		if err != nil || len(list) != 1 || list[0].LastMessage == nil {
			t.Fatalf("list of %d: %+v %v", v.who, list, err)
		}
		if lm := list[0].LastMessage; lm.Text != v.text || !lm.Hidden {
			t.Fatalf("user %d sees the last message as %+v", v.who, lm)
		}
	}
}

// policy is a read-receipt policy giving every viewer the same view.
type policy chat.ReceiptView

func (p policy) ReceiptView(context.Context, tack.ID, chat.Conversation) (chat.ReceiptView, error) {
	return chat.ReceiptView(p), nil
}

// Unread counts on one's own messages follow the receipt policy: none where
// receipts are off, readers who hide theirs counted as unread.
func TestUnreadCountsFollowTheReceiptPolicy(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	m, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkRead(f.as(1), g.ID, m.Seq); err != nil {
		t.Fatal(err)
	}
	hider := f.users[1]
	for _, c := range []struct {
		what string
		p    policy
		want string
	}{
		{"receipts off", policy{}, "none"},
		{"counts only", policy{Show: true}, "1"},
		{"reader hides", policy{Show: true, Names: true, Hidden: func(u tack.ID) bool { return u == hider }}, "2"},
		{"nobody hides", policy{Show: true, Names: true}, "1"},
	} {
		svc := chat.NewService(f.db, f.bus, everyone{}, f.clock, chat.Config{Receipts: c.p})
		ms, err := svc.History(f.as(0), g.ID, m.Seq-1, 0, 10)
		svc.Close()
		if err != nil || len(ms) != 1 {
			t.Fatalf("%s: %+v %v", c.what, ms, err)
		}
		got := "none"
		if ms[0].Unread != nil {
			got = fmt.Sprint(*ms[0].Unread)
		}
		if got != c.want {
			t.Errorf("%s: unread %s, want %s", c.what, got, c.want)
		}
	}
}

func readPayload(t *testing.T, e *bus.Event) (prev, now int64) {
	t.Helper()
	var p struct {
		Seq     int64 `json:"seq"`
		PrevSeq int64 `json:"prev_seq"`
	}
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.PrevSeq, p.Seq
}

// Sending reads everything before the message sent: the senders of what
// the sender had not read yet hear it, with the read position just below
// the new message. A send that moves nothing (all was read) says nothing.
func TestSendingReadsWhatCameBefore(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	r := f.reads(t)
	send := func(who int, id string) chat.Message {
		t.Helper()
		m, _, err := f.svc.Send(f.as(who), g.ID, chat.Draft{ClientID: id, Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m1 := send(1, "a")
	m2 := send(0, "b") // user 0 had read up to the group's creation
	e := r.next(t, f.users[0])
	if prev, now := readPayload(t, e); prev != m1.Seq-1 || now != m2.Seq-1 {
		t.Fatalf("the read by sending m2: (%d, %d], want (%d, %d]", prev, now, m1.Seq-1, m2.Seq-1)
	}
	if fmt.Sprint(e.Users) != fmt.Sprint([]tack.ID{f.users[0], f.users[1]}) {
		t.Fatalf("the read by sending m2 goes to %v", e.Users)
	}
	m3 := send(0, "c") // all read before it: nothing moves
	m4 := send(1, "d")
	send(0, "e") // reads m4
	// The events of sends are published in commit order: had m3 said
	// something, it would come first.
	if prev, now := readPayload(t, r.next(t, f.users[0])); prev != m3.Seq || now != m4.Seq {
		t.Fatalf("user 0's next read event: (%d, %d], want (%d, %d]", prev, now, m3.Seq, m4.Seq)
	}
}

// A message's unread count counts the members whose read position is below
// it: one who read exactly up to it has read it.
func TestUnreadCountsAtTheReadPosition(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	m1, _, _ := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"})
	m2, _, _ := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "b", Text: "x"})
	if _, err := f.svc.MarkRead(f.as(1), g.ID, m1.Seq); err != nil {
		t.Fatal(err)
	}
	ms, err := f.svc.History(f.as(0), g.ID, m1.Seq-1, 0, 10)
	if err != nil || len(ms) != 2 || ms[0].Unread == nil || ms[1].Unread == nil {
		t.Fatalf("history: %+v %v", ms, err)
	}
	if *ms[0].Unread != 1 || *ms[1].Unread != 2 {
		t.Fatalf("unread of m%d = %d, m%d = %d; want 1 and 2", m1.Seq, *ms[0].Unread, m2.Seq, *ms[1].Unread)
	}
}

// A member added to a group was there when the message that added them was
// sent: its receipts count them (as having read it).
func TestReceiptsCountMembersFromTheMessageThatAddedThem(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:2], "g")
	if err := f.svc.AddMembers(f.as(0), g.ID, f.users[2:3]); err != nil {
		t.Fatal(err)
	}
	c, _ := f.svc.Conversation(f.as(0), g.ID)
	read, unread, err := f.svc.Receipts(f.as(0), g.ID, c.LastSeq)
	if err != nil || fmt.Sprint(read) != fmt.Sprint(f.users[2:3]) || fmt.Sprint(unread) != fmt.Sprint(f.users[1:2]) {
		t.Fatalf("receipts of the added message: read %v unread %v (%v)", read, unread, err)
	}
}

// A range of changes whose messages have all changed again since (their
// mods moved past it) is empty.
func TestChangesOfARangeThatMovedOn(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	m, _, _ := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"})
	if _, err := f.svc.Edit(f.as(0), g.ID, m.Seq, "y", nil); err != nil {
		t.Fatal(err)
	}
	// Mods (m.Mod-1, m.Mod]: the send's mod, which the edit moved on.
	ms, err := f.svc.ChangesUpTo(f.as(1), g.ID, m.Mod-1, m.Mod, 100)
	if err != nil || len(ms) != 0 {
		t.Fatalf("changes in a range left empty: %+v %v", ms, err)
	}
}

// failingBus refuses every publish.
type failingBus struct{}

func (failingBus) Publish(context.Context, *bus.Event) error { return fmt.Errorf("bus down") }

// failingDeadlines refuses every schedule.
type failingDeadlines struct{}

func (failingDeadlines) Schedule(context.Context, deadline.Job, bool) error {
	return fmt.Errorf("queue down")
}

// noMembersAmong is a store whose MembersAmong fails.
type noMembersAmong struct{ *sqlite.DB }

func (noMembersAmong) MembersAmong(context.Context, tack.ID, []tack.ID) ([]tack.ID, error) {
	return nil, fmt.Errorf("read failed")
}

// logs is a slog handler that keeps the messages of the records logged.
type logs struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Level.String()+" "+r.Message)
	l.mu.Unlock()
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }

func (l *logs) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// Failures nobody else hears of are logged, once each, and successes are
// not: a publish that fails (from a send, or from any other change), a
// burn that could not be scheduled, senders of read messages that could not
// be looked up.
func TestUnheardFailuresAreLogged(t *testing.T) {
	t.Run("publish", func(t *testing.T) {
		f := newFixture(t, 2, chat.Config{})
		l := &logs{}
		svc := chat.NewService(f.db, failingBus{}, everyone{}, f.clock, chat.Config{Logger: slog.New(l)})
		g, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:], "g")
		before := l.count("WARN publish")
		if err := svc.Typing(f.as(0), g.ID); err != nil {
			t.Fatal(err)
		}
		if n := l.count("WARN publish") - before; n != 1 {
			t.Fatalf("a failed publish of a change logged %d times", n)
		}
		if _, _, err := svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"}); err != nil {
			t.Fatal(err)
		}
		svc.Close() // waits for the send's events
		if n := l.count("WARN publish") - before; n != 2 {
			t.Fatalf("a failed publish of a send logged %d times", n-1)
		}
	})
	t.Run("published", func(t *testing.T) {
		f := newFixture(t, 2, chat.Config{})
		l := &logs{}
		svc := chat.NewService(f.db, f.bus, everyone{}, f.clock, chat.Config{Logger: slog.New(l)})
		g, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:], "g")
		if err := svc.Typing(f.as(0), g.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"}); err != nil {
			t.Fatal(err)
		}
		svc.Close()
		if n := l.count("WARN publish"); n != 0 {
			t.Fatalf("successful publishes logged %d warnings", n)
		}
	})
	t.Run("burn schedule", func(t *testing.T) {
		f := newFixture(t, 2, chat.Config{})
		l := &logs{}
		svc := chat.NewService(f.db, f.bus, everyone{}, f.clock, chat.Config{Logger: slog.New(l), Deadlines: failingDeadlines{}})
		c, _, _ := svc.Create(f.as(0), chat.Secret, f.users[1:], "")
		if _, _, err := svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "a", Text: "x"}); err != nil {
			t.Fatal(err)
		}
		svc.Close()
		if n := l.count("WARN schedule burn"); n != 1 {
			t.Fatalf("a burn that could not be scheduled logged %d times", n)
		}
	})
	t.Run("burn scheduled", func(t *testing.T) {
		f := newFixture(t, 2, chat.Config{})
		l := &logs{}
		svc := chat.NewService(f.db, f.bus, everyone{}, f.clock, chat.Config{Logger: slog.New(l), Deadlines: okDeadlines{}})
		c, _, _ := svc.Create(f.as(0), chat.Secret, f.users[1:], "")
		if _, _, err := svc.Send(f.as(0), c.ID, chat.Draft{ClientID: "a", Text: "x"}); err != nil {
			t.Fatal(err)
		}
		svc.Close()
		if n := l.count("WARN schedule burn"); n != 0 {
			t.Fatalf("a scheduled burn logged %d warnings", n)
		}
	})
	t.Run("senders of read messages", func(t *testing.T) {
		for _, fail := range []bool{false, true} {
			f := newFixture(t, 3, chat.Config{})
			l := &logs{}
			var store chat.Store = f.db
			if fail {
				store = noMembersAmong{f.db}
			}
			svc := chat.NewService(store, f.bus, everyone{}, f.clock, chat.Config{Logger: slog.New(l)})
			g, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:], "g")
			m, _, err := svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "a", Text: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.MarkRead(f.as(2), g.ID, m.Seq); err != nil {
				t.Fatal(err)
			}
			svc.Close() // waits for the read's events
			want := 0
			if fail {
				want = 1
			}
			if n := l.count("WARN members among senders"); n != want {
				t.Fatalf("lookup failing %v: logged %d times, want %d", fail, n, want)
			}
		}
	})
}

// okDeadlines accepts every schedule.
type okDeadlines struct{}

func (okDeadlines) Schedule(context.Context, deadline.Job, bool) error { return nil }

// lookupsFail is a store whose lookups of members among IDs, of messages
// by seq and of read positions fail.
type lookupsFail struct{ *sqlite.DB }

func (lookupsFail) MembersAmong(context.Context, tack.ID, []tack.ID) ([]tack.ID, error) {
	return nil, fmt.Errorf("read failed")
}

func (lookupsFail) MessagesBySeq(context.Context, tack.ID, []int64) ([]chat.Message, error) {
	return nil, fmt.Errorf("read failed")
}

func (lookupsFail) Behind(context.Context, tack.ID, int64) ([]chat.Position, error) {
	return nil, fmt.Errorf("read failed")
}

// A send or a page asks only for what it needs: mentions are checked only
// when there are some, quotes read only for replies, read positions only
// for the unread counts of the viewer's own messages. What is not needed
// is served when those lookups fail; what is needed is not.
func TestOnlyNeededLookups(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	l := &logs{}
	svc := chat.NewService(lookupsFail{f.db}, f.bus, everyone{}, f.clock, chat.Config{Logger: slog.New(l)})
	t.Cleanup(svc.Close)
	g, _, _ := svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	m, _, err := svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "a", Text: "no mentions"})
	if err != nil {
		t.Fatalf("a send without mentions: %v", err)
	}
	if ms, err := svc.History(f.as(0), g.ID, 0, 0, 10); err != nil || len(ms) != 2 {
		t.Fatalf("a page of others' messages, no replies: %+v %v", ms, err)
	}
	if _, _, err := svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "b", Text: "x", Mentions: f.users[:1]}); err == nil {
		t.Fatal("mentions accepted unchecked")
	}
	if _, err := svc.History(f.as(1), g.ID, m.Seq-1, 0, 10); err == nil {
		t.Fatal("a page of one's own messages served without read positions")
	}
	r, _, err := f.svc.Send(f.as(1), g.ID, chat.Draft{ClientID: "c", Text: "x", ReplyTo: m.Seq})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.History(f.as(0), g.ID, r.Seq-1, 0, 10); err == nil {
		t.Fatal("a page with a reply served without its quote")
	}
}

// flaky is a store whose first Append fails.
type flaky struct {
	*sqlite.DB
	mu     sync.Mutex
	failed bool
}

func (f *flaky) Append(ctx context.Context, msgs []chat.NewMessage) ([]chat.Appended, error) {
	f.mu.Lock()
	first := !f.failed
	f.failed = true
	f.mu.Unlock()
	if first {
		return nil, fmt.Errorf("disk hiccup")
	}
	return f.DB.Append(ctx, msgs)
}

// A send whose commit fails is answered with the failure, not retried
// behind the sender's back (the client retries with its client ID); only
// a batch is split, so that one bad message does not fail its neighbours.
func TestAFailedSendIsReportedNotRetried(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	l := &logs{}
	svc := chat.NewService(&flaky{DB: f.db}, f.bus, everyone{}, f.clock, chat.Config{Logger: slog.New(l)})
	t.Cleanup(svc.Close)
	if _, _, err := svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"}); err == nil || !strings.Contains(err.Error(), "disk hiccup") {
		t.Fatalf("the failed send: %v", err)
	}
	if ms, _ := svc.History(f.as(0), g.ID, 0, 0, 10); len(ms) != 1 {
		t.Fatalf("%d messages stored, want only the group's first", len(ms))
	}
	if m, _, err := svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"}); err != nil || m.Seq != 2 {
		t.Fatalf("the retry: %+v %v", m, err)
	}
}

package chat_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/bus/inmem"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/sqlite"
)

type fixture struct {
	svc   *chat.Service
	db    *sqlite.DB
	mu    sync.Mutex
	now   time.Time
	users []tack.ID
	bus   *inmem.Bus
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func (f *fixture) as(i int) context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: f.users[i]})
}

type everyone struct{}

func (everyone) Reachable(_ context.Context, _ tack.ID, ids []tack.ID) ([]tack.ID, error) {
	return ids, nil
}

func newFixture(t *testing.T, users int, cfg chat.Config) *fixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, now: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)}
	for i := 0; i < users; i++ {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d@x.y", i), Name: fmt.Sprint("user ", i), CreatedAt: f.now}
		if err := db.CreateUser(context.Background(), u, "x"); err != nil {
			t.Fatal(err)
		}
		f.users = append(f.users, u.ID)
	}
	f.bus = &inmem.Bus{}
	f.svc = chat.NewService(db, f.bus, everyone{}, f.clock, cfg)
	t.Cleanup(f.svc.Close)
	return f
}

func code(err error) string { return tack.ErrorCode(err) }

func TestEditAndRecallWindows(t *testing.T) {
	f := newFixture(t, 3, chat.Config{})
	conv, _, err := f.svc.Create(f.as(0), chat.Group, []tack.ID{f.users[1], f.users[2]}, "g")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetRole(f.as(0), conv.ID, f.users[1], chat.Admin); err != nil {
		t.Fatal(err)
	}
	send := func(who int, id string) chat.Message {
		m, _, err := f.svc.Send(f.as(who), conv.ID, chat.Draft{ClientID: id, Text: "text " + id})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cases := []struct {
		name   string
		sender int
		actor  int
		after  time.Duration
		op     string
		want   string
	}{
		{"sender edits at once", 2, 2, 0, "edit", ""},
		{"sender edits at 23h59m", 2, 2, 24*time.Hour - time.Minute, "edit", ""},
		{"sender edits after 24h", 2, 2, 24*time.Hour + time.Second, "edit", tack.EExpired},
		{"admin cannot edit others", 2, 1, 0, "edit", tack.EForbidden},
		{"sender recalls at 1m59s", 2, 2, 2*time.Minute - time.Second, "recall", ""},
		{"sender recalls after 2m", 2, 2, 2*time.Minute + time.Second, "recall", tack.EExpired},
		{"admin recalls any time", 2, 1, 72 * time.Hour, "recall", ""},
		{"owner recalls any time", 1, 0, 72 * time.Hour, "recall", ""},
		{"member cannot recall others", 0, 2, 0, "recall", tack.EForbidden},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := send(c.sender, fmt.Sprint("m", i))
			f.advance(c.after)
			var err error
			if c.op == "edit" {
				_, err = f.svc.Edit(f.as(c.actor), conv.ID, m.Seq, "new text", nil)
			} else {
				var r chat.Message
				r, err = f.svc.Recall(f.as(c.actor), conv.ID, m.Seq)
				if err == nil {
					stored, _ := f.db.Message(context.Background(), conv.ID, m.Seq)
					if !r.Recalled || stored.Text != "" || !stored.Recalled {
						t.Fatalf("recall left text in storage: %+v", stored)
					}
				}
			}
			if code(err) != c.want {
				t.Fatalf("got %v, want %q", err, c.want)
			}
		})
	}
	// A recalled message cannot be edited.
	m := send(2, "last")
	f.svc.Recall(f.as(2), conv.ID, m.Seq)
	if _, err := f.svc.Edit(f.as(2), conv.ID, m.Seq, "x", nil); code(err) != tack.EConflict {
		t.Fatalf("edit recalled: %v", err)
	}
}

func TestGroupLimitsAndDirectRules(t *testing.T) {
	f := newFixture(t, 6, chat.Config{MaxGroupMembers: 4})
	if _, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:5], "too big"); code(err) != tack.ETooLarge {
		t.Fatalf("5-member group with cap 4: %v", err)
	}
	g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:4], "full")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AddMembers(f.as(0), g.ID, []tack.ID{f.users[5]}); code(err) != tack.ETooLarge {
		t.Fatalf("add past cap: %v", err)
	}
	d, created, err := f.svc.Create(f.as(0), chat.Direct, []tack.ID{f.users[1]}, "")
	if err != nil || !created {
		t.Fatal(err)
	}
	d2, created, err := f.svc.Create(f.as(1), chat.Direct, []tack.ID{f.users[0]}, "")
	if err != nil || created || d2.ID != d.ID {
		t.Fatalf("second direct: %v created=%v", err, created)
	}
	if err := f.svc.AddMembers(f.as(0), d.ID, []tack.ID{f.users[2]}); code(err) != tack.EInvalid {
		t.Fatalf("add to direct: %v", err)
	}
	if err := f.svc.Leave(f.as(0), d.ID); code(err) != tack.EInvalid {
		t.Fatalf("leave direct: %v", err)
	}
	if _, _, err := f.svc.Create(f.as(0), chat.Direct, []tack.ID{f.users[1]}, "title"); code(err) != tack.EInvalid {
		t.Fatalf("direct with title: %v", err)
	}
}

func TestConcurrentDirectCreateMakesOne(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	var wg sync.WaitGroup
	ids := make([]tack.ID, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := f.svc.Create(f.as(i%2), chat.Direct, []tack.ID{f.users[1-i%2]}, "")
			if err != nil {
				t.Error(err)
			}
			ids[i] = c.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("two direct chats: %v", ids)
		}
	}
}

func TestConcurrentSendsAreGapless(t *testing.T) {
	f := newFixture(t, 4, chat.Config{})
	g, _, _ := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
	var wg sync.WaitGroup
	for u := 0; u < 4; u++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, _, err := f.svc.Send(f.as(u), g.ID, chat.Draft{ClientID: fmt.Sprint(u, "-", i), Text: "x"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	ms, err := f.svc.History(f.as(0), g.ID, 0, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	more, _ := f.svc.History(f.as(0), g.ID, ms[len(ms)-1].Seq, 0, 200)
	ms = append(ms, more...)
	if len(ms) != 201 {
		t.Fatalf("%d messages, want 201", len(ms))
	}
	for i, m := range ms {
		if m.Seq != int64(i+1) {
			t.Fatalf("seq %d at %d", m.Seq, i)
		}
	}
}

func TestClientIDReusedInAnotherConversation(t *testing.T) {
	f := newFixture(t, 2, chat.Config{})
	g1, _, _ := f.svc.Create(f.as(0), chat.Group, nil, "one")
	g2, _, _ := f.svc.Create(f.as(0), chat.Group, nil, "two")
	if _, _, err := f.svc.Send(f.as(0), g1.ID, chat.Draft{ClientID: "same", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Send(f.as(0), g2.ID, chat.Draft{ClientID: "same", Text: "x"}); code(err) != tack.EInvalid {
		t.Fatalf("client id reused across conversations: %v, want invalid", err)
	}
}

func TestAttachmentKinds(t *testing.T) {
	a := func(kinds ...string) []chat.Attachment {
		var out []chat.Attachment
		for _, k := range kinds {
			out = append(out, chat.Attachment{Kind: k})
		}
		return out
	}
	img, voice, file := chat.ImageAttachment, chat.VoiceAttachment, chat.FileAttachment
	for _, c := range []struct {
		as   []chat.Attachment
		want string
	}{
		{a(img), chat.ImageMessage},
		{a(img, img, img, img, img, img, img, img, img), chat.ImageMessage},
		{a(img, img, img, img, img, img, img, img, img, img), ""},
		{a(file), chat.FileMessage},
		{a(voice), chat.VoiceMessage},
		{a(img, voice), chat.VoicePictureMessage},
		{a(voice, img), chat.VoicePictureMessage},
		{a(file, file), ""},
		{a(voice, voice), ""},
		{a(img, file), ""},
		{a(img, img, voice), ""},
	} {
		got, err := chat.AttachmentKind(c.as)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("%v: %q, %v; want %q", c.as, got, err, c.want)
		}
	}
}

// TestSeveralCommittersKeepEachConversationInOrder: with four group
// committers, sends queued in turn to several conversations are each
// stored in the order queued, every one once, and each conversation's
// message events are published in seq order.
func TestSeveralCommittersKeepEachConversationInOrder(t *testing.T) {
	f := newFixture(t, 2, chat.Config{Committers: 4, SendLimit: &limit.Keyed{Rate: 1e6, Burst: 1e6}})
	var mu sync.Mutex
	events := map[tack.ID][]int64{}
	unsub, _ := f.bus.Subscribe(func(e *bus.Event) {
		if e.Kind == bus.Message {
			mu.Lock()
			events[e.ConversationID] = append(events[e.ConversationID], e.Mod)
			mu.Unlock()
		}
	})
	defer unsub()
	const convs, each = 8, 40
	var gs []chat.Conversation
	for i := range convs {
		g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:], fmt.Sprint("g", i))
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	var pending []*chat.Pending
	for i := range each {
		for _, g := range gs {
			pending = append(pending, f.svc.Queue(f.as(i%2), g.ID, chat.Draft{ClientID: fmt.Sprint(g.ID, "-", i), Text: fmt.Sprint(i)}))
		}
	}
	for _, p := range pending {
		if _, _, err := p.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range gs {
		ms, err := f.svc.History(f.as(0), g.ID, 1, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != each {
			t.Fatalf("%s: %d messages, want %d", g.ID, len(ms), each)
		}
		for i, m := range ms {
			if m.Text != fmt.Sprint(i) || m.Seq != int64(i+2) {
				t.Fatalf("%s: seq %d holds %q, want %q at seq %d", g.ID, m.Seq, m.Text, fmt.Sprint(i), i+2)
			}
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, g := range gs {
			n += len(events[g.ID])
		}
		mu.Unlock()
		if n >= convs*each {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d message events published, want %d", n, convs*each)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, g := range gs {
		if !slices.IsSorted(events[g.ID]) {
			t.Errorf("%s: events out of order: %v", g.ID, events[g.ID])
		}
	}
}

// committing is a store that runs transactions side by side.
type committing struct {
	*sqlite.DB
	n int
}

func (c committing) Committers() int { return c.n }

// TestCommittersFromConfigOrStore: the configured number of committers,
// else what the store reports (at least one), else one.
func TestCommittersFromConfigOrStore(t *testing.T) {
	f := newFixture(t, 1, chat.Config{})
	for _, tc := range []struct {
		store chat.Store
		cfg   int
		want  int
	}{
		{f.db, 0, 1},
		{committing{f.db, 3}, 0, 3},
		{committing{f.db, 0}, 0, 1},
		{committing{f.db, -2}, 0, 1},
		{committing{f.db, 3}, 2, 2},
		{f.db, 4, 4},
	} {
		svc := chat.NewService(tc.store, f.bus, everyone{}, f.clock, chat.Config{Committers: tc.cfg})
		if got := chat.Committers(svc); got != tc.want {
			t.Errorf("store %T, configured %d: %d committers, want %d", tc.store, tc.cfg, got, tc.want)
		}
		g, _, err := svc.Create(f.as(0), chat.Group, nil, "g")
		if err == nil {
			_, _, err = svc.Send(f.as(0), g.ID, chat.Draft{ClientID: string(tack.NewID()), Text: "x"})
		}
		if err != nil {
			t.Errorf("store %T, configured %d: %v", tc.store, tc.cfg, err)
		}
		svc.Close()
	}
}

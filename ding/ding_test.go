package ding_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/sqlite"
)

func TestDecideReceipts(t *testing.T) {
	hides := func(r string) bool { return r == "hider" }
	for _, c := range []struct {
		mode         string
		members      int
		viewerHides  bool
		show, names  bool
		hiderVisible bool
	}{
		{ding.ReceiptsOff, 2, false, false, false, false},
		{ding.ReceiptsOff, 2, true, false, false, false},
		{ding.ReceiptsOn, 2, false, true, true, true},
		{ding.ReceiptsOn, 2, true, true, true, true}, // "on": nobody may hide
		{ding.ReceiptsOn, 500, false, true, true, true},
		{ding.ReceiptsOn, 501, false, true, false, true}, // big group: counts only
		{ding.ReceiptsChoice, 2, false, true, true, false},
		{ding.ReceiptsChoice, 2, true, false, false, false}, // reciprocal
		{ding.ReceiptsChoice, 501, false, true, false, false},
		{"", 3, false, true, true, false}, // default: choice
	} {
		v := ding.DecideReceipts(c.mode, 0, c.members, c.viewerHides, hides)
		if v.Show != c.show || v.Names != c.names || v.Hidden("hider") == c.hiderVisible || (v.Show && v.Hidden("other")) {
			t.Errorf("%s, %d members, viewer hides %v: show %v names %v hider hidden %v; want %v %v %v",
				c.mode, c.members, c.viewerHides, v.Show, v.Names, v.Hidden("hider"), c.show, c.names, !c.hiderVisible)
		}
	}
	if v := ding.DecideReceipts(ding.ReceiptsOn, 10, 11, false, nil); v.Names {
		t.Error("names shown above the organisation's bound")
	}
	for _, c := range [][3]string{{"off", "on", "off"}, {"on", "choice", "choice"}, {"on", "on", "on"}, {"", "on", "choice"}} {
		if got := ding.Strictest(c[0], c[1]); got != c[2] {
			t.Errorf("Strictest(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// directory is a fake organisation directory.
type directory struct{ members map[tack.ID]org.Member }

func (d directory) DirectoryMember(_ context.Context, orgID, id tack.ID) (org.Member, error) {
	m, ok := d.members[id]
	if !ok || m.OrgID != orgID {
		return org.Member{}, tack.ErrNotFound
	}
	return m, nil
}
func (d directory) DirectoryOrgsOf(context.Context, tack.ID) ([]org.Org, []org.Member, error) {
	return nil, nil, nil
}

type quiet map[tack.ID]bool

func (q quiet) QuietAt(_ context.Context, u tack.ID, _ time.Time) (bool, error) { return q[u], nil }

type notifier struct {
	mu  sync.Mutex
	got []string // "channel:user"
}

func (n *notifier) Reach(_ context.Context, ch string, to ding.Contact, _ ding.Ding) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, ch+":"+to.Name)
	return nil
}
func (n *notifier) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	g := n.got
	n.got = nil
	return g
}

type events struct {
	mu  sync.Mutex
	evs []*bus.Event
}

func (e *events) Publish(_ context.Context, ev *bus.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
	return nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	svc    *ding.Service
	db     *sqlite.DB
	dir    directory
	runner *deadline.Runner
	clk    *clock
	note   *notifier
	evs    *events
	quiet  quiet
	org    tack.ID
	ids    map[string]tack.ID
	ctx    map[string]context.Context
}

func newFixture(t *testing.T) *fixture {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{clk: &clock{t: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)}, note: &notifier{}, evs: &events{}, quiet: quiet{},
		org: tack.NewID(), ids: map[string]tack.ID{}, ctx: map[string]context.Context{}}
	dir := directory{members: map[tack.ID]org.Member{}}
	for _, name := range []string{"boss", "ann", "ben", "cy"} {
		u := account.User{ID: tack.NewID(), Login: name + fmt.Sprint(time.Now().UnixNano()) + "@x.example", Name: name, CreatedAt: f.clk.now()}
		if err := db.CreateUser(context.Background(), u, "hash"); err != nil {
			t.Fatal(err)
		}
		role := org.RoleMember
		if name == "boss" {
			role = org.RoleAdmin
		}
		dir.members[u.ID] = org.Member{ID: tack.NewID(), OrgID: f.org, UserID: u.ID, Name: name, Status: org.Active, Role: role}
		f.ids[name] = u.ID
		f.ctx[name] = tack.WithCaller(context.Background(), tack.Caller{UserID: u.ID})
	}
	f.db, f.dir = db, dir
	f.runner = deadline.NewRunner(db.Deadlines(), f.clk.now, nil)
	f.svc = ding.NewService(db.Dings(), dir, f.evs, f.clk.now, ding.Config{Quiet: f.quiet, Notifier: f.note, Deadlines: f.runner})
	f.runner.Handle(ding.SendJob, f.svc.HandleSend)
	f.runner.Handle(ding.EscalateJob, f.svc.HandleEscalate)
	return f
}

func (f *fixture) run(t *testing.T, d time.Duration) {
	t.Helper()
	f.clk.add(d)
	if _, err := f.runner.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func code(err error) string { return tack.ErrorCode(err) }

func TestEscalation(t *testing.T) {
	f := newFixture(t)
	v, err := f.svc.Send(f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{f.ids["ben"], f.ids["cy"]}, Text: "server down",
		Channels: []string{"sms", "push", "email"}, EscalateAfterS: 60})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Unconfirmed) != 2 || len(v.Confirmed) != 0 || !v.Sent || fmt.Sprint(v.Channels) != "[app push email sms]" {
		t.Fatalf("sent %+v", v)
	}
	if got := f.note.take(); len(got) != 2 || got[0] != "push:ben" || got[1] != "push:cy" {
		t.Errorf("first step reached %v; want push to both", got)
	}
	f.run(t, 30*time.Second)
	if got := f.note.take(); len(got) != 0 {
		t.Errorf("escalated early: %v", got)
	}
	if _, err := f.svc.Confirm(f.ctx["ben"], f.org, v.ID); err != nil {
		t.Fatal(err)
	}
	f.run(t, 31*time.Second)
	if got := f.note.take(); fmt.Sprint(got) != "[email:cy]" {
		t.Errorf("after T reached %v; want email to the unconfirmed only", got)
	}
	f.run(t, 61*time.Second)
	if got := f.note.take(); fmt.Sprint(got) != "[sms:cy]" {
		t.Errorf("after 2T reached %v; want SMS to cy", got)
	}
	f.run(t, time.Hour)
	if got := f.note.take(); len(got) != 0 {
		t.Errorf("reached past the last channel: %v", got)
	}
	got, _ := f.svc.Get(f.ctx["ann"], f.org, v.ID)
	if fmt.Sprint(got.Reached) != "[app push email sms]" || len(got.Confirmed) != 1 {
		t.Errorf("view %+v", got)
	}

	// A confirmation by everyone stops the escalation.
	v2, err := f.svc.Send(f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{f.ids["ben"]}, Text: "again", Channels: []string{"email"}, EscalateAfterS: 60})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Confirm(f.ctx["ben"], f.org, v2.ID); err != nil {
		t.Fatal(err)
	}
	f.note.take()
	f.run(t, 2*time.Minute)
	if got := f.note.take(); len(got) != 0 {
		t.Errorf("escalated after everyone confirmed: %v", got)
	}
}

func TestQuietHours(t *testing.T) {
	f := newFixture(t)
	f.quiet[f.ids["cy"]] = true
	in := ding.Input{UserIDs: []tack.ID{f.ids["ben"], f.ids["cy"]}, Text: "now", Channels: []string{"push", "sms"}, EscalateAfterS: 60}
	if _, err := f.svc.Send(f.ctx["ann"], f.org, in); code(err) != tack.EInvalid {
		t.Fatalf("into quiet hours without a reason: %v, want invalid", err)
	}
	in.Reason = "the building is on fire"
	v, err := f.svc.Send(f.ctx["ann"], f.org, in)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Quiet {
		t.Error("not marked quiet")
	}
	f.note.take()
	f.run(t, 61*time.Second)
	if got := f.note.take(); fmt.Sprint(got) != "[sms:ben]" {
		t.Errorf("escalation reached %v; want SMS to ben only (cy is quiet)", got)
	}
	// Quota: 3 into quiet hours a day (one used).
	for i := 0; i < 2; i++ {
		if _, err := f.svc.Send(f.ctx["ann"], f.org, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Send(f.ctx["ann"], f.org, in); code(err) != ding.EQuota {
		t.Errorf("fourth DING into quiet hours: %v, want %s", err, ding.EQuota)
	}
	// Not quiet: no quota.
	if _, err := f.svc.Send(f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{f.ids["ben"]}, Text: "fine"}); err != nil {
		t.Errorf("an ordinary DING after the quiet quota: %v", err)
	}
	f.run(t, 61*time.Second) // the escalations of those
	// An emergency (admins only) escalates past push.
	in.Emergency = true
	if _, err := f.svc.Send(f.ctx["ann"], f.org, in); code(err) != tack.EForbidden {
		t.Errorf("an emergency from a plain member: %v, want forbidden", err)
	}
	in.UserIDs = []tack.ID{f.ids["cy"]}
	if _, err := f.svc.Send(f.ctx["boss"], f.org, in); err != nil {
		t.Fatal(err)
	}
	f.note.take()
	f.run(t, 61*time.Second)
	if got := f.note.take(); fmt.Sprint(got) != "[sms:cy]" {
		t.Errorf("emergency escalation reached %v; want SMS to cy", got)
	}
}

func TestRules(t *testing.T) {
	f := newFixture(t)
	ben := f.ids["ben"]
	stranger := tack.WithCaller(context.Background(), tack.Caller{UserID: tack.NewID()})
	for _, c := range []struct {
		name string
		ctx  context.Context
		org  tack.ID
		in   ding.Input
		code string
	}{
		{"non-member", stranger, f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "x"}, tack.ENotFound},
		{"other org", f.ctx["ann"], tack.NewID(), ding.Input{UserIDs: []tack.ID{ben}, Text: "x"}, tack.ENotFound},
		{"no text", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "  "}, tack.EInvalid},
		{"long text", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: string(make([]rune, 1001))}, tack.EInvalid},
		{"nobody", f.ctx["ann"], f.org, ding.Input{Text: "x"}, tack.EInvalid},
		{"self", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{f.ids["ann"]}, Text: "x"}, tack.EInvalid},
		{"outsider", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{tack.NewID()}, Text: "x"}, tack.EInvalid},
		{"bad id", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{"x"}, Text: "x"}, tack.EInvalid},
		{"bad channel", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "x", Channels: []string{"fax"}}, tack.EInvalid},
		{"past", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "x", SendAt: ptr(f.clk.now().Add(-time.Hour))}, tack.EInvalid},
		{"far", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "x", SendAt: ptr(f.clk.now().Add(31 * 24 * time.Hour))}, tack.EInvalid},
		{"fast escalation", f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "x", EscalateAfterS: 1}, tack.EInvalid},
	} {
		if _, err := f.svc.Send(c.ctx, c.org, c.in); code(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	// Only admins send, when the organisation says so.
	if _, err := f.svc.PutSettings(f.ctx["ann"], f.org, ding.OrgSettings{Senders: ding.SendersAdmins}); code(err) != tack.EForbidden {
		t.Errorf("a member changed the settings: %v", err)
	}
	if _, err := f.svc.PutSettings(f.ctx["boss"], f.org, ding.OrgSettings{Senders: "nobody"}); code(err) != tack.EInvalid {
		t.Errorf("bad senders: %v", err)
	}
	if _, err := f.svc.PutSettings(f.ctx["boss"], f.org, ding.OrgSettings{Senders: ding.SendersAdmins, DailyLimit: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Send(f.ctx["ann"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "x"}); code(err) != tack.EForbidden {
		t.Errorf("a member's DING when only admins send: %v", err)
	}
	for i := range 3 {
		_, err := f.svc.Send(f.ctx["boss"], f.org, ding.Input{UserIDs: []tack.ID{ben}, Text: "x"})
		if want := ""; i == 2 {
			if code(err) != ding.EQuota {
				t.Errorf("third DING over a daily limit of 2: %v", err)
			}
		} else if code(err) != want {
			t.Errorf("DING %d: %v", i, err)
		}
	}
	// Scheduled: recipients see nothing until it is sent.
	f2 := newFixture(t)
	v, err := f2.svc.Send(f2.ctx["ann"], f2.org, ding.Input{UserIDs: []tack.ID{f2.ids["ben"]}, Text: "later", SendAt: ptr(f2.clk.now().Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if v.Sent {
		t.Error("a scheduled DING is sent at once")
	}
	if _, err := f2.svc.Get(f2.ctx["ben"], f2.org, v.ID); code(err) != tack.ENotFound {
		t.Errorf("a recipient sees a scheduled DING: %v", err)
	}
	if _, err := f2.svc.Get(f2.ctx["cy"], f2.org, v.ID); code(err) != tack.ENotFound {
		t.Errorf("a bystander sees the DING: %v", err)
	}
	f2.run(t, time.Hour)
	got, err := f2.svc.Get(f2.ctx["ben"], f2.org, v.ID)
	if err != nil || !got.Sent {
		t.Errorf("after its time: %+v, %v", got, err)
	}
	if _, err := f2.svc.Confirm(f2.ctx["ann"], f2.org, v.ID); code(err) != tack.EForbidden {
		t.Errorf("the sender confirmed: %v", err)
	}
	// Reminders: at most every 5 minutes, sender only.
	if _, err := f2.svc.Remind(f2.ctx["ben"], f2.org, v.ID); code(err) != tack.EForbidden {
		t.Errorf("a recipient reminded: %v", err)
	}
	if _, err := f2.svc.Remind(f2.ctx["ann"], f2.org, v.ID); err != nil {
		t.Fatal(err)
	}
	f2.clk.add(4 * time.Minute)
	if _, err := f2.svc.Remind(f2.ctx["ann"], f2.org, v.ID); code(err) != tack.ERateLimited {
		t.Errorf("a second reminder after 4 minutes: %v", err)
	}
	f2.clk.add(time.Minute)
	if _, err := f2.svc.Remind(f2.ctx["ann"], f2.org, v.ID); err != nil {
		t.Errorf("a reminder after 5 minutes: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

package ding_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/tacktest/logbuf"
)

// TestSendLimits states Send's limits at their edges: the length of the
// text and the reason (in characters), the number of recipients, the
// schedule window and the escalation delay.
func TestSendLimits(t *testing.T) {
	f := newFixture(t)
	ben := f.ids["ben"]
	now := f.clk.now()
	for _, c := range []struct {
		name string
		in   ding.Input
		code string
	}{
		{"text of 1001 characters", ding.Input{Text: strings.Repeat("长", 1001)}, tack.ETooLarge},
		{"reason of 201 characters", ding.Input{Text: "x", Reason: strings.Repeat("因", 201)}, tack.ETooLarge},
		{"a control character", ding.Input{Text: "a\x01b"}, tack.EInvalid},
		{"DEL", ding.Input{Text: "a\x7fb"}, tack.EInvalid},
		{"a control character in the reason", ding.Input{Text: "x", Reason: "a\x1bb"}, tack.EInvalid},
		{"not UTF-8", ding.Input{Text: "a\xffb"}, tack.EInvalid},
		{"201 recipients", ding.Input{Text: "x", UserIDs: ids(201)}, tack.ETooLarge},
		{"200 recipients (not members)", ding.Input{Text: "x", UserIDs: ids(200)}, tack.EInvalid},
		{"61 s in the past", ding.Input{Text: "x", SendAt: ptr(now.Add(-61 * time.Second))}, tack.EInvalid},
		{"30 days and a second ahead", ding.Input{Text: "x", SendAt: ptr(now.Add(ding.MaxSchedule + time.Second))}, tack.EInvalid},
		{"escalation after 59 s", ding.Input{Text: "x", EscalateAfterS: 59}, tack.EInvalid},
		{"escalation after a day and a second", ding.Input{Text: "x", EscalateAfterS: 86401}, tack.EInvalid},
		{"escalation after -60 s", ding.Input{Text: "x", EscalateAfterS: -60}, tack.EInvalid},
	} {
		if c.in.UserIDs == nil {
			c.in.UserIDs = []tack.ID{ben}
		}
		if _, err := f.svc.Send(f.ctx["ann"], f.org, c.in); code(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}

	// At the edges: accepted (a fresh fixture per few, under the
	// per-sender rate limit of 10 a minute).
	f = newFixture(t)
	ben = f.ids["ben"]
	now = f.clk.now()
	send := func(in ding.Input) ding.View {
		t.Helper()
		if in.UserIDs == nil {
			in.UserIDs = []tack.ID{ben}
		}
		v, err := f.svc.Send(f.ctx["ann"], f.org, in)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		return v
	}
	if v := send(ding.Input{Text: " " + strings.Repeat("长", 1000) + "\n", Reason: strings.Repeat("因", 200)}); len([]rune(v.Text)) != 1000 {
		t.Errorf("text of 1000 characters kept as %d", len([]rune(v.Text)))
	}
	if v := send(ding.Input{Text: "line one\n\tline two"}); v.Text != "line one\n\tline two" {
		t.Errorf("text %q: newlines and tabs are allowed", v.Text)
	}
	if v := send(ding.Input{Text: "x", SendAt: ptr(now.Add(-59 * time.Second))}); !v.Sent {
		t.Error("a DING due 59 s ago is not sent at once")
	}
	if v := send(ding.Input{Text: "x", SendAt: ptr(now.Add(ding.MaxSchedule))}); v.Sent || !v.SendAt.Equal(now.Add(ding.MaxSchedule)) {
		t.Errorf("a DING 30 days ahead: sent %v at %v", v.Sent, v.SendAt)
	}
	if v := send(ding.Input{Text: "x", SendAt: ptr(now.Add(time.Second))}); v.Sent {
		t.Error("a DING due in a second is sent at once")
	}
	if v := send(ding.Input{Text: "x", EscalateAfterS: 60}); v.EscalateAfterS != 60 {
		t.Errorf("escalation after %d s, want 60", v.EscalateAfterS)
	}
	if v := send(ding.Input{Text: "x", EscalateAfterS: 86400}); v.EscalateAfterS != 86400 {
		t.Errorf("escalation after %d s, want 86400", v.EscalateAfterS)
	}
	if v := send(ding.Input{Text: "x"}); v.EscalateAfterS != 300 || fmt.Sprint(v.Channels) != "[app push]" {
		t.Errorf("defaults: escalation after %d s (want 300), channels %v (want [app push])", v.EscalateAfterS, v.Channels)
	}
	if v := send(ding.Input{Text: "x", Channels: []string{"call", "email", "app"}}); fmt.Sprint(v.Channels) != "[app email call]" {
		t.Errorf("channels %v, want [app email call]", v.Channels)
	}
	if v := send(ding.Input{Text: "x", UserIDs: []tack.ID{ben, f.ids["cy"], ben}}); len(v.Recipients) != 2 {
		t.Errorf("a recipient named twice: %d recipients, want 2", len(v.Recipients))
	}

	// The organisation's escalation delay, in minutes.
	f = newFixture(t)
	if _, err := f.svc.PutSettings(f.ctx["boss"], f.org, ding.OrgSettings{EscalateAfterMin: 2}); err != nil {
		t.Fatal(err)
	}
	if v, err := f.svc.Send(f.ctx["ann"], f.org, ding.Input{Text: "x", UserIDs: []tack.ID{f.ids["ben"]}}); err != nil || v.EscalateAfterS != 120 {
		t.Errorf("organisation's delay of 2 minutes: %d s, %v", v.EscalateAfterS, err)
	}
}

// ids returns n valid user IDs nobody has.
func ids(n int) []tack.ID {
	out := make([]tack.ID, n)
	for i := range out {
		out[i] = tack.NewID()
	}
	return out
}

// TestSendRateLimit: a sender has a burst of 10 DINGs, then waits for the
// bucket to refill (one every 6 s). The limiter runs on the wall clock, so
// the test does not count on timing: the first 10 pass, and one of the
// next 90 is refused (all 90 passing would take over 9 minutes of sends).
func TestSendRateLimit(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.PutSettings(f.ctx["boss"], f.org, ding.OrgSettings{DailyLimit: 1000}); err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := range 100 {
		_, err := f.svc.Send(f.ctx["ann"], f.org, ding.Input{Text: "x", UserIDs: []tack.ID{f.ids["ben"]}})
		switch {
		case i < 10 && err != nil:
			t.Fatalf("DING %d of the burst: %v", i+1, err)
		case err != nil && code(err) != tack.ERateLimited:
			t.Fatalf("DING %d: %v, want %s", i+1, err, tack.ERateLimited)
		case err != nil:
			refused = i + 1
		}
		if refused > 0 {
			break
		}
	}
	if refused == 0 {
		t.Fatal("100 DINGs at once, none refused")
	}
	// Another sender has a budget of their own.
	if _, err := f.svc.Send(f.ctx["ben"], f.org, ding.Input{Text: "x", UserIDs: []tack.ID{f.ids["ann"]}}); err != nil {
		t.Errorf("another sender: %v", err)
	}
}

func TestListedSenders(t *testing.T) {
	f := newFixture(t)
	if _, err := f.svc.PutSettings(f.ctx["boss"], f.org, ding.OrgSettings{Senders: ding.SendersListed, SenderIDs: []tack.ID{f.ids["ben"]}}); err != nil {
		t.Fatal(err)
	}
	for who, want := range map[string]string{"ben": "", "boss": "", "ann": tack.EForbidden} {
		to := f.ids["cy"]
		if _, err := f.svc.Send(f.ctx[who], f.org, ding.Input{Text: "x", UserIDs: []tack.ID{to}}); code(err) != want {
			t.Errorf("%s sends when only ben is listed: %v, want %q", who, err, want)
		}
	}
}

func TestSettingsBounds(t *testing.T) {
	f := newFixture(t)
	boss := f.ctx["boss"]
	set, err := f.svc.Settings(f.ctx["ann"], f.org)
	if err != nil {
		t.Fatal(err)
	}
	if set.Senders != ding.SendersEveryone || set.SenderIDs == nil || set.QuietQuota != 3 || set.DailyLimit != 30 ||
		set.EscalateAfterMin != 5 || set.Receipts != ding.ReceiptsChoice || set.ReceiptNamesMax != 500 {
		t.Errorf("defaults %+v", set)
	}
	gen := f.svc.SettingsGeneration()
	for _, c := range []struct {
		name string
		in   ding.OrgSettings
		code string
	}{
		{"quiet quota 50", ding.OrgSettings{QuietQuota: 50}, ""},
		{"quiet quota 51", ding.OrgSettings{QuietQuota: 51}, tack.EInvalid},
		{"quiet quota -1", ding.OrgSettings{QuietQuota: -1}, tack.EInvalid},
		{"daily limit 1000", ding.OrgSettings{DailyLimit: 1000}, ""},
		{"daily limit 1001", ding.OrgSettings{DailyLimit: 1001}, tack.EInvalid},
		{"daily limit -1", ding.OrgSettings{DailyLimit: -1}, tack.EInvalid},
		{"escalation 1440 min", ding.OrgSettings{EscalateAfterMin: 1440}, ""},
		{"escalation 1441 min", ding.OrgSettings{EscalateAfterMin: 1441}, tack.EInvalid},
		{"names 10000", ding.OrgSettings{ReceiptNamesMax: 10000}, ""},
		{"names 10001", ding.OrgSettings{ReceiptNamesMax: 10001}, tack.EInvalid},
		{"names -1", ding.OrgSettings{ReceiptNamesMax: -1}, tack.EInvalid},
		{"1000 senders", ding.OrgSettings{Senders: ding.SendersListed, SenderIDs: ids(1000)}, ""},
		{"1001 senders", ding.OrgSettings{Senders: ding.SendersListed, SenderIDs: ids(1001)}, tack.ETooLarge},
		{"a bad sender ID", ding.OrgSettings{SenderIDs: []tack.ID{"nobody"}}, tack.EInvalid},
		{"receipts on", ding.OrgSettings{Receipts: ding.ReceiptsOn}, ""},
		{"receipts maybe", ding.OrgSettings{Receipts: "maybe"}, tack.EInvalid},
	} {
		if _, err := f.svc.PutSettings(boss, f.org, c.in); code(err) != c.code {
			t.Errorf("%s: %v, want %q", c.name, err, c.code)
		}
	}
	if f.svc.SettingsGeneration() == gen {
		t.Error("changing the settings did not change their generation")
	}
	// A member whose admin role waits for two-factor sign-in is no admin.
	f.dir.members[f.ids["ben"]] = with2FA(f.dir.members[f.ids["ben"]])
	if _, err := f.svc.PutSettings(f.ctx["ben"], f.org, ding.OrgSettings{}); code(err) != tack.EForbidden {
		t.Errorf("an admin without two-factor sign-in: %v, want forbidden", err)
	}
}

func with2FA(m org.Member) org.Member {
	m.Role, m.Needs2FA = org.RoleOwner, true
	return m
}

func TestMySettings(t *testing.T) {
	f := newFixture(t)
	anon := context.Background()
	if _, err := f.svc.MySettings(anon); code(err) != tack.EUnauthorized {
		t.Errorf("MySettings signed out: %v", err)
	}
	if _, err := f.svc.SetMySettings(anon, ding.UserSettings{}); code(err) != tack.EUnauthorized {
		t.Errorf("SetMySettings signed out: %v", err)
	}
	gen := f.svc.SettingsGeneration()
	if _, err := f.svc.SetMySettings(f.ctx["ben"], ding.UserSettings{PushInQuiet: true, HideReceipts: true}); err != nil {
		t.Fatal(err)
	}
	if f.svc.SettingsGeneration() == gen {
		t.Error("a person's settings changed without a new generation")
	}
	if s, err := f.svc.MySettings(f.ctx["ben"]); err != nil || !s.PushInQuiet || !s.HideReceipts {
		t.Errorf("ben's settings %+v, %v", s, err)
	}
	if s, err := f.svc.MySettings(f.ctx["cy"]); err != nil || s.PushInQuiet || s.HideReceipts {
		t.Errorf("cy's settings %+v, %v", s, err)
	}
	for who, want := range map[string]bool{"ben": true, "cy": false} {
		if got, err := f.svc.PushesInQuiet(context.Background(), f.ids[who]); err != nil || got != want {
			t.Errorf("PushesInQuiet(%s) = %v, %v", who, got, err)
		}
	}
}

func TestList(t *testing.T) {
	f := newFixture(t)
	ann, ben := f.ctx["ann"], f.ctx["ben"]
	now := f.clk.now()
	if _, err := f.svc.Send(ann, f.org, ding.Input{Text: "now", UserIDs: []tack.ID{f.ids["ben"]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Send(ann, f.org, ding.Input{Text: "later", UserIDs: []tack.ID{f.ids["ben"]}, SendAt: ptr(now.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	texts := func(vs []ding.View) string {
		var s []string
		for _, v := range vs {
			s = append(s, v.Text)
		}
		return strings.Join(s, ",")
	}
	if vs, err := f.svc.List(ben, f.org, "", 0); err != nil || texts(vs) != "now" {
		t.Errorf("ben's received (the default box): %q, %v; want the sent one only", texts(vs), err)
	}
	if vs, err := f.svc.List(ann, f.org, "sent", 0); err != nil || len(vs) != 2 {
		t.Errorf("ann's sent: %q, %v; want both", texts(vs), err)
	}
	if vs, err := f.svc.List(ann, f.org, "sent", 1); err != nil || len(vs) != 1 {
		t.Errorf("ann's sent, limit 1: %q, %v", texts(vs), err)
	}
	if vs, err := f.svc.List(ann, f.org, "received", 200); err != nil || len(vs) != 0 {
		t.Errorf("ann's received, limit 200: %q, %v", texts(vs), err)
	}
	for _, c := range []struct {
		box   string
		limit int
	}{{"inbox", 10}, {"sent", 201}, {"sent", -1}} {
		if _, err := f.svc.List(ann, f.org, c.box, c.limit); code(err) != tack.EInvalid {
			t.Errorf("List(%q, %d): %v, want invalid", c.box, c.limit, err)
		}
	}
	if _, err := f.svc.List(context.Background(), f.org, "", 0); code(err) != tack.EUnauthorized {
		t.Errorf("List signed out: %v", err)
	}
}

func TestConfirmAndRemindStates(t *testing.T) {
	f := newFixture(t)
	ann, ben := f.ctx["ann"], f.ctx["ben"]
	v, err := f.svc.Send(ann, f.org, ding.Input{Text: "x", UserIDs: []tack.ID{f.ids["ben"]}, SendAt: ptr(f.clk.now().Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Remind(ann, f.org, v.ID); code(err) != tack.EConflict {
		t.Errorf("a reminder before it is sent: %v, want conflict", err)
	}
	f.run(t, time.Hour)
	n := len(f.evs.evs)
	if got, err := f.svc.Confirm(ben, f.org, v.ID); err != nil || len(got.Confirmed) != 1 || len(got.Unconfirmed) != 0 {
		t.Fatalf("confirm: %+v, %v", got, err)
	}
	if len(f.evs.evs) != n+1 || f.evs.evs[n].Action != "confirmed" {
		t.Errorf("a confirmation published %d events", len(f.evs.evs)-n)
	}
	if _, err := f.svc.Confirm(ben, f.org, v.ID); err != nil {
		t.Errorf("confirming twice: %v", err)
	}
	if len(f.evs.evs) != n+1 {
		t.Error("confirming twice published again")
	}
	if _, err := f.svc.Remind(ann, f.org, v.ID); code(err) != tack.EConflict {
		t.Errorf("a reminder after everyone confirmed: %v, want conflict", err)
	}
	// Someone else's DING, a bad ID, another organisation: not found.
	if _, err := f.svc.Confirm(f.ctx["cy"], f.org, v.ID); code(err) != tack.ENotFound {
		t.Errorf("a bystander confirms: %v", err)
	}
	if _, err := f.svc.Get(ann, f.org, "nope"); code(err) != tack.ENotFound {
		t.Errorf("a bad ID: %v", err)
	}
	if _, err := f.svc.Get(ann, f.org, tack.NewID()); code(err) != tack.ENotFound {
		t.Errorf("an unknown ID: %v", err)
	}
}

func TestJobsWithBadData(t *testing.T) {
	f := newFixture(t)
	for name, data := range map[string]string{"not JSON": "{", "no id": `{}`, "bad id": `{"id":"x"}`} {
		if err := f.svc.HandleSend(context.Background(), deadline.Job{Kind: ding.SendJob, Data: []byte(data)}); !isPermanent(err) {
			t.Errorf("send job, %s: %v, want a permanent error", name, err)
		}
	}
	id, _ := json.Marshal(map[string]any{"id": tack.NewID()})
	if err := f.svc.HandleSend(context.Background(), deadline.Job{Kind: ding.SendJob, Data: id}); err != nil {
		t.Errorf("send job of a deleted DING: %v, want done", err)
	}
	lvl0, _ := json.Marshal(map[string]any{"id": tack.NewID(), "level": 0})
	lvl1, _ := json.Marshal(map[string]any{"id": tack.NewID(), "level": 1})
	if err := f.svc.HandleEscalate(context.Background(), deadline.Job{Kind: ding.EscalateJob, Data: lvl0}); !isPermanent(err) {
		t.Errorf("escalate job at level 0: %v, want a permanent error", err)
	}
	if err := f.svc.HandleEscalate(context.Background(), deadline.Job{Kind: ding.EscalateJob, Data: []byte("[")}); !isPermanent(err) {
		t.Errorf("escalate job, not JSON: %v, want a permanent error", err)
	}
	if err := f.svc.HandleEscalate(context.Background(), deadline.Job{Kind: ding.EscalateJob, Data: lvl1}); err != nil {
		t.Errorf("escalate job of a deleted DING: %v, want done", err)
	}
}

// isPermanent: the deadline runner will not retry err (deadline.Permanent
// wraps it in its unexported type).
func isPermanent(err error) bool {
	return fmt.Sprintf("%T", err) == fmt.Sprintf("%T", deadline.Permanent(nil))
}

// orgsDirectory puts the viewer in the given organisations.
type orgsDirectory struct {
	directory
	orgs []org.Org
}

func (d orgsDirectory) DirectoryOrgsOf(context.Context, tack.ID) ([]org.Org, []org.Member, error) {
	return d.orgs, nil, nil
}

func TestReceiptViewFor(t *testing.T) {
	f := newFixture(t)
	other := tack.NewID()
	svc := func(orgs ...tack.ID) *ding.Service {
		d := orgsDirectory{directory: f.dir}
		for _, id := range orgs {
			d.orgs = append(d.orgs, org.Org{ID: id})
		}
		return ding.NewService(f.db.Dings(), d, f.evs, f.clk.now, ding.Config{})
	}
	// The second organisation's settings, written as its admin.
	f.dir.members[f.ids["cy"]] = org.Member{ID: tack.NewID(), OrgID: other, UserID: f.ids["cy"], Status: org.Active, Role: org.RoleAdmin}
	if _, err := svc(other).PutSettings(f.ctx["cy"], other, ding.OrgSettings{Receipts: ding.ReceiptsOn, ReceiptNamesMax: 40}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutSettings(f.ctx["boss"], f.org, ding.OrgSettings{Receipts: ding.ReceiptsChoice, ReceiptNamesMax: 60}); err != nil {
		t.Fatal(err)
	}
	ann, ben := f.ids["ann"], f.ids["ben"]
	ctx := context.Background()
	if _, err := f.svc.SetMySettings(f.ctx["ben"], ding.UserSettings{HideReceipts: true}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		orgs    []tack.ID
		members int
		names   bool
		hidden  bool // is ben's read hidden (ben hides his)
	}{
		{nil, 500, true, true},                    // in no organisation: choice, default bound
		{nil, 501, false, true},                   //
		{[]tack.ID{other}, 40, true, false},       // on: nobody may hide
		{[]tack.ID{other}, 41, false, false},      //
		{[]tack.ID{f.org}, 60, true, true},        // choice
		{[]tack.ID{f.org, other}, 40, true, true}, // the strictest: choice, the smaller bound
		{[]tack.ID{other, f.org}, 41, false, true},
	} {
		v, err := svc(c.orgs...).ReceiptViewFor(ctx, ann, c.members, []tack.ID{ben, f.ids["cy"]})
		if err != nil {
			t.Fatal(err)
		}
		if !v.Show || v.Names != c.names || v.Hidden(string(ben)) != c.hidden || v.Hidden(string(f.ids["cy"])) {
			t.Errorf("orgs %v, %d members: show %v names %v ben hidden %v cy hidden %v; want names %v ben hidden %v",
				c.orgs, c.members, v.Show, v.Names, v.Hidden(string(ben)), v.Hidden(string(f.ids["cy"])), c.names, c.hidden)
		}
	}
	// Nobody hides: nothing hidden, on the fast path.
	if _, err := f.svc.SetMySettings(f.ctx["ben"], ding.UserSettings{}); err != nil {
		t.Fatal(err)
	}
	if v, err := svc(f.org).ReceiptViewFor(ctx, ann, 3, []tack.ID{ben}); err != nil || !v.NoneHidden || v.Hidden(string(ben)) {
		t.Errorf("nobody hides: %+v, %v", v, err)
	}
	// The viewer hides theirs: sees no one's.
	if _, err := f.svc.SetMySettings(f.ctx["ann"], ding.UserSettings{HideReceipts: true}); err != nil {
		t.Fatal(err)
	}
	if v, err := svc(f.org).ReceiptViewFor(ctx, ann, 3, []tack.ID{ben}); err != nil || v.Show || !v.Hidden(string(ben)) {
		t.Errorf("the viewer hides: %+v, %v", v, err)
	}
}

// actions lists the actions of the DING events published so far.
func (e *events) actions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, ev := range e.evs {
		out = append(out, ev.Action)
	}
	return out
}

// TestEventsAndLastStep: sending and reminding tell everyone concerned in
// the app; each escalation is told once; after the last channel nothing
// more is scheduled.
func TestEventsAndLastStep(t *testing.T) {
	f := newFixture(t)
	v, err := f.svc.Send(f.ctx["ann"], f.org, ding.Input{Text: "x", UserIDs: []tack.ID{f.ids["ben"]}, Channels: []string{"push", "email"}, EscalateAfterS: 60})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.evs.actions()); got != "[sent]" {
		t.Fatalf("events after sending: %s, want [sent]", got)
	}
	f.evs.mu.Lock()
	users := fmt.Sprint(f.evs.evs[0].Users)
	f.evs.mu.Unlock()
	if want := fmt.Sprint([]tack.ID{f.ids["ann"], f.ids["ben"]}); users != want {
		t.Errorf("the sent event went to %s, want the sender and the recipient %s", users, want)
	}
	f.run(t, 61*time.Second)
	f.run(t, time.Hour)
	f.run(t, 24*time.Hour)
	if got := fmt.Sprint(f.evs.actions()); got != "[sent escalated]" {
		t.Errorf("events after the last step: %s, want [sent escalated]", got)
	}
	if got := f.note.take(); fmt.Sprint(got) != "[push:ben email:ben]" {
		t.Errorf("reached %v, want push then email, once each", got)
	}
	if _, err := f.svc.Remind(f.ctx["ann"], f.org, v.ID); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(f.evs.actions()); got != "[sent escalated reminded]" {
		t.Errorf("events after a reminder: %s", got)
	}
	if got := f.note.take(); fmt.Sprint(got) != "[push:ben]" {
		t.Errorf("a reminder reached %v, want push", got)
	}
	// An escalation job past the last step (a job written by an older
	// version, say) reaches nobody and does not fail.
	past, _ := json.Marshal(map[string]any{"id": v.ID, "level": 2})
	if err := f.svc.HandleEscalate(context.Background(), deadline.Job{Kind: ding.EscalateJob, Data: past}); err != nil {
		t.Errorf("an escalation past the last step: %v", err)
	}
	if got := f.note.take(); len(got) != 0 {
		t.Errorf("an escalation past the last step reached %v", got)
	}
}

// failing is a notifier that has no address for email and fails SMS.
type failing struct{ notifier }

func (n *failing) Reach(ctx context.Context, ch string, to ding.Contact, d ding.Ding) error {
	switch ch {
	case ding.Email:
		return ding.ErrNoAddress
	case ding.SMS:
		return errors.New("gateway down")
	}
	return n.notifier.Reach(ctx, ch, to, d)
}

// TestEscalationRerunAndFailures: an escalation job run twice reaches
// people once; a channel someone has no address for is skipped quietly,
// a failing one is logged (without the text), and neither stops the
// others or the next step.
func TestEscalationRerunAndFailures(t *testing.T) {
	f := newFixture(t)
	var logs logbuf.Buffer
	note := &failing{}
	svc := ding.NewService(f.db.Dings(), f.dir, f.evs, f.clk.now, ding.Config{Notifier: note, Deadlines: f.runner,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	v, err := svc.Send(f.ctx["ann"], f.org, ding.Input{Text: "top secret", UserIDs: []tack.ID{f.ids["ben"], f.ids["cy"]},
		Channels: []string{"push", "email", "sms", "call"}, EscalateAfterS: 60})
	if err != nil {
		t.Fatal(err)
	}
	job := func(level int) deadline.Job {
		data, _ := json.Marshal(map[string]any{"id": v.ID, "level": level})
		return deadline.Job{Kind: ding.EscalateJob, Key: string(v.ID), Data: data}
	}
	for _, level := range []int{1, 1, 2, 2, 1, 3, 3} {
		if err := svc.HandleEscalate(context.Background(), job(level)); err != nil {
			t.Fatalf("level %d: %v", level, err)
		}
	}
	if got := fmt.Sprint(note.take()); got != "[push:ben push:cy call:ben call:cy]" {
		t.Errorf("reached %s; want push, then (email and SMS failing) the call, once each", got)
	}
	out := logs.String()
	if strings.Count(out, "DING: reach") != 2 || !strings.Contains(out, "channel=sms") || strings.Contains(out, "channel=email") {
		t.Errorf("log %q: want SMS's two failures, not email's missing addresses", out)
	}
	if strings.Contains(out, "top secret") {
		t.Error("the log shows the DING's text")
	}
	if got, err := svc.Get(f.ctx["ann"], f.org, v.ID); err != nil || fmt.Sprint(got.Reached) != "[app push email sms call]" {
		t.Errorf("reached %v, %v", got.Reached, err)
	}
}

// TestReceiptNamesBound: names are shown up to the bound inclusive, on
// every path of the policy.
func TestReceiptNamesBound(t *testing.T) {
	hides := func(r string) bool { return r == "hider" }
	for _, c := range []struct {
		mode    string
		hides   func(string) bool
		members int
		names   bool
	}{
		{ding.ReceiptsChoice, nil, 500, true},
		{ding.ReceiptsChoice, nil, 501, false},
		{ding.ReceiptsChoice, hides, 500, true},
		{ding.ReceiptsChoice, hides, 501, false},
		{ding.ReceiptsOn, nil, 500, true},
		{ding.ReceiptsOn, hides, 501, false},
	} {
		if v := ding.DecideReceipts(c.mode, 0, c.members, false, c.hides); !v.Show || v.Names != c.names {
			t.Errorf("%s, %d members, hides %v: show %v names %v, want names %v", c.mode, c.members, c.hides != nil, v.Show, v.Names, c.names)
		}
	}
	if v := ding.DecideReceipts(ding.ReceiptsChoice, 10, 10, false, nil); !v.Names {
		t.Error("names hidden at exactly the organisation's bound")
	}
	if v := ding.DecideReceipts(ding.ReceiptsChoice, -5, 500, false, nil); !v.Names {
		t.Error("a negative bound is not the default")
	}
}

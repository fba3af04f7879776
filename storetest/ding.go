package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/ding"
)

// TestDingStore checks the contract of ding.Store: a DING round-trips with
// its recipients, the conditional updates (Confirm, MarkSent, SetLevel,
// SetReminded) change things once, CountSent counts by window and quiet,
// lists are newest first per box, and settings round-trip.
func TestDingStore(t *testing.T, open func(t *testing.T) (account.Store, ding.Store)) {
	ctx := context.Background()
	as, s := open(t)
	sender, a, b := newUser(t, as, "Sender").ID, newUser(t, as, "A").ID, newUser(t, as, "B").ID
	orgID := tack.NewID()
	base := now().UTC()
	d := ding.Ding{ID: tack.NewID(), OrgID: orgID, SenderID: sender, Text: "机房停电 come now", Reason: "outage",
		Channels: []string{ding.App, ding.Push, ding.SMS}, Quiet: true, EscalateAfterS: 300, SendAt: base, CreatedAt: base,
		Recipients: []ding.Recipient{{UserID: a, Quiet: true}, {UserID: b}}}
	mustDo(t, s.CreateDing(ctx, d))
	got, err := s.Ding(ctx, d.ID)
	mustDo(t, err)
	if got.Text != d.Text || got.Reason != "outage" || !reflect.DeepEqual(got.Channels, d.Channels) || !got.Quiet || got.Sent ||
		got.Level != 0 || got.EscalateAfterS != 300 || !got.SendAt.Equal(base) || got.SendAt.Location() != time.UTC || len(got.Recipients) != 2 {
		t.Fatalf("DING came back as %+v", got)
	}
	for _, r := range got.Recipients {
		if r.ConfirmedAt != nil || r.Quiet != (r.UserID == a) {
			t.Errorf("recipient %+v", r)
		}
	}
	if _, err := s.Ding(ctx, tack.NewID()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("missing DING: %v", err)
	}
	once := func(what string, f func() (bool, error), want bool) {
		t.Helper()
		ok, err := f()
		if err != nil || ok != want {
			t.Errorf("%s = %v, %v; want %v", what, ok, err, want)
		}
	}
	at := now()
	once("Confirm", func() (bool, error) { return s.Confirm(ctx, d.ID, a, at) }, true)
	once("Confirm again", func() (bool, error) { return s.Confirm(ctx, d.ID, a, now()) }, false)
	once("Confirm by a stranger", func() (bool, error) { return s.Confirm(ctx, d.ID, sender, now()) }, false)
	once("MarkSent", func() (bool, error) { return s.MarkSent(ctx, d.ID) }, true)
	once("MarkSent again", func() (bool, error) { return s.MarkSent(ctx, d.ID) }, false)
	if _, err := s.MarkSent(ctx, tack.NewID()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("MarkSent of a missing DING: %v", err)
	}
	once("SetLevel 0→1", func() (bool, error) { return s.SetLevel(ctx, d.ID, 0, 1) }, true)
	once("SetLevel 0→1 again", func() (bool, error) { return s.SetLevel(ctx, d.ID, 0, 1) }, false)
	r1 := now()
	once("SetReminded", func() (bool, error) { return s.SetReminded(ctx, d.ID, r1, r1.Add(-5*time.Minute)) }, true)
	once("SetReminded too soon", func() (bool, error) { return s.SetReminded(ctx, d.ID, r1.Add(time.Minute), r1.Add(-4*time.Minute)) }, false)
	once("SetReminded later", func() (bool, error) { return s.SetReminded(ctx, d.ID, r1.Add(6*time.Minute), r1.Add(time.Minute)) }, true)
	got, _ = s.Ding(ctx, d.ID)
	if !got.Sent || got.Level != 1 || got.RemindedAt == nil || !got.RemindedAt.Equal(r1.Add(6*time.Minute)) {
		t.Errorf("after updates: %+v", got)
	}
	for _, r := range got.Recipients {
		if (r.ConfirmedAt != nil) != (r.UserID == a) || r.ConfirmedAt != nil && !r.ConfirmedAt.Equal(at) {
			t.Errorf("recipient after confirm: %+v", r)
		}
	}
	// A second, not quiet, DING later; CountSent and lists.
	d2 := d
	d2.ID, d2.Quiet, d2.CreatedAt, d2.Recipients = tack.NewID(), false, base.Add(time.Minute), []ding.Recipient{{UserID: b}}
	mustDo(t, s.CreateDing(ctx, d2))
	for _, c := range []struct {
		since time.Time
		quiet bool
		want  int
	}{{base, false, 2}, {base, true, 1}, {base.Add(time.Second), false, 1}, {base.Add(time.Second), true, 0}} {
		if n, err := s.CountSent(ctx, orgID, sender, c.since, c.quiet); err != nil || n != c.want {
			t.Errorf("CountSent(since %v, quiet %v) = %d, %v; want %d", c.since, c.quiet, n, err, c.want)
		}
	}
	if n, _ := s.CountSent(ctx, tack.NewID(), sender, base, false); n != 0 {
		t.Errorf("CountSent in another organisation = %d", n)
	}
	sent, err := s.DingsOf(ctx, orgID, sender, true, 10)
	if err != nil || len(sent) != 2 || sent[0].ID != d2.ID || sent[1].ID != d.ID || len(sent[1].Recipients) != 2 {
		t.Errorf("sent box = %d DINGs, %v", len(sent), err)
	}
	recv, err := s.DingsOf(ctx, orgID, a, false, 10)
	if err != nil || len(recv) != 1 || recv[0].ID != d.ID {
		t.Errorf("a's received box = %+v, %v", recv, err)
	}
	if recv, _ := s.DingsOf(ctx, orgID, b, false, 1); len(recv) != 1 || recv[0].ID != d2.ID {
		t.Errorf("b's received box, limit 1 = %+v", recv)
	}
	// Settings.
	if _, found, err := s.OrgSettings(ctx, orgID); err != nil || found {
		t.Errorf("settings of a new organisation: %v %v", found, err)
	}
	set := ding.OrgSettings{Senders: ding.SendersListed, SenderIDs: []tack.ID{a}, QuietQuota: 1, Receipts: ding.ReceiptsOff, UpdatedAt: now().UTC()}
	mustDo(t, s.PutOrgSettings(ctx, orgID, set))
	set.Receipts = ding.ReceiptsOn
	mustDo(t, s.PutOrgSettings(ctx, orgID, set))
	gs, found, err := s.OrgSettings(ctx, orgID)
	if err != nil || !found || gs.Senders != ding.SendersListed || gs.Receipts != ding.ReceiptsOn || len(gs.SenderIDs) != 1 || gs.QuietQuota != 1 {
		t.Errorf("settings = %+v, %v, %v", gs, found, err)
	}
	mustDo(t, s.PutUserSettings(ctx, a, ding.UserSettings{HideReceipts: true, UpdatedAt: now().UTC()}))
	us, err := s.UserSettings(ctx, []tack.ID{a, b})
	if err != nil || len(us) != 1 || !us[a].HideReceipts {
		t.Errorf("user settings = %+v, %v", us, err)
	}
}

package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

type dingFrame struct {
	Type   string      `json:"type"`
	Action string      `json:"action"`
	Ding   client.Ding `json:"ding"`
}

func dingEvent(t *testing.T, s *client.Stream, what string, match func(dingFrame) bool) dingFrame {
	t.Helper()
	var f dingFrame
	waitEvent(t, s, what, func(e client.Event) bool {
		if e.Type != "ding" {
			return false
		}
		f = dingFrame{}
		if err := json.Unmarshal(e.Raw, &f); err != nil {
			t.Fatal(err)
		}
		return match(f)
	})
	return f
}

// TestDing drives DINGs through the real server (§4b): outsiders get 404,
// bad inputs precise errors; a DING reaches its recipients live, the sender
// sees each confirmation live; the unconfirmed are escalated by email (an
// in-process SMTP server), then SMS and then a voice call (fake providers)
// after T each, and a confirmation stops it; someone in quiet hours needs a reason, is reached
// by the app and push only, and counts against the sender's quota.
func TestDing(t *testing.T) {
	smtp := notifytest.NewSMTPServer(t)
	sms, voice := &notifytest.SMS{}, &notifytest.Voice{}
	srv := tacktest.NewServer(t, tacktest.WithSMTP(smtp), tacktest.WithConfig(func(c *node.Config) {
		c.SMS, c.Voice, c.DingMinEscalate = sms, voice, time.Second
	}))
	ctx := ctxT(t)
	boss := srv.NewUser(t, "老板")
	o := mustDo[client.Org](t)(boss.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	org := string(o.ID)
	people := map[string]*tacktest.User{}
	mids := map[string]string{}
	for i, name := range []string{"bob", "carol", "dave"} {
		u := srv.NewUser(t, name)
		inv := mustDo[client.InvitationOut](t)(boss.CreateInvitation(ctx, org, map[string]any{}))
		j := mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code))
		people[name], mids[name] = u, string(j.Member.ID)
		mustDo[client.OrgMember](t)(boss.UpdateOrgMember(ctx, org, mids[name], map[string]any{
			"work_email": name + "@acme.example", "phone": "+861380000000" + string(rune('1'+i))}))
	}
	bob, carol, dave := people["bob"], people["carol"], people["dave"]
	outsider := srv.NewUser(t, "eve")

	// Outsiders and bad inputs.
	if _, err := outsider.SendDing(ctx, org, client.DingInput{UserIDs: []tack.ID{tack.ID(bob.ID)}, Text: "hi"}); apiCode(err) != "not_found" {
		t.Errorf("an outsider's DING: %v, want not_found", err)
	}
	for _, c := range []struct {
		in   client.DingInput
		code string
	}{
		{client.DingInput{UserIDs: []tack.ID{tack.ID(bob.ID)}, Text: " "}, "invalid"},
		{client.DingInput{Text: "x"}, "invalid"},
		{client.DingInput{UserIDs: []tack.ID{tack.ID(outsider.ID)}, Text: "x"}, "invalid"},
		{client.DingInput{UserIDs: []tack.ID{tack.ID(bob.ID)}, Text: "x", Channels: []string{"pager"}}, "invalid"},
		{client.DingInput{UserIDs: []tack.ID{tack.ID(bob.ID)}, Text: "x", Emergency: true}, ""}, // the owner may
		{client.DingInput{UserIDs: []tack.ID{tack.ID(bob.ID)}, Text: strings.Repeat("x", 1001)}, "too_large"},
	} {
		if _, err := boss.SendDing(ctx, org, c.in); apiCode(err) != c.code {
			t.Errorf("DING %+v: %v, want %q", c.in, err, c.code)
		}
	}
	if err := boss.Do(ctx, "POST", "/api/v1/orgs/"+org+"/dings", map[string]any{"user_ids": "bob", "text": "x"}, nil); apiCode(err) != "invalid" {
		t.Errorf("user_ids of the wrong type: %v", err)
	}

	bs, cs, ss := connect(t, bob.Client, nil), connect(t, carol.Client, nil), connect(t, boss.Client, nil)
	d, err := boss.SendDing(ctx, org, client.DingInput{UserIDs: []tack.ID{tack.ID(bob.ID), tack.ID(carol.ID)}, Text: "机房停电, come now",
		Channels: []string{"call", "push", "email", "sms"}, EscalateAfterS: 1})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Channels, ",") != "app,push,email,sms,call" {
		t.Errorf("channels %q, want them in ladder order", d.Channels)
	}
	if len(d.Confirmed) != 0 || len(d.Unconfirmed) != 2 || !d.Sent {
		t.Fatalf("sent %+v", d)
	}
	id := string(d.ID)
	if _, err := outsider.Ding(ctx, org, id); apiCode(err) != "not_found" {
		t.Errorf("an outsider reads the DING: %v", err)
	}
	if _, err := dave.Ding(ctx, org, id); apiCode(err) != "not_found" {
		t.Errorf("a colleague who is not a recipient reads the DING: %v", err)
	}
	if _, err := dave.ConfirmDing(ctx, org, id); apiCode(err) != "not_found" {
		t.Errorf("a bystander confirms: %v", err)
	}
	if _, err := boss.ConfirmDing(ctx, org, id); apiCode(err) != "forbidden" {
		t.Errorf("the sender confirms: %v", err)
	}
	dingEvent(t, bs, "the DING at Bob", func(f dingFrame) bool { return f.Ding.ID == d.ID && f.Action == "sent" })
	dingEvent(t, cs, "the DING at Carol", func(f dingFrame) bool { return f.Ding.ID == d.ID })
	got, err := bob.ConfirmDing(ctx, org, id)
	if err != nil || !slices.Contains(got.Confirmed, tack.ID(bob.ID)) {
		t.Fatalf("Bob's confirmation: %+v, %v", got, err)
	}
	live := dingEvent(t, ss, "Bob's confirmation at the sender", func(f dingFrame) bool {
		return f.Ding.ID == d.ID && f.Action == "confirmed"
	})
	if len(live.Ding.Confirmed) != 1 || len(live.Ding.Unconfirmed) != 1 || live.Ding.Unconfirmed[0] != tack.ID(carol.ID) {
		t.Errorf("the sender saw %+v", live.Ding)
	}
	// Carol did not confirm: email after T, then SMS, then a call; Bob
	// gets none of them.
	mail := smtp.Wait(t, "carol@acme.example", nil)
	if !strings.Contains(mail.Text, "机房停电") {
		t.Errorf("the escalation mail says %q", mail.Text)
	}
	msg := sms.Wait(t, "+8613800000002")
	if !strings.Contains(msg.Text, "机房停电") {
		t.Errorf("the escalation SMS says %q", msg.Text)
	}
	call := voice.Wait(t, "+8613800000002")
	if !strings.Contains(call.Text, "机房停电") {
		t.Errorf("the escalation call reads %q", call.Text)
	}
	for _, m := range append(sms.Messages(), voice.Messages()...) {
		if m.To == "+8613800000001" {
			t.Errorf("Bob, who confirmed, got a text message or a call")
		}
	}
	for _, m := range smtp.Mails() {
		if slices.Contains(m.To, "bob@acme.example") {
			t.Errorf("Bob, who confirmed, got a mail")
		}
	}
	if _, err := carol.ConfirmDing(ctx, org, id); err != nil {
		t.Fatal(err)
	}
	final := mustDo[client.Ding](t)(boss.Ding(ctx, org, id))
	if len(final.Unconfirmed) != 0 || strings.Join(final.Reached, ",") != "app,push,email,sms,call" {
		t.Errorf("final view %+v", final)
	}
	if list := mustDo[[]client.Ding](t)(bob.Dings(ctx, org, "received", 0)); len(list) == 0 || list[0].ID != d.ID {
		t.Errorf("Bob's received box: %+v", list)
	}
	if _, err := bob.Dings(ctx, org, "drafts", 0); apiCode(err) != "invalid" {
		t.Errorf("box=drafts: %v", err)
	}

	// Quiet hours: Dave's own ranges cover the whole day.
	mustDo[client.QuietHours](t)(dave.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "UTC", Extra: []attendance.QuietRange{
		{From: "00:00", To: "12:00"}, {From: "12:00", To: "00:00"}}}))
	in := client.DingInput{UserIDs: []tack.ID{tack.ID(bob.ID), tack.ID(dave.ID)}, Text: "server down", Channels: []string{"push", "sms"}, EscalateAfterS: 1}
	err = boss.Do(ctx, "POST", "/api/v1/orgs/"+org+"/dings", in, nil)
	if e, ok := err.(*client.Error); !ok || e.Code != "invalid" || e.Field != "reason" {
		t.Fatalf("a DING into quiet hours without a reason: %v, want invalid reason", err)
	}
	in.Reason = "the payment system is down"
	before := len(sms.Messages())
	q, err := boss.SendDing(ctx, org, in)
	if err != nil || !q.Quiet {
		t.Fatalf("a DING into quiet hours: %+v, %v", q, err)
	}
	// Bob is escalated to SMS (his first: he confirmed the earlier DING);
	// Dave, quiet, is not: both are decided in the one escalation step
	// that texts Bob, so once Bob's text is there, Dave's would be too.
	sms.Wait(t, "+8613800000001")
	for _, m := range sms.Messages()[before:] {
		if m.To == "+8613800000003" {
			t.Errorf("Dave got an SMS in his quiet hours")
		}
	}
	for range 2 {
		if _, err := boss.SendDing(ctx, org, in); err != nil {
			t.Fatal(err)
		}
	}
	err = boss.Do(ctx, "POST", "/api/v1/orgs/"+org+"/dings", in, nil)
	if apiCode(err) != "quota_exceeded" {
		t.Errorf("a fourth DING into quiet hours: %v, want quota_exceeded", err)
	}
	// The organisation decides who sends.
	if _, err := bob.PutDingSettings(ctx, org, client.DingSettings{Senders: "admins"}); apiCode(err) != "forbidden" {
		t.Errorf("a member changed the DING settings: %v", err)
	}
	mustDo[client.DingSettings](t)(boss.PutDingSettings(ctx, org, client.DingSettings{Senders: "admins"}))
	if _, err := bob.SendDing(ctx, org, client.DingInput{UserIDs: []tack.ID{tack.ID(carol.ID)}, Text: "hi"}); apiCode(err) != "forbidden" {
		t.Errorf("a member's DING when only admins send: %v", err)
	}
	if _, err := outsider.DingSettings(ctx, org); apiCode(err) != "not_found" {
		t.Errorf("an outsider reads the settings: %v", err)
	}
}

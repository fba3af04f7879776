package org_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// The rules between people that chats and the directory share: blocks,
// privacy settings, who may put whom in a group, who sees whom online,
// what a removed member still hears, how a former member comes back. Each
// rule is a row of TestRulesMatrix: who tries it, and what each gets.

// stream opens u's stream and waits for its catch-up to end.
func stream(t *testing.T, u *tacktest.User) *client.Stream {
	t.Helper()
	sctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := u.Connect(sctx, client.StreamOptions{})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { s.CloseNow() })
	waitFor(t, s, "synced", func(e client.Event) bool { return e.Type == "synced" })
	return s
}

// waitFor reads events until match, failing after 10 s; it returns the
// events read before the match too.
func waitFor(t *testing.T, s *client.Stream, what string, match func(client.Event) bool) (client.Event, []client.Event) {
	t.Helper()
	var before []client.Event
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-s.Events():
			if !ok {
				t.Fatalf("waiting for %s: stream ended: %v", what, s.Err())
			}
			if match(e) {
				return e, before
			}
			before = append(before, e)
		case <-timeout:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

func setPrivacy(t *testing.T, u *tacktest.User, body map[string]any) {
	t.Helper()
	ok(t, u.Do(ctx, "PUT", "/api/v1/me/privacy", body, nil))
}

func befriend(t *testing.T, a, b *tacktest.User) {
	t.Helper()
	must(a.RequestFriend(ctx, b.ID))
	ok(t, b.AcceptFriend(ctx, a.ID))
}

// cid makes a client ID of a label.
func cid(label string) string { return strings.ReplaceAll(label, " ", "_") }

// row checks one rule: each actor's outcome against what it should be.
func row(t *testing.T, rule string, want map[string]string, run func(actor string) string) {
	t.Run(rule, func(t *testing.T) {
		names := make([]string, 0, len(want))
		for a := range want {
			names = append(names, a)
		}
		slices.Sort(names)
		for _, a := range names {
			if got := run(a); got != want[a] {
				t.Errorf("%s: got %s, want %s", a, got, want[a])
			}
		}
	})
}

func TestRulesMatrix(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	// People by their tie to target, an active member of the organisation.
	target := w.tina
	colleague := w.member
	friend := w.srv.NewUser(t, "Fred Friend")
	befriend(t, friend, target)
	stranger := w.strang
	blocker := w.sub // a colleague whom target blocks
	actors := map[string]*tacktest.User{"colleague": colleague, "friend": friend, "stranger": stranger, "blocked colleague": blocker}

	row(t, "a direct chat across a block carries nothing, either way", map[string]string{
		"blocker": "forbidden", "blocked": "forbidden", "unrelated": "ok", "after unblocking": "ok"}, func(a string) string {
		dm := must(target.CreateConversation(ctx, "direct", []string{blocker.ID}, ""))
		other := must(colleague.CreateConversation(ctx, "direct", []string{stranger.ID}, ""))
		mine := must(blocker.Send(ctx, string(dm.ID), client.Draft{ClientID: cid("before-" + a), Text: "hi"}))
		ok(t, target.Block(ctx, blocker.ID))
		defer target.Do(ctx, "DELETE", "/api/v1/blocks/"+blocker.ID, nil, nil)
		var err error
		switch a {
		case "blocker":
			_, err = target.Send(ctx, string(dm.ID), client.Draft{ClientID: cid("b1-" + a), Text: "still there?"})
		case "blocked":
			_, err = blocker.Send(ctx, string(dm.ID), client.Draft{ClientID: cid("b2-" + a), Text: "let me in"})
			if err == nil {
				break
			}
			if _, e := blocker.Edit(ctx, string(dm.ID), mine.Seq, "x"); code(e) != "forbidden" {
				return "edit " + code(e)
			}
		case "unrelated":
			_, err = colleague.Send(ctx, string(other.ID), client.Draft{ClientID: cid("b3-" + a), Text: "hello"})
		case "after unblocking":
			ok(t, target.Do(ctx, "DELETE", "/api/v1/blocks/"+blocker.ID, nil, nil))
			_, err = blocker.Send(ctx, string(dm.ID), client.Draft{ClientID: cid("b4-" + a), Text: "friends again"})
		}
		return code(err)
	})

	// Target is online; who learns it, by asking and by the stream. Each
	// has a direct chat with target: that alone does not open presence.
	for _, u := range actors {
		must(u.CreateConversation(ctx, "direct", []string{target.ID}, ""))
	}
	ts := stream(t, target)
	online := func(u *tacktest.User) string {
		var out struct{ Online []string }
		ok(t, u.Do(ctx, "GET", "/api/v1/presence?ids="+target.ID, nil, &out))
		if slices.Contains(out.Online, target.ID) {
			return "online"
		}
		return "hidden"
	}
	ok(t, target.Block(ctx, blocker.ID))
	// The target's stream goes online in the background: wait until a
	// colleague sees it (then the row checks everyone).
	for deadline := time.Now().Add(15 * time.Second); online(actors["colleague"]) != "online"; {
		if time.Now().After(deadline) {
			t.Fatal("the target's stream never showed online to a colleague")
		}
		time.Sleep(20 * time.Millisecond) // polling for the condition above, with its deadline
	}
	row(t, "presence shows only to colleagues and friends, never across a block", map[string]string{
		"colleague": "online", "friend": "online", "stranger": "hidden", "blocked colleague": "hidden"}, func(a string) string {
		return online(actors[a])
	})
	setPrivacy(t, target, map[string]any{"show_online": "nobody"})
	row(t, "presence hidden by its owner shows to nobody", map[string]string{
		"colleague": "hidden", "friend": "hidden", "stranger": "hidden", "blocked colleague": "hidden", "self": "online"}, func(a string) string {
		if a == "self" {
			return online(target)
		}
		return online(actors[a])
	})
	setPrivacy(t, target, map[string]any{"show_online": "everyone"})
	// Pushed presence: each connects, then target comes online again on a
	// second device; a colleague hears it, the others do not (the marker
	// message after it proves nothing came before).
	streams := map[string]*client.Stream{}
	for name, u := range actors {
		streams[name] = stream(t, u)
	}
	ts.CloseNow()
	for _, name := range []string{"colleague", "friend"} {
		waitFor(t, streams[name], "target offline", func(e client.Event) bool { return e.Type == "presence" && e.UserID == target.ID })
	}
	stream(t, target)
	row(t, "presence is pushed only to colleagues and friends", map[string]string{
		"colleague": "pushed", "friend": "pushed", "stranger": "not pushed", "blocked colleague": "not pushed"}, func(a string) string {
		s := streams[a]
		if a == "colleague" || a == "friend" {
			waitFor(t, s, "target online", func(e client.Event) bool { return e.Type == "presence" && e.UserID == target.ID })
			return "pushed"
		}
		dm := must(colleague.CreateConversation(ctx, "direct", []string{actors[a].ID}, ""))
		marker := cid("marker-" + a)
		must(colleague.Send(ctx, string(dm.ID), client.Draft{ClientID: marker, Text: "marker"}))
		_, before := waitFor(t, s, "marker", func(e client.Event) bool { return e.Type == "message" && e.Message.ClientID == marker })
		for _, e := range before {
			if e.Type == "presence" && e.UserID == target.ID {
				return "pushed"
			}
		}
		return "not pushed"
	})
	ok(t, target.Do(ctx, "DELETE", "/api/v1/blocks/"+blocker.ID, nil, nil))

	// Who may put target in a group.
	addOutcome := func(a string) string {
		u := actors[a]
		_, err := u.CreateConversation(ctx, "group", []string{target.ID}, "with target")
		g := must(u.CreateConversation(ctx, "group", nil, "then add"))
		err2 := u.AddMembers(ctx, string(g.ID), []string{target.ID})
		if code(err) != code(err2) {
			return fmt.Sprintf("create %s, add %s", code(err), code(err2))
		}
		return code(err)
	}
	setPrivacy(t, target, map[string]any{"add_to_groups": "colleagues_and_friends"})
	row(t, "groups: target lets colleagues and friends add them", map[string]string{
		"colleague": "ok", "friend": "ok", "stranger": "refused", "blocked colleague": "ok"}, addOutcome)
	setPrivacy(t, target, map[string]any{"add_to_groups": "nobody"})
	row(t, "groups: target lets nobody add them", map[string]string{
		"colleague": "refused", "friend": "refused", "stranger": "refused", "blocked colleague": "refused"}, addOutcome)
	setPrivacy(t, target, map[string]any{"add_to_groups": "everyone"})
	row(t, "groups: target lets everyone add them", map[string]string{
		"colleague": "ok", "friend": "ok", "stranger": "ok"}, addOutcome)

	// Edits follow the rules of sends: mute-all.
	g := must(w.owner.CreateConversation(ctx, "group", []string{w.admin.ID, colleague.ID}, "muted"))
	ok(t, w.owner.SetRole(ctx, string(g.ID), w.admin.ID, "admin"))
	seqs := map[string]int64{}
	for name, u := range map[string]*tacktest.User{"group owner": w.owner, "group admin": w.admin, "group member": colleague} {
		seqs[name] = must(u.Send(ctx, string(g.ID), client.Draft{ClientID: cid("m-" + name), Text: "before the mute"})).Seq
	}
	mute := true
	must(w.owner.UpdateConversation(ctx, string(g.ID), nil, &mute))
	row(t, "edits obey mute-all as sends do", map[string]string{
		"group owner": "ok", "group admin": "ok", "group member": "forbidden", "outsider": "not_found"}, func(a string) string {
		u := map[string]*tacktest.User{"group owner": w.owner, "group admin": w.admin, "group member": colleague, "outsider": stranger}[a]
		seq := seqs[a]
		if a == "outsider" {
			seq = seqs["group owner"]
		}
		_, err := u.Edit(ctx, string(g.ID), seq, "edited")
		return code(err)
	})

	// A member removed from a group hears no more of it: not who reads
	// their old messages. removed sent in two groups; the reader reads the
	// first after removed has left it, then the second, where removed still
	// is: its read event is the marker.
	removed, reader := w.srv.NewUser(t, "Rita Removed"), w.srv.NewUser(t, "Reed Reader")
	g1 := must(w.owner.CreateConversation(ctx, "group", []string{removed.ID, reader.ID}, "one"))
	g2 := must(w.owner.CreateConversation(ctx, "group", []string{removed.ID, reader.ID}, "two"))
	m1 := must(removed.Send(ctx, string(g1.ID), client.Draft{ClientID: "r1", Text: "read me later"}))
	m2 := must(removed.Send(ctx, string(g2.ID), client.Draft{ClientID: "r2", Text: "and me"}))
	rs := stream(t, removed)
	ok(t, w.owner.RemoveMember(ctx, string(g1.ID), removed.ID))
	row(t, "read events reach senders who are still members only", map[string]string{
		"removed sender": "hears nothing", "sender still there": "hears it"}, func(a string) string {
		if a == "removed sender" {
			must(reader.MarkRead(ctx, string(g1.ID), m1.Seq))
			must(reader.MarkRead(ctx, string(g2.ID), m2.Seq))
			_, before := waitFor(t, rs, "read of group two", func(e client.Event) bool {
				return e.Type == "read" && e.ConversationID == string(g2.ID)
			})
			for _, e := range before {
				if e.Type == "read" && e.ConversationID == string(g1.ID) {
					return "hears it"
				}
			}
			return "hears nothing"
		}
		return "hears it" // the marker above
	})

	// A former member comes back on a general link only with approval.
	link := must(w.owner.CreateInvitation(ctx, oid, map[string]any{"max_uses": 10}))
	row(t, "a general link kept after leaving asks for approval", map[string]string{
		"removed by an admin": "pending", "left on their own": "pending", "newcomer": "active", "removed, declined": "left"}, func(a string) string {
		u := w.srv.NewUser(t, "Paul "+a)
		if a != "newcomer" {
			m := must(u.AcceptInvitation(ctx, link.Code)).Member
			if a == "left on their own" {
				ok(t, u.LeaveOrg(ctx, oid))
			} else {
				must(w.owner.SetMemberStatus(ctx, oid, string(m.ID), "left"))
			}
			if p := must(u.PreviewInvitation(ctx, link.Code)); !p.Approval {
				return "preview says no approval"
			}
		}
		j := must(u.AcceptInvitation(ctx, link.Code))
		if a == "removed, declined" {
			ok(t, w.owner.DeclineRequest(ctx, oid, string(j.Member.ID)))
			return must(w.owner.OrgMember(ctx, oid, string(j.Member.ID))).Status
		}
		return j.Status
	})
}

// TestGroupAndEditLimits: making groups and editing are charged to the
// maker's and sender's limits.
func TestGroupAndEditLimits(t *testing.T) {
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.SendRate = 2 }))
	a, b := srv.NewUser(t, "A"), srv.NewUser(t, "B")
	codes := map[string]int{}
	for range 40 {
		_, err := a.CreateConversation(ctx, "group", []string{b.ID}, "spam")
		codes[code(err)]++
	}
	if codes["rate_limited"] == 0 || codes["ok"] > 31 {
		t.Errorf("40 groups at once: %v", codes)
	}
	dm := must(a.CreateConversation(ctx, "direct", []string{b.ID}, ""))
	m := must(a.Send(ctx, string(dm.ID), client.Draft{ClientID: "e", Text: "typo"}))
	codes = map[string]int{}
	for i := range 40 {
		_, err := a.Edit(ctx, string(dm.ID), m.Seq, strings.Repeat("x", i+1))
		codes[code(err)]++
	}
	if codes["rate_limited"] == 0 {
		t.Errorf("40 edits at once with a limit of 2 a second: %v", codes)
	}
	// The privacy settings refuse bad values, and echo the good ones.
	var p struct {
		AddToGroups string `json:"add_to_groups"`
		ShowOnline  string `json:"show_online"`
	}
	ok(t, a.Do(ctx, "GET", "/api/v1/me/privacy", nil, &p))
	if p.AddToGroups != "everyone" || p.ShowOnline != "everyone" {
		t.Errorf("defaults: %+v", p)
	}
	for _, body := range []map[string]any{{"add_to_groups": "friends"}, {"show_online": "colleagues_and_friends"}, {"show_online": 3}} {
		if err := a.Do(ctx, "PUT", "/api/v1/me/privacy", body, nil); code(err) != "invalid" {
			t.Errorf("PUT %v: %v", body, err)
		}
	}
	ok(t, a.Do(ctx, "PUT", "/api/v1/me/privacy", map[string]any{"add_to_groups": "nobody"}, &p))
	if p.AddToGroups != "nobody" || p.ShowOnline != "everyone" {
		t.Errorf("after PUT: %+v", p)
	}
}

// TestAuditParams: audit entries carry a stable code (action) and the
// parameters a client needs to say them in its own language.
func TestAuditParams(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	must(w.owner.SetMemberStatus(ctx, oid, string(w.target.ID), "suspended"))
	must(w.owner.CreateDepartment(ctx, oid, "", "Legal"))
	must(w.owner.ImportMembers(ctx, oid, []byte("name,employee_no\nZed,Z1\nYan,Y1\n"), client.ImportOptions{}))
	entries, _ := must2(w.owner.AuditLog(ctx, oid, "", 50))
	got := map[string]map[string]any{}
	for _, e := range entries {
		if _, seen := got[e.Action]; !seen {
			got[e.Action] = e.Params
		}
	}
	want := map[string]map[string]any{
		"member.status":     {"actor": "Olga Owner", "target": "Tina Target", "from": "active", "to": "suspended"},
		"department.create": {"actor": "Olga Owner", "target": "Legal", "name": "Legal"},
		"member.import":     {"actor": "Olga Owner", "rows": float64(2), "created": float64(2), "updated": float64(0), "unchanged": float64(0), "new_departments": float64(0)},
		"member.role":       {"actor": "Olga Owner", "target": "Sam Subadmin", "from": "member", "to": "subadmin"},
		"org.create":        {"actor": "Olga Owner", "target": w.org.Name, "name": w.org.Name},
	}
	for action, params := range want {
		p := got[action]
		for k, v := range params {
			if p[k] != v {
				t.Errorf("%s: params[%s] = %v, want %v (all: %v)", action, k, p[k], v, p)
			}
		}
	}
}

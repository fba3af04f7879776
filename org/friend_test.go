package org_test

import (
	"slices"
	"testing"
)

// TestFriendsBlocksExternal checks friend requests, blocks, external
// marking and an organisation forbidding chats with outsiders.
func TestFriendsBlocksExternal(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	a, b := w.member, w.strang

	// Friend request, accept.
	if st := must(a.RequestFriend(ctx, b.ID)); st != "outgoing" {
		t.Errorf("request: %s", st)
	}
	fs := must(b.Friends(ctx))
	if len(fs) != 1 || fs[0].State != "incoming" || fs[0].Name != a.Name {
		t.Fatalf("b's view: %+v", fs)
	}
	ok(t, b.AcceptFriend(ctx, a.ID))
	if fs := must(a.Friends(ctx)); len(fs) != 1 || fs[0].State != "friend" {
		t.Fatalf("a's view after accept: %+v", fs)
	}
	// A chat between a (in an organisation) and b (outside): external for a.
	dm := must(a.CreateConversation(ctx, "direct", []string{b.ID}, ""))
	coworker := must(a.CreateConversation(ctx, "direct", []string{w.sub.ID}, ""))
	ext := must(a.ExternalConversations(ctx))
	if !slices.Contains(ext, string(dm.ID)) || slices.Contains(ext, string(coworker.ID)) {
		t.Errorf("external conversations of a: %v (dm %s, coworker %s)", ext, dm.ID, coworker.ID)
	}
	if ext := must(b.ExternalConversations(ctx)); len(ext) != 0 {
		t.Errorf("b belongs to no organisation, yet has external conversations: %v", ext)
	}
	// The conversation itself says so, in the list and alone.
	for _, c := range must(a.Conversations(ctx)) {
		if c.External != (c.ID == dm.ID) {
			t.Errorf("a's list: %s external=%v", c.ID, c.External)
		}
	}
	if c := must(a.Conversation(ctx, string(dm.ID))); !c.External {
		t.Errorf("a's view of the chat with an outsider is not external")
	}
	if c := must(b.Conversation(ctx, string(dm.ID))); c.External {
		t.Errorf("b, in no organisation, sees the chat as external")
	}

	// The organisation forbids chats with outsiders: new ones are refused
	// both ways; coworkers still fine.
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"forbid_external_chats": true}}))
	c := w.srv.NewUser(t, "Carl Outsider")
	if _, err := a.CreateConversation(ctx, "direct", []string{c.ID}, ""); code(err) != "invalid" {
		t.Errorf("member starts a chat with an outsider: %v", err)
	}
	if _, err := c.CreateConversation(ctx, "direct", []string{a.ID}, ""); code(err) != "invalid" {
		t.Errorf("outsider starts a chat with a member: %v", err)
	}
	if _, err := a.CreateConversation(ctx, "group", []string{w.admin.ID, w.sub.ID}, "team"); err != nil {
		t.Errorf("group of coworkers: %v", err)
	}
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"forbid_external_chats": false}}))

	// Blocks: no new chats either way, requests vanish.
	ok(t, c.Block(ctx, a.ID))
	if _, err := a.CreateConversation(ctx, "direct", []string{c.ID}, ""); code(err) != "invalid" {
		t.Errorf("chat with someone who blocked you: %v", err)
	}
	if _, err := c.CreateConversation(ctx, "direct", []string{a.ID}, ""); code(err) != "invalid" {
		t.Errorf("chat with someone you blocked: %v", err)
	}
	if st := must(a.RequestFriend(ctx, c.ID)); st != "outgoing" {
		t.Errorf("request to a blocker: %s", st)
	}
	for _, f := range must(c.Friends(ctx)) {
		if f.State == "incoming" {
			t.Errorf("a blocked person's request arrived")
		}
	}
	if _, err := c.RequestFriend(ctx, a.ID); code(err) != "conflict" {
		t.Errorf("request to someone you blocked: %v", err)
	}
}

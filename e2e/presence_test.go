package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

func onlineIDs(t *testing.T, c *client.Client, id string) []string {
	t.Helper()
	var out struct{ Online []string }
	if err := c.Do(context.Background(), "GET", "/api/v1/presence?ids="+id, nil, &out); err != nil {
		t.Fatal(err)
	}
	return out.Online
}

func TestPresence(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	stranger := srv.NewUser(t, "Stranger")
	// Presence shows to colleagues and friends: a and b are friends; the
	// stranger has a direct chat with b, which is not enough.
	if _, err := a.RequestFriend(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.AcceptFriend(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	stranger.CreateConversation(ctx, "direct", []string{b.ID}, "")
	a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	as := connect(t, a.Client, nil)
	if got := onlineIDs(t, a.Client, b.ID); len(got) != 0 {
		t.Fatalf("b online before connecting: %v", got)
	}
	bs := connect(t, b.Client, nil)
	e := waitEvent(t, as, "presence online", func(e client.Event) bool { return e.Type == "presence" && e.UserID == b.ID })
	if !jsonBool(e.Raw, "online") {
		t.Fatalf("presence event %s", e.Raw)
	}
	if got := onlineIDs(t, a.Client, b.ID); len(got) != 1 {
		t.Fatalf("b not online: %v", got)
	}
	// Someone who is neither colleague nor friend learns nothing.
	if got := onlineIDs(t, stranger.Client, b.ID); len(got) != 0 {
		t.Fatalf("stranger sees b's presence: %v", got)
	}
	bs.Close()
	waitEvent(t, as, "presence offline", func(e client.Event) bool {
		return e.Type == "presence" && e.UserID == b.ID && !jsonBool(e.Raw, "online")
	})
	deadline := time.Now().Add(5 * time.Second)
	for len(onlineIDs(t, a.Client, b.ID)) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("b still online after leaving")
		}
		time.Sleep(20 * time.Millisecond) // polling for the condition above, with its deadline
	}
}

func TestMuteFollowsTheUser(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, _ := a.CreateConversation(ctx, "group", []string{b.ID}, "g")
	other := client.New(srv.URL)
	if _, err := other.SignIn(ctx, a.Login, a.Password); err != nil {
		t.Fatal(err)
	}
	os := connect(t, other, nil)
	var c client.Conversation
	if err := a.Do(ctx, "PUT", "/api/v1/conversations/"+string(conv.ID)+"/settings", map[string]bool{"muted": true}, &c); err != nil {
		t.Fatal(err)
	}
	if !c.Muted {
		t.Fatalf("answer not muted: %+v", c)
	}
	waitEvent(t, os, "mute on the other device", func(e client.Event) bool {
		return e.Type == "conversation" && e.Conversation != nil && e.Conversation.ID == conv.ID && e.Conversation.Muted
	})
	list, _ := b.Conversations(ctx)
	if list[0].Muted {
		t.Fatal("b sees a's mute")
	}
	if err := b.Do(ctx, "PUT", "/api/v1/conversations/"+string(conv.ID)+"/settings", map[string]any{}, nil); apiCode(err) != "invalid" {
		t.Fatalf("settings without muted: %v", err)
	}
}

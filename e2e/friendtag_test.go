package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestFriendTags: the tags API checks its input at the edge, keeps each
// person's tags to themselves, and a tag chosen as an audience stands for
// its friends when the moment is posted (changing or deleting it later
// leaves the moment's audience as it was).
func TestFriendTags(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	alice, bob, carol, dan := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol"), srv.NewUser(t, "Dan")
	friends(t, alice, bob)
	friends(t, alice, carol)

	bad := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"no name", "POST", "/api/v1/friend-tags", `{"user_ids":[]}`, 400, tack.EInvalid},
		{"no members", "POST", "/api/v1/friend-tags", `{"name":"x"}`, 400, tack.EInvalid},
		{"blank name", "POST", "/api/v1/friend-tags", `{"name":"  ","user_ids":[]}`, 400, tack.EInvalid},
		{"long name", "POST", "/api/v1/friend-tags", `{"name":"` + strings.Repeat("字", 33) + `","user_ids":[]}`, 413, tack.ETooLarge},
		{"a stranger", "POST", "/api/v1/friend-tags", `{"name":"x","user_ids":["` + dan.ID + `"]}`, 400, tack.EInvalid},
		{"wrong type", "POST", "/api/v1/friend-tags", `{"name":1,"user_ids":[]}`, 400, tack.EInvalid},
		{"malformed", "POST", "/api/v1/friend-tags", `{"name":`, 400, tack.EInvalid},
		{"patch nothing", "PATCH", "/api/v1/friend-tags/" + string(tack.NewID()), `{}`, 400, tack.EInvalid},
		{"patch missing", "PATCH", "/api/v1/friend-tags/" + string(tack.NewID()), `{"name":"y"}`, 404, tack.ENotFound},
		{"delete bad id", "DELETE", "/api/v1/friend-tags/..x", ``, 404, tack.ENotFound},
	}
	for _, b := range bad {
		status, body := raw(t, b.method, srv.URL+b.path, alice.Token, []byte(b.body))
		if status != b.status || errCode(body) != b.code {
			t.Errorf("%s: %d %v, want %d %s", b.name, status, body, b.status, b.code)
		}
	}
	if status, _ := raw(t, "GET", srv.URL+"/api/v1/friend-tags", "", nil); status != http.StatusUnauthorized {
		t.Errorf("tags without a token: %d", status)
	}
	if ts := mustDo[[]client.FriendTag](t)(alice.FriendTags(ctx)); len(ts) != 0 {
		t.Errorf("a failed request left tags: %+v", ts)
	}

	fam := mustDo[client.FriendTag](t)(alice.CreateFriendTag(ctx, "家人", []string{bob.ID}))
	if _, err := alice.CreateFriendTag(ctx, "家人", nil); apiCode(err) != tack.EConflict {
		t.Errorf("a second 家人: %v", err)
	}
	// Bob neither sees nor touches Alice's tag, nor posts to it.
	if ts := mustDo[[]client.FriendTag](t)(bob.FriendTags(ctx)); len(ts) != 0 {
		t.Errorf("bob sees tags %+v", ts)
	}
	name := "mine"
	if _, err := bob.UpdateFriendTag(ctx, string(fam.ID), &name, nil); apiCode(err) != tack.ENotFound {
		t.Errorf("bob renamed alice's tag: %v", err)
	}
	if err := bob.DeleteFriendTag(ctx, string(fam.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("bob deleted alice's tag: %v", err)
	}
	if _, err := bob.PostMoment(ctx, client.MomentInput{Text: "x", Audience: circle.Audience{Type: circle.Only, TagIDs: []tack.ID{fam.ID}}}); apiCode(err) != tack.EInvalid {
		t.Errorf("bob posted to alice's tag: %v", err)
	}
	if _, err := alice.PostMoment(ctx, client.MomentInput{Text: "x", Audience: circle.Audience{Type: circle.Friends, TagIDs: []tack.ID{fam.ID}}}); apiCode(err) != tack.EInvalid {
		t.Errorf("a friends audience with a tag: %v", err)
	}

	m := mustDo[client.Moment](t)(alice.PostMoment(ctx, client.MomentInput{Text: "家", Audience: circle.Audience{Type: circle.Only, TagIDs: []tack.ID{fam.ID}}}))
	if m.Audience == nil || len(m.Audience.TagIDs) != 1 || len(m.Audience.UserIDs) != 1 || m.Audience.UserIDs[0] != tack.ID(bob.ID) {
		t.Errorf("the author's view of the audience: %+v", m.Audience)
	}
	// The tag changes: carol in, bob out. The moment keeps bob, not carol.
	up := mustDo[client.FriendTag](t)(alice.UpdateFriendTag(ctx, string(fam.ID), nil, []string{carol.ID}))
	if up.Name != "家人" || len(up.UserIDs) != 1 || up.UserIDs[0] != tack.ID(carol.ID) {
		t.Errorf("updated tag %+v", up)
	}
	if _, err := bob.Moment(ctx, string(m.ID)); err != nil {
		t.Errorf("bob lost a moment posted to the tag he was in: %v", err)
	}
	if _, err := carol.Moment(ctx, string(m.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("carol sees a moment posted before she was tagged: %v", err)
	}
	// A new moment to the tag reaches carol.
	m2 := mustDo[client.Moment](t)(alice.PostMoment(ctx, client.MomentInput{Text: "家2", Audience: circle.Audience{Type: circle.Only, TagIDs: []tack.ID{fam.ID}}}))
	if _, err := carol.Moment(ctx, string(m2.ID)); err != nil {
		t.Errorf("carol misses a moment to her tag: %v", err)
	}
	if _, err := bob.Moment(ctx, string(m2.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("bob sees a moment to a tag he left: %v", err)
	}
	// Unfriending drops carol from what the tag holds.
	if err := alice.Do(ctx, "DELETE", "/api/v1/friends/"+carol.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if ts := mustDo[[]client.FriendTag](t)(alice.FriendTags(ctx)); len(ts) != 1 || len(ts[0].UserIDs) != 0 {
		t.Errorf("tags after unfriending carol: %+v", ts)
	}
	if _, err := alice.PostMoment(ctx, client.MomentInput{Text: "x", Audience: circle.Audience{Type: circle.Only, TagIDs: []tack.ID{fam.ID}}}); apiCode(err) != tack.EInvalid {
		t.Errorf("only to a tag of nobody: %v", err)
	}
	if err := alice.DeleteFriendTag(ctx, string(fam.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Moment(ctx, string(m.ID)); err != nil {
		t.Errorf("deleting the tag changed a posted moment's audience: %v", err)
	}
}

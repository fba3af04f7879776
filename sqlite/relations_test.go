package sqlite_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
)

// TestRelationsAmong: edges both ways between a user and a list of others,
// each once however often it is named, none for others outside the list,
// and a list longer than any IN list the statement used to chunk.
func TestRelationsAmong(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	user := func(name string) tack.ID {
		u := account.User{ID: tack.NewID(), Login: name + "@example.com", Name: name, CreatedAt: time.Now()}
		if err := db.CreateUser(ctx, u, "x"); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	me, friend, blocker, outside, stranger := user("me"), user("friend"), user("blocker"), user("outside"), user("stranger")
	at := time.Now().UTC().Truncate(time.Microsecond)
	if err := db.SetRelations(ctx, []org.Relation{
		{UserID: me, OtherID: friend, State: "friend", At: at},
		{UserID: blocker, OtherID: me, State: "blocked", At: at},
		{UserID: outside, OtherID: me, State: "friend", At: at},     // not asked about
		{UserID: friend, OtherID: blocker, State: "friend", At: at}, // not mine
	}); err != nil {
		t.Fatal(err)
	}
	key := func(rs []org.Relation) []string {
		var out []string
		for _, r := range rs {
			out = append(out, string(r.UserID)+">"+string(r.OtherID)+":"+r.State)
		}
		slices.Sort(out)
		return out
	}
	want := key([]org.Relation{{UserID: me, OtherID: friend, State: "friend"}, {UserID: blocker, OtherID: me, State: "blocked"}})
	others := []tack.ID{stranger, friend, blocker, friend}
	for range 1000 {
		others = append(others, tack.NewID())
	}
	others = append(others, blocker)
	rs, err := db.RelationsAmong(ctx, me, others)
	if err != nil {
		t.Fatal(err)
	}
	if got := key(rs); !slices.Equal(got, want) {
		t.Fatalf("relations = %v, want %v", got, want)
	}
	for _, r := range rs {
		if !r.At.Equal(at) {
			t.Fatalf("at = %v, want %v", r.At, at)
		}
	}
	if rs, err := db.RelationsAmong(ctx, me, nil); err != nil || len(rs) != 0 {
		t.Fatalf("no others: %v %v", rs, err)
	}
	if rs, err := db.RelationsAmong(ctx, me, []tack.ID{stranger}); err != nil || len(rs) != 0 {
		t.Fatalf("a stranger: %v %v", rs, err)
	}
}

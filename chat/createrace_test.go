package chat_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus/inmem"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/sqlite"
)

// lateStore answers the next lookup of a pair's chat "none yet", as when
// the other person's create commits between this create's lookup and its
// insert.
type lateStore struct {
	*sqlite.DB
	miss atomic.Bool
}

func (s *lateStore) DirectBetween(ctx context.Context, a, b tack.ID) (tack.ID, error) {
	if s.miss.Swap(false) {
		return "", tack.ErrNotFound
	}
	return s.DB.DirectBetween(ctx, a, b)
}

func (s *lateStore) SecretBetween(ctx context.Context, a, b tack.ID) (tack.ID, error) {
	if s.miss.Swap(false) {
		return "", tack.ErrNotFound
	}
	return s.DB.SecretBetween(ctx, a, b)
}

// Two people who open the same direct (or secret) chat at the same instant
// both get the one chat: the create that loses the race on the store's
// unique key returns the chat the other made, as not created, whatever the
// interleaving (the race itself is reached only sometimes by concurrent
// tests; this one forces it).
func TestCreateRaceReturnsTheOtherChat(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	var users []tack.ID
	for i := 0; i < 2; i++ {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("race%d@x.y", i), Name: fmt.Sprint("user ", i), CreatedAt: now}
		if err := db.CreateUser(context.Background(), u, "x"); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	st := &lateStore{DB: db}
	svc := chat.NewService(st, &inmem.Bus{}, everyone{}, func() time.Time { return now }, chat.Config{})
	t.Cleanup(svc.Close)
	as := func(i int) context.Context {
		return tack.WithCaller(context.Background(), tack.Caller{UserID: users[i]})
	}
	for _, kind := range []string{chat.Direct, chat.Secret} {
		first, created, err := svc.Create(as(0), kind, []tack.ID{users[1]}, "")
		if err != nil || !created {
			t.Fatalf("%s: the first create: %v (created %v)", kind, err, created)
		}
		st.miss.Store(true)
		second, created, err := svc.Create(as(1), kind, []tack.ID{users[0]}, "")
		if err != nil {
			t.Fatalf("%s: the create that lost the race: %v", kind, err)
		}
		if created || second.ID != first.ID || second.Kind != kind {
			t.Fatalf("%s: the create that lost the race returned %s (%s, created %v), want %s", kind, second.ID, second.Kind, created, first.ID)
		}
	}
}

package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// TestAccountStore runs the account.Store conformance tests. open must
// return a new, empty store for each call.
func TestAccountStore(t *testing.T, open func(t *testing.T) account.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, account.Store)
	}{
		{"UserRoundTrip", testUserRoundTrip},
		{"UserNotFound", testUserNotFound},
		{"LoginTaken", testLoginTaken},
		{"Users", testUsers},
		{"SearchByLogin", testSearchByLogin},
		{"Sessions", testSessions},
		{"DeleteSession", testDeleteSession},
		{"TouchSession", testTouchSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
}

func newUser(t *testing.T, as account.Store, name string) account.User {
	t.Helper()
	u := account.User{ID: tack.NewID(), Login: uniqueLogin("u"), Name: name, CreatedAt: now()}
	must(t, "CreateUser", as.CreateUser(context.Background(), u, "hash-of-"+string(u.ID)))
	return u
}

func sameUser(t *testing.T, what string, got, want account.User) {
	t.Helper()
	if got.ID != want.ID || got.Login != want.Login || got.Name != want.Name {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	sameTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
}

func testUserRoundTrip(t *testing.T, as account.Store) {
	ctx := context.Background()
	for _, name := range []string{"Ada Lovelace", "张伟", "曾小贤 Zeng", "😀 emoji", strings.Repeat("名", 64)} {
		u := account.User{ID: tack.NewID(), Login: uniqueLogin("rt"), Name: name, CreatedAt: now()}
		hash := "$argon2id$v=19$m=19456,t=2,p=1$" + string(u.ID)
		must(t, "CreateUser", as.CreateUser(ctx, u, hash))

		got, err := as.User(ctx, u.ID)
		must(t, "User", err)
		sameUser(t, "User", got, u)

		got, gotHash, err := as.UserByLogin(ctx, u.Login)
		must(t, "UserByLogin", err)
		sameUser(t, "UserByLogin", got, u)
		if gotHash != hash {
			t.Errorf("UserByLogin hash = %q, want %q", gotHash, hash)
		}
	}
}

func testUserNotFound(t *testing.T, as account.Store) {
	ctx := context.Background()
	newUser(t, as, "someone")
	_, err := as.User(ctx, tack.NewID())
	wantNotFound(t, "User of an unknown ID", err)
	_, _, err = as.UserByLogin(ctx, "nobody@example.com")
	wantNotFound(t, "UserByLogin of an unknown login", err)
	_, err = as.SessionByTokenHash(ctx, make([]byte, 32))
	wantNotFound(t, "SessionByTokenHash of an unknown hash", err)
}

func testLoginTaken(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "first")
	dup := account.User{ID: tack.NewID(), Login: u.Login, Name: "second", CreatedAt: now()}
	err := as.CreateUser(ctx, dup, "x")
	wantCode(t, "CreateUser with a taken login", err, tack.EConflict)
	// The first user is untouched and the second does not exist.
	got, _, err := as.UserByLogin(ctx, u.Login)
	must(t, "UserByLogin", err)
	sameUser(t, "UserByLogin after the clash", got, u)
	_, err = as.User(ctx, dup.ID)
	wantNotFound(t, "User of the rejected user", err)
}

func testUsers(t *testing.T, as account.Store) {
	ctx := context.Background()
	var ids []tack.ID
	want := map[tack.ID]account.User{}
	for i := 0; i < 5; i++ {
		u := newUser(t, as, "user "+string(rune('A'+i)))
		ids = append(ids, u.ID)
		want[u.ID] = u
	}
	tests := []struct {
		name string
		ids  []tack.ID
		want []tack.ID
	}{
		{"none", nil, nil},
		{"one", ids[:1], ids[:1]},
		{"all", ids, ids},
		{"unknown ignored", []tack.ID{tack.NewID(), ids[2], tack.NewID()}, ids[2:3]},
		// Many ids, to cross any chunking of IN lists.
		{"many", append(manyIDs(1500), ids[4], ids[0]), []tack.ID{ids[4], ids[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := as.Users(ctx, tt.ids)
			must(t, "Users", err)
			var got []tack.ID
			for _, u := range list {
				got = append(got, u.ID)
				sameUser(t, "Users item", u, want[u.ID])
			}
			if !sameIDs(got, tt.want) {
				t.Errorf("Users = %v, want %v", got, tt.want)
			}
		})
	}
}

func manyIDs(n int) []tack.ID {
	ids := make([]tack.ID, n)
	for i := range ids {
		ids[i] = tack.NewID()
	}
	return ids
}

// testSearchByLogin: with no SharingWith, only the exact login is found.
// (Searches that need shared conversations are in the chat suite.)
func testSearchByLogin(t *testing.T, as account.Store) {
	ctx := context.Background()
	u := newUser(t, as, "Searchable")
	newUser(t, as, "Searchable Too")
	list, err := as.SearchUsers(ctx, account.UserQuery{Text: "search", Login: u.Login, Limit: 10})
	must(t, "SearchUsers", err)
	if len(list) != 1 || list[0].ID != u.ID {
		t.Errorf("SearchUsers by login = %+v, want only %s", list, u.ID)
	}
	list, err = as.SearchUsers(ctx, account.UserQuery{Login: "nobody@example.com", Limit: 10})
	must(t, "SearchUsers", err)
	if len(list) != 0 {
		t.Errorf("SearchUsers by unknown login = %+v, want none", list)
	}
}

func newSession(t *testing.T, as account.Store, userID tack.ID) account.Session {
	t.Helper()
	h := sha256.Sum256([]byte(tack.NewID()))
	at := now()
	s := account.Session{ID: tack.NewID(), UserID: userID, TokenHash: h[:], Device: "Mozilla/5.0 (测试)",
		Address: "192.0.2.7", CreatedAt: at, LastSeenAt: at}
	must(t, "CreateSession", as.CreateSession(context.Background(), s))
	return s
}

func sameSession(t *testing.T, what string, got, want account.Session) {
	t.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || !bytes.Equal(got.TokenHash, want.TokenHash) ||
		got.Device != want.Device || got.Address != want.Address {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	sameTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, what+".LastSeenAt", got.LastSeenAt, want.LastSeenAt)
}

func testSessions(t *testing.T, as account.Store) {
	ctx := context.Background()
	alice, bob := newUser(t, as, "alice"), newUser(t, as, "bob")
	a1, a2 := newSession(t, as, alice.ID), newSession(t, as, alice.ID)
	b1 := newSession(t, as, bob.ID)

	for _, s := range []account.Session{a1, a2, b1} {
		got, err := as.SessionByTokenHash(ctx, s.TokenHash)
		must(t, "SessionByTokenHash", err)
		sameSession(t, "SessionByTokenHash", got, s)
	}
	list, err := as.Sessions(ctx, alice.ID)
	must(t, "Sessions", err)
	if len(list) != 2 {
		t.Fatalf("Sessions(alice) has %d sessions, want 2", len(list))
	}
	for _, s := range list {
		switch s.ID {
		case a1.ID:
			sameSession(t, "Sessions item", s, a1)
		case a2.ID:
			sameSession(t, "Sessions item", s, a2)
		default:
			t.Errorf("Sessions(alice) lists %s", s.ID)
		}
	}
	list, err = as.Sessions(ctx, tack.NewID())
	must(t, "Sessions of an unknown user", err)
	if len(list) != 0 {
		t.Errorf("Sessions of an unknown user = %+v", list)
	}
}

func testDeleteSession(t *testing.T, as account.Store) {
	ctx := context.Background()
	alice, bob := newUser(t, as, "alice"), newUser(t, as, "bob")
	a1, a2 := newSession(t, as, alice.ID), newSession(t, as, alice.ID)

	// Not bob's to delete.
	wantNotFound(t, "DeleteSession of another user's session", as.DeleteSession(ctx, bob.ID, a1.ID))
	if _, err := as.SessionByTokenHash(ctx, a1.TokenHash); err != nil {
		t.Errorf("session gone after another user's DeleteSession: %v", err)
	}
	must(t, "DeleteSession", as.DeleteSession(ctx, alice.ID, a1.ID))
	_, err := as.SessionByTokenHash(ctx, a1.TokenHash)
	wantNotFound(t, "SessionByTokenHash of a deleted session", err)
	wantNotFound(t, "DeleteSession twice", as.DeleteSession(ctx, alice.ID, a1.ID))
	wantNotFound(t, "DeleteSession of an unknown session", as.DeleteSession(ctx, alice.ID, tack.NewID()))

	list, err := as.Sessions(ctx, alice.ID)
	must(t, "Sessions", err)
	if len(list) != 1 || list[0].ID != a2.ID {
		t.Errorf("Sessions after delete = %+v, want only %s", list, a2.ID)
	}
}

func testTouchSession(t *testing.T, as account.Store) {
	ctx := context.Background()
	alice := newUser(t, as, "alice")
	s := newSession(t, as, alice.ID)
	later := now().Add(time.Hour)
	must(t, "TouchSession", as.TouchSession(ctx, s.ID, later))
	got, err := as.SessionByTokenHash(ctx, s.TokenHash)
	must(t, "SessionByTokenHash", err)
	sameTime(t, "LastSeenAt after TouchSession", got.LastSeenAt, later)
	sameTime(t, "CreatedAt after TouchSession", got.CreatedAt, s.CreatedAt)
}

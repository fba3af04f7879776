package sqlite_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
)

// ActiveOrgsOf gives each user the organisations they are an active member
// of: not those they are suspended in or left, each once however often the
// user is asked for, and nothing for users in none.
func TestActiveOrgsOf(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	now := time.Now().UTC()
	var users [3]tack.ID
	for i := range users {
		users[i] = tack.NewID()
		if err := db.CreateUser(ctx, account.User{ID: users[i], Login: "u" + string(users[i]), Name: "员工", CreatedAt: now}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	var orgs [2]tack.ID
	for i := range orgs {
		o := org.Org{ID: tack.NewID(), Name: "公司", TimeZone: "Asia/Shanghai", OwnerID: users[0], CreatedAt: now}
		orgs[i] = o.ID
		b := org.Batch{Org: &o}
		status := []string{org.Active, org.Suspended}[i] // users[1]: active in the first, suspended in the second
		for j, u := range users[:2] {
			st := org.Active
			if j == 1 {
				st = status
			}
			b.Members = append(b.Members, org.Member{ID: tack.NewID(), OrgID: o.ID, UserID: u, Name: "员工", Status: st, Role: "member", CreatedAt: now})
		}
		if _, err := db.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.ActiveOrgsOf(ctx, []tack.ID{users[0], users[1], users[2], users[0]})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got[users[0]])
	want := slices.Sorted(slices.Values(orgs[:]))
	if !slices.Equal(got[users[0]], want) || !slices.Equal(got[users[1]], orgs[:1]) || len(got[users[2]]) != 0 || len(got) != 2 {
		t.Fatalf("ActiveOrgsOf = %v; want %s: %v, %s: %v, none for %s", got, users[0], want, users[1], orgs[:1], users[2])
	}
	if got, err := db.ActiveOrgsOf(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("ActiveOrgsOf(nil) = %v, %v", got, err)
	}
	// One user at a time (every stream's start), many at once: read
	// together, each answer as asked alone.
	var wg sync.WaitGroup
	answers := make([]map[tack.ID][]tack.ID, 30)
	for i := range answers {
		wg.Go(func() {
			var err error
			if answers[i], err = db.ActiveOrgsOf(ctx, []tack.ID{users[i%3]}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for i, a := range answers {
		u := users[i%3]
		slices.Sort(a[u])
		if !slices.Equal(a[u], got[u]) || len(a) != min(len(got[u]), 1) {
			t.Fatalf("ActiveOrgsOf(%s) together = %v, want %v", u, a, got[u])
		}
	}
}

package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
)

// TestSearchPlans checks that both ways of running a directory search (hits
// first, or the directory in order) give the same pages.
func TestSearchPlans(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	owner := account.User{ID: tack.NewID(), Login: "o@example.com", Name: "Owner", CreatedAt: time.Now()}
	if err := db.CreateUser(ctx, owner, "x"); err != nil {
		t.Fatal(err)
	}
	svc := org.NewService(db, db, nil, nil, nil, org.Config{})
	uctx := tack.WithCaller(ctx, tack.Caller{UserID: owner.ID})
	o, _, err := svc.Create(uctx, "Plans", "", "")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	sur, giv := []rune("张王李曾單解陈"), []rune("三四小明东晓伟芳")
	table := [][]string{{"name", "employee_no", "department"}}
	for i := range 400 {
		table = append(table, []string{string(sur[r.IntN(len(sur))]) + string(giv[r.IntN(len(giv))]) + string(giv[r.IntN(len(giv))]),
			fmt.Sprintf("E%04d", i), fmt.Sprintf("组%d", i%5)})
	}
	if res, err := svc.Import(uctx, o.ID, org.Table(table), org.ImportOptions{}); err != nil || !res.Committed {
		t.Fatalf("import: %v %+v", err, res.Errors)
	}
	pages := func(q string) []tack.ID {
		var ids []tack.ID
		cursor := ""
		for {
			p, err := svc.Search(uctx, o.ID, org.Query{Text: q, Limit: 7, Cursor: cursor, Status: "all"})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Members {
				ids = append(ids, m.ID)
			}
			if cursor = p.Next; cursor == "" {
				return ids
			}
		}
	}
	defer func(n int) { broadHits = n }(broadHits)
	for _, q := range []string{"z", "zhang", "w", "x", "ceng zeng", "s", "e00", "组1", "zx m", "李 x", "nothing"} {
		broadHits = 1 << 30
		narrow := pages(q)
		broadHits = 0
		broad := pages(q)
		if !slices.Equal(narrow, broad) {
			t.Errorf("q=%q: %d members one way, %d the other", q, len(narrow), len(broad))
		}
	}
}

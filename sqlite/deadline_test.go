package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/sqlite"
	"github.com/tackhq/tack/storetest"
)

func TestDeadlineStore(t *testing.T) {
	storetest.TestDeadlineStore(t, func(t *testing.T) deadline.Store { return openTest(t).Deadlines() }, nil)
}

// TestDeadlinesSurviveRestart: a job scheduled before the database closes
// is claimable after it opens again.
func TestDeadlinesSurviveRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tack.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().UTC().Truncate(time.Microsecond)
	if err := db.Deadlines().Schedule(ctx, deadline.Job{Kind: "burn", Key: "c/1", Due: due}, false); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.Deadlines().Claim(ctx, due, time.Minute, 10)
	if err != nil || len(got) != 1 || got[0].Key != "c/1" {
		t.Fatalf("after restart claimed %+v, %v", got, err)
	}
}

func TestDingStore(t *testing.T) {
	storetest.TestDingStore(t, func(t *testing.T) (account.Store, ding.Store) {
		db := openTest(t)
		return db, db.Dings()
	})
}

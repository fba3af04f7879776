package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/postgres"
	"github.com/tackhq/tack/storetest"
)

func TestDeadlineStore(t *testing.T) {
	baseDSN(t)
	storetest.TestDeadlineStore(t, func(t *testing.T) deadline.Store { return open(t).Deadlines() },
		func(t *testing.T) (deadline.Store, deadline.Store) {
			// Two pools on one schema: two nodes.
			dsn := freshSchema(t)
			var dbs [2]*postgres.DB
			for i := range dbs {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				db, err := postgres.Open(ctx, dsn)
				cancel()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			return dbs[0].Deadlines(), dbs[1].Deadlines()
		})
}

func TestDingStore(t *testing.T) {
	baseDSN(t)
	storetest.TestDingStore(t, func(t *testing.T) (account.Store, ding.Store) {
		db := open(t)
		return db, db.Dings()
	})
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/circle"
)

// benchPeople: the viewer's 500 friends, no blocks, no organisations.
type benchPeople struct{ friends []tack.ID }

func (p benchPeople) Ties(context.Context, tack.ID) ([]tack.ID, []tack.ID, error) {
	return p.friends, nil, nil
}
func (p benchPeople) ActiveOrgs(context.Context, []tack.ID) (map[tack.ID][]tack.ID, error) {
	return map[tack.ID][]tack.ID{}, nil
}
func (p benchPeople) OrgMembers(context.Context, tack.ID, int) ([]tack.ID, error) { return nil, nil }

// BenchmarkTimeline is the timeline benchmark: a user with 500
// friends who each post 20 moments a day (a tenth of them to chosen
// friends that leave the viewer out) for TACK_TIMELINE_DAYS days (default
// 30; 365 is the year, 3.65 million moments). It measures a page of
// 20 of the viewer's timeline through circle.Service (audience filtering,
// likes and comments included): the first page, and a page from the middle
// by cursor.
//
//	TACK_TIMELINE_DAYS=365 go test -run X -bench Timeline -benchtime 200x ./sqlite/
func BenchmarkTimeline(b *testing.B) {
	days := 30
	if v, err := strconv.Atoi(os.Getenv("TACK_TIMELINE_DAYS")); err == nil && v > 0 {
		days = v
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(b.TempDir(), "tack.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	viewer := tack.NewID()
	other := tack.NewID()
	friends := make([]tack.ID, 500)
	mk := func(id tack.ID, n int) {
		if err := db.CreateUser(ctx, account.User{ID: id, Login: fmt.Sprintf("u%d@example.com", n), Name: fmt.Sprintf("U%d", n), CreatedAt: time.Now()}, "x"); err != nil {
			b.Fatal(err)
		}
	}
	mk(viewer, -1)
	mk(other, -2)
	for i := range friends {
		friends[i] = tack.NewID()
		mk(friends[i], i)
	}
	start := time.Now()
	total := days * 20 * len(friends)
	t0 := time.Now().Add(-time.Duration(days) * 24 * time.Hour)
	step := time.Duration(days) * 24 * time.Hour / time.Duration(total)
	var mid tack.ID
	const batch = 50000
	for done := 0; done < total; {
		err := db.tx(ctx, func(tx *sql.Tx) error {
			st, err := tx.PrepareContext(ctx, `INSERT INTO moments (id, author_id, org_id, text, audience, files, created_at) VALUES (?, ?, '', ?, ?, '[]', ?)`)
			if err != nil {
				return err
			}
			defer st.Close()
			for n := 0; n < batch && done < total; n, done = n+1, done+1 {
				at := t0.Add(time.Duration(done) * step)
				id := idAt(at, done)
				aud := `{"type":"friends"}`
				if done%10 == 0 {
					aud = `{"type":"only","user_ids":["` + string(other) + `"]}`
				}
				if _, err := st.ExecContext(ctx, id, friends[done%len(friends)], "今天天气不错 moment "+strconv.Itoa(done), aud, micros(at)); err != nil {
					return err
				}
				if done == total/2 {
					mid = id
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%d moments by 500 friends over %d days stored in %v", total, days, time.Since(start).Round(time.Millisecond))
	s := circle.NewService(db.Circles(), benchPeople{friends}, nil, nil, nil, circle.Config{})
	vctx := tack.WithCaller(ctx, tack.Caller{UserID: viewer})
	for _, c := range []struct {
		name, cursor string
	}{{"first", ""}, {"middle", string(mid)}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p, err := s.Timeline(vctx, c.cursor, 20)
				if err != nil || len(p.Moments) != 20 {
					b.Fatalf("page: %d moments, %v", len(p.Moments), err)
				}
			}
		})
	}
}

// idAt makes an ID that sorts by time as tack.NewID's do.
func idAt(at time.Time, n int) tack.ID {
	return tack.ID(fmt.Sprintf("%010x%06x", at.UnixMilli(), n%0xffffff)[:16])
}

package postgres_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/postgres"
	"github.com/tackhq/tack/storetest"
)

// baseDSN returns TACK_TEST_POSTGRES, or skips the test.
func baseDSN(t testing.TB) string {
	dsn := os.Getenv("TACK_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("TACK_TEST_POSTGRES is not set; set it to a PostgreSQL URL " +
			"(e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL store tests")
	}
	return dsn
}

var (
	adminOnce sync.Once
	admin     *pgxpool.Pool
	adminErr  error
)

// freshSchema creates an empty schema, dropped when the test ends, and
// returns a DSN whose search_path is that schema.
func freshSchema(t testing.TB) string {
	t.Helper()
	dsn := baseDSN(t)
	adminOnce.Do(func() {
		admin, adminErr = pgxpool.New(context.Background(), dsn)
	})
	if adminErr != nil {
		t.Fatalf("connect to TACK_TEST_POSTGRES: %v", adminErr)
	}
	schema := "tack_test_" + string(tack.NewID())
	ctx := context.Background()
	if _, err := admin.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(t, dsn, schema)
}

func withSearchPath(t testing.TB, dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("TACK_TEST_POSTGRES: %v", err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

func open(t testing.TB) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, freshSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() }) // before the schema is dropped
	return db
}

func TestAccountStore(t *testing.T) {
	baseDSN(t)
	storetest.TestAccountStore(t, func(t *testing.T) account.Store { return open(t) })
}

func TestVerificationStore(t *testing.T) {
	baseDSN(t)
	storetest.TestVerificationStore(t, func(t *testing.T) account.Store { return open(t) })
}

func TestPrivacyStore(t *testing.T) {
	baseDSN(t)
	storetest.TestPrivacyStore(t, func(t *testing.T) (account.Store, org.PrivacyStore) {
		db := open(t)
		return db, db
	})
}

func TestChatStore(t *testing.T) {
	baseDSN(t)
	storetest.TestChatStore(t, func(t *testing.T) (account.Store, chat.Store) {
		db := open(t)
		return db, db
	})
}

// TestConcurrentMigrations opens one fresh schema from four goroutines at
// once, as nodes starting together would: each must succeed, and every
// migration must be applied once.
func TestConcurrentMigrations(t *testing.T) {
	dsn := freshSchema(t)
	const nodes = 4
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	dbs := make([]*postgres.DB, nodes)
	errs := make([]error, nodes)
	for i := 0; i < nodes; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = postgres.Open(ctx, dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		} else {
			defer dbs[i].Close()
		}
	}
	if t.Failed() {
		return
	}
	var applied, distinct int
	err := dbs[0].Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).
		Scan(&applied, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir("migrations")
	want := len(files) + 2 // and migrations 16 (the search index) and 21 (files by name), in Go
	if applied != want || distinct != want {
		t.Errorf("goose_db_version has %d rows (%d versions), want %d", applied, distinct, want)
	}
	// And the schema works from every node.
	for i, db := range dbs {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("node%d@example.com", i), Name: "n", CreatedAt: tack.Clock(nil).Now()}
		if err := db.CreateUser(ctx, u, "h"); err != nil {
			t.Errorf("node %d: CreateUser: %v", i, err)
		}
	}
}

// TestDuplicateRace sends one (sender, client ID) into two conversations
// from two pools at once, as two nodes retrying one send would. The
// conversation locks do not serialize them, so the loser meets the unique
// index, retries, and must come back with the winner's message.
func TestDuplicateRace(t *testing.T) {
	dsn := freshSchema(t)
	ctx := context.Background()
	nodes := [2]*postgres.DB{}
	for i := range nodes {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		nodes[i] = db
	}
	now := tack.Clock(nil).Now()
	u := account.User{ID: tack.NewID(), Login: "race@example.com", Name: "r", CreatedAt: now}
	if err := nodes[0].CreateUser(ctx, u, "h"); err != nil {
		t.Fatal(err)
	}
	var convs [2]tack.ID
	for i := range convs {
		c := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, OwnerID: u.ID, CreatedAt: now}
		if _, err := nodes[0].CreateConversation(ctx, c, []chat.Membership{{UserID: u.ID, Role: chat.Owner, JoinedAt: now}},
			chat.NewMessage{ConversationID: c.ID, SenderID: u.ID, Kind: chat.SystemMessage, CreatedAt: now,
				System: &chat.System{Action: "created", ActorID: u.ID}}); err != nil {
			t.Fatal(err)
		}
		convs[i] = c.ID
	}
	for round := 0; round < 50; round++ {
		const n = 8
		var wg sync.WaitGroup
		res := make([]chat.Appended, n)
		errs := make([]error, n)
		clientID := fmt.Sprint("race-", round)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := nodes[i%2].Append(ctx, []chat.NewMessage{{ConversationID: convs[i%2], ClientID: clientID,
					SenderID: u.ID, Kind: chat.TextMessage, Text: "once", CreatedAt: now}})
				if err == nil {
					res[i] = r[0]
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		fresh := 0
		for i, r := range res {
			if errs[i] != nil {
				t.Fatalf("round %d: %v", round, errs[i])
			}
			if !r.Duplicate {
				fresh++
			}
			if r.Message.ConversationID != res[0].Message.ConversationID || r.Message.Seq != res[0].Message.Seq {
				t.Errorf("round %d: copies disagree: %+v vs %+v", round, r.Message, res[0].Message)
			}
		}
		if fresh != 1 {
			t.Errorf("round %d: %d copies stored, want 1", round, fresh)
		}
	}
	// Every seq in both conversations is taken: no gaps left by the losers.
	for _, c := range convs {
		cv, err := nodes[0].Conversation(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := nodes[1].Messages(ctx, c, 0, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(ms)) != cv.LastSeq {
			t.Errorf("conversation has %d messages, LastSeq %d", len(ms), cv.LastSeq)
		}
	}
}

// TestReopen checks that opening a migrated database again is a no-op.
func TestReopen(t *testing.T) {
	dsn := freshSchema(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		db.Close()
	}
}

// TestBadSearchPath: a search_path naming no schema is a clear error, not
// tables created somewhere unexpected.
func TestBadSearchPath(t *testing.T) {
	dsn := withSearchPath(t, baseDSN(t), "tack_test_does_not_exist")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, dsn)
	if err == nil {
		db.Close()
		t.Fatal("Open with a missing schema succeeded")
	}
}

// Benchmarks of Append, to compare with package sqlite's.

// benchSetup opens a database with a group of two users, as sqlite's
// benchmark does.
func benchSetup(b *testing.B) (*postgres.DB, tack.ID, []tack.ID) {
	db := open(b)
	ctx := context.Background()
	now := tack.Clock(nil).Now()
	var users []tack.ID
	var ms []chat.Membership
	for i := 0; i < 2; i++ {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d@b.c", i), Name: fmt.Sprint("u", i), CreatedAt: now}
		if err := db.CreateUser(ctx, u, "x"); err != nil {
			b.Fatal(err)
		}
		users = append(users, u.ID)
		ms = append(ms, chat.Membership{UserID: u.ID, Role: chat.Member, JoinedAt: now})
	}
	c := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, Title: "bench", CreatedAt: now}
	_, err := db.CreateConversation(ctx, c, ms, chat.NewMessage{ConversationID: c.ID, SenderID: users[0],
		Kind: chat.SystemMessage, CreatedAt: now, System: &chat.System{Action: "created", ActorID: users[0]}})
	if err != nil {
		b.Fatal(err)
	}
	return db, c.ID, users
}

// benchAppend stores batch messages per Append call (one op), like
// sqlite's benchmark of the same name, and reports messages per second.
func benchAppend(b *testing.B, batch int) {
	db, conv, users := benchSetup(b)
	ctx := context.Background()
	msgs := make([]chat.NewMessage, batch)
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for j := range msgs {
			n++
			msgs[j] = chat.NewMessage{ConversationID: conv, ClientID: fmt.Sprint("c", n), SenderID: users[n%2], Kind: chat.TextMessage,
				Text: "a message of ordinary length, about sixty characters long", CreatedAt: time.Now()}
		}
		if _, err := db.Append(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppendOne stores one message per transaction.
func BenchmarkAppendOne(b *testing.B) { benchAppend(b, 1) }

// BenchmarkAppendBatch64 stores 64 messages per transaction, as the chat
// service's group commit does under load.
func BenchmarkAppendBatch64(b *testing.B) { benchAppend(b, 64) }

// BenchmarkAppendParallel stores one message per transaction from many
// goroutines into separate conversations (several nodes' worth of load).
func BenchmarkAppendParallel(b *testing.B) {
	db := open(b)
	ctx := context.Background()
	var mu sync.Mutex
	b.ReportAllocs()
	b.ResetTimer()
	var total atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		mu.Lock()
		u := account.User{ID: tack.NewID(), Login: string(tack.NewID()) + "@example.com", Name: "p", CreatedAt: tack.Clock(nil).Now()}
		mu.Unlock()
		if err := db.CreateUser(ctx, u, "h"); err != nil {
			b.Error(err)
			return
		}
		now := tack.Clock(nil).Now()
		c := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, OwnerID: u.ID, CreatedAt: now}
		if _, err := db.CreateConversation(ctx, c, []chat.Membership{{UserID: u.ID, Role: chat.Owner, JoinedAt: now}},
			chat.NewMessage{ConversationID: c.ID, SenderID: u.ID, Kind: chat.SystemMessage, CreatedAt: now,
				System: &chat.System{Action: "created", ActorID: u.ID}}); err != nil {
			b.Error(err)
			return
		}
		n := 0
		for pb.Next() {
			n++
			total.Add(1)
			_, err := db.Append(ctx, []chat.NewMessage{{ConversationID: c.ID, ClientID: fmt.Sprint(n), SenderID: u.ID,
				Kind: chat.TextMessage, Text: "parallel", CreatedAt: tack.Clock(nil).Now()}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(total.Load())/b.Elapsed().Seconds(), "msgs/s")
}

func TestAttendanceStore(t *testing.T) {
	baseDSN(t)
	storetest.TestAttendanceStore(t, func(t *testing.T) attendance.Store { return open(t).Attendance() })
}

package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresFloor is a bare insert loop into PostgreSQL with Tack's
// durability (the server's own settings; every commit waits for its WAL
// flush) into tables shaped like Tack's messages and conversations, with
// the same keys: the floor for storing messages on PostgreSQL. Each batch
// is one transaction of one statement, sent in one round trip: the
// per-conversation counters move by the batch's count and the rows go in
// from arrays (unnest). It works in a schema of its own, dropped at the
// end, and reports rows per second.
func PostgresFloor(ctx context.Context, dbURL string, batch int, d time.Duration) (float64, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	schema := "tack_bench_floor_" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	for _, s := range []string{
		`CREATE SCHEMA ` + schema,
		`CREATE TABLE ` + schema + `.conversations (id TEXT PRIMARY KEY, last_seq BIGINT NOT NULL DEFAULT 0)`,
		`CREATE TABLE ` + schema + `.messages (conversation_id TEXT NOT NULL, seq BIGINT NOT NULL, sender_id TEXT NOT NULL,
			client_id TEXT, text TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (conversation_id, seq))`,
		`CREATE UNIQUE INDEX ON ` + schema + `.messages (sender_id, client_id)`,
		`INSERT INTO ` + schema + `.conversations (id) SELECT 'c' || lpad(g::text, 15, '0') FROM generate_series(0, 999) g`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			return 0, fmt.Errorf("postgres floor: %w", err)
		}
	}
	defer conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
	const convs = 1000
	q := `WITH u AS (UPDATE ` + schema + `.conversations c SET last_seq = c.last_seq + v.n
			FROM unnest($1::text[], $2::bigint[]) AS v(id, n) WHERE c.id = v.id RETURNING c.id, c.last_seq - v.n AS base)
		INSERT INTO ` + schema + `.messages (conversation_id, seq, sender_id, client_id, text, created_at)
		SELECT m.c, u.base + m.k, m.s, m.cl, m.t, m.at
		FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::timestamptz[]) AS m(c, k, s, cl, t, at)
		JOIN u ON u.id = m.c`
	text := "bench 1700000000000000000 " + strings.Repeat("x", 32)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		count := map[string]int64{}
		var ids []string
		var ns []int64
		cs, ks, ss, cls, ts := make([]string, batch), make([]int64, batch), make([]string, batch), make([]string, batch), make([]string, batch)
		ats := make([]time.Time, batch)
		for i := 0; i < batch; i++ {
			c := fmt.Sprintf("c%015d", n%convs)
			count[c]++
			cs[i], ks[i] = c, count[c]
			ss[i], cls[i], ts[i], ats[i] = "s"+strconv.Itoa(n%2000), "c"+strconv.Itoa(n), text, time.Now()
			n++
		}
		for c, k := range count {
			ids, ns = append(ids, c), append(ns, k)
		}
		if _, err := conn.Exec(ctx, q, ids, ns, cs, ks, ss, cls, ts, ats); err != nil {
			return 0, fmt.Errorf("postgres floor: %w", err)
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

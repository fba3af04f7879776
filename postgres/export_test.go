package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tackhq/tack/search"
)

// inPlan runs fn in a transaction that is rolled back; for the plan before
// migration 23 (perConversation false) it first drops the index that
// migration adds, so the planner chooses as it did before.
func (db *DB) inPlan(ctx context.Context, perConversation bool, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if !perConversation {
		if _, err := tx.Exec(ctx, `DROP INDEX search_messages_conversation`); err != nil {
			return err
		}
	}
	return fn(tx)
}

// SearchKeysWith runs a search with the per-conversation plan or the one
// before it (for the A/B benchmark): the hits' keys, and the query's time.
func (db *DB) SearchKeysWith(ctx context.Context, f search.Find, perConversation bool) ([]int64, time.Duration, error) {
	var keys []int64
	var took time.Duration
	err := db.inPlan(ctx, perConversation, func(tx pgx.Tx) error {
		q, args := searchQuery(f, perConversation)
		t0 := time.Now()
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				return err
			}
			keys = append(keys, v[0].(int64))
		}
		took = time.Since(t0)
		return rows.Err()
	})
	return keys, took, err
}

// ExplainSearch is EXPLAIN (ANALYZE, BUFFERS) of a search's query.
func (db *DB) ExplainSearch(ctx context.Context, f search.Find, perConversation bool) (string, error) {
	var b strings.Builder
	err := db.inPlan(ctx, perConversation, func(tx pgx.Tx) error {
		q, args := searchQuery(f, perConversation)
		rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				return err
			}
			b.WriteString(line + "\n")
		}
		return rows.Err()
	})
	return b.String(), err
}

// Analyze vacuums (the visibility map: index-only scans) and updates the
// planner's statistics.
func (db *DB) Analyze(ctx context.Context) error {
	_, err := db.pool.Exec(ctx, "VACUUM ANALYZE")
	return err
}

// IndexSizes is the size of each index of search_messages.
func (db *DB) IndexSizes(ctx context.Context) (string, error) {
	var s string
	err := db.pool.QueryRow(ctx, `SELECT string_agg(indexrelname || ' ' || pg_size_pretty(pg_relation_size(indexrelid)), ', ') FROM pg_stat_user_indexes WHERE relname = 'search_messages'`).Scan(&s)
	return s, err
}

// SetPerConversationMax sets perConversationMax and returns a function that
// restores it.
func SetPerConversationMax(n int64) func() {
	old := perConversationMax
	perConversationMax = n
	return func() { perConversationMax = old }
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/deadline"
)

// Deadlines returns the deadline queue's store. One SQLite file has one
// writer, so a claim (one UPDATE ... RETURNING) is atomic.
func (db *DB) Deadlines() deadline.Store { return deadlineStore{db} }

type deadlineStore struct{ db *DB }

func (s deadlineStore) Schedule(ctx context.Context, j deadline.Job, earlier bool) error {
	_, err := s.db.exec(ctx, `INSERT INTO deadlines (kind, key, due, data, attempts, claim, lease_until) VALUES (?, ?, ?, ?, 0, '', 0)
		ON CONFLICT (kind, key) DO UPDATE SET due = CASE WHEN ? THEN min(due, excluded.due) ELSE excluded.due END,
			data = excluded.data, attempts = 0, claim = '', lease_until = 0`,
		j.Kind, j.Key, micros(j.Due), j.Data, b2i(earlier))
	if err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	return nil
}

func (s deadlineStore) Cancel(ctx context.Context, kind, key string) error {
	_, err := s.db.exec(ctx, `DELETE FROM deadlines WHERE kind = ? AND key = ?`, kind, key)
	return err
}

func (s deadlineStore) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]deadline.Job, error) {
	token := string(tack.NewID())
	var out []deadline.Job
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE deadlines SET claim = ?, lease_until = ?
			WHERE (kind, key) IN (SELECT kind, key FROM deadlines WHERE due <= ? AND lease_until <= ? ORDER BY due LIMIT ?)
			RETURNING kind, key, due, data, attempts`, token, micros(now.Add(lease)), micros(now), micros(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j deadline.Job
			var due int64
			if err := rows.Scan(&j.Kind, &j.Key, &due, &j.Data, &j.Attempts); err != nil {
				return err
			}
			j.Due, j.Claim = fromMicros(due), token
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	slices.SortFunc(out, func(a, b deadline.Job) int { return a.Due.Compare(b.Due) })
	return out, nil
}

func (s deadlineStore) Done(ctx context.Context, kind, key, claim string) error {
	_, err := s.db.exec(ctx, `DELETE FROM deadlines WHERE kind = ? AND key = ? AND claim = ?`, kind, key, claim)
	return err
}

func (s deadlineStore) Retry(ctx context.Context, kind, key, claim string, at time.Time) error {
	_, err := s.db.exec(ctx, `UPDATE deadlines SET due = ?, attempts = attempts + 1, claim = '', lease_until = 0
		WHERE kind = ? AND key = ? AND claim = ?`, micros(at), kind, key, claim)
	return err
}

func (s deadlineStore) Next(ctx context.Context) (time.Time, bool, error) {
	var due sql.NullInt64
	if err := s.db.rqueryRow(ctx, `SELECT min(due) FROM deadlines`).Scan(&due); err != nil {
		return time.Time{}, false, err
	}
	if !due.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(due.Int64), true, nil
}

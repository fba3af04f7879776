package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/deadline"
)

// Deadlines returns the deadline queue's store. Nodes claim due jobs with
// FOR UPDATE SKIP LOCKED: concurrent claims never wait for each other and
// never return the same job.
func (db *DB) Deadlines() deadline.Store { return deadlineStore{db} }

type deadlineStore struct{ db *DB }

func (s deadlineStore) Schedule(ctx context.Context, j deadline.Job, earlier bool) error {
	_, err := s.db.pool.Exec(ctx, `INSERT INTO deadlines (kind, key, due, data, attempts, claim, lease_until)
		VALUES ($1, $2, $3, $4, 0, '', '-infinity')
		ON CONFLICT (kind, key) DO UPDATE SET due = CASE WHEN $5 THEN LEAST(deadlines.due, excluded.due) ELSE excluded.due END,
			data = excluded.data, attempts = 0, claim = '', lease_until = '-infinity'`,
		j.Kind, j.Key, j.Due, j.Data, earlier)
	if err != nil {
		return fmt.Errorf("schedule: %w", diskFull(err))
	}
	return nil
}

func (s deadlineStore) Cancel(ctx context.Context, kind, key string) error {
	_, err := s.db.pool.Exec(ctx, `DELETE FROM deadlines WHERE kind = $1 AND key = $2`, kind, key)
	return err
}

func (s deadlineStore) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]deadline.Job, error) {
	token := string(tack.NewID())
	rows, err := s.db.pool.Query(ctx, `UPDATE deadlines d SET claim = $1, lease_until = $2
		FROM (SELECT kind, key FROM deadlines WHERE due <= $3 AND lease_until <= $3 ORDER BY due LIMIT $4 FOR UPDATE SKIP LOCKED) s
		WHERE d.kind = s.kind AND d.key = s.key
		RETURNING d.kind, d.key, d.due, d.data, d.attempts`, token, now.Add(lease), now, limit)
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (deadline.Job, error) {
		var j deadline.Job
		err := r.Scan(&j.Kind, &j.Key, &j.Due, &j.Data, &j.Attempts)
		j.Due, j.Claim = utc(j.Due), token
		return j, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	slices.SortFunc(out, func(a, b deadline.Job) int { return a.Due.Compare(b.Due) })
	return out, nil
}

func (s deadlineStore) Done(ctx context.Context, kind, key, claim string) error {
	_, err := s.db.pool.Exec(ctx, `DELETE FROM deadlines WHERE kind = $1 AND key = $2 AND claim = $3`, kind, key, claim)
	return err
}

func (s deadlineStore) Retry(ctx context.Context, kind, key, claim string, at time.Time) error {
	_, err := s.db.pool.Exec(ctx, `UPDATE deadlines SET due = $4, attempts = attempts + 1, claim = '', lease_until = '-infinity'
		WHERE kind = $1 AND key = $2 AND claim = $3`, kind, key, claim, at)
	return err
}

func (s deadlineStore) Next(ctx context.Context) (time.Time, bool, error) {
	var due *time.Time
	if err := s.db.pool.QueryRow(ctx, `SELECT min(due) FROM deadlines`).Scan(&due); err != nil {
		return time.Time{}, false, err
	}
	if due == nil {
		return time.Time{}, false, nil
	}
	return due.UTC(), true, nil
}

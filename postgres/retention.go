package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/retention"
)

// Retention returns the store of package retention.
func (db *DB) Retention() retention.Store { return retentionStore{db} }

type retentionStore struct{ db *DB }

func (s retentionStore) Policy(ctx context.Context, orgID tack.ID) (retention.Policy, error) {
	p := retention.Policy{OrgID: orgID}
	var at time.Time
	err := s.db.pool.QueryRow(ctx, `SELECT days, updated_by, updated_at FROM retention_policies WHERE org_id = $1`, orgID).Scan(&p.Days, &p.UpdatedBy, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	at = utc(at)
	p.UpdatedAt = &at
	return p, nil
}

func (s retentionStore) PutPolicy(ctx context.Context, p retention.Policy, a org.Audit) error {
	at := time.Unix(0, 0).UTC()
	if p.UpdatedAt != nil {
		at = *p.UpdatedAt
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO retention_policies (org_id, days, updated_by, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			p.OrgID, p.Days, p.UpdatedBy, at); err != nil {
			return fmt.Errorf("put policy: %w", err)
		}
		return insertAudit(ctx, tx, &a)
	})
}

func (s retentionStore) Policies(ctx context.Context) ([]retention.Policy, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT org_id, days, updated_by, updated_at FROM retention_policies WHERE days > 0 ORDER BY org_id COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (retention.Policy, error) {
		var p retention.Policy
		var at time.Time
		err := r.Scan(&p.OrgID, &p.Days, &p.UpdatedBy, &at)
		at = utc(at)
		p.UpdatedAt = &at
		return p, err
	})
}

func (s retentionStore) GroupOrg(ctx context.Context, convID tack.ID) (tack.ID, error) {
	var id tack.ID
	err := s.db.pool.QueryRow(ctx, `SELECT org_id FROM org_groups WHERE conversation_id = $1`, convID).Scan(&id)
	return id, notFound(err)
}

func (s retentionStore) Holds(ctx context.Context, orgID tack.ID) ([]retention.Hold, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT h.conversation_id, h.org_id, COALESCE(c.title, ''), h.reason, h.set_by, h.created_at
		FROM legal_holds h LEFT JOIN conversations c ON c.id = h.conversation_id WHERE h.org_id = $1
		ORDER BY h.created_at, h.conversation_id COLLATE "C"`, orgID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (retention.Hold, error) {
		var h retention.Hold
		err := r.Scan(&h.ConversationID, &h.OrgID, &h.Title, &h.Reason, &h.SetBy, &h.CreatedAt)
		h.CreatedAt = utc(h.CreatedAt)
		return h, err
	})
}

func (s retentionStore) PutHold(ctx context.Context, h retention.Hold, a org.Audit) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO legal_holds (conversation_id, org_id, reason, set_by, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (conversation_id) DO UPDATE SET org_id = excluded.org_id, reason = excluded.reason, set_by = excluded.set_by, created_at = excluded.created_at`,
			h.ConversationID, h.OrgID, h.Reason, h.SetBy, h.CreatedAt); err != nil {
			return fmt.Errorf("put hold: %w", err)
		}
		return insertAudit(ctx, tx, &a)
	})
}

func (s retentionStore) DeleteHold(ctx context.Context, orgID, convID tack.ID, a org.Audit) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM legal_holds WHERE org_id = $1 AND conversation_id = $2`, orgID, convID)
		if err != nil {
			return fmt.Errorf("delete hold: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return tack.ErrNotFound
		}
		return insertAudit(ctx, tx, &a)
	})
}

func (s retentionStore) Held(ctx context.Context, convID tack.ID) (bool, error) {
	var held bool
	err := s.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM legal_holds WHERE conversation_id = $1)`, convID).Scan(&held)
	return held, err
}

// Expire deletes expired prefixes group by group. A message row is
// locked by the DELETE, so two sweeps of one organisation (which the
// deadline queue never runs at once) would only wait for each other.
func (s retentionStore) Expire(ctx context.Context, orgID tack.ID, before time.Time, limit int) (int, error) {
	n := 0
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `SELECT g.conversation_id FROM org_groups g
			WHERE g.org_id = $1 AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.conversation_id = g.conversation_id)
			ORDER BY g.conversation_id COLLATE "C"`, orgID)
		if err != nil {
			return err
		}
		convs, err := pgx.CollectRows(rows, pgx.RowTo[tack.ID])
		if err != nil {
			return err
		}
		for _, c := range convs {
			if n >= limit {
				break
			}
			var upTo *int64
			var k int
			// The oldest messages by seq, up to the first one not expired.
			err := tx.QueryRow(ctx, `WITH oldest AS (
					SELECT seq, created_at FROM messages WHERE conversation_id = $1 ORDER BY seq LIMIT $3),
				first_kept AS (SELECT min(seq) AS seq FROM oldest WHERE created_at >= $2)
				SELECT max(o.seq), count(*) FROM oldest o, first_kept f WHERE f.seq IS NULL OR o.seq < f.seq`,
				c, before, limit-n).Scan(&upTo, &k)
			if err != nil {
				return fmt.Errorf("expired messages: %w", err)
			}
			if upTo == nil || k == 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `DELETE FROM media_refs WHERE conversation_id = $1 AND seq <= $2`, c, *upTo); err != nil {
				return fmt.Errorf("delete file references: %w", err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM messages WHERE conversation_id = $1 AND seq <= $2`, c, *upTo); err != nil {
				return fmt.Errorf("delete messages: %w", err)
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

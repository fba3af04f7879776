package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/retention"
)

// Retention returns the store of package retention.
func (db *DB) Retention() retention.Store { return retentionStore{db} }

type retentionStore struct{ db *DB }

func (s retentionStore) Policy(ctx context.Context, orgID tack.ID) (retention.Policy, error) {
	p := retention.Policy{OrgID: orgID}
	var at int64
	err := s.db.rqueryRow(ctx, `SELECT days, updated_by, updated_at FROM retention_policies WHERE org_id = ?`, orgID).Scan(&p.Days, &p.UpdatedBy, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	t := fromMicros(at)
	p.UpdatedAt = &t
	return p, nil
}

func (s retentionStore) PutPolicy(ctx context.Context, p retention.Policy, a org.Audit) error {
	var at int64
	if p.UpdatedAt != nil {
		at = micros(*p.UpdatedAt)
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO retention_policies (org_id, days, updated_by, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			p.OrgID, p.Days, p.UpdatedBy, at); err != nil {
			return fmt.Errorf("put policy: %w", err)
		}
		return insertAudit(ctx, tx, &a)
	})
}

func (s retentionStore) Policies(ctx context.Context) ([]retention.Policy, error) {
	rows, err := s.db.rquery(ctx, `SELECT org_id, days, updated_by, updated_at FROM retention_policies WHERE days > 0 ORDER BY org_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []retention.Policy
	for rows.Next() {
		var p retention.Policy
		var at int64
		if err := rows.Scan(&p.OrgID, &p.Days, &p.UpdatedBy, &at); err != nil {
			return nil, err
		}
		t := fromMicros(at)
		p.UpdatedAt = &t
		out = append(out, p)
	}
	return out, rows.Err()
}

func (s retentionStore) GroupOrg(ctx context.Context, convID tack.ID) (tack.ID, error) {
	var id tack.ID
	err := s.db.rqueryRow(ctx, `SELECT org_id FROM org_groups WHERE conversation_id = ?`, convID).Scan(&id)
	return id, notFound(err)
}

func (s retentionStore) Holds(ctx context.Context, orgID tack.ID) ([]retention.Hold, error) {
	rows, err := s.db.rquery(ctx, `SELECT h.conversation_id, h.org_id, COALESCE(c.title, ''), h.reason, h.set_by, h.created_at
		FROM legal_holds h LEFT JOIN conversations c ON c.id = h.conversation_id WHERE h.org_id = ? ORDER BY h.created_at, h.conversation_id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []retention.Hold
	for rows.Next() {
		var h retention.Hold
		var at int64
		if err := rows.Scan(&h.ConversationID, &h.OrgID, &h.Title, &h.Reason, &h.SetBy, &at); err != nil {
			return nil, err
		}
		h.CreatedAt = fromMicros(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s retentionStore) PutHold(ctx context.Context, h retention.Hold, a org.Audit) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO legal_holds (conversation_id, org_id, reason, set_by, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (conversation_id) DO UPDATE SET org_id = excluded.org_id, reason = excluded.reason, set_by = excluded.set_by, created_at = excluded.created_at`,
			h.ConversationID, h.OrgID, h.Reason, h.SetBy, micros(h.CreatedAt)); err != nil {
			return fmt.Errorf("put hold: %w", err)
		}
		return insertAudit(ctx, tx, &a)
	})
}

func (s retentionStore) DeleteHold(ctx context.Context, orgID, convID tack.ID, a org.Audit) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM legal_holds WHERE org_id = ? AND conversation_id = ?`, orgID, convID)
		if err != nil {
			return fmt.Errorf("delete hold: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tack.ErrNotFound
		}
		return insertAudit(ctx, tx, &a)
	})
}

func (s retentionStore) Held(ctx context.Context, convID tack.ID) (bool, error) {
	var one int
	err := s.db.rqueryRow(ctx, `SELECT 1 FROM legal_holds WHERE conversation_id = ?`, convID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s retentionStore) Expire(ctx context.Context, orgID tack.ID, before time.Time, limit int) (int, error) {
	// Not while the search follower is between a pass's read and its write:
	// the rowids deleted here would be handed out again, and the pass, its
	// cursor unchanged, would move past a message stored under one of them
	// without having read it (never found). A pass waits for this commit.
	s.db.followMu.Lock()
	defer s.db.followMu.Unlock()
	n := 0
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		rows, err := tx.QueryContext(ctx, `SELECT g.conversation_id FROM org_groups g
			WHERE g.org_id = ? AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.conversation_id = g.conversation_id)
			ORDER BY g.conversation_id`, orgID)
		if err != nil {
			return err
		}
		var convs []tack.ID
		for rows.Next() {
			var id tack.ID
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			convs = append(convs, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range convs {
			if n >= limit {
				break
			}
			upTo, k, err := expiredPrefix(ctx, tx, c, micros(before), limit-n)
			if err != nil || k == 0 {
				if err != nil {
					return err
				}
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM media_refs WHERE conversation_id = ? AND seq <= ?`, c, upTo); err != nil {
				return fmt.Errorf("delete file references: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE conversation_id = ? AND seq <= ?`, c, upTo); err != nil {
				return fmt.Errorf("delete messages: %w", err)
			}
			n += k
		}
		if n == 0 {
			return nil
		}
		// SQLite hands the rowids of the newest rows out again once they are
		// deleted: the search follower must not take a message stored under
		// one of them for one it has read.
		if _, err := tx.ExecContext(ctx, clampCursorSQL); err != nil {
			return fmt.Errorf("search cursor: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.db.Scrub() // deleted text is still in the WAL: empty it soon
	}
	return n, nil
}

// expiredPrefix finds, among the oldest limit messages of conv (by seq),
// the run created before before: its last seq and its length.
func expiredPrefix(ctx context.Context, tx *sql.Tx, conv tack.ID, before int64, limit int) (int64, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT seq, created_at FROM messages WHERE conversation_id = ? ORDER BY seq LIMIT ?`, conv, limit)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var upTo int64
	k := 0
	for rows.Next() {
		var seq, at int64
		if err := rows.Scan(&seq, &at); err != nil {
			return 0, 0, err
		}
		if at >= before {
			break
		}
		upTo, k = seq, k+1
	}
	return upTo, k, rows.Err()
}

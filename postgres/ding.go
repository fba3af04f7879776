package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/ding"
)

// Dings returns the DING store.
func (db *DB) Dings() ding.Store { return dingStore{db} }

type dingStore struct{ db *DB }

const dingCols = `id, org_id, sender_id, text, reason, channels, emergency, quiet, escalate_s, send_at, sent, level, reminded_at, created_at`

func scanDing(row pgx.Row) (ding.Ding, error) {
	var d ding.Ding
	var chans []byte
	if err := row.Scan(&d.ID, &d.OrgID, &d.SenderID, &d.Text, &d.Reason, &chans, &d.Emergency, &d.Quiet, &d.EscalateAfterS,
		&d.SendAt, &d.Sent, &d.Level, &d.RemindedAt, &d.CreatedAt); err != nil {
		return d, notFound(err)
	}
	d.SendAt, d.CreatedAt = utc(d.SendAt), utc(d.CreatedAt)
	if d.RemindedAt != nil {
		t := utc(*d.RemindedAt)
		d.RemindedAt = &t
	}
	if err := json.Unmarshal(chans, &d.Channels); err != nil {
		return d, fmt.Errorf("channels: %w", err)
	}
	return d, nil
}

func (s dingStore) CreateDing(ctx context.Context, d ding.Ding) error {
	chans, _ := json.Marshal(d.Channels)
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO dings (`+dingCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13)`,
			d.ID, d.OrgID, d.SenderID, d.Text, d.Reason, string(chans), d.Emergency, d.Quiet, d.EscalateAfterS,
			d.SendAt, d.Sent, d.Level, d.CreatedAt); err != nil {
			return fmt.Errorf("insert DING: %w", err)
		}
		for _, r := range d.Recipients {
			if _, err := tx.Exec(ctx, `INSERT INTO ding_recipients (ding_id, user_id, quiet, confirmed_at) VALUES ($1, $2, $3, $4)`,
				d.ID, r.UserID, r.Quiet, r.ConfirmedAt); err != nil {
				return fmt.Errorf("insert recipient: %w", err)
			}
		}
		return nil
	})
}

func (s dingStore) recipients(ctx context.Context, ds []ding.Ding) error {
	for i := range ds {
		rows, err := s.db.pool.Query(ctx, `SELECT user_id, quiet, confirmed_at FROM ding_recipients WHERE ding_id = $1 ORDER BY user_id`, ds[i].ID)
		if err != nil {
			return err
		}
		rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ding.Recipient, error) {
			var x ding.Recipient
			err := r.Scan(&x.UserID, &x.Quiet, &x.ConfirmedAt)
			if x.ConfirmedAt != nil {
				t := utc(*x.ConfirmedAt)
				x.ConfirmedAt = &t
			}
			return x, err
		})
		if err != nil {
			return err
		}
		if rs == nil {
			rs = []ding.Recipient{}
		}
		ds[i].Recipients = rs
	}
	return nil
}

func (s dingStore) Ding(ctx context.Context, id tack.ID) (ding.Ding, error) {
	d, err := scanDing(s.db.pool.QueryRow(ctx, `SELECT `+dingCols+` FROM dings WHERE id = $1`, id))
	if err != nil {
		return d, err
	}
	one := []ding.Ding{d}
	err = s.recipients(ctx, one)
	return one[0], err
}

func (s dingStore) DingsOf(ctx context.Context, orgID, userID tack.ID, sent bool, limit int) ([]ding.Ding, error) {
	q := `SELECT ` + dingCols + ` FROM dings WHERE org_id = $1 AND sender_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`
	if !sent {
		q = `SELECT d.id, d.org_id, d.sender_id, d.text, d.reason, d.channels, d.emergency, d.quiet, d.escalate_s, d.send_at, d.sent,
			d.level, d.reminded_at, d.created_at FROM ding_recipients r JOIN dings d ON d.id = r.ding_id
			WHERE d.org_id = $1 AND r.user_id = $2 ORDER BY d.created_at DESC, d.id DESC LIMIT $3`
	}
	rows, err := s.db.pool.Query(ctx, q, orgID, userID, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ding.Ding, error) { return scanDing(r) })
	if err != nil {
		return nil, err
	}
	return out, s.recipients(ctx, out)
}

func (s dingStore) exec(ctx context.Context, q string, args ...any) (bool, error) {
	tag, err := s.db.pool.Exec(ctx, q, args...)
	if err != nil {
		return false, diskFull(err)
	}
	return tag.RowsAffected() > 0, nil
}

func (s dingStore) Confirm(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error) {
	return s.exec(ctx, `UPDATE ding_recipients SET confirmed_at = $3 WHERE ding_id = $1 AND user_id = $2 AND confirmed_at IS NULL`, id, userID, at)
}

func (s dingStore) MarkSent(ctx context.Context, id tack.ID) (bool, error) {
	ok, err := s.exec(ctx, `UPDATE dings SET sent = true WHERE id = $1 AND NOT sent`, id)
	if err == nil && !ok {
		if _, err := s.Ding(ctx, id); err != nil {
			return false, err
		}
	}
	return ok, err
}

func (s dingStore) SetLevel(ctx context.Context, id tack.ID, from, to int) (bool, error) {
	return s.exec(ctx, `UPDATE dings SET level = $3 WHERE id = $1 AND level = $2`, id, from, to)
}

func (s dingStore) SetReminded(ctx context.Context, id tack.ID, at, notAfter time.Time) (bool, error) {
	return s.exec(ctx, `UPDATE dings SET reminded_at = $2 WHERE id = $1 AND (reminded_at IS NULL OR reminded_at <= $3)`, id, at, notAfter)
}

func (s dingStore) CountSent(ctx context.Context, orgID, sender tack.ID, since time.Time, quietOnly bool) (int, error) {
	var n int
	err := s.db.pool.QueryRow(ctx, `SELECT count(*) FROM dings WHERE org_id = $1 AND sender_id = $2 AND created_at >= $3 AND (quiet OR NOT $4)`,
		orgID, sender, since, quietOnly).Scan(&n)
	return n, err
}

func (s dingStore) OrgSettings(ctx context.Context, orgID tack.ID) (ding.OrgSettings, bool, error) {
	var data []byte
	err := s.db.pool.QueryRow(ctx, `SELECT data FROM ding_org_settings WHERE org_id = $1`, orgID).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return ding.OrgSettings{}, false, nil
	} else if err != nil {
		return ding.OrgSettings{}, false, err
	}
	var set ding.OrgSettings
	return set, true, json.Unmarshal(data, &set)
}

func (s dingStore) PutOrgSettings(ctx context.Context, orgID tack.ID, set ding.OrgSettings) error {
	b, _ := json.Marshal(set)
	_, err := s.exec(ctx, `INSERT INTO ding_org_settings (org_id, data, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (org_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, orgID, string(b), set.UpdatedAt)
	return err
}

func (s dingStore) UserSettings(ctx context.Context, users []tack.ID) (map[tack.ID]ding.UserSettings, error) {
	out := map[tack.ID]ding.UserSettings{}
	rows, err := s.db.pool.Query(ctx, `SELECT user_id, data FROM ding_user_settings WHERE user_id = ANY($1)`, ids(users))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id tack.ID
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		var us ding.UserSettings
		if err := json.Unmarshal(data, &us); err != nil {
			return nil, err
		}
		out[id] = us
	}
	return out, rows.Err()
}

func (s dingStore) PutUserSettings(ctx context.Context, userID tack.ID, set ding.UserSettings) error {
	b, _ := json.Marshal(set)
	_, err := s.exec(ctx, `INSERT INTO ding_user_settings (user_id, data, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, userID, string(b), set.UpdatedAt)
	return err
}

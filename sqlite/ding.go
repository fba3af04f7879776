package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/ding"
)

// Dings returns the DING store.
func (db *DB) Dings() ding.Store { return dingStore{db} }

type dingStore struct{ db *DB }

const dingCols = `id, org_id, sender_id, text, reason, channels, emergency, quiet, escalate_s, send_at, sent, level, reminded_at, created_at`

func scanDing(sc rowScanner) (ding.Ding, error) {
	var d ding.Ding
	var chans string
	var emergency, quiet, sent int
	var sendAt, created int64
	var reminded sql.NullInt64
	if err := sc.Scan(&d.ID, &d.OrgID, &d.SenderID, &d.Text, &d.Reason, &chans, &emergency, &quiet, &d.EscalateAfterS,
		&sendAt, &sent, &d.Level, &reminded, &created); err != nil {
		return d, notFound(err)
	}
	d.Emergency, d.Quiet, d.Sent = emergency != 0, quiet != 0, sent != 0
	d.SendAt, d.CreatedAt = fromMicros(sendAt), fromMicros(created)
	if reminded.Valid {
		t := fromMicros(reminded.Int64)
		d.RemindedAt = &t
	}
	if err := json.Unmarshal([]byte(chans), &d.Channels); err != nil {
		return d, fmt.Errorf("channels: %w", err)
	}
	return d, nil
}

func (s dingStore) CreateDing(ctx context.Context, d ding.Ding) error {
	chans, _ := json.Marshal(d.Channels)
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO dings (`+dingCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.ID, d.OrgID, d.SenderID, d.Text, d.Reason, string(chans), b2i(d.Emergency), b2i(d.Quiet), d.EscalateAfterS,
			micros(d.SendAt), b2i(d.Sent), d.Level, nil, micros(d.CreatedAt)); err != nil {
			return fmt.Errorf("insert DING: %w", err)
		}
		for _, r := range d.Recipients {
			var at any
			if r.ConfirmedAt != nil {
				at = micros(*r.ConfirmedAt)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ding_recipients (ding_id, user_id, quiet, confirmed_at) VALUES (?, ?, ?, ?)`,
				d.ID, r.UserID, b2i(r.Quiet), at); err != nil {
				return fmt.Errorf("insert recipient: %w", err)
			}
		}
		return nil
	})
}

func (s dingStore) recipients(ctx context.Context, ds []ding.Ding) error {
	for i := range ds {
		rows, err := s.db.rquery(ctx, `SELECT user_id, quiet, confirmed_at FROM ding_recipients WHERE ding_id = ? ORDER BY user_id`, ds[i].ID)
		if err != nil {
			return err
		}
		ds[i].Recipients = []ding.Recipient{}
		for rows.Next() {
			var r ding.Recipient
			var quiet int
			var at sql.NullInt64
			if err := rows.Scan(&r.UserID, &quiet, &at); err != nil {
				rows.Close()
				return err
			}
			r.Quiet = quiet != 0
			if at.Valid {
				t := fromMicros(at.Int64)
				r.ConfirmedAt = &t
			}
			ds[i].Recipients = append(ds[i].Recipients, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s dingStore) Ding(ctx context.Context, id tack.ID) (ding.Ding, error) {
	d, err := scanDing(s.db.rqueryRow(ctx, `SELECT `+dingCols+` FROM dings WHERE id = ?`, id))
	if err != nil {
		return d, err
	}
	one := []ding.Ding{d}
	err = s.recipients(ctx, one)
	return one[0], err
}

func (s dingStore) DingsOf(ctx context.Context, orgID, userID tack.ID, sent bool, limit int) ([]ding.Ding, error) {
	q := `SELECT ` + dingCols + ` FROM dings WHERE org_id = ? AND sender_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`
	if !sent {
		q = `SELECT ` + prefixed("d.", dingCols) + ` FROM ding_recipients r JOIN dings d ON d.id = r.ding_id
			WHERE r.user_id = ? AND d.org_id = ? ORDER BY d.created_at DESC, d.id DESC LIMIT ?`
	}
	args := []any{orgID, userID, limit}
	if !sent {
		args = []any{userID, orgID, limit}
	}
	rows, err := s.db.rquery(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []ding.Ding
	for rows.Next() {
		d, err := scanDing(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.recipients(ctx, out)
}

func changedRows(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (s dingStore) Confirm(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error) {
	return changedRows(s.db.exec(ctx, `UPDATE ding_recipients SET confirmed_at = ? WHERE ding_id = ? AND user_id = ? AND confirmed_at IS NULL`,
		micros(at), id, userID))
}

func (s dingStore) MarkSent(ctx context.Context, id tack.ID) (bool, error) {
	ok, err := changedRows(s.db.exec(ctx, `UPDATE dings SET sent = 1 WHERE id = ? AND sent = 0`, id))
	if err == nil && !ok {
		if _, err := s.Ding(ctx, id); err != nil {
			return false, err
		}
	}
	return ok, err
}

func (s dingStore) SetLevel(ctx context.Context, id tack.ID, from, to int) (bool, error) {
	return changedRows(s.db.exec(ctx, `UPDATE dings SET level = ? WHERE id = ? AND level = ?`, to, id, from))
}

func (s dingStore) SetReminded(ctx context.Context, id tack.ID, at, notAfter time.Time) (bool, error) {
	return changedRows(s.db.exec(ctx, `UPDATE dings SET reminded_at = ? WHERE id = ? AND (reminded_at IS NULL OR reminded_at <= ?)`,
		micros(at), id, micros(notAfter)))
}

func (s dingStore) CountSent(ctx context.Context, orgID, sender tack.ID, since time.Time, quietOnly bool) (int, error) {
	var n int
	err := s.db.rqueryRow(ctx, `SELECT count(*) FROM dings WHERE org_id = ? AND sender_id = ? AND created_at >= ? AND (quiet = 1 OR ? = 0)`,
		orgID, sender, micros(since), b2i(quietOnly)).Scan(&n)
	return n, err
}

func (s dingStore) OrgSettings(ctx context.Context, orgID tack.ID) (ding.OrgSettings, bool, error) {
	var data string
	err := s.db.rqueryRow(ctx, `SELECT data FROM ding_org_settings WHERE org_id = ?`, orgID).Scan(&data)
	if err == sql.ErrNoRows {
		return ding.OrgSettings{}, false, nil
	} else if err != nil {
		return ding.OrgSettings{}, false, err
	}
	var set ding.OrgSettings
	return set, true, json.Unmarshal([]byte(data), &set)
}

func (s dingStore) PutOrgSettings(ctx context.Context, orgID tack.ID, set ding.OrgSettings) error {
	b, _ := json.Marshal(set)
	_, err := s.db.exec(ctx, `INSERT INTO ding_org_settings (org_id, data, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, orgID, string(b), micros(set.UpdatedAt))
	return err
}

func (s dingStore) UserSettings(ctx context.Context, ids []tack.ID) (map[tack.ID]ding.UserSettings, error) {
	out := map[tack.ID]ding.UserSettings{}
	if len(ids) == 0 {
		return out, nil
	}
	// The IDs as one JSON argument: one statement, prepared once (asked on
	// every send's read events).
	rows, err := s.db.rquery(ctx, `SELECT user_id, data FROM ding_user_settings WHERE user_id IN (SELECT value FROM json_each(?))`, idsJSON(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id tack.ID
		var data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, err
		}
		var us ding.UserSettings
		if err := json.Unmarshal([]byte(data), &us); err != nil {
			return nil, err
		}
		out[id] = us
	}
	return out, rows.Err()
}

func (s dingStore) PutUserSettings(ctx context.Context, userID tack.ID, set ding.UserSettings) error {
	b, _ := json.Marshal(set)
	_, err := s.db.exec(ctx, `INSERT INTO ding_user_settings (user_id, data, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, userID, string(b), micros(set.UpdatedAt))
	return err
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/push"
)

var _ push.Store = (*DB)(nil)

// VAPIDKeys returns the stored key pair, storing candidate if there is none.
func (db *DB) VAPIDKeys(ctx context.Context, candidate push.Keys) (push.Keys, error) {
	if _, err := db.w.ExecContext(ctx, `INSERT INTO push_vapid (id, public_key, private_key, created_at) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, candidate.Public, candidate.Private, micros(time.Now())); err != nil {
		return push.Keys{}, fmt.Errorf("store vapid keys: %w", err)
	}
	var k push.Keys
	err := db.w.QueryRowContext(ctx, `SELECT public_key, private_key FROM push_vapid WHERE id = 1`).Scan(&k.Public, &k.Private)
	return k, notFound(err)
}

// SaveSubscription stores s, replacing the subscription of the same
// endpoint or session.
func (db *DB) SaveSubscription(ctx context.Context, s push.Subscription) error {
	var exp int64
	if !s.ExpiresAt.IsZero() {
		exp = micros(s.ExpiresAt)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ? OR session_id = ?`, s.Endpoint, s.SessionID); err != nil {
			return fmt.Errorf("replace subscription: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_subscriptions (endpoint, user_id, session_id, p256dh, auth, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, s.Endpoint, s.UserID, s.SessionID, s.P256dh, s.Auth, exp, micros(s.CreatedAt)); err != nil {
			return fmt.Errorf("insert subscription: %w", err)
		}
		return nil
	})
}

// DeleteSubscription deletes userID's subscription to endpoint.
func (db *DB) DeleteSubscription(ctx context.Context, userID tack.ID, endpoint string) error {
	res, err := db.exec(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id = ?`, endpoint, userID)
	if err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// DeleteEndpoint deletes the subscription to endpoint, if any.
func (db *DB) DeleteEndpoint(ctx context.Context, endpoint string) error {
	if _, err := db.exec(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ?`, endpoint); err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	return nil
}

// PushTargets returns the subscriptions of userIDs with their owners'
// preview settings.
func (db *DB) PushTargets(ctx context.Context, userIDs []tack.ID) ([]push.Target, error) {
	var out []push.Target
	for len(userIDs) > 0 {
		n := min(len(userIDs), 500)
		args := make([]any, n)
		for i := range n {
			args[i] = userIDs[i]
		}
		userIDs = userIDs[n:]
		rows, err := db.rquery(ctx, `SELECT s.endpoint, s.user_id, s.session_id, s.p256dh, s.auth, s.expires_at, s.created_at,
			COALESCE(p.previews, 0)
			FROM push_subscriptions s LEFT JOIN push_settings p ON p.user_id = s.user_id
			WHERE s.user_id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("push targets: %w", err)
		}
		for rows.Next() {
			var t push.Target
			var exp, at, previews int64
			if err := rows.Scan(&t.Endpoint, &t.UserID, &t.SessionID, &t.P256dh, &t.Auth, &exp, &at, &previews); err != nil {
				rows.Close()
				return nil, err
			}
			if exp != 0 {
				t.ExpiresAt = fromMicros(exp)
			}
			t.CreatedAt, t.Previews = fromMicros(at), previews != 0
			out = append(out, t)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PushSettings returns userID's settings, zero if never saved.
func (db *DB) PushSettings(ctx context.Context, userID tack.ID) (push.Settings, error) {
	var previews int64
	err := db.rqueryRow(ctx, `SELECT previews FROM push_settings WHERE user_id = ?`, userID).Scan(&previews)
	if errors.Is(err, sql.ErrNoRows) {
		return push.Settings{}, nil
	}
	if err != nil {
		return push.Settings{}, fmt.Errorf("push settings: %w", err)
	}
	return push.Settings{Previews: previews != 0}, nil
}

// SetPushSettings saves userID's settings.
func (db *DB) SetPushSettings(ctx context.Context, userID tack.ID, s push.Settings) error {
	_, err := db.exec(ctx, `INSERT INTO push_settings (user_id, previews, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET previews = excluded.previews, updated_at = excluded.updated_at`,
		userID, b2i(s.Previews), micros(time.Now()))
	if err != nil {
		return fmt.Errorf("save push settings: %w", err)
	}
	return nil
}

// ACMEGet returns the cached ACME data under key; tack.ErrNotFound if none.
func (db *DB) ACMEGet(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := db.w.QueryRowContext(ctx, `SELECT data FROM acme_cache WHERE key = ?`, key).Scan(&data)
	return data, notFound(err)
}

// ACMEPut stores ACME data (certificates, account keys, challenge tokens).
func (db *DB) ACMEPut(ctx context.Context, key string, data []byte) error {
	_, err := db.exec(ctx, `INSERT INTO acme_cache (key, data, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, key, data, micros(time.Now()))
	if err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	return nil
}

// ACMEDelete deletes the ACME data under key, if any.
func (db *DB) ACMEDelete(ctx context.Context, key string) error {
	if _, err := db.exec(ctx, `DELETE FROM acme_cache WHERE key = ?`, key); err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	return nil
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/push"
)

var _ push.Store = (*DB)(nil)

// VAPIDKeys returns the stored key pair, storing candidate if there is
// none. Nodes starting together race on the insert; the primary key lets
// one win and every node reads the winner.
func (db *DB) VAPIDKeys(ctx context.Context, candidate push.Keys) (push.Keys, error) {
	if _, err := db.pool.Exec(ctx, `INSERT INTO push_vapid (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO NOTHING`, candidate.Public, candidate.Private, time.Now()); err != nil {
		return push.Keys{}, fmt.Errorf("store vapid keys: %w", err)
	}
	var k push.Keys
	err := db.pool.QueryRow(ctx, `SELECT public_key, private_key FROM push_vapid WHERE id = 1`).Scan(&k.Public, &k.Private)
	return k, notFound(err)
}

// SaveSubscription stores s, replacing the subscription of the same
// endpoint or session.
func (db *DB) SaveSubscription(ctx context.Context, s push.Subscription) error {
	var exp *time.Time
	if !s.ExpiresAt.IsZero() {
		exp = &s.ExpiresAt
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM push_subscriptions WHERE endpoint = $1 OR session_id = $2`, s.Endpoint, s.SessionID); err != nil {
			return fmt.Errorf("replace subscription: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO push_subscriptions (endpoint, user_id, session_id, p256dh, auth, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.Endpoint, s.UserID, s.SessionID, s.P256dh, s.Auth, exp, s.CreatedAt); err != nil {
			return fmt.Errorf("insert subscription: %w", err)
		}
		return nil
	})
}

// DeleteSubscription deletes userID's subscription to endpoint.
func (db *DB) DeleteSubscription(ctx context.Context, userID tack.ID, endpoint string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2`, endpoint, userID)
	if err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// DeleteEndpoint deletes the subscription to endpoint, if any.
func (db *DB) DeleteEndpoint(ctx context.Context, endpoint string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM push_subscriptions WHERE endpoint = $1`, endpoint); err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	return nil
}

// PushTargets returns the subscriptions of userIDs with their owners'
// preview settings.
func (db *DB) PushTargets(ctx context.Context, userIDs []tack.ID) ([]push.Target, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT s.endpoint, s.user_id, s.session_id, s.p256dh, s.auth, s.expires_at, s.created_at,
		COALESCE(p.previews, false)
		FROM push_subscriptions s LEFT JOIN push_settings p ON p.user_id = s.user_id
		WHERE s.user_id = ANY($1)`, ids(userIDs))
	if err != nil {
		return nil, fmt.Errorf("push targets: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (push.Target, error) {
		var t push.Target
		var exp *time.Time
		err := r.Scan(&t.Endpoint, &t.UserID, &t.SessionID, &t.P256dh, &t.Auth, &exp, &t.CreatedAt, &t.Previews)
		if exp != nil {
			t.ExpiresAt = utc(*exp)
		}
		t.CreatedAt = utc(t.CreatedAt)
		return t, err
	})
}

// PushSettings returns userID's settings, zero if never saved.
func (db *DB) PushSettings(ctx context.Context, userID tack.ID) (push.Settings, error) {
	var s push.Settings
	err := db.pool.QueryRow(ctx, `SELECT previews FROM push_settings WHERE user_id = $1`, userID).Scan(&s.Previews)
	if errors.Is(err, pgx.ErrNoRows) {
		return push.Settings{}, nil
	}
	if err != nil {
		return push.Settings{}, fmt.Errorf("push settings: %w", err)
	}
	return s, nil
}

// SetPushSettings saves userID's settings.
func (db *DB) SetPushSettings(ctx context.Context, userID tack.ID, s push.Settings) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO push_settings (user_id, previews, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET previews = excluded.previews, updated_at = excluded.updated_at`,
		userID, s.Previews, time.Now())
	if err != nil {
		return fmt.Errorf("save push settings: %w", err)
	}
	return nil
}

// ACMEGet returns the cached ACME data under key; tack.ErrNotFound if none.
func (db *DB) ACMEGet(ctx context.Context, key string) ([]byte, error) {
	var data []byte
	err := db.pool.QueryRow(ctx, `SELECT data FROM acme_cache WHERE key = $1`, key).Scan(&data)
	return data, notFound(err)
}

// ACMEPut stores ACME data (certificates, account keys, challenge tokens),
// shared by every node.
func (db *DB) ACMEPut(ctx context.Context, key string, data []byte) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO acme_cache (key, data, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at`, key, data, time.Now())
	if err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	return nil
}

// ACMEDelete deletes the ACME data under key, if any.
func (db *DB) ACMEDelete(ctx context.Context, key string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM acme_cache WHERE key = $1`, key); err != nil {
		return fmt.Errorf("acme cache: %w", err)
	}
	return nil
}

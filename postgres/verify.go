package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// PutVerification stores v, replacing the user's pending verification.
func (db *DB) PutVerification(ctx context.Context, v account.Verification) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO login_verifications (user_id, channel, login, code_hash, attempts, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_id) DO UPDATE SET channel = excluded.channel, login = excluded.login, code_hash = excluded.code_hash,
			attempts = excluded.attempts, expires_at = excluded.expires_at, created_at = excluded.created_at`,
		v.UserID, v.Channel, v.Login, v.CodeHash, v.Attempts, v.ExpiresAt, v.CreatedAt)
	if err != nil {
		return fmt.Errorf("put verification: %w", err)
	}
	return nil
}

// CountVerificationAttempt adds one to the attempts of userID's pending
// verification and returns it.
func (db *DB) CountVerificationAttempt(ctx context.Context, userID tack.ID) (account.Verification, error) {
	var v account.Verification
	err := db.pool.QueryRow(ctx, `UPDATE login_verifications SET attempts = attempts + 1 WHERE user_id = $1
		RETURNING user_id, channel, login, code_hash, attempts, expires_at, created_at`, userID).
		Scan(&v.UserID, &v.Channel, &v.Login, &v.CodeHash, &v.Attempts, &v.ExpiresAt, &v.CreatedAt)
	v.ExpiresAt, v.CreatedAt = utc(v.ExpiresAt), utc(v.CreatedAt)
	return v, notFound(err)
}

// DeleteVerification deletes userID's pending verification.
func (db *DB) DeleteVerification(ctx context.Context, userID tack.ID) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM login_verifications WHERE user_id = $1`, userID)
	return err
}

// SetVerified marks userID verified if its login is still login.
func (db *DB) SetVerified(ctx context.Context, userID tack.ID, login string, at time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE users SET verified_at = $1 WHERE id = $2 AND login = $3`, at, userID, login)
	if err != nil {
		return fmt.Errorf("set verified: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// CreateKnownDevice stores d and keeps the newest keep devices of its user.
func (db *DB) CreateKnownDevice(ctx context.Context, d account.KnownDevice, keep int) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO known_devices (token_hash, user_id, created_at, last_used_at) VALUES ($1, $2, $3, $4)`,
			d.TokenHash, d.UserID, d.CreatedAt, d.LastUsedAt); err != nil {
			return fmt.Errorf("insert known device: %w", err)
		}
		_, err := tx.Exec(ctx, `DELETE FROM known_devices WHERE user_id = $1 AND token_hash NOT IN (
			SELECT token_hash FROM known_devices WHERE user_id = $1 ORDER BY last_used_at DESC, created_at DESC LIMIT $2)`, d.UserID, keep)
		return err
	})
}

// KnownDevice returns the device whose token has hash.
func (db *DB) KnownDevice(ctx context.Context, hash []byte) (account.KnownDevice, error) {
	var d account.KnownDevice
	err := db.pool.QueryRow(ctx, `SELECT token_hash, user_id, created_at, last_used_at FROM known_devices WHERE token_hash = $1`, hash).
		Scan(&d.TokenHash, &d.UserID, &d.CreatedAt, &d.LastUsedAt)
	d.CreatedAt, d.LastUsedAt = utc(d.CreatedAt), utc(d.LastUsedAt)
	return d, notFound(err)
}

// TouchKnownDevice records that a device was used at at.
func (db *DB) TouchKnownDevice(ctx context.Context, hash []byte, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE known_devices SET last_used_at = $1 WHERE token_hash = $2`, at, hash)
	return err
}

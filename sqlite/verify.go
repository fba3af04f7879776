package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// PutVerification stores v, replacing the user's pending verification.
func (db *DB) PutVerification(ctx context.Context, v account.Verification) error {
	_, err := db.exec(ctx, `INSERT INTO login_verifications (user_id, channel, login, code_hash, attempts, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET channel = excluded.channel, login = excluded.login, code_hash = excluded.code_hash,
			attempts = excluded.attempts, expires_at = excluded.expires_at, created_at = excluded.created_at`,
		v.UserID, v.Channel, v.Login, v.CodeHash, v.Attempts, micros(v.ExpiresAt), micros(v.CreatedAt))
	if err != nil {
		return fmt.Errorf("put verification: %w", err)
	}
	return nil
}

// CountVerificationAttempt adds one to the attempts of userID's pending
// verification and returns it.
func (db *DB) CountVerificationAttempt(ctx context.Context, userID tack.ID) (account.Verification, error) {
	var v account.Verification
	var exp, created int64
	err := db.w.QueryRowContext(ctx, `UPDATE login_verifications SET attempts = attempts + 1 WHERE user_id = ?
		RETURNING user_id, channel, login, code_hash, attempts, expires_at, created_at`, userID).
		Scan(&v.UserID, &v.Channel, &v.Login, &v.CodeHash, &v.Attempts, &exp, &created)
	v.ExpiresAt, v.CreatedAt = fromMicros(exp), fromMicros(created)
	return v, notFound(err)
}

// DeleteVerification deletes userID's pending verification.
func (db *DB) DeleteVerification(ctx context.Context, userID tack.ID) error {
	_, err := db.exec(ctx, `DELETE FROM login_verifications WHERE user_id = ?`, userID)
	return err
}

// SetVerified marks userID verified if its login is still login.
func (db *DB) SetVerified(ctx context.Context, userID tack.ID, login string, at time.Time) error {
	res, err := db.exec(ctx, `UPDATE users SET verified_at = ? WHERE id = ? AND login = ?`, micros(at), userID, login)
	if err != nil {
		return fmt.Errorf("set verified: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// CreateKnownDevice stores d and keeps the newest keep devices of its user.
func (db *DB) CreateKnownDevice(ctx context.Context, d account.KnownDevice, keep int) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO known_devices (token_hash, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)`,
			d.TokenHash, d.UserID, micros(d.CreatedAt), micros(d.LastUsedAt)); err != nil {
			return fmt.Errorf("insert known device: %w", err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM known_devices WHERE user_id = ? AND token_hash NOT IN (
			SELECT token_hash FROM known_devices WHERE user_id = ? ORDER BY last_used_at DESC, created_at DESC LIMIT ?)`, d.UserID, d.UserID, keep)
		return err
	})
}

// KnownDevice returns the device whose token has hash.
func (db *DB) KnownDevice(ctx context.Context, hash []byte) (account.KnownDevice, error) {
	var d account.KnownDevice
	var c, l int64
	err := db.rqueryRow(ctx, `SELECT token_hash, user_id, created_at, last_used_at FROM known_devices WHERE token_hash = ?`, hash).
		Scan(&d.TokenHash, &d.UserID, &c, &l)
	d.CreatedAt, d.LastUsedAt = fromMicros(c), fromMicros(l)
	return d, notFound(err)
}

// TouchKnownDevice records that a device was used at at.
func (db *DB) TouchKnownDevice(ctx context.Context, hash []byte, at time.Time) error {
	_, err := db.exec(ctx, `UPDATE known_devices SET last_used_at = ? WHERE token_hash = ?`, micros(at), hash)
	return err
}

package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tackhq/tack/account"
)

// PutPasswordReset stores r, replacing the user's pending reset.
func (db *DB) PutPasswordReset(ctx context.Context, r account.PasswordReset) error {
	_, err := db.exec(ctx, `INSERT INTO password_resets (user_id, token_hash, login, requested_by, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, login = excluded.login,
			requested_by = excluded.requested_by, expires_at = excluded.expires_at, created_at = excluded.created_at`,
		r.UserID, r.TokenHash, r.Login, r.RequestedBy, micros(r.ExpiresAt), micros(r.CreatedAt))
	if err != nil {
		return fmt.Errorf("put password reset: %w", err)
	}
	return nil
}

// TakePasswordReset deletes and returns the reset with this token hash.
func (db *DB) TakePasswordReset(ctx context.Context, tokenHash []byte) (account.PasswordReset, error) {
	var r account.PasswordReset
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var exp, created int64
		err := tx.QueryRowContext(ctx, `DELETE FROM password_resets WHERE token_hash = ?
			RETURNING user_id, token_hash, login, requested_by, expires_at, created_at`, tokenHash).
			Scan(&r.UserID, &r.TokenHash, &r.Login, &r.RequestedBy, &exp, &created)
		r.ExpiresAt, r.CreatedAt = fromMicros(exp), fromMicros(created)
		return notFound(err)
	})
	return r, err
}

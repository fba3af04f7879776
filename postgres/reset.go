package postgres

import (
	"context"
	"fmt"

	"github.com/tackhq/tack/account"
)

// PutPasswordReset stores r, replacing the user's pending reset.
func (db *DB) PutPasswordReset(ctx context.Context, r account.PasswordReset) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO password_resets (user_id, token_hash, login, requested_by, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, login = excluded.login,
			requested_by = excluded.requested_by, expires_at = excluded.expires_at, created_at = excluded.created_at`,
		r.UserID, r.TokenHash, r.Login, r.RequestedBy, r.ExpiresAt, r.CreatedAt)
	if err != nil {
		return fmt.Errorf("put password reset: %w", err)
	}
	return nil
}

// TakePasswordReset deletes and returns the reset with this token hash.
func (db *DB) TakePasswordReset(ctx context.Context, tokenHash []byte) (account.PasswordReset, error) {
	var r account.PasswordReset
	err := db.pool.QueryRow(ctx, `DELETE FROM password_resets WHERE token_hash = $1
		RETURNING user_id, token_hash, login, requested_by, expires_at, created_at`, tokenHash).
		Scan(&r.UserID, &r.TokenHash, &r.Login, &r.RequestedBy, &r.ExpiresAt, &r.CreatedAt)
	r.ExpiresAt, r.CreatedAt = r.ExpiresAt.UTC(), r.CreatedAt.UTC()
	return r, notFound(err)
}

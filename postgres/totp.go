package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// SecondFactor returns userID's authenticator.
func (db *DB) SecondFactor(ctx context.Context, userID tack.ID) (account.SecondFactor, error) {
	var f account.SecondFactor
	err := db.pool.QueryRow(ctx, `SELECT user_id, secret, enabled_at, last_step, created_at FROM second_factors WHERE user_id = $1`, userID).
		Scan(&f.UserID, &f.Secret, &f.EnabledAt, &f.LastStep, &f.CreatedAt)
	if err != nil {
		return account.SecondFactor{}, notFound(err)
	}
	if f.EnabledAt != nil {
		at := f.EnabledAt.UTC()
		f.EnabledAt = &at
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return f, nil
}

// PutPendingSecondFactor stores a pending authenticator.
func (db *DB) PutPendingSecondFactor(ctx context.Context, f account.SecondFactor) error {
	tag, err := db.pool.Exec(ctx, `INSERT INTO second_factors (user_id, secret, enabled_at, last_step, created_at) VALUES ($1, $2, NULL, 0, $3)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
		WHERE second_factors.enabled_at IS NULL`, f.UserID, f.Secret, f.CreatedAt)
	if err != nil {
		return fmt.Errorf("put second factor: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return tack.Errorf(tack.EConflict, "an enabled second factor exists")
	}
	return nil
}

// EnableSecondFactor enables the pending authenticator and sets the codes.
func (db *DB) EnableSecondFactor(ctx context.Context, userID tack.ID, at time.Time, step int64, codeHashes [][]byte) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE second_factors SET enabled_at = $1, last_step = $2 WHERE user_id = $3 AND enabled_at IS NULL`, at, step, userID)
		if err != nil {
			return fmt.Errorf("enable second factor: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return tack.ErrNotFound
		}
		return setRecoveryCodes(ctx, tx, userID, codeHashes)
	})
}

func setRecoveryCodes(ctx context.Context, tx pgx.Tx, userID tack.ID, codeHashes [][]byte) error {
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("recovery codes: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, h FROM unnest($2::bytea[]) AS h ON CONFLICT DO NOTHING`, userID, codeHashes); err != nil {
		return fmt.Errorf("recovery codes: %w", err)
	}
	return nil
}

// UseSecondFactorStep moves LastStep forward to step.
func (db *DB) UseSecondFactorStep(ctx context.Context, userID tack.ID, step int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE second_factors SET last_step = $1 WHERE user_id = $2 AND enabled_at IS NOT NULL AND last_step < $1`, step, userID)
	if err != nil {
		return fmt.Errorf("use second factor: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// UseRecoveryCode deletes one recovery code.
func (db *DB) UseRecoveryCode(ctx context.Context, userID tack.ID, codeHash []byte) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2`, userID, codeHash)
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// SetRecoveryCodes replaces userID's recovery codes.
func (db *DB) SetRecoveryCodes(ctx context.Context, userID tack.ID, codeHashes [][]byte) error {
	return db.tx(ctx, func(tx pgx.Tx) error { return setRecoveryCodes(ctx, tx, userID, codeHashes) })
}

// RecoveryCodesLeft counts userID's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID tack.ID) (int, error) {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1`, userID).Scan(&n)
	return n, err
}

// DeleteSecondFactor deletes userID's authenticator and recovery codes.
func (db *DB) DeleteSecondFactor(ctx context.Context, userID tack.ID) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM second_factors WHERE user_id = $1`, userID)
		return err
	})
}

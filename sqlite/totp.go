package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// SecondFactor returns userID's authenticator.
func (db *DB) SecondFactor(ctx context.Context, userID tack.ID) (account.SecondFactor, error) {
	var f account.SecondFactor
	var enabled, created int64
	err := db.r.QueryRowContext(ctx, `SELECT user_id, secret, enabled_at, last_step, created_at FROM second_factors WHERE user_id = ?`, userID).
		Scan(&f.UserID, &f.Secret, &enabled, &f.LastStep, &created)
	if err != nil {
		return account.SecondFactor{}, notFound(err)
	}
	if enabled != 0 {
		at := fromMicros(enabled)
		f.EnabledAt = &at
	}
	f.CreatedAt = fromMicros(created)
	return f, nil
}

// PutPendingSecondFactor stores a pending authenticator.
func (db *DB) PutPendingSecondFactor(ctx context.Context, f account.SecondFactor) error {
	res, err := db.exec(ctx, `INSERT INTO second_factors (user_id, secret, enabled_at, last_step, created_at) VALUES (?, ?, 0, 0, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, last_step = 0, created_at = excluded.created_at
		WHERE second_factors.enabled_at = 0`, f.UserID, f.Secret, micros(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("put second factor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.Errorf(tack.EConflict, "an enabled second factor exists")
	}
	return nil
}

// EnableSecondFactor enables the pending authenticator and sets the codes.
func (db *DB) EnableSecondFactor(ctx context.Context, userID tack.ID, at time.Time, step int64, codeHashes [][]byte) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE second_factors SET enabled_at = ?, last_step = ? WHERE user_id = ? AND enabled_at = 0`, micros(at), step, userID)
		if err != nil {
			return fmt.Errorf("enable second factor: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tack.ErrNotFound
		}
		return setRecoveryCodes(ctx, tx, userID, codeHashes)
	})
}

func setRecoveryCodes(ctx context.Context, tx *sql.Tx, userID tack.ID, codeHashes [][]byte) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("recovery codes: %w", err)
	}
	for _, h := range codeHashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?) ON CONFLICT DO NOTHING`, userID, h); err != nil {
			return fmt.Errorf("recovery codes: %w", err)
		}
	}
	return nil
}

// UseSecondFactorStep moves LastStep forward to step.
func (db *DB) UseSecondFactorStep(ctx context.Context, userID tack.ID, step int64) error {
	res, err := db.exec(ctx, `UPDATE second_factors SET last_step = ? WHERE user_id = ? AND enabled_at != 0 AND last_step < ?`, step, userID, step)
	if err != nil {
		return fmt.Errorf("use second factor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// UseRecoveryCode deletes one recovery code.
func (db *DB) UseRecoveryCode(ctx context.Context, userID tack.ID, codeHash []byte) error {
	res, err := db.exec(ctx, `DELETE FROM recovery_codes WHERE user_id = ? AND code_hash = ?`, userID, codeHash)
	if err != nil {
		return fmt.Errorf("use recovery code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// SetRecoveryCodes replaces userID's recovery codes.
func (db *DB) SetRecoveryCodes(ctx context.Context, userID tack.ID, codeHashes [][]byte) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return setRecoveryCodes(ctx, tx, userID, codeHashes) })
}

// RecoveryCodesLeft counts userID's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID tack.ID) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?`, userID).Scan(&n)
	return n, err
}

// DeleteSecondFactor deletes userID's authenticator and recovery codes.
func (db *DB) DeleteSecondFactor(ctx context.Context, userID tack.ID) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = ?`, userID)
		return err
	})
}

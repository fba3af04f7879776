package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

var _ account.Store = (*DB)(nil)

// CreateUser stores u; a taken login is tack.EConflict.
func (db *DB) CreateUser(ctx context.Context, u account.User, passwordHash string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO users (id, login, name, name_lower, password_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, u.ID, u.Login, u.Name, strings.ToLower(u.Name), passwordHash, u.CreatedAt)
	if isUnique(err, "users_login_key") {
		return tack.Errorf(tack.EConflict, "that login is taken")
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

const userCols = `id, login, name, created_at, verified_at`

func scanUser(row pgx.Row, extra ...any) (account.User, error) {
	var u account.User
	var verified *time.Time
	err := row.Scan(append([]any{&u.ID, &u.Login, &u.Name, &u.CreatedAt, &verified}, extra...)...)
	u.CreatedAt = utc(u.CreatedAt)
	if verified != nil {
		v := utc(*verified)
		u.VerifiedAt = &v
	}
	return u, notFound(err)
}

func collectUsers(rows pgx.Rows, err error) ([]account.User, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.User, error) { return scanUser(r) })
}

// UserByLogin returns the user with login and its password hash.
func (db *DB) UserByLogin(ctx context.Context, login string) (account.User, string, error) {
	var hash string
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE login = $1`, login), &hash)
	return u, hash, err
}

// User returns one user.
func (db *DB) User(ctx context.Context, id tack.ID) (account.User, error) {
	return scanUser(db.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = $1`, id))
}

// Users returns the users among ids.
func (db *DB) Users(ctx context.Context, list []tack.ID) ([]account.User, error) {
	if len(list) == 0 {
		return nil, nil
	}
	return collectUsers(db.pool.Query(ctx, `SELECT `+userCols+` FROM users WHERE id = ANY($1)`, ids(list)))
}

// SearchUsers finds the user whose login is q.Login, and those sharing a
// conversation with q.SharingWith whose name or login starts with q.Text.
func (db *DB) SearchUsers(ctx context.Context, q account.UserQuery) ([]account.User, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	prefix := likePrefix(strings.ToLower(q.Text))
	return collectUsers(db.pool.Query(ctx, `
		SELECT `+userCols+` FROM users WHERE login = $1
		UNION
		SELECT `+userCols+` FROM users WHERE id IN (
			SELECT b.user_id FROM members a JOIN members b ON b.conversation_id = a.conversation_id
			WHERE a.user_id = $2)
		AND (name_lower LIKE $3 ESCAPE '\' OR login LIKE $3 ESCAPE '\')
		ORDER BY name, id LIMIT $4`, q.Login, q.SharingWith, prefix, limit))
}

// CreateSession stores s.
func (db *DB) CreateSession(ctx context.Context, s account.Session) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO sessions (id, user_id, token_hash, device, address, created_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.ID, s.UserID, s.TokenHash, s.Device, s.Address, s.CreatedAt, s.LastSeenAt)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

const sessionCols = `id, user_id, token_hash, device, address, created_at, last_seen_at`

func scanSession(row pgx.Row) (account.Session, error) {
	var s account.Session
	err := row.Scan(&s.ID, &s.UserID, &s.TokenHash, &s.Device, &s.Address, &s.CreatedAt, &s.LastSeenAt)
	s.CreatedAt, s.LastSeenAt = utc(s.CreatedAt), utc(s.LastSeenAt)
	return s, notFound(err)
}

// SessionByTokenHash finds a session by its token's hash.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte) (account.Session, error) {
	return scanSession(db.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = $1`, hash))
}

// Sessions lists a user's sessions, newest first.
func (db *DB) Sessions(ctx context.Context, userID tack.ID) ([]account.Session, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions WHERE user_id = $1 ORDER BY created_at DESC, id DESC`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.Session, error) { return scanSession(r) })
}

// DeleteSession deletes one of userID's sessions.
func (db *DB) DeleteSession(ctx context.Context, userID, id tack.ID) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// TouchSession records that a session was used at at.
func (db *DB) TouchSession(ctx context.Context, id tack.ID, at time.Time) error {
	_, err := db.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id = $2`, at, id)
	return err
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, userID tack.ID, hash string) error {
	tag, err := db.pool.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// DeleteSessions deletes every session of userID but keep.
func (db *DB) DeleteSessions(ctx context.Context, userID, keep tack.ID) ([]tack.ID, error) {
	rows, err := db.pool.Query(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id != $2 RETURNING id`, userID, keep)
	if err != nil {
		return nil, fmt.Errorf("delete sessions: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[tack.ID])
}

// DeleteExpiredSessions deletes up to limit sessions created before
// createdBefore or last seen before seenBefore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time, limit int) ([]account.Session, error) {
	rows, err := db.pool.Query(ctx, `DELETE FROM sessions WHERE id IN (
			SELECT id FROM sessions WHERE created_at < $1 OR last_seen_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+sessionCols, createdBefore, seenBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("delete expired sessions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (account.Session, error) { return scanSession(r) })
}

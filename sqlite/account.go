package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

var _ account.Store = (*DB)(nil)

// CreateUser stores u; a taken login is tack.EConflict.
func (db *DB) CreateUser(ctx context.Context, u account.User, passwordHash string) error {
	_, err := db.exec(ctx, `INSERT INTO users (id, login, name, name_lower, password_hash, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, u.ID, u.Login, u.Name, strings.ToLower(u.Name), passwordHash, micros(u.CreatedAt))
	if isUnique(err) {
		return tack.Errorf(tack.EConflict, "that login is taken")
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return nil
}

const userCols = `id, login, name, created_at, verified_at`

func scanUser(sc interface{ Scan(...any) error }, extra ...any) (account.User, error) {
	var u account.User
	var at int64
	var verified sql.NullInt64
	err := sc.Scan(append([]any{&u.ID, &u.Login, &u.Name, &at, &verified}, extra...)...)
	u.CreatedAt = fromMicros(at)
	if verified.Valid {
		v := fromMicros(verified.Int64)
		u.VerifiedAt = &v
	}
	return u, notFound(err)
}

// UserByLogin returns the user with login and its password hash.
func (db *DB) UserByLogin(ctx context.Context, login string) (account.User, string, error) {
	var hash string
	u, err := scanUser(db.rqueryRow(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE login = ?`, login), &hash)
	return u, hash, err
}

// User returns one user.
func (db *DB) User(ctx context.Context, id tack.ID) (account.User, error) {
	return scanUser(db.rqueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// Users returns the users among ids.
func (db *DB) Users(ctx context.Context, ids []tack.ID) ([]account.User, error) {
	var out []account.User
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := make([]any, n)
		for i := range n {
			args[i] = ids[i]
		}
		ids = ids[n:]
		rows, err := db.rquery(ctx, `SELECT `+userCols+` FROM users WHERE id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, u)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// SearchUsers finds users by q.
func (db *DB) SearchUsers(ctx context.Context, q account.UserQuery) ([]account.User, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 50
	}
	prefix := likePrefix(strings.ToLower(q.Text))
	rows, err := db.rquery(ctx, `
		SELECT `+userCols+` FROM users WHERE login = ?
		UNION
		SELECT `+userCols+` FROM users WHERE id IN (
			SELECT b.user_id FROM members a JOIN members b ON b.conversation_id = a.conversation_id
			WHERE a.user_id = ?)
		AND (name_lower LIKE ? ESCAPE '\' OR login LIKE ? ESCAPE '\')
		ORDER BY name LIMIT ?`, q.Login, q.SharingWith, prefix, prefix, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CreateSession stores s.
func (db *DB) CreateSession(ctx context.Context, s account.Session) error {
	_, err := db.exec(ctx, `INSERT INTO sessions (id, user_id, token_hash, device, address, created_at, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.ID, s.UserID, s.TokenHash, s.Device, s.Address, micros(s.CreatedAt), micros(s.LastSeenAt))
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

const sessionCols = `id, user_id, token_hash, device, address, created_at, last_seen_at`

func scanSession(sc interface{ Scan(...any) error }) (account.Session, error) {
	var s account.Session
	var c, l int64
	err := sc.Scan(&s.ID, &s.UserID, &s.TokenHash, &s.Device, &s.Address, &c, &l)
	s.CreatedAt, s.LastSeenAt = fromMicros(c), fromMicros(l)
	return s, notFound(err)
}

// SessionByTokenHash finds a session by its token's hash.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte) (account.Session, error) {
	return scanSession(db.rqueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`, hash))
}

// Sessions lists a user's sessions, newest first.
func (db *DB) Sessions(ctx context.Context, userID tack.ID) ([]account.Session, error) {
	rows, err := db.rquery(ctx, `SELECT `+sessionCols+` FROM sessions WHERE user_id = ? ORDER BY created_at DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []account.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSession deletes one of userID's sessions.
func (db *DB) DeleteSession(ctx context.Context, userID, id tack.ID) error {
	res, err := db.exec(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// TouchSession records that a session was used at at.
func (db *DB) TouchSession(ctx context.Context, id tack.ID, at time.Time) error {
	_, err := db.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, micros(at), id)
	return err
}

// SetPassword replaces a user's password hash.
func (db *DB) SetPassword(ctx context.Context, userID tack.ID, hash string) error {
	res, err := db.exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// DeleteSessions deletes every session of userID but keep.
func (db *DB) DeleteSessions(ctx context.Context, userID, keep tack.ID) ([]tack.ID, error) {
	rows, err := db.w.QueryContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id != ? RETURNING id`, userID, keep)
	if err != nil {
		return nil, fmt.Errorf("delete sessions: %w", err)
	}
	defer rows.Close()
	var out []tack.ID
	for rows.Next() {
		var id tack.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// DeleteExpiredSessions deletes up to limit sessions created before
// createdBefore or last seen before seenBefore.
func (db *DB) DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time, limit int) ([]account.Session, error) {
	rows, err := db.w.QueryContext(ctx, `DELETE FROM sessions WHERE id IN (
			SELECT id FROM sessions WHERE created_at < ? OR last_seen_at < ? LIMIT ?)
		RETURNING `+sessionCols, micros(createdBefore), micros(seenBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("delete expired sessions: %w", err)
	}
	defer rows.Close()
	var out []account.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

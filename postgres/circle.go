package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

// Circles returns the circles store.
func (db *DB) Circles() circle.Store { return circleStore{db} }

type circleStore struct{ db *DB }

const momentCols = `id, author_id, text, audience, files, created_at, edited_at`

func scanMoment(row pgx.Row) (circle.Moment, error) {
	var m circle.Moment
	var aud, files []byte
	if err := row.Scan(&m.ID, &m.AuthorID, &m.Text, &aud, &files, &m.CreatedAt, &m.EditedAt); err != nil {
		return m, notFound(err)
	}
	m.CreatedAt = utc(m.CreatedAt)
	if m.EditedAt != nil {
		t := utc(*m.EditedAt)
		m.EditedAt = &t
	}
	if err := json.Unmarshal(aud, &m.Audience); err != nil {
		return m, fmt.Errorf("audience: %w", err)
	}
	if err := json.Unmarshal(files, &m.Files); err != nil {
		return m, fmt.Errorf("files: %w", err)
	}
	return m, nil
}

func (s circleStore) CreateMoment(ctx context.Context, m circle.Moment) error {
	aud, _ := json.Marshal(m.Audience)
	files, _ := json.Marshal(m.Files)
	if m.Files == nil {
		files = []byte("[]")
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO moments (id, author_id, org_id, text, audience, files, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			m.ID, m.AuthorID, m.Audience.OrgID, m.Text, string(aud), string(files), m.CreatedAt); err != nil {
			return fmt.Errorf("insert moment: %w", err)
		}
		for _, f := range m.Files {
			if _, err := tx.Exec(ctx, `INSERT INTO media_refs (file_id, conversation_id, seq) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`, f.ID, m.ID); err != nil {
				return fmt.Errorf("pin file: %w", err)
			}
		}
		return nil
	})
}

func (s circleStore) Moment(ctx context.Context, id tack.ID) (circle.Moment, error) {
	return scanMoment(s.db.pool.QueryRow(ctx, `SELECT `+momentCols+` FROM moments WHERE id = $1`, id))
}

func (s circleStore) Moments(ctx context.Context, q circle.Query) ([]circle.Moment, error) {
	before := q.Before
	if before == "" {
		before = "~"
	}
	since := time.Unix(0, 0)
	if !q.Since.IsZero() {
		since = q.Since
	}
	var rows pgx.Rows
	var err error
	if q.ByAuthorOnly {
		rows, err = s.db.pool.Query(ctx, `SELECT `+momentCols+` FROM moments
			WHERE author_id = ANY($1) AND id < $2 AND created_at >= $3 ORDER BY id DESC LIMIT $4`,
			ids(q.Authors), before, since, q.Limit)
	} else {
		// Fan-out on read, top-k per author and per organisation's circle
		// (see sqlite/circle.go).
		rows, err = s.db.pool.Query(ctx, `SELECT * FROM (
			SELECT m.* FROM unnest($1::text[]) a(author) CROSS JOIN LATERAL (
				SELECT `+momentCols+` FROM moments x WHERE x.author_id = a.author AND x.org_id = '' AND x.id < $2 AND x.created_at >= $3
				ORDER BY x.id DESC LIMIT $4) m
			UNION ALL
			SELECT m.* FROM unnest($5::text[]) o(org) CROSS JOIN LATERAL (
				SELECT `+momentCols+` FROM moments x WHERE x.org_id = o.org AND x.id < $2 AND x.created_at >= $3
				ORDER BY x.id DESC LIMIT $4) m) t
			ORDER BY id DESC LIMIT $4`,
			ids(q.Authors), before, since, q.Limit, ids(q.Orgs))
	}
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.Moment, error) { return scanMoment(r) })
	if out == nil {
		out = []circle.Moment{}
	}
	return out, err
}

func (s circleStore) EditMoment(ctx context.Context, id tack.ID, text string, at time.Time) error {
	tag, err := s.db.pool.Exec(ctx, `UPDATE moments SET text = $1, edited_at = $2 WHERE id = $3`, text, at, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s circleStore) DeleteMoment(ctx context.Context, id tack.ID) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{`DELETE FROM moment_likes WHERE moment_id = $1`, `DELETE FROM moment_comments WHERE moment_id = $1`,
			`DELETE FROM media_refs WHERE conversation_id = $1 AND seq = 0`} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM moments WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return tack.ErrNotFound
		}
		return nil
	})
}

func (s circleStore) AddComment(ctx context.Context, c circle.Comment) error {
	tag, err := s.db.pool.Exec(ctx, `INSERT INTO moment_comments (id, moment_id, author_id, reply_to, text, created_at)
		SELECT $1, id, $2, $3, $4, $5 FROM moments WHERE id = $6`, c.ID, c.AuthorID, c.ReplyTo, c.Text, c.CreatedAt, c.MomentID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

const commentCols = `id, moment_id, author_id, reply_to, text, created_at`

func scanComment(row pgx.Row) (circle.Comment, error) {
	var c circle.Comment
	if err := row.Scan(&c.ID, &c.MomentID, &c.AuthorID, &c.ReplyTo, &c.Text, &c.CreatedAt); err != nil {
		return c, notFound(err)
	}
	c.CreatedAt = utc(c.CreatedAt)
	return c, nil
}

func (s circleStore) Comment(ctx context.Context, id tack.ID) (circle.Comment, error) {
	return scanComment(s.db.pool.QueryRow(ctx, `SELECT `+commentCols+` FROM moment_comments WHERE id = $1`, id))
}

func (s circleStore) DeleteComment(ctx context.Context, id tack.ID) error {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM moment_comments WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s circleStore) CountComments(ctx context.Context, momentID tack.ID) (int, error) {
	var n int
	err := s.db.pool.QueryRow(ctx, `SELECT count(*) FROM moment_comments WHERE moment_id = $1`, momentID).Scan(&n)
	return n, err
}

func (s circleStore) Comments(ctx context.Context, momentIDs []tack.ID) ([]circle.Comment, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+commentCols+` FROM moment_comments WHERE moment_id = ANY($1) ORDER BY id`, ids(momentIDs))
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.Comment, error) { return scanComment(r) })
	if out == nil {
		out = []circle.Comment{}
	}
	return out, err
}

func (s circleStore) SetLike(ctx context.Context, l circle.Like, on bool) (bool, error) {
	changed := false
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM moments WHERE id = $1 FOR SHARE`, l.MomentID).Scan(&one); err != nil {
			return notFound(err)
		}
		q, args := `DELETE FROM moment_likes WHERE moment_id = $1 AND user_id = $2`, []any{l.MomentID, l.UserID}
		if on {
			q, args = `INSERT INTO moment_likes (moment_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, []any{l.MomentID, l.UserID, l.CreatedAt}
		}
		tag, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		changed = tag.RowsAffected() > 0
		return nil
	})
	return changed, err
}

func (s circleStore) Likes(ctx context.Context, momentIDs []tack.ID) ([]circle.Like, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT moment_id, user_id, created_at FROM moment_likes WHERE moment_id = ANY($1) ORDER BY created_at, user_id`, ids(momentIDs))
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.Like, error) {
		var l circle.Like
		err := r.Scan(&l.MomentID, &l.UserID, &l.CreatedAt)
		l.CreatedAt = utc(l.CreatedAt)
		return l, err
	})
	if out == nil {
		out = []circle.Like{}
	}
	return out, err
}

func (s circleStore) Settings(ctx context.Context, userID tack.ID) (circle.Settings, error) {
	set := circle.Settings{UserID: userID}
	err := s.db.pool.QueryRow(ctx, `SELECT visible_days, updated_at FROM circle_settings WHERE user_id = $1`, userID).Scan(&set.VisibleDays, &set.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return set, nil
	} else if err != nil {
		return set, err
	}
	set.UpdatedAt = utc(set.UpdatedAt)
	return set, nil
}

func (s circleStore) PutSettings(ctx context.Context, set circle.Settings) error {
	_, err := s.db.pool.Exec(ctx, `INSERT INTO circle_settings (user_id, visible_days, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (user_id) DO UPDATE SET visible_days = excluded.visible_days, updated_at = excluded.updated_at`,
		set.UserID, set.VisibleDays, set.UpdatedAt)
	return err
}

func scanTag(row pgx.Row) (circle.Tag, error) {
	var t circle.Tag
	var ids []byte
	if err := row.Scan(&t.ID, &t.OwnerID, &t.Name, &ids, &t.UpdatedAt); err != nil {
		return t, notFound(err)
	}
	t.UpdatedAt = utc(t.UpdatedAt)
	if err := json.Unmarshal(ids, &t.UserIDs); err != nil {
		return t, fmt.Errorf("tag members: %w", err)
	}
	return t, nil
}

const tagCols = `id, owner_id, name, user_ids, updated_at`

func (s circleStore) Tags(ctx context.Context, ownerID tack.ID) ([]circle.Tag, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT `+tagCols+` FROM friend_tags WHERE owner_id = $1 ORDER BY name COLLATE "C", id`, ownerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circle.Tag{}
	for rows.Next() {
		t, err := scanTag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s circleStore) Tag(ctx context.Context, id tack.ID) (circle.Tag, error) {
	return scanTag(s.db.pool.QueryRow(ctx, `SELECT `+tagCols+` FROM friend_tags WHERE id = $1`, id))
}

func (s circleStore) PutTag(ctx context.Context, t circle.Tag) error {
	ids := t.UserIDs
	if ids == nil {
		ids = []tack.ID{}
	}
	b, _ := json.Marshal(ids)
	_, err := s.db.pool.Exec(ctx, `INSERT INTO friend_tags (id, owner_id, name, user_ids, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, user_ids = excluded.user_ids, updated_at = excluded.updated_at`,
		t.ID, t.OwnerID, t.Name, string(b), t.UpdatedAt)
	if isUnique(err, "") {
		return tack.Errorf(tack.EConflict, "you have a tag of that name")
	}
	return err
}

func (s circleStore) DeleteTag(ctx context.Context, id tack.ID) error {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM friend_tags WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

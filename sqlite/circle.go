package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

// Circles returns the circles store.
func (db *DB) Circles() circle.Store { return circleStore{db} }

type circleStore struct{ db *DB }

const momentCols = `id, author_id, text, audience, files, created_at, edited_at`

func scanMoment(sc rowScanner) (circle.Moment, error) {
	var m circle.Moment
	var aud, files string
	var created int64
	var edited sql.NullInt64
	if err := sc.Scan(&m.ID, &m.AuthorID, &m.Text, &aud, &files, &created, &edited); err != nil {
		return m, notFound(err)
	}
	m.CreatedAt = fromMicros(created)
	if edited.Valid {
		t := fromMicros(edited.Int64)
		m.EditedAt = &t
	}
	if err := json.Unmarshal([]byte(aud), &m.Audience); err != nil {
		return m, fmt.Errorf("audience: %w", err)
	}
	if err := json.Unmarshal([]byte(files), &m.Files); err != nil {
		return m, fmt.Errorf("files: %w", err)
	}
	return m, nil
}

func idsJSON(ids []tack.ID) string {
	if ids == nil {
		ids = []tack.ID{}
	}
	b, _ := json.Marshal(ids)
	return string(b)
}

func (s circleStore) CreateMoment(ctx context.Context, m circle.Moment) error {
	aud, _ := json.Marshal(m.Audience)
	files, _ := json.Marshal(m.Files)
	if m.Files == nil {
		files = []byte("[]")
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO moments (id, author_id, org_id, text, audience, files, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.AuthorID, m.Audience.OrgID, m.Text, string(aud), string(files), micros(m.CreatedAt)); err != nil {
			return fmt.Errorf("insert moment: %w", err)
		}
		for _, f := range m.Files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO media_refs (file_id, conversation_id, seq) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`, f.ID, m.ID); err != nil {
				return fmt.Errorf("pin file: %w", err)
			}
		}
		return nil
	})
}

func (s circleStore) Moment(ctx context.Context, id tack.ID) (circle.Moment, error) {
	return scanMoment(s.db.rqueryRow(ctx, `SELECT `+momentCols+` FROM moments WHERE id = ?`, id))
}

func (s circleStore) Moments(ctx context.Context, q circle.Query) ([]circle.Moment, error) {
	before := q.Before
	if before == "" {
		before = "~" // above every ID
	}
	var since int64 = -1 << 62
	if !q.Since.IsZero() {
		since = micros(q.Since)
	}
	var rows *sql.Rows
	var err error
	if q.ByAuthorOnly {
		rows, err = s.db.rquery(ctx, `SELECT `+momentCols+` FROM moments
			WHERE author_id IN (SELECT value FROM json_each(?)) AND id < ? AND created_at >= ? ORDER BY id DESC LIMIT ?`,
			idsJSON(q.Authors), before, since, q.Limit)
	} else {
		// Fan-out on read, top-k per author (and per organisation's
		// circle): each friend's newest Limit moments below the cursor come
		// from the moments_author index, and only those are merged and
		// sorted. The cost follows friends × page size, not the history.
		since := ""
		if !q.Since.IsZero() {
			since = ` AND x.created_at >= ` + strconv.FormatInt(micros(q.Since), 10)
		}
		// First each source's newest ID: the Limit-th highest of them is a
		// floor under the page (at least Limit distinct moments lie at or
		// above it), so the second query reads only each source's moments
		// between the floor and the cursor, and only of the sources whose
		// newest lies there (about Limit of them, not every friend).
		floor, authors, orgs, err := s.timelineFloor(ctx, q, string(before), since)
		if err != nil {
			return nil, err
		}
		rows, err = s.db.rquery(ctx, `SELECT `+prefixed("m.", momentCols)+` FROM json_each(?) a JOIN moments m ON m.id IN (
				SELECT x.id FROM moments x WHERE x.author_id = a.value AND x.org_id = '' AND x.id < ? AND x.id >= ?`+since+` ORDER BY x.id DESC LIMIT ?)
			UNION ALL
			SELECT `+prefixed("m.", momentCols)+` FROM json_each(?) o JOIN moments m ON m.id IN (
				SELECT x.id FROM moments x WHERE x.org_id = o.value AND x.id < ? AND x.id >= ?`+since+` ORDER BY x.id DESC LIMIT ?)
			ORDER BY 1 DESC LIMIT ?`,
			idsJSON(authors), before, floor, q.Limit, idsJSON(orgs), before, floor, q.Limit, q.Limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circle.Moment{}
	for rows.Next() {
		m, err := scanMoment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// timelineFloor returns the Limit-th highest of the newest IDs below
// before of each author's (outside circles) and each organisation's
// circle's moments ("" when there are fewer sources with moments), and the
// authors and organisations whose newest lies at or above it: no other
// source has a moment between the floor and before.
func (s circleStore) timelineFloor(ctx context.Context, q circle.Query, before, since string) (floor string, authors, orgs []tack.ID, err error) {
	rows, err := s.db.rquery(ctx, `SELECT 0, a.value, (SELECT x.id FROM moments x WHERE x.author_id = a.value AND x.org_id = '' AND x.id < ?`+since+` ORDER BY x.id DESC LIMIT 1) FROM json_each(?) a
		UNION ALL SELECT 1, o.value, (SELECT x.id FROM moments x WHERE x.org_id = o.value AND x.id < ?`+since+` ORDER BY x.id DESC LIMIT 1) FROM json_each(?) o`,
		before, idsJSON(q.Authors), before, idsJSON(q.Orgs))
	if err != nil {
		return "", nil, nil, err
	}
	defer rows.Close()
	type top struct {
		org      bool
		src, top string
	}
	var tops []top
	for rows.Next() {
		var kind int
		var src string
		var id sql.NullString
		if err := rows.Scan(&kind, &src, &id); err != nil {
			return "", nil, nil, err
		}
		if id.Valid {
			tops = append(tops, top{kind == 1, src, id.String})
		}
	}
	if err := rows.Err(); err != nil {
		return "", nil, nil, err
	}
	if len(tops) >= q.Limit && q.Limit >= 1 {
		ids := make([]string, len(tops))
		for i, t := range tops {
			ids[i] = t.top
		}
		slices.Sort(ids)
		floor = ids[len(ids)-q.Limit]
	}
	authors, orgs = []tack.ID{}, []tack.ID{}
	for _, t := range tops {
		switch {
		case t.top < floor:
		case t.org:
			orgs = append(orgs, tack.ID(t.src))
		default:
			authors = append(authors, tack.ID(t.src))
		}
	}
	return floor, authors, orgs, nil
}

func (s circleStore) EditMoment(ctx context.Context, id tack.ID, text string, at time.Time) error {
	res, err := s.db.exec(ctx, `UPDATE moments SET text = ?, edited_at = ? WHERE id = ?`, text, micros(at), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s circleStore) DeleteMoment(ctx context.Context, id tack.ID) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM moment_likes WHERE moment_id = ?`, `DELETE FROM moment_comments WHERE moment_id = ?`,
			`DELETE FROM media_refs WHERE conversation_id = ? AND seq = 0`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM moments WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tack.ErrNotFound
		}
		return nil
	})
}

func (s circleStore) AddComment(ctx context.Context, c circle.Comment) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO moment_comments (id, moment_id, author_id, reply_to, text, created_at)
			SELECT ?, id, ?, ?, ?, ? FROM moments WHERE id = ?`, c.ID, c.AuthorID, c.ReplyTo, c.Text, micros(c.CreatedAt), c.MomentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tack.ErrNotFound
		}
		return nil
	})
}

const commentCols = `id, moment_id, author_id, reply_to, text, created_at`

func scanComment(sc rowScanner) (circle.Comment, error) {
	var c circle.Comment
	var at int64
	if err := sc.Scan(&c.ID, &c.MomentID, &c.AuthorID, &c.ReplyTo, &c.Text, &at); err != nil {
		return c, notFound(err)
	}
	c.CreatedAt = fromMicros(at)
	return c, nil
}

func (s circleStore) Comment(ctx context.Context, id tack.ID) (circle.Comment, error) {
	return scanComment(s.db.rqueryRow(ctx, `SELECT `+commentCols+` FROM moment_comments WHERE id = ?`, id))
}

func (s circleStore) DeleteComment(ctx context.Context, id tack.ID) error {
	res, err := s.db.exec(ctx, `DELETE FROM moment_comments WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s circleStore) CountComments(ctx context.Context, momentID tack.ID) (int, error) {
	var n int
	err := s.db.rqueryRow(ctx, `SELECT count(*) FROM moment_comments WHERE moment_id = ?`, momentID).Scan(&n)
	return n, err
}

func (s circleStore) Comments(ctx context.Context, momentIDs []tack.ID) ([]circle.Comment, error) {
	rows, err := s.db.rquery(ctx, `SELECT `+commentCols+` FROM moment_comments WHERE moment_id IN (SELECT value FROM json_each(?)) ORDER BY id`, idsJSON(momentIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circle.Comment{}
	for rows.Next() {
		c, err := scanComment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s circleStore) SetLike(ctx context.Context, l circle.Like, on bool) (bool, error) {
	changed := false
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM moments WHERE id = ?`, l.MomentID).Scan(&one); err != nil {
			return notFound(err)
		}
		var res sql.Result
		var err error
		if on {
			res, err = tx.ExecContext(ctx, `INSERT INTO moment_likes (moment_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				l.MomentID, l.UserID, micros(l.CreatedAt))
		} else {
			res, err = tx.ExecContext(ctx, `DELETE FROM moment_likes WHERE moment_id = ? AND user_id = ?`, l.MomentID, l.UserID)
		}
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		changed = n > 0
		return nil
	})
	return changed, err
}

func (s circleStore) Likes(ctx context.Context, momentIDs []tack.ID) ([]circle.Like, error) {
	rows, err := s.db.rquery(ctx, `SELECT moment_id, user_id, created_at FROM moment_likes
		WHERE moment_id IN (SELECT value FROM json_each(?)) ORDER BY created_at, user_id`, idsJSON(momentIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circle.Like{}
	for rows.Next() {
		var l circle.Like
		var at int64
		if err := rows.Scan(&l.MomentID, &l.UserID, &at); err != nil {
			return nil, err
		}
		l.CreatedAt = fromMicros(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

func (s circleStore) Settings(ctx context.Context, userID tack.ID) (circle.Settings, error) {
	set := circle.Settings{UserID: userID}
	var at int64
	err := s.db.rqueryRow(ctx, `SELECT visible_days, updated_at FROM circle_settings WHERE user_id = ?`, userID).Scan(&set.VisibleDays, &at)
	if err == sql.ErrNoRows {
		return set, nil
	} else if err != nil {
		return set, err
	}
	set.UpdatedAt = fromMicros(at)
	return set, nil
}

func (s circleStore) PutSettings(ctx context.Context, set circle.Settings) error {
	_, err := s.db.exec(ctx, `INSERT INTO circle_settings (user_id, visible_days, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET visible_days = excluded.visible_days, updated_at = excluded.updated_at`,
		set.UserID, set.VisibleDays, micros(set.UpdatedAt))
	return err
}

func scanTag(sc rowScanner) (circle.Tag, error) {
	var t circle.Tag
	var ids string
	var at int64
	if err := sc.Scan(&t.ID, &t.OwnerID, &t.Name, &ids, &at); err != nil {
		return t, notFound(err)
	}
	t.UpdatedAt = fromMicros(at)
	if err := json.Unmarshal([]byte(ids), &t.UserIDs); err != nil {
		return t, fmt.Errorf("tag members: %w", err)
	}
	return t, nil
}

const tagCols = `id, owner_id, name, user_ids, updated_at`

func (s circleStore) Tags(ctx context.Context, ownerID tack.ID) ([]circle.Tag, error) {
	rows, err := s.db.rquery(ctx, `SELECT `+tagCols+` FROM friend_tags WHERE owner_id = ? ORDER BY name, id`, ownerID)
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
	return scanTag(s.db.rqueryRow(ctx, `SELECT `+tagCols+` FROM friend_tags WHERE id = ?`, id))
}

func (s circleStore) PutTag(ctx context.Context, t circle.Tag) error {
	_, err := s.db.exec(ctx, `INSERT INTO friend_tags (id, owner_id, name, user_ids, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, user_ids = excluded.user_ids, updated_at = excluded.updated_at`,
		t.ID, t.OwnerID, t.Name, idsJSON(t.UserIDs), micros(t.UpdatedAt))
	if isUnique(err) {
		return tack.Errorf(tack.EConflict, "you have a tag of that name")
	}
	return err
}

func (s circleStore) DeleteTag(ctx context.Context, id tack.ID) error {
	res, err := s.db.exec(ctx, `DELETE FROM friend_tags WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

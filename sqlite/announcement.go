package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

// Announcements returns the announcements store.
func (db *DB) Announcements() circle.AnnouncementStore { return announcementStore{db} }

type announcementStore struct{ db *DB }

const annCols = `a.id, a.org_id, a.author_id, a.title, a.body, a.department_ids, a.files, a.pinned, a.must_read, a.publish_at, a.published, a.created_at`

func scanAnnouncement(sc rowScanner, extra ...any) (circle.Announcement, error) {
	var a circle.Announcement
	var depts, files string
	var pinned, must, published int
	var at, created int64
	dst := append([]any{&a.ID, &a.OrgID, &a.AuthorID, &a.Title, &a.Body, &depts, &files, &pinned, &must, &at, &published, &created}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return a, notFound(err)
	}
	a.Pinned, a.MustRead, a.Published = pinned != 0, must != 0, published != 0
	a.PublishAt, a.CreatedAt = fromMicros(at), fromMicros(created)
	if err := json.Unmarshal([]byte(depts), &a.DepartmentIDs); err != nil {
		return a, fmt.Errorf("departments: %w", err)
	}
	if err := json.Unmarshal([]byte(files), &a.Files); err != nil {
		return a, fmt.Errorf("files: %w", err)
	}
	return a, nil
}

func (s announcementStore) CreateAnnouncement(ctx context.Context, a circle.Announcement) error {
	depts, _ := json.Marshal(a.DepartmentIDs)
	files, _ := json.Marshal(a.Files)
	if a.DepartmentIDs == nil {
		depts = []byte("[]")
	}
	if a.Files == nil {
		files = []byte("[]")
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO announcements (id, org_id, author_id, title, body, department_ids, files, pinned, must_read, publish_at, published, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.OrgID, a.AuthorID, a.Title, a.Body, string(depts), string(files),
			b2i(a.Pinned), b2i(a.MustRead), micros(a.PublishAt), b2i(a.Published), micros(a.CreatedAt)); err != nil {
			return fmt.Errorf("insert announcement: %w", err)
		}
		for _, f := range a.Files {
			if _, err := tx.ExecContext(ctx, `INSERT INTO media_refs (file_id, conversation_id, seq) VALUES (?, ?, 0) ON CONFLICT DO NOTHING`, f.ID, a.ID); err != nil {
				return fmt.Errorf("pin file: %w", err)
			}
		}
		return nil
	})
}

func (s announcementStore) Announcement(ctx context.Context, id tack.ID) (circle.Announcement, error) {
	return scanAnnouncement(s.db.rqueryRow(ctx, `SELECT `+annCols+` FROM announcements a WHERE a.id = ?`, id))
}

func (s announcementStore) Announcements(ctx context.Context, orgID, userID tack.ID, all bool, limit int) ([]circle.Announcement, error) {
	q := `SELECT ` + annCols + `, r.read_at FROM announcements a
		JOIN announcement_recipients r ON r.announcement_id = a.id AND r.user_id = ?
		WHERE a.org_id = ? AND a.published = 1 ORDER BY a.pinned DESC, a.publish_at DESC, a.id DESC LIMIT ?`
	if all {
		q = `SELECT ` + annCols + `, r.read_at FROM announcements a
			LEFT JOIN announcement_recipients r ON r.announcement_id = a.id AND r.user_id = ?
			WHERE a.org_id = ? ORDER BY a.pinned DESC, a.publish_at DESC, a.id DESC LIMIT ?`
	}
	rows, err := s.db.rquery(ctx, q, userID, orgID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circle.Announcement{}
	for rows.Next() {
		var read sql.NullInt64
		a, err := scanAnnouncement(rows, &read)
		if err != nil {
			return nil, err
		}
		if read.Valid {
			t := fromMicros(read.Int64)
			a.ReadAt = &t
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s announcementStore) PublishAnnouncement(ctx context.Context, id tack.ID, recipients []tack.ID) (bool, error) {
	changed := false
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		changed = false
		res, err := tx.ExecContext(ctx, `UPDATE announcements SET published = 1 WHERE id = ? AND published = 0`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			return notFound(tx.QueryRowContext(ctx, `SELECT 1 FROM announcements WHERE id = ?`, id).Scan(&one))
		}
		for _, u := range recipients {
			if _, err := tx.ExecContext(ctx, `INSERT INTO announcement_recipients (announcement_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, u); err != nil {
				return err
			}
		}
		changed = true
		return nil
	})
	return changed, err
}

func (s announcementStore) SetPinned(ctx context.Context, id tack.ID, pinned bool) error {
	res, err := s.db.exec(ctx, `UPDATE announcements SET pinned = ? WHERE id = ?`, b2i(pinned), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s announcementStore) DeleteAnnouncement(ctx context.Context, id tack.ID) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM announcement_recipients WHERE announcement_id = ?`, `DELETE FROM media_refs WHERE conversation_id = ? AND seq = 0`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM announcements WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tack.ErrNotFound
		}
		return nil
	})
}

func (s announcementStore) MarkRead(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error) {
	res, err := s.db.exec(ctx, `UPDATE announcement_recipients SET read_at = ? WHERE announcement_id = ? AND user_id = ? AND read_at IS NULL`, micros(at), id, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s announcementStore) Receipts(ctx context.Context, id tack.ID) ([]circle.Receipt, error) {
	rows, err := s.db.rquery(ctx, `SELECT user_id, read_at, notified FROM announcement_recipients WHERE announcement_id = ? ORDER BY user_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circle.Receipt{}
	for rows.Next() {
		var r circle.Receipt
		var read sql.NullInt64
		var notified int
		if err := rows.Scan(&r.UserID, &read, &notified); err != nil {
			return nil, err
		}
		if read.Valid {
			t := fromMicros(read.Int64)
			r.ReadAt = &t
		}
		r.Notified = notified != 0
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s announcementStore) MarkNotified(ctx context.Context, id tack.ID, users []tack.ID) error {
	_, err := s.db.exec(ctx, `UPDATE announcement_recipients SET notified = 1 WHERE announcement_id = ? AND user_id IN (SELECT value FROM json_each(?))`, id, idsJSON(users))
	return err
}

package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

// Announcements returns the announcements store.
func (db *DB) Announcements() circle.AnnouncementStore { return announcementStore{db} }

type announcementStore struct{ db *DB }

const annCols = `a.id, a.org_id, a.author_id, a.title, a.body, a.department_ids, a.files, a.pinned, a.must_read, a.publish_at, a.published, a.created_at`

func scanAnnouncement(row pgx.Row, extra ...any) (circle.Announcement, error) {
	var a circle.Announcement
	var depts, files []byte
	dst := append([]any{&a.ID, &a.OrgID, &a.AuthorID, &a.Title, &a.Body, &depts, &files, &a.Pinned, &a.MustRead, &a.PublishAt, &a.Published, &a.CreatedAt}, extra...)
	if err := row.Scan(dst...); err != nil {
		return a, notFound(err)
	}
	a.PublishAt, a.CreatedAt = utc(a.PublishAt), utc(a.CreatedAt)
	if err := json.Unmarshal(depts, &a.DepartmentIDs); err != nil {
		return a, fmt.Errorf("departments: %w", err)
	}
	if err := json.Unmarshal(files, &a.Files); err != nil {
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
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO announcements (id, org_id, author_id, title, body, department_ids, files, pinned, must_read, publish_at, published, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, a.ID, a.OrgID, a.AuthorID, a.Title, a.Body, string(depts), string(files),
			a.Pinned, a.MustRead, a.PublishAt, a.Published, a.CreatedAt); err != nil {
			return fmt.Errorf("insert announcement: %w", err)
		}
		for _, f := range a.Files {
			if _, err := tx.Exec(ctx, `INSERT INTO media_refs (file_id, conversation_id, seq) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`, f.ID, a.ID); err != nil {
				return fmt.Errorf("pin file: %w", err)
			}
		}
		return nil
	})
}

func (s announcementStore) Announcement(ctx context.Context, id tack.ID) (circle.Announcement, error) {
	return scanAnnouncement(s.db.pool.QueryRow(ctx, `SELECT `+annCols+` FROM announcements a WHERE a.id = $1`, id))
}

func (s announcementStore) Announcements(ctx context.Context, orgID, userID tack.ID, all bool, limit int) ([]circle.Announcement, error) {
	q := `SELECT ` + annCols + `, r.read_at FROM announcements a
		JOIN announcement_recipients r ON r.announcement_id = a.id AND r.user_id = $1
		WHERE a.org_id = $2 AND a.published ORDER BY a.pinned DESC, a.publish_at DESC, a.id DESC LIMIT $3`
	if all {
		q = `SELECT ` + annCols + `, r.read_at FROM announcements a
			LEFT JOIN announcement_recipients r ON r.announcement_id = a.id AND r.user_id = $1
			WHERE a.org_id = $2 ORDER BY a.pinned DESC, a.publish_at DESC, a.id DESC LIMIT $3`
	}
	rows, err := s.db.pool.Query(ctx, q, userID, orgID, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.Announcement, error) {
		var read *time.Time
		a, err := scanAnnouncement(r, &read)
		if read != nil {
			t := utc(*read)
			a.ReadAt = &t
		}
		return a, err
	})
	if out == nil {
		out = []circle.Announcement{}
	}
	return out, err
}

func (s announcementStore) PublishAnnouncement(ctx context.Context, id tack.ID, recipients []tack.ID) (bool, error) {
	changed := false
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		changed = false
		tag, err := tx.Exec(ctx, `UPDATE announcements SET published = true WHERE id = $1 AND NOT published`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var one int
			return notFound(tx.QueryRow(ctx, `SELECT 1 FROM announcements WHERE id = $1`, id).Scan(&one))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO announcement_recipients (announcement_id, user_id) SELECT $1, u FROM unnest($2::text[]) AS u ON CONFLICT DO NOTHING`, id, ids(recipients)); err != nil {
			return err
		}
		changed = true
		return nil
	})
	return changed, err
}

func (s announcementStore) SetPinned(ctx context.Context, id tack.ID, pinned bool) error {
	tag, err := s.db.pool.Exec(ctx, `UPDATE announcements SET pinned = $1 WHERE id = $2`, pinned, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s announcementStore) DeleteAnnouncement(ctx context.Context, id tack.ID) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{`DELETE FROM announcement_recipients WHERE announcement_id = $1`, `DELETE FROM media_refs WHERE conversation_id = $1 AND seq = 0`} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM announcements WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return tack.ErrNotFound
		}
		return nil
	})
}

func (s announcementStore) MarkRead(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error) {
	tag, err := s.db.pool.Exec(ctx, `UPDATE announcement_recipients SET read_at = $1 WHERE announcement_id = $2 AND user_id = $3 AND read_at IS NULL`, at, id, userID)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

func (s announcementStore) Receipts(ctx context.Context, id tack.ID) ([]circle.Receipt, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT user_id, read_at, notified FROM announcement_recipients WHERE announcement_id = $1 ORDER BY user_id`, id)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.Receipt, error) {
		var x circle.Receipt
		err := r.Scan(&x.UserID, &x.ReadAt, &x.Notified)
		if x.ReadAt != nil {
			t := utc(*x.ReadAt)
			x.ReadAt = &t
		}
		return x, err
	})
	if out == nil {
		out = []circle.Receipt{}
	}
	return out, err
}

func (s announcementStore) MarkNotified(ctx context.Context, id tack.ID, users []tack.ID) error {
	_, err := s.db.pool.Exec(ctx, `UPDATE announcement_recipients SET notified = true WHERE announcement_id = $1 AND user_id = ANY($2)`, id, ids(users))
	return err
}

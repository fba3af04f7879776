package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/media"
)

// mediaStore is the media store of a DB.
type mediaStore struct{ db *DB }

// Media returns the media store.
func (db *DB) Media() media.Store { return mediaStore{db} }

// insertRefs records that message m carries its attachments.
func insertRefs(ctx context.Context, tx *sql.Tx, m chat.Message) error {
	for _, a := range m.Attachments {
		if _, err := tx.ExecContext(ctx, `INSERT INTO media_refs (file_id, conversation_id, seq) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			a.ID, m.ConversationID, m.Seq); err != nil {
			return fmt.Errorf("file reference: %w", err)
		}
	}
	return nil
}

const fileCols = `f.id, f.uploader_id, f.kind, f.name, f.size, f.mime, f.sha256, f.width, f.height, f.duration_ms, f.waveform, f.created_at, b.key, b.thumb_key`

func scanFile(sc interface{ Scan(...any) error }) (media.FileInfo, error) {
	var f media.FileInfo
	var wave sql.NullString
	var created int64
	if err := sc.Scan(&f.ID, &f.UploaderID, &f.Kind, &f.Name, &f.Size, &f.MIME, &f.SHA256, &f.Width, &f.Height, &f.DurationMS,
		&wave, &created, &f.BlobKey, &f.ThumbKey); err != nil {
		return f, notFound(err)
	}
	f.CreatedAt = fromMicros(created)
	f.Thumb = f.ThumbKey != ""
	if wave.Valid && wave.String != "" {
		if err := json.Unmarshal([]byte(wave.String), &f.Waveform); err != nil {
			return f, fmt.Errorf("waveform: %w", err)
		}
	}
	return f, nil
}

func (st mediaStore) CreateFile(ctx context.Context, f media.FileInfo, b media.Blob) (media.FileInfo, error) {
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE media_blobs SET refs = refs + 1 WHERE sha256 = ? RETURNING key, thumb_key`, f.SHA256).
			Scan(&f.BlobKey, &f.ThumbKey)
		if errors.Is(err, sql.ErrNoRows) {
			if b.Key == "" {
				return tack.ErrNotFound
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO media_blobs (sha256, key, thumb_key, size, refs) VALUES (?, ?, ?, ?, 1)`,
				b.SHA256, b.Key, b.ThumbKey, b.Size); err != nil {
				return fmt.Errorf("insert blob: %w", err)
			}
			f.BlobKey, f.ThumbKey = b.Key, b.ThumbKey
		} else if err != nil {
			return fmt.Errorf("count blob: %w", err)
		}
		f.Thumb = f.ThumbKey != ""
		_, err = tx.ExecContext(ctx, `INSERT INTO media_files (id, uploader_id, kind, name, size, mime, sha256, width, height, duration_ms, waveform, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, f.UploaderID, f.Kind, f.Name, f.Size, f.MIME, f.SHA256, f.Width, f.Height,
			f.DurationMS, nullJSON(f.Waveform, len(f.Waveform) == 0), micros(f.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert file: %w", err)
		}
		return nil
	})
	if err != nil {
		return media.FileInfo{}, err
	}
	f.CreatedAt = f.CreatedAt.UTC()
	return f, nil
}

func (st mediaStore) File(ctx context.Context, id tack.ID) (media.FileInfo, error) {
	return scanFile(st.db.rqueryRow(ctx, `SELECT `+fileCols+` FROM media_files f JOIN media_blobs b ON b.sha256 = f.sha256 WHERE f.id = ?`, id))
}

func (st mediaStore) Files(ctx context.Context, ids []tack.ID) ([]media.FileInfo, error) {
	out := []media.FileInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := st.db.rquery(ctx, `SELECT `+fileCols+` FROM media_files f JOIN media_blobs b ON b.sha256 = f.sha256
		WHERE f.id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

func (st mediaStore) Reachable(ctx context.Context, fileID, userID tack.ID) (bool, error) {
	var one int
	err := st.db.rqueryRow(ctx, `SELECT 1 FROM media_refs r JOIN members m ON m.conversation_id = r.conversation_id AND m.user_id = ?
		JOIN messages x ON x.conversation_id = r.conversation_id AND x.seq = r.seq
		WHERE r.file_id = ? AND (x.burn_after_s = 0 OR x.revealed_at IS NOT NULL OR x.sender_id = m.user_id) LIMIT 1`, userID, fileID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (st mediaStore) InSecret(ctx context.Context, fileID tack.ID) (bool, error) {
	var one int
	err := st.db.rqueryRow(ctx, `SELECT 1 FROM media_refs r JOIN messages x ON x.conversation_id = r.conversation_id AND x.seq = r.seq
		WHERE r.file_id = ? AND x.burn_after_s > 0 LIMIT 1`, fileID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (st mediaStore) Unreferenced(ctx context.Context, before time.Time, limit int) ([]tack.ID, error) {
	rows, err := st.db.rquery(ctx, `SELECT f.id FROM media_files f WHERE f.created_at < ?
		AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.file_id = f.id)
		AND NOT EXISTS (SELECT 1 FROM approval_files a WHERE a.file_id = f.id) ORDER BY f.created_at LIMIT ?`, micros(before), limit)
	if err != nil {
		return nil, err
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

func (st mediaStore) DeleteFiles(ctx context.Context, ids []tack.ID, before time.Time) (int, error) {
	n := 0
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, id := range ids {
			var sum string
			err := tx.QueryRowContext(ctx, `DELETE FROM media_files WHERE id = ? AND created_at < ?
				AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.file_id = media_files.id)
				AND NOT EXISTS (SELECT 1 FROM approval_files a WHERE a.file_id = media_files.id) RETURNING sha256`, id, micros(before)).Scan(&sum)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			} else if err != nil {
				return fmt.Errorf("delete file: %w", err)
			}
			n++
			if err := dropBlobRef(ctx, tx, sum); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// dropBlobRef counts one use less of the blob of sum, and moves a blob
// left with none (and its thumbnail) to the trash.
func dropBlobRef(ctx context.Context, tx *sql.Tx, sum string) error {
	var key, thumb string
	err := tx.QueryRowContext(ctx, `DELETE FROM media_blobs WHERE sha256 = ? AND refs <= 1 RETURNING key, thumb_key`, sum).Scan(&key, &thumb)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := tx.ExecContext(ctx, `UPDATE media_blobs SET refs = refs - 1 WHERE sha256 = ?`, sum); err != nil {
			return fmt.Errorf("count blob: %w", err)
		}
		return nil
	} else if err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	for _, k := range []string{key, thumb} {
		if k != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO media_trash (key) VALUES (?) ON CONFLICT DO NOTHING`, k); err != nil {
				return fmt.Errorf("trash blob: %w", err)
			}
		}
	}
	return nil
}

// burnFiles erases what a burning secret message holds of its files: its
// file references and played marks; each file no other message carries
// (its row, so not even its uploader keeps it); and each blob no file uses
// any more, which goes to the trash for media.Service.EmptyTrash to delete
// its objects (content and thumbnail).
func burnFiles(ctx context.Context, tx *sql.Tx, convID tack.ID, seq int64) error {
	rows, err := tx.QueryContext(ctx, `DELETE FROM media_refs WHERE conversation_id = ? AND seq = ? RETURNING file_id`, convID, seq)
	if err != nil {
		return fmt.Errorf("burn file references: %w", err)
	}
	var ids []tack.ID
	for rows.Next() {
		var id tack.ID
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM media_played WHERE conversation_id = ? AND seq = ?`, convID, seq); err != nil {
		return fmt.Errorf("burn played: %w", err)
	}
	for _, id := range ids {
		var sum string
		err := tx.QueryRowContext(ctx, `DELETE FROM media_files WHERE id = ?
			AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.file_id = media_files.id)
			AND NOT EXISTS (SELECT 1 FROM approval_files a WHERE a.file_id = media_files.id) RETURNING sha256`, id).Scan(&sum)
		if errors.Is(err, sql.ErrNoRows) {
			continue // another message carries it, or an approval request
		} else if err != nil {
			return fmt.Errorf("burn file: %w", err)
		}
		if err := dropBlobRef(ctx, tx, sum); err != nil {
			return err
		}
	}
	return nil
}

func (st mediaStore) Trash(ctx context.Context, limit int) ([]string, error) {
	rows, err := st.db.rquery(ctx, `SELECT key FROM media_trash ORDER BY key LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (st mediaStore) Untrash(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	n := 0
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		n = 0
		for _, k := range keys {
			res, err := tx.ExecContext(ctx, `DELETE FROM media_trash WHERE key = ?`, k)
			if err != nil {
				return fmt.Errorf("untrash: %w", err)
			}
			d, _ := res.RowsAffected()
			n += int(d)
		}
		return nil
	})
	return n, err
}

func (st mediaStore) SetPlayed(ctx context.Context, convID tack.ID, seq int64, userID tack.ID, at time.Time) error {
	var found bool
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM media_refs r JOIN media_files f ON f.id = r.file_id
			WHERE r.conversation_id = ? AND r.seq = ? AND f.kind = 'voice' LIMIT 1`, convID, seq).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		found = true
		_, err = tx.ExecContext(ctx, `INSERT INTO media_played (conversation_id, user_id, seq, played_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, convID, userID, seq, micros(at))
		return err
	})
	if err == nil && !found {
		return tack.ErrNotFound
	}
	return err
}

func (st mediaStore) Played(ctx context.Context, convID, userID tack.ID) ([]int64, error) {
	rows, err := st.db.rquery(ctx, `SELECT seq FROM media_played WHERE conversation_id = ? AND user_id = ? ORDER BY seq`, convID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func (st mediaStore) IsMember(ctx context.Context, convID, userID tack.ID) (bool, error) {
	var one int
	err := st.db.rqueryRow(ctx, `SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ?`, convID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (st mediaStore) SigningKey(ctx context.Context, fresh []byte) ([]byte, error) {
	var key []byte
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO media_keys (name, key) VALUES ('url', ?) ON CONFLICT DO NOTHING`, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT key FROM media_keys WHERE name = 'url'`).Scan(&key)
	})
	return key, err
}

func (st mediaStore) Lease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	var got bool
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO media_leases (name, holder, until) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE media_leases.until < ? OR media_leases.holder = excluded.holder`, name, holder, micros(until), micros(now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		got = n == 1
		return nil
	})
	return got, err
}

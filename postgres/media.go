package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/media"
)

// mediaStore is the media store of a DB.
type mediaStore struct{ db *DB }

// Media returns the media store.
func (db *DB) Media() media.Store { return mediaStore{db} }

const fileCols = `f.id, f.uploader_id, f.kind, f.name, f.size, f.mime, f.sha256, f.width, f.height, f.duration_ms, f.waveform, f.created_at, b.key, b.thumb_key`

func scanFile(row pgx.Row) (media.FileInfo, error) {
	var f media.FileInfo
	var wave []byte
	if err := row.Scan(&f.ID, &f.UploaderID, &f.Kind, &f.Name, &f.Size, &f.MIME, &f.SHA256, &f.Width, &f.Height, &f.DurationMS,
		&wave, &f.CreatedAt, &f.BlobKey, &f.ThumbKey); err != nil {
		return f, notFound(err)
	}
	f.CreatedAt = utc(f.CreatedAt)
	f.Thumb = f.ThumbKey != ""
	if len(wave) > 0 {
		if err := json.Unmarshal(wave, &f.Waveform); err != nil {
			return f, fmt.Errorf("waveform: %w", err)
		}
	}
	return f, nil
}

func (st mediaStore) CreateFile(ctx context.Context, f media.FileInfo, b media.Blob) (media.FileInfo, error) {
	f.CreatedAt = f.CreatedAt.UTC().Truncate(time.Microsecond)
	in := f
	err := st.db.tx(ctx, func(tx pgx.Tx) error {
		f = in
		err := tx.QueryRow(ctx, `UPDATE media_blobs SET refs = refs + 1 WHERE sha256 = $1 RETURNING key, thumb_key`, f.SHA256).
			Scan(&f.BlobKey, &f.ThumbKey)
		if errors.Is(err, pgx.ErrNoRows) {
			if b.Key == "" {
				return tack.ErrNotFound
			}
			// A concurrent upload of the same content may insert first: then count on its blob.
			err = tx.QueryRow(ctx, `INSERT INTO media_blobs (sha256, key, thumb_key, size, refs) VALUES ($1, $2, $3, $4, 1)
				ON CONFLICT (sha256) DO UPDATE SET refs = media_blobs.refs + 1 RETURNING key, thumb_key`,
				b.SHA256, b.Key, b.ThumbKey, b.Size).Scan(&f.BlobKey, &f.ThumbKey)
		}
		if err != nil {
			return fmt.Errorf("blob: %w", err)
		}
		f.Thumb = f.ThumbKey != ""
		_, err = tx.Exec(ctx, `INSERT INTO media_files (id, uploader_id, kind, name, size, mime, sha256, width, height, duration_ms, waveform, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, f.ID, f.UploaderID, f.Kind, f.Name, f.Size, f.MIME, f.SHA256,
			f.Width, f.Height, f.DurationMS, jsonOrNull(f.Waveform, len(f.Waveform) == 0), f.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert file: %w", err)
		}
		return nil
	})
	if err != nil {
		return media.FileInfo{}, err
	}
	return f, nil
}

func (st mediaStore) File(ctx context.Context, id tack.ID) (media.FileInfo, error) {
	return scanFile(st.db.pool.QueryRow(ctx, `SELECT `+fileCols+` FROM media_files f JOIN media_blobs b ON b.sha256 = f.sha256 WHERE f.id = $1`, id))
}

func (st mediaStore) Files(ctx context.Context, ids []tack.ID) ([]media.FileInfo, error) {
	out := []media.FileInfo{}
	if len(ids) == 0 {
		return out, nil
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	rows, err := st.db.pool.Query(ctx, `SELECT `+fileCols+` FROM media_files f JOIN media_blobs b ON b.sha256 = f.sha256 WHERE f.id = ANY($1)`, s)
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
	var ok bool
	err := st.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM media_refs r JOIN members m ON m.conversation_id = r.conversation_id AND m.user_id = $1
		JOIN messages x ON x.conversation_id = r.conversation_id AND x.seq = r.seq
		WHERE r.file_id = $2 AND (x.burn_after_s = 0 OR x.revealed_at IS NOT NULL OR x.sender_id = m.user_id))`, userID, fileID).Scan(&ok)
	return ok, err
}

func (st mediaStore) InSecret(ctx context.Context, fileID tack.ID) (bool, error) {
	var ok bool
	err := st.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM media_refs r JOIN messages x ON x.conversation_id = r.conversation_id AND x.seq = r.seq
		WHERE r.file_id = $1 AND x.burn_after_s > 0)`, fileID).Scan(&ok)
	return ok, err
}

func (st mediaStore) Unreferenced(ctx context.Context, before time.Time, limit int) ([]tack.ID, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT f.id FROM media_files f WHERE f.created_at < $1
		AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.file_id = f.id)
		AND NOT EXISTS (SELECT 1 FROM approval_files a WHERE a.file_id = f.id) ORDER BY f.created_at LIMIT $2`, before, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[tack.ID])
}

func (st mediaStore) DeleteFiles(ctx context.Context, ids []tack.ID, before time.Time) (int, error) {
	n := 0
	err := st.db.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		for _, id := range ids {
			var sum string
			err := tx.QueryRow(ctx, `DELETE FROM media_files f WHERE id = $1 AND created_at < $2
				AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.file_id = f.id)
		AND NOT EXISTS (SELECT 1 FROM approval_files a WHERE a.file_id = f.id) RETURNING sha256`, id, before).Scan(&sum)
			if errors.Is(err, pgx.ErrNoRows) {
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
func dropBlobRef(ctx context.Context, tx pgx.Tx, sum string) error {
	var key, thumb string
	var refs int
	if err := tx.QueryRow(ctx, `UPDATE media_blobs SET refs = refs - 1 WHERE sha256 = $1 RETURNING refs, key, thumb_key`, sum).
		Scan(&refs, &key, &thumb); err != nil {
		return fmt.Errorf("count blob: %w", err)
	}
	if refs > 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM media_blobs WHERE sha256 = $1`, sum); err != nil {
		return fmt.Errorf("delete blob: %w", err)
	}
	for _, k := range []string{key, thumb} {
		if k != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO media_trash (key) VALUES ($1) ON CONFLICT DO NOTHING`, k); err != nil {
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
func burnFiles(ctx context.Context, tx pgx.Tx, convID tack.ID, seq int64) error {
	rows, err := tx.Query(ctx, `DELETE FROM media_refs WHERE conversation_id = $1 AND seq = $2 RETURNING file_id`, convID, seq)
	if err != nil {
		return fmt.Errorf("burn file references: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[tack.ID])
	if err != nil {
		return fmt.Errorf("burn file references: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM media_played WHERE conversation_id = $1 AND seq = $2`, convID, seq); err != nil {
		return fmt.Errorf("burn played: %w", err)
	}
	for _, id := range ids {
		var sum string
		err := tx.QueryRow(ctx, `DELETE FROM media_files f WHERE id = $1
			AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.file_id = f.id)
			AND NOT EXISTS (SELECT 1 FROM approval_files a WHERE a.file_id = f.id) RETURNING sha256`, id).Scan(&sum)
		if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := st.db.pool.Query(ctx, `SELECT key FROM media_trash ORDER BY key LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (st mediaStore) Untrash(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	tag, err := st.db.pool.Exec(ctx, `DELETE FROM media_trash WHERE key = ANY($1)`, keys)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

func (st mediaStore) SetPlayed(ctx context.Context, convID tack.ID, seq int64, userID tack.ID, at time.Time) error {
	var found bool
	err := st.db.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM media_refs r JOIN media_files f ON f.id = r.file_id
			WHERE r.conversation_id = $1 AND r.seq = $2 AND f.kind = 'voice')`, convID, seq).Scan(&found); err != nil || !found {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO media_played (conversation_id, user_id, seq, played_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT DO NOTHING`, convID, userID, seq, at)
		return err
	})
	if err == nil && !found {
		return tack.ErrNotFound
	}
	return err
}

func (st mediaStore) Played(ctx context.Context, convID, userID tack.ID) ([]int64, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT seq FROM media_played WHERE conversation_id = $1 AND user_id = $2 ORDER BY seq`, convID, userID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if out == nil && err == nil {
		out = []int64{}
	}
	return out, err
}

func (st mediaStore) IsMember(ctx context.Context, convID, userID tack.ID) (bool, error) {
	var ok bool
	err := st.db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2)`, convID, userID).Scan(&ok)
	return ok, err
}

func (st mediaStore) SigningKey(ctx context.Context, fresh []byte) ([]byte, error) {
	if _, err := st.db.pool.Exec(ctx, `INSERT INTO media_keys (name, key) VALUES ('url', $1) ON CONFLICT DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	var key []byte
	err := st.db.pool.QueryRow(ctx, `SELECT key FROM media_keys WHERE name = 'url'`).Scan(&key)
	return key, err
}

func (st mediaStore) Lease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	tag, err := st.db.pool.Exec(ctx, `INSERT INTO media_leases (name, holder, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE media_leases.until < $4 OR media_leases.holder = excluded.holder`, name, holder, until, now)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

package sqlite

import (
	"context"
	"fmt"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// UserPrivacy returns the settings of those of userIDs that have any.
func (db *DB) UserPrivacy(ctx context.Context, userIDs []tack.ID) (map[tack.ID]org.UserPrivacy, error) {
	out := make(map[tack.ID]org.UserPrivacy, len(userIDs))
	for rest := userIDs; len(rest) > 0; {
		n := min(len(rest), 400)
		rows, err := db.r.QueryContext(ctx, `SELECT user_id, add_to_groups, show_online, updated_at FROM user_privacy
			WHERE user_id IN (`+placeholders(n)+`)`, anyArgs(rest[:n])...)
		if err != nil {
			return nil, fmt.Errorf("user privacy: %w", err)
		}
		for rows.Next() {
			var p org.UserPrivacy
			var at int64
			if err := rows.Scan(&p.UserID, &p.AddToGroups, &p.ShowOnline, &at); err != nil {
				rows.Close()
				return nil, fmt.Errorf("user privacy: %w", err)
			}
			p.UpdatedAt = fromMicros(at)
			out[p.UserID] = p
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("user privacy: %w", err)
		}
		rows.Close()
		rest = rest[n:]
	}
	return out, nil
}

// SetUserPrivacy stores p's non-empty fields, keeping the others.
func (db *DB) SetUserPrivacy(ctx context.Context, p org.UserPrivacy) error {
	_, err := db.exec(ctx, `INSERT INTO user_privacy (user_id, add_to_groups, show_online, updated_at)
		VALUES (?, COALESCE(NULLIF(?, ''), 'everyone'), COALESCE(NULLIF(?, ''), 'everyone'), ?)
		ON CONFLICT (user_id) DO UPDATE SET
			add_to_groups = CASE WHEN ? = '' THEN user_privacy.add_to_groups ELSE excluded.add_to_groups END,
			show_online = CASE WHEN ? = '' THEN user_privacy.show_online ELSE excluded.show_online END,
			updated_at = excluded.updated_at`,
		p.UserID, p.AddToGroups, p.ShowOnline, micros(p.UpdatedAt), p.AddToGroups, p.ShowOnline)
	if err != nil {
		return fmt.Errorf("set user privacy: %w", err)
	}
	return nil
}

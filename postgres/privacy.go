package postgres

import (
	"context"
	"fmt"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// UserPrivacy returns the settings of those of userIDs that have any.
func (db *DB) UserPrivacy(ctx context.Context, userIDs []tack.ID) (map[tack.ID]org.UserPrivacy, error) {
	out := make(map[tack.ID]org.UserPrivacy, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT user_id, add_to_groups, show_online, updated_at FROM user_privacy
		WHERE user_id = ANY($1)`, ids(userIDs))
	if err != nil {
		return nil, fmt.Errorf("user privacy: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p org.UserPrivacy
		if err := rows.Scan(&p.UserID, &p.AddToGroups, &p.ShowOnline, &p.UpdatedAt); err != nil {
			return nil, fmt.Errorf("user privacy: %w", err)
		}
		p.UpdatedAt = utc(p.UpdatedAt)
		out[p.UserID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("user privacy: %w", err)
	}
	return out, nil
}

// SetUserPrivacy stores p's non-empty fields, keeping the others.
func (db *DB) SetUserPrivacy(ctx context.Context, p org.UserPrivacy) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO user_privacy (user_id, add_to_groups, show_online, updated_at)
		VALUES ($1, COALESCE(NULLIF($2, ''), 'everyone'), COALESCE(NULLIF($3, ''), 'everyone'), $4)
		ON CONFLICT (user_id) DO UPDATE SET
			add_to_groups = CASE WHEN $2 = '' THEN user_privacy.add_to_groups ELSE excluded.add_to_groups END,
			show_online = CASE WHEN $3 = '' THEN user_privacy.show_online ELSE excluded.show_online END,
			updated_at = excluded.updated_at`,
		p.UserID, p.AddToGroups, p.ShowOnline, p.UpdatedAt)
	if err != nil {
		return fmt.Errorf("set user privacy: %w", err)
	}
	return nil
}

-- +goose Up
-- Issue 19: friend tags (package circle). Each person's own tags over
-- their friends; a moment's audience may name tags, which stand for the
-- friends they hold when the moment is posted.
CREATE TABLE friend_tags (
    id         TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL,
    user_ids   TEXT NOT NULL, -- JSON [] of friends' user IDs
    updated_at INTEGER NOT NULL,
    UNIQUE (owner_id, name)
);

-- +goose Down
DROP TABLE friend_tags;

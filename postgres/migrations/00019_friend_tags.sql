-- +goose Up
-- Issue 19: friend tags (package circle). Each person's own tags over
-- their friends; a moment's audience may name tags, which stand for the
-- friends they hold when the moment is posted.
CREATE TABLE friend_tags (
    id         text PRIMARY KEY,
    owner_id   text NOT NULL REFERENCES users (id),
    name       text NOT NULL,
    user_ids   jsonb NOT NULL, -- JSON [] of friends' user IDs
    updated_at timestamptz NOT NULL,
    UNIQUE (owner_id, name)
);

-- +goose Down
DROP TABLE friend_tags;

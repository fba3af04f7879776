-- +goose Up
-- A user's own privacy settings (package org, privacy.go). A user with no
-- row has the defaults.
CREATE TABLE user_privacy (
    user_id       TEXT PRIMARY KEY REFERENCES users (id),
    add_to_groups TEXT NOT NULL, -- everyone, colleagues_and_friends, nobody
    show_online   TEXT NOT NULL, -- everyone, nobody
    updated_at    INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE user_privacy;

-- A user's own privacy settings: the schema of
-- sqlite/migrations/00006_user_privacy.sql in PostgreSQL types.

-- +goose Up
CREATE TABLE user_privacy (
    user_id       text PRIMARY KEY REFERENCES users (id),
    add_to_groups text NOT NULL,
    show_online   text NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- +goose Down
DROP TABLE user_privacy;

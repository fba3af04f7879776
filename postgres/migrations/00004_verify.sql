-- The schema of sqlite/migrations/00004_verify.sql in PostgreSQL types.

-- +goose Up
ALTER TABLE users ADD COLUMN verified_at timestamptz; -- NULL until verified

CREATE TABLE login_verifications (
    user_id    text PRIMARY KEY REFERENCES users (id),
    channel    text NOT NULL,
    login      text NOT NULL,
    code_hash  bytea NOT NULL, -- SHA-256 of the user, login and code
    attempts   integer NOT NULL DEFAULT 0,
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE known_devices (
    token_hash   bytea PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id, last_used_at);

-- +goose Down
DROP TABLE known_devices;
DROP TABLE login_verifications;
ALTER TABLE users DROP COLUMN verified_at;

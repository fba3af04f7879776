-- The schema of sqlite/migrations/00017_hardening.sql in PostgreSQL types.

-- +goose Up
CREATE TABLE password_resets (
    user_id      text PRIMARY KEY REFERENCES users (id),
    token_hash   bytea NOT NULL UNIQUE,
    login        text NOT NULL,
    requested_by text NOT NULL,
    expires_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE second_factors (
    user_id    text PRIMARY KEY REFERENCES users (id),
    secret     text NOT NULL,
    enabled_at timestamptz, -- NULL while being set up
    last_step  bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);

CREATE TABLE recovery_codes (
    user_id   text NOT NULL REFERENCES users (id),
    code_hash bytea NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

ALTER TABLE orgs ADD COLUMN require_admin_2fa boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE orgs DROP COLUMN require_admin_2fa;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
DROP TABLE password_resets;

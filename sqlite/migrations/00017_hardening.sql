-- +goose Up
-- Password resets (package account, reset.go): one pending per user, the
-- token kept as its SHA-256.
CREATE TABLE password_resets (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    token_hash   BLOB NOT NULL UNIQUE,
    login        TEXT NOT NULL, -- where the link went
    requested_by TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Two-factor sign-in (package account, totp.go): a TOTP secret, enabled
-- once a code from it was confirmed; the last time step accepted (a code
-- works once); recovery codes as SHA-256, deleted when used.
CREATE TABLE second_factors (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    secret     TEXT NOT NULL,
    enabled_at INTEGER NOT NULL DEFAULT 0, -- 0 while being set up
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE recovery_codes (
    user_id   TEXT NOT NULL REFERENCES users (id),
    code_hash BLOB NOT NULL,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- An organisation may require its owner and admins to sign in with a
-- second factor.
ALTER TABLE orgs ADD COLUMN require_admin_2fa INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE orgs DROP COLUMN require_admin_2fa;
DROP TABLE recovery_codes;
DROP TABLE second_factors;
DROP TABLE password_resets;

-- +goose Up
-- Proof that a person owns their login (package account): when it was
-- verified, the code waiting to be confirmed, and the devices a person has
-- signed in on before.
ALTER TABLE users ADD COLUMN verified_at INTEGER; -- NULL until verified

CREATE TABLE login_verifications (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    channel    TEXT NOT NULL,
    login      TEXT NOT NULL,
    code_hash  BLOB NOT NULL, -- SHA-256 of the user, login and code
    attempts   INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE known_devices (
    token_hash   BLOB PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id, last_used_at);

-- +goose Down
DROP TABLE known_devices;
DROP TABLE login_verifications;
ALTER TABLE users DROP COLUMN verified_at;

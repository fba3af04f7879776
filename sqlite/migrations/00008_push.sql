-- +goose Up
-- Web Push: the deployment's VAPID key pair (one row), browsers'
-- subscriptions (one per signed-in session, gone with the session), each
-- person's push settings; and the ACME certificate cache of --domain.
CREATE TABLE push_vapid (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    public_key  TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE push_subscriptions (
    endpoint   TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    session_id TEXT NOT NULL UNIQUE REFERENCES sessions (id) ON DELETE CASCADE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    expires_at INTEGER NOT NULL DEFAULT 0, -- Unix microseconds; 0: none
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

CREATE TABLE push_settings (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    previews   INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);

CREATE TABLE acme_cache (
    key        TEXT PRIMARY KEY,
    data       BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE acme_cache;
DROP TABLE push_settings;
DROP TABLE push_subscriptions;
DROP TABLE push_vapid;

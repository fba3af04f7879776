-- +goose Up
-- Web Push: the deployment's VAPID key pair (one row, shared by every
-- node), browsers' subscriptions (one per signed-in session, gone with the
-- session), each person's push settings; and the ACME certificate cache of
-- --domain, shared by every node.
CREATE TABLE push_vapid (
    id          integer PRIMARY KEY CHECK (id = 1),
    public_key  text NOT NULL,
    private_key text NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE push_subscriptions (
    endpoint   text PRIMARY KEY,
    user_id    text NOT NULL REFERENCES users (id),
    session_id text NOT NULL UNIQUE REFERENCES sessions (id) ON DELETE CASCADE,
    p256dh     text NOT NULL,
    auth       text NOT NULL,
    expires_at timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

CREATE TABLE push_settings (
    user_id    text PRIMARY KEY REFERENCES users (id),
    previews   boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL
);

CREATE TABLE acme_cache (
    key        text PRIMARY KEY,
    data       bytea NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE acme_cache;
DROP TABLE push_settings;
DROP TABLE push_subscriptions;
DROP TABLE push_vapid;

-- +goose Up
-- The open platform (package platform): robots of groups, apps of
-- organisations with their access tokens and audit log, the durable queue
-- of event deliveries, and the modules organisations switched off.
-- Robots and apps are JSON bodies with the columns they are looked up by.
-- Times are microseconds since 1970 (UTC).
CREATE TABLE platform_robots (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    created_at      BIGINT NOT NULL,
    body            TEXT NOT NULL -- JSON platform.Robot, secrets included
);
CREATE INDEX platform_robots_conv ON platform_robots (conversation_id, created_at);

CREATE TABLE platform_apps (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    client_id  TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    body       TEXT NOT NULL -- JSON platform.App, secrets included
);
CREATE INDEX platform_apps_org ON platform_apps (org_id, created_at);

CREATE TABLE platform_tokens (
    hash       TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    scopes     TEXT NOT NULL, -- JSON array
    expires_at BIGINT NOT NULL
);
CREATE INDEX platform_tokens_app ON platform_tokens (app_id);
CREATE INDEX platform_tokens_expiry ON platform_tokens (expires_at);

CREATE TABLE platform_calls (
    app_id TEXT NOT NULL,
    at     BIGINT NOT NULL,
    method TEXT NOT NULL,
    path   TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE INDEX platform_calls_app ON platform_calls (app_id, at);

CREATE TABLE platform_deliveries (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    event       TEXT NOT NULL,
    key         TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL, -- pending, delivered, dead
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    done_at     BIGINT,
    lease_owner TEXT NOT NULL DEFAULT '',
    stream      INTEGER NOT NULL DEFAULT 0, -- 1: for the app's event stream, not a callback URL
    lease_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX platform_deliveries_due ON platform_deliveries (stream, next_at) WHERE state = 'pending';
CREATE INDEX platform_deliveries_key ON platform_deliveries (app_id, key, created_at, id) WHERE state = 'pending';
CREATE INDEX platform_deliveries_app ON platform_deliveries (app_id, id);

CREATE TABLE platform_modules_off (
    org_id TEXT NOT NULL,
    module TEXT NOT NULL,
    PRIMARY KEY (org_id, module)
);

-- +goose Down
DROP TABLE platform_modules_off;
DROP TABLE platform_deliveries;
DROP TABLE platform_calls;
DROP TABLE platform_tokens;
DROP TABLE platform_apps;
DROP TABLE platform_robots;

-- +goose Up
-- Issue 16: the durable deadline queue (package deadline), secret chats'
-- burn-after-reading columns on messages, DINGs with their recipients, and
-- the organisations' and people's settings for DINGs, quiet hours and read
-- receipts (JSON, read by package ding). Mirrors sqlite's 00013.

-- A deadline fires once: claimed under a lease by one node (FOR UPDATE
-- SKIP LOCKED, then claim and lease_until), deleted when its handler is
-- done. (kind, key) is unique: scheduling again moves it.
CREATE TABLE deadlines (
    kind        text NOT NULL,
    key         text NOT NULL,
    due         timestamptz NOT NULL,
    data        bytea,
    attempts    integer NOT NULL DEFAULT 0,
    claim       text NOT NULL DEFAULT '',
    lease_until timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (kind, key)
);
CREATE INDEX deadlines_due ON deadlines (due);

ALTER TABLE messages ADD COLUMN burn_after_s integer NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN burns_at timestamptz;
ALTER TABLE messages ADD COLUMN revealed_at timestamptz;
ALTER TABLE messages ADD COLUMN burned boolean NOT NULL DEFAULT false;
CREATE INDEX messages_burns ON messages (burns_at) WHERE burns_at IS NOT NULL AND NOT burned;

CREATE TABLE dings (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    sender_id   text NOT NULL REFERENCES users (id),
    text        text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    channels    jsonb NOT NULL,
    emergency   boolean NOT NULL DEFAULT false,
    quiet       boolean NOT NULL DEFAULT false,
    escalate_s  integer NOT NULL DEFAULT 0,
    send_at     timestamptz NOT NULL,
    sent        boolean NOT NULL DEFAULT false,
    level       integer NOT NULL DEFAULT 0,
    reminded_at timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX dings_sender ON dings (org_id, sender_id, created_at);

CREATE TABLE ding_recipients (
    ding_id      text NOT NULL REFERENCES dings (id),
    user_id      text NOT NULL REFERENCES users (id),
    quiet        boolean NOT NULL DEFAULT false,
    confirmed_at timestamptz,
    PRIMARY KEY (ding_id, user_id)
);
CREATE INDEX ding_recipients_user ON ding_recipients (user_id, ding_id);

CREATE TABLE ding_org_settings (
    org_id     text PRIMARY KEY,
    data       jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE ding_user_settings (
    user_id    text PRIMARY KEY REFERENCES users (id),
    data       jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE ding_user_settings;
DROP TABLE ding_org_settings;
DROP TABLE ding_recipients;
DROP TABLE dings;
DROP INDEX messages_burns;
ALTER TABLE messages DROP COLUMN burned;
ALTER TABLE messages DROP COLUMN revealed_at;
ALTER TABLE messages DROP COLUMN burns_at;
ALTER TABLE messages DROP COLUMN burn_after_s;
DROP TABLE deadlines;

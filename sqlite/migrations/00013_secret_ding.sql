-- +goose Up
-- Issue 16: the durable deadline queue (package deadline), secret chats'
-- burn-after-reading columns on messages, DINGs with their recipients, and
-- the organisations' and people's settings for DINGs, quiet hours and read
-- receipts (JSON, read by package ding).

-- A deadline fires once: claimed under a lease by one node (claim,
-- lease_until), deleted when its handler is done. (kind, key) is unique:
-- scheduling again moves it. data never holds message content.
CREATE TABLE deadlines (
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    due         INTEGER NOT NULL, -- Unix microseconds
    data        BLOB,
    attempts    INTEGER NOT NULL DEFAULT 0,
    claim       TEXT NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID;
CREATE INDEX deadlines_due ON deadlines (due);

-- Secret chats: burn_after_s > 0 marks a secret message; burns_at is when
-- it burns (its send time + 7 days until revealed, then reveal +
-- burn_after_s); burned messages keep their row with no text.
ALTER TABLE messages ADD COLUMN burn_after_s INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN burns_at INTEGER;
ALTER TABLE messages ADD COLUMN revealed_at INTEGER;
ALTER TABLE messages ADD COLUMN burned INTEGER NOT NULL DEFAULT 0;
CREATE INDEX messages_burns ON messages (burns_at) WHERE burns_at IS NOT NULL AND burned = 0;

CREATE TABLE dings (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    sender_id   TEXT NOT NULL REFERENCES users (id),
    text        TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    channels    TEXT NOT NULL, -- JSON array: app, push, email, sms
    emergency   INTEGER NOT NULL DEFAULT 0,
    quiet       INTEGER NOT NULL DEFAULT 0, -- sent into someone's quiet hours
    escalate_s  INTEGER NOT NULL DEFAULT 0,
    send_at     INTEGER NOT NULL,
    sent        INTEGER NOT NULL DEFAULT 0,
    level       INTEGER NOT NULL DEFAULT 0, -- channels reached so far
    reminded_at INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX dings_sender ON dings (org_id, sender_id, created_at);

CREATE TABLE ding_recipients (
    ding_id      TEXT NOT NULL REFERENCES dings (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    quiet        INTEGER NOT NULL DEFAULT 0, -- in their quiet hours when sent
    confirmed_at INTEGER,
    PRIMARY KEY (ding_id, user_id)
) WITHOUT ROWID;
CREATE INDEX ding_recipients_user ON ding_recipients (user_id, ding_id);

CREATE TABLE ding_org_settings (
    org_id     TEXT PRIMARY KEY,
    data       TEXT NOT NULL, -- JSON
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE ding_user_settings (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    data       TEXT NOT NULL, -- JSON
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

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

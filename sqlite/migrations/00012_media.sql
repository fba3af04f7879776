-- +goose Up
-- Media: files people send. A blob is stored content, shared by every file
-- with the same SHA-256 and counted by reference; a file is one upload; a
-- reference is a message carrying a file (what lets the conversation's
-- members read it). Trash lists blob keys whose rows are gone and whose
-- objects await deletion, so the collector loses track of nothing.
ALTER TABLE messages ADD COLUMN attachments TEXT; -- JSON array of attachments

CREATE TABLE media_blobs (
    sha256    TEXT PRIMARY KEY,
    key       TEXT NOT NULL UNIQUE,
    thumb_key TEXT NOT NULL DEFAULT '',
    size      INTEGER NOT NULL,
    refs      INTEGER NOT NULL
);

CREATE TABLE media_files (
    id          TEXT PRIMARY KEY,
    uploader_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    mime        TEXT NOT NULL,
    sha256      TEXT NOT NULL REFERENCES media_blobs (sha256),
    width       INTEGER NOT NULL DEFAULT 0,
    height      INTEGER NOT NULL DEFAULT 0,
    duration_ms INTEGER NOT NULL DEFAULT 0,
    waveform    TEXT, -- JSON array of bars
    created_at  INTEGER NOT NULL
);
CREATE INDEX media_files_created ON media_files (created_at);

CREATE TABLE media_refs (
    file_id         TEXT NOT NULL REFERENCES media_files (id),
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    PRIMARY KEY (file_id, conversation_id, seq)
);
CREATE INDEX media_refs_message ON media_refs (conversation_id, seq);

CREATE TABLE media_trash (
    key TEXT PRIMARY KEY
);

CREATE TABLE media_played (
    conversation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    played_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id, seq)
);

CREATE TABLE media_keys (
    name TEXT PRIMARY KEY,
    key  BLOB NOT NULL
);

CREATE TABLE media_leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  INTEGER NOT NULL
);

-- +goose Down
DROP TABLE media_leases;
DROP TABLE media_keys;
DROP TABLE media_played;
DROP TABLE media_trash;
DROP TABLE media_refs;
DROP TABLE media_files;
DROP TABLE media_blobs;
ALTER TABLE messages DROP COLUMN attachments;

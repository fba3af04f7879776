-- +goose Up
-- Media: files people send. A blob is stored content, shared by every file
-- with the same SHA-256 and counted by reference; a file is one upload; a
-- reference is a message carrying a file (what lets the conversation's
-- members read it). Trash lists blob keys whose rows are gone and whose
-- objects await deletion, so the collector loses track of nothing.
ALTER TABLE messages ADD COLUMN attachments jsonb;

CREATE TABLE media_blobs (
    sha256    text PRIMARY KEY,
    key       text NOT NULL UNIQUE,
    thumb_key text NOT NULL DEFAULT '',
    size      bigint NOT NULL,
    refs      integer NOT NULL
);

CREATE TABLE media_files (
    id          text PRIMARY KEY,
    uploader_id text NOT NULL,
    kind        text NOT NULL,
    name        text NOT NULL,
    size        bigint NOT NULL,
    mime        text NOT NULL,
    sha256      text NOT NULL REFERENCES media_blobs (sha256),
    width       integer NOT NULL DEFAULT 0,
    height      integer NOT NULL DEFAULT 0,
    duration_ms integer NOT NULL DEFAULT 0,
    waveform    jsonb,
    created_at  timestamptz NOT NULL
);
CREATE INDEX media_files_created ON media_files (created_at);
CREATE INDEX media_files_sha256 ON media_files (sha256);

-- The foreign key makes a send of a file and its collection exclude one
-- another: one of them waits, and fails if the other won.
CREATE TABLE media_refs (
    file_id         text NOT NULL REFERENCES media_files (id),
    conversation_id text NOT NULL,
    seq             bigint NOT NULL,
    PRIMARY KEY (file_id, conversation_id, seq)
);
CREATE INDEX media_refs_message ON media_refs (conversation_id, seq);

CREATE TABLE media_trash (
    key text PRIMARY KEY
);

CREATE TABLE media_played (
    conversation_id text NOT NULL,
    user_id         text NOT NULL,
    seq             bigint NOT NULL,
    played_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, user_id, seq)
);

CREATE TABLE media_keys (
    name text PRIMARY KEY,
    key  bytea NOT NULL
);

CREATE TABLE media_leases (
    name   text PRIMARY KEY,
    holder text NOT NULL,
    until  timestamptz NOT NULL
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

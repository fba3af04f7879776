-- +goose Up
-- Issue 18, items 8 and 9: exports, retention and legal holds. Mirrors
-- sqlite's 00018 (which explains the tables).
CREATE TABLE exports (
    id      text PRIMARY KEY,
    user_id text NOT NULL,
    org_id  text NOT NULL DEFAULT '',
    kind    text NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX exports_user ON exports (user_id, id);
CREATE INDEX exports_org ON exports (org_id, id) WHERE org_id <> '';

CREATE TABLE retention_policies (
    org_id     text PRIMARY KEY,
    days       integer NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE legal_holds (
    conversation_id text PRIMARY KEY,
    org_id          text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    set_by          text NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX legal_holds_org ON legal_holds (org_id);

CREATE INDEX media_files_uploader ON media_files (uploader_id, id);

-- +goose Down
DROP INDEX media_files_uploader;
DROP TABLE legal_holds;
DROP TABLE retention_policies;
DROP TABLE exports;

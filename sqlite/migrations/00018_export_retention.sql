-- +goose Up
-- Issue 18, items 8 and 9. exports records every data export (package
-- export): a member's own (org_id '') or an organisation's. retention_policies
-- keep an organisation's retention in days (package retention); legal_holds
-- exempt chosen groups from it. Deleting a message also deletes its search
-- entries (trigger search_delete) and its file references (the retention
-- store deletes them), after which the media collector removes the files and
-- blobs no message carries.
CREATE TABLE exports (
    id      TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    org_id  TEXT NOT NULL DEFAULT '',
    kind    TEXT NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX exports_user ON exports (user_id, id);
CREATE INDEX exports_org ON exports (org_id, id) WHERE org_id != '';

CREATE TABLE retention_policies (
    org_id     TEXT PRIMARY KEY,
    days       INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE legal_holds (
    conversation_id TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    set_by          TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX legal_holds_org ON legal_holds (org_id);

CREATE INDEX media_files_uploader ON media_files (uploader_id, id);

-- +goose Down
DROP INDEX media_files_uploader;
DROP TABLE legal_holds;
DROP TABLE retention_policies;
DROP TABLE exports;

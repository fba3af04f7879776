-- +goose Up
-- Issue 20, items 1 and 7: the search index is keyed by the message's own
-- rowid, so a message indexed costs one FTS row and nothing else. Until now
-- search_docs gave each indexed message a key of its own, a row and an entry
-- in its UNIQUE (conversation_id, seq) index: a random page dirtied per
-- message and two lookups by (conversation_id, seq) per document, more than
-- the FTS insert itself. A message's rowid is stable (SQLite hands them out
-- on the one writer in commit order; VACUUM and VACUUM INTO keep them), and
-- the follower's cursor (search_cursor) already counts in them; rowids
-- retention frees are handed out again, after their FTS rows were deleted
-- (trigger search_delete) and the cursor lowered. Results keep their order
-- (newest first is the highest rowid). The index is rebuilt here for what
-- the follower has indexed; past the cursor it goes on as before.
DROP TRIGGER search_update;
DROP TRIGGER search_delete;
DROP TABLE search_fts;
DROP TABLE search_docs;

CREATE VIRTUAL TABLE search_fts USING fts5 (
    grams, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii'
);
INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);

INSERT INTO search_fts (rowid, grams)
    SELECT m.rowid, tack_grams(m.conversation_id, m.text || coalesce((SELECT group_concat(char(10) || (j.value ->> 'name'), '') FROM json_each(m.attachments) j), ''))
    FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.rowid <= (SELECT last_rowid FROM search_cursor)
        AND m.kind <> 'system' AND m.recalled_by IS NULL AND (m.text <> '' OR m.attachments IS NOT NULL) AND c.kind <> 'secret'
    ORDER BY m.rowid;

-- Edits and recalls of what the follower has indexed; what it has not
-- reached yet it reads as it is then.
-- +goose StatementBegin
CREATE TRIGGER search_update AFTER UPDATE OF text, recalled_by, kind ON messages
WHEN NEW.rowid <= (SELECT last_rowid FROM search_cursor)
BEGIN
    DELETE FROM search_fts WHERE rowid = OLD.rowid;
    INSERT INTO search_fts (rowid, grams)
        SELECT NEW.rowid, tack_grams(NEW.conversation_id, NEW.text || coalesce((SELECT group_concat(char(10) || (j.value ->> 'name'), '') FROM json_each(NEW.attachments) j), ''))
        WHERE NEW.kind <> 'system' AND NEW.recalled_by IS NULL AND (NEW.text <> '' OR NEW.attachments IS NOT NULL)
            AND (SELECT kind FROM conversations WHERE id = NEW.conversation_id) <> 'secret';
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER search_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM search_fts WHERE rowid = OLD.rowid;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER search_delete;
DROP TRIGGER search_update;
DROP TABLE search_fts;

CREATE TABLE search_docs (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE VIRTUAL TABLE search_fts USING fts5 (
    grams, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii'
);
INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO search_docs (conversation_id, seq)
    SELECT m.conversation_id, m.seq FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.rowid <= (SELECT last_rowid FROM search_cursor)
        AND m.kind <> 'system' AND m.recalled_by IS NULL AND (m.text <> '' OR m.attachments IS NOT NULL) AND c.kind <> 'secret'
    ORDER BY m.rowid;
INSERT INTO search_fts (rowid, grams)
    SELECT d.id, tack_grams(m.conversation_id, m.text || coalesce((SELECT group_concat(char(10) || (j.value ->> 'name'), '') FROM json_each(m.attachments) j), ''))
    FROM search_docs d JOIN messages m ON m.conversation_id = d.conversation_id AND m.seq = d.seq;

-- +goose StatementBegin
CREATE TRIGGER search_update AFTER UPDATE OF text, recalled_by, kind ON messages
WHEN NEW.rowid <= (SELECT last_rowid FROM search_cursor)
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq);
    DELETE FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq
        AND NOT (NEW.kind <> 'system' AND NEW.recalled_by IS NULL AND (NEW.text <> '' OR NEW.attachments IS NOT NULL));
    INSERT OR IGNORE INTO search_docs (conversation_id, seq)
        SELECT NEW.conversation_id, NEW.seq
        WHERE NEW.kind <> 'system' AND NEW.recalled_by IS NULL AND (NEW.text <> '' OR NEW.attachments IS NOT NULL)
            AND (SELECT kind FROM conversations WHERE id = NEW.conversation_id) <> 'secret';
    INSERT INTO search_fts (rowid, grams)
        SELECT id, tack_grams(NEW.conversation_id, NEW.text || coalesce((SELECT group_concat(char(10) || (j.value ->> 'name'), '') FROM json_each(NEW.attachments) j), ''))
        FROM search_docs WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER search_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq);
    DELETE FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq;
END;
-- +goose StatementEnd

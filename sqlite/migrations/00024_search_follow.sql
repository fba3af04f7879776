-- +goose Up
-- Issue 20: the search index follows the messages instead of being written
-- in the send's transaction. search_cursor holds the rowid of the last
-- message the follower (sqlite/searchfollow.go) has looked at; it indexes
-- messages past it in batches of its own and moves it in the same
-- transaction, so a crash between a send and its indexing re-reads from the
-- cursor. Every message stored until now was indexed in its transaction, so
-- the cursor starts at the newest. Retention lowers it when it deletes the
-- newest rows (SQLite would hand their rowids out again).
CREATE TABLE search_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    last_rowid INTEGER NOT NULL
);
INSERT INTO search_cursor (id, last_rowid) SELECT 1, coalesce(max(rowid), 0) FROM messages;

-- Edits and recalls of messages the follower has not reached yet are left
-- to it (it reads their text as it is then); the trigger keeps only what is
-- indexed in step, so a message edited before it was indexed keeps its
-- place in the index's order.
DROP TRIGGER search_update;

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

-- +goose Down
DROP TRIGGER search_update;

-- +goose StatementBegin
CREATE TRIGGER search_update AFTER UPDATE OF text, recalled_by, kind ON messages
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

DROP TABLE search_cursor;

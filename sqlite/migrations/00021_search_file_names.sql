-- +goose Up
-- Issue 18, item 1: files are found by name. A message's document is its
-- text and its files' names, a line each (search.FileText); a message with
-- files but no text is indexed too. Messages already indexed keep their key
-- (the search cursor) and get the names added; file messages without text
-- get new keys (so they sort as if sent now among older results).
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

-- The names of files already sent.
DELETE FROM search_fts WHERE rowid IN (SELECT d.id FROM search_docs d JOIN messages m ON m.conversation_id = d.conversation_id AND m.seq = d.seq
    WHERE m.attachments IS NOT NULL);
INSERT INTO search_docs (conversation_id, seq)
    SELECT m.conversation_id, m.seq FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.attachments IS NOT NULL AND m.kind <> 'system' AND m.recalled_by IS NULL AND c.kind <> 'secret'
        AND NOT EXISTS (SELECT 1 FROM search_docs d WHERE d.conversation_id = m.conversation_id AND d.seq = m.seq)
    ORDER BY m.created_at, m.conversation_id, m.seq;
INSERT INTO search_fts (rowid, grams)
    SELECT d.id, tack_grams(m.conversation_id, m.text || coalesce((SELECT group_concat(char(10) || (j.value ->> 'name'), '') FROM json_each(m.attachments) j), ''))
    FROM search_docs d JOIN messages m ON m.conversation_id = d.conversation_id AND m.seq = d.seq
    WHERE m.attachments IS NOT NULL;

-- +goose Down
DROP TRIGGER search_update;

-- +goose StatementBegin
CREATE TRIGGER search_update AFTER UPDATE OF text, recalled_by, kind ON messages
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq);
    DELETE FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq
        AND NOT (NEW.kind <> 'system' AND NEW.recalled_by IS NULL AND NEW.text <> '');
    INSERT OR IGNORE INTO search_docs (conversation_id, seq)
        SELECT NEW.conversation_id, NEW.seq
        WHERE NEW.kind <> 'system' AND NEW.recalled_by IS NULL AND NEW.text <> ''
            AND (SELECT kind FROM conversations WHERE id = NEW.conversation_id) <> 'secret';
    INSERT INTO search_fts (rowid, grams)
        SELECT id, tack_grams(NEW.conversation_id, NEW.text) FROM search_docs WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq;
END;
-- +goose StatementEnd

-- +goose Up
-- Search (issue 18): messages by their 1- and 2-grams of CJK runs and
-- lower-cased words, plus a token for their conversation (package search,
-- search.Document). search_docs gives each indexed message a stable key (the
-- FTS rowid, and the search cursor); search_fts is a contentless FTS5 index
-- of the documents. Both are written in the transaction that writes the
-- message: sqlite.DB.Append indexes a batch of new messages with two
-- statements (FTS5 writes its buffer out at every statement, so a trigger's
-- row per message would cost a segment each); edits, recalls and deletions
-- change the index in the triggers below. tack_grams(conversation_id, text)
-- is search.Document, registered by the sqlite package. Never indexed:
-- system events, recalled messages, conversations of type 'secret'.
CREATE TABLE search_docs (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE VIRTUAL TABLE search_fts USING fts5 (
    grams, content = '', contentless_delete = 1, detail = none, tokenize = 'ascii'
);
-- Deleted grams leave the index at once, not at the next merge.
INSERT INTO search_fts (search_fts, rank) VALUES ('secure-delete', 1);

INSERT INTO search_docs (conversation_id, seq)
    SELECT m.conversation_id, m.seq FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.kind <> 'system' AND m.recalled_by IS NULL AND m.text <> '' AND c.kind <> 'secret'
    ORDER BY m.created_at, m.conversation_id, m.seq;
INSERT INTO search_fts (rowid, grams)
    SELECT d.id, tack_grams(m.conversation_id, m.text) FROM search_docs d JOIN messages m ON m.conversation_id = d.conversation_id AND m.seq = d.seq;

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

-- +goose StatementBegin
CREATE TRIGGER search_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq);
    DELETE FROM search_docs WHERE conversation_id = OLD.conversation_id AND seq = OLD.seq;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER search_delete;
DROP TRIGGER search_update;
DROP TABLE search_fts;
DROP TABLE search_docs;

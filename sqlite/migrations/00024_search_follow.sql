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

-- +goose Down
DROP TABLE search_cursor;

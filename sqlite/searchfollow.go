package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
)

// The search index follows the messages table instead of being written in
// the send's transaction (issue 20: a third of the send transaction's time
// went to it). A follower reads the messages past search_cursor (by rowid,
// which SQLite hands out in commit order on its one writer) from the read
// pool, tokenizes them outside any transaction, and in one short write
// transaction adds the documents and moves the cursor. So:
//
//   - a send never waits for its indexing, and the tokenizing no longer
//     holds the writer;
//   - a crash between a send and its indexing loses nothing: the next pass
//     (Open starts one) re-reads from the cursor;
//   - a search first indexes what was committed before it (catchUp), so a
//     message is found as soon as its send is acknowledged.
//
// A message's document is keyed by the message's rowid (migration 00025),
// so indexing one is one FTS row. Edits and recalls: the update trigger
// keeps only messages at or below the cursor in step. One the follower
// read and then saw edited before its write is indexed with its text as it
// is at the write (the document carries the edit time it was made from);
// one recalled or deleted meanwhile is skipped.

// followBatch is the most messages one pass reads and indexes: it bounds how
// long a pass holds the writer.
const followBatch = 1024

// followGather is how long the follower lets sends gather after it is woken.
const followGather = 200 * time.Millisecond

// errCursorMoved reports that the cursor changed between a pass's read and
// its write (retention lowered it): the pass is rolled back and rerun.
var errCursorMoved = errors.New("search cursor moved")

// clampCursorSQL lowers a cursor past the newest message to it (clampCursor,
// and retention after it deletes).
const clampCursorSQL = `UPDATE search_cursor SET last_rowid = (SELECT coalesce(max(rowid), 0) FROM messages)
	WHERE last_rowid > (SELECT coalesce(max(rowid), 0) FROM messages)`

// The statements of a pass. The documents are one JSON argument read with
// jsonb_each: each element is then binary JSON, so a field is a lookup;
// with json_each each field read parsed the element's text again (a pass
// reads four fields per message in each statement: 15 % of its time).
const (
	followReadSQL = `SELECT m.rowid, m.conversation_id, m.seq, m.kind, m.text, m.attachments, m.recalled_by IS NOT NULL, m.edited_at, c.kind
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.rowid > ? ORDER BY m.rowid LIMIT ?`
	// In rowid order (the pass read them so): FTS5 appends. A message
	// edited since the pass read it is indexed from its text now; one
	// recalled meanwhile is not; the conversation and seq are checked
	// against the row, so a rowid handed out again is never indexed with
	// another message's text (retention, the only deleter, waits for a
	// pass to end: this is the second guard).
	followFTSSQL = `INSERT INTO search_fts (rowid, grams)
		SELECT m.rowid, CASE WHEN m.edited_at IS j.value->>'e' THEN j.value->>'g'
			ELSE tack_grams(m.conversation_id, m.text || coalesce((SELECT group_concat(char(10) || (a.value ->> 'name'), '') FROM json_each(m.attachments) a), '')) END
		FROM jsonb_each(?) j CROSS JOIN messages m ON m.rowid = j.value->>'r'
		WHERE m.conversation_id = j.value->>'c' AND m.seq = j.value->>'s' AND m.recalled_by IS NULL`
)

// wakeFollower asks the follower for a pass; it never blocks.
func (db *DB) wakeFollower() {
	select {
	case db.followWake <- struct{}{}:
	default:
	}
}

// followLoop runs passes when woken (after a send commits) and every few
// seconds, until Close. A failed pass (a full disk refusing writes) is
// retried a second later.
func (db *DB) followLoop() {
	defer db.loops.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-db.stopCk; cancel() }()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	db.wakeFollower() // what a crash left unindexed
	for {
		select {
		case <-db.stopCk:
			return
		case <-db.followWake:
		case <-t.C:
		}
		// Let the sends of the next moments gather: a pass's cost is mostly
		// per pass (its FTS segment, its commit), so fewer, larger passes
		// cost the writer less. A search does not wait for this (catchUp).
		select {
		case <-db.stopCk:
			return
		case <-time.After(followGather):
		}
		if _, err := db.indexPending(ctx, 0); err != nil {
			db.followErrs.Add(1)
			select {
			case <-db.stopCk:
				return
			case <-time.After(time.Second):
				db.wakeFollower()
			}
		}
	}
}

// clampCursor lowers a cursor past the newest message (a database copied
// from elsewhere, or rows deleted by hand) to it: SQLite hands rowids above
// the newest out again, and the follower must not take them for read.
// (VACUUM and VACUUM INTO, which backups use, keep rowids as they are.)
// Open runs it before anything can be written.
func (db *DB) clampCursor(ctx context.Context) error {
	_, err := db.w.ExecContext(ctx, clampCursorSQL)
	if err != nil {
		return fmt.Errorf("search cursor: %w", err)
	}
	return nil
}

// catchUp indexes every message committed before it was called, so a search
// finds what its sender was told is stored.
func (db *DB) catchUp(ctx context.Context) error {
	var cursor, last int64
	err := db.rqueryRow(ctx, `SELECT (SELECT last_rowid FROM search_cursor), (SELECT coalesce(max(rowid), 0) FROM messages)`).Scan(&cursor, &last)
	if err != nil {
		return fmt.Errorf("search cursor: %w", err)
	}
	if cursor >= last {
		return nil
	}
	_, err = db.indexPending(ctx, last)
	return err
}

// indexPending runs passes until the cursor reaches upTo, or, with upTo 0,
// until a pass finds nothing new. It returns the messages indexed. One runs
// at a time.
func (db *DB) indexPending(ctx context.Context, upTo int64) (int, error) {
	db.followMu.Lock()
	defer db.followMu.Unlock()
	total := 0
	for {
		n, at, more, err := db.followPass(ctx)
		if errors.Is(err, errCursorMoved) {
			continue
		}
		if err != nil {
			return total, err
		}
		total += n
		if !more || (upTo > 0 && at >= upTo) {
			return total, nil
		}
	}
}

// followPass indexes the next batch of messages past the cursor. It returns
// how many it indexed, the cursor after it, and whether there may be more.
func (db *DB) followPass(ctx context.Context) (n int, at int64, more bool, err error) {
	var cursor int64
	if err := db.rqueryRow(ctx, `SELECT last_rowid FROM search_cursor`).Scan(&cursor); err != nil {
		return 0, 0, false, fmt.Errorf("search cursor: %w", err)
	}
	docs, last, rows, err := db.followRead(ctx, cursor)
	if err != nil || rows == 0 {
		return 0, cursor, false, err
	}
	if err := db.followWrite(ctx, cursor, last, docs); err != nil {
		return 0, cursor, false, err
	}
	db.followed.Add(int64(len(docs)))
	return len(docs), last, rows == followBatch, nil
}

// followWrite adds docs, read past cursor up to last, to the index and moves
// the cursor to last, in one transaction; errCursorMoved if the cursor is no
// longer at cursor.
func (db *DB) followWrite(ctx context.Context, cursor, last int64, docs []followDoc) error {
	b, err := json.Marshal(docs)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE search_cursor SET last_rowid = ? WHERE id = 1 AND last_rowid = ?`, last, cursor)
		if err != nil {
			return fmt.Errorf("move search cursor: %w", err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return errCursorMoved
		}
		if len(docs) == 0 {
			return nil
		}
		if _, err := tx.StmtContext(ctx, db.indexFTS).ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		return nil
	})
}

// followDoc is one message's document, as the pass's statements read it.
type followDoc struct {
	R int64   `json:"r"` // the message's rowid, the document's key
	C tack.ID `json:"c"`
	S int64   `json:"s"`
	G string  `json:"g"`
	E *int64  `json:"e"` // edited_at, as read
}

// followRead reads the messages past cursor, in one snapshot of the read
// pool, and makes the documents of those that are indexed (not system
// events, not recalled, not empty, not in secret conversations). It returns
// them, the last rowid read and how many rows it read.
func (db *DB) followRead(ctx context.Context, cursor int64) ([]followDoc, int64, int, error) {
	rows, err := db.rquery(ctx, followReadSQL, cursor, followBatch)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read new messages: %w", err)
	}
	defer rows.Close()
	var (
		docs  []followDoc
		last  int64
		count int
	)
	for rows.Next() {
		var (
			rowid      int64
			conv       tack.ID
			seq        int64
			kind, text string
			atts       sql.NullString
			recalled   bool
			edited     sql.NullInt64
			convKind   string
		)
		if err := rows.Scan(&rowid, &conv, &seq, &kind, &text, &atts, &recalled, &edited, &convKind); err != nil {
			return nil, 0, 0, fmt.Errorf("read new messages: %w", err)
		}
		count, last = count+1, rowid
		if kind == string(chat.SystemMessage) || recalled || convKind == string(chat.Secret) || (text == "" && !atts.Valid) {
			continue
		}
		d := followDoc{R: rowid, C: conv, S: seq, G: search.Document(conv, search.FileText(text, attachmentNames([]byte(atts.String))))}
		if edited.Valid {
			d.E = &edited.Int64
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, 0, fmt.Errorf("read new messages: %w", err)
	}
	return docs, last, count, nil
}

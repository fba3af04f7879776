package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
	msqlite "modernc.org/sqlite"
)

var _ search.Store = (*DB)(nil)

// tack_grams(conversation_id, text) is search.Document, for migration 00016
// and the triggers that keep search_fts in step with edits.
func init() {
	msqlite.MustRegisterDeterministicScalarFunction("tack_grams", 2, func(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		var s [2]string
		for i, a := range args {
			switch v := a.(type) {
			case string:
				s[i] = v
			case []byte:
				s[i] = string(v)
			case nil:
			default:
				return nil, fmt.Errorf("tack_grams: %T", v)
			}
		}
		return search.Document(tack.ID(s[0]), s[1]), nil
	})
}

// ftsQuery renders terms as an FTS5 query: each a quoted string (tokens hold
// no quotes), prefixes starred, joined with AND.
func ftsQuery(terms []search.Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + t.Text + `"`
		if t.Prefix {
			parts[i] += " *"
		}
	}
	return strings.Join(parts, " AND ")
}

// SearchMessages reads the FTS index newest first (rowid descending) and
// keeps the hits that pass the filters; the membership is one probe of
// members' primary key per candidate.
func (db *DB) SearchMessages(ctx context.Context, f search.Find) ([]search.Hit, error) {
	if len(f.Terms) == 0 || f.MemberID == "" || f.Limit <= 0 {
		return nil, fmt.Errorf("search: terms, member and limit are required")
	}
	// What was sent before the search is found (the index follows the
	// messages). Should indexing fail (a full disk refusing writes), the
	// search still answers from what is indexed.
	if err := db.catchUp(ctx); err != nil && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	match := ftsQuery(f.Terms)
	if f.ConversationID != "" {
		// Narrowed inside the index (see search.ConvToken).
		match += ` AND "` + search.ConvToken(f.ConversationID) + `"`
	} else {
		convs, err := db.narrowTo(ctx, f.MemberID)
		if err != nil {
			return nil, err
		}
		if len(convs) > 0 {
			cs := make([]string, len(convs))
			for i, c := range convs {
				cs[i] = `"` + search.ConvToken(c) + `"`
			}
			match += " AND (" + strings.Join(cs, " OR ") + ")"
		}
	}
	var b strings.Builder
	args := []any{f.MemberID, match}
	b.WriteString(`SELECT m.rowid, m.conversation_id, m.seq, m.sender_id, m.text, m.attachments, m.created_at
		FROM search_fts CROSS JOIN messages m ON m.rowid = search_fts.rowid
		JOIN members mb ON mb.conversation_id = m.conversation_id AND mb.user_id = ?
		WHERE search_fts MATCH ? AND m.seq >= mb.joined_seq`)
	if f.Before > 0 {
		b.WriteString(` AND search_fts.rowid < ?`)
		args = append(args, f.Before)
	}
	if f.ConversationID != "" {
		b.WriteString(` AND m.conversation_id = ?`)
		args = append(args, f.ConversationID)
	}
	if f.SenderID != "" {
		b.WriteString(` AND m.sender_id = ?`)
		args = append(args, f.SenderID)
	}
	if f.HasFile {
		b.WriteString(` AND m.attachments IS NOT NULL`)
	}
	if !f.From.IsZero() {
		b.WriteString(` AND m.created_at >= ?`)
		args = append(args, micros(f.From))
	}
	if !f.To.IsZero() {
		b.WriteString(` AND m.created_at < ?`)
		args = append(args, micros(f.To))
	}
	b.WriteString(` ORDER BY search_fts.rowid DESC LIMIT ?`)
	args = append(args, f.Limit)
	rows, err := db.rquery(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	defer rows.Close()
	out := []search.Hit{}
	for rows.Next() {
		var h search.Hit
		var created int64
		var att sql.NullString
		if err := rows.Scan(&h.Key, &h.ConversationID, &h.Seq, &h.SenderID, &h.Text, &att, &created); err != nil {
			return nil, fmt.Errorf("search messages: %w", err)
		}
		h.CreatedAt = fromMicros(created)
		if att.Valid {
			h.Files = attachmentNames([]byte(att.String))
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return out, nil
}

// Narrowing: a search over all of a member's conversations reads the index
// newest first and checks each match's membership, which costs about
// (matches read) / (the member's share of all messages); or it narrows the
// lookup inside the index to the member's conversations (term AND (c1 OR
// ... OR cN)), which costs about the member's own messages but more per
// step. Measured (50 conversations, CPU per query): 1.5 ms reading against
// 4.5 ms narrowed at 100,000 messages (5 % of them the member's); 10-13.5
// ms reading against 3.7-4.6 ms narrowed at 1,000,000 (0.5 %). So it narrows when the member's share is
// under narrowShare, for at most narrowMax conversations.
var (
	narrowShare = 0.02
	narrowMax   = 300
)

// narrowTo returns the conversations to narrow a search of userID's to, or
// none when reading newest first is cheaper (see narrowShare).
func (db *DB) narrowTo(ctx context.Context, userID tack.ID) ([]tack.ID, error) {
	var total int64 // about the messages stored: the index's keys are their rowids
	if err := db.rqueryRow(ctx, `SELECT coalesce(max(rowid), 0) FROM messages`).Scan(&total); err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	rows, err := db.rquery(ctx, `SELECT c.id, c.last_seq FROM members mb JOIN conversations c ON c.id = mb.conversation_id
		WHERE mb.user_id = ? LIMIT ?`, userID, narrowMax+1)
	if err != nil {
		return nil, fmt.Errorf("search: conversations: %w", err)
	}
	defer rows.Close()
	var out []tack.ID
	var mine int64
	for rows.Next() {
		var id tack.ID
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("search: conversations: %w", err)
		}
		out, mine = append(out, id), mine+n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search: conversations: %w", err)
	}
	if len(out) > narrowMax || total == 0 || float64(mine) >= narrowShare*float64(total) {
		return nil, nil
	}
	return out, nil
}

// IsMember reports whether userID is a member of convID.
func (db *DB) IsMember(ctx context.Context, convID, userID tack.ID) (bool, error) {
	var one int
	err := db.rqueryRow(ctx, `SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ?`, convID, userID).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("is member: %w", err)
	}
	return true, nil
}

// RebuildSearch empties the search index and indexes every message again,
// in one transaction, as migration 00025 does for a database that already
// holds messages (for repairs, and to measure the build).
func (db *DB) RebuildSearch(ctx context.Context) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`INSERT INTO search_fts (search_fts) VALUES ('delete-all')`,
			`INSERT INTO search_fts (rowid, grams)
				SELECT m.rowid, tack_grams(m.conversation_id, m.text || coalesce((SELECT group_concat(char(10) || (j.value ->> 'name'), '') FROM json_each(m.attachments) j), ''))
				FROM messages m JOIN conversations c ON c.id = m.conversation_id
				WHERE m.kind <> 'system' AND m.recalled_by IS NULL AND (m.text <> '' OR m.attachments IS NOT NULL) AND c.kind <> 'secret'
				ORDER BY m.rowid`,
			`UPDATE search_cursor SET last_rowid = (SELECT coalesce(max(rowid), 0) FROM messages)`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("rebuild search: %w", err)
			}
		}
		return nil
	})
}

// SearchIndexSize is the bytes the search index takes in the database file
// (its tables and their indexes, from dbstat).
func (db *DB) SearchIndexSize(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := db.rqueryRow(ctx, `SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search\_%' ESCAPE '\' OR name LIKE 'sqlite\_autoindex\_search\_%' ESCAPE '\'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("search index size: %w", err)
	}
	return n.Int64, nil
}

func fileNames(as []chat.Attachment) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Name)
	}
	return out
}

// attachmentNames reads the file names of a message's attachments column.
func attachmentNames(b []byte) []string {
	var as []chat.Attachment
	if len(b) == 0 || json.Unmarshal(b, &as) != nil {
		return nil
	}
	return fileNames(as)
}

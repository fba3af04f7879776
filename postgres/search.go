package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
)

var _ search.Store = (*DB)(nil)

// searchMigration is migration 16 (issue 18): the search index and, for a
// database that already holds messages, their tokens. It is a Go migration
// because the tokens come from package search (search.Grams); it runs under
// the migration lock, once, in one transaction.
//
// search_messages holds one row per indexed message: a stable key (id, the
// search cursor; newer messages have larger keys), and the message's grams
// as a tsvector of exact lexemes (array_to_tsvector: no parser, no
// stemming), under a GIN index. Rows are written in the transaction that
// writes the message (appendTx, EditMessage); a trigger removes the row when
// a message's text is erased (a recall) and the foreign key when it is
// deleted. Never indexed: system events, recalled messages, conversations of
// type 'secret'.
var searchMigration = goose.NewGoMigration(16, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE TABLE search_messages (
    id              bigserial PRIMARY KEY,
    conversation_id text NOT NULL,
    seq             bigint NOT NULL,
    grams           tsvector NOT NULL,
    UNIQUE (conversation_id, seq),
    FOREIGN KEY (conversation_id, seq) REFERENCES messages (conversation_id, seq) ON DELETE CASCADE
);
CREATE INDEX search_messages_grams ON search_messages USING gin (grams);

CREATE FUNCTION search_unindex() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recalled_by IS NOT NULL OR NEW.text = '' OR NEW.kind = 'system' THEN
        DELETE FROM search_messages WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER search_unindex AFTER UPDATE OF text, recalled_by, kind ON messages
    FOR EACH ROW EXECUTE FUNCTION search_unindex();
`)
	if err != nil {
		return fmt.Errorf("search schema: %w", err)
	}
	return backfillSearch(ctx, tx)
}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DROP TRIGGER search_unindex ON messages; DROP FUNCTION search_unindex(); DROP TABLE search_messages;`)
	return err
}})

// backfillSearch indexes every indexable message, oldest first (so keys
// follow time), inside tx.
func backfillSearch(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT m.conversation_id, m.seq, m.text, m.attachments FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.kind <> 'system' AND m.recalled_by IS NULL AND (m.text <> '' OR m.attachments IS NOT NULL) AND c.kind <> 'secret'
		ORDER BY m.created_at, m.conversation_id, m.seq`)
	if err != nil {
		return fmt.Errorf("search backfill: %w", err)
	}
	var cs []string
	var ss []int64
	var gs []string
	for rows.Next() {
		var c, text string
		var s int64
		var att []byte
		if err := rows.Scan(&c, &s, &text, &att); err != nil {
			rows.Close()
			return fmt.Errorf("search backfill: %w", err)
		}
		cs, ss, gs = append(cs, c), append(ss, s), append(gs, search.Document(tack.ID(c), search.FileText(text, attachmentNames(att))))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search backfill: %w", err)
	}
	for i := 0; i < len(cs); i += 5000 {
		j := min(len(cs), i+5000)
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_messages (conversation_id, seq, grams)
			SELECT c, s, array_to_tsvector(string_to_array(g, ' ')) FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS v(c, s, g, o)
			ORDER BY o`, cs[i:j], ss[i:j], gs[i:j]); err != nil {
			return fmt.Errorf("search backfill: %w", err)
		}
	}
	return nil
}

// RebuildSearch empties the search index and indexes every message again,
// in one transaction, as migration 16 does for a database that already
// holds messages (for repairs, and to measure the build).
func (db *DB) RebuildSearch(ctx context.Context) error {
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("rebuild search: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `TRUNCATE search_messages RESTART IDENTITY`); err != nil {
		return fmt.Errorf("rebuild search: %w", err)
	}
	if err := backfillSearch(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("rebuild search: %w", err)
	}
	// Statistics for the planner and the visibility map for index-only
	// scans (search_messages_conversation) at once, not when autovacuum
	// comes by: without them a search reads the heap for every row.
	if _, err := db.pool.Exec(ctx, `VACUUM (ANALYZE) search_messages`); err != nil {
		return fmt.Errorf("rebuild search: %w", err)
	}
	return nil
}

// SearchIndexSize is the bytes the search index takes: its table, TOAST
// and indexes.
func (db *DB) SearchIndexSize(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT pg_total_relation_size('search_messages')`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("search index size: %w", err)
	}
	return n, nil
}

// indexable reports whether a message of this kind and text is indexed
// (the conversation's type is checked in SQL).
func indexable(m chat.Message) bool {
	return m.Kind != chat.SystemMessage && !m.Recalled && (m.Text != "" || len(m.Attachments) > 0)
}

// queueIndex queues, on b, the insertion of the index rows of ms, except
// those of secret conversations, in the order given (so keys follow it).
func queueIndex(b *pgx.Batch, ms []chat.Message) {
	var cs []string
	var ss []int64
	var gs []string
	for _, m := range ms {
		if indexable(m) {
			cs, ss, gs = append(cs, string(m.ConversationID)), append(ss, m.Seq), append(gs, search.Document(m.ConversationID, search.FileText(m.Text, fileNames(m.Attachments))))
		}
	}
	if len(cs) == 0 {
		return
	}
	b.Queue(`INSERT INTO search_messages (conversation_id, seq, grams)
		SELECT v.c, v.s, array_to_tsvector(string_to_array(v.g, ' '))
		FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS v(c, s, g, o)
		JOIN conversations k ON k.id = v.c WHERE k.kind <> 'secret' ORDER BY v.o`, cs, ss, gs)
}

// tsQuery renders terms as a tsquery of quoted exact lexemes (tokens hold
// no quotes or backslashes), prefixes marked :*, joined with &.
func tsQuery(terms []search.Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = "'" + t.Text + "'"
		if t.Prefix {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// SearchMessages searches each of the member's conversations on its own,
// newest key first, and merges them (searchQuery, perConversation), unless
// the conversations searched hold more than perConversationMax messages:
// then the whole index (GIN, or keys read backwards), whose work does not
// grow with one member's history but with the matches it reads.
func (db *DB) SearchMessages(ctx context.Context, f search.Find) ([]search.Hit, error) {
	if len(f.Terms) == 0 || f.MemberID == "" || f.Limit <= 0 {
		return nil, fmt.Errorf("search: terms, member and limit are required")
	}
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(sum(c.last_seq), 0) FROM members mb JOIN conversations c ON c.id = mb.conversation_id
		WHERE mb.user_id = $1 AND ($2 = '' OR mb.conversation_id = $2)`, f.MemberID, string(f.ConversationID)).Scan(&n)
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return db.searchMessages(ctx, f, n <= perConversationMax)
}

// perConversationMax: the per-conversation plan reads, for a rare word,
// every indexed row of the conversations searched (about 0.35 µs each,
// measured at 1,000,000 messages: 5,000 rows in 1.7–1.9 ms), so a member
// of conversations holding more than this many messages (or a search in
// one such conversation, which the whole index narrows with its
// conversation token) is searched through the whole index.
var perConversationMax int64 = 100_000

func (db *DB) searchMessages(ctx context.Context, f search.Find, perConversation bool) ([]search.Hit, error) {
	if len(f.Terms) == 0 || f.MemberID == "" || f.Limit <= 0 {
		return nil, fmt.Errorf("search: terms, member and limit are required")
	}
	query, args := searchQuery(f, perConversation)
	// Planned for its own arguments every time (not pgx's cached prepared
	// statement, whose generic plan, made without the words, was 30 times
	// slower through BenchmarkSearch).
	rows, err := db.pool.Query(ctx, query, append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	defer rows.Close()
	out := []search.Hit{}
	for rows.Next() {
		var h search.Hit
		var att []byte
		if err := rows.Scan(&h.Key, &h.ConversationID, &h.Seq, &h.SenderID, &h.Text, &att, &h.CreatedAt); err != nil {
			return nil, fmt.Errorf("search messages: %w", err)
		}
		h.CreatedAt = h.CreatedAt.UTC()
		h.Files = attachmentNames(att)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search messages: %w", err)
	}
	return out, nil
}

// searchQuery is the SQL of a search and its arguments.
//
// perConversation (what SearchMessages runs): for each of the member's
// conversations (members_user), the newest Limit matches of that
// conversation alone, read through search_messages_conversation
// (conversation_id, id) backwards (or, for rare words, the GIN index
// within it), then the newest Limit of those. The work is bounded by the
// member's own history, not the whole database's: a member sees a small
// part of a large company's messages. The cursor (Before: the last key of
// the previous page) applies inside each conversation, so paging stays
// exact: every key below it, newest first, from every conversation.
//
// Otherwise (the plan before migration 23, kept for measurements): the
// whole index, either through GIN (every match in the database, then a
// sort) or keys read backwards with each row tested, joined to the
// member's conversations afterwards.
func searchQuery(f search.Find, perConversation bool) (string, []any) {
	q := tsQuery(f.Terms)
	if f.ConversationID != "" && !perConversation {
		// Narrowed inside the index (see search.ConvToken).
		q += " & '" + search.ConvToken(f.ConversationID) + "'"
	}
	var b strings.Builder
	args := []any{f.MemberID, q}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	filters := func() {
		if f.Before > 0 {
			b.WriteString(` AND s.id < ` + arg(f.Before))
		}
		if f.SenderID != "" {
			b.WriteString(` AND m.sender_id = ` + arg(f.SenderID))
		}
		if f.HasFile {
			b.WriteString(` AND m.attachments IS NOT NULL`)
		}
		if !f.From.IsZero() {
			b.WriteString(` AND m.created_at >= ` + arg(f.From))
		}
		if !f.To.IsZero() {
			b.WriteString(` AND m.created_at < ` + arg(f.To))
		}
	}
	if perConversation {
		// Only the page's hits are joined to their messages, unless a
		// filter needs the message to choose them.
		limit := arg(f.Limit)
		b.WriteString(`SELECT p.id, m.conversation_id, m.seq, m.sender_id, m.text, m.attachments, m.created_at
		FROM (SELECT h.id, mb.conversation_id, h.seq FROM members mb CROSS JOIN LATERAL (
			SELECT s.id, s.seq FROM search_messages s`)
		if f.SenderID != "" || f.HasFile || !f.From.IsZero() || !f.To.IsZero() {
			b.WriteString(` JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq = s.seq`)
		}
		b.WriteString(` WHERE s.conversation_id = mb.conversation_id AND s.grams @@ $2::tsquery AND s.seq >= mb.joined_seq`)
		filters()
		b.WriteString(` ORDER BY s.id DESC LIMIT ` + limit + `) h
		WHERE mb.user_id = $1`)
		if f.ConversationID != "" {
			b.WriteString(` AND mb.conversation_id = ` + arg(f.ConversationID))
		}
		b.WriteString(` ORDER BY h.id DESC LIMIT ` + limit + `) p
		JOIN messages m ON m.conversation_id = p.conversation_id AND m.seq = p.seq
		ORDER BY p.id DESC`)
		return b.String(), args
	}
	b.WriteString(`SELECT s.id, m.conversation_id, m.seq, m.sender_id, m.text, m.attachments, m.created_at
		FROM search_messages s
		JOIN members mb ON mb.conversation_id = s.conversation_id AND mb.user_id = $1
		JOIN messages m ON m.conversation_id = s.conversation_id AND m.seq = s.seq
		WHERE s.grams @@ $2::tsquery AND s.seq >= mb.joined_seq`)
	filters()
	if f.ConversationID != "" {
		b.WriteString(` AND s.conversation_id = ` + arg(f.ConversationID))
	}
	b.WriteString(` ORDER BY s.id DESC LIMIT ` + arg(f.Limit))
	return b.String(), args
}

// IsMember reports whether userID is a member of convID.
func (db *DB) IsMember(ctx context.Context, convID, userID tack.ID) (bool, error) {
	var ok bool
	err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2)`, convID, userID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("is member: %w", err)
	}
	return ok, nil
}

// fileNamesMigration is migration 21 (issue 18, item 1): files are found by
// name. Messages with files get their names in their index row (search.
// FileText); those without text, never indexed before, get a row (a new
// key: they sort as if sent now among older results). The unindexing
// trigger keeps a message with files when its text is emptied.
var fileNamesMigration = goose.NewGoMigration(21, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `
CREATE OR REPLACE FUNCTION search_unindex() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recalled_by IS NOT NULL OR (NEW.text = '' AND NEW.attachments IS NULL) OR NEW.kind = 'system' THEN
        DELETE FROM search_messages WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq;
    END IF;
    RETURN NULL;
END $$;`); err != nil {
		return fmt.Errorf("search file names: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.conversation_id, m.seq, m.text, m.attachments FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.attachments IS NOT NULL AND m.kind <> 'system' AND m.recalled_by IS NULL AND c.kind <> 'secret'
		ORDER BY m.created_at, m.conversation_id, m.seq`)
	if err != nil {
		return fmt.Errorf("search file names: %w", err)
	}
	var cs []string
	var ss []int64
	var gs []string
	for rows.Next() {
		var c, text string
		var s int64
		var att []byte
		if err := rows.Scan(&c, &s, &text, &att); err != nil {
			rows.Close()
			return fmt.Errorf("search file names: %w", err)
		}
		cs, ss, gs = append(cs, c), append(ss, s), append(gs, search.Document(tack.ID(c), search.FileText(text, attachmentNames(att))))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search file names: %w", err)
	}
	for i := 0; i < len(cs); i += 5000 {
		j := min(len(cs), i+5000)
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_messages (conversation_id, seq, grams)
			SELECT c, s, array_to_tsvector(string_to_array(g, ' ')) FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS v(c, s, g, o)
			ORDER BY o
			ON CONFLICT (conversation_id, seq) DO UPDATE SET grams = excluded.grams`, cs[i:j], ss[i:j], gs[i:j]); err != nil {
			return fmt.Errorf("search file names: %w", err)
		}
	}
	return nil
}}, &goose.GoFunc{RunTx: func(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
CREATE OR REPLACE FUNCTION search_unindex() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recalled_by IS NOT NULL OR NEW.text = '' OR NEW.kind = 'system' THEN
        DELETE FROM search_messages WHERE conversation_id = NEW.conversation_id AND seq = NEW.seq;
    END IF;
    RETURN NULL;
END $$;`)
	return err
}})

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

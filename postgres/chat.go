package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
)

var _ chat.Store = (*DB)(nil)

const msgCols = `conversation_id, seq, mod, client_id, sender_id, kind, text, mentions, mention_all, reply_to, system, created_at, edited_at, recalled_by, attachments, burn_after_s, burns_at, revealed_at, burned`

func scanMessage(row pgx.Row) (chat.Message, error) {
	var m chat.Message
	var clientID, recalledBy *string
	var mentions, system, attachments []byte
	var edited, burns, revealed *time.Time
	err := row.Scan(&m.ConversationID, &m.Seq, &m.Mod, &clientID, &m.SenderID, &m.Kind, &m.Text, &mentions,
		&m.MentionAll, &m.ReplyTo, &system, &m.CreatedAt, &edited, &recalledBy, &attachments, &m.BurnAfterS, &burns, &revealed, &m.Burned)
	if err != nil {
		return m, notFound(err)
	}
	if burns != nil {
		t := utc(*burns)
		m.BurnsAt = &t
	}
	if revealed != nil {
		t := utc(*revealed)
		m.RevealedAt = &t
	}
	m.CreatedAt = utc(m.CreatedAt)
	if clientID != nil {
		m.ClientID = *clientID
	}
	if edited != nil {
		t := utc(*edited)
		m.EditedAt = &t
	}
	if recalledBy != nil {
		m.Recalled = true
		m.RecalledBy = tack.ID(*recalledBy)
	}
	if len(mentions) > 0 {
		if err := json.Unmarshal(mentions, &m.Mentions); err != nil {
			return m, fmt.Errorf("mentions: %w", err)
		}
	}
	if len(attachments) > 0 {
		if err := json.Unmarshal(attachments, &m.Attachments); err != nil {
			return m, fmt.Errorf("attachments: %w", err)
		}
	}
	if len(system) > 0 {
		m.System = new(chat.System)
		if err := json.Unmarshal(system, m.System); err != nil {
			return m, fmt.Errorf("system: %w", err)
		}
	}
	return m, nil
}

func collectMessages(rows pgx.Rows, err error) ([]chat.Message, error) {
	if err != nil {
		return nil, err
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Message, error) { return scanMessage(r) })
	if ms == nil && err == nil {
		ms = []chat.Message{}
	}
	return ms, err
}

// jsonOrNull returns v as JSON, or nil (SQL NULL) when empty is true.
func jsonOrNull(v any, empty bool) any {
	if empty {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // IDs and System always marshal
	}
	return b
}

func stringOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// messageColumns holds messages column by column, for an INSERT from
// unnest: one statement for a whole batch.
type messageColumns struct {
	conv, sender, kind, text []string
	client, mentions, system []*string
	attachments              []*string
	refFile, refConv         []string
	refSeq                   []int64
	seq, mod, replyTo        []int64
	mentionAll               []bool
	createdAt                []time.Time
	burnAfter                []int64
	burnsAt                  []*time.Time
}

func (c *messageColumns) add(m chat.Message) {
	c.conv = append(c.conv, string(m.ConversationID))
	c.seq = append(c.seq, m.Seq)
	c.mod = append(c.mod, m.Mod)
	c.client = append(c.client, nullable(m.ClientID))
	c.sender = append(c.sender, string(m.SenderID))
	c.kind = append(c.kind, m.Kind)
	c.text = append(c.text, m.Text)
	var mentions, system string
	if len(m.Mentions) > 0 {
		b, _ := json.Marshal(m.Mentions)
		mentions = string(b)
	}
	if m.System != nil {
		b, _ := json.Marshal(m.System)
		system = string(b)
	}
	c.mentions = append(c.mentions, nullable(mentions))
	c.mentionAll = append(c.mentionAll, m.MentionAll)
	c.replyTo = append(c.replyTo, m.ReplyTo)
	c.system = append(c.system, nullable(system))
	c.createdAt = append(c.createdAt, m.CreatedAt)
	var atts string
	if len(m.Attachments) > 0 {
		b, _ := json.Marshal(m.Attachments)
		atts = string(b)
	}
	c.attachments = append(c.attachments, nullable(atts))
	for _, a := range m.Attachments {
		c.refFile = append(c.refFile, string(a.ID))
		c.refConv = append(c.refConv, string(m.ConversationID))
		c.refSeq = append(c.refSeq, m.Seq)
	}
	c.burnAfter = append(c.burnAfter, int64(m.BurnAfterS))
	c.burnsAt = append(c.burnsAt, m.BurnsAt)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type clientKey struct {
	sender tack.ID
	client string
}

// appendTx stores msgs inside tx, filling out (of the same length). See
// chat.MessageStore.Append. It may be retried as a whole.
func appendTx(ctx context.Context, tx pgx.Tx, msgs []chat.NewMessage, out []chat.Appended) error {
	clear(out)

	// Sends already stored, by (sender, client ID).
	var senders, clients []string
	for _, nm := range msgs {
		if nm.ClientID != "" {
			senders = append(senders, string(nm.SenderID))
			clients = append(clients, nm.ClientID)
		}
	}
	stored := map[clientKey]chat.Message{}
	if len(senders) > 0 {
		// A join on the pairs: one index probe each. (sender_id = ANY(...)
		// AND client_id = ANY(...) is as fast for one sender, but with many
		// senders, as in a group commit, it scans every message of them.)
		found, err := collectMessages(tx.Query(ctx, `SELECT `+msgCols+` FROM messages
			WHERE client_id IS NOT NULL AND (sender_id, client_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
			senders, clients))
		if err != nil {
			return fmt.Errorf("find client ids: %w", err)
		}
		for _, m := range found {
			stored[clientKey{m.SenderID, m.ClientID}] = m
		}
	}

	// Which messages are new; a repeat within the batch is a duplicate of
	// its first occurrence.
	firstOf := map[clientKey]int{}
	dupOf := map[int]int{}
	var fresh []int
	count := map[tack.ID]int64{}
	latest := map[tack.ID]time.Time{}
	for i, nm := range msgs {
		if nm.ClientID != "" {
			k := clientKey{nm.SenderID, nm.ClientID}
			if m, ok := stored[k]; ok {
				out[i] = chat.Appended{Message: m, Duplicate: true}
				continue
			}
			if j, ok := firstOf[k]; ok {
				dupOf[i] = j
				continue
			}
			firstOf[k] = i
		}
		fresh = append(fresh, i)
		count[nm.ConversationID]++
		if nm.CreatedAt.After(latest[nm.ConversationID]) {
			latest[nm.ConversationID] = nm.CreatedAt
		}
	}

	// The senders' read positions that the new messages move, in a fixed
	// order.
	type reader struct{ conv, user tack.ID }
	var rs []reader
	seen := map[reader]bool{}
	for _, i := range fresh {
		r := reader{msgs[i].ConversationID, msgs[i].SenderID}
		if !seen[r] {
			seen[r] = true
			rs = append(rs, r)
		}
	}
	slices.SortFunc(rs, func(a, b reader) int {
		if c := strings.Compare(string(a.conv), string(b.conv)); c != 0 {
			return c
		}
		return strings.Compare(string(a.user), string(b.user))
	})
	rc, ru := make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		rc[i], ru[i] = string(r.conv), string(r.user)
	}

	// In one round trip: take a block of seqs and mods from each
	// conversation, in one statement that locks the batch's conversations
	// in ID order (so that concurrent batches, from this node or others,
	// cannot deadlock) and moves each counter by the batch's count; and
	// read where each sender's read position was, locked in a fixed order,
	// so that every message reports PrevReadSeq as if stored one by one.
	convs := make([]tack.ID, 0, len(count))
	for id := range count {
		convs = append(convs, id)
	}
	slices.Sort(convs)
	type next struct{ seq, mod int64 }
	nexts := make(map[tack.ID]*next, len(convs))
	pos := map[reader]int64{}
	if len(convs) > 0 {
		ids := make([]string, len(convs))
		ns := make([]int64, len(convs))
		ats := make([]time.Time, len(convs))
		for i, id := range convs {
			ids[i], ns[i], ats[i] = string(id), count[id], latest[id]
		}
		b := &pgx.Batch{}
		b.Queue(`WITH l AS MATERIALIZED (SELECT id FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE)
			UPDATE conversations c SET last_seq = c.last_seq + v.n, last_mod = c.last_mod + v.n, last_at = GREATEST(c.last_at, v.at)
			FROM l JOIN unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS v(id, n, at) ON v.id = l.id
			WHERE c.id = l.id RETURNING c.id, c.last_seq, c.last_mod`, ids, ns, ats).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id tack.ID
				var seq, mod int64
				if err := rows.Scan(&id, &seq, &mod); err != nil {
					return fmt.Errorf("next seqs: %w", err)
				}
				nexts[id] = &next{seq - count[id] + 1, mod - count[id] + 1}
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("next seqs: %w", err)
			}
			return nil
		})
		b.Queue(`SELECT m.conversation_id, m.user_id, m.read_seq FROM members m
			JOIN unnest($1::text[], $2::text[]) AS v(c, u) ON m.conversation_id = v.c AND m.user_id = v.u
			ORDER BY m.conversation_id, m.user_id FOR UPDATE OF m`, rc, ru).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var r reader
				var p int64
				if err := rows.Scan(&r.conv, &r.user, &p); err != nil {
					return fmt.Errorf("read positions: %w", err)
				}
				pos[r] = p
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read positions: %w", err)
			}
			return nil
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		for _, id := range convs {
			if nexts[id] == nil {
				return fmt.Errorf("next seq of %s: %w", id, tack.ErrNotFound)
			}
		}
	}

	// Store the new messages, in one statement, and move their senders'
	// read positions, in another, sent together.
	var rows messageColumns
	reads := map[reader]int64{}
	for _, i := range fresh {
		nm := msgs[i]
		n := nexts[nm.ConversationID]
		m := chat.Message{ConversationID: nm.ConversationID, Seq: n.seq, Mod: n.mod, ClientID: nm.ClientID,
			SenderID: nm.SenderID, Kind: nm.Kind, Text: nm.Text, Mentions: nm.Mentions, MentionAll: nm.MentionAll,
			ReplyTo: nm.ReplyTo, System: nm.System, CreatedAt: nm.CreatedAt.UTC().Truncate(time.Microsecond),
			Attachments: nm.Attachments}
		setBurn(&m, nm)
		n.seq++
		n.mod++
		rows.add(m)
		out[i] = chat.Appended{Message: m}
		r := reader{m.ConversationID, m.SenderID}
		reads[r] = max(reads[r], m.Seq)
	}
	if len(fresh) > 0 {
		rseq := make([]int64, len(rs))
		for i, r := range rs {
			rseq[i] = reads[r]
		}
		for _, i := range fresh {
			m := out[i].Message
			r := reader{m.ConversationID, m.SenderID}
			if p, ok := pos[r]; ok {
				out[i].PrevReadSeq = p
				pos[r] = max(p, m.Seq)
			}
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO messages (conversation_id, seq, mod, client_id, sender_id, kind, text, mentions,
			mention_all, reply_to, system, created_at, attachments, burn_after_s, burns_at)
			SELECT c, s, m, cl, se, k, t, me::jsonb, ma, r, sy::jsonb, at, att::jsonb, ba, bt FROM unnest($1::text[], $2::bigint[], $3::bigint[],
				$4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::bigint[], $11::text[],
				$12::timestamptz[], $13::text[], $14::bigint[], $15::timestamptz[]) AS v(c, s, m, cl, se, k, t, me, ma, r, sy, at, att, ba, bt)`,
			rows.conv, rows.seq, rows.mod, rows.client, rows.sender, rows.kind, rows.text, rows.mentions,
			rows.mentionAll, rows.replyTo, rows.system, rows.createdAt, rows.attachments, rows.burnAfter, rows.burnsAt)
		if len(rows.refFile) > 0 {
			// What lets the conversation's members read the files.
			b.Queue(`INSERT INTO media_refs (file_id, conversation_id, seq)
				SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) ON CONFLICT DO NOTHING`, rows.refFile, rows.refConv, rows.refSeq)
		}
		stored := make([]chat.Message, 0, len(fresh))
		for _, i := range fresh {
			stored = append(stored, out[i].Message)
		}
		queueIndex(b, stored) // the search index, in the same transaction
		b.Queue(`UPDATE members SET read_seq = v.s FROM unnest($1::text[], $2::text[], $3::bigint[]) AS v(c, u, s)
			WHERE members.conversation_id = v.c AND members.user_id = v.u AND members.read_seq < v.s`, rc, ru, rseq)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("insert messages: %w", err)
		}
	}
	for i, j := range dupOf {
		out[i] = chat.Appended{Message: out[j].Message, Duplicate: true}
	}
	return nil
}

// Append stores msgs in one transaction. See chat.MessageStore.
func (db *DB) Append(ctx context.Context, msgs []chat.NewMessage) ([]chat.Appended, error) {
	out := make([]chat.Appended, len(msgs))
	if len(msgs) == 0 {
		return out, nil
	}
	err := db.tx(ctx, func(tx pgx.Tx) error { return appendTx(ctx, tx, msgs, out) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// directKey is "a:b" (a < b) for a direct chat, "a:b:secret" for a secret
// chat: one of each per pair.
func directKey(c chat.Conversation, ms []chat.Membership) any {
	if !chat.Paired(c.Kind) || len(ms) != 2 {
		return nil
	}
	if c.Kind == chat.Secret {
		a, b := string(ms[0].UserID), string(ms[1].UserID)
		if a > b {
			a, b = b, a
		}
		return a + ":" + b + ":secret"
	}
	a, b := string(ms[0].UserID), string(ms[1].UserID)
	if a > b {
		a, b = b, a
	}
	return a + ":" + b
}

// insertMembers adds ms to conv at seq, leaving members already there, and
// returns how many it added.
func insertMembers(ctx context.Context, tx pgx.Tx, conv tack.ID, ms []chat.Membership, seq int64) (int64, error) {
	users := make([]string, len(ms))
	roles := make([]string, len(ms))
	joined := make([]time.Time, len(ms))
	for i, m := range ms {
		users[i], roles[i], joined[i] = string(m.UserID), m.Role, m.JoinedAt
	}
	tag, err := tx.Exec(ctx, `INSERT INTO members (conversation_id, user_id, role, read_seq, joined_seq, joined_at)
		SELECT $1, u, r, $2, $2, j FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS t(u, r, j)
		ON CONFLICT DO NOTHING`, conv, seq, users, roles, joined)
	if err != nil {
		return 0, fmt.Errorf("insert members: %w", err)
	}
	return tag.RowsAffected(), nil
}

// CreateConversation stores c, its members and its first message. A
// second direct conversation of the same two users is tack.EConflict.
func (db *DB) CreateConversation(ctx context.Context, c chat.Conversation, members []chat.Membership, first chat.NewMessage) (chat.Message, error) {
	var msg chat.Message
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		msg, err = createConversationTx(ctx, tx, c, members, first)
		return err
	})
	return msg, err
}

// createConversationTx is CreateConversation inside tx (package org's
// store uses it too, for groups created with a membership change).
func createConversationTx(ctx context.Context, tx pgx.Tx, c chat.Conversation, members []chat.Membership, first chat.NewMessage) (chat.Message, error) {
	out := make([]chat.Appended, 1)
	_, err := tx.Exec(ctx, `INSERT INTO conversations (id, kind, title, owner_id, mute_all, direct_key, member_count, last_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, c.ID, c.Kind, c.Title, c.OwnerID, c.MuteAll, directKey(c, members),
		len(members), c.CreatedAt)
	if isUnique(err, "conversations_direct_key_key") {
		return chat.Message{}, tack.Errorf(tack.EConflict, "that direct chat exists")
	} else if err != nil {
		return chat.Message{}, fmt.Errorf("insert conversation: %w", err)
	}
	if first.ConversationID == "" {
		first.ConversationID = c.ID
	}
	if err := appendTx(ctx, tx, []chat.NewMessage{first}, out); err != nil {
		return chat.Message{}, err
	}
	n, err := insertMembers(ctx, tx, c.ID, members, out[0].Message.Seq)
	if err != nil {
		return chat.Message{}, err
	}
	if n != int64(len(members)) { // some user was listed twice
		if _, err := tx.Exec(ctx, `UPDATE conversations SET member_count = $2 WHERE id = $1`, c.ID, n); err != nil {
			return chat.Message{}, err
		}
	}
	return out[0].Message, nil
}

// DirectBetween finds the direct chat of a and b.
func (db *DB) DirectBetween(ctx context.Context, a, b tack.ID) (tack.ID, error) {
	if a > b {
		a, b = b, a
	}
	var id tack.ID
	err := db.pool.QueryRow(ctx, `SELECT id FROM conversations WHERE direct_key = $1`, string(a)+":"+string(b)).Scan(&id)
	return id, notFound(err)
}

const convCols = `c.id, c.kind, c.title, c.owner_id, c.mute_all, c.created_at, c.last_seq, c.last_mod, c.member_count, c.direct_key`

func scanConv(row pgx.Row, extra ...any) (chat.Conversation, *string, error) {
	var c chat.Conversation
	var dk *string
	err := row.Scan(append([]any{&c.ID, &c.Kind, &c.Title, &c.OwnerID, &c.MuteAll, &c.CreatedAt, &c.LastSeq, &c.LastMod,
		&c.MemberCount, &dk}, extra...)...)
	c.CreatedAt = utc(c.CreatedAt)
	return c, dk, notFound(err)
}

// Conversation returns one conversation (shared fields only).
func (db *DB) Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error) {
	c, _, err := scanConv(db.pool.QueryRow(ctx, `SELECT `+convCols+` FROM conversations c WHERE c.id = $1`, id))
	return c, err
}

// ConversationsOf lists a user's conversations with the caller view,
// latest activity first.
func (db *DB) ConversationsOf(ctx context.Context, userID tack.ID) ([]chat.Conversation, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+convCols+`, m.role, m.read_seq, m.muted FROM members m
		JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = $1 ORDER BY c.last_at DESC, c.id`, userID)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Conversation, error) {
		var role string
		var read int64
		var muted bool
		c, dk, err := scanConv(r, &role, &read, &muted)
		if err != nil {
			return c, err
		}
		c.Role, c.ReadSeq, c.Muted = role, read, muted
		c.Unread = max(c.LastSeq-read, 0)
		if dk != nil {
			a, b, _ := strings.Cut(*dk, ":")
			b, _, _ = strings.Cut(b, ":") // secret chats: "a:b:secret"
			c.Peer = tack.ID(a)
			if c.Peer == userID {
				c.Peer = tack.ID(b)
			}
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return []chat.Conversation{}, nil
	}
	convs := make([]string, 0, len(list))
	seqs := make([]int64, 0, len(list))
	for _, c := range list {
		if c.LastSeq > 0 {
			convs = append(convs, string(c.ID))
			seqs = append(seqs, c.LastSeq)
		}
	}
	last, err := collectMessages(db.pool.Query(ctx, `SELECT `+msgCols+` FROM messages
		WHERE (conversation_id, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`, convs, seqs))
	if err != nil {
		return nil, fmt.Errorf("last messages: %w", err)
	}
	byConv := make(map[tack.ID]*chat.Message, len(last))
	for i := range last {
		byConv[last[i].ConversationID] = &last[i]
	}
	for i := range list {
		if m := byConv[list[i].ID]; m != nil && m.Seq == list[i].LastSeq {
			list[i].LastMessage = m
		}
	}
	return list, nil
}

// ConversationMods maps a user's conversations to their LastMod.
func (db *DB) ConversationMods(ctx context.Context, userID tack.ID) (map[tack.ID]int64, error) {
	rows, err := db.pool.Query(ctx, `SELECT c.id, c.last_mod FROM members m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[tack.ID]int64{}
	for rows.Next() {
		var id tack.ID
		var mod int64
		if err := rows.Scan(&id, &mod); err != nil {
			return nil, err
		}
		out[id] = mod
	}
	return out, rows.Err()
}

const memberCols = `conversation_id, user_id, role, read_seq, joined_seq, joined_at, muted`

// SetMuted sets a member's own notification mute.
func (db *DB) SetMuted(ctx context.Context, convID, userID tack.ID, muted bool) error {
	tag, err := db.pool.Exec(ctx, `UPDATE members SET muted = $3 WHERE conversation_id = $1 AND user_id = $2`, convID, userID, muted)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func scanMembership(row pgx.Row) (chat.Membership, error) {
	var m chat.Membership
	err := row.Scan(&m.ConversationID, &m.UserID, &m.Role, &m.ReadSeq, &m.JoinedSeq, &m.JoinedAt, &m.Muted)
	m.JoinedAt = utc(m.JoinedAt)
	return m, notFound(err)
}

// Membership returns one membership.
func (db *DB) Membership(ctx context.Context, convID, userID tack.ID) (chat.Membership, error) {
	return scanMembership(db.pool.QueryRow(ctx, `SELECT `+memberCols+` FROM members WHERE conversation_id = $1 AND user_id = $2`,
		convID, userID))
}

// Memberships lists a conversation's members by join order.
func (db *DB) Memberships(ctx context.Context, convID tack.ID) ([]chat.Membership, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+memberCols+` FROM members WHERE conversation_id = $1 ORDER BY joined_seq, user_id`, convID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Membership, error) { return scanMembership(r) })
	if out == nil && err == nil {
		out = []chat.Membership{}
	}
	return out, err
}

// MembersAmong returns which of ids are members.
func (db *DB) MembersAmong(ctx context.Context, convID tack.ID, list []tack.ID) ([]tack.ID, error) {
	if len(list) == 0 {
		return nil, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT user_id FROM members WHERE conversation_id = $1 AND user_id = ANY($2)`, convID, ids(list))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[tack.ID])
}

// ApplyChange applies ch with its system message in one transaction.
func (db *DB) ApplyChange(ctx context.Context, ch chat.Change) (chat.Message, error) {
	var msg chat.Message
	err := db.tx(ctx, func(tx pgx.Tx) (err error) {
		msg, err = applyChangeTx(ctx, tx, ch)
		return err
	})
	return msg, err
}

// applyChangeTx is ApplyChange inside tx. The system message comes first:
// it locks the conversation. The member count moves by the rows actually
// added and removed: no count(*) over a large group.
func applyChangeTx(ctx context.Context, tx pgx.Tx, ch chat.Change) (chat.Message, error) {
	out := make([]chat.Appended, 1)
	sys := ch.System
	if sys.ConversationID == "" {
		sys.ConversationID = ch.ConversationID
	}
	if err := appendTx(ctx, tx, []chat.NewMessage{sys}, out); err != nil {
		return chat.Message{}, err
	}
	seq := out[0].Message.Seq
	var delta int64
	if len(ch.Add) > 0 {
		n, err := insertMembers(ctx, tx, ch.ConversationID, ch.Add, seq)
		if err != nil {
			return chat.Message{}, err
		}
		delta += n
	}
	if len(ch.Remove) > 0 {
		tag, err := tx.Exec(ctx, `DELETE FROM members WHERE conversation_id = $1 AND user_id = ANY($2)`, ch.ConversationID, ids(ch.Remove))
		if err != nil {
			return chat.Message{}, fmt.Errorf("remove members: %w", err)
		}
		delta -= tag.RowsAffected()
	}
	if len(ch.Roles) > 0 {
		users := make([]string, 0, len(ch.Roles))
		for u := range ch.Roles {
			users = append(users, string(u))
		}
		slices.Sort(users)
		roles := make([]string, len(users))
		for i, u := range users {
			roles[i] = ch.Roles[tack.ID(u)]
		}
		if _, err := tx.Exec(ctx, `UPDATE members SET role = r.role FROM unnest($2::text[], $3::text[]) AS r(user_id, role)
			WHERE members.conversation_id = $1 AND members.user_id = r.user_id`, ch.ConversationID, users, roles); err != nil {
			return chat.Message{}, fmt.Errorf("set roles: %w", err)
		}
	}
	var owner any
	if ch.OwnerID != "" {
		owner = string(ch.OwnerID)
	}
	if owner != nil || ch.Title != nil || ch.MuteAll != nil || delta != 0 {
		if _, err := tx.Exec(ctx, `UPDATE conversations SET owner_id = COALESCE($2, owner_id), title = COALESCE($3, title),
			mute_all = COALESCE($4, mute_all), member_count = member_count + $5 WHERE id = $1`,
			ch.ConversationID, owner, ch.Title, ch.MuteAll, delta); err != nil {
			return chat.Message{}, fmt.Errorf("update conversation: %w", err)
		}
	}
	return out[0].Message, nil
}

// Message returns one message.
func (db *DB) Message(ctx context.Context, convID tack.ID, seq int64) (chat.Message, error) {
	return scanMessage(db.pool.QueryRow(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 AND seq = $2`, convID, seq))
}

// limitOrAll is a LIMIT argument: a negative limit means none (as in
// SQLite).
func limitOrAll(limit int) any {
	if limit < 0 {
		return nil
	}
	return limit
}

// Messages returns a page of messages in ascending seq.
func (db *DB) Messages(ctx context.Context, convID tack.ID, after, before int64, limit int) ([]chat.Message, error) {
	if before > 0 {
		ms, err := collectMessages(db.pool.Query(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 AND seq < $2
			ORDER BY seq DESC LIMIT $3`, convID, before, limitOrAll(limit)))
		slices.Reverse(ms)
		return ms, err
	}
	return collectMessages(db.pool.Query(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 AND seq > $2
		ORDER BY seq LIMIT $3`, convID, after, limitOrAll(limit)))
}

// MessagesSince returns messages changed after mod, by mod.
func (db *DB) MessagesSince(ctx context.Context, convID tack.ID, mod int64, limit int) ([]chat.Message, error) {
	return collectMessages(db.pool.Query(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 AND mod > $2
		ORDER BY mod LIMIT $3`, convID, mod, limitOrAll(limit)))
}

// MessagesBySeq returns the messages among seqs, by seq.
func (db *DB) MessagesBySeq(ctx context.Context, convID tack.ID, seqs []int64) ([]chat.Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	return collectMessages(db.pool.Query(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 AND seq = ANY($2)
		ORDER BY seq`, convID, seqs))
}

// changeMessage updates message seq of convID with set (SQL assignments
// using $3 onwards), giving it the conversation's next mod, in one
// statement: the conversation's counter moves only if the message exists.
func (db *DB) changeMessage(ctx context.Context, convID tack.ID, seq int64, set string, args ...any) (chat.Message, error) {
	return scanMessage(db.pool.QueryRow(ctx, `WITH c AS (
			UPDATE conversations SET last_mod = last_mod + 1
			WHERE id = $1 AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND seq = $2)
			RETURNING last_mod)
		UPDATE messages SET `+set+`, mod = c.last_mod FROM c
		WHERE conversation_id = $1 AND seq = $2 RETURNING `+msgCols, append([]any{convID, seq}, args...)...))
}

// EditMessage replaces a message's text and mentions, and its search
// tokens in the same statement (an unindexed message stays unindexed).
func (db *DB) EditMessage(ctx context.Context, convID tack.ID, seq int64, text string, mentions []tack.ID, mentionAll bool, at time.Time) (chat.Message, error) {
	return scanMessage(db.pool.QueryRow(ctx, `WITH c AS (
			UPDATE conversations SET last_mod = last_mod + 1
			WHERE id = $1 AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND seq = $2)
			RETURNING last_mod),
		m AS (UPDATE messages SET text = $3, mentions = $4, mention_all = $5, edited_at = $6, mod = c.last_mod FROM c
			WHERE conversation_id = $1 AND seq = $2 RETURNING `+prefixedCols("messages.")+`),
		s AS (UPDATE search_messages SET grams = array_to_tsvector(string_to_array($7, ' '))
			WHERE conversation_id = $1 AND seq = $2 AND EXISTS (SELECT 1 FROM m))
		SELECT * FROM m`, convID, seq, text, jsonOrNull(mentions, len(mentions) == 0), mentionAll, at, search.Document(convID, text)))
}

// prefixedCols is msgCols qualified by p.
func prefixedCols(p string) string {
	cols := strings.Split(msgCols, ", ")
	for i, c := range cols {
		cols[i] = p + c
	}
	return strings.Join(cols, ", ")
}

// RecallMessage erases a message's text and mentions.
func (db *DB) RecallMessage(ctx context.Context, convID tack.ID, seq int64, by tack.ID) (chat.Message, error) {
	var m chat.Message
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRow(ctx, `WITH c AS (
				UPDATE conversations SET last_mod = last_mod + 1
				WHERE id = $1 AND EXISTS (SELECT 1 FROM messages WHERE conversation_id = $1 AND seq = $2)
				RETURNING last_mod)
			UPDATE messages SET text = '', mentions = NULL, mention_all = false, attachments = NULL, recalled_by = $3, mod = c.last_mod FROM c
			WHERE conversation_id = $1 AND seq = $2 RETURNING `+msgCols, convID, seq, by))
		if err != nil {
			return err
		}
		// The files it carried are no longer reachable through it.
		if _, err := tx.Exec(ctx, `DELETE FROM media_refs WHERE conversation_id = $1 AND seq = $2`, convID, seq); err != nil {
			return fmt.Errorf("drop file references: %w", err)
		}
		return nil
	})
	return m, err
}

// SetReadSeq moves a read position forward, never past the last seq.
func (db *DB) SetReadSeq(ctx context.Context, convID, userID tack.ID, seq int64) (prev, now int64, err error) {
	// The subquery locks the row and yields its value before the update.
	err = db.pool.QueryRow(ctx, `UPDATE members m SET read_seq = LEAST($3, c.last_seq)
		FROM (SELECT read_seq FROM members WHERE conversation_id = $1 AND user_id = $2 FOR UPDATE) o, conversations c
		WHERE m.conversation_id = $1 AND m.user_id = $2 AND c.id = $1 AND LEAST($3, c.last_seq) > o.read_seq
		RETURNING o.read_seq, m.read_seq`, convID, userID, seq).Scan(&prev, &now)
	if err == nil {
		return prev, now, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, 0, err
	}
	// Nothing to move (or no such member).
	err = db.pool.QueryRow(ctx, `SELECT read_seq FROM members WHERE conversation_id = $1 AND user_id = $2`, convID, userID).Scan(&prev)
	if err != nil {
		return 0, 0, notFound(err)
	}
	return prev, prev, nil
}

// SetReadSeqs applies several read moves in one transaction, in order.
func (db *DB) SetReadSeqs(ctx context.Context, moves []chat.ReadMove) ([]chat.ReadMoved, error) {
	out := make([]chat.ReadMoved, len(moves))
	err := db.tx(ctx, func(tx pgx.Tx) error {
		for i, mv := range moves {
			var prev, last int64
			err := tx.QueryRow(ctx, `SELECT m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
				WHERE m.conversation_id = $1 AND m.user_id = $2 FOR UPDATE OF m`, mv.ConversationID, mv.UserID).Scan(&prev, &last)
			if errors.Is(err, pgx.ErrNoRows) {
				out[i] = chat.ReadMoved{}
				continue
			} else if err != nil {
				return err
			}
			now := max(prev, min(mv.Seq, last))
			out[i] = chat.ReadMoved{Found: true, Prev: prev, Now: now}
			if now > prev {
				if _, err := tx.Exec(ctx, `UPDATE members SET read_seq = $3 WHERE conversation_id = $1 AND user_id = $2`,
					mv.ConversationID, mv.UserID, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// Behind returns the positions of members who have not read up to seq.
func (db *DB) Behind(ctx context.Context, convID tack.ID, seq int64) ([]chat.Position, error) {
	rows, err := db.pool.Query(ctx, `SELECT user_id, read_seq, joined_seq FROM members WHERE conversation_id = $1 AND read_seq < $2`,
		convID, seq)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.Position, error) {
		var p chat.Position
		err := r.Scan(&p.UserID, &p.ReadSeq, &p.JoinedSeq)
		return p, err
	})
}

// SendersBetween returns who sent text messages in (from, to]. System
// events do not count, as in package sqlite.
func (db *DB) SendersBetween(ctx context.Context, convID tack.ID, from, to int64) ([]tack.ID, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT sender_id FROM messages
		WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND kind = 'text'`, convID, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[tack.ID])
}

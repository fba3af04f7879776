package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

var _ chat.Store = (*DB)(nil)

// stmts are the prepared statements of the hot paths.
type stmts struct {
	findClient, bumpSeq, insertMsg, advanceRead, readPos *sql.Stmt
	readPosLast, setRead                                 *sql.Stmt
	findClients, readPositions, bumpSeqs, advanceReads   *sql.Stmt // appendBatch
	membership                                           *sql.Stmt
	indexFTS                                             *sql.Stmt // search (followPass)
}

func (db *DB) prepare(ctx context.Context) error {
	var err error
	p := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = db.PrepareContext(ctx, q)
		return s
	}
	db.findClient = p(db.w, `SELECT `+msgCols+` FROM messages WHERE sender_id = ? AND client_id = ?`)
	db.bumpSeq = p(db.w, `UPDATE conversations SET last_seq = last_seq + 1, last_mod = last_mod + 1, last_at = ? WHERE id = ? RETURNING last_seq, last_mod`)
	db.insertMsg = p(db.w, `INSERT INTO messages (conversation_id, seq, mod, client_id, sender_id, kind, text, mentions, mention_all, reply_to, system, created_at, attachments, burn_after_s, burns_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	db.readPosLast = p(db.w, `SELECT m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.conversation_id = ? AND m.user_id = ?`)
	db.setRead = p(db.w, `UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ?`)
	db.readPos = p(db.w, `SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?`)
	db.advanceRead = p(db.w, `UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ? AND read_seq < ?`)
	db.membership = p(db.r, `SELECT conversation_id, user_id, role, read_seq, joined_seq, joined_at, muted FROM members WHERE conversation_id = ? AND user_id = ?`)
	// A batch's keys as one JSON argument: one statement text, prepared
	// once (a VALUES list of the batch's length was parsed per batch).
	db.findClients = p(db.w, `SELECT `+prefixed("m.", msgCols)+` FROM json_each(?) k
		CROSS JOIN messages m ON m.sender_id = k.value->>0 AND m.client_id = k.value->>1`)
	db.readPositions = p(db.w, `SELECT m.conversation_id, m.user_id, m.read_seq FROM json_each(?) k
		CROSS JOIN members m ON m.conversation_id = k.value->>0 AND m.user_id = k.value->>1`)
	// A batch's counter updates and read-position moves: one statement
	// each, over its conversations and its (conversation, sender) pairs
	// (one statement per conversation was a third of the batch's time).
	db.bumpSeqs = p(db.w, `UPDATE conversations SET last_seq = last_seq + (k.value->>1), last_mod = last_mod + (k.value->>1), last_at = k.value->>2
		FROM jsonb_each(?) k WHERE conversations.id = k.value->>0 RETURNING id, last_seq, last_mod`)
	db.advanceReads = p(db.w, `UPDATE members SET read_seq = k.value->>2 FROM jsonb_each(?) k
		WHERE members.conversation_id = k.value->>0 AND members.user_id = k.value->>1 AND members.read_seq < k.value->>2`)
	db.indexFTS = p(db.w, followFTSSQL)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	return nil
}

func (s *stmts) close() {
	for _, st := range []*sql.Stmt{s.findClient, s.bumpSeq, s.insertMsg, s.advanceRead, s.readPos, s.readPosLast, s.setRead, s.membership, s.indexFTS,
		s.findClients, s.readPositions, s.bumpSeqs, s.advanceReads} {
		if st != nil {
			st.Close()
		}
	}
}

const msgCols = `conversation_id, seq, mod, client_id, sender_id, kind, text, mentions, mention_all, reply_to, system, created_at, edited_at, recalled_by, attachments, burn_after_s, burns_at, revealed_at, burned`

// msgScan holds the scan destinations of one message row.
type msgScan struct {
	m                                      chat.Message
	clientID, mentions, system, recalledBy sql.NullString
	attachments                            sql.NullString
	created                                int64
	edited, burnsAt, revealedAt            sql.NullInt64
	all, burned                            int
}

func (x *msgScan) dest() []any {
	m := &x.m
	return []any{&m.ConversationID, &m.Seq, &m.Mod, &x.clientID, &m.SenderID, &m.Kind, &m.Text, &x.mentions,
		&x.all, &m.ReplyTo, &x.system, &x.created, &x.edited, &x.recalledBy, &x.attachments, &m.BurnAfterS, &x.burnsAt, &x.revealedAt, &x.burned}
}

func (x *msgScan) message() (chat.Message, error) {
	m := x.m
	m.ClientID = x.clientID.String
	m.MentionAll = x.all != 0
	m.CreatedAt = fromMicros(x.created)
	if x.edited.Valid {
		t := fromMicros(x.edited.Int64)
		m.EditedAt = &t
	}
	if x.burnsAt.Valid {
		t := fromMicros(x.burnsAt.Int64)
		m.BurnsAt = &t
	}
	if x.revealedAt.Valid {
		t := fromMicros(x.revealedAt.Int64)
		m.RevealedAt = &t
	}
	m.Burned = x.burned != 0
	if x.recalledBy.Valid {
		m.Recalled = true
		m.RecalledBy = tack.ID(x.recalledBy.String)
	}
	if x.mentions.Valid && x.mentions.String != "" {
		if err := json.Unmarshal([]byte(x.mentions.String), &m.Mentions); err != nil {
			return m, fmt.Errorf("mentions: %w", err)
		}
	}
	if x.attachments.Valid && x.attachments.String != "" {
		if err := json.Unmarshal([]byte(x.attachments.String), &m.Attachments); err != nil {
			return m, fmt.Errorf("attachments: %w", err)
		}
	}
	if x.system.Valid && x.system.String != "" {
		m.System = new(chat.System)
		if err := json.Unmarshal([]byte(x.system.String), m.System); err != nil {
			return m, fmt.Errorf("system: %w", err)
		}
	}
	return m, nil
}

func scanMessage(sc interface{ Scan(...any) error }) (chat.Message, error) {
	var x msgScan
	if err := sc.Scan(x.dest()...); err != nil {
		return chat.Message{}, notFound(err)
	}
	return x.message()
}

func scanMessages(rows *sql.Rows, err error) ([]chat.Message, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []chat.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func nullJSON(v any, empty bool) any {
	if empty {
		return nil
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendTx appends one message inside tx.
func (db *DB) appendTx(ctx context.Context, tx *sql.Tx, nm chat.NewMessage) (chat.Appended, error) {
	if nm.ClientID != "" {
		m, err := scanMessage(tx.StmtContext(ctx, db.findClient).QueryRowContext(ctx, nm.SenderID, nm.ClientID))
		if err == nil {
			return chat.Appended{Message: m, Duplicate: true}, nil
		} else if err != tack.ErrNotFound {
			return chat.Appended{}, fmt.Errorf("find client id: %w", err)
		}
	}
	m := chat.Message{ConversationID: nm.ConversationID, ClientID: nm.ClientID, SenderID: nm.SenderID, Kind: nm.Kind,
		Text: nm.Text, Mentions: nm.Mentions, MentionAll: nm.MentionAll, ReplyTo: nm.ReplyTo, System: nm.System, CreatedAt: nm.CreatedAt,
		Attachments: nm.Attachments}
	setBurn(&m, nm)
	err := tx.StmtContext(ctx, db.bumpSeq).QueryRowContext(ctx, micros(nm.CreatedAt), nm.ConversationID).Scan(&m.Seq, &m.Mod)
	if err != nil {
		return chat.Appended{}, fmt.Errorf("next seq of %s: %w", nm.ConversationID, notFound(err))
	}
	_, err = tx.StmtContext(ctx, db.insertMsg).ExecContext(ctx, m.ConversationID, m.Seq, m.Mod, nullString(m.ClientID), m.SenderID,
		m.Kind, m.Text, nullJSON(m.Mentions, len(m.Mentions) == 0), b2i(m.MentionAll), m.ReplyTo,
		nullJSON(m.System, m.System == nil), micros(m.CreatedAt), nullJSON(m.Attachments, len(m.Attachments) == 0), m.BurnAfterS, burnsAt(m))
	if err != nil {
		return chat.Appended{}, fmt.Errorf("insert message: %w", err)
	}
	if err := insertRefs(ctx, tx, m); err != nil {
		return chat.Appended{}, err
	}
	var prev int64
	err = tx.StmtContext(ctx, db.readPos).QueryRowContext(ctx, m.ConversationID, m.SenderID).Scan(&prev)
	if err == sql.ErrNoRows {
		return chat.Appended{Message: m}, nil
	} else if err != nil {
		return chat.Appended{}, fmt.Errorf("read position: %w", err)
	}
	if prev < m.Seq {
		if _, err := tx.StmtContext(ctx, db.advanceRead).ExecContext(ctx, m.Seq, m.ConversationID, m.SenderID, m.Seq); err != nil {
			return chat.Appended{}, fmt.Errorf("advance read: %w", err)
		}
	}
	return chat.Appended{Message: m, PrevReadSeq: prev}, nil
}

// Append stores msgs in one transaction. It does per batch what appendTx
// does per message, with a few statements for the whole batch: one lookup of
// earlier sends, one counter update per conversation, one read of the
// senders' positions and one update per sender and conversation; only the
// inserts are one per message.
func (db *DB) Append(ctx context.Context, msgs []chat.NewMessage) ([]chat.Appended, error) {
	if len(msgs) == 1 {
		var out []chat.Appended
		err := db.tx(ctx, func(tx *sql.Tx) error {
			a, err := db.appendTx(ctx, tx, msgs[0])
			out = []chat.Appended{a}
			return err
		})
		if err != nil {
			return nil, err
		}
		db.wakeFollower() // search indexes it after the commit
		return out, nil
	}
	var out []chat.Appended
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = db.appendBatch(ctx, tx, msgs)
		return err
	})
	if err != nil {
		return nil, err
	}
	db.wakeFollower() // search indexes them after the commit
	return out, nil
}

type senderKey struct{ sender, clientID string }

// prefixed qualifies each column of a comma-separated list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

type posKey struct{ conv, user tack.ID }

// pairsJSON renders items as a JSON array of two-string arrays, for
// json_each.
func pairsJSON[T any](items []T, pair func(T) [2]string) string {
	ps := make([][2]string, len(items))
	for i, it := range items {
		ps[i] = pair(it)
	}
	b, _ := json.Marshal(ps) // strings only: cannot fail
	return string(b)
}

func (db *DB) appendBatch(ctx context.Context, tx *sql.Tx, msgs []chat.NewMessage) ([]chat.Appended, error) {
	out := make([]chat.Appended, len(msgs))
	// 1. Earlier sends with the same (sender, client ID), in one lookup.
	var keys []senderKey
	seen := map[senderKey]int{} // first index in this batch
	for i, nm := range msgs {
		if nm.ClientID == "" {
			continue
		}
		k := senderKey{string(nm.SenderID), nm.ClientID}
		if _, ok := seen[k]; !ok {
			seen[k] = i
			keys = append(keys, k)
		}
	}
	stored := map[senderKey]chat.Message{}
	// Each key is one probe of the (sender_id, client_id) index.
	rows, err := tx.StmtContext(ctx, db.findClients).QueryContext(ctx, pairsJSON(keys, func(k senderKey) [2]string { return [2]string{k.sender, k.clientID} }))
	ms, err := scanMessages(rows, err)
	for _, m := range ms {
		stored[senderKey{string(m.SenderID), m.ClientID}] = m
	}
	if err != nil {
		return nil, fmt.Errorf("find client ids: %w", err)
	}
	// 2. The new messages, by conversation in order; duplicates answered.
	isNew := make([]bool, len(msgs))
	count := map[tack.ID]int64{}
	lastAt := map[tack.ID]int64{}
	var convs []tack.ID
	for i, nm := range msgs {
		if nm.ClientID != "" {
			k := senderKey{string(nm.SenderID), nm.ClientID}
			if m, ok := stored[k]; ok {
				out[i] = chat.Appended{Message: m, Duplicate: true}
				continue
			}
			if seen[k] != i {
				continue // a repeat within the batch: answered below
			}
		}
		isNew[i] = true
		if count[nm.ConversationID] == 0 {
			convs = append(convs, nm.ConversationID)
		}
		count[nm.ConversationID]++
		lastAt[nm.ConversationID] = micros(nm.CreatedAt)
	}
	slices.Sort(convs)
	// 3. One counter update for the batch: each conversation's seqs and
	// mods in blocks.
	nextSeq, nextMod, err := db.bumpBatch(ctx, tx, convs, count, lastAt)
	if err != nil {
		return nil, err
	}
	// 4. The inserts.
	ins := tx.StmtContext(ctx, db.insertMsg)
	for i, nm := range msgs {
		if !isNew[i] {
			continue
		}
		c := nm.ConversationID
		m := chat.Message{ConversationID: c, ClientID: nm.ClientID, SenderID: nm.SenderID, Kind: nm.Kind, Text: nm.Text,
			Mentions: nm.Mentions, MentionAll: nm.MentionAll, ReplyTo: nm.ReplyTo, System: nm.System, CreatedAt: nm.CreatedAt,
			Seq: nextSeq[c], Mod: nextMod[c], Attachments: nm.Attachments}
		setBurn(&m, nm)
		nextSeq[c]++
		nextMod[c]++
		if _, err := ins.ExecContext(ctx, m.ConversationID, m.Seq, m.Mod, nullString(m.ClientID), m.SenderID,
			m.Kind, m.Text, nullJSON(m.Mentions, len(m.Mentions) == 0), b2i(m.MentionAll), m.ReplyTo,
			nullJSON(m.System, m.System == nil), micros(m.CreatedAt), nullJSON(m.Attachments, len(m.Attachments) == 0), m.BurnAfterS, burnsAt(m)); err != nil {
			return nil, fmt.Errorf("insert message: %w", err)
		}
		if err := insertRefs(ctx, tx, m); err != nil {
			return nil, err
		}
		out[i] = chat.Appended{Message: m}
	}
	// Repeats within the batch get the first one's message.
	for i, nm := range msgs {
		if nm.ClientID == "" || isNew[i] || out[i].Duplicate {
			continue
		}
		first := out[seen[senderKey{string(nm.SenderID), nm.ClientID}]]
		out[i] = chat.Appended{Message: first.Message, Duplicate: true}
	}
	// 5. The senders' read positions: one read, one update per sender and
	// conversation, each message's PrevReadSeq as if stored one by one.
	var pairs []posKey
	pos := map[posKey]int64{}
	for i, nm := range msgs {
		k := posKey{nm.ConversationID, nm.SenderID}
		if _, ok := pos[k]; isNew[i] && !ok {
			pos[k] = -1 // not a member unless found
			pairs = append(pairs, k)
		}
	}
	err = func() error {
		rows, err := tx.StmtContext(ctx, db.readPositions).QueryContext(ctx, pairsJSON(pairs, func(k posKey) [2]string { return [2]string{string(k.conv), string(k.user)} }))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k posKey
			var r int64
			if err := rows.Scan(&k.conv, &k.user, &r); err != nil {
				return err
			}
			pos[k] = r
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, fmt.Errorf("read positions: %w", err)
	}
	start := maps.Clone(pos)
	for i := range msgs {
		if !isNew[i] {
			continue
		}
		m := &out[i].Message
		k := posKey{m.ConversationID, m.SenderID}
		if p := pos[k]; p >= 0 {
			out[i].PrevReadSeq = p
			pos[k] = max(p, m.Seq)
		}
	}
	var moves [][3]any // conversation, sender, new read position
	for _, k := range pairs {
		if p := pos[k]; p >= 0 && p > start[k] {
			moves = append(moves, [3]any{k.conv, k.user, p})
		}
	}
	if len(moves) > 0 {
		arg, err := json.Marshal(moves)
		if err != nil {
			return nil, fmt.Errorf("advance read: %w", err)
		}
		if _, err := tx.StmtContext(ctx, db.advanceReads).ExecContext(ctx, string(arg)); err != nil {
			return nil, fmt.Errorf("advance read: %w", err)
		}
	}
	return out, nil
}

// bumpBatch moves the counters of convs (sorted, each once) by count in one
// statement and returns each one's first new seq and mod.
func (db *DB) bumpBatch(ctx context.Context, tx *sql.Tx, convs []tack.ID, count, lastAt map[tack.ID]int64) (nextSeq, nextMod map[tack.ID]int64, err error) {
	nextSeq, nextMod = make(map[tack.ID]int64, len(convs)), make(map[tack.ID]int64, len(convs))
	if len(convs) == 0 {
		return nextSeq, nextMod, nil
	}
	keys := make([][3]any, len(convs))
	for i, c := range convs {
		keys[i] = [3]any{c, count[c], lastAt[c]}
	}
	arg, err := json.Marshal(keys)
	if err != nil {
		return nil, nil, fmt.Errorf("next seqs: %w", err)
	}
	rows, err := tx.StmtContext(ctx, db.bumpSeqs).QueryContext(ctx, string(arg))
	if err != nil {
		return nil, nil, fmt.Errorf("next seqs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c tack.ID
		var seq, mod int64
		if err := rows.Scan(&c, &seq, &mod); err != nil {
			return nil, nil, fmt.Errorf("next seqs: %w", err)
		}
		nextSeq[c], nextMod[c] = seq-count[c]+1, mod-count[c]+1
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("next seqs: %w", err)
	}
	for _, c := range convs {
		if _, ok := nextSeq[c]; !ok {
			return nil, nil, fmt.Errorf("next seq of %s: %w", c, tack.ErrNotFound)
		}
	}
	return nextSeq, nextMod, nil
}

// directKey is "a:b" (a < b) for a direct chat, "a:b:secret" for a secret
// chat: one of each per pair.
func directKey(c chat.Conversation, ms []chat.Membership) any {
	if !chat.Paired(c.Kind) || len(ms) != 2 {
		return nil
	}
	a, b := string(ms[0].UserID), string(ms[1].UserID)
	if a > b {
		a, b = b, a
	}
	if c.Kind == chat.Secret {
		return a + ":" + b + ":secret"
	}
	return a + ":" + b
}

// CreateConversation stores c, its members and its first message.
func (db *DB) CreateConversation(ctx context.Context, c chat.Conversation, members []chat.Membership, first chat.NewMessage) (chat.Message, error) {
	var msg chat.Message
	err := db.tx(ctx, func(tx *sql.Tx) (err error) {
		msg, err = db.createConversationTx(ctx, tx, c, members, first)
		return err
	})
	return msg, err
}

// createConversationTx is CreateConversation inside tx (package org's
// store uses it too, for groups created with a membership change).
func (db *DB) createConversationTx(ctx context.Context, tx *sql.Tx, c chat.Conversation, members []chat.Membership, first chat.NewMessage) (chat.Message, error) {
	_, err := tx.ExecContext(ctx, `INSERT INTO conversations (id, kind, title, owner_id, mute_all, direct_key, member_count, last_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Kind, c.Title, c.OwnerID, b2i(c.MuteAll), directKey(c, members),
		len(members), micros(c.CreatedAt), micros(c.CreatedAt))
	if isUnique(err) {
		return chat.Message{}, tack.Errorf(tack.EConflict, "that direct chat exists")
	} else if err != nil {
		return chat.Message{}, fmt.Errorf("insert conversation: %w", err)
	}
	for _, m := range members {
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (conversation_id, user_id, role, read_seq, joined_seq, joined_at)
			VALUES (?, ?, ?, 1, 1, ?)`, c.ID, m.UserID, m.Role, micros(m.JoinedAt)); err != nil {
			return chat.Message{}, fmt.Errorf("insert member: %w", err)
		}
	}
	a, err := db.appendTx(ctx, tx, first)
	return a.Message, err
}

// DirectBetween finds the direct chat of a and b.
func (db *DB) DirectBetween(ctx context.Context, a, b tack.ID) (tack.ID, error) {
	if a > b {
		a, b = b, a
	}
	var id tack.ID
	err := db.rqueryRow(ctx, `SELECT id FROM conversations WHERE direct_key = ?`, string(a)+":"+string(b)).Scan(&id)
	return id, notFound(err)
}

const convCols = `c.id, c.kind, c.title, c.owner_id, c.mute_all, c.created_at, c.last_seq, c.last_mod, c.member_count, c.direct_key`

func scanConv(sc interface{ Scan(...any) error }, extra ...any) (chat.Conversation, sql.NullString, error) {
	var c chat.Conversation
	var created int64
	var mute int
	var dk sql.NullString
	err := sc.Scan(append([]any{&c.ID, &c.Kind, &c.Title, &c.OwnerID, &mute, &created, &c.LastSeq, &c.LastMod, &c.MemberCount, &dk}, extra...)...)
	c.MuteAll = mute != 0
	c.CreatedAt = fromMicros(created)
	return c, dk, notFound(err)
}

// Conversation returns one conversation (shared fields only).
func (db *DB) Conversation(ctx context.Context, id tack.ID) (chat.Conversation, error) {
	c, _, err := scanConv(db.rqueryRow(ctx, `SELECT `+convCols+` FROM conversations c WHERE c.id = ?`, id))
	return c, err
}

// ConversationsOf lists a user's conversations with the caller view. Lists
// asked for at the same moment are read together (coalesce.go).
func (db *DB) ConversationsOf(ctx context.Context, userID tack.ID) ([]chat.Conversation, error) {
	return db.lists.get(ctx, userID)
}

// ConversationMods maps a user's conversations to their LastMod. Maps asked
// for at the same moment are read together (coalesce.go).
func (db *DB) ConversationMods(ctx context.Context, userID tack.ID) (map[tack.ID]int64, error) {
	return db.mods.get(ctx, userID)
}

// listCols are each membership's conversation and last message, for
// ConversationsOf.
const listCols = convCols + `, m.role, m.read_seq, m.muted,
		COALESCE(g.conversation_id, ''), COALESCE(g.seq, 0), COALESCE(g.mod, 0), g.client_id, COALESCE(g.sender_id, ''),
		COALESCE(g.kind, ''), COALESCE(g.text, ''), g.mentions, COALESCE(g.mention_all, 0), COALESCE(g.reply_to, 0),
		g.system, COALESCE(g.created_at, 0), g.edited_at, g.recalled_by, g.attachments,
		COALESCE(g.burn_after_s, 0), g.burns_at, g.revealed_at, COALESCE(g.burned, 0)`

// listJoin joins a membership m to its conversation c and last message g.
const listJoin = `JOIN conversations c ON c.id = m.conversation_id
		LEFT JOIN messages g ON g.conversation_id = c.id AND g.seq = c.last_seq`

func (db *DB) conversationsOf(ctx context.Context, userID tack.ID) ([]chat.Conversation, error) {
	// One query: each membership with its conversation and last message.
	rows, err := db.rquery(ctx, `SELECT `+listCols+`, m.user_id FROM members m `+listJoin+`
		WHERE m.user_id = ? ORDER BY c.last_at DESC, c.id`, userID)
	if err != nil {
		return nil, err
	}
	lists, err := scanLists(rows, userID)
	return lists[userID], err
}

// conversationsOfMany is conversationsOf for several users at once.
func (db *DB) conversationsOfMany(ctx context.Context, users []tack.ID) (map[tack.ID][]chat.Conversation, error) {
	ids, err := json.Marshal(users)
	if err != nil {
		return nil, err
	}
	rows, err := db.rquery(ctx, `SELECT `+listCols+`, m.user_id FROM json_each(?) u
		CROSS JOIN members m ON m.user_id = u.value `+listJoin+`
		ORDER BY m.user_id, c.last_at DESC, c.id`, string(ids))
	if err != nil {
		return nil, err
	}
	return scanLists(rows, users...)
}

// scanLists reads the rows of conversationsOf or conversationsOfMany (in
// each user's order), and has a list for each of users, empty if none.
func scanLists(rows *sql.Rows, users ...tack.ID) (map[tack.ID][]chat.Conversation, error) {
	defer rows.Close()
	out := make(map[tack.ID][]chat.Conversation, len(users))
	for _, u := range users {
		out[u] = []chat.Conversation{}
	}
	for rows.Next() {
		var user tack.ID
		var role string
		var read int64
		var muted int
		var x msgScan
		c, dk, err := scanConv(rows, append(append([]any{&role, &read, &muted}, x.dest()...), &user)...)
		if err != nil {
			return nil, err
		}
		c.Role, c.ReadSeq, c.Muted = role, read, muted != 0
		c.Unread = max(c.LastSeq-read, 0)
		if dk.Valid {
			a, b, _ := strings.Cut(dk.String, ":")
			b, _, _ = strings.Cut(b, ":") // secret chats: "a:b:secret"
			c.Peer = tack.ID(a)
			if c.Peer == user {
				c.Peer = tack.ID(b)
			}
		}
		if x.m.Seq > 0 {
			last, err := x.message()
			if err != nil {
				return nil, err
			}
			c.LastMessage = &last
		}
		out[user] = append(out[user], c)
	}
	return out, rows.Err()
}

func cloneList(l []chat.Conversation) []chat.Conversation {
	l = slices.Clone(l)
	for i := range l {
		if m := l[i].LastMessage; m != nil {
			cp := *m
			l[i].LastMessage = &cp
		}
	}
	return l
}

func (db *DB) conversationMods(ctx context.Context, userID tack.ID) (map[tack.ID]int64, error) {
	rows, err := db.rquery(ctx, `SELECT m.user_id, c.id, c.last_mod FROM members m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = ?`, userID)
	if err != nil {
		return nil, err
	}
	mods, err := scanMods(rows, userID)
	return mods[userID], err
}

// conversationModsMany is conversationMods for several users at once.
func (db *DB) conversationModsMany(ctx context.Context, users []tack.ID) (map[tack.ID]map[tack.ID]int64, error) {
	ids, err := json.Marshal(users)
	if err != nil {
		return nil, err
	}
	rows, err := db.rquery(ctx, `SELECT m.user_id, c.id, c.last_mod FROM json_each(?) u
		CROSS JOIN members m ON m.user_id = u.value JOIN conversations c ON c.id = m.conversation_id`, string(ids))
	if err != nil {
		return nil, err
	}
	return scanMods(rows, users...)
}

// scanMods reads the rows of conversationMods or conversationModsMany, as
// scanLists does.
func scanMods(rows *sql.Rows, users ...tack.ID) (map[tack.ID]map[tack.ID]int64, error) {
	defer rows.Close()
	out := make(map[tack.ID]map[tack.ID]int64, len(users))
	for _, u := range users {
		out[u] = map[tack.ID]int64{}
	}
	for rows.Next() {
		var user, id tack.ID
		var mod int64
		if err := rows.Scan(&user, &id, &mod); err != nil {
			return nil, err
		}
		out[user][id] = mod
	}
	return out, rows.Err()
}

func scanMembership(sc interface{ Scan(...any) error }) (chat.Membership, error) {
	var m chat.Membership
	var at int64
	var muted int
	err := sc.Scan(&m.ConversationID, &m.UserID, &m.Role, &m.ReadSeq, &m.JoinedSeq, &at, &muted)
	m.JoinedAt = fromMicros(at)
	m.Muted = muted != 0
	return m, notFound(err)
}

// SetMuted sets a member's own notification mute.
func (db *DB) SetMuted(ctx context.Context, convID, userID tack.ID, muted bool) error {
	res, err := db.exec(ctx, `UPDATE members SET muted = ? WHERE conversation_id = ? AND user_id = ?`, b2i(muted), convID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// Membership returns one membership.
func (db *DB) Membership(ctx context.Context, convID, userID tack.ID) (chat.Membership, error) {
	return scanMembership(db.membership.QueryRowContext(ctx, convID, userID))
}

// Memberships lists a conversation's members by join order.
func (db *DB) Memberships(ctx context.Context, convID tack.ID) ([]chat.Membership, error) {
	rows, err := db.rquery(ctx, `SELECT conversation_id, user_id, role, read_seq, joined_seq, joined_at, muted
		FROM members WHERE conversation_id = ? ORDER BY joined_seq, user_id`, convID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []chat.Membership{}
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MembersAmong returns which of ids are members.
func (db *DB) MembersAmong(ctx context.Context, convID tack.ID, ids []tack.ID) ([]tack.ID, error) {
	var out []tack.ID
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := []any{convID}
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		ids = ids[n:]
		rows, err := db.rquery(ctx, `SELECT user_id FROM members WHERE conversation_id = ? AND user_id IN (`+placeholders(n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id tack.ID
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, id)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ApplyChange applies ch with its system message in one transaction.
func (db *DB) ApplyChange(ctx context.Context, ch chat.Change) (chat.Message, error) {
	var msg chat.Message
	err := db.tx(ctx, func(tx *sql.Tx) (err error) {
		msg, err = db.applyChangeTx(ctx, tx, ch)
		return err
	})
	return msg, err
}

// applyChangeTx is ApplyChange inside tx.
func (db *DB) applyChangeTx(ctx context.Context, tx *sql.Tx, ch chat.Change) (chat.Message, error) {
	a, err := db.appendTx(ctx, tx, ch.System)
	if err != nil {
		return chat.Message{}, err
	}
	msg := a.Message
	for _, m := range ch.Add {
		if _, err := tx.ExecContext(ctx, `INSERT INTO members (conversation_id, user_id, role, read_seq, joined_seq, joined_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, ch.ConversationID, m.UserID, m.Role, msg.Seq, msg.Seq, micros(m.JoinedAt)); err != nil {
			return chat.Message{}, fmt.Errorf("add member: %w", err)
		}
	}
	for _, u := range ch.Remove {
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE conversation_id = ? AND user_id = ?`, ch.ConversationID, u); err != nil {
			return chat.Message{}, fmt.Errorf("remove member: %w", err)
		}
	}
	roles := make([]tack.ID, 0, len(ch.Roles))
	for u := range ch.Roles {
		roles = append(roles, u)
	}
	slices.Sort(roles)
	for _, u := range roles {
		if _, err := tx.ExecContext(ctx, `UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?`, ch.Roles[u], ch.ConversationID, u); err != nil {
			return chat.Message{}, fmt.Errorf("set role: %w", err)
		}
	}
	if ch.OwnerID != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET owner_id = ? WHERE id = ?`, ch.OwnerID, ch.ConversationID); err != nil {
			return chat.Message{}, err
		}
	}
	if ch.Title != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET title = ? WHERE id = ?`, *ch.Title, ch.ConversationID); err != nil {
			return chat.Message{}, err
		}
	}
	if ch.MuteAll != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET mute_all = ? WHERE id = ?`, b2i(*ch.MuteAll), ch.ConversationID); err != nil {
			return chat.Message{}, err
		}
	}
	if len(ch.Add)+len(ch.Remove) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET member_count = (SELECT count(*) FROM members WHERE conversation_id = ?) WHERE id = ?`,
			ch.ConversationID, ch.ConversationID); err != nil {
			return chat.Message{}, err
		}
	}
	return msg, nil
}

// Message returns one message.
func (db *DB) Message(ctx context.Context, convID tack.ID, seq int64) (chat.Message, error) {
	return scanMessage(db.rqueryRow(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq = ?`, convID, seq))
}

// Messages returns a page of messages in ascending seq.
func (db *DB) Messages(ctx context.Context, convID tack.ID, after, before int64, limit int) ([]chat.Message, error) {
	if before > 0 {
		ms, err := scanMessages(db.rquery(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq < ?
			ORDER BY seq DESC LIMIT ?`, convID, before, limit))
		slices.Reverse(ms)
		return ms, err
	}
	return scanMessages(db.rquery(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq > ?
		ORDER BY seq LIMIT ?`, convID, after, limit))
}

// MessagesSince returns messages changed after mod, by mod.
func (db *DB) MessagesSince(ctx context.Context, convID tack.ID, mod int64, limit int) ([]chat.Message, error) {
	return scanMessages(db.rquery(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND mod > ?
		ORDER BY mod LIMIT ?`, convID, mod, limit))
}

// MessagesBySeq returns the messages among seqs.
func (db *DB) MessagesBySeq(ctx context.Context, convID tack.ID, seqs []int64) ([]chat.Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	var out []chat.Message
	for len(seqs) > 0 {
		n := min(len(seqs), 500)
		args := []any{convID}
		for _, s := range seqs[:n] {
			args = append(args, s)
		}
		seqs = seqs[n:]
		ms, err := scanMessages(db.rquery(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq IN (`+placeholders(n)+`)`, args...))
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

func (db *DB) bumpMod(ctx context.Context, tx *sql.Tx, convID tack.ID) (int64, error) {
	var mod int64
	err := tx.QueryRowContext(ctx, `UPDATE conversations SET last_mod = last_mod + 1 WHERE id = ? RETURNING last_mod`, convID).Scan(&mod)
	return mod, notFound(err)
}

// EditMessage replaces a message's text.
func (db *DB) EditMessage(ctx context.Context, convID tack.ID, seq int64, text string, mentions []tack.ID, mentionAll bool, at time.Time) (chat.Message, error) {
	var m chat.Message
	err := db.tx(ctx, func(tx *sql.Tx) error {
		mod, err := db.bumpMod(ctx, tx, convID)
		if err != nil {
			return err
		}
		m, err = scanMessage(tx.QueryRowContext(ctx, `UPDATE messages SET text = ?, mentions = ?, mention_all = ?, edited_at = ?, mod = ?
			WHERE conversation_id = ? AND seq = ? RETURNING `+msgCols, text, nullJSON(mentions, len(mentions) == 0), b2i(mentionAll),
			micros(at), mod, convID, seq))
		return err
	})
	return m, err
}

// RecallMessage erases a message's content: the row's text at once
// (secure_delete zeroes the old bytes), the WAL's copies soon (Scrub).
func (db *DB) RecallMessage(ctx context.Context, convID tack.ID, seq int64, by tack.ID) (chat.Message, error) {
	var m chat.Message
	err := db.tx(ctx, func(tx *sql.Tx) error {
		mod, err := db.bumpMod(ctx, tx, convID)
		if err != nil {
			return err
		}
		m, err = scanMessage(tx.QueryRowContext(ctx, `UPDATE messages SET text = '', mentions = NULL, mention_all = 0, attachments = NULL, recalled_by = ?, mod = ?
			WHERE conversation_id = ? AND seq = ? RETURNING `+msgCols, by, mod, convID, seq))
		if err != nil {
			return err
		}
		// The files it carried are no longer reachable through it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM media_refs WHERE conversation_id = ? AND seq = ?`, convID, seq); err != nil {
			return fmt.Errorf("drop file references: %w", err)
		}
		return nil
	})
	if err == nil {
		db.Scrub() // the old text is still in the WAL: empty it soon
	}
	return m, err
}

// SetReadSeq moves a read position forward.
func (db *DB) SetReadSeq(ctx context.Context, convID, userID tack.ID, seq int64) (prev, now int64, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var last int64
		err := tx.QueryRowContext(ctx, `SELECT m.read_seq, c.last_seq FROM members m JOIN conversations c ON c.id = m.conversation_id
			WHERE m.conversation_id = ? AND m.user_id = ?`, convID, userID).Scan(&prev, &last)
		if err != nil {
			return notFound(err)
		}
		now = max(prev, min(seq, last))
		if now == prev {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE members SET read_seq = ? WHERE conversation_id = ? AND user_id = ?`, now, convID, userID)
		return err
	})
	return prev, now, err
}

// SetReadSeqs applies several read moves in one transaction.
func (db *DB) SetReadSeqs(ctx context.Context, moves []chat.ReadMove) ([]chat.ReadMoved, error) {
	out := make([]chat.ReadMoved, len(moves))
	err := db.tx(ctx, func(tx *sql.Tx) error {
		get := tx.StmtContext(ctx, db.readPosLast)
		set := tx.StmtContext(ctx, db.setRead)
		for i, mv := range moves {
			var prev, last int64
			err := get.QueryRowContext(ctx, mv.ConversationID, mv.UserID).Scan(&prev, &last)
			if err == sql.ErrNoRows {
				continue
			} else if err != nil {
				return err
			}
			now := max(prev, min(mv.Seq, last))
			out[i] = chat.ReadMoved{Found: true, Prev: prev, Now: now}
			if now > prev {
				if _, err := set.ExecContext(ctx, now, mv.ConversationID, mv.UserID); err != nil {
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
	rows, err := db.rquery(ctx, `SELECT user_id, read_seq, joined_seq FROM members WHERE conversation_id = ? AND read_seq < ?`, convID, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chat.Position
	for rows.Next() {
		var p chat.Position
		if err := rows.Scan(&p.UserID, &p.ReadSeq, &p.JoinedSeq); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SendersBetween returns who sent messages in (from, to].
func (db *DB) SendersBetween(ctx context.Context, convID tack.ID, from, to int64) ([]tack.ID, error) {
	rows, err := db.rquery(ctx, `SELECT DISTINCT sender_id FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND kind = 'text'`, convID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tack.ID
	for rows.Next() {
		var id tack.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// Secret chats' storage. Burning overwrites the text in place with
// secure_delete on (SQLite zeroes the freed bytes of the page), and Scrub
// then empties the WAL, which still holds the old page, with a truncating
// checkpoint: the text is then in none of tack.db, tack.db-wal, tack.db-shm.

func setBurn(m *chat.Message, nm chat.NewMessage) {
	if nm.BurnAfterS > 0 {
		m.BurnAfterS = nm.BurnAfterS
		t := nm.BurnsAt.UTC()
		m.BurnsAt = &t
	}
}

func burnsAt(m chat.Message) any {
	if m.BurnsAt == nil {
		return nil
	}
	return micros(*m.BurnsAt)
}

// SecretBetween finds the secret chat of a and b.
func (db *DB) SecretBetween(ctx context.Context, a, b tack.ID) (tack.ID, error) {
	if a > b {
		a, b = b, a
	}
	var id tack.ID
	err := db.rqueryRow(ctx, `SELECT id FROM conversations WHERE direct_key = ?`, string(a)+":"+string(b)+":secret").Scan(&id)
	return id, notFound(err)
}

// RevealMessage marks a secret message revealed.
func (db *DB) RevealMessage(ctx context.Context, convID tack.ID, seq int64, at, burns time.Time) (chat.Message, bool, error) {
	var m chat.Message
	changed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq = ?`, convID, seq))
		if err != nil || m.RevealedAt != nil || m.Burned || m.BurnAfterS == 0 {
			return err
		}
		mod, err := db.bumpMod(ctx, tx, convID)
		if err != nil {
			return err
		}
		m, err = scanMessage(tx.QueryRowContext(ctx, `UPDATE messages SET revealed_at = ?, burns_at = min(COALESCE(burns_at, ?), ?), mod = ?
			WHERE conversation_id = ? AND seq = ? RETURNING `+msgCols, micros(at), micros(burns), micros(burns), mod, convID, seq))
		changed = err == nil
		return err
	})
	return m, changed, err
}

// BurnMessage erases a secret message's text and files (burnFiles).
func (db *DB) BurnMessage(ctx context.Context, convID tack.ID, seq int64) (chat.Message, bool, error) {
	var m chat.Message
	changed := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = ? AND seq = ?`, convID, seq))
		if err != nil || m.Burned {
			return err
		}
		mod, err := db.bumpMod(ctx, tx, convID)
		if err != nil {
			return err
		}
		if err := burnFiles(ctx, tx, convID, seq); err != nil {
			return err
		}
		m, err = scanMessage(tx.QueryRowContext(ctx, `UPDATE messages SET text = '', mentions = NULL, mention_all = 0, attachments = NULL, burned = 1, mod = ?
			WHERE conversation_id = ? AND seq = ? RETURNING `+msgCols, mod, convID, seq))
		changed = err == nil
		return err
	})
	if changed {
		db.Scrub() // the old text is still in the WAL: empty it soon
	}
	return m, changed, err
}

// DueBurns lists secret messages whose burn time has come.
func (db *DB) DueBurns(ctx context.Context, now time.Time, limit int) ([]chat.MessageRef, error) {
	rows, err := db.rquery(ctx, `SELECT conversation_id, seq FROM messages WHERE burns_at IS NOT NULL AND burned = 0 AND burns_at <= ?
		ORDER BY burns_at LIMIT ?`, micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []chat.MessageRef
	for rows.Next() {
		var r chat.MessageRef
		if err := rows.Scan(&r.ConversationID, &r.Seq); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

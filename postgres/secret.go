package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// Secret chats' storage. Burning overwrites the text: PostgreSQL keeps the
// old row version (and its TOAST chunks, for long texts) as a dead tuple
// until VACUUM (autovacuum, or the next manual one) reclaims its space;
// even then the bytes may stay in free space of the data files and in WAL
// segments until overwritten or recycled. docs/secret.md says so.

func setBurn(m *chat.Message, nm chat.NewMessage) {
	if nm.BurnAfterS > 0 {
		m.BurnAfterS = nm.BurnAfterS
		t := nm.BurnsAt.UTC().Truncate(time.Microsecond)
		m.BurnsAt = &t
	}
}

// SecretBetween finds the secret chat of a and b.
func (db *DB) SecretBetween(ctx context.Context, a, b tack.ID) (tack.ID, error) {
	if a > b {
		a, b = b, a
	}
	var id tack.ID
	err := db.pool.QueryRow(ctx, `SELECT id FROM conversations WHERE direct_key = $1`, string(a)+":"+string(b)+":secret").Scan(&id)
	return id, notFound(err)
}

// lockedMessage reads a message and locks its row for the transaction.
func lockedMessage(ctx context.Context, tx pgx.Tx, convID tack.ID, seq int64) (chat.Message, error) {
	return scanMessage(tx.QueryRow(ctx, `SELECT `+msgCols+` FROM messages WHERE conversation_id = $1 AND seq = $2 FOR UPDATE`, convID, seq))
}

func nextMod(ctx context.Context, tx pgx.Tx, convID tack.ID) (int64, error) {
	var mod int64
	err := tx.QueryRow(ctx, `UPDATE conversations SET last_mod = last_mod + 1 WHERE id = $1 RETURNING last_mod`, convID).Scan(&mod)
	return mod, notFound(err)
}

// RevealMessage marks a secret message revealed.
func (db *DB) RevealMessage(ctx context.Context, convID tack.ID, seq int64, at, burns time.Time) (chat.Message, bool, error) {
	var m chat.Message
	changed := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		changed = false
		var err error
		if m, err = lockedMessage(ctx, tx, convID, seq); err != nil || m.RevealedAt != nil || m.Burned || m.BurnAfterS == 0 {
			return err
		}
		mod, err := nextMod(ctx, tx, convID)
		if err != nil {
			return err
		}
		m, err = scanMessage(tx.QueryRow(ctx, `UPDATE messages SET revealed_at = $3, burns_at = LEAST(COALESCE(burns_at, $4), $4), mod = $5
			WHERE conversation_id = $1 AND seq = $2 RETURNING `+msgCols, convID, seq, at, burns, mod))
		changed = err == nil
		return err
	})
	return m, changed, err
}

// BurnMessage erases a secret message's text and files (burnFiles).
func (db *DB) BurnMessage(ctx context.Context, convID tack.ID, seq int64) (chat.Message, bool, error) {
	var m chat.Message
	changed := false
	err := db.tx(ctx, func(tx pgx.Tx) error {
		changed = false
		var err error
		if m, err = lockedMessage(ctx, tx, convID, seq); err != nil || m.Burned {
			return err
		}
		mod, err := nextMod(ctx, tx, convID)
		if err != nil {
			return err
		}
		if err := burnFiles(ctx, tx, convID, seq); err != nil {
			return err
		}
		m, err = scanMessage(tx.QueryRow(ctx, `UPDATE messages SET text = '', mentions = NULL, mention_all = false, attachments = NULL, burned = true, mod = $3
			WHERE conversation_id = $1 AND seq = $2 RETURNING `+msgCols, convID, seq, mod))
		changed = err == nil
		return err
	})
	return m, changed, err
}

// DueBurns lists secret messages whose burn time has come.
func (db *DB) DueBurns(ctx context.Context, now time.Time, limit int) ([]chat.MessageRef, error) {
	rows, err := db.pool.Query(ctx, `SELECT conversation_id, seq FROM messages WHERE burns_at IS NOT NULL AND NOT burned AND burns_at <= $1
		ORDER BY burns_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (chat.MessageRef, error) {
		var x chat.MessageRef
		err := r.Scan(&x.ConversationID, &x.Seq)
		return x, err
	})
}

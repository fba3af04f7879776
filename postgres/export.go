package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/export"
	"github.com/tackhq/tack/org"
)

// Exports returns the store of package export.
func (db *DB) Exports() export.Store { return exportStore{db} }

type exportStore struct{ db *DB }

func (s exportStore) RecordExport(ctx context.Context, r export.Record, a *org.Audit) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO exports (id, user_id, org_id, kind, at) VALUES ($1, $2, $3, $4, $5)`,
			r.ID, r.UserID, r.OrgID, r.Kind, r.At); err != nil {
			return fmt.Errorf("insert export: %w", err)
		}
		return insertAudit(ctx, tx, a)
	})
}

// insertAudit writes an organisation audit entry (nil: none).
func insertAudit(ctx context.Context, tx pgx.Tx, a *org.Audit) error {
	if a == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO org_audit (id, org_id, actor_id, action, target, before, after, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonOrNil(a.Before), jsonOrNil(a.After), a.At)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func (s exportStore) Exports(ctx context.Context, userID, orgID tack.ID, limit int) ([]export.Record, error) {
	q, arg := `SELECT id, user_id, org_id, kind, at FROM exports WHERE user_id = $1 AND org_id = '' ORDER BY id DESC LIMIT $2`, userID
	if orgID != "" {
		q, arg = `SELECT id, user_id, org_id, kind, at FROM exports WHERE org_id = $1 ORDER BY id DESC LIMIT $2`, orgID
	}
	rows, err := s.db.pool.Query(ctx, q, arg, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (export.Record, error) {
		var x export.Record
		err := r.Scan(&x.ID, &x.UserID, &x.OrgID, &x.Kind, &x.At)
		x.At = utc(x.At)
		return x, err
	})
}

func (s exportStore) SentMessages(ctx context.Context, userID tack.ID, after string, limit int) ([]export.Message, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT m.conversation_id, c.kind, c.title, m.seq, m.client_id, m.kind, m.text, m.reply_to, m.attachments,
			m.created_at, m.edited_at, m.recalled_by IS NOT NULL
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.sender_id = $1 AND m.client_id IS NOT NULL AND m.client_id > $2 AND c.kind <> 'secret'
		ORDER BY m.client_id LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (export.Message, error) {
		var m export.Message
		var att []byte
		var edited *time.Time
		if err := r.Scan(&m.ConversationID, &m.ConversationKind, &m.ConversationTitle, &m.Seq, &m.ClientID, &m.Kind, &m.Text,
			&m.ReplyTo, &att, &m.CreatedAt, &edited, &m.Recalled); err != nil {
			return m, err
		}
		if len(att) > 0 && string(att) != "null" {
			m.Attachments = json.RawMessage(att)
		}
		m.CreatedAt = utc(m.CreatedAt)
		if edited != nil {
			t := utc(*edited)
			m.EditedAt = &t
		}
		if m.Recalled {
			m.Text, m.Attachments = "", nil
		}
		return m, nil
	})
}

func (s exportStore) UploadedFiles(ctx context.Context, userID, after tack.ID, limit int) ([]tack.ID, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT id FROM media_files WHERE uploader_id = $1 AND id > $2 ORDER BY id LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[tack.ID])
}

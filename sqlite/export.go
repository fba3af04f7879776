package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/export"
	"github.com/tackhq/tack/org"
)

// Exports returns the store of package export.
func (db *DB) Exports() export.Store { return exportStore{db} }

type exportStore struct{ db *DB }

func (s exportStore) RecordExport(ctx context.Context, r export.Record, a *org.Audit) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO exports (id, user_id, org_id, kind, at) VALUES (?, ?, ?, ?, ?)`,
			r.ID, r.UserID, r.OrgID, r.Kind, micros(r.At)); err != nil {
			return fmt.Errorf("insert export: %w", err)
		}
		return insertAudit(ctx, tx, a)
	})
}

// insertAudit writes an organisation audit entry (nil: none).
func insertAudit(ctx context.Context, tx *sql.Tx, a *org.Audit) error {
	if a == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO org_audit (id, org_id, actor_id, action, target, before, after, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.OrgID, a.ActorID, a.Action, a.Target, nullJSONValue(a.Before), nullJSONValue(a.After), micros(a.At))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func (s exportStore) Exports(ctx context.Context, userID, orgID tack.ID, limit int) ([]export.Record, error) {
	q, arg := `SELECT id, user_id, org_id, kind, at FROM exports WHERE user_id = ? AND org_id = '' ORDER BY id DESC LIMIT ?`, userID
	if orgID != "" {
		q, arg = `SELECT id, user_id, org_id, kind, at FROM exports WHERE org_id = ? ORDER BY id DESC LIMIT ?`, orgID
	}
	rows, err := s.db.rquery(ctx, q, arg, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []export.Record
	for rows.Next() {
		var r export.Record
		var at int64
		if err := rows.Scan(&r.ID, &r.UserID, &r.OrgID, &r.Kind, &at); err != nil {
			return nil, err
		}
		r.At = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s exportStore) SentMessages(ctx context.Context, userID tack.ID, after string, limit int) ([]export.Message, error) {
	rows, err := s.db.rquery(ctx, `SELECT m.conversation_id, c.kind, c.title, m.seq, m.client_id, m.kind, m.text, m.reply_to, m.attachments,
			m.created_at, m.edited_at, m.recalled_by IS NOT NULL
		FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE m.sender_id = ? AND m.client_id IS NOT NULL AND m.client_id > ? AND c.kind <> 'secret'
		ORDER BY m.client_id LIMIT ?`, userID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []export.Message
	for rows.Next() {
		var m export.Message
		var att sql.NullString
		var at int64
		var edited sql.NullInt64
		if err := rows.Scan(&m.ConversationID, &m.ConversationKind, &m.ConversationTitle, &m.Seq, &m.ClientID, &m.Kind, &m.Text,
			&m.ReplyTo, &att, &at, &edited, &m.Recalled); err != nil {
			return nil, err
		}
		if att.Valid && att.String != "" && att.String != "null" {
			m.Attachments = json.RawMessage(att.String)
		}
		m.CreatedAt = fromMicros(at)
		if edited.Valid {
			t := fromMicros(edited.Int64)
			m.EditedAt = &t
		}
		if m.Recalled {
			m.Text, m.Attachments = "", nil
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s exportStore) UploadedFiles(ctx context.Context, userID, after tack.ID, limit int) ([]tack.ID, error) {
	rows, err := s.db.rquery(ctx, `SELECT id FROM media_files WHERE uploader_id = ? AND id > ? ORDER BY id LIMIT ?`, userID, after, limit)
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

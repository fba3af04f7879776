package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/leave"
)

// This file implements leave.Store, as a view of the database of its own.

// leaveStore is the leave store of a DB.
type leaveStore struct{ db *DB }

// Leave returns the leave store of db.
func (db *DB) Leave() leave.Store { return leaveStore{db} }

var _ leave.Store = leaveStore{}

var errLeaveConflict = tack.Errorf(tack.EConflict, "the balance changed meanwhile, or the change was made already")

// Types lists the organisation's stored leave types.
func (st leaveStore) Types(ctx context.Context, orgID tack.ID) ([]leave.Type, error) {
	rows, err := st.db.rquery(ctx, `SELECT body, version FROM leave_types WHERE org_id = ? ORDER BY key`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []leave.Type{}
	for rows.Next() {
		var body string
		var v int
		if err := rows.Scan(&body, &v); err != nil {
			return nil, err
		}
		var t leave.Type
		if err := json.Unmarshal([]byte(body), &t); err != nil {
			return nil, fmt.Errorf("leave type: %w", err)
		}
		t.Version = v
		out = append(out, t)
	}
	return out, rows.Err()
}

const balanceCols = `org_id, user_id, leave_type, balance, carried, carry_expires, through, rev, updated_at`

func scanBalance(sc scanner) (leave.Balance, error) {
	var b leave.Balance
	var bal, carried, at int64
	if err := sc.Scan(&b.OrgID, &b.UserID, &b.LeaveType, &bal, &carried, &b.CarryExpires, &b.Through, &b.Rev, &at); err != nil {
		return b, notFound(err)
	}
	b.Balance, b.Carried, b.UpdatedAt = leave.Amount(bal), leave.Amount(carried), fromMicros(at)
	return b, nil
}

// Balance returns one balance.
func (st leaveStore) Balance(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Balance, error) {
	return scanBalance(st.db.rqueryRow(ctx, `SELECT `+balanceCols+` FROM leave_balances WHERE org_id = ? AND user_id = ? AND leave_type = ?`,
		orgID, userID, leaveType))
}

// Balances lists a user's balances in an organisation.
func (st leaveStore) Balances(ctx context.Context, orgID, userID tack.ID) ([]leave.Balance, error) {
	rows, err := st.db.rquery(ctx, `SELECT `+balanceCols+` FROM leave_balances WHERE org_id = ? AND user_id = ? ORDER BY leave_type`, orgID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []leave.Balance{}
	for rows.Next() {
		b, err := scanBalance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Ledger lists ledger lines, newest first.
func (st leaveStore) Ledger(ctx context.Context, orgID, userID tack.ID, leaveType string, before tack.ID, limit int) ([]leave.Line, error) {
	q := `SELECT id, org_id, user_id, leave_type, kind, delta, balance, key, approval_id, actor_id, reason, at FROM leave_ledger
		WHERE org_id = ? AND user_id = ?`
	args := []any{orgID, userID}
	if leaveType != "" {
		q += ` AND leave_type = ?`
		args = append(args, leaveType)
	}
	if before != "" {
		q += ` AND id < ?`
		args = append(args, before)
	}
	rows, err := st.db.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []leave.Line{}
	for rows.Next() {
		var l leave.Line
		var delta, bal, at int64
		if err := rows.Scan(&l.ID, &l.OrgID, &l.UserID, &l.LeaveType, &l.Kind, &delta, &bal, &l.Key, &l.ApprovalID, &l.ActorID, &l.Reason, &at); err != nil {
			return nil, err
		}
		l.Delta, l.Balance, l.At = leave.Amount(delta), leave.Amount(bal), fromMicros(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

// ApplyLeave writes b in one transaction.
func (st leaveStore) ApplyLeave(ctx context.Context, b leave.Batch) error {
	return st.db.tx(ctx, func(tx *sql.Tx) error { return applyLeave(ctx, tx, b) })
}

func applyLeave(ctx context.Context, tx *sql.Tx, b leave.Batch) error {
	for _, w := range b.Types {
		body := jsonText(w.Type)
		if w.PrevVersion == 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO leave_types (org_id, key, body, version) VALUES (?, ?, ?, ?)`,
				w.OrgID, w.Type.Key, body, w.Type.Version); err != nil {
				if isUnique(err) {
					return errLeaveConflict
				}
				return err
			}
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE leave_types SET body = ?, version = ? WHERE org_id = ? AND key = ? AND version = ?`,
			body, w.Type.Version, w.OrgID, w.Type.Key, w.PrevVersion)
		if err := affected(res, err, errLeaveConflict); err != nil {
			return err
		}
	}
	for _, w := range b.Writes {
		if err := writeBalance(ctx, tx, w); err != nil {
			return err
		}
	}
	for _, a := range b.Audit {
		if _, err := tx.ExecContext(ctx, `INSERT INTO leave_audit (id, org_id, actor_id, action, target, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonText(a.Detail), micros(a.At)); err != nil {
			return err
		}
	}
	return nil
}

// writeBalance writes one balance (compare-and-set on its revision) and
// its ledger lines; a used ledger key is a conflict.
func writeBalance(ctx context.Context, tx *sql.Tx, w leave.Write) error {
	b := w.Balance
	if w.PrevRev == 0 {
		if _, err := tx.ExecContext(ctx, `INSERT INTO leave_balances (`+balanceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`,
			b.OrgID, b.UserID, b.LeaveType, int64(b.Balance), int64(b.Carried), b.CarryExpires, b.Through, micros(b.UpdatedAt)); err != nil {
			if isUnique(err) {
				return errLeaveConflict
			}
			return err
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE leave_balances SET balance = ?, carried = ?, carry_expires = ?, through = ?, rev = rev + 1, updated_at = ?
			WHERE org_id = ? AND user_id = ? AND leave_type = ? AND rev = ?`,
			int64(b.Balance), int64(b.Carried), b.CarryExpires, b.Through, micros(b.UpdatedAt), b.OrgID, b.UserID, b.LeaveType, w.PrevRev)
		if err := affected(res, err, errLeaveConflict); err != nil {
			return err
		}
	}
	for _, l := range w.Lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO leave_ledger (id, org_id, user_id, leave_type, kind, delta, balance, key, approval_id, actor_id, reason, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.ID, l.OrgID, l.UserID, l.LeaveType, l.Kind, int64(l.Delta), int64(l.Balance), l.Key, l.ApprovalID, l.ActorID, l.Reason, micros(l.At)); err != nil {
			if isUnique(err) {
				return errLeaveConflict
			}
			return err
		}
	}
	return nil
}

// affected turns "no row changed" into conflict.
func affected(res sql.Result, err error, conflict error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return conflict
	}
	return nil
}

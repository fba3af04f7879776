package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

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

func (st leaveStore) Types(ctx context.Context, orgID tack.ID) ([]leave.Type, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT body, version FROM leave_types WHERE org_id = $1 ORDER BY key COLLATE "C"`, orgID)
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

func scanBalance(sc row) (leave.Balance, error) {
	var b leave.Balance
	var bal, carried int64
	var at time.Time
	if err := sc.Scan(&b.OrgID, &b.UserID, &b.LeaveType, &bal, &carried, &b.CarryExpires, &b.Through, &b.Rev, &at); err != nil {
		return b, notFound(err)
	}
	b.Balance, b.Carried, b.UpdatedAt = leave.Amount(bal), leave.Amount(carried), utc(at)
	return b, nil
}

func (st leaveStore) Balance(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Balance, error) {
	return scanBalance(st.db.pool.QueryRow(ctx, `SELECT `+balanceCols+` FROM leave_balances WHERE org_id = $1 AND user_id = $2 AND leave_type = $3`,
		orgID, userID, leaveType))
}

func (st leaveStore) Balances(ctx context.Context, orgID, userID tack.ID) ([]leave.Balance, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT `+balanceCols+` FROM leave_balances WHERE org_id = $1 AND user_id = $2 ORDER BY leave_type COLLATE "C"`, orgID, userID)
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

func (st leaveStore) Ledger(ctx context.Context, orgID, userID tack.ID, leaveType string, before tack.ID, limit int) ([]leave.Line, error) {
	q := `SELECT id, org_id, user_id, leave_type, kind, delta, balance, key, approval_id, actor_id, reason, at FROM leave_ledger
		WHERE org_id = $1 AND user_id = $2 AND ($3 = '' OR leave_type = $3) AND ($4 = '' OR id < $4) ORDER BY id DESC LIMIT $5`
	rows, err := st.db.pool.Query(ctx, q, orgID, userID, leaveType, string(before), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []leave.Line{}
	for rows.Next() {
		var l leave.Line
		var delta, bal int64
		var at time.Time
		if err := rows.Scan(&l.ID, &l.OrgID, &l.UserID, &l.LeaveType, &l.Kind, &delta, &bal, &l.Key, &l.ApprovalID, &l.ActorID, &l.Reason, &at); err != nil {
			return nil, err
		}
		l.Delta, l.Balance, l.At = leave.Amount(delta), leave.Amount(bal), utc(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

func (st leaveStore) ApplyLeave(ctx context.Context, b leave.Batch) error {
	return st.db.tx(ctx, func(tx pgx.Tx) error { return applyLeave(ctx, tx, b) })
}

func applyLeave(ctx context.Context, tx pgx.Tx, b leave.Batch) error {
	for _, w := range b.Types {
		body := jsonString(w.Type)
		if w.PrevVersion == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO leave_types (org_id, key, body, version) VALUES ($1, $2, $3, $4)`,
				w.OrgID, w.Type.Key, body, w.Type.Version); err != nil {
				if isUnique(err, "") {
					return errLeaveConflict
				}
				return err
			}
			continue
		}
		if err := leaveChanged(tx.Exec(ctx, `UPDATE leave_types SET body = $1, version = $2 WHERE org_id = $3 AND key = $4 AND version = $5`,
			body, w.Type.Version, w.OrgID, w.Type.Key, w.PrevVersion)); err != nil {
			return err
		}
	}
	for _, w := range b.Writes {
		if err := writeBalance(ctx, tx, w); err != nil {
			return err
		}
	}
	for _, a := range b.Audit {
		if _, err := tx.Exec(ctx, `INSERT INTO leave_audit (id, org_id, actor_id, action, target, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonString(a.Detail), a.At); err != nil {
			return err
		}
	}
	return nil
}

// changed turns "no row changed" into conflict.
func changed(conflict error) func(pgconn.CommandTag, error) error {
	return func(tag pgconn.CommandTag, err error) error {
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return conflict
		}
		return nil
	}
}

var leaveChanged = changed(errLeaveConflict)

// writeBalance writes one balance (compare-and-set on its revision) and
// its ledger lines; a used ledger key is a conflict.
func writeBalance(ctx context.Context, tx pgx.Tx, w leave.Write) error {
	b := w.Balance
	if w.PrevRev == 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO leave_balances (`+balanceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)`,
			b.OrgID, b.UserID, b.LeaveType, int64(b.Balance), int64(b.Carried), b.CarryExpires, b.Through, b.UpdatedAt); err != nil {
			if isUnique(err, "") {
				return errLeaveConflict
			}
			return err
		}
	} else if err := leaveChanged(tx.Exec(ctx, `UPDATE leave_balances SET balance = $1, carried = $2, carry_expires = $3, through = $4, rev = rev + 1, updated_at = $5
		WHERE org_id = $6 AND user_id = $7 AND leave_type = $8 AND rev = $9`,
		int64(b.Balance), int64(b.Carried), b.CarryExpires, b.Through, b.UpdatedAt, b.OrgID, b.UserID, b.LeaveType, w.PrevRev)); err != nil {
		return err
	}
	for _, l := range w.Lines {
		if _, err := tx.Exec(ctx, `INSERT INTO leave_ledger (id, org_id, user_id, leave_type, kind, delta, balance, key, approval_id, actor_id, reason, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			l.ID, l.OrgID, l.UserID, l.LeaveType, l.Kind, int64(l.Delta), int64(l.Balance), l.Key, l.ApprovalID, l.ActorID, l.Reason, l.At); err != nil {
			if isUnique(err, "") {
				return errLeaveConflict
			}
			return err
		}
	}
	return nil
}

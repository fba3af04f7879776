package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/leave"
)

// This file implements approval.Store, as a view of the database of its
// own. Its batches write leave balances in the same transaction.

// approvalStore is the approvals store of a DB.
type approvalStore struct{ db *DB }

// Approvals returns the approvals store of db.
func (db *DB) Approvals() approval.Store { return approvalStore{db} }

var _ approval.Store = approvalStore{}

var errApprovalConflict = tack.Errorf(tack.EConflict, "the approval changed meanwhile")

func scanTemplate(sc scanner) (approval.Template, error) {
	var t approval.Template
	var body string
	if err := sc.Scan(&body); err != nil {
		return t, notFound(err)
	}
	return t, json.Unmarshal([]byte(body), &t)
}

// Template returns a version of a template (0: the current one).
func (st approvalStore) Template(ctx context.Context, orgID tack.ID, key string, version int) (approval.Template, error) {
	if version == 0 {
		return scanTemplate(st.db.rqueryRow(ctx, `SELECT body FROM approval_templates WHERE org_id = ? AND key = ? AND current = 1`, orgID, key))
	}
	return scanTemplate(st.db.rqueryRow(ctx, `SELECT body FROM approval_templates WHERE org_id = ? AND key = ? AND version = ?`, orgID, key, version))
}

// Templates lists the current versions, by key.
func (st approvalStore) Templates(ctx context.Context, orgID tack.ID) ([]approval.Template, error) {
	rows, err := st.db.rquery(ctx, `SELECT body FROM approval_templates WHERE org_id = ? AND current = 1 ORDER BY key`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []approval.Template{}
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func scanInstance(sc scanner) (approval.Instance, error) {
	var in approval.Instance
	var body string
	var rev int64
	if err := sc.Scan(&body, &rev); err != nil {
		return in, notFound(err)
	}
	if err := json.Unmarshal([]byte(body), &in); err != nil {
		return in, fmt.Errorf("approval body: %w", err)
	}
	in.Rev = rev
	return in, nil
}

// Instance returns one instance.
func (st approvalStore) Instance(ctx context.Context, orgID, id tack.ID) (approval.Instance, error) {
	return scanInstance(st.db.rqueryRow(ctx, `SELECT body, rev FROM approval_instances WHERE id = ? AND org_id = ?`, id, orgID))
}

// Instances returns those of ids that exist in orgID.
func (st approvalStore) Instances(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]approval.Instance, error) {
	out := []approval.Instance{}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		rows, err := st.db.r.QueryContext(ctx, `SELECT body, rev FROM approval_instances WHERE org_id = ? AND id IN (`+placeholders(n)+`)`,
			append([]any{orgID}, anyArgs(ids[:n])...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			in, err := scanInstance(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, in)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

// Tasks lists an instance's tasks, oldest first.
func (st approvalStore) Tasks(ctx context.Context, instanceID tack.ID) ([]approval.Task, error) {
	rows, err := st.db.rquery(ctx, `SELECT body FROM approval_tasks WHERE instance_id = ? ORDER BY created_at, id`, instanceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approval.Task
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var t approval.Task
		if err := json.Unmarshal([]byte(body), &t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Actions lists an instance's actions, oldest first.
func (st approvalStore) Actions(ctx context.Context, instanceID tack.ID) ([]approval.Action, error) {
	rows, err := st.db.rquery(ctx, `SELECT body, key FROM approval_actions WHERE instance_id = ? ORDER BY at, id`, instanceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approval.Action
	for rows.Next() {
		var body string
		var key sql.NullString
		if err := rows.Scan(&body, &key); err != nil {
			return nil, err
		}
		var a approval.Action
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, err
		}
		a.Key, a.InstanceID = key.String, instanceID
		out = append(out, a)
	}
	return out, rows.Err()
}

// Box lists entries of a person's box, newest first.
func (st approvalStore) Box(ctx context.Context, userID, orgID tack.ID, box string, after *approval.Cursor, limit int) ([]approval.Entry, error) {
	var rows *sql.Rows
	var err error
	if after == nil {
		rows, err = st.db.rquery(ctx, `SELECT instance_id, at FROM approval_boxes WHERE user_id = ? AND org_id = ? AND box = ?
			ORDER BY at DESC, instance_id DESC LIMIT ?`, userID, orgID, box, limit)
	} else {
		at := micros(after.At)
		rows, err = st.db.rquery(ctx, `SELECT instance_id, at FROM approval_boxes WHERE user_id = ? AND org_id = ? AND box = ?
			AND (at, instance_id) < (?, ?) ORDER BY at DESC, instance_id DESC LIMIT ?`, userID, orgID, box, at, after.InstanceID, limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []approval.Entry{}
	for rows.Next() {
		e := approval.Entry{UserID: userID, OrgID: orgID, Box: box}
		var at int64
		if err := rows.Scan(&e.InstanceID, &at); err != nil {
			return nil, err
		}
		e.At = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// BoxCount counts a person's box.
func (st approvalStore) BoxCount(ctx context.Context, userID, orgID tack.ID, box string) (int, error) {
	var n int
	err := st.db.rqueryRow(ctx, `SELECT count(*) FROM approval_boxes WHERE user_id = ? AND org_id = ? AND box = ?`, userID, orgID, box).Scan(&n)
	return n, err
}

// PendingLeave sums a user's running leave requests of a type.
func (st approvalStore) PendingLeave(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Amount, error) {
	var n sql.NullInt64
	err := st.db.rqueryRow(ctx, `SELECT sum(amount) FROM approval_instances WHERE org_id = ? AND originator_id = ? AND leave_type = ?
		AND status = 'running' AND kind = 'leave'`, orgID, userID, leaveType).Scan(&n)
	return leave.Amount(n.Int64), err
}

// AwayAt lists the aways of users that hold at t.
func (st approvalStore) AwayAt(ctx context.Context, userIDs []tack.ID, t time.Time) ([]approval.Away, error) {
	out := []approval.Away{}
	all := userIDs == nil
	for all || len(userIDs) > 0 {
		n := min(len(userIDs), 500)
		where := `user_id IN (` + placeholders(n) + `) AND `
		if all {
			where, all = "", false
		}
		args := append(anyArgs(userIDs[:n]), micros(t), micros(t))
		rows, err := st.db.r.QueryContext(ctx, `SELECT instance_id, org_id, user_id, kind, leave_type, start_at, end_at, auto_reply, handover
			FROM approval_away WHERE `+where+`end_at > ? AND start_at <= ? ORDER BY start_at`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var a approval.Away
			var start, end int64
			if err := rows.Scan(&a.InstanceID, &a.OrgID, &a.UserID, &a.Kind, &a.LeaveType, &start, &end, &a.AutoReply, &a.Handover); err != nil {
				rows.Close()
				return nil, err
			}
			a.Start, a.End = fromMicros(start), fromMicros(end)
			out = append(out, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		userIDs = userIDs[n:]
	}
	return out, nil
}

const jobCols = `id, org_id, instance_id, kind, body, due_at, attempts`

func scanJob(sc scanner) (approval.Job, error) {
	var j approval.Job
	var body string
	var due int64
	if err := sc.Scan(&j.ID, &j.OrgID, &j.InstanceID, &j.Kind, &body, &due, &j.Attempts); err != nil {
		return j, notFound(err)
	}
	j.Body, j.DueAt = json.RawMessage(body), fromMicros(due)
	return j, nil
}

// ClaimJobs leases due jobs. The single writer connection makes claims
// of concurrent callers disjoint.
func (st approvalStore) ClaimJobs(ctx context.Context, now, until time.Time, owner string, limit int) ([]approval.Job, error) {
	var out []approval.Job
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE approval_jobs SET lease_until = ?, lease_owner = ? WHERE id IN (
			SELECT id FROM approval_jobs WHERE due_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY due_at LIMIT ?)
			RETURNING `+jobCols, micros(until), owner, micros(now), micros(now), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	return out, err
}

// ClaimJob leases one job if it is not leased.
func (st approvalStore) ClaimJob(ctx context.Context, id tack.ID, now, until time.Time, owner string) (approval.Job, error) {
	var j approval.Job
	err := st.db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = scanJob(tx.QueryRowContext(ctx, `UPDATE approval_jobs SET lease_until = ?, lease_owner = ? WHERE id = ?
			AND (lease_until IS NULL OR lease_until < ?) RETURNING `+jobCols, micros(until), owner, id, micros(now)))
		return err
	})
	return j, err
}

// FinishJob removes a job.
func (st approvalStore) FinishJob(ctx context.Context, id tack.ID) error {
	return st.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM approval_jobs WHERE id = ?`, id)
		return err
	})
}

// RetryJob releases a job to run again at due.
func (st approvalStore) RetryJob(ctx context.Context, id tack.ID, due time.Time) error {
	return st.db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE approval_jobs SET due_at = ?, attempts = attempts + 1, lease_until = NULL, lease_owner = NULL WHERE id = ?`,
			micros(due), id)
		return err
	})
}

// Apply writes b in one transaction.
func (st approvalStore) Apply(ctx context.Context, b approval.Batch) error {
	return st.db.tx(ctx, func(tx *sql.Tx) error {
		if w := b.Template; w != nil {
			t := w.Template
			if w.PrevVersion == 0 {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM approval_templates WHERE org_id = ? AND key = ?`, t.OrgID, t.Key).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return errApprovalConflict
				}
			} else {
				res, err := tx.ExecContext(ctx, `UPDATE approval_templates SET current = 0 WHERE org_id = ? AND key = ? AND version = ? AND current = 1`,
					t.OrgID, t.Key, w.PrevVersion)
				if err := affected(res, err, errApprovalConflict); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_templates (org_id, key, version, id, body, current, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?)`,
				t.OrgID, t.Key, t.Version, t.ID, jsonText(t), micros(t.UpdatedAt)); err != nil {
				if isUnique(err) {
					return errApprovalConflict
				}
				return err
			}
		}
		if w := b.Instance; w != nil {
			in := w.Instance
			lt, amount := "", int64(0)
			if in.Leave != nil && in.Kind == approval.KindLeave {
				lt, amount = in.Leave.Type, int64(in.Leave.Amount)
			}
			if w.PrevRev == 0 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO approval_instances (id, org_id, originator_id, kind, status, leave_type, amount, body, rev, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`, in.ID, in.OrgID, in.OriginatorID, in.Kind, in.Status, lt, amount, jsonText(in),
					micros(in.CreatedAt), micros(in.UpdatedAt)); err != nil {
					if isUnique(err) {
						return errApprovalConflict
					}
					return err
				}
			} else {
				res, err := tx.ExecContext(ctx, `UPDATE approval_instances SET status = ?, body = ?, rev = rev + 1, updated_at = ? WHERE id = ? AND rev = ?`,
					in.Status, jsonText(in), micros(in.UpdatedAt), in.ID, w.PrevRev)
				if err := affected(res, err, errApprovalConflict); err != nil {
					return err
				}
			}
		}
		if len(b.Files) > 0 {
			if b.Instance == nil {
				return fmt.Errorf("approval files without their instance")
			}
			for _, id := range b.Files {
				if _, err := tx.ExecContext(ctx, `INSERT INTO approval_files (instance_id, file_id, org_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
					b.Instance.Instance.ID, id, b.Instance.Instance.OrgID); err != nil {
					if isForeignKey(err) {
						return fmt.Errorf("%w: file %s", tack.ErrNotFound, id)
					}
					return err
				}
			}
		}
		for _, t := range b.Tasks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_tasks (id, instance_id, org_id, approver_id, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body`,
				t.ID, t.InstanceID, t.OrgID, t.ApproverID, t.Status, jsonText(t), micros(t.CreatedAt)); err != nil {
				return err
			}
		}
		for _, a := range b.Actions {
			var key any
			if a.Key != "" {
				key = a.Key
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_actions (id, instance_id, org_id, actor_id, kind, key, body, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				a.ID, a.InstanceID, a.OrgID, a.ActorID, a.Kind, key, jsonText(a), micros(a.At)); err != nil {
				if isUnique(err) {
					return errApprovalConflict
				}
				return err
			}
		}
		for _, e := range b.InboxRemove {
			if _, err := tx.ExecContext(ctx, `DELETE FROM approval_boxes WHERE user_id = ? AND box = ? AND instance_id = ?`, e.UserID, e.Box, e.InstanceID); err != nil {
				return err
			}
		}
		for _, e := range b.Inbox {
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_boxes (user_id, org_id, box, instance_id, at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (user_id, box, instance_id) DO UPDATE SET at = excluded.at`, e.UserID, e.OrgID, e.Box, e.InstanceID, micros(e.At)); err != nil {
				return err
			}
		}
		for _, id := range b.AwayRemove {
			if _, err := tx.ExecContext(ctx, `DELETE FROM approval_away WHERE instance_id = ?`, id); err != nil {
				return err
			}
		}
		for _, a := range b.Away {
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_away (instance_id, org_id, user_id, kind, leave_type, start_at, end_at, auto_reply, handover)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at,
				auto_reply = excluded.auto_reply, handover = excluded.handover`,
				a.InstanceID, a.OrgID, a.UserID, a.Kind, a.LeaveType, micros(a.Start), micros(a.End), a.AutoReply, a.Handover); err != nil {
				return err
			}
		}
		for _, j := range b.Jobs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_jobs (id, org_id, instance_id, kind, body, due_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 0)`,
				j.ID, j.OrgID, j.InstanceID, j.Kind, string(j.Body), micros(j.DueAt)); err != nil {
				return err
			}
		}
		for _, w := range b.Leave {
			if err := writeBalance(ctx, tx, w); err != nil {
				return err
			}
		}
		for _, a := range b.Audit {
			if _, err := tx.ExecContext(ctx, `INSERT INTO approval_audit (id, org_id, actor_id, action, target, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonText(a.Detail), micros(a.At)); err != nil {
				return err
			}
		}
		return nil
	})
}

// FileInstances lists up to limit instances referencing a file.
func (st approvalStore) FileInstances(ctx context.Context, fileID tack.ID, limit int) ([]approval.FileRef, error) {
	rows, err := st.db.rquery(ctx, `SELECT org_id, instance_id FROM approval_files WHERE file_id = ? ORDER BY instance_id LIMIT ?`, fileID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approval.FileRef
	for rows.Next() {
		var r approval.FileRef
		if err := rows.Scan(&r.OrgID, &r.InstanceID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InstanceFiles lists the files an instance references.
func (st approvalStore) InstanceFiles(ctx context.Context, instanceID tack.ID) ([]tack.ID, error) {
	rows, err := st.db.rquery(ctx, `SELECT file_id FROM approval_files WHERE instance_id = ? ORDER BY file_id`, instanceID)
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

func isForeignKey(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

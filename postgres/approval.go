package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/leave"
)

// This file implements approval.Store, as a view of the database of its
// own. Its batches write leave balances in the same transaction. Under
// READ COMMITTED, the compare-and-set UPDATE of an instance waits for a
// concurrent writer of the same row and then finds its revision gone: of
// two approvers acting at once on any number of nodes, one commits and the
// other's whole batch (its ledger lines included) rolls back.

// approvalStore is the approvals store of a DB.
type approvalStore struct{ db *DB }

// Approvals returns the approvals store of db.
func (db *DB) Approvals() approval.Store { return approvalStore{db} }

var _ approval.Store = approvalStore{}

var (
	errApprovalConflict = tack.Errorf(tack.EConflict, "the approval changed meanwhile")
	approvalChanged     = changed(errApprovalConflict)
)

func scanTemplate(sc row) (approval.Template, error) {
	var t approval.Template
	var body string
	if err := sc.Scan(&body); err != nil {
		return t, notFound(err)
	}
	return t, json.Unmarshal([]byte(body), &t)
}

func (st approvalStore) Template(ctx context.Context, orgID tack.ID, key string, version int) (approval.Template, error) {
	if version == 0 {
		return scanTemplate(st.db.pool.QueryRow(ctx, `SELECT body FROM approval_templates WHERE org_id = $1 AND key = $2 AND current`, orgID, key))
	}
	return scanTemplate(st.db.pool.QueryRow(ctx, `SELECT body FROM approval_templates WHERE org_id = $1 AND key = $2 AND version = $3`, orgID, key, version))
}

func (st approvalStore) Templates(ctx context.Context, orgID tack.ID) ([]approval.Template, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT body FROM approval_templates WHERE org_id = $1 AND current ORDER BY key COLLATE "C"`, orgID)
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

func scanInstance(sc row) (approval.Instance, error) {
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

func (st approvalStore) Instance(ctx context.Context, orgID, id tack.ID) (approval.Instance, error) {
	return scanInstance(st.db.pool.QueryRow(ctx, `SELECT body, rev FROM approval_instances WHERE id = $1 AND org_id = $2`, id, orgID))
}

func (st approvalStore) Instances(ctx context.Context, orgID tack.ID, list []tack.ID) ([]approval.Instance, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT body, rev FROM approval_instances WHERE org_id = $1 AND id = ANY($2)`, orgID, ids(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []approval.Instance{}
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

func (st approvalStore) Tasks(ctx context.Context, instanceID tack.ID) ([]approval.Task, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT body FROM approval_tasks WHERE instance_id = $1 ORDER BY created_at, id COLLATE "C"`, instanceID)
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

func (st approvalStore) Actions(ctx context.Context, instanceID tack.ID) ([]approval.Action, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT body, coalesce(key, '') FROM approval_actions WHERE instance_id = $1 ORDER BY at, id COLLATE "C"`, instanceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approval.Action
	for rows.Next() {
		var body, key string
		if err := rows.Scan(&body, &key); err != nil {
			return nil, err
		}
		var a approval.Action
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			return nil, err
		}
		a.Key, a.InstanceID = key, instanceID
		out = append(out, a)
	}
	return out, rows.Err()
}

func (st approvalStore) Box(ctx context.Context, userID, orgID tack.ID, box string, after *approval.Cursor, limit int) ([]approval.Entry, error) {
	var rows pgx.Rows
	var err error
	if after == nil {
		rows, err = st.db.pool.Query(ctx, `SELECT instance_id, at FROM approval_boxes WHERE user_id = $1 AND org_id = $2 AND box = $3
			ORDER BY at DESC, instance_id DESC LIMIT $4`, userID, orgID, box, limit)
	} else {
		rows, err = st.db.pool.Query(ctx, `SELECT instance_id, at FROM approval_boxes WHERE user_id = $1 AND org_id = $2 AND box = $3
			AND (at, instance_id) < ($4, $5) ORDER BY at DESC, instance_id DESC LIMIT $6`, userID, orgID, box, after.At, string(after.InstanceID), limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []approval.Entry{}
	for rows.Next() {
		e := approval.Entry{UserID: userID, OrgID: orgID, Box: box}
		if err := rows.Scan(&e.InstanceID, &e.At); err != nil {
			return nil, err
		}
		e.At = utc(e.At)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (st approvalStore) BoxCount(ctx context.Context, userID, orgID tack.ID, box string) (int, error) {
	var n int
	err := st.db.pool.QueryRow(ctx, `SELECT count(*) FROM approval_boxes WHERE user_id = $1 AND org_id = $2 AND box = $3`, userID, orgID, box).Scan(&n)
	return n, err
}

func (st approvalStore) PendingLeave(ctx context.Context, orgID, userID tack.ID, leaveType string) (leave.Amount, error) {
	var n int64
	err := st.db.pool.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM approval_instances WHERE org_id = $1 AND originator_id = $2 AND leave_type = $3
		AND status = 'running' AND kind = 'leave'`, orgID, userID, leaveType).Scan(&n)
	return leave.Amount(n), err
}

func (st approvalStore) AwayAt(ctx context.Context, userIDs []tack.ID, t time.Time) ([]approval.Away, error) {
	var list any
	if userIDs != nil {
		list = ids(userIDs)
	}
	rows, err := st.db.pool.Query(ctx, `SELECT instance_id, org_id, user_id, kind, leave_type, start_at, end_at, auto_reply, handover
		FROM approval_away WHERE ($1::text[] IS NULL OR user_id = ANY($1)) AND end_at > $2 AND start_at <= $2 ORDER BY start_at`, list, t)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []approval.Away{}
	for rows.Next() {
		var a approval.Away
		if err := rows.Scan(&a.InstanceID, &a.OrgID, &a.UserID, &a.Kind, &a.LeaveType, &a.Start, &a.End, &a.AutoReply, &a.Handover); err != nil {
			return nil, err
		}
		a.Start, a.End = utc(a.Start), utc(a.End)
		out = append(out, a)
	}
	return out, rows.Err()
}

const jobCols = `id, org_id, instance_id, kind, body, due_at, attempts`

func scanJobs(rows pgx.Rows, err error) ([]approval.Job, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []approval.Job
	for rows.Next() {
		var j approval.Job
		var body string
		if err := rows.Scan(&j.ID, &j.OrgID, &j.InstanceID, &j.Kind, &body, &j.DueAt, &j.Attempts); err != nil {
			return nil, err
		}
		j.Body, j.DueAt = json.RawMessage(body), utc(j.DueAt)
		out = append(out, j)
	}
	return out, rows.Err()
}

// ClaimJobs leases due jobs; FOR UPDATE SKIP LOCKED keeps the claims of
// concurrent nodes disjoint without waiting.
func (st approvalStore) ClaimJobs(ctx context.Context, now, until time.Time, owner string, limit int) ([]approval.Job, error) {
	var out []approval.Job
	err := st.db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanJobs(tx.Query(ctx, `UPDATE approval_jobs j SET lease_until = $1, lease_owner = $2 FROM (
			SELECT id FROM approval_jobs WHERE due_at <= $3 AND (lease_until IS NULL OR lease_until < $3) ORDER BY due_at LIMIT $4
			FOR UPDATE SKIP LOCKED) c WHERE j.id = c.id RETURNING j.id, j.org_id, j.instance_id, j.kind, j.body, j.due_at, j.attempts`,
			until, owner, now, limit))
		return err
	})
	return out, err
}

func (st approvalStore) ClaimJob(ctx context.Context, id tack.ID, now, until time.Time, owner string) (approval.Job, error) {
	js, err := scanJobs(st.db.pool.Query(ctx, `UPDATE approval_jobs SET lease_until = $1, lease_owner = $2 WHERE id = $3
		AND (lease_until IS NULL OR lease_until < $4) RETURNING `+jobCols, until, owner, id, now))
	if err != nil {
		return approval.Job{}, err
	}
	if len(js) == 0 {
		return approval.Job{}, tack.ErrNotFound
	}
	return js[0], nil
}

func (st approvalStore) FinishJob(ctx context.Context, id tack.ID) error {
	_, err := st.db.pool.Exec(ctx, `DELETE FROM approval_jobs WHERE id = $1`, id)
	return err
}

func (st approvalStore) RetryJob(ctx context.Context, id tack.ID, due time.Time) error {
	_, err := st.db.pool.Exec(ctx, `UPDATE approval_jobs SET due_at = $1, attempts = attempts + 1, lease_until = NULL, lease_owner = NULL WHERE id = $2`, due, id)
	return err
}

func (st approvalStore) Apply(ctx context.Context, b approval.Batch) error {
	return st.db.tx(ctx, func(tx pgx.Tx) error {
		if w := b.Template; w != nil {
			t := w.Template
			if w.PrevVersion == 0 {
				var n int
				if err := tx.QueryRow(ctx, `SELECT count(*) FROM approval_templates WHERE org_id = $1 AND key = $2`, t.OrgID, t.Key).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return errApprovalConflict
				}
			} else if err := approvalChanged(tx.Exec(ctx, `UPDATE approval_templates SET current = false WHERE org_id = $1 AND key = $2 AND version = $3 AND current`,
				t.OrgID, t.Key, w.PrevVersion)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO approval_templates (org_id, key, version, id, body, current, updated_at) VALUES ($1, $2, $3, $4, $5, true, $6)`,
				t.OrgID, t.Key, t.Version, t.ID, jsonString(t), t.UpdatedAt); err != nil {
				if isUnique(err, "") {
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
				if _, err := tx.Exec(ctx, `INSERT INTO approval_instances (id, org_id, originator_id, kind, status, leave_type, amount, body, rev, created_at, updated_at)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10)`, in.ID, in.OrgID, in.OriginatorID, in.Kind, in.Status, lt, amount, jsonString(in),
					in.CreatedAt, in.UpdatedAt); err != nil {
					if isUnique(err, "") {
						return errApprovalConflict
					}
					return err
				}
			} else if err := approvalChanged(tx.Exec(ctx, `UPDATE approval_instances SET status = $1, body = $2, rev = rev + 1, updated_at = $3 WHERE id = $4 AND rev = $5`,
				in.Status, jsonString(in), in.UpdatedAt, in.ID, w.PrevRev)); err != nil {
				return err
			}
		}
		if len(b.Files) > 0 {
			if b.Instance == nil {
				return fmt.Errorf("approval files without their instance")
			}
			for _, id := range b.Files {
				if _, err := tx.Exec(ctx, `INSERT INTO approval_files (instance_id, file_id, org_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
					b.Instance.Instance.ID, id, b.Instance.Instance.OrgID); err != nil {
					var pe *pgconn.PgError
					if errors.As(err, &pe) && pe.Code == "23503" {
						return fmt.Errorf("%w: file %s", tack.ErrNotFound, id)
					}
					return err
				}
			}
		}
		for _, t := range b.Tasks {
			if _, err := tx.Exec(ctx, `INSERT INTO approval_tasks (id, instance_id, org_id, approver_id, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
				ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body`,
				t.ID, t.InstanceID, t.OrgID, t.ApproverID, t.Status, jsonString(t), t.CreatedAt); err != nil {
				return err
			}
		}
		for _, a := range b.Actions {
			var key *string
			if a.Key != "" {
				key = &a.Key
			}
			if _, err := tx.Exec(ctx, `INSERT INTO approval_actions (id, instance_id, org_id, actor_id, kind, key, body, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				a.ID, a.InstanceID, a.OrgID, a.ActorID, a.Kind, key, jsonString(a), a.At); err != nil {
				if isUnique(err, "") {
					return errApprovalConflict
				}
				return err
			}
		}
		for _, e := range b.InboxRemove {
			if _, err := tx.Exec(ctx, `DELETE FROM approval_boxes WHERE user_id = $1 AND box = $2 AND instance_id = $3`, e.UserID, e.Box, e.InstanceID); err != nil {
				return err
			}
		}
		for _, e := range b.Inbox {
			if _, err := tx.Exec(ctx, `INSERT INTO approval_boxes (user_id, org_id, box, instance_id, at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (user_id, box, instance_id) DO UPDATE SET at = excluded.at`, e.UserID, e.OrgID, e.Box, e.InstanceID, e.At); err != nil {
				return err
			}
		}
		if len(b.AwayRemove) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM approval_away WHERE instance_id = ANY($1)`, ids(b.AwayRemove)); err != nil {
				return err
			}
		}
		for _, a := range b.Away {
			if _, err := tx.Exec(ctx, `INSERT INTO approval_away (instance_id, org_id, user_id, kind, leave_type, start_at, end_at, auto_reply, handover)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (instance_id) DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at,
				auto_reply = excluded.auto_reply, handover = excluded.handover`,
				a.InstanceID, a.OrgID, a.UserID, a.Kind, a.LeaveType, a.Start, a.End, a.AutoReply, a.Handover); err != nil {
				return err
			}
		}
		for _, j := range b.Jobs {
			if _, err := tx.Exec(ctx, `INSERT INTO approval_jobs (id, org_id, instance_id, kind, body, due_at, attempts) VALUES ($1, $2, $3, $4, $5, $6, 0)`,
				j.ID, j.OrgID, j.InstanceID, j.Kind, string(j.Body), j.DueAt); err != nil {
				return err
			}
		}
		for _, w := range b.Leave {
			if err := writeBalance(ctx, tx, w); err != nil {
				return err
			}
		}
		for _, a := range b.Audit {
			if _, err := tx.Exec(ctx, `INSERT INTO approval_audit (id, org_id, actor_id, action, target, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonString(a.Detail), a.At); err != nil {
				return err
			}
		}
		return nil
	})
}

// FileInstances lists up to limit instances referencing a file.
func (st approvalStore) FileInstances(ctx context.Context, fileID tack.ID, limit int) ([]approval.FileRef, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT org_id, instance_id FROM approval_files WHERE file_id = $1 ORDER BY instance_id COLLATE "C" LIMIT $2`, fileID, limit)
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
	rows, err := st.db.pool.Query(ctx, `SELECT file_id FROM approval_files WHERE instance_id = $1 ORDER BY file_id COLLATE "C"`, instanceID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[tack.ID])
}

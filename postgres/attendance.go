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
	"github.com/tackhq/tack/attendance"
)

// This file implements attendance.Store, as a view of the database of its
// own (method names such as Groups and Apply are taken by the org store).

// attStore is the attendance store of a DB.
type attStore struct{ db *DB }

// Attendance returns the attendance store of db.
func (db *DB) Attendance() attendance.Store { return attStore{db} }

var _ attendance.Store = attStore{}

var errAttConflict = tack.Errorf(tack.EConflict, "changed meanwhile, or already taken")

type dayBody struct {
	Plan    attendance.Plan    `json:"plan"`
	Checks  []attendance.Check `json:"checks"`
	Summary attendance.Summary `json:"summary"`
	Covers  []attendance.Cover `json:"covers,omitempty"`
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type row interface{ Scan(...any) error }

const attGroupCols = `rules, version, planned_through`

func scanAttGroup(sc row) (attendance.Group, error) {
	var g attendance.Group
	var rules, planned string
	var version int
	if err := sc.Scan(&rules, &version, &planned); err != nil {
		return g, notFound(err)
	}
	if err := json.Unmarshal([]byte(rules), &g); err != nil {
		return g, fmt.Errorf("group rules: %w", err)
	}
	g.Version, g.PlannedThrough = version, planned
	return g, nil
}

func (st attStore) Group(ctx context.Context, orgID, id tack.ID) (attendance.Group, error) {
	return scanAttGroup(st.db.pool.QueryRow(ctx, `SELECT `+attGroupCols+` FROM att_groups WHERE id = $1 AND org_id = $2`, id, orgID))
}

func (st attStore) groups(ctx context.Context, where string, args ...any) ([]attendance.Group, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT `+attGroupCols+` FROM att_groups `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Group{}
	for rows.Next() {
		g, err := scanAttGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func (st attStore) Groups(ctx context.Context, orgID tack.ID) ([]attendance.Group, error) {
	return st.groups(ctx, `WHERE org_id = $1`, orgID)
}

func (st attStore) AllGroups(ctx context.Context) ([]attendance.Group, error) {
	return st.groups(ctx, ``)
}

func scanAttShift(sc row) (attendance.Shift, error) {
	var sh attendance.Shift
	var rules string
	if err := sc.Scan(&rules); err != nil {
		return sh, notFound(err)
	}
	return sh, json.Unmarshal([]byte(rules), &sh)
}

func (st attStore) Shift(ctx context.Context, orgID, id tack.ID) (attendance.Shift, error) {
	return scanAttShift(st.db.pool.QueryRow(ctx, `SELECT rules FROM att_shifts WHERE id = $1 AND org_id = $2`, id, orgID))
}

func (st attStore) Shifts(ctx context.Context, orgID tack.ID) ([]attendance.Shift, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT rules FROM att_shifts WHERE org_id = $1 ORDER BY name COLLATE "C"`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Shift{}
	for rows.Next() {
		sh, err := scanAttShift(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

func (st attStore) ShiftInUse(ctx context.Context, orgID, id tack.ID, after string) (bool, error) {
	var n int
	err := st.db.pool.QueryRow(ctx, `SELECT count(*) FROM att_schedules WHERE org_id = $1 AND shift_id = $2 AND work_date > $3`, orgID, id, after).Scan(&n)
	return n > 0, err
}

func (st attStore) Holidays(ctx context.Context, orgID tack.ID, from, to string) ([]attendance.Holiday, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT org_id, day, kind, name FROM att_holidays WHERE org_id = $1 AND day >= $2 AND day <= $3 ORDER BY day`, orgID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Holiday{}
	for rows.Next() {
		var h attendance.Holiday
		if err := rows.Scan(&h.OrgID, &h.Date, &h.Kind, &h.Name); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (st attStore) Schedules(ctx context.Context, orgID tack.ID, userIDs []tack.ID, from, to string) ([]attendance.Schedule, error) {
	q := `SELECT org_id, group_id, user_id, work_date, shift_id FROM att_schedules WHERE org_id = $1 AND work_date >= $2 AND work_date <= $3`
	args := []any{orgID, from, to}
	if userIDs != nil {
		q += ` AND user_id = ANY($4)`
		args = append(args, ids(userIDs))
	}
	rows, err := st.db.pool.Query(ctx, q+` ORDER BY user_id COLLATE "C", work_date`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Schedule{}
	for rows.Next() {
		var s attendance.Schedule
		if err := rows.Scan(&s.OrgID, &s.GroupID, &s.UserID, &s.Date, &s.ShiftID); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

const attDayCols = `org_id, user_id, work_date, member_id, group_id, state, body, due_at, rev, closes, closed_at, updated_at`

func scanAttDay(sc row) (attendance.Day, error) {
	var d attendance.Day
	var body string
	var closed *time.Time
	err := sc.Scan(&d.OrgID, &d.UserID, &d.WorkDate, &d.MemberID, &d.GroupID, &d.State, &body, &d.DueAt, &d.Rev, &d.Closes, &closed, &d.UpdatedAt)
	if err != nil {
		return d, notFound(err)
	}
	var b dayBody
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		return d, fmt.Errorf("day body: %w", err)
	}
	d.Plan, d.Checks, d.Summary, d.Covers = b.Plan, b.Checks, b.Summary, b.Covers
	d.DueAt, d.UpdatedAt = utc(d.DueAt), utc(d.UpdatedAt)
	if closed != nil {
		t := utc(*closed)
		d.ClosedAt = &t
	}
	return d, nil
}

func scanAttDays(rows pgx.Rows, err error) ([]attendance.Day, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Day{}
	for rows.Next() {
		d, err := scanAttDay(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (st attStore) Days(ctx context.Context, orgID tack.ID, userIDs []tack.ID, from, to string) ([]attendance.Day, error) {
	if userIDs == nil {
		return scanAttDays(st.db.pool.Query(ctx, `SELECT `+attDayCols+` FROM att_days WHERE org_id = $1 AND work_date >= $2 AND work_date <= $3
			ORDER BY user_id COLLATE "C", work_date`, orgID, from, to))
	}
	return scanAttDays(st.db.pool.Query(ctx, `SELECT `+attDayCols+` FROM att_days WHERE org_id = $1 AND user_id = ANY($2) AND work_date >= $3 AND work_date <= $4
		ORDER BY user_id COLLATE "C", work_date`, orgID, ids(userIDs), from, to))
}

const attPunchCols = `id, org_id, user_id, work_date, at, check_type, pair, source_type, location_result, via, place, distance_m,
	client_reported, note, lat, lng, accuracy_m, erase_at, approve_id, actor_id`

func (st attStore) Punches(ctx context.Context, orgID, userID tack.ID, from, to string) ([]attendance.Punch, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT `+attPunchCols+` FROM att_punches WHERE org_id = $1 AND user_id = $2 AND work_date >= $3 AND work_date <= $4
		ORDER BY at, id`, orgID, userID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Punch{}
	for rows.Next() {
		var p attendance.Punch
		var dist *int32
		if err := rows.Scan(&p.ID, &p.OrgID, &p.UserID, &p.WorkDate, &p.At, &p.CheckType, &p.Pair, &p.SourceType, &p.LocationResult,
			&p.Via, &p.Place, &dist, &p.ClientReported, &p.Note, &p.Lat, &p.Lng, &p.AccuracyM, &p.EraseAt, &p.ApproveID, &p.ActorID); err != nil {
			return nil, err
		}
		p.At = utc(p.At)
		if dist != nil {
			n := int(*dist)
			p.DistanceM = &n
		}
		if p.EraseAt != nil {
			t := utc(*p.EraseAt)
			p.EraseAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (st attStore) CountCorrections(ctx context.Context, orgID, userID tack.ID, from, to string) (int, error) {
	var n int
	err := st.db.pool.QueryRow(ctx, `SELECT count(*) FROM att_punches WHERE org_id = $1 AND user_id = $2 AND work_date >= $3 AND work_date <= $4
		AND source_type = $5 AND via = 'correction'`, orgID, userID, from, to, attendance.SourceApprove).Scan(&n)
	return n, err
}

const attCoverCols = `id, org_id, user_id, kind, leave_type, start_at, end_at, approval_id, source_type, created_by, created_at`

func scanAttCover(sc row) (attendance.Cover, error) {
	var c attendance.Cover
	if err := sc.Scan(&c.ID, &c.OrgID, &c.UserID, &c.Kind, &c.LeaveType, &c.Start, &c.End, &c.ApprovalID, &c.Source, &c.CreatedBy, &c.CreatedAt); err != nil {
		return c, notFound(err)
	}
	c.Start, c.End, c.CreatedAt = utc(c.Start), utc(c.End), utc(c.CreatedAt)
	return c, nil
}

func (st attStore) covers(ctx context.Context, where string, args ...any) ([]attendance.Cover, error) {
	rows, err := st.db.pool.Query(ctx, `SELECT `+attCoverCols+` FROM att_covers WHERE `+where+` ORDER BY start_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attendance.Cover
	for rows.Next() {
		c, err := scanAttCover(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (st attStore) Covers(ctx context.Context, orgID, userID tack.ID, from, to time.Time) ([]attendance.Cover, error) {
	return st.covers(ctx, `org_id = $1 AND user_id = $2 AND start_at < $3 AND end_at > $4`, orgID, userID, to, from)
}

func (st attStore) CoversOf(ctx context.Context, orgID tack.ID, from, to time.Time) ([]attendance.Cover, error) {
	return st.covers(ctx, `org_id = $1 AND start_at < $2 AND end_at > $3`, orgID, to, from)
}

func (st attStore) CoverByApproval(ctx context.Context, orgID tack.ID, approvalID string) (attendance.Cover, error) {
	return scanAttCover(st.db.pool.QueryRow(ctx, `SELECT `+attCoverCols+` FROM att_covers WHERE org_id = $1 AND approval_id = $2`, orgID, approvalID))
}

// ClaimDue leases due open days. FOR UPDATE SKIP LOCKED makes concurrent
// claims on any number of nodes take disjoint rows without waiting.
func (st attStore) ClaimDue(ctx context.Context, now, until time.Time, owner string, limit int) ([]attendance.Day, error) {
	var out []attendance.Day
	err := st.db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanAttDays(tx.Query(ctx, `UPDATE att_days d SET lease_until = $1, lease_owner = $2 FROM (
			SELECT org_id, user_id, work_date FROM att_days WHERE state = 'open' AND due_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
			ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) c
			WHERE d.org_id = c.org_id AND d.user_id = c.user_id AND d.work_date = c.work_date
			RETURNING d.org_id, d.user_id, d.work_date, d.member_id, d.group_id, d.state, d.body, d.due_at, d.rev, d.closes, d.closed_at, d.updated_at`,
			until, owner, now, limit))
		return err
	})
	return out, err
}

func (st attStore) EraseCoordinates(ctx context.Context, now time.Time) (int64, error) {
	tag, err := st.db.pool.Exec(ctx, `UPDATE att_punches SET lat = NULL, lng = NULL, accuracy_m = NULL, erase_at = NULL WHERE erase_at <= $1`, now)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (st attStore) Views(ctx context.Context, orgID, subjectID, before tack.ID, limit int) ([]attendance.View, error) {
	q := `SELECT id, org_id, viewer_id, subject_id, what, range_from, range_to, at FROM att_views WHERE org_id = $1 AND subject_id = $2`
	args := []any{orgID, subjectID}
	if before != "" {
		q += ` AND id < $4`
	}
	args = append(args, limit)
	if before != "" {
		args = append(args, before)
	}
	rows, err := st.db.pool.Query(ctx, q+` ORDER BY id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.View{}
	for rows.Next() {
		var v attendance.View
		if err := rows.Scan(&v.ID, &v.OrgID, &v.ViewerID, &v.SubjectID, &v.What, &v.From, &v.To, &v.At); err != nil {
			return nil, err
		}
		v.At = utc(v.At)
		out = append(out, v)
	}
	return out, rows.Err()
}

func (st attStore) AuditLog(ctx context.Context, orgID, before tack.ID, limit int) ([]attendance.Audit, error) {
	q := `SELECT id, org_id, actor_id, action, target, detail, at FROM att_audit WHERE org_id = $1`
	args := []any{orgID, limit}
	if before != "" {
		q += ` AND id < $3`
		args = append(args, before)
	}
	rows, err := st.db.pool.Query(ctx, q+` ORDER BY id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Audit{}
	for rows.Next() {
		var a attendance.Audit
		var detail string
		if err := rows.Scan(&a.ID, &a.OrgID, &a.ActorID, &a.Action, &a.Target, &detail, &a.At); err != nil {
			return nil, err
		}
		var d any
		_ = json.Unmarshal([]byte(detail), &d)
		a.Detail, a.At = d, utc(a.At)
		out = append(out, a)
	}
	return out, rows.Err()
}

func (st attStore) QuietPrefs(ctx context.Context, userID tack.ID) (attendance.QuietPrefs, error) {
	var p attendance.QuietPrefs
	var s string
	err := st.db.pool.QueryRow(ctx, `SELECT prefs FROM att_quiet WHERE user_id = $1`, userID).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	return p, json.Unmarshal([]byte(s), &p)
}

func (st attStore) PutQuietPrefs(ctx context.Context, userID tack.ID, p attendance.QuietPrefs) error {
	_, err := st.db.pool.Exec(ctx, `INSERT INTO att_quiet (user_id, prefs) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs`,
		userID, jsonString(p))
	return err
}

func attConflict(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return errAttConflict
	}
	return err
}

func affected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return attConflict(err)
	}
	if tag.RowsAffected() == 0 {
		return errAttConflict
	}
	return nil
}

// Apply writes b in one transaction.
func (st attStore) Apply(ctx context.Context, b attendance.Batch) error {
	return st.db.tx(ctx, func(tx pgx.Tx) error {
		for _, w := range b.Groups {
			g := w.Group
			switch {
			case w.Delete:
				if _, err := tx.Exec(ctx, `DELETE FROM att_group_targets WHERE group_id = $1`, g.ID); err != nil {
					return err
				}
				if err := affected(tx.Exec(ctx, `DELETE FROM att_groups WHERE id = $1 AND org_id = $2`, g.ID, g.OrgID)); err != nil {
					return err
				}
				continue
			case w.PrevVersion == 0:
				if _, err := tx.Exec(ctx, `INSERT INTO att_groups (id, org_id, name, rules, version, planned_through, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
					g.ID, g.OrgID, g.Name, jsonString(g), g.Version, g.PlannedThrough, g.CreatedAt); err != nil {
					return attConflict(err)
				}
			default:
				if err := affected(tx.Exec(ctx, `UPDATE att_groups SET name = $1, rules = $2, version = $3 WHERE id = $4 AND org_id = $5 AND version = $6`,
					g.Name, jsonString(g), g.Version, g.ID, g.OrgID, w.PrevVersion)); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `DELETE FROM att_group_targets WHERE group_id = $1`, g.ID); err != nil {
					return err
				}
			}
			for _, t := range w.Targets {
				if _, err := tx.Exec(ctx, `INSERT INTO att_group_targets (org_id, target_id, group_id, kind) VALUES ($1, $2, $3, $4)`,
					t.OrgID, t.ID, t.GroupID, t.Kind); err != nil {
					return attConflict(err)
				}
			}
		}
		if p := b.Plan; p != nil {
			if err := affected(tx.Exec(ctx, `UPDATE att_groups SET planned_through = $1 WHERE id = $2 AND org_id = $3 AND planned_through = $4`,
				p.To, p.GroupID, p.OrgID, p.From)); err != nil {
				return err
			}
		}
		for _, sh := range b.Shifts {
			if _, err := tx.Exec(ctx, `INSERT INTO att_shifts (id, org_id, name, rules, created_at) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, rules = excluded.rules`, sh.ID, sh.OrgID, sh.Name, jsonString(sh), sh.CreatedAt); err != nil {
				return attConflict(err)
			}
		}
		if len(b.DeleteShifts) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM att_shifts WHERE id = ANY($1)`, ids(b.DeleteShifts)); err != nil {
				return err
			}
		}
		for _, h := range b.Holidays {
			if _, err := tx.Exec(ctx, `INSERT INTO att_holidays (org_id, day, kind, name) VALUES ($1, $2, $3, $4)
				ON CONFLICT (org_id, day) DO UPDATE SET kind = excluded.kind, name = excluded.name`, h.OrgID, h.Date, h.Kind, h.Name); err != nil {
				return err
			}
		}
		for _, h := range b.DeleteHolidays {
			if _, err := tx.Exec(ctx, `DELETE FROM att_holidays WHERE org_id = $1 AND day = $2`, h.OrgID, h.Date); err != nil {
				return err
			}
		}
		batch := &pgx.Batch{}
		var checks []func(pgconn.CommandTag) error
		queue := func(check func(pgconn.CommandTag) error, q string, args ...any) {
			batch.Queue(q, args...)
			checks = append(checks, check)
		}
		for _, s := range b.Schedules {
			queue(nil, `INSERT INTO att_schedules (org_id, user_id, work_date, group_id, shift_id) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (org_id, user_id, work_date) DO UPDATE SET group_id = excluded.group_id, shift_id = excluded.shift_id`,
				s.OrgID, s.UserID, s.Date, s.GroupID, s.ShiftID)
		}
		for _, s := range b.DeleteSchedules {
			queue(nil, `DELETE FROM att_schedules WHERE org_id = $1 AND user_id = $2 AND work_date = $3`, s.OrgID, s.UserID, s.Date)
		}
		for _, p := range b.Punches {
			queue(nil, `INSERT INTO att_punches (`+attPunchCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
				p.ID, p.OrgID, p.UserID, p.WorkDate, p.At, p.CheckType, p.Pair, p.SourceType, p.LocationResult, p.Via, p.Place,
				p.DistanceM, p.ClientReported, p.Note, p.Lat, p.Lng, p.AccuracyM, p.EraseAt, p.ApproveID, p.ActorID)
		}
		mustChange := func(tag pgconn.CommandTag) error {
			if tag.RowsAffected() == 0 {
				return errAttConflict
			}
			return nil
		}
		for _, w := range b.Days {
			d := w.Day
			body := jsonString(dayBody{Plan: d.Plan, Checks: d.Checks, Summary: d.Summary, Covers: d.Covers})
			switch w.Mode {
			case attendance.InsertDay, attendance.InsertIfAbsent:
				q := `INSERT INTO att_days (` + attDayCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11)`
				if w.Mode == attendance.InsertIfAbsent {
					q += ` ON CONFLICT DO NOTHING`
				}
				queue(nil, q, d.OrgID, d.UserID, d.WorkDate, d.MemberID, d.GroupID, d.State, body, d.DueAt, d.Closes, d.ClosedAt, d.UpdatedAt)
			case attendance.UpdateDay:
				queue(mustChange, `UPDATE att_days SET member_id = $1, group_id = $2, state = $3, body = $4, due_at = $5, rev = rev + 1,
					closes = $6, closed_at = $7, updated_at = $8 WHERE org_id = $9 AND user_id = $10 AND work_date = $11 AND rev = $12`,
					d.MemberID, d.GroupID, d.State, body, d.DueAt, d.Closes, d.ClosedAt, d.UpdatedAt, d.OrgID, d.UserID, d.WorkDate, w.PrevRev)
			default:
				return fmt.Errorf("day write: unknown mode %d", w.Mode)
			}
		}
		for _, c := range b.Covers {
			queue(nil, `INSERT INTO att_covers (`+attCoverCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
				c.ID, c.OrgID, c.UserID, c.Kind, c.LeaveType, c.Start, c.End, c.ApprovalID, c.Source, c.CreatedBy, c.CreatedAt)
		}
		if len(b.DeleteCovers) > 0 {
			queue(nil, `DELETE FROM att_covers WHERE id = ANY($1)`, ids(b.DeleteCovers))
		}
		for _, v := range b.Views {
			queue(nil, `INSERT INTO att_views (id, org_id, viewer_id, subject_id, what, range_from, range_to, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				v.ID, v.OrgID, v.ViewerID, v.SubjectID, v.What, v.From, v.To, v.At)
		}
		for _, a := range b.Audit {
			queue(nil, `INSERT INTO att_audit (id, org_id, actor_id, action, target, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonString(a.Detail), a.At)
		}
		if batch.Len() == 0 {
			return nil
		}
		res := tx.SendBatch(ctx, batch)
		for _, check := range checks {
			tag, err := res.Exec()
			if err != nil {
				res.Close()
				return attConflict(err)
			}
			if check != nil {
				if err := check(tag); err != nil {
					res.Close()
					return err
				}
			}
		}
		return res.Close()
	})
}

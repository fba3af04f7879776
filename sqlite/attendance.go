package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
)

// This file implements attendance.Store, as a view of the database of its
// own (method names such as Groups and Apply are taken by the org store).

// attStore is the attendance store of a DB.
type attStore struct{ db *DB }

// Attendance returns the attendance store of db.
func (db *DB) Attendance() attendance.Store { return attStore{db} }

var errAttConflict = tack.Errorf(tack.EConflict, "changed meanwhile, or already taken")

// dayBody is the JSON part of a day row.
type dayBody struct {
	Plan    attendance.Plan    `json:"plan"`
	Checks  []attendance.Check `json:"checks"`
	Summary attendance.Summary `json:"summary"`
	Covers  []attendance.Cover `json:"covers,omitempty"`
}

// bodyCache keeps decoded day bodies by their text. Many day rows share
// one body: a group's planned days are the same for every member until
// they punch (the morning rush reads 10,000 copies of today's plan), and
// so are the closed days of everyone who did not punch. Decoding the JSON
// was ~8 % of a punch's CPU. The text is the key, so a hit is the same
// body whatever row it came from; each caller gets its own copy.
type bodyCache struct {
	mu sync.Mutex
	m  map[string]dayBody
}

const (
	maxCachedBodies   = 1024
	maxCachedBodySize = 8 << 10
)

var dayBodies bodyCache

func (c *bodyCache) decode(text string) (dayBody, error) {
	if len(text) > maxCachedBodySize {
		var b dayBody
		err := json.Unmarshal([]byte(text), &b)
		return b, err
	}
	c.mu.Lock()
	b, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return b.clone(), nil
	}
	if err := json.Unmarshal([]byte(text), &b); err != nil {
		return dayBody{}, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedBodies {
		c.m = make(map[string]dayBody, maxCachedBodies)
	}
	c.m[text] = b.clone()
	c.mu.Unlock()
	return b, nil
}

// clone copies what a caller could change of b in place.
func (b dayBody) clone() dayBody {
	b.Plan.Pairs = slices.Clone(b.Plan.Pairs)
	b.Plan.Breaks = slices.Clone(b.Plan.Breaks)
	b.Checks = slices.Clone(b.Checks)
	for i := range b.Checks {
		c := &b.Checks[i]
		if c.UserTime != nil {
			t := *c.UserTime
			c.UserTime = &t
		}
		if c.DistanceM != nil {
			m := *c.DistanceM
			c.DistanceM = &m
		}
	}
	b.Summary.LeaveMinutes = maps.Clone(b.Summary.LeaveMinutes)
	b.Covers = slices.Clone(b.Covers)
	return b
}

func scanGroup(sc scanner) (attendance.Group, error) {
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

const groupCols = `rules, version, planned_through`

// Group returns a group of orgID.
func (st attStore) Group(ctx context.Context, orgID, id tack.ID) (attendance.Group, error) {
	db := st.db
	return scanGroup(db.rqueryRow(ctx, `SELECT `+groupCols+` FROM att_groups WHERE id = ? AND org_id = ?`, id, orgID))
}

func (st attStore) groups(ctx context.Context, where string, args ...any) ([]attendance.Group, error) {
	db := st.db
	rows, err := db.r.QueryContext(ctx, `SELECT `+groupCols+` FROM att_groups `+where+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Groups lists orgID's groups, oldest first.
func (st attStore) Groups(ctx context.Context, orgID tack.ID) ([]attendance.Group, error) {
	return st.groups(ctx, `WHERE org_id = ?`, orgID)
}

// AllGroups lists every group.
func (st attStore) AllGroups(ctx context.Context) ([]attendance.Group, error) {
	return st.groups(ctx, ``)
}

func scanShift(sc scanner) (attendance.Shift, error) {
	var sh attendance.Shift
	var rules string
	if err := sc.Scan(&rules); err != nil {
		return sh, notFound(err)
	}
	return sh, json.Unmarshal([]byte(rules), &sh)
}

// Shift returns a named shift.
func (st attStore) Shift(ctx context.Context, orgID, id tack.ID) (attendance.Shift, error) {
	db := st.db
	return scanShift(db.r.QueryRowContext(ctx, `SELECT rules FROM att_shifts WHERE id = ? AND org_id = ?`, id, orgID))
}

// Shifts lists orgID's named shifts by name.
func (st attStore) Shifts(ctx context.Context, orgID tack.ID) ([]attendance.Shift, error) {
	db := st.db
	rows, err := db.r.QueryContext(ctx, `SELECT rules FROM att_shifts WHERE org_id = ? ORDER BY name`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Shift{}
	for rows.Next() {
		sh, err := scanShift(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, rows.Err()
}

// ShiftInUse reports whether a schedule entry after a date uses a shift.
func (st attStore) ShiftInUse(ctx context.Context, orgID, id tack.ID, after string) (bool, error) {
	db := st.db
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM att_schedules WHERE org_id = ? AND shift_id = ? AND work_date > ?`, orgID, id, after).Scan(&n)
	return n > 0, err
}

// Holidays lists calendar entries of orgID between two dates.
func (st attStore) Holidays(ctx context.Context, orgID tack.ID, from, to string) ([]attendance.Holiday, error) {
	db := st.db
	rows, err := db.rquery(ctx, `SELECT org_id, day, kind, name FROM att_holidays WHERE org_id = ? AND day >= ? AND day <= ? ORDER BY day`, orgID, from, to)
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

// Schedules lists schedule entries.
func (st attStore) Schedules(ctx context.Context, orgID tack.ID, userIDs []tack.ID, from, to string) ([]attendance.Schedule, error) {
	db := st.db
	q := `SELECT org_id, group_id, user_id, work_date, shift_id FROM att_schedules WHERE org_id = ? AND work_date >= ? AND work_date <= ?`
	args := []any{orgID, from, to}
	if userIDs != nil {
		if len(userIDs) == 0 {
			return []attendance.Schedule{}, nil
		}
		q += ` AND user_id IN (` + placeholders(len(userIDs)) + `)`
		args = append(args, anyArgs(userIDs)...)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY user_id, work_date`, args...)
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

const dayCols = `org_id, user_id, work_date, member_id, group_id, state, body, due_at, rev, closes, closed_at, updated_at`

func scanDay(sc scanner) (attendance.Day, error) {
	var d attendance.Day
	var body string
	var due, updated int64
	var closed sql.NullInt64
	err := sc.Scan(&d.OrgID, &d.UserID, &d.WorkDate, &d.MemberID, &d.GroupID, &d.State, &body, &due, &d.Rev, &d.Closes, &closed, &updated)
	if err != nil {
		return d, notFound(err)
	}
	b, err := dayBodies.decode(body)
	if err != nil {
		return d, fmt.Errorf("day body: %w", err)
	}
	d.Plan, d.Checks, d.Summary, d.Covers = b.Plan, b.Checks, b.Summary, b.Covers
	d.DueAt, d.UpdatedAt = fromMicros(due), fromMicros(updated)
	if closed.Valid {
		t := fromMicros(closed.Int64)
		d.ClosedAt = &t
	}
	return d, nil
}

func scanDays(rows *sql.Rows) ([]attendance.Day, error) {
	defer rows.Close()
	out := []attendance.Day{}
	for rows.Next() {
		d, err := scanDay(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Days lists days of orgID between two dates.
func (st attStore) Days(ctx context.Context, orgID tack.ID, userIDs []tack.ID, from, to string) ([]attendance.Day, error) {
	db := st.db
	if userIDs == nil {
		rows, err := db.r.QueryContext(ctx, `SELECT `+dayCols+` FROM att_days WHERE org_id = ? AND work_date >= ? AND work_date <= ? ORDER BY user_id, work_date`, orgID, from, to)
		if err != nil {
			return nil, err
		}
		return scanDays(rows)
	}
	out := []attendance.Day{}
	for len(userIDs) > 0 {
		n := min(len(userIDs), 500)
		rows, err := db.rquery(ctx, `SELECT `+dayCols+` FROM att_days WHERE org_id = ? AND user_id IN (`+placeholders(n)+
			`) AND work_date >= ? AND work_date <= ? ORDER BY user_id, work_date`, append(append([]any{orgID}, anyArgs(userIDs[:n])...), from, to)...)
		if err != nil {
			return nil, err
		}
		ds, err := scanDays(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
		userIDs = userIDs[n:]
	}
	return out, nil
}

const punchCols = `id, org_id, user_id, work_date, at, check_type, pair, source_type, location_result, via, place, distance_m,
	client_reported, note, lat, lng, accuracy_m, erase_at, approve_id, actor_id`

// Punches lists a user's punches of work dates between two dates.
func (st attStore) Punches(ctx context.Context, orgID, userID tack.ID, from, to string) ([]attendance.Punch, error) {
	db := st.db
	rows, err := db.r.QueryContext(ctx, `SELECT `+punchCols+` FROM att_punches WHERE org_id = ? AND user_id = ? AND work_date >= ? AND work_date <= ? ORDER BY at, id`,
		orgID, userID, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Punch{}
	for rows.Next() {
		var p attendance.Punch
		var at int64
		var dist sql.NullInt64
		var lat, lng, acc sql.NullFloat64
		var erase sql.NullInt64
		var cr int
		if err := rows.Scan(&p.ID, &p.OrgID, &p.UserID, &p.WorkDate, &at, &p.CheckType, &p.Pair, &p.SourceType, &p.LocationResult,
			&p.Via, &p.Place, &dist, &cr, &p.Note, &lat, &lng, &acc, &erase, &p.ApproveID, &p.ActorID); err != nil {
			return nil, err
		}
		p.At, p.ClientReported = fromMicros(at), cr != 0
		if dist.Valid {
			n := int(dist.Int64)
			p.DistanceM = &n
		}
		if lat.Valid && lng.Valid {
			p.Lat, p.Lng = &lat.Float64, &lng.Float64
		}
		if acc.Valid {
			p.AccuracyM = &acc.Float64
		}
		if erase.Valid {
			t := fromMicros(erase.Int64)
			p.EraseAt = &t
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CountCorrections counts approved make-up punches of a user between dates.
func (st attStore) CountCorrections(ctx context.Context, orgID, userID tack.ID, from, to string) (int, error) {
	db := st.db
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM att_punches WHERE org_id = ? AND user_id = ? AND work_date >= ? AND work_date <= ?
		AND source_type = ? AND via = 'correction'`, orgID, userID, from, to, attendance.SourceApprove).Scan(&n)
	return n, err
}

const coverCols = `id, org_id, user_id, kind, leave_type, start_at, end_at, approval_id, source_type, created_by, created_at`

func scanCover(sc scanner) (attendance.Cover, error) {
	var c attendance.Cover
	var start, end, created int64
	if err := sc.Scan(&c.ID, &c.OrgID, &c.UserID, &c.Kind, &c.LeaveType, &start, &end, &c.ApprovalID, &c.Source, &c.CreatedBy, &created); err != nil {
		return c, notFound(err)
	}
	c.Start, c.End, c.CreatedAt = fromMicros(start), fromMicros(end), fromMicros(created)
	return c, nil
}

func (st attStore) covers(ctx context.Context, q string, args ...any) ([]attendance.Cover, error) {
	db := st.db
	rows, err := db.rquery(ctx, `SELECT `+coverCols+` FROM att_covers WHERE `+q+` ORDER BY start_at, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []attendance.Cover
	for rows.Next() {
		c, err := scanCover(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Covers lists a user's covers overlapping [from, to).
func (st attStore) Covers(ctx context.Context, orgID, userID tack.ID, from, to time.Time) ([]attendance.Cover, error) {
	return st.covers(ctx, `org_id = ? AND user_id = ? AND start_at < ? AND end_at > ?`, orgID, userID, micros(to), micros(from))
}

// CoversOf lists orgID's covers overlapping [from, to).
func (st attStore) CoversOf(ctx context.Context, orgID tack.ID, from, to time.Time) ([]attendance.Cover, error) {
	return st.covers(ctx, `org_id = ? AND start_at < ? AND end_at > ?`, orgID, micros(to), micros(from))
}

// CoverByApproval returns the cover of an approval.
func (st attStore) CoverByApproval(ctx context.Context, orgID tack.ID, approvalID string) (attendance.Cover, error) {
	db := st.db
	return scanCover(db.r.QueryRowContext(ctx, `SELECT `+coverCols+` FROM att_covers WHERE org_id = ? AND approval_id = ?`, orgID, approvalID))
}

// ClaimDue leases open days that are due. SQLite has one writer, so
// concurrent claims are serialised and never overlap.
func (st attStore) ClaimDue(ctx context.Context, now, until time.Time, owner string, limit int) ([]attendance.Day, error) {
	db := st.db
	var out []attendance.Day
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE att_days SET lease_until = ?, lease_owner = ? WHERE rowid IN (
			SELECT rowid FROM att_days WHERE state = 'open' AND due_at <= ? AND (lease_until IS NULL OR lease_until < ?)
			ORDER BY due_at LIMIT ?) RETURNING `+dayCols, micros(until), owner, micros(now), micros(now), limit)
		if err != nil {
			return err
		}
		out, err = scanDays(rows)
		return err
	})
	return out, err
}

// EraseCoordinates removes coordinates past their time, overwriting the
// freed bytes (secure_delete) and checkpointing the WAL so that no copy
// stays in the files.
func (st attStore) EraseCoordinates(ctx context.Context, now time.Time) (int64, error) {
	db := st.db
	var exists int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM att_punches WHERE erase_at <= ? LIMIT 1)`, micros(now)).Scan(&exists)
	if err != nil || exists == 0 {
		return 0, err
	}
	var n int64
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `PRAGMA secure_delete = ON`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE att_punches SET lat = NULL, lng = NULL, accuracy_m = NULL, erase_at = NULL WHERE erase_at <= ?`, micros(now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `PRAGMA secure_delete = OFF`)
		return err
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		_ = db.Checkpoint(ctx)
	}
	return n, nil
}

// Views lists views of subjectID, newest first.
func (st attStore) Views(ctx context.Context, orgID, subjectID, before tack.ID, limit int) ([]attendance.View, error) {
	db := st.db
	q := `SELECT id, org_id, viewer_id, subject_id, what, range_from, range_to, at FROM att_views WHERE org_id = ? AND subject_id = ?`
	args := []any{orgID, subjectID}
	if before != "" {
		q += ` AND id < ?`
		args = append(args, before)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.View{}
	for rows.Next() {
		var v attendance.View
		var at int64
		if err := rows.Scan(&v.ID, &v.OrgID, &v.ViewerID, &v.SubjectID, &v.What, &v.From, &v.To, &at); err != nil {
			return nil, err
		}
		v.At = fromMicros(at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// AuditLog lists attendance audit entries, newest first.
func (st attStore) AuditLog(ctx context.Context, orgID, before tack.ID, limit int) ([]attendance.Audit, error) {
	db := st.db
	q := `SELECT id, org_id, actor_id, action, target, detail, at FROM att_audit WHERE org_id = ?`
	args := []any{orgID}
	if before != "" {
		q += ` AND id < ?`
		args = append(args, before)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []attendance.Audit{}
	for rows.Next() {
		var a attendance.Audit
		var detail string
		var at int64
		if err := rows.Scan(&a.ID, &a.OrgID, &a.ActorID, &a.Action, &a.Target, &detail, &at); err != nil {
			return nil, err
		}
		var d any
		_ = json.Unmarshal([]byte(detail), &d)
		a.Detail, a.At = d, fromMicros(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// QuietPrefs returns a user's quiet-hour choices.
func (st attStore) QuietPrefs(ctx context.Context, userID tack.ID) (attendance.QuietPrefs, error) {
	db := st.db
	var p attendance.QuietPrefs
	var s string
	err := db.r.QueryRowContext(ctx, `SELECT prefs FROM att_quiet WHERE user_id = ?`, userID).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return p, nil
	} else if err != nil {
		return p, err
	}
	return p, json.Unmarshal([]byte(s), &p)
}

// PutQuietPrefs replaces a user's quiet-hour choices.
func (st attStore) PutQuietPrefs(ctx context.Context, userID tack.ID, p attendance.QuietPrefs) error {
	db := st.db
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO att_quiet (user_id, prefs) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET prefs = excluded.prefs`,
			userID, jsonText(p))
		return err
	})
}

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

func conflictIfUnique(err error) error {
	if isUnique(err) {
		return errAttConflict
	}
	return err
}

func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errAttConflict
	}
	return nil
}

// attCommitter commits concurrent attendance batches together: one
// transaction holds many (each in a savepoint, so that one that fails
// alone rolls back alone), as the chat store's group commit does for
// messages. A batch is acknowledged only after the transaction holding it
// committed. The first caller to find nobody committing commits the queue
// and whatever arrives meanwhile; the others wait for their result.
type attCommitter struct {
	mu      sync.Mutex
	pending []*attReq
	running bool
	stmts   sync.Map // query -> *sql.Stmt on the writer
	seenMu  sync.Mutex
	seen    map[string]bool // queries run unprepared
}

type attReq struct {
	b    attendance.Batch
	done chan error
}

func (c *attCommitter) close() {
	c.stmts.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
}

// attExec runs q in tx, as a statement prepared on the writer once it has
// been seen: the writer's one connection is busy with tx, so a statement
// seen for the first time runs unprepared and is prepared after the
// transaction (prepareSeen).
func (db *DB) attExec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st, ok := db.att.stmts.Load(q); ok {
		return tx.StmtContext(ctx, st.(*sql.Stmt)).ExecContext(ctx, args...)
	}
	db.att.seenMu.Lock()
	if db.att.seen == nil {
		db.att.seen = map[string]bool{}
	}
	db.att.seen[q] = true
	db.att.seenMu.Unlock()
	return tx.ExecContext(ctx, q, args...)
}

// prepareSeen prepares the statements run unprepared so far.
func (db *DB) prepareSeen(ctx context.Context) {
	db.att.seenMu.Lock()
	seen := db.att.seen
	db.att.seen = nil
	db.att.seenMu.Unlock()
	for q := range seen {
		if _, ok := db.att.stmts.Load(q); ok {
			continue
		}
		if st, err := db.w.PrepareContext(ctx, q); err == nil {
			db.att.stmts.Store(q, st)
		}
	}
}

// Apply writes b atomically, in a transaction it may share with other
// batches written at the same moment.
func (st attStore) Apply(ctx context.Context, b attendance.Batch) error {
	db := st.db
	c := &db.att
	req := &attReq{b: b, done: make(chan error, 1)}
	c.mu.Lock()
	c.pending = append(c.pending, req)
	if c.running {
		c.mu.Unlock()
		return <-req.done
	}
	c.running = true
	for {
		group := c.pending
		c.pending = nil
		c.mu.Unlock()
		db.commitGroup(group)
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.running = false
			c.mu.Unlock()
			break
		}
	}
	return <-req.done
}

// commitGroup writes the batches of group in one transaction and answers
// each. It does not use a caller's context: a caller that gives up must
// not undo the others' writes.
func (db *DB) commitGroup(group []*attReq) {
	ctx := context.Background()
	errs := make([]error, len(group))
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if len(group) == 1 {
			errs[0] = db.applyAtt(ctx, tx, group[0].b)
			return errs[0]
		}
		for i, r := range group {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT att`); err != nil {
				return err
			}
			if errs[i] = db.applyAtt(ctx, tx, r.b); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO att`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE att`); err != nil {
				return err
			}
		}
		return nil
	})
	db.prepareSeen(ctx)
	for i, r := range group {
		switch {
		case errs[i] != nil:
			r.done <- errs[i]
		case err != nil:
			r.done <- err
		default:
			r.done <- nil
		}
	}
}

// applyAtt writes b within tx.
func (db *DB) applyAtt(ctx context.Context, tx *sql.Tx, b attendance.Batch) error {
	exec := func(q string, args ...any) (sql.Result, error) { return db.attExec(ctx, tx, q, args...) }
	for _, w := range b.Groups {
		g := w.Group
		switch {
		case w.Delete:
			if _, err := exec(`DELETE FROM att_group_targets WHERE group_id = ?`, g.ID); err != nil {
				return err
			}
			if err := mustAffect(exec(`DELETE FROM att_groups WHERE id = ? AND org_id = ?`, g.ID, g.OrgID)); err != nil {
				return err
			}
			continue
		case w.PrevVersion == 0:
			if _, err := exec(`INSERT INTO att_groups (id, org_id, name, rules, version, planned_through, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				g.ID, g.OrgID, g.Name, jsonText(g), g.Version, g.PlannedThrough, micros(g.CreatedAt)); err != nil {
				return conflictIfUnique(err)
			}
		default:
			if err := mustAffect(exec(`UPDATE att_groups SET name = ?, rules = ?, version = ? WHERE id = ? AND org_id = ? AND version = ?`,
				g.Name, jsonText(g), g.Version, g.ID, g.OrgID, w.PrevVersion)); err != nil {
				return err
			}
			if _, err := exec(`DELETE FROM att_group_targets WHERE group_id = ?`, g.ID); err != nil {
				return err
			}
		}
		for _, t := range w.Targets {
			if _, err := exec(`INSERT INTO att_group_targets (org_id, target_id, group_id, kind) VALUES (?, ?, ?, ?)`,
				t.OrgID, t.ID, t.GroupID, t.Kind); err != nil {
				return conflictIfUnique(err)
			}
		}
	}
	if p := b.Plan; p != nil {
		if err := mustAffect(exec(`UPDATE att_groups SET planned_through = ? WHERE id = ? AND org_id = ? AND planned_through = ?`,
			p.To, p.GroupID, p.OrgID, p.From)); err != nil {
			return err
		}
	}
	for _, sh := range b.Shifts {
		if _, err := exec(`INSERT INTO att_shifts (id, org_id, name, rules, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, rules = excluded.rules`,
			sh.ID, sh.OrgID, sh.Name, jsonText(sh), micros(sh.CreatedAt)); err != nil {
			return conflictIfUnique(err)
		}
	}
	for _, id := range b.DeleteShifts {
		if _, err := exec(`DELETE FROM att_shifts WHERE id = ?`, id); err != nil {
			return err
		}
	}
	for _, h := range b.Holidays {
		if _, err := exec(`INSERT INTO att_holidays (org_id, day, kind, name) VALUES (?, ?, ?, ?)
			ON CONFLICT (org_id, day) DO UPDATE SET kind = excluded.kind, name = excluded.name`, h.OrgID, h.Date, h.Kind, h.Name); err != nil {
			return err
		}
	}
	for _, h := range b.DeleteHolidays {
		if _, err := exec(`DELETE FROM att_holidays WHERE org_id = ? AND day = ?`, h.OrgID, h.Date); err != nil {
			return err
		}
	}
	for _, s := range b.Schedules {
		if _, err := exec(`INSERT INTO att_schedules (org_id, user_id, work_date, group_id, shift_id) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (org_id, user_id, work_date) DO UPDATE SET group_id = excluded.group_id, shift_id = excluded.shift_id`,
			s.OrgID, s.UserID, s.Date, s.GroupID, s.ShiftID); err != nil {
			return err
		}
	}
	for _, s := range b.DeleteSchedules {
		if _, err := exec(`DELETE FROM att_schedules WHERE org_id = ? AND user_id = ? AND work_date = ?`, s.OrgID, s.UserID, s.Date); err != nil {
			return err
		}
	}
	for _, p := range b.Punches {
		var dist any
		if p.DistanceM != nil {
			dist = *p.DistanceM
		}
		cr := 0
		if p.ClientReported {
			cr = 1
		}
		if _, err := exec(`INSERT INTO att_punches (`+punchCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.OrgID, p.UserID, p.WorkDate, micros(p.At), p.CheckType, p.Pair, p.SourceType, p.LocationResult, p.Via, p.Place,
			dist, cr, p.Note, p.Lat, p.Lng, p.AccuracyM, nullMicros(p.EraseAt), p.ApproveID, p.ActorID); err != nil {
			return conflictIfUnique(err)
		}
	}
	for _, w := range b.Days {
		if err := writeDay(exec, w); err != nil {
			return err
		}
	}
	for _, c := range b.Covers {
		if _, err := exec(`INSERT INTO att_covers (`+coverCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.OrgID, c.UserID, c.Kind, c.LeaveType, micros(c.Start), micros(c.End), c.ApprovalID, c.Source, c.CreatedBy, micros(c.CreatedAt)); err != nil {
			return conflictIfUnique(err)
		}
	}
	for _, id := range b.DeleteCovers {
		if _, err := exec(`DELETE FROM att_covers WHERE id = ?`, id); err != nil {
			return err
		}
	}
	for _, v := range b.Views {
		if _, err := exec(`INSERT INTO att_views (id, org_id, viewer_id, subject_id, what, range_from, range_to, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			v.ID, v.OrgID, v.ViewerID, v.SubjectID, v.What, v.From, v.To, micros(v.At)); err != nil {
			return err
		}
	}
	for _, a := range b.Audit {
		if _, err := exec(`INSERT INTO att_audit (id, org_id, actor_id, action, target, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.OrgID, a.ActorID, a.Action, a.Target, jsonText(a.Detail), micros(a.At)); err != nil {
			return err
		}
	}
	return nil
}

func writeDay(exec func(string, ...any) (sql.Result, error), w attendance.DayWrite) error {
	d := w.Day
	body := jsonText(dayBody{Plan: d.Plan, Checks: d.Checks, Summary: d.Summary, Covers: d.Covers})
	switch w.Mode {
	case attendance.InsertDay, attendance.InsertIfAbsent:
		q := `INSERT INTO att_days (` + dayCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`
		if w.Mode == attendance.InsertIfAbsent {
			q += ` ON CONFLICT DO NOTHING`
		}
		_, err := exec(q, d.OrgID, d.UserID, d.WorkDate, d.MemberID, d.GroupID, d.State, body, micros(d.DueAt),
			d.Closes, nullMicros(d.ClosedAt), micros(d.UpdatedAt))
		return conflictIfUnique(err)
	case attendance.UpdateDay:
		return mustAffect(exec(`UPDATE att_days SET member_id = ?, group_id = ?, state = ?, body = ?, due_at = ?, rev = rev + 1,
			closes = ?, closed_at = ?, updated_at = ? WHERE org_id = ? AND user_id = ? AND work_date = ? AND rev = ?`,
			d.MemberID, d.GroupID, d.State, body, micros(d.DueAt), d.Closes, nullMicros(d.ClosedAt), micros(d.UpdatedAt),
			d.OrgID, d.UserID, d.WorkDate, w.PrevRev))
	}
	return fmt.Errorf("day write: unknown mode %d", w.Mode)
}

var _ attendance.Store = attStore{}

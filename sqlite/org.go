package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
)

var _ org.Store = (*DB)(nil)

type scanner interface{ Scan(...any) error }

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func idList(s string) []tack.ID {
	out := []tack.ID{}
	if s == "" {
		return out
	}
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

func commaIDs(s sql.NullString) []tack.ID {
	out := []tack.ID{}
	if !s.Valid || s.String == "" {
		return out
	}
	for _, p := range strings.Split(s.String, ",") {
		out = append(out, tack.ID(p))
	}
	return out
}

func anyArgs[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// prefixEnd is the smallest string greater than every string that starts
// with p (for UTF-8 text compared bytewise).
func prefixEnd(p string) string { return p + "\U0010FFFF" }

// pathEnd is the end of the range of paths under path, which ends in "/".
func pathEnd(path string) string { return strings.TrimSuffix(path, "/") + "0" }

// ---- organisations and departments ----

const orgCols = `id, name, logo, time_zone, owner_id, privacy, created_at, require_admin_2fa`

func scanOrg(sc scanner) (org.Org, error) {
	var o org.Org
	var priv string
	var at int64
	var req2 int
	if err := sc.Scan(&o.ID, &o.Name, &o.Logo, &o.TimeZone, &o.OwnerID, &priv, &at, &req2); err != nil {
		return o, notFound(err)
	}
	o.RequireAdmin2FA = req2 != 0
	o.CreatedAt = fromMicros(at)
	if err := json.Unmarshal([]byte(priv), &o.Privacy); err != nil {
		return o, fmt.Errorf("privacy: %w", err)
	}
	if o.Privacy.HiddenFields == nil {
		o.Privacy.HiddenFields = []string{}
	}
	if o.Privacy.HiddenDepartments == nil {
		o.Privacy.HiddenDepartments = []tack.ID{}
	}
	return o, nil
}

// Org returns one organisation.
func (db *DB) Org(ctx context.Context, id tack.ID) (org.Org, error) {
	return scanOrg(db.rqueryRow(ctx, `SELECT `+orgCols+` FROM orgs WHERE id = ?`, id))
}

// OrgsOf lists the organisations userID has a member row in.
func (db *DB) OrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error) {
	// Both statements prepared once (rquery): asked for on every send's
	// read events.
	ms, err := scanMembers(db.rquery(ctx, `SELECT `+memberCols+` FROM org_members m WHERE m.user_id = ? ORDER BY m.created_at, m.id`, userID))
	if err != nil {
		return nil, nil, err
	}
	os := make([]org.Org, 0, len(ms))
	for _, m := range ms {
		o, err := db.Org(ctx, m.OrgID)
		if err != nil {
			return nil, nil, err
		}
		os = append(os, o)
	}
	return os, ms, nil
}

// Departments lists an organisation's departments.
func (db *DB) Departments(ctx context.Context, orgID tack.ID) ([]org.Department, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, org_id, parent_id, name, path, heads, created_at FROM org_departments
		WHERE org_id = ? ORDER BY path`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []org.Department{}
	for rows.Next() {
		var d org.Department
		var heads string
		var at int64
		if err := rows.Scan(&d.ID, &d.OrgID, &d.ParentID, &d.Name, &d.Path, &heads, &at); err != nil {
			return nil, err
		}
		d.HeadIDs, d.CreatedAt = idList(heads), fromMicros(at)
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b org.Department) int {
		if a.ParentID == b.ParentID {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		return 0
	})
	return out, rows.Err()
}

// DepartmentUse counts sub-departments and members who have not left.
func (db *DB) DepartmentUse(ctx context.Context, deptID tack.ID) (children, members int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM org_departments WHERE parent_id = ?1),
		(SELECT count(*) FROM org_member_departments md JOIN org_members m ON m.id = md.member_id
			WHERE md.dept_id = ?1 AND m.status != 'left')`, deptID).Scan(&children, &members)
	return children, members, err
}

// ---- members ----

const memberCols = `m.id, m.org_id, m.user_id, m.name, m.sort_key, m.title, m.employee_no, m.work_email, m.phone, m.hire_date,
	m.manager_id, m.status, m.role, m.scope, m.created_at, m.joined_at, m.updated_at,
	(SELECT group_concat(dept_id) FROM (SELECT dept_id FROM org_member_departments WHERE member_id = m.id ORDER BY pos))`

func scanMember(sc scanner) (org.Member, error) {
	var m org.Member
	var user, depts sql.NullString
	var scope string
	var created, updated int64
	var joined sql.NullInt64
	err := sc.Scan(&m.ID, &m.OrgID, &user, &m.Name, &m.SortKey, &m.Title, &m.EmployeeNo, &m.WorkEmail, &m.Phone, &m.HireDate,
		&m.ManagerID, &m.Status, &m.Role, &scope, &created, &joined, &updated, &depts)
	if err != nil {
		return m, notFound(err)
	}
	m.UserID = tack.ID(user.String)
	m.Scope = idList(scope)
	if len(m.Scope) == 0 {
		m.Scope = nil
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	if joined.Valid {
		t := fromMicros(joined.Int64)
		m.JoinedAt = &t
	}
	m.Departments = commaIDs(depts)
	return m, nil
}

func (db *DB) members(ctx context.Context, where string, args ...any) ([]org.Member, error) {
	return db.membersFrom(ctx, `FROM org_members m `+where, args...)
}

func (db *DB) membersFrom(ctx context.Context, tail string, args ...any) ([]org.Member, error) {
	return scanMembers(db.r.QueryContext(ctx, `SELECT `+memberCols+` `+tail, args...))
}

// scanMembers reads the rows of a query of memberCols.
func scanMembers(rows *sql.Rows, err error) ([]org.Member, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []org.Member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Member returns the member of orgID whose member or user ID is id.
func (db *DB) Member(ctx context.Context, orgID, id tack.ID) (org.Member, error) {
	return scanMember(db.rqueryRow(ctx, `SELECT `+memberCols+` FROM org_members m
		WHERE m.org_id = ?1 AND (m.id = ?2 OR m.user_id = ?2) ORDER BY m.id = ?2 DESC LIMIT 1`, orgID, id))
}

// MembersByID returns those of ids that are members of orgID.
func (db *DB) MembersByID(ctx context.Context, orgID tack.ID, ids []tack.ID) ([]org.Member, error) {
	var out []org.Member
	for len(ids) > 0 {
		n := min(len(ids), 500)
		ms, err := db.members(ctx, `WHERE m.org_id = ? AND m.id IN (`+placeholders(n)+`)`, append([]any{orgID}, anyArgs(ids[:n])...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
		ids = ids[n:]
	}
	return out, nil
}

// MembersMatching returns members with one of the employee numbers or emails.
func (db *DB) MembersMatching(ctx context.Context, orgID tack.ID, empNos, emails []string) ([]org.Member, error) {
	var out []org.Member
	for _, q := range []struct {
		col  string
		vals []string
	}{{"employee_no", empNos}, {"work_email", emails}} {
		for vals := q.vals; len(vals) > 0; {
			n := min(len(vals), 500)
			ms, err := db.members(ctx, `WHERE m.org_id = ? AND m.`+q.col+` IN (`+placeholders(n)+`)`, append([]any{orgID}, anyArgs(vals[:n])...)...)
			if err != nil {
				return nil, err
			}
			out = append(out, ms...)
			vals = vals[n:]
		}
	}
	slices.SortFunc(out, func(a, b org.Member) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return slices.CompactFunc(out, func(a, b org.Member) bool { return a.ID == b.ID }), nil
}

// deptCond returns a condition that m is in a department within one of the
// subtrees at paths.
func deptCond(paths []string, args *[]any) string {
	var ors []string
	for _, p := range paths {
		ors = append(ors, `(d.path >= ? AND d.path < ?)`)
		*args = append(*args, p, pathEnd(p))
	}
	if len(ors) == 0 {
		ors = []string{"0"}
	}
	return `EXISTS (SELECT 1 FROM org_member_departments md JOIN org_departments d ON d.id = md.dept_id
		WHERE md.member_id = m.id AND (` + strings.Join(ors, " OR ") + `))`
}

// broadHits is the number of key hits past which a search walks the
// directory in order rather than sorting its hits.
var broadHits = 2000

// broad reports whether prefix term hits more than broadHits keys.
func (db *DB) broad(ctx context.Context, orgID tack.ID, term string) bool {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM org_member_keys WHERE org_id = ? AND key >= ? AND key < ? LIMIT ?)`,
		orgID, term, prefixEnd(term), broadHits+1).Scan(&n)
	return err == nil && n > broadHits
}

// SearchMembers finds members by q, ordered by (sort key, ID).
func (db *DB) SearchMembers(ctx context.Context, q org.MemberQuery) ([]org.Member, error) {
	var args []any
	from := `org_members m`
	var where []string
	for i, t := range q.Terms {
		var fieldCond string
		if q.Fields != nil {
			fieldCond = ` AND k.field IN (` + placeholders(len(q.Fields)) + `)`
		}
		hits := `SELECT k.member_id FROM org_member_keys k WHERE k.org_id = ? AND k.key >= ? AND k.key < ?` + fieldCond + `
			UNION SELECT md.member_id FROM org_department_keys dk JOIN org_member_departments md ON md.dept_id = dk.dept_id
			WHERE dk.org_id = ? AND dk.key >= ? AND dk.key < ?`
		targs := []any{q.OrgID, t, prefixEnd(t)}
		targs = append(targs, anyArgs(q.Fields)...)
		targs = append(targs, q.OrgID, t, prefixEnd(t))
		if i == 0 && !db.broad(ctx, q.OrgID, t) {
			// A narrow first term drives the query: its hits are few next
			// to the organisation, then sorted.
			from = `(` + hits + `) h CROSS JOIN org_members m ON m.id = h.member_id`
			args = append(targs, args...)
		} else {
			if i == 0 {
				// A broad one: walk the members in directory order and
				// stop at the page's end; a tenth of them match, so a page
				// is a few hundred rows away.
				from = `org_members m INDEXED BY org_members_sort`
			}
			where = append(where, `m.id IN (`+hits+`)`)
			args = append(args, targs...)
		}
	}
	where = append(where, `m.org_id = ?`)
	args = append(args, q.OrgID)
	if len(q.Statuses) > 0 {
		where = append(where, `m.status IN (`+placeholders(len(q.Statuses))+`)`)
		args = append(args, anyArgs(q.Statuses)...)
	}
	if q.Department != "" {
		where = append(where, `m.id IN (SELECT member_id FROM org_member_departments WHERE dept_id = ?)`)
		args = append(args, q.Department)
	}
	if q.Under != nil {
		var sub []any
		c := deptCond(q.Under, &sub)
		if q.Self != "" {
			c = `(m.id = ? OR ` + c + `)`
			args = append(args, q.Self)
		}
		args = append(args, sub...)
		where = append(where, c)
	}
	if len(q.Exclude) > 0 {
		where = append(where, `NOT `+deptCond(q.Exclude, &args))
	}
	if q.AfterID != "" {
		where = append(where, `(m.sort_key, m.id) > (?, ?)`)
		args = append(args, q.AfterKey, q.AfterID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	args = append(args, limit)
	// Pick the page by the narrow (sort key, ID) first, then read those rows
	// in full: a broad prefix may hit thousands of members, and sorting full
	// rows (departments included) would cost far more.
	return db.membersFrom(ctx, `FROM org_members m WHERE m.id IN (SELECT m.id FROM `+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY m.sort_key, m.id LIMIT ?) ORDER BY m.sort_key, m.id`, args...)
}

// ActiveUsersUnder returns user IDs of active members in the subtree at path.
func (db *DB) ActiveUsersUnder(ctx context.Context, orgID tack.ID, path string) ([]tack.ID, error) {
	var rows *sql.Rows
	var err error
	if path == "" {
		rows, err = db.r.QueryContext(ctx, `SELECT user_id FROM org_members WHERE org_id = ? AND status = 'active' AND user_id IS NOT NULL
			ORDER BY joined_at, id`, orgID)
	} else {
		rows, err = db.r.QueryContext(ctx, `SELECT DISTINCT m.user_id FROM org_departments d
			JOIN org_member_departments md ON md.dept_id = d.id JOIN org_members m ON m.id = md.member_id
			WHERE d.org_id = ? AND d.path >= ? AND d.path < ? AND m.status = 'active' AND m.user_id IS NOT NULL`, orgID, path, pathEnd(path))
	}
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

func scanIDs(rows *sql.Rows) ([]tack.ID, error) {
	defer rows.Close()
	out := []tack.ID{}
	for rows.Next() {
		var id tack.ID
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// ActiveOrgsOf maps users to the organisations they are active in.
func (db *DB) ActiveOrgsOf(ctx context.Context, userIDs []tack.ID) (map[tack.ID][]tack.ID, error) {
	if len(userIDs) == 1 {
		// Asked for one user at every stream's start: read together with
		// the other streams starting at the same moment (coalesce.go).
		orgs, err := db.orgs.get(ctx, userIDs[0])
		if err != nil {
			return nil, err
		}
		out := map[tack.ID][]tack.ID{}
		if len(orgs) > 0 {
			out[userIDs[0]] = orgs
		}
		return out, nil
	}
	return db.activeOrgsOf(ctx, userIDs)
}

// activeOrgsOf is ActiveOrgsOf read at once.
func (db *DB) activeOrgsOf(ctx context.Context, userIDs []tack.ID) (map[tack.ID][]tack.ID, error) {
	out := map[tack.ID][]tack.ID{}
	if len(userIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(slices.Compact(slices.Sorted(slices.Values(userIDs)))) // each once, as IN had it
	if err != nil {
		return nil, err
	}
	// The IDs as one JSON argument: one statement text, prepared once (it
	// is asked at every stream's start; parsing an IN list of its length
	// was most of its cost).
	rows, err := db.rquery(ctx, `SELECT m.user_id, m.org_id FROM json_each(?) k
		CROSS JOIN org_members m ON m.user_id = k.value WHERE m.status = 'active'`, string(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u, o tack.ID
		if err := rows.Scan(&u, &o); err != nil {
			return nil, err
		}
		out[u] = append(out[u], o)
	}
	return out, rows.Err()
}

// activeOrgsOfOne is activeOrgsOf for one user, for the coalescer.
func (db *DB) activeOrgsOfOne(ctx context.Context, user tack.ID) ([]tack.ID, error) {
	m, err := db.activeOrgsOf(ctx, []tack.ID{user})
	return m[user], err
}

// ExternalConversations lists userID's conversations with someone who shares
// no active organisation with userID.
func (db *DB) ExternalConversations(ctx context.Context, userID tack.ID) ([]tack.ID, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT DISTINCT o.conversation_id FROM members me
		JOIN members o ON o.conversation_id = me.conversation_id AND o.user_id != me.user_id
		WHERE me.user_id = ?1 AND NOT EXISTS (
			SELECT 1 FROM org_members a JOIN org_members b ON b.org_id = a.org_id
			WHERE a.user_id = ?1 AND a.status = 'active' AND b.user_id = o.user_id AND b.status = 'active')`, userID)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// ---- invitations, groups, audit ----

const invCols = `code, org_id, created_by, departments, member_id, target, max_uses, uses, expires_at, revoked, created_at`

func scanInvitation(sc scanner) (org.Invitation, error) {
	var inv org.Invitation
	var depts string
	var exp, at int64
	var revoked int
	err := sc.Scan(&inv.Code, &inv.OrgID, &inv.CreatedBy, &depts, &inv.MemberID, &inv.Target, &inv.MaxUses, &inv.Uses, &exp, &revoked, &at)
	if err != nil {
		return inv, notFound(err)
	}
	inv.Departments, inv.ExpiresAt, inv.Revoked, inv.CreatedAt = idList(depts), fromMicros(exp), revoked != 0, fromMicros(at)
	return inv, nil
}

func (db *DB) invitations(ctx context.Context, where string, args ...any) ([]org.Invitation, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+invCols+` FROM org_invitations `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []org.Invitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// Invitation returns one invitation.
func (db *DB) Invitation(ctx context.Context, code string) (org.Invitation, error) {
	return scanInvitation(db.r.QueryRowContext(ctx, `SELECT `+invCols+` FROM org_invitations WHERE code = ?`, code))
}

// Invitations lists an organisation's invitations, newest first.
func (db *DB) Invitations(ctx context.Context, orgID tack.ID) ([]org.Invitation, error) {
	return db.invitations(ctx, `WHERE org_id = ? ORDER BY created_at DESC, code`, orgID)
}

// InvitationsFor lists invitations addressed to one of targets.
func (db *DB) InvitationsFor(ctx context.Context, targets []string) ([]org.Invitation, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	return db.invitations(ctx, `WHERE target IN (`+placeholders(len(targets))+`) ORDER BY created_at DESC`, anyArgs(targets)...)
}

// Groups lists an organisation's groups.
func (db *DB) Groups(ctx context.Context, orgID tack.ID) ([]org.Group, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT conversation_id, org_id, dept_id, created_by, created_at FROM org_groups
		WHERE org_id = ? ORDER BY created_at, conversation_id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []org.Group{}
	for rows.Next() {
		var g org.Group
		var at int64
		if err := rows.Scan(&g.ConversationID, &g.OrgID, &g.DepartmentID, &g.CreatedBy, &at); err != nil {
			return nil, err
		}
		g.CreatedAt = fromMicros(at)
		out = append(out, g)
	}
	return out, rows.Err()
}

// AuditLog returns audit entries before an ID, newest first.
func (db *DB) AuditLog(ctx context.Context, orgID, before tack.ID, limit int) ([]org.Audit, error) {
	q := `SELECT id, org_id, actor_id, action, target, before, after, at FROM org_audit WHERE org_id = ?`
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
	out := []org.Audit{}
	for rows.Next() {
		var a org.Audit
		var b, af sql.NullString
		var at int64
		if err := rows.Scan(&a.ID, &a.OrgID, &a.ActorID, &a.Action, &a.Target, &b, &af, &at); err != nil {
			return nil, err
		}
		if b.Valid {
			a.Before = json.RawMessage(b.String)
		}
		if af.Valid {
			a.After = json.RawMessage(af.String)
		}
		a.At = fromMicros(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// ---- the friend graph ----

func scanRelations(rows *sql.Rows, err error) ([]org.Relation, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []org.Relation{}
	for rows.Next() {
		var r org.Relation
		var at int64
		if err := rows.Scan(&r.UserID, &r.OtherID, &r.State, &at); err != nil {
			return nil, err
		}
		r.At = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Relations lists every edge from or to userID.
func (db *DB) Relations(ctx context.Context, userID tack.ID) ([]org.Relation, error) {
	return scanRelations(db.r.QueryContext(ctx, `SELECT user_id, other_id, state, at FROM user_relations WHERE user_id = ?1
		UNION ALL SELECT user_id, other_id, state, at FROM user_relations WHERE other_id = ?1 AND user_id != ?1`, userID))
}

// RelationsAmong lists edges between userID and others, both ways. The
// others are one JSON argument, so the statement is prepared once: it is
// asked for on sends (blocks) and read events (receipt views), and parsing
// an IN list of its length each time was most of its cost.
func (db *DB) RelationsAmong(ctx context.Context, userID tack.ID, others []tack.ID) ([]org.Relation, error) {
	if len(others) == 0 {
		return nil, nil
	}
	return scanRelations(db.rquery(ctx, `SELECT user_id, other_id, state, at FROM user_relations
		WHERE user_id = ?1 AND other_id IN (SELECT value FROM json_each(?2))
		UNION ALL SELECT user_id, other_id, state, at FROM user_relations WHERE other_id = ?1 AND user_id IN (SELECT value FROM json_each(?2))`,
		userID, idsJSON(others)))
}

// SetRelations writes edges atomically.
func (db *DB) SetRelations(ctx context.Context, rs []org.Relation) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			var err error
			if r.State == "" {
				_, err = tx.ExecContext(ctx, `DELETE FROM user_relations WHERE user_id = ? AND other_id = ?`, r.UserID, r.OtherID)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO user_relations (user_id, other_id, state, at) VALUES (?, ?, ?, ?)
					ON CONFLICT (user_id, other_id) DO UPDATE SET state = excluded.state, at = excluded.at`, r.UserID, r.OtherID, r.State, micros(r.At))
			}
			if err != nil {
				return fmt.Errorf("relation: %w", err)
			}
		}
		return nil
	})
}

// ---- external contacts ----

const contactCols = `id, org_id, owner_id, name, company, title, phone, email, tags, note, shared, created_at, updated_at`

func scanContact(sc scanner) (org.Contact, error) {
	var c org.Contact
	var tags string
	var shared int
	var created, updated int64
	err := sc.Scan(&c.ID, &c.OrgID, &c.OwnerID, &c.Name, &c.Company, &c.Title, &c.Phone, &c.Email, &tags, &c.Note, &shared, &created, &updated)
	if err != nil {
		return c, notFound(err)
	}
	c.Tags = []string{}
	_ = json.Unmarshal([]byte(tags), &c.Tags)
	c.Shared, c.CreatedAt, c.UpdatedAt = shared != 0, fromMicros(created), fromMicros(updated)
	return c, nil
}

// Contact returns one contact of orgID.
func (db *DB) Contact(ctx context.Context, orgID, id tack.ID) (org.Contact, error) {
	return scanContact(db.r.QueryRowContext(ctx, `SELECT `+contactCols+` FROM org_contacts WHERE org_id = ? AND id = ?`, orgID, id))
}

// Contacts lists contacts visible to owner (all if owner is empty).
func (db *DB) Contacts(ctx context.Context, orgID, owner tack.ID, text, tag string, limit int) ([]org.Contact, error) {
	q := `SELECT ` + contactCols + ` FROM org_contacts WHERE org_id = ?`
	args := []any{orgID}
	if owner != "" {
		q += ` AND (owner_id = ? OR shared = 1)`
		args = append(args, owner)
	}
	if text != "" {
		p := likePrefix(text)
		q += ` AND (name_lower LIKE ? ESCAPE '\' OR lower(company) LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM json_each(tags) WHERE lower(value) LIKE ? ESCAPE '\'))`
		args = append(args, p, p, p)
	}
	if tag != "" {
		q += ` AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)`
		args = append(args, tag)
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY name_lower, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []org.Contact{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutContact inserts or replaces a contact.
func (db *DB) PutContact(ctx context.Context, c org.Contact) error {
	_, err := db.exec(ctx, `INSERT INTO org_contacts (id, org_id, owner_id, name, name_lower, company, title, phone, email, tags, note, shared, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower, company = excluded.company,
			title = excluded.title, phone = excluded.phone, email = excluded.email, tags = excluded.tags, note = excluded.note,
			shared = excluded.shared, updated_at = excluded.updated_at`,
		c.ID, c.OrgID, c.OwnerID, c.Name, strings.ToLower(c.Name), c.Company, c.Title, c.Phone, c.Email, jsonText(c.Tags), c.Note,
		b2i(c.Shared), micros(c.CreatedAt), micros(c.UpdatedAt))
	return err
}

// DeleteContact deletes a contact.
func (db *DB) DeleteContact(ctx context.Context, orgID, id tack.ID) error {
	res, err := db.exec(ctx, `DELETE FROM org_contacts WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// ---- the one write ----

func nullJSONValue(v any) any {
	if v == nil {
		return nil
	}
	return jsonText(v)
}

// Apply writes b in one transaction.
func (db *DB) Apply(ctx context.Context, b org.Batch) ([]chat.Message, error) {
	var msgs []chat.Message
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if o := b.Org; o != nil {
			_, err := tx.ExecContext(ctx, `INSERT INTO orgs (`+orgCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, logo = excluded.logo, time_zone = excluded.time_zone,
					owner_id = excluded.owner_id, privacy = excluded.privacy, require_admin_2fa = excluded.require_admin_2fa`,
				o.ID, o.Name, o.Logo, o.TimeZone, o.OwnerID, jsonText(o.Privacy), micros(o.CreatedAt), b2i(o.RequireAdmin2FA))
			if err != nil {
				return fmt.Errorf("put organisation: %w", err)
			}
		}
		if err := db.putDepartments(ctx, tx, b.Departments); err != nil {
			return err
		}
		for _, id := range b.DeleteDepartments {
			for _, q := range []string{`DELETE FROM org_department_keys WHERE dept_id = ?`, `DELETE FROM org_member_departments WHERE dept_id = ?`,
				`DELETE FROM org_departments WHERE id = ?`} {
				if _, err := tx.ExecContext(ctx, q, id); err != nil {
					return fmt.Errorf("delete department: %w", err)
				}
			}
		}
		if err := db.putMembers(ctx, tx, b.Members); err != nil {
			return err
		}
		for _, id := range b.DeleteMembers {
			for _, q := range []string{`DELETE FROM org_member_keys WHERE member_id = ?`, `DELETE FROM org_member_departments WHERE member_id = ?`,
				`DELETE FROM org_members WHERE id = ?`} {
				if _, err := tx.ExecContext(ctx, q, id); err != nil {
					return fmt.Errorf("delete member: %w", err)
				}
			}
		}
		for _, inv := range b.Invitations {
			_, err := tx.ExecContext(ctx, `INSERT INTO org_invitations (`+invCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET departments = excluded.departments, max_uses = excluded.max_uses,
					expires_at = excluded.expires_at, revoked = excluded.revoked`,
				inv.Code, inv.OrgID, inv.CreatedBy, jsonText(inv.Departments), inv.MemberID, inv.Target, inv.MaxUses, inv.Uses,
				micros(inv.ExpiresAt), b2i(inv.Revoked), micros(inv.CreatedAt))
			if err != nil {
				return fmt.Errorf("put invitation: %w", err)
			}
		}
		for _, c := range b.Claims {
			res, err := tx.ExecContext(ctx, `UPDATE org_invitations SET uses = uses + 1 WHERE code = ? AND uses < max_uses AND revoked = 0`, c.Code)
			if err != nil {
				return fmt.Errorf("claim invitation: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return tack.Errorf(tack.EConflict, "the invitation has no use left")
			}
		}
		for _, nc := range b.NewConversations {
			m, err := db.createConversationTx(ctx, tx, nc.Conversation, nc.Members, nc.First)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
		for _, g := range b.Groups {
			_, err := tx.ExecContext(ctx, `INSERT INTO org_groups (conversation_id, org_id, dept_id, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
				g.ConversationID, g.OrgID, g.DepartmentID, g.CreatedBy, micros(g.CreatedAt))
			if isUnique(err) {
				return tack.Errorf(tack.EConflict, "that group exists already")
			} else if err != nil {
				return fmt.Errorf("put group: %w", err)
			}
		}
		for _, id := range b.DeleteGroups {
			if _, err := tx.ExecContext(ctx, `DELETE FROM org_groups WHERE conversation_id = ?`, id); err != nil {
				return fmt.Errorf("delete group: %w", err)
			}
		}
		for _, ch := range b.GroupChanges {
			m, err := db.applyChangeTx(ctx, tx, ch)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
		for _, a := range b.Audit {
			_, err := tx.ExecContext(ctx, `INSERT INTO org_audit (id, org_id, actor_id, action, target, before, after, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				a.ID, a.OrgID, a.ActorID, a.Action, a.Target, nullJSONValue(a.Before), nullJSONValue(a.After), micros(a.At))
			if err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

func (db *DB) putDepartments(ctx context.Context, tx *sql.Tx, ds []org.Department) error {
	if len(ds) == 0 {
		return nil
	}
	put, err := tx.PrepareContext(ctx, `INSERT INTO org_departments (id, org_id, parent_id, name, path, heads, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name, path = excluded.path, heads = excluded.heads`)
	if err != nil {
		return err
	}
	defer put.Close()
	for _, d := range ds {
		if _, err := put.ExecContext(ctx, d.ID, d.OrgID, d.ParentID, d.Name, d.Path, jsonText(d.HeadIDs), micros(d.CreatedAt)); err != nil {
			return fmt.Errorf("put department: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM org_department_keys WHERE dept_id = ?`, d.ID); err != nil {
			return err
		}
		for _, k := range d.Keys {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO org_department_keys (org_id, key, dept_id) VALUES (?, ?, ?)`, d.OrgID, k.Text, d.ID); err != nil {
				return fmt.Errorf("department key: %w", err)
			}
		}
	}
	return nil
}

func (db *DB) putMembers(ctx context.Context, tx *sql.Tx, ms []org.Member) error {
	if len(ms) == 0 {
		return nil
	}
	stmts := map[string]*sql.Stmt{}
	for name, q := range map[string]string{
		"put": `INSERT INTO org_members (id, org_id, user_id, name, sort_key, title, employee_no, work_email, phone, hire_date,
			manager_id, status, role, scope, created_at, joined_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, sort_key = excluded.sort_key,
				title = excluded.title, employee_no = excluded.employee_no, work_email = excluded.work_email, phone = excluded.phone,
				hire_date = excluded.hire_date, manager_id = excluded.manager_id, status = excluded.status, role = excluded.role,
				scope = excluded.scope, joined_at = excluded.joined_at, updated_at = excluded.updated_at`,
		"delKeys":  `DELETE FROM org_member_keys WHERE member_id = ?`,
		"delDepts": `DELETE FROM org_member_departments WHERE member_id = ?`,
		"key":      `INSERT OR IGNORE INTO org_member_keys (org_id, key, field, member_id) VALUES (?, ?, ?, ?)`,
		"dept":     `INSERT OR IGNORE INTO org_member_departments (member_id, dept_id, pos) VALUES (?, ?, ?)`,
	} {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		stmts[name] = st
	}
	// Unique indexes are checked row by row: a member who gives up an
	// employee number or email to another in the same batch must not be in
	// the way, so free the keys of every member of the batch first.
	for rest := ms; len(rest) > 0; {
		n := min(len(rest), 500)
		ids := make([]any, n)
		for i := range n {
			ids[i] = rest[i].ID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE org_members SET employee_no = '', work_email = '' WHERE id IN (`+placeholders(n)+`)`, ids...); err != nil {
			return err
		}
		rest = rest[n:]
	}
	for _, m := range ms {
		scope := m.Scope
		if scope == nil {
			scope = []tack.ID{}
		}
		var joined any
		if m.JoinedAt != nil {
			joined = micros(*m.JoinedAt)
		}
		_, err := stmts["put"].ExecContext(ctx, m.ID, m.OrgID, nullString(string(m.UserID)), m.Name, m.SortKey, m.Title, m.EmployeeNo,
			m.WorkEmail, m.Phone, m.HireDate, m.ManagerID, m.Status, m.Role, jsonText(scope), micros(m.CreatedAt), joined, micros(m.UpdatedAt))
		if isUnique(err) {
			switch {
			case strings.Contains(err.Error(), "employee_no"):
				return &tack.Error{Code: tack.EConflict, Field: "employee_no", Message: "another member has that employee number"}
			case strings.Contains(err.Error(), "work_email"):
				return &tack.Error{Code: tack.EConflict, Field: "work_email", Message: "another member has that work email"}
			}
			return tack.Errorf(tack.EConflict, "that person is already a member")
		} else if err != nil {
			return fmt.Errorf("put member: %w", err)
		}
		if _, err := stmts["delKeys"].ExecContext(ctx, m.ID); err != nil {
			return err
		}
		if _, err := stmts["delDepts"].ExecContext(ctx, m.ID); err != nil {
			return err
		}
		for _, k := range m.Keys {
			if _, err := stmts["key"].ExecContext(ctx, m.OrgID, k.Text, k.Field, m.ID); err != nil {
				return fmt.Errorf("member key: %w", err)
			}
		}
		for i, d := range m.Departments {
			if _, err := stmts["dept"].ExecContext(ctx, m.ID, d, i); err != nil {
				return fmt.Errorf("member department: %w", err)
			}
		}
	}
	return nil
}

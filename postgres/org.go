package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
)

// The organisation store mirrors sqlite/org.go; see org.Store for the
// contracts and docs/orgs.md for the search design.

var _ org.Store = (*DB)(nil)

func jsonOf(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func idsOf(b []byte) []tack.ID {
	out := []tack.ID{}
	if len(b) > 0 {
		_ = json.Unmarshal(b, &out)
	}
	return out
}

// prefixEnd is the smallest string greater than every string that starts
// with p, in the "C" collation.
func prefixEnd(p string) string { return p + "\U0010FFFF" }

// pathEnd is the end of the range of paths under path (ending in "/").
func pathEnd(path string) string { return strings.TrimSuffix(path, "/") + "0" }

// args collects query arguments and hands out their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// ---- organisations and departments ----

const orgColumns = `id, name, logo, time_zone, owner_id, privacy, created_at, require_admin_2fa`

func scanOrg(row pgx.Row) (org.Org, error) {
	var o org.Org
	var priv []byte
	if err := row.Scan(&o.ID, &o.Name, &o.Logo, &o.TimeZone, &o.OwnerID, &priv, &o.CreatedAt, &o.RequireAdmin2FA); err != nil {
		return o, notFound(err)
	}
	o.CreatedAt = utc(o.CreatedAt)
	if err := json.Unmarshal(priv, &o.Privacy); err != nil {
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
	return scanOrg(db.pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs WHERE id = $1`, id))
}

// OrgsOf lists the organisations userID has a member row in.
func (db *DB) OrgsOf(ctx context.Context, userID tack.ID) ([]org.Org, []org.Member, error) {
	ms, err := db.members(ctx, `WHERE m.user_id = $1 ORDER BY m.created_at, m.id`, userID)
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
	rows, err := db.pool.Query(ctx, `SELECT id, org_id, parent_id, name, path, heads, created_at FROM org_departments
		WHERE org_id = $1 ORDER BY path`, orgID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Department, error) {
		var d org.Department
		var heads []byte
		err := row.Scan(&d.ID, &d.OrgID, &d.ParentID, &d.Name, &d.Path, &heads, &d.CreatedAt)
		d.HeadIDs, d.CreatedAt = idsOf(heads), utc(d.CreatedAt)
		return d, err
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b org.Department) int {
		if a.ParentID == b.ParentID {
			return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
		}
		return 0
	})
	if out == nil {
		out = []org.Department{}
	}
	return out, nil
}

// DepartmentUse counts sub-departments and members who have not left.
func (db *DB) DepartmentUse(ctx context.Context, deptID tack.ID) (children, members int, err error) {
	err = db.pool.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM org_departments WHERE parent_id = $1),
		(SELECT count(*) FROM org_member_departments md JOIN org_members m ON m.id = md.member_id
			WHERE md.dept_id = $1 AND m.status != 'left')`, deptID).Scan(&children, &members)
	return children, members, err
}

// ---- members ----

const memberColumns = `m.id, m.org_id, m.user_id, m.name, m.sort_key, m.title, m.employee_no, m.work_email, m.phone, m.hire_date,
	m.manager_id, m.status, m.role, m.scope, m.created_at, m.joined_at, m.updated_at,
	(SELECT array_agg(dept_id ORDER BY pos) FROM org_member_departments WHERE member_id = m.id)`

func scanMember(row pgx.Row) (org.Member, error) {
	var m org.Member
	var user *string
	var scope []byte
	var depts []string
	err := row.Scan(&m.ID, &m.OrgID, &user, &m.Name, &m.SortKey, &m.Title, &m.EmployeeNo, &m.WorkEmail, &m.Phone, &m.HireDate,
		&m.ManagerID, &m.Status, &m.Role, &scope, &m.CreatedAt, &m.JoinedAt, &m.UpdatedAt, &depts)
	if err != nil {
		return m, notFound(err)
	}
	if user != nil {
		m.UserID = tack.ID(*user)
	}
	if m.Scope = idsOf(scope); len(m.Scope) == 0 {
		m.Scope = nil
	}
	m.CreatedAt, m.UpdatedAt = utc(m.CreatedAt), utc(m.UpdatedAt)
	if m.JoinedAt != nil {
		t := utc(*m.JoinedAt)
		m.JoinedAt = &t
	}
	m.Departments = make([]tack.ID, len(depts))
	for i, d := range depts {
		m.Departments[i] = tack.ID(d)
	}
	return m, nil
}

func (db *DB) members(ctx context.Context, where string, a ...any) ([]org.Member, error) {
	return db.membersFrom(ctx, `FROM org_members m `+where, a...)
}

func (db *DB) membersFrom(ctx context.Context, tail string, a ...any) ([]org.Member, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+memberColumns+` `+tail, a...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Member, error) { return scanMember(row) })
	if out == nil && err == nil {
		out = []org.Member{}
	}
	return out, err
}

// Member returns the member of orgID whose member or user ID is id.
func (db *DB) Member(ctx context.Context, orgID, id tack.ID) (org.Member, error) {
	return scanMember(db.pool.QueryRow(ctx, `SELECT `+memberColumns+` FROM org_members m
		WHERE m.org_id = $1 AND (m.id = $2 OR m.user_id = $2) ORDER BY m.id = $2 DESC LIMIT 1`, orgID, id))
}

// MembersByID returns those of ids that are members of orgID.
func (db *DB) MembersByID(ctx context.Context, orgID tack.ID, list []tack.ID) ([]org.Member, error) {
	if len(list) == 0 {
		return nil, nil
	}
	return db.members(ctx, `WHERE m.org_id = $1 AND m.id = ANY($2)`, orgID, ids(list))
}

// MembersMatching returns members with one of the employee numbers or emails.
func (db *DB) MembersMatching(ctx context.Context, orgID tack.ID, empNos, emails []string) ([]org.Member, error) {
	if len(empNos)+len(emails) == 0 {
		return nil, nil
	}
	if empNos == nil {
		empNos = []string{}
	}
	if emails == nil {
		emails = []string{}
	}
	return db.members(ctx, `WHERE m.org_id = $1 AND (m.employee_no = ANY($2) OR m.work_email = ANY($3))`, orgID, empNos, emails)
}

// deptCond is a condition that m is in a department within one of the
// subtrees at paths.
func deptCond(paths []string, a *args) string {
	var ors []string
	for _, p := range paths {
		ors = append(ors, `(d.path >= `+a.add(p)+` AND d.path < `+a.add(pathEnd(p))+`)`)
	}
	if len(ors) == 0 {
		ors = []string{"false"}
	}
	return `EXISTS (SELECT 1 FROM org_member_departments md JOIN org_departments d ON d.id = md.dept_id
		WHERE md.member_id = m.id AND (` + strings.Join(ors, " OR ") + `))`
}

// broadHits is the number of key hits past which a search walks the
// directory in order rather than sorting its hits.
var broadHits = 2000

func (db *DB) broad(ctx context.Context, orgID tack.ID, term string) bool {
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM org_member_keys WHERE org_id = $1 AND key >= $2 AND key < $3 LIMIT $4) h`,
		orgID, term, prefixEnd(term), broadHits+1).Scan(&n)
	return err == nil && n > broadHits
}

// SearchMembers finds members by q, ordered by (sort key, ID).
func (db *DB) SearchMembers(ctx context.Context, q org.MemberQuery) ([]org.Member, error) {
	var a args
	from := `org_members m`
	var where []string
	fields := make([]int16, len(q.Fields))
	for i, f := range q.Fields {
		fields[i] = int16(f)
	}
	for i, t := range q.Terms {
		fieldCond := ""
		if q.Fields != nil {
			fieldCond = ` AND k.field = ANY(` + a.add(fields) + `)`
		}
		lo, hi := a.add(t), a.add(prefixEnd(t))
		hits := `SELECT k.member_id FROM org_member_keys k WHERE k.org_id = ` + a.add(q.OrgID) + ` AND k.key >= ` + lo + ` AND k.key < ` + hi + fieldCond + `
			UNION SELECT md.member_id FROM org_department_keys dk JOIN org_member_departments md ON md.dept_id = dk.dept_id
			WHERE dk.org_id = ` + a.add(q.OrgID) + ` AND dk.key >= ` + lo + ` AND dk.key < ` + hi
		if i == 0 && !db.broad(ctx, q.OrgID, t) {
			from = `(` + hits + `) h JOIN org_members m ON m.id = h.member_id`
		} else {
			where = append(where, `m.id IN (`+hits+`)`)
		}
	}
	where = append(where, `m.org_id = `+a.add(q.OrgID))
	if len(q.Statuses) > 0 {
		where = append(where, `m.status = ANY(`+a.add(q.Statuses)+`)`)
	}
	if q.Department != "" {
		where = append(where, `m.id IN (SELECT member_id FROM org_member_departments WHERE dept_id = `+a.add(q.Department)+`)`)
	}
	if q.Under != nil {
		c := deptCond(q.Under, &a)
		if q.Self != "" {
			c = `(m.id = ` + a.add(q.Self) + ` OR ` + c + `)`
		}
		where = append(where, c)
	}
	if len(q.Exclude) > 0 {
		where = append(where, `NOT `+deptCond(q.Exclude, &a))
	}
	if q.AfterID != "" {
		where = append(where, `(m.sort_key, m.id) > (`+a.add(q.AfterKey)+`, `+a.add(q.AfterID)+` COLLATE "C")`)
	}
	var limit any
	if q.Limit > 0 {
		limit = q.Limit
	}
	lim := a.add(limit)
	return db.membersFrom(ctx, `FROM org_members m WHERE m.id IN (SELECT m.id FROM `+from+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY m.sort_key, m.id COLLATE "C" LIMIT `+lim+`) ORDER BY m.sort_key, m.id COLLATE "C"`, a...)
}

// ActiveUsersUnder returns user IDs of active members in the subtree at path.
func (db *DB) ActiveUsersUnder(ctx context.Context, orgID tack.ID, path string) ([]tack.ID, error) {
	var rows pgx.Rows
	var err error
	if path == "" {
		rows, err = db.pool.Query(ctx, `SELECT user_id FROM org_members WHERE org_id = $1 AND status = 'active' AND user_id IS NOT NULL
			ORDER BY joined_at, id`, orgID)
	} else {
		rows, err = db.pool.Query(ctx, `SELECT DISTINCT m.user_id FROM org_departments d
			JOIN org_member_departments md ON md.dept_id = d.id JOIN org_members m ON m.id = md.member_id
			WHERE d.org_id = $1 AND d.path >= $2 AND d.path < $3 AND m.status = 'active' AND m.user_id IS NOT NULL`, orgID, path, pathEnd(path))
	}
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[tack.ID])
	if out == nil && err == nil {
		out = []tack.ID{}
	}
	return out, err
}

// ActiveOrgsOf maps users to the organisations they are active in.
func (db *DB) ActiveOrgsOf(ctx context.Context, userIDs []tack.ID) (map[tack.ID][]tack.ID, error) {
	out := map[tack.ID][]tack.ID{}
	if len(userIDs) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT user_id, org_id FROM org_members WHERE status = 'active' AND user_id = ANY($1)`, ids(userIDs))
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

// ExternalConversations lists userID's conversations with someone who shares
// no active organisation with userID.
func (db *DB) ExternalConversations(ctx context.Context, userID tack.ID) ([]tack.ID, error) {
	rows, err := db.pool.Query(ctx, `SELECT DISTINCT o.conversation_id FROM members me
		JOIN members o ON o.conversation_id = me.conversation_id AND o.user_id != me.user_id
		WHERE me.user_id = $1 AND NOT EXISTS (
			SELECT 1 FROM org_members a JOIN org_members b ON b.org_id = a.org_id
			WHERE a.user_id = $1 AND a.status = 'active' AND b.user_id = o.user_id AND b.status = 'active')`, userID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[tack.ID])
	if out == nil && err == nil {
		out = []tack.ID{}
	}
	return out, err
}

// ---- invitations, groups, audit ----

const invColumns = `code, org_id, created_by, departments, member_id, target, max_uses, uses, expires_at, revoked, created_at`

func scanInvitation(row pgx.Row) (org.Invitation, error) {
	var inv org.Invitation
	var depts []byte
	err := row.Scan(&inv.Code, &inv.OrgID, &inv.CreatedBy, &depts, &inv.MemberID, &inv.Target, &inv.MaxUses, &inv.Uses,
		&inv.ExpiresAt, &inv.Revoked, &inv.CreatedAt)
	if err != nil {
		return inv, notFound(err)
	}
	inv.Departments, inv.ExpiresAt, inv.CreatedAt = idsOf(depts), utc(inv.ExpiresAt), utc(inv.CreatedAt)
	return inv, nil
}

func (db *DB) invitations(ctx context.Context, where string, a ...any) ([]org.Invitation, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+invColumns+` FROM org_invitations `+where, a...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Invitation, error) { return scanInvitation(row) })
	if out == nil && err == nil {
		out = []org.Invitation{}
	}
	return out, err
}

// Invitation returns one invitation.
func (db *DB) Invitation(ctx context.Context, code string) (org.Invitation, error) {
	return scanInvitation(db.pool.QueryRow(ctx, `SELECT `+invColumns+` FROM org_invitations WHERE code = $1`, code))
}

// Invitations lists an organisation's invitations, newest first.
func (db *DB) Invitations(ctx context.Context, orgID tack.ID) ([]org.Invitation, error) {
	return db.invitations(ctx, `WHERE org_id = $1 ORDER BY created_at DESC, code`, orgID)
}

// InvitationsFor lists invitations addressed to one of targets.
func (db *DB) InvitationsFor(ctx context.Context, targets []string) ([]org.Invitation, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	return db.invitations(ctx, `WHERE target = ANY($1) ORDER BY created_at DESC`, targets)
}

// Groups lists an organisation's groups.
func (db *DB) Groups(ctx context.Context, orgID tack.ID) ([]org.Group, error) {
	rows, err := db.pool.Query(ctx, `SELECT conversation_id, org_id, dept_id, created_by, created_at FROM org_groups
		WHERE org_id = $1 ORDER BY created_at, conversation_id`, orgID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Group, error) {
		var g org.Group
		err := row.Scan(&g.ConversationID, &g.OrgID, &g.DepartmentID, &g.CreatedBy, &g.CreatedAt)
		g.CreatedAt = utc(g.CreatedAt)
		return g, err
	})
	if out == nil && err == nil {
		out = []org.Group{}
	}
	return out, err
}

// AuditLog returns audit entries before an ID, newest first.
func (db *DB) AuditLog(ctx context.Context, orgID, before tack.ID, limit int) ([]org.Audit, error) {
	q := `SELECT id, org_id, actor_id, action, target, before, after, at FROM org_audit WHERE org_id = $1`
	a := []any{orgID}
	if before != "" {
		q += ` AND id < $2`
		a = append(a, before)
	}
	a = append(a, limit)
	rows, err := db.pool.Query(ctx, q+` ORDER BY id DESC LIMIT $`+strconv.Itoa(len(a)), a...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Audit, error) {
		var e org.Audit
		var b, af []byte
		err := row.Scan(&e.ID, &e.OrgID, &e.ActorID, &e.Action, &e.Target, &b, &af, &e.At)
		if b != nil {
			e.Before = json.RawMessage(b)
		}
		if af != nil {
			e.After = json.RawMessage(af)
		}
		e.At = utc(e.At)
		return e, err
	})
	if out == nil && err == nil {
		out = []org.Audit{}
	}
	return out, err
}

// ---- the friend graph ----

func collectRelations(rows pgx.Rows, err error) ([]org.Relation, error) {
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Relation, error) {
		var r org.Relation
		err := row.Scan(&r.UserID, &r.OtherID, &r.State, &r.At)
		r.At = utc(r.At)
		return r, err
	})
	if out == nil && err == nil {
		out = []org.Relation{}
	}
	return out, err
}

// Relations lists every edge from or to userID.
func (db *DB) Relations(ctx context.Context, userID tack.ID) ([]org.Relation, error) {
	return collectRelations(db.pool.Query(ctx, `SELECT user_id, other_id, state, at FROM user_relations WHERE user_id = $1
		UNION ALL SELECT user_id, other_id, state, at FROM user_relations WHERE other_id = $1 AND user_id != $1`, userID))
}

// RelationsAmong lists edges between userID and others, both ways.
func (db *DB) RelationsAmong(ctx context.Context, userID tack.ID, others []tack.ID) ([]org.Relation, error) {
	if len(others) == 0 {
		return nil, nil
	}
	return collectRelations(db.pool.Query(ctx, `SELECT user_id, other_id, state, at FROM user_relations
		WHERE user_id = $1 AND other_id = ANY($2)
		UNION ALL SELECT user_id, other_id, state, at FROM user_relations WHERE other_id = $1 AND user_id = ANY($2)`, userID, ids(others)))
}

// SetRelations writes edges atomically.
func (db *DB) SetRelations(ctx context.Context, rs []org.Relation) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		for _, r := range rs {
			var err error
			if r.State == "" {
				_, err = tx.Exec(ctx, `DELETE FROM user_relations WHERE user_id = $1 AND other_id = $2`, r.UserID, r.OtherID)
			} else {
				_, err = tx.Exec(ctx, `INSERT INTO user_relations (user_id, other_id, state, at) VALUES ($1, $2, $3, $4)
					ON CONFLICT (user_id, other_id) DO UPDATE SET state = excluded.state, at = excluded.at`, r.UserID, r.OtherID, r.State, r.At)
			}
			if err != nil {
				return fmt.Errorf("relation: %w", err)
			}
		}
		return nil
	})
}

// ---- external contacts ----

const contactColumns = `id, org_id, owner_id, name, company, title, phone, email, tags, note, shared, created_at, updated_at`

func scanContact(row pgx.Row) (org.Contact, error) {
	var c org.Contact
	var tags []byte
	err := row.Scan(&c.ID, &c.OrgID, &c.OwnerID, &c.Name, &c.Company, &c.Title, &c.Phone, &c.Email, &tags, &c.Note, &c.Shared,
		&c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return c, notFound(err)
	}
	c.Tags = []string{}
	_ = json.Unmarshal(tags, &c.Tags)
	c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
	return c, nil
}

// Contact returns one contact of orgID.
func (db *DB) Contact(ctx context.Context, orgID, id tack.ID) (org.Contact, error) {
	return scanContact(db.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM org_contacts WHERE org_id = $1 AND id = $2`, orgID, id))
}

// Contacts lists contacts visible to owner (all if owner is empty).
func (db *DB) Contacts(ctx context.Context, orgID, owner tack.ID, text, tag string, limit int) ([]org.Contact, error) {
	var a args
	q := `SELECT ` + contactColumns + ` FROM org_contacts WHERE org_id = ` + a.add(orgID)
	if owner != "" {
		q += ` AND (owner_id = ` + a.add(owner) + ` OR shared)`
	}
	if text != "" {
		p := a.add(likePrefix(text))
		q += ` AND (name_lower LIKE ` + p + ` OR lower(company) LIKE ` + p + ` OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(tags) t WHERE lower(t) LIKE ` + p + `))`
	}
	if tag != "" {
		q += ` AND tags ? ` + a.add(tag)
	}
	rows, err := db.pool.Query(ctx, q+` ORDER BY name_lower, id LIMIT `+a.add(limit), a...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (org.Contact, error) { return scanContact(row) })
	if out == nil && err == nil {
		out = []org.Contact{}
	}
	return out, err
}

// PutContact inserts or replaces a contact.
func (db *DB) PutContact(ctx context.Context, c org.Contact) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO org_contacts (id, org_id, owner_id, name, name_lower, company, title, phone, email, tags, note, shared, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_lower = excluded.name_lower, company = excluded.company,
			title = excluded.title, phone = excluded.phone, email = excluded.email, tags = excluded.tags, note = excluded.note,
			shared = excluded.shared, updated_at = excluded.updated_at`,
		c.ID, c.OrgID, c.OwnerID, c.Name, strings.ToLower(c.Name), c.Company, c.Title, c.Phone, c.Email, jsonOf(c.Tags), c.Note,
		c.Shared, c.CreatedAt, c.UpdatedAt)
	return err
}

// DeleteContact deletes a contact.
func (db *DB) DeleteContact(ctx context.Context, orgID, id tack.ID) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM org_contacts WHERE org_id = $1 AND id = $2`, orgID, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

// ---- the one write ----

func jsonOrNil(v any) any {
	if v == nil {
		return nil
	}
	return jsonOf(v)
}

// Apply writes b in one transaction.
func (db *DB) Apply(ctx context.Context, b org.Batch) ([]chat.Message, error) {
	var msgs []chat.Message
	err := db.tx(ctx, func(tx pgx.Tx) error {
		msgs = msgs[:0]
		if o := b.Org; o != nil {
			_, err := tx.Exec(ctx, `INSERT INTO orgs (`+orgColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (id) DO UPDATE SET name = excluded.name, logo = excluded.logo, time_zone = excluded.time_zone,
					owner_id = excluded.owner_id, privacy = excluded.privacy, require_admin_2fa = excluded.require_admin_2fa`,
				o.ID, o.Name, o.Logo, o.TimeZone, o.OwnerID, jsonOf(o.Privacy), o.CreatedAt, o.RequireAdmin2FA)
			if err != nil {
				return fmt.Errorf("put organisation: %w", err)
			}
		}
		if err := putDepartments(ctx, tx, b.Departments); err != nil {
			return err
		}
		if len(b.DeleteDepartments) > 0 {
			d := ids(b.DeleteDepartments)
			for _, q := range []string{`DELETE FROM org_department_keys WHERE dept_id = ANY($1)`,
				`DELETE FROM org_member_departments WHERE dept_id = ANY($1)`, `DELETE FROM org_departments WHERE id = ANY($1)`} {
				if _, err := tx.Exec(ctx, q, d); err != nil {
					return fmt.Errorf("delete departments: %w", err)
				}
			}
		}
		if err := putMembers(ctx, tx, b.Members); err != nil {
			return err
		}
		if len(b.DeleteMembers) > 0 {
			d := ids(b.DeleteMembers)
			for _, q := range []string{`DELETE FROM org_member_keys WHERE member_id = ANY($1)`,
				`DELETE FROM org_member_departments WHERE member_id = ANY($1)`, `DELETE FROM org_members WHERE id = ANY($1)`} {
				if _, err := tx.Exec(ctx, q, d); err != nil {
					return fmt.Errorf("delete members: %w", err)
				}
			}
		}
		if len(b.Invitations) > 0 {
			batch := &pgx.Batch{}
			for _, inv := range b.Invitations {
				batch.Queue(`INSERT INTO org_invitations (`+invColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
					ON CONFLICT (code) DO UPDATE SET departments = excluded.departments, max_uses = excluded.max_uses,
						expires_at = excluded.expires_at, revoked = excluded.revoked`,
					inv.Code, inv.OrgID, inv.CreatedBy, jsonOf(inv.Departments), inv.MemberID, inv.Target, inv.MaxUses, inv.Uses,
					inv.ExpiresAt, inv.Revoked, inv.CreatedAt)
			}
			if err := tx.SendBatch(ctx, batch).Close(); err != nil {
				return fmt.Errorf("put invitations: %w", err)
			}
		}
		for _, c := range b.Claims {
			tag, err := tx.Exec(ctx, `UPDATE org_invitations SET uses = uses + 1 WHERE code = $1 AND uses < max_uses AND NOT revoked`, c.Code)
			if err != nil {
				return fmt.Errorf("claim invitation: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return tack.Errorf(tack.EConflict, "the invitation has no use left")
			}
		}
		for _, nc := range b.NewConversations {
			m, err := createConversationTx(ctx, tx, nc.Conversation, nc.Members, nc.First)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
		for _, g := range b.Groups {
			_, err := tx.Exec(ctx, `INSERT INTO org_groups (conversation_id, org_id, dept_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
				g.ConversationID, g.OrgID, g.DepartmentID, g.CreatedBy, g.CreatedAt)
			if isUnique(err, "") {
				return tack.Errorf(tack.EConflict, "that group exists already")
			} else if err != nil {
				return fmt.Errorf("put group: %w", err)
			}
		}
		if len(b.DeleteGroups) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM org_groups WHERE conversation_id = ANY($1)`, ids(b.DeleteGroups)); err != nil {
				return fmt.Errorf("delete groups: %w", err)
			}
		}
		for _, ch := range b.GroupChanges {
			m, err := applyChangeTx(ctx, tx, ch)
			if err != nil {
				return err
			}
			msgs = append(msgs, m)
		}
		for _, e := range b.Audit {
			_, err := tx.Exec(ctx, `INSERT INTO org_audit (id, org_id, actor_id, action, target, before, after, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				e.ID, e.OrgID, e.ActorID, e.Action, e.Target, jsonOrNil(e.Before), jsonOrNil(e.After), e.At)
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

func putDepartments(ctx context.Context, tx pgx.Tx, ds []org.Department) error {
	if len(ds) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	var keyOrg, keyText, keyDept []string
	all := make([]string, len(ds))
	for i, d := range ds {
		all[i] = string(d.ID)
		heads := d.HeadIDs
		if heads == nil {
			heads = []tack.ID{}
		}
		batch.Queue(`INSERT INTO org_departments (id, org_id, parent_id, name, path, heads, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, name = excluded.name, path = excluded.path, heads = excluded.heads`,
			d.ID, d.OrgID, d.ParentID, d.Name, d.Path, jsonOf(heads), d.CreatedAt)
		for _, k := range d.Keys {
			keyOrg, keyText, keyDept = append(keyOrg, string(d.OrgID)), append(keyText, k.Text), append(keyDept, string(d.ID))
		}
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("put departments: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM org_department_keys WHERE dept_id = ANY($1)`, all); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO org_department_keys (org_id, key, dept_id) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
		ON CONFLICT DO NOTHING`, keyOrg, keyText, keyDept); err != nil {
		return fmt.Errorf("department keys: %w", err)
	}
	return nil
}

func memberConflict(err error) error {
	switch {
	case isUnique(err, "org_members_employee_no"):
		return &tack.Error{Code: tack.EConflict, Field: "employee_no", Message: "another member has that employee number"}
	case isUnique(err, "org_members_work_email"):
		return &tack.Error{Code: tack.EConflict, Field: "work_email", Message: "another member has that work email"}
	case isUnique(err, ""):
		return tack.Errorf(tack.EConflict, "that person is already a member")
	}
	return fmt.Errorf("put members: %w", err)
}

func putMembers(ctx context.Context, tx pgx.Tx, ms []org.Member) error {
	if len(ms) == 0 {
		return nil
	}
	// Unique indexes are checked row by row; a member who gives up an
	// employee number or email for another in the same batch must go
	// first, so free the keys of every member in the batch before writing.
	all := make([]string, len(ms))
	for i, m := range ms {
		all[i] = string(m.ID)
	}
	if _, err := tx.Exec(ctx, `UPDATE org_members SET employee_no = '', work_email = '' WHERE id = ANY($1)`, all); err != nil {
		return err
	}
	batch := &pgx.Batch{}
	var kOrg, kText, kMember, dMember, dDept []string
	var kField []int16
	var dPos []int32
	for _, m := range ms {
		scope := m.Scope
		if scope == nil {
			scope = []tack.ID{}
		}
		var user *string
		if m.UserID != "" {
			u := string(m.UserID)
			user = &u
		}
		batch.Queue(`INSERT INTO org_members (id, org_id, user_id, name, sort_key, title, employee_no, work_email, phone, hire_date,
			manager_id, status, role, scope, created_at, joined_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
			ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name, sort_key = excluded.sort_key,
				title = excluded.title, employee_no = excluded.employee_no, work_email = excluded.work_email, phone = excluded.phone,
				hire_date = excluded.hire_date, manager_id = excluded.manager_id, status = excluded.status, role = excluded.role,
				scope = excluded.scope, joined_at = excluded.joined_at, updated_at = excluded.updated_at`,
			m.ID, m.OrgID, user, m.Name, m.SortKey, m.Title, m.EmployeeNo, m.WorkEmail, m.Phone, m.HireDate, m.ManagerID,
			m.Status, m.Role, jsonOf(scope), m.CreatedAt, m.JoinedAt, m.UpdatedAt)
		for _, k := range m.Keys {
			kOrg, kText, kField, kMember = append(kOrg, string(m.OrgID)), append(kText, k.Text), append(kField, int16(k.Field)), append(kMember, string(m.ID))
		}
		for i, d := range m.Departments {
			dMember, dDept, dPos = append(dMember, string(m.ID)), append(dDept, string(d)), append(dPos, int32(i))
		}
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return memberConflict(err)
	}
	for _, q := range []string{`DELETE FROM org_member_keys WHERE member_id = ANY($1)`, `DELETE FROM org_member_departments WHERE member_id = ANY($1)`} {
		if _, err := tx.Exec(ctx, q, all); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO org_member_keys (org_id, key, field, member_id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[]) ON CONFLICT DO NOTHING`, kOrg, kText, kField, kMember); err != nil {
		return fmt.Errorf("member keys: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO org_member_departments (member_id, dept_id, pos)
		SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) ON CONFLICT DO NOTHING`, dMember, dDept, dPos); err != nil {
		return fmt.Errorf("member departments: %w", err)
	}
	return nil
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/platform"
)

// Platform returns the store of the open platform (package platform).
func (db *DB) Platform() platform.Store { return platStore{db} }

type platStore struct{ db *DB }

var _ platform.Store = platStore{}

var errPlatConflict = tack.Errorf(tack.EConflict, "already taken")

// robotRow is a robot as stored: its secret is kept (it is the HMAC key),
// unlike the JSON the API shows.
type robotRow struct {
	platform.Robot
	TokenHash string `json:"token_hash"`
	Secret    string `json:"secret"`
}

type appRow struct {
	platform.App
	SecretHash     string `json:"secret_hash"`
	CallbackSecret string `json:"callback_secret"`
}

func (s platStore) CreateRobot(ctx context.Context, r platform.Robot) error {
	body, err := json.Marshal(robotRow{r, r.TokenHash, r.Secret})
	if err != nil {
		return err
	}
	_, err = s.db.exec(ctx, `INSERT INTO platform_robots (id, conversation_id, token_hash, created_at, body) VALUES (?, ?, ?, ?, ?)`,
		r.ID, r.ConversationID, r.TokenHash, micros(r.CreatedAt), string(body))
	if isUnique(err) {
		return errPlatConflict
	}
	return err
}

func scanRobot(sc rowScanner) (platform.Robot, error) {
	var body string
	if err := sc.Scan(&body); err != nil {
		return platform.Robot{}, notFound(err)
	}
	var r robotRow
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return platform.Robot{}, fmt.Errorf("robot: %w", err)
	}
	r.Robot.TokenHash, r.Robot.Secret = r.TokenHash, r.Secret
	r.Robot.CreatedAt = r.Robot.CreatedAt.UTC()
	return r.Robot, nil
}

func (s platStore) Robot(ctx context.Context, id tack.ID) (platform.Robot, error) {
	return scanRobot(s.db.rqueryRow(ctx, `SELECT body FROM platform_robots WHERE id = ?`, id))
}

func (s platStore) RobotByToken(ctx context.Context, hash string) (platform.Robot, error) {
	return scanRobot(s.db.rqueryRow(ctx, `SELECT body FROM platform_robots WHERE token_hash = ?`, hash))
}

func (s platStore) Robots(ctx context.Context, convID tack.ID) ([]platform.Robot, error) {
	rows, err := s.db.rquery(ctx, `SELECT body FROM platform_robots WHERE conversation_id = ? ORDER BY created_at, id`, convID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []platform.Robot
	for rows.Next() {
		r, err := scanRobot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s platStore) OutgoingRobots(ctx context.Context) ([]platform.Robot, error) {
	rows, err := s.db.rquery(ctx, `SELECT body FROM platform_robots WHERE body LIKE '%"outgoing_url":"http%' ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []platform.Robot
	for rows.Next() {
		r, err := scanRobot(rows)
		if err != nil {
			return nil, err
		}
		if r.OutgoingURL != "" {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}

func (s platStore) UpdateRobot(ctx context.Context, r platform.Robot) error {
	body, err := json.Marshal(robotRow{r, r.TokenHash, r.Secret})
	if err != nil {
		return err
	}
	res, err := s.db.exec(ctx, `UPDATE platform_robots SET token_hash = ?, body = ? WHERE id = ?`, r.TokenHash, string(body), r.ID)
	if isUnique(err) {
		return errPlatConflict
	}
	return platAffected(res, err)
}

func (s platStore) DeleteRobot(ctx context.Context, id tack.ID) error {
	return platAffected(s.db.exec(ctx, `DELETE FROM platform_robots WHERE id = ?`, id))
}

// platAffected is ErrNotFound when a write touched no row.
func platAffected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s platStore) CreateApp(ctx context.Context, a platform.App) error {
	body, err := json.Marshal(appRow{a, a.SecretHash, a.CallbackSecret})
	if err != nil {
		return err
	}
	_, err = s.db.exec(ctx, `INSERT INTO platform_apps (id, org_id, client_id, created_at, body) VALUES (?, ?, ?, ?, ?)`,
		a.ID, a.OrgID, a.ClientID, micros(a.CreatedAt), string(body))
	if isUnique(err) {
		return errPlatConflict
	}
	return err
}

func scanApp(sc rowScanner) (platform.App, error) {
	var body string
	if err := sc.Scan(&body); err != nil {
		return platform.App{}, notFound(err)
	}
	var a appRow
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		return platform.App{}, fmt.Errorf("app: %w", err)
	}
	a.App.SecretHash, a.App.CallbackSecret = a.SecretHash, a.CallbackSecret
	a.App.CreatedAt = a.App.CreatedAt.UTC()
	return a.App, nil
}

func (s platStore) App(ctx context.Context, id tack.ID) (platform.App, error) {
	return scanApp(s.db.rqueryRow(ctx, `SELECT body FROM platform_apps WHERE id = ?`, id))
}

func (s platStore) AppByClient(ctx context.Context, clientID string) (platform.App, error) {
	return scanApp(s.db.rqueryRow(ctx, `SELECT body FROM platform_apps WHERE client_id = ?`, clientID))
}

func (s platStore) Apps(ctx context.Context, orgID tack.ID) ([]platform.App, error) {
	rows, err := s.db.rquery(ctx, `SELECT body FROM platform_apps WHERE org_id = ? ORDER BY created_at, id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []platform.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s platStore) AppsFor(ctx context.Context, orgID tack.ID, event string) ([]platform.App, error) {
	all, err := s.Apps(ctx, orgID)
	return slices.DeleteFunc(all, func(a platform.App) bool { return !slices.Contains(a.Events, event) }), err
}

func (s platStore) AppsSubscribed(ctx context.Context, event string) ([]platform.App, error) {
	rows, err := s.db.rquery(ctx, `SELECT body FROM platform_apps WHERE body LIKE ? ORDER BY created_at, id`, "%\""+event+"\"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []platform.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		if slices.Contains(a.Events, event) {
			out = append(out, a)
		}
	}
	return out, rows.Err()
}

func (s platStore) UpdateApp(ctx context.Context, a platform.App) error {
	body, err := json.Marshal(appRow{a, a.SecretHash, a.CallbackSecret})
	if err != nil {
		return err
	}
	return platAffected(s.db.exec(ctx, `UPDATE platform_apps SET body = ? WHERE id = ?`, string(body), a.ID))
}

func (s platStore) DeleteApp(ctx context.Context, id tack.ID) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{`DELETE FROM platform_tokens WHERE app_id = ?`, `DELETE FROM platform_deliveries WHERE app_id = ?`,
			`DELETE FROM platform_calls WHERE app_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return platAffected(tx.ExecContext(ctx, `DELETE FROM platform_apps WHERE id = ?`, id))
	})
}

func (s platStore) CreateToken(ctx context.Context, t platform.Token) error {
	sc, _ := json.Marshal(t.Scopes)
	_, err := s.db.exec(ctx, `INSERT INTO platform_tokens (hash, app_id, org_id, scopes, expires_at) VALUES (?, ?, ?, ?, ?)`,
		t.Hash, t.AppID, t.OrgID, string(sc), micros(t.ExpiresAt))
	if isUnique(err) {
		return errPlatConflict
	}
	return err
}

func (s platStore) Token(ctx context.Context, hash string) (platform.Token, error) {
	t := platform.Token{Hash: hash}
	var sc string
	var exp int64
	err := s.db.rqueryRow(ctx, `SELECT app_id, org_id, scopes, expires_at FROM platform_tokens WHERE hash = ?`, hash).Scan(&t.AppID, &t.OrgID, &sc, &exp)
	if err != nil {
		return t, notFound(err)
	}
	t.ExpiresAt = fromMicros(exp)
	return t, json.Unmarshal([]byte(sc), &t.Scopes)
}

func (s platStore) DeleteTokens(ctx context.Context, appID tack.ID) error {
	_, err := s.db.exec(ctx, `DELETE FROM platform_tokens WHERE app_id = ?`, appID)
	return err
}

func (s platStore) DeleteExpiredTokens(ctx context.Context, t time.Time) error {
	_, err := s.db.exec(ctx, `DELETE FROM platform_tokens WHERE expires_at < ?`, micros(t))
	return err
}

func (s platStore) AddCall(ctx context.Context, c platform.Call) error {
	_, err := s.db.exec(ctx, `INSERT INTO platform_calls (app_id, at, method, path, status) VALUES (?, ?, ?, ?, ?)`,
		c.AppID, micros(c.At), c.Method, c.Path, c.Status)
	return err
}

func (s platStore) Calls(ctx context.Context, appID tack.ID, limit int) ([]platform.Call, error) {
	rows, err := s.db.rquery(ctx, `SELECT at, method, path, status FROM platform_calls WHERE app_id = ? ORDER BY at DESC LIMIT ?`, appID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []platform.Call
	for rows.Next() {
		c := platform.Call{AppID: appID}
		var at int64
		if err := rows.Scan(&at, &c.Method, &c.Path, &c.Status); err != nil {
			return nil, err
		}
		c.At = fromMicros(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

const delCols = `id, app_id, org_id, event_id, event, key, body, state, attempts, next_at, created_at, last_status, last_error, done_at, stream`

func scanDelivery(sc rowScanner) (platform.Delivery, error) {
	var d platform.Delivery
	var body string
	var next, created int64
	var done sql.NullInt64
	if err := sc.Scan(&d.ID, &d.AppID, &d.OrgID, &d.EventID, &d.Event, &d.Key, &body, &d.State, &d.Attempts, &next, &created,
		&d.LastStatus, &d.LastError, &done, &d.Stream); err != nil {
		return d, notFound(err)
	}
	d.Body = json.RawMessage(body)
	d.NextAt, d.CreatedAt = fromMicros(next), fromMicros(created)
	if done.Valid {
		t := fromMicros(done.Int64)
		d.DoneAt = &t
	}
	return d, nil
}

func (s platStore) AddDeliveries(ctx context.Context, ds []platform.Delivery) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO platform_deliveries (id, app_id, org_id, event_id, event, key, body, state, attempts, next_at, created_at, stream)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, d.AppID, d.OrgID, d.EventID, d.Event, d.Key, string(d.Body), d.State, d.Attempts,
				micros(d.NextAt), micros(d.CreatedAt), d.Stream); err != nil {
				if isUnique(err) {
					return errPlatConflict
				}
				return fmt.Errorf("add delivery: %w", err)
			}
		}
		return nil
	})
}

// ClaimDeliveries runs on the single writer connection, so two claims
// never interleave.
func (s platStore) ClaimDeliveries(ctx context.Context, owner string, app tack.ID, now time.Time, lease time.Duration, limit int) ([]platform.Delivery, error) {
	var out []platform.Delivery
	err := s.db.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+delCols+` FROM platform_deliveries d
			WHERE state = 'pending' AND stream = ? AND (? = '' OR app_id = ?) AND next_at <= ? AND lease_until < ?
			AND (key = '' OR NOT EXISTS (SELECT 1 FROM platform_deliveries e WHERE e.app_id = d.app_id AND e.key = d.key
				AND e.state = 'pending' AND (e.created_at < d.created_at OR e.created_at = d.created_at AND e.id < d.id)))
			ORDER BY next_at, id LIMIT ?`, app != "", app, app, micros(now), micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE platform_deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?`,
				owner, micros(now.Add(lease)), d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if len(out) == 0 || err != nil {
		return nil, err
	}
	return out, nil
}

func (s platStore) FinishDelivery(ctx context.Context, id tack.ID, owner string, o platform.Outcome) error {
	var done any
	if o.State == platform.Delivered {
		done = micros(o.At)
	}
	errText := o.LastError
	if len(errText) > 500 {
		errText = errText[:500]
	}
	return platAffected(s.db.exec(ctx, `UPDATE platform_deliveries SET state = ?, attempts = attempts + 1, next_at = ?, last_status = ?, last_error = ?,
		done_at = ?, lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ? AND state = 'pending'`,
		o.State, micros(o.NextAt), o.LastStatus, errText, done, id, owner))
}

func (s platStore) Deliveries(ctx context.Context, appID tack.ID, state string, before tack.ID, limit int) ([]platform.Delivery, error) {
	q := `SELECT ` + delCols + ` FROM platform_deliveries WHERE app_id = ?`
	args := []any{appID}
	if state != "" {
		q += ` AND state = ?`
		args = append(args, state)
	}
	if before != "" {
		q += ` AND id < ?`
		args = append(args, before)
	}
	rows, err := s.db.rquery(ctx, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []platform.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s platStore) Delivery(ctx context.Context, id tack.ID) (platform.Delivery, error) {
	return scanDelivery(s.db.rqueryRow(ctx, `SELECT `+delCols+` FROM platform_deliveries WHERE id = ?`, id))
}

func (s platStore) ReplayDelivery(ctx context.Context, id tack.ID, at time.Time) error {
	return platAffected(s.db.exec(ctx, `UPDATE platform_deliveries SET state = 'pending', attempts = 0, next_at = ?, created_at = ?, done_at = NULL,
		lease_owner = '', lease_until = 0 WHERE id = ?`, micros(at), micros(at), id))
}

func (s platStore) ModulesOff(ctx context.Context, orgID tack.ID) ([]string, error) {
	rows, err := s.db.rquery(ctx, `SELECT module FROM platform_modules_off WHERE org_id = ? ORDER BY module`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s platStore) SetModules(ctx context.Context, orgID tack.ID, set map[string]bool) error {
	if len(set) == 0 {
		return nil
	}
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		for m, on := range set {
			if strings.TrimSpace(m) == "" {
				return errors.New("empty module name")
			}
			q := `INSERT INTO platform_modules_off (org_id, module) VALUES (?, ?) ON CONFLICT DO NOTHING`
			if on {
				q = `DELETE FROM platform_modules_off WHERE org_id = ? AND module = ?`
			}
			if _, err := tx.ExecContext(ctx, q, orgID, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s platStore) Prune(ctx context.Context, t time.Time) error {
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM platform_deliveries WHERE state = 'delivered' AND done_at < ?`, micros(t)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM platform_calls WHERE at < ?`, micros(t))
		return err
	})
}

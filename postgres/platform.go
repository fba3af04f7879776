package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/platform"
)

// Platform returns the store of the open platform (package platform).
// Times are kept as microseconds since 1970, as in the SQLite store.
func (db *DB) Platform() platform.Store { return platStore{db} }

type platStore struct{ db *DB }

var _ platform.Store = platStore{}

var errPlatConflict = tack.Errorf(tack.EConflict, "already taken")

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

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func platAffected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return tack.ErrNotFound
	}
	return nil
}

func (s platStore) CreateRobot(ctx context.Context, r platform.Robot) error {
	body, err := json.Marshal(robotRow{r, r.TokenHash, r.Secret})
	if err != nil {
		return err
	}
	_, err = s.db.pool.Exec(ctx, `INSERT INTO platform_robots (id, conversation_id, token_hash, created_at, body) VALUES ($1, $2, $3, $4, $5)`,
		r.ID, r.ConversationID, r.TokenHash, micros(r.CreatedAt), string(body))
	if isUnique(err, "") {
		return errPlatConflict
	}
	return err
}

func scanRobot(row pgx.Row) (platform.Robot, error) {
	var body string
	if err := row.Scan(&body); err != nil {
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
	return scanRobot(s.db.pool.QueryRow(ctx, `SELECT body FROM platform_robots WHERE id = $1`, id))
}

func (s platStore) RobotByToken(ctx context.Context, hash string) (platform.Robot, error) {
	return scanRobot(s.db.pool.QueryRow(ctx, `SELECT body FROM platform_robots WHERE token_hash = $1`, hash))
}

func (s platStore) Robots(ctx context.Context, convID tack.ID) ([]platform.Robot, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT body FROM platform_robots WHERE conversation_id = $1 ORDER BY created_at, id`, convID)
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
	rows, err := s.db.pool.Query(ctx, `SELECT body FROM platform_robots WHERE body LIKE '%"outgoing_url":"http%' ORDER BY created_at, id`)
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
	tag, err := s.db.pool.Exec(ctx, `UPDATE platform_robots SET token_hash = $1, body = $2 WHERE id = $3`, r.TokenHash, string(body), r.ID)
	if isUnique(err, "") {
		return errPlatConflict
	}
	return platAffected(tag, err)
}

func (s platStore) DeleteRobot(ctx context.Context, id tack.ID) error {
	return platAffected(s.db.pool.Exec(ctx, `DELETE FROM platform_robots WHERE id = $1`, id))
}

func (s platStore) CreateApp(ctx context.Context, a platform.App) error {
	body, err := json.Marshal(appRow{a, a.SecretHash, a.CallbackSecret})
	if err != nil {
		return err
	}
	_, err = s.db.pool.Exec(ctx, `INSERT INTO platform_apps (id, org_id, client_id, created_at, body) VALUES ($1, $2, $3, $4, $5)`,
		a.ID, a.OrgID, a.ClientID, micros(a.CreatedAt), string(body))
	if isUnique(err, "") {
		return errPlatConflict
	}
	return err
}

func scanApp(row pgx.Row) (platform.App, error) {
	var body string
	if err := row.Scan(&body); err != nil {
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
	return scanApp(s.db.pool.QueryRow(ctx, `SELECT body FROM platform_apps WHERE id = $1`, id))
}

func (s platStore) AppByClient(ctx context.Context, clientID string) (platform.App, error) {
	return scanApp(s.db.pool.QueryRow(ctx, `SELECT body FROM platform_apps WHERE client_id = $1`, clientID))
}

func (s platStore) Apps(ctx context.Context, orgID tack.ID) ([]platform.App, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT body FROM platform_apps WHERE org_id = $1 ORDER BY created_at, id`, orgID)
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
	rows, err := s.db.pool.Query(ctx, `SELECT body FROM platform_apps WHERE body LIKE $1 ORDER BY created_at, id`, "%\""+event+"\"%")
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
	return platAffected(s.db.pool.Exec(ctx, `UPDATE platform_apps SET body = $1 WHERE id = $2`, string(body), a.ID))
}

func (s platStore) DeleteApp(ctx context.Context, id tack.ID) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []string{`DELETE FROM platform_tokens WHERE app_id = $1`, `DELETE FROM platform_deliveries WHERE app_id = $1`,
			`DELETE FROM platform_calls WHERE app_id = $1`} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return err
			}
		}
		return platAffected(tx.Exec(ctx, `DELETE FROM platform_apps WHERE id = $1`, id))
	})
}

func (s platStore) CreateToken(ctx context.Context, t platform.Token) error {
	sc, _ := json.Marshal(t.Scopes)
	_, err := s.db.pool.Exec(ctx, `INSERT INTO platform_tokens (hash, app_id, org_id, scopes, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		t.Hash, t.AppID, t.OrgID, string(sc), micros(t.ExpiresAt))
	if isUnique(err, "") {
		return errPlatConflict
	}
	return err
}

func (s platStore) Token(ctx context.Context, hash string) (platform.Token, error) {
	t := platform.Token{Hash: hash}
	var sc string
	var exp int64
	err := s.db.pool.QueryRow(ctx, `SELECT app_id, org_id, scopes, expires_at FROM platform_tokens WHERE hash = $1`, hash).Scan(&t.AppID, &t.OrgID, &sc, &exp)
	if err != nil {
		return t, notFound(err)
	}
	t.ExpiresAt = fromMicros(exp)
	return t, json.Unmarshal([]byte(sc), &t.Scopes)
}

func (s platStore) DeleteTokens(ctx context.Context, appID tack.ID) error {
	_, err := s.db.pool.Exec(ctx, `DELETE FROM platform_tokens WHERE app_id = $1`, appID)
	return err
}

func (s platStore) DeleteExpiredTokens(ctx context.Context, t time.Time) error {
	_, err := s.db.pool.Exec(ctx, `DELETE FROM platform_tokens WHERE expires_at < $1`, micros(t))
	return err
}

func (s platStore) AddCall(ctx context.Context, c platform.Call) error {
	_, err := s.db.pool.Exec(ctx, `INSERT INTO platform_calls (app_id, at, method, path, status) VALUES ($1, $2, $3, $4, $5)`,
		c.AppID, micros(c.At), c.Method, c.Path, c.Status)
	return err
}

func (s platStore) Calls(ctx context.Context, appID tack.ID, limit int) ([]platform.Call, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT at, method, path, status FROM platform_calls WHERE app_id = $1 ORDER BY at DESC LIMIT $2`, appID, limit)
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

func scanDelivery(row pgx.Row) (platform.Delivery, error) {
	var d platform.Delivery
	var body string
	var next, created int64
	var done *int64
	var stream int
	if err := row.Scan(&d.ID, &d.AppID, &d.OrgID, &d.EventID, &d.Event, &d.Key, &body, &d.State, &d.Attempts, &next, &created,
		&d.LastStatus, &d.LastError, &done, &stream); err != nil {
		return d, notFound(err)
	}
	d.Body = json.RawMessage(body)
	d.NextAt, d.CreatedAt = fromMicros(next), fromMicros(created)
	d.Stream = stream == 1
	if done != nil {
		t := fromMicros(*done)
		d.DoneAt = &t
	}
	return d, nil
}

func collectDeliveries(rows pgx.Rows, err error) ([]platform.Delivery, error) {
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

func (s platStore) AddDeliveries(ctx context.Context, ds []platform.Delivery) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		for _, d := range ds {
			if _, err := tx.Exec(ctx, `INSERT INTO platform_deliveries (id, app_id, org_id, event_id, event, key, body, state, attempts, next_at, created_at, stream)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, d.ID, d.AppID, d.OrgID, d.EventID, d.Event, d.Key, string(d.Body), d.State, d.Attempts,
				micros(d.NextAt), micros(d.CreatedAt), boolInt(d.Stream)); err != nil {
				if isUnique(err, "") {
					return errPlatConflict
				}
				return fmt.Errorf("add delivery: %w", err)
			}
		}
		return nil
	})
}

// ClaimDeliveries locks the rows it leases (FOR UPDATE SKIP LOCKED), so
// nodes claiming at once take different deliveries; a row another claim
// leased meanwhile is re-checked and left out.
func (s platStore) ClaimDeliveries(ctx context.Context, owner string, app tack.ID, now time.Time, lease time.Duration, limit int) ([]platform.Delivery, error) {
	n := micros(now)
	return collectDeliveries(s.db.pool.Query(ctx, `UPDATE platform_deliveries SET lease_owner = $1, lease_until = $2
		WHERE id IN (SELECT id FROM platform_deliveries d
			WHERE state = 'pending' AND stream = $5 AND ($6 = '' OR app_id = $6) AND next_at <= $3 AND lease_until < $3
			AND (key = '' OR NOT EXISTS (SELECT 1 FROM platform_deliveries e WHERE e.app_id = d.app_id AND e.key = d.key
				AND e.state = 'pending' AND (e.created_at, e.id) < (d.created_at, d.id)))
			ORDER BY next_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
		AND state = 'pending' AND lease_until < $3
		RETURNING `+delCols, owner, micros(now.Add(lease)), n, limit, boolInt(app != ""), string(app)))
}

func (s platStore) FinishDelivery(ctx context.Context, id tack.ID, owner string, o platform.Outcome) error {
	var done *int64
	if o.State == platform.Delivered {
		v := micros(o.At)
		done = &v
	}
	errText := o.LastError
	if len(errText) > 500 {
		errText = errText[:500]
	}
	return platAffected(s.db.pool.Exec(ctx, `UPDATE platform_deliveries SET state = $1, attempts = attempts + 1, next_at = $2, last_status = $3,
		last_error = $4, done_at = $5, lease_owner = '', lease_until = 0 WHERE id = $6 AND lease_owner = $7 AND state = 'pending'`,
		o.State, micros(o.NextAt), o.LastStatus, errText, done, id, owner))
}

func (s platStore) Deliveries(ctx context.Context, appID tack.ID, state string, before tack.ID, limit int) ([]platform.Delivery, error) {
	return collectDeliveries(s.db.pool.Query(ctx, `SELECT `+delCols+` FROM platform_deliveries
		WHERE app_id = $1 AND ($2 = '' OR state = $2) AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4`, appID, state, before, limit))
}

func (s platStore) Delivery(ctx context.Context, id tack.ID) (platform.Delivery, error) {
	return scanDelivery(s.db.pool.QueryRow(ctx, `SELECT `+delCols+` FROM platform_deliveries WHERE id = $1`, id))
}

func (s platStore) ReplayDelivery(ctx context.Context, id tack.ID, at time.Time) error {
	return platAffected(s.db.pool.Exec(ctx, `UPDATE platform_deliveries SET state = 'pending', attempts = 0, next_at = $1, created_at = $1,
		done_at = NULL, lease_owner = '', lease_until = 0 WHERE id = $2`, micros(at), id))
}

func (s platStore) ModulesOff(ctx context.Context, orgID tack.ID) ([]string, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT module FROM platform_modules_off WHERE org_id = $1 ORDER BY module`, orgID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (s platStore) SetModules(ctx context.Context, orgID tack.ID, set map[string]bool) error {
	if len(set) == 0 {
		return nil
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		for m, on := range set {
			q := `INSERT INTO platform_modules_off (org_id, module) VALUES ($1, $2) ON CONFLICT DO NOTHING`
			if on {
				q = `DELETE FROM platform_modules_off WHERE org_id = $1 AND module = $2`
			}
			if _, err := tx.Exec(ctx, q, orgID, m); err != nil {
				return err
			}
		}
		return nil
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s platStore) Prune(ctx context.Context, t time.Time) error {
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM platform_deliveries WHERE state = 'delivered' AND done_at < $1`, micros(t)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM platform_calls WHERE at < $1`, micros(t))
		return err
	})
}

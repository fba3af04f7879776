package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

// Reports returns the work reports store.
func (db *DB) Reports() circle.ReportStore { return reportStore{db} }

type reportStore struct{ db *DB }

func (s reportStore) PutTemplate(ctx context.Context, t circle.Template) error {
	fields, _ := json.Marshal(t.Fields)
	_, err := s.db.pool.Exec(ctx, `INSERT INTO report_templates (id, org_id, name, kind, fields) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, fields = excluded.fields`, t.ID, t.OrgID, t.Name, t.Kind, string(fields))
	return err
}

func (s reportStore) Templates(ctx context.Context, orgID tack.ID) ([]circle.Template, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT id, org_id, name, kind, fields FROM report_templates WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.Template, error) {
		var t circle.Template
		var fields []byte
		if err := r.Scan(&t.ID, &t.OrgID, &t.Name, &t.Kind, &fields); err != nil {
			return t, err
		}
		return t, json.Unmarshal(fields, &t.Fields)
	})
	if out == nil {
		out = []circle.Template{}
	}
	return out, err
}

func (s reportStore) CreateReport(ctx context.Context, r circle.Report) error {
	answers, _ := json.Marshal(r.Answers)
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO reports (id, org_id, author_id, template_id, kind, period, answers, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.ID, r.OrgID, r.AuthorID, r.TemplateID, r.Kind, r.Period, string(answers), r.CreatedAt); err != nil {
			return fmt.Errorf("insert report: %w", err)
		}
		for _, x := range r.Recipients {
			if _, err := tx.Exec(ctx, `INSERT INTO report_recipients (report_id, user_id) VALUES ($1, $2)`, r.ID, x.UserID); err != nil {
				return err
			}
		}
		return nil
	})
}

const reportCols = `r.id, r.org_id, r.author_id, r.template_id, r.kind, r.period, r.answers, r.created_at`

func scanReport(row pgx.Row) (circle.Report, error) {
	var r circle.Report
	var answers []byte
	if err := row.Scan(&r.ID, &r.OrgID, &r.AuthorID, &r.TemplateID, &r.Kind, &r.Period, &answers, &r.CreatedAt); err != nil {
		return r, notFound(err)
	}
	r.CreatedAt = utc(r.CreatedAt)
	return r, json.Unmarshal(answers, &r.Answers)
}

func (s reportStore) fill(ctx context.Context, rs []circle.Report) error {
	for i := range rs {
		rows, err := s.db.pool.Query(ctx, `SELECT user_id, read_at FROM report_recipients WHERE report_id = $1 ORDER BY user_id`, rs[i].ID)
		if err != nil {
			return err
		}
		xs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.ReportReceipt, error) {
			var x circle.ReportReceipt
			err := r.Scan(&x.UserID, &x.ReadAt)
			if x.ReadAt != nil {
				t := utc(*x.ReadAt)
				x.ReadAt = &t
			}
			return x, err
		})
		if err != nil {
			return err
		}
		if xs == nil {
			xs = []circle.ReportReceipt{}
		}
		rs[i].Recipients = xs
	}
	return nil
}

func (s reportStore) Report(ctx context.Context, id tack.ID) (circle.Report, error) {
	r, err := scanReport(s.db.pool.QueryRow(ctx, `SELECT `+reportCols+` FROM reports r WHERE r.id = $1`, id))
	if err != nil {
		return r, err
	}
	one := []circle.Report{r}
	if err := s.fill(ctx, one); err != nil {
		return r, err
	}
	r = one[0]
	rows, err := s.db.pool.Query(ctx, `SELECT id, report_id, author_id, text, created_at FROM report_comments WHERE report_id = $1 ORDER BY id`, id)
	if err != nil {
		return r, err
	}
	cs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (circle.ReportComment, error) {
		var c circle.ReportComment
		err := row.Scan(&c.ID, &c.ReportID, &c.AuthorID, &c.Text, &c.CreatedAt)
		c.CreatedAt = utc(c.CreatedAt)
		return c, err
	})
	if cs == nil {
		cs = []circle.ReportComment{}
	}
	r.Comments = cs
	return r, err
}

func (s reportStore) Reports(ctx context.Context, orgID, userID tack.ID, sent bool, limit int) ([]circle.Report, error) {
	q := `SELECT ` + reportCols + ` FROM reports r WHERE r.org_id = $1 AND r.author_id = $2 ORDER BY r.id DESC LIMIT $3`
	if !sent {
		q = `SELECT ` + reportCols + ` FROM report_recipients x JOIN reports r ON r.id = x.report_id
			WHERE r.org_id = $1 AND x.user_id = $2 ORDER BY r.id DESC LIMIT $3`
	}
	rows, err := s.db.pool.Query(ctx, q, orgID, userID, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (circle.Report, error) { return scanReport(r) })
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []circle.Report{}
	}
	return out, s.fill(ctx, out)
}

func (s reportStore) MarkReportRead(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error) {
	tag, err := s.db.pool.Exec(ctx, `UPDATE report_recipients SET read_at = $1 WHERE report_id = $2 AND user_id = $3 AND read_at IS NULL`, at, id, userID)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

func (s reportStore) AddReportComment(ctx context.Context, c circle.ReportComment) error {
	_, err := s.db.pool.Exec(ctx, `INSERT INTO report_comments (id, report_id, author_id, text, created_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.ReportID, c.AuthorID, c.Text, c.CreatedAt)
	return err
}

func (s reportStore) Submitters(ctx context.Context, orgID tack.ID, kind, period string) ([]tack.ID, error) {
	rows, err := s.db.pool.Query(ctx, `SELECT DISTINCT author_id FROM reports WHERE org_id = $1 AND kind = $2 AND period = $3 ORDER BY author_id`, orgID, kind, period)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[tack.ID])
	if out == nil {
		out = []tack.ID{}
	}
	return out, err
}

func (s reportStore) PutReminder(ctx context.Context, r circle.Reminder) error {
	days, _ := json.Marshal(r.Days)
	_, err := s.db.pool.Exec(ctx, `INSERT INTO report_reminders (org_id, user_id, kind, at, days, time_zone, on_) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (org_id, user_id) DO UPDATE SET kind = excluded.kind, at = excluded.at, days = excluded.days, time_zone = excluded.time_zone, on_ = excluded.on_`,
		r.OrgID, r.UserID, r.Kind, r.At, string(days), r.TimeZone, r.On)
	return err
}

func (s reportStore) Reminder(ctx context.Context, orgID, userID tack.ID) (circle.Reminder, error) {
	r := circle.Reminder{OrgID: orgID, UserID: userID}
	var days []byte
	if err := s.db.pool.QueryRow(ctx, `SELECT kind, at, days, time_zone, on_ FROM report_reminders WHERE org_id = $1 AND user_id = $2`, orgID, userID).
		Scan(&r.Kind, &r.At, &days, &r.TimeZone, &r.On); err != nil {
		return r, notFound(err)
	}
	return r, json.Unmarshal(days, &r.Days)
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

// Reports returns the work reports store.
func (db *DB) Reports() circle.ReportStore { return reportStore{db} }

type reportStore struct{ db *DB }

func (s reportStore) PutTemplate(ctx context.Context, t circle.Template) error {
	fields, _ := json.Marshal(t.Fields)
	_, err := s.db.exec(ctx, `INSERT INTO report_templates (id, org_id, name, kind, fields) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, fields = excluded.fields`, t.ID, t.OrgID, t.Name, t.Kind, string(fields))
	return err
}

func (s reportStore) Templates(ctx context.Context, orgID tack.ID) ([]circle.Template, error) {
	rows, err := s.db.rquery(ctx, `SELECT id, org_id, name, kind, fields FROM report_templates WHERE org_id = ? ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []circle.Template{}
	for rows.Next() {
		var t circle.Template
		var fields string
		if err := rows.Scan(&t.ID, &t.OrgID, &t.Name, &t.Kind, &fields); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(fields), &t.Fields); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func (s reportStore) CreateReport(ctx context.Context, r circle.Report) error {
	answers, _ := json.Marshal(r.Answers)
	return s.db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO reports (id, org_id, author_id, template_id, kind, period, answers, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.OrgID, r.AuthorID, r.TemplateID, r.Kind, r.Period, string(answers), micros(r.CreatedAt)); err != nil {
			return fmt.Errorf("insert report: %w", err)
		}
		for _, x := range r.Recipients {
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_recipients (report_id, user_id) VALUES (?, ?)`, r.ID, x.UserID); err != nil {
				return err
			}
		}
		return nil
	})
}

const reportCols = `r.id, r.org_id, r.author_id, r.template_id, r.kind, r.period, r.answers, r.created_at`

func scanReport(sc rowScanner) (circle.Report, error) {
	var r circle.Report
	var answers string
	var at int64
	if err := sc.Scan(&r.ID, &r.OrgID, &r.AuthorID, &r.TemplateID, &r.Kind, &r.Period, &answers, &at); err != nil {
		return r, notFound(err)
	}
	r.CreatedAt = fromMicros(at)
	return r, json.Unmarshal([]byte(answers), &r.Answers)
}

func (s reportStore) fill(ctx context.Context, rs []circle.Report) error {
	for i := range rs {
		rows, err := s.db.rquery(ctx, `SELECT user_id, read_at FROM report_recipients WHERE report_id = ? ORDER BY user_id`, rs[i].ID)
		if err != nil {
			return err
		}
		rs[i].Recipients = []circle.ReportReceipt{}
		for rows.Next() {
			var x circle.ReportReceipt
			var at sql.NullInt64
			if err := rows.Scan(&x.UserID, &at); err != nil {
				rows.Close()
				return err
			}
			if at.Valid {
				t := fromMicros(at.Int64)
				x.ReadAt = &t
			}
			rs[i].Recipients = append(rs[i].Recipients, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s reportStore) Report(ctx context.Context, id tack.ID) (circle.Report, error) {
	r, err := scanReport(s.db.rqueryRow(ctx, `SELECT `+reportCols+` FROM reports r WHERE r.id = ?`, id))
	if err != nil {
		return r, err
	}
	one := []circle.Report{r}
	if err := s.fill(ctx, one); err != nil {
		return r, err
	}
	r = one[0]
	rows, err := s.db.rquery(ctx, `SELECT id, report_id, author_id, text, created_at FROM report_comments WHERE report_id = ? ORDER BY id`, id)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	r.Comments = []circle.ReportComment{}
	for rows.Next() {
		var c circle.ReportComment
		var at int64
		if err := rows.Scan(&c.ID, &c.ReportID, &c.AuthorID, &c.Text, &at); err != nil {
			return r, err
		}
		c.CreatedAt = fromMicros(at)
		r.Comments = append(r.Comments, c)
	}
	return r, rows.Err()
}

func (s reportStore) Reports(ctx context.Context, orgID, userID tack.ID, sent bool, limit int) ([]circle.Report, error) {
	q := `SELECT ` + reportCols + ` FROM reports r WHERE r.org_id = ? AND r.author_id = ? ORDER BY r.id DESC LIMIT ?`
	if !sent {
		q = `SELECT ` + reportCols + ` FROM report_recipients x JOIN reports r ON r.id = x.report_id
			WHERE r.org_id = ? AND x.user_id = ? ORDER BY r.id DESC LIMIT ?`
	}
	rows, err := s.db.rquery(ctx, q, orgID, userID, limit)
	if err != nil {
		return nil, err
	}
	out := []circle.Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.fill(ctx, out)
}

func (s reportStore) MarkReportRead(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error) {
	res, err := s.db.exec(ctx, `UPDATE report_recipients SET read_at = ? WHERE report_id = ? AND user_id = ? AND read_at IS NULL`, micros(at), id, userID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (s reportStore) AddReportComment(ctx context.Context, c circle.ReportComment) error {
	_, err := s.db.exec(ctx, `INSERT INTO report_comments (id, report_id, author_id, text, created_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.ReportID, c.AuthorID, c.Text, micros(c.CreatedAt))
	return err
}

func (s reportStore) Submitters(ctx context.Context, orgID tack.ID, kind, period string) ([]tack.ID, error) {
	rows, err := s.db.rquery(ctx, `SELECT DISTINCT author_id FROM reports WHERE org_id = ? AND kind = ? AND period = ? ORDER BY author_id`, orgID, kind, period)
	if err != nil {
		return nil, err
	}
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

func (s reportStore) PutReminder(ctx context.Context, r circle.Reminder) error {
	days, _ := json.Marshal(r.Days)
	_, err := s.db.exec(ctx, `INSERT INTO report_reminders (org_id, user_id, kind, at, days, time_zone, on_) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, user_id) DO UPDATE SET kind = excluded.kind, at = excluded.at, days = excluded.days, time_zone = excluded.time_zone, on_ = excluded.on_`,
		r.OrgID, r.UserID, r.Kind, r.At, string(days), r.TimeZone, b2i(r.On))
	return err
}

func (s reportStore) Reminder(ctx context.Context, orgID, userID tack.ID) (circle.Reminder, error) {
	r := circle.Reminder{OrgID: orgID, UserID: userID}
	var days string
	var on int
	if err := s.db.rqueryRow(ctx, `SELECT kind, at, days, time_zone, on_ FROM report_reminders WHERE org_id = ? AND user_id = ?`, orgID, userID).
		Scan(&r.Kind, &r.At, &days, &r.TimeZone, &on); err != nil {
		return r, notFound(err)
	}
	r.On = on != 0
	return r, json.Unmarshal([]byte(days), &r.Days)
}

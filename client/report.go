package client

import (
	"context"
	"net/url"

	"github.com/tackhq/tack/circle"
)

// Work report types, as the API returns them.
type (
	Report         = circle.Report
	ReportInput    = circle.ReportInput
	ReportStats    = circle.Stats
	ReportReminder = circle.Reminder
	ReportComment  = circle.ReportComment
)

func orgPath(orgID, rest string) string { return "/api/v1/orgs/" + url.PathEscape(orgID) + rest }

// SubmitReport submits a work report.
func (c *Client) SubmitReport(ctx context.Context, orgID string, in ReportInput) (r Report, err error) {
	err = c.Do(ctx, "POST", orgPath(orgID, "/reports"), in, &r)
	return r, err
}

// Reports lists your reports: box "received" (default) or "sent".
func (c *Client) Reports(ctx context.Context, orgID, box string) ([]Report, error) {
	var out struct {
		Reports []Report `json:"reports"`
	}
	err := c.Do(ctx, "GET", orgPath(orgID, "/reports?box="+url.QueryEscape(box)), nil, &out)
	return out.Reports, err
}

// Report returns one report (a recipient's opening marks it read).
func (c *Client) Report(ctx context.Context, orgID, id string) (r Report, err error) {
	err = c.Do(ctx, "GET", orgPath(orgID, "/reports/"+url.PathEscape(id)), nil, &r)
	return r, err
}

// CommentReport comments on a report.
func (c *Client) CommentReport(ctx context.Context, orgID, id, text string) (cm ReportComment, err error) {
	err = c.Do(ctx, "POST", orgPath(orgID, "/reports/"+url.PathEscape(id)+"/comments"), map[string]string{"text": text}, &cm)
	return cm, err
}

// ReportStats says who submitted a report of kind on date.
func (c *Client) ReportStats(ctx context.Context, orgID, kind, date string) (s ReportStats, err error) {
	err = c.Do(ctx, "GET", orgPath(orgID, "/reports/stats?kind="+url.QueryEscape(kind)+"&date="+url.QueryEscape(date)), nil, &s)
	return s, err
}

// SetReportReminder sets your own reminder.
func (c *Client) SetReportReminder(ctx context.Context, orgID string, r ReportReminder) (out ReportReminder, err error) {
	err = c.Do(ctx, "PUT", orgPath(orgID, "/report-reminder"), r, &out)
	return out, err
}

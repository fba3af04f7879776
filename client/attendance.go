package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/tackhq/tack/attendance"
)

// Types of the attendance API, shared with the server.
type (
	AttGroup      = attendance.Group
	AttGroupInput = attendance.GroupInput
	AttShift      = attendance.Shift
	AttPunch      = attendance.PunchResult
	AttRecord     = attendance.Record
	AttMonth      = attendance.Month
	AttToday      = attendance.Today
	AttReport     = attendance.Report
	AttHoliday    = attendance.Holiday
	AttCheck      = attendance.Check
	AttCover      = attendance.Cover
	AttView       = attendance.ViewOut
	AttPunchRow   = attendance.Punch
	QuietHours    = attendance.QuietHours
	QuietPrefs    = attendance.QuietPrefs
)

// PunchIn is a punch as sent: the position (nil on an office network
// without one), its accuracy, and a note for field punches.
type PunchIn struct {
	Lat       *float64 `json:"lat,omitempty"`
	Lng       *float64 `json:"lng,omitempty"`
	AccuracyM *float64 `json:"accuracy_m,omitempty"`
	Note      string   `json:"note,omitempty"`
	SSID      string   `json:"ssid,omitempty"`
	BSSID     string   `json:"bssid,omitempty"`
}

func attPath(orgID, rest string) string {
	return "/api/v1/orgs/" + p(orgID) + "/attendance" + rest
}

// CreateAttGroup makes an attendance group. body may be a GroupInput or
// any JSON-encodable value of the API's shape.
func (c *Client) CreateAttGroup(ctx context.Context, orgID string, body any) (AttGroup, error) {
	var g AttGroup
	err := c.Do(ctx, "POST", attPath(orgID, "/groups"), body, &g)
	return g, err
}

// UpdateAttGroup changes an attendance group.
func (c *Client) UpdateAttGroup(ctx context.Context, orgID, groupID string, body any) (AttGroup, error) {
	var g AttGroup
	err := c.Do(ctx, "PATCH", attPath(orgID, "/groups/"+p(groupID)), body, &g)
	return g, err
}

// AttGroups lists the groups the caller manages, and the caller's own.
func (c *Client) AttGroups(ctx context.Context, orgID string) ([]AttGroup, error) {
	var out struct {
		Groups []AttGroup `json:"groups"`
	}
	err := c.Do(ctx, "GET", attPath(orgID, "/groups"), nil, &out)
	return out.Groups, err
}

// Punch punches at the server's time.
func (c *Client) Punch(ctx context.Context, orgID string, in PunchIn) (AttPunch, error) {
	var out AttPunch
	err := c.Do(ctx, "POST", attPath(orgID, "/punches"), in, &out)
	return out, err
}

func rangeQuery(userID, from, to string) string {
	q := url.Values{}
	if userID != "" {
		q.Set("user_id", userID)
	}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// AttRecords lists check records of a member (userID "" is the caller)
// between two dates.
func (c *Client) AttRecords(ctx context.Context, orgID, userID, from, to string) ([]AttRecord, error) {
	var out struct {
		Records []AttRecord `json:"records"`
	}
	err := c.Do(ctx, "GET", attPath(orgID, "/records")+rangeQuery(userID, from, to), nil, &out)
	return out.Records, err
}

// AttPunches lists punch history of a member between two dates.
func (c *Client) AttPunches(ctx context.Context, orgID, userID, from, to string) ([]AttPunchRow, error) {
	var out struct {
		Punches []AttPunchRow `json:"punches"`
	}
	err := c.Do(ctx, "GET", attPath(orgID, "/punches")+rangeQuery(userID, from, to), nil, &out)
	return out.Punches, err
}

// AttMonth returns a member's month (YYYY-MM; "" is this month).
func (c *Client) AttMonth(ctx context.Context, orgID, userID, month string) (AttMonth, error) {
	q := url.Values{}
	if userID != "" {
		q.Set("user_id", userID)
	}
	if month != "" {
		q.Set("month", month)
	}
	var out AttMonth
	err := c.Do(ctx, "GET", attPath(orgID, "/month")+"?"+q.Encode(), nil, &out)
	return out, err
}

// AttToday returns the caller's group and today's day.
func (c *Client) AttToday(ctx context.Context, orgID string) (AttToday, error) {
	var out AttToday
	err := c.Do(ctx, "GET", attPath(orgID, "/today"), nil, &out)
	return out, err
}

// AttReport returns a monthly report as JSON.
func (c *Client) AttReport(ctx context.Context, orgID, month, departmentID, userID string) (AttReport, error) {
	q := url.Values{"month": {month}}
	if departmentID != "" {
		q.Set("department_id", departmentID)
	}
	if userID != "" {
		q.Set("user_id", userID)
	}
	var out AttReport
	err := c.Do(ctx, "GET", attPath(orgID, "/reports/monthly")+"?"+q.Encode(), nil, &out)
	return out, err
}

// AttReportFile downloads a monthly report as csv or xlsx.
func (c *Client) AttReportFile(ctx context.Context, orgID, month, departmentID, format string) ([]byte, error) {
	q := url.Values{"month": {month}, "format": {format}}
	if departmentID != "" {
		q.Set("department_id", departmentID)
	}
	return c.raw(ctx, "GET", attPath(orgID, "/reports/monthly")+"?"+q.Encode(), nil, "")
}

// raw sends a request and returns the body of a 2xx answer.
func (c *Client) raw(ctx context.Context, method, path string, body []byte, contentType string) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		return nil, &Error{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(b))}
	}
	return b, nil
}

// AttCalendar lists an organisation's holidays of a year.
func (c *Client) AttCalendar(ctx context.Context, orgID string, year int) ([]AttHoliday, error) {
	var out struct {
		Holidays []AttHoliday `json:"holidays"`
	}
	err := c.Do(ctx, "GET", attPath(orgID, fmt.Sprintf("/calendar?year=%d", year)), nil, &out)
	return out.Holidays, err
}

// ApplyAttPreset applies a shipped calendar such as cn-2026.
func (c *Client) ApplyAttPreset(ctx context.Context, orgID, preset string) ([]AttHoliday, error) {
	var out struct {
		Holidays []AttHoliday `json:"holidays"`
	}
	err := c.Do(ctx, "POST", attPath(orgID, "/calendar/presets/"+p(preset)), nil, &out)
	return out.Holidays, err
}

// AttViews lists who looked at the caller's attendance.
func (c *Client) AttViews(ctx context.Context, orgID string) ([]AttView, error) {
	var out struct {
		Views []AttView `json:"views"`
	}
	err := c.Do(ctx, "GET", attPath(orgID, "/views"), nil, &out)
	return out.Views, err
}

// AttCorrect corrects a member's check (admins).
func (c *Client) AttCorrect(ctx context.Context, orgID string, in attendance.CorrectionInput) (AttCheck, error) {
	var out AttCheck
	err := c.Do(ctx, "POST", attPath(orgID, "/corrections"), in, &out)
	return out, err
}

// AttCover records leave, a trip or an outing (admins).
func (c *Client) AttCover(ctx context.Context, orgID string, body any) (AttCover, error) {
	var out AttCover
	err := c.Do(ctx, "POST", attPath(orgID, "/covers"), body, &out)
	return out, err
}

// QuietHours returns the caller's quiet hours.
func (c *Client) QuietHours(ctx context.Context) (QuietHours, error) {
	var out QuietHours
	err := c.Do(ctx, "GET", "/api/v1/me/quiet-hours", nil, &out)
	return out, err
}

// SetQuietHours sets the caller's own quiet ranges.
func (c *Client) SetQuietHours(ctx context.Context, prefs QuietPrefs) (QuietHours, error) {
	var out QuietHours
	err := c.Do(ctx, "PUT", "/api/v1/me/quiet-hours", prefs, &out)
	return out, err
}

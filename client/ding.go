package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/tackhq/tack/ding"
)

// DING types, as the API returns them.
type (
	Ding         = ding.View
	DingInput    = ding.Input
	DingSettings = ding.OrgSettings
)

func dingPath(orgID, rest string) string {
	return "/api/v1/orgs/" + url.PathEscape(orgID) + "/dings" + rest
}

// SendDing sends (or schedules) a DING.
func (c *Client) SendDing(ctx context.Context, orgID string, in DingInput) (d Ding, err error) {
	err = c.Do(ctx, "POST", dingPath(orgID, ""), in, &d)
	return d, err
}

// Dings lists your DINGs: box "received" (default) or "sent".
func (c *Client) Dings(ctx context.Context, orgID, box string, limit int) ([]Ding, error) {
	q := url.Values{}
	if box != "" {
		q.Set("box", box)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Dings []Ding `json:"dings"`
	}
	err := c.Do(ctx, "GET", dingPath(orgID, "?"+q.Encode()), nil, &out)
	return out.Dings, err
}

// Ding returns one DING with who confirmed and who not.
func (c *Client) Ding(ctx context.Context, orgID, id string) (d Ding, err error) {
	err = c.Do(ctx, "GET", dingPath(orgID, "/"+url.PathEscape(id)), nil, &d)
	return d, err
}

// ConfirmDing confirms a DING (收到).
func (c *Client) ConfirmDing(ctx context.Context, orgID, id string) (d Ding, err error) {
	err = c.Do(ctx, "POST", dingPath(orgID, "/"+url.PathEscape(id)+"/confirm"), nil, &d)
	return d, err
}

// RemindDing reminds the unconfirmed (the sender).
func (c *Client) RemindDing(ctx context.Context, orgID, id string) (d Ding, err error) {
	err = c.Do(ctx, "POST", dingPath(orgID, "/"+url.PathEscape(id)+"/remind"), nil, &d)
	return d, err
}

// DingSettings returns the organisation's DING and receipt rules.
func (c *Client) DingSettings(ctx context.Context, orgID string) (s DingSettings, err error) {
	err = c.Do(ctx, "GET", "/api/v1/orgs/"+url.PathEscape(orgID)+"/ding-settings", nil, &s)
	return s, err
}

// PutDingSettings sets them (admins).
func (c *Client) PutDingSettings(ctx context.Context, orgID string, in DingSettings) (s DingSettings, err error) {
	err = c.Do(ctx, "PUT", "/api/v1/orgs/"+url.PathEscape(orgID)+"/ding-settings", in, &s)
	return s, err
}

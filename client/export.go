package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ExportRecord is one logged export.
type ExportRecord struct {
	ID     string    `json:"id"`
	UserID string    `json:"user_id"`
	OrgID  string    `json:"org_id,omitempty"`
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
}

// Retention is an organisation's message retention.
type Retention struct {
	OrgID     string     `json:"org_id"`
	Days      int        `json:"days"`
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// LegalHold exempts a group from retention.
type LegalHold struct {
	ConversationID string    `json:"conversation_id"`
	OrgID          string    `json:"org_id"`
	Title          string    `json:"title"`
	Reason         string    `json:"reason"`
	SetBy          string    `json:"set_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// ChatRetention is what applies to one conversation.
type ChatRetention struct {
	ConversationID string `json:"conversation_id"`
	OrgID          string `json:"org_id,omitempty"`
	Days           int    `json:"days"`
	LegalHold      bool   `json:"legal_hold"`
}

// ExportMine writes the ZIP of the caller's own data to w.
func (c *Client) ExportMine(ctx context.Context, w io.Writer) error {
	return c.download(ctx, "POST", "/api/v1/me/export", w)
}

// ExportOrg writes the ZIP of an organisation's directory and attendance
// (from and to: YYYY-MM-DD, or "" for the last 31 days) to w.
func (c *Client) ExportOrg(ctx context.Context, orgID, from, to string, w io.Writer) error {
	q := url.Values{}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	p := "/api/v1/orgs/" + url.PathEscape(orgID) + "/export"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return c.download(ctx, "POST", p, w)
}

// Exports lists the caller's own exports (orgID "") or an organisation's.
func (c *Client) Exports(ctx context.Context, orgID string) ([]ExportRecord, error) {
	p := "/api/v1/me/exports"
	if orgID != "" {
		p = "/api/v1/orgs/" + url.PathEscape(orgID) + "/exports"
	}
	var out struct {
		Exports []ExportRecord `json:"exports"`
	}
	err := c.Do(ctx, "GET", p, nil, &out)
	return out.Exports, err
}

// Retention returns an organisation's retention.
func (c *Client) Retention(ctx context.Context, orgID string) (Retention, error) {
	var out Retention
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+url.PathEscape(orgID)+"/retention", nil, &out)
	return out, err
}

// SetRetention sets an organisation's retention in days (0: forever).
func (c *Client) SetRetention(ctx context.Context, orgID string, days int) (Retention, error) {
	var out Retention
	err := c.Do(ctx, "PUT", "/api/v1/orgs/"+url.PathEscape(orgID)+"/retention", map[string]int{"days": days}, &out)
	return out, err
}

// LegalHolds lists an organisation's legal holds.
func (c *Client) LegalHolds(ctx context.Context, orgID string) ([]LegalHold, error) {
	var out struct {
		Holds []LegalHold `json:"holds"`
	}
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+url.PathEscape(orgID)+"/legal-holds", nil, &out)
	return out.Holds, err
}

// PutLegalHold places a group under legal hold.
func (c *Client) PutLegalHold(ctx context.Context, orgID, convID, reason string) (LegalHold, error) {
	var out LegalHold
	err := c.Do(ctx, "PUT", "/api/v1/orgs/"+url.PathEscape(orgID)+"/legal-holds/"+url.PathEscape(convID), map[string]string{"reason": reason}, &out)
	return out, err
}

// DeleteLegalHold lifts a legal hold.
func (c *Client) DeleteLegalHold(ctx context.Context, orgID, convID string) error {
	return c.Do(ctx, "DELETE", "/api/v1/orgs/"+url.PathEscape(orgID)+"/legal-holds/"+url.PathEscape(convID), nil, nil)
}

// ChatRetention says what retention applies to a conversation.
func (c *Client) ChatRetention(ctx context.Context, convID string) (ChatRetention, error) {
	var out ChatRetention
	err := c.Do(ctx, "GET", "/api/v1/conversations/"+url.PathEscape(convID)+"/retention", nil, &out)
	return out, err
}

// download sends a request and copies a 2xx answer's body to w; an error
// answer comes back as *Error.
func (c *Client) download(ctx context.Context, method, path string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, nil)
	if err != nil {
		return err
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
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb struct {
			Error *Error `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			eb.Error.Status = resp.StatusCode
			return eb.Error
		}
		return &Error{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(b))}
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

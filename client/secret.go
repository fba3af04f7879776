package client

import (
	"context"
	"fmt"
	"net/url"
)

// Reveal reveals a secret message to its recipient: the message with its
// text and burns_at.
func (c *Client) Reveal(ctx context.Context, convID string, seq int64) (m Message, err error) {
	err = c.Do(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%s/messages/%d/reveal", url.PathEscape(convID), seq), nil, &m)
	return m, err
}

// ReportScreenshot tells the other side of a secret chat that you took a
// screenshot: the notice (a system message) is returned.
func (c *Client) ReportScreenshot(ctx context.Context, convID string) (m Message, err error) {
	err = c.Do(ctx, "POST", "/api/v1/conversations/"+url.PathEscape(convID)+"/screenshot", nil, &m)
	return m, err
}

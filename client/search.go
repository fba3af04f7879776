package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/tackhq/tack/search"
)

// SearchPage is a page of GET /api/v1/search.
type SearchPage struct {
	Results    []search.Result `json:"results"`
	Groups     []search.Group  `json:"groups"`
	People     []Found         `json:"people"`
	NextCursor string          `json:"next_cursor"`
}

// SearchQuery is what to search for; only Q is required. From and To are
// dates (YYYY-MM-DD, To inclusive) or RFC 3339 times.
type SearchQuery struct {
	Q, ConversationID, SenderID, From, To, Cursor string
	HasFile                                       bool
	Limit                                         int
}

// Search searches the messages the caller may read.
func (c *Client) Search(ctx context.Context, q SearchQuery) (SearchPage, error) {
	v := url.Values{"q": {q.Q}}
	for k, s := range map[string]string{"conversation_id": q.ConversationID, "sender_id": q.SenderID, "from": q.From, "to": q.To, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.HasFile {
		v.Set("has_file", "true")
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var p SearchPage
	err := c.Do(ctx, "GET", "/api/v1/search?"+v.Encode(), nil, &p)
	return p, err
}

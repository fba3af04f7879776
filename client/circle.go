package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/tackhq/tack/circle"
)

// Circle types, as the API returns them.
type (
	Moment         = circle.View
	MomentInput    = circle.PostInput
	MomentAudience = circle.Audience
	MomentComment  = circle.Comment
	MomentPage     = circle.Page
)

func momentPath(id, rest string) string {
	p := "/api/v1/moments"
	if id != "" {
		p += "/" + url.PathEscape(id)
	}
	return p + rest
}

func pageQuery(cursor string, limit int) string {
	q := url.Values{}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// PostMoment posts a moment.
func (c *Client) PostMoment(ctx context.Context, in MomentInput) (m Moment, err error) {
	err = c.Do(ctx, "POST", momentPath("", ""), in, &m)
	return m, err
}

// Moment returns one moment.
func (c *Client) Moment(ctx context.Context, id string) (m Moment, err error) {
	err = c.Do(ctx, "GET", momentPath(id, ""), nil, &m)
	return m, err
}

// Timeline returns a page of your timeline.
func (c *Client) Timeline(ctx context.Context, cursor string, limit int) (p MomentPage, err error) {
	err = c.Do(ctx, "GET", momentPath("", pageQuery(cursor, limit)), nil, &p)
	return p, err
}

// ProfileMoments returns a page of someone's moments that you may see.
func (c *Client) ProfileMoments(ctx context.Context, userID, cursor string, limit int) (p MomentPage, err error) {
	err = c.Do(ctx, "GET", "/api/v1/users/"+url.PathEscape(userID)+"/moments"+pageQuery(cursor, limit), nil, &p)
	return p, err
}

// EditMoment changes your moment's text.
func (c *Client) EditMoment(ctx context.Context, id, text string) (m Moment, err error) {
	err = c.Do(ctx, "PATCH", momentPath(id, ""), map[string]string{"text": text}, &m)
	return m, err
}

// DeleteMoment deletes your moment.
func (c *Client) DeleteMoment(ctx context.Context, id string) error {
	return c.Do(ctx, "DELETE", momentPath(id, ""), nil, nil)
}

// CommentMoment comments on a moment; replyTo may be empty.
func (c *Client) CommentMoment(ctx context.Context, id, text, replyTo string) (cm MomentComment, err error) {
	err = c.Do(ctx, "POST", momentPath(id, "/comments"), map[string]string{"text": text, "reply_to": replyTo}, &cm)
	return cm, err
}

// DeleteMomentComment deletes a comment.
func (c *Client) DeleteMomentComment(ctx context.Context, id, commentID string) error {
	return c.Do(ctx, "DELETE", momentPath(id, "/comments/"+url.PathEscape(commentID)), nil, nil)
}

// LikeMoment likes (on) or unlikes a moment.
func (c *Client) LikeMoment(ctx context.Context, id string, on bool) (m Moment, err error) {
	method := "PUT"
	if !on {
		method = "DELETE"
	}
	err = c.Do(ctx, method, momentPath(id, "/like"), nil, &m)
	return m, err
}

// SetMomentVisibleDays limits what visitors of your profile see (0, 3 or 180 days).
func (c *Client) SetMomentVisibleDays(ctx context.Context, days int) error {
	return c.Do(ctx, "PUT", "/api/v1/me/moment-settings", map[string]int{"visible_days": days}, nil)
}

// FriendTag is one of your friend tags.
type FriendTag = circle.Tag

// FriendTags lists your friend tags.
func (c *Client) FriendTags(ctx context.Context) ([]FriendTag, error) {
	var out struct {
		Tags []FriendTag `json:"tags"`
	}
	err := c.Do(ctx, "GET", "/api/v1/friend-tags", nil, &out)
	return out.Tags, err
}

// CreateFriendTag creates a friend tag over some of your friends.
func (c *Client) CreateFriendTag(ctx context.Context, name string, userIDs []string) (t FriendTag, err error) {
	if userIDs == nil {
		userIDs = []string{}
	}
	err = c.Do(ctx, "POST", "/api/v1/friend-tags", map[string]any{"name": name, "user_ids": userIDs}, &t)
	return t, err
}

// UpdateFriendTag renames a tag (name non-nil) or replaces its friends
// (userIDs non-nil).
func (c *Client) UpdateFriendTag(ctx context.Context, id string, name *string, userIDs []string) (t FriendTag, err error) {
	body := map[string]any{}
	if name != nil {
		body["name"] = *name
	}
	if userIDs != nil {
		body["user_ids"] = userIDs
	}
	err = c.Do(ctx, "PATCH", "/api/v1/friend-tags/"+url.PathEscape(id), body, &t)
	return t, err
}

// DeleteFriendTag deletes a friend tag.
func (c *Client) DeleteFriendTag(ctx context.Context, id string) error {
	return c.Do(ctx, "DELETE", "/api/v1/friend-tags/"+url.PathEscape(id), nil, nil)
}

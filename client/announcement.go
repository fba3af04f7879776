package client

import (
	"context"
	"net/url"

	"github.com/tackhq/tack/circle"
)

// Announcement types, as the API returns them.
type (
	Announcement         = circle.AnnouncementView
	AnnouncementInput    = circle.AnnouncementInput
	AnnouncementReceipts = circle.ReceiptList
)

func annPath(orgID, rest string) string {
	return "/api/v1/orgs/" + url.PathEscape(orgID) + "/announcements" + rest
}

// PostAnnouncement posts (or schedules) an announcement.
func (c *Client) PostAnnouncement(ctx context.Context, orgID string, in AnnouncementInput) (a Announcement, err error) {
	err = c.Do(ctx, "POST", annPath(orgID, ""), in, &a)
	return a, err
}

// Announcements lists the announcements you receive (admins: all).
func (c *Client) Announcements(ctx context.Context, orgID string) ([]Announcement, error) {
	var out struct {
		Announcements []Announcement `json:"announcements"`
	}
	err := c.Do(ctx, "GET", annPath(orgID, ""), nil, &out)
	return out.Announcements, err
}

// Announcement returns one announcement.
func (c *Client) Announcement(ctx context.Context, orgID, id string) (a Announcement, err error) {
	err = c.Do(ctx, "GET", annPath(orgID, "/"+url.PathEscape(id)), nil, &a)
	return a, err
}

// ReadAnnouncement marks an announcement read.
func (c *Client) ReadAnnouncement(ctx context.Context, orgID, id string) (a Announcement, err error) {
	err = c.Do(ctx, "POST", annPath(orgID, "/"+url.PathEscape(id)+"/read"), nil, &a)
	return a, err
}

// AnnouncementReceipts says who has read an announcement and who has not.
func (c *Client) AnnouncementReceipts(ctx context.Context, orgID, id string) (r AnnouncementReceipts, err error) {
	err = c.Do(ctx, "GET", annPath(orgID, "/"+url.PathEscape(id)+"/receipts"), nil, &r)
	return r, err
}

// DeleteAnnouncement deletes an announcement.
func (c *Client) DeleteAnnouncement(ctx context.Context, orgID, id string) error {
	return c.Do(ctx, "DELETE", annPath(orgID, "/"+url.PathEscape(id)), nil, nil)
}

package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tackhq/tack/media"
)

// File is an uploaded file.
type File = media.FileInfo

// UploadOptions describe an upload.
type UploadOptions struct {
	Name string
	Kind string // "", "image", "voice" or "file"
	// Size is the body's length, or -1 if unknown.
	Size int64
	// DurationMS and Waveform describe a voice clip.
	DurationMS int
	Waveform   []int
}

// Upload streams body to the server as a file.
func (c *Client) Upload(ctx context.Context, body io.Reader, o UploadOptions) (f File, err error) {
	q := url.Values{}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	if o.Kind != "" {
		q.Set("kind", o.Kind)
	}
	if o.DurationMS > 0 {
		q.Set("duration_ms", strconv.Itoa(o.DurationMS))
	}
	if len(o.Waveform) > 0 {
		parts := make([]string, len(o.Waveform))
		for i, v := range o.Waveform {
			parts[i] = strconv.Itoa(v)
		}
		q.Set("waveform", strings.Join(parts, ","))
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.BaseURL+"/api/v1/files?"+q.Encode(), body)
	if err != nil {
		return f, err
	}
	req.ContentLength = o.Size
	if o.Size == 0 {
		req.Body = http.NoBody
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.send(req)
	if err != nil {
		return f, err
	}
	defer resp.Body.Close()
	return f, json.NewDecoder(resp.Body).Decode(&f)
}

// Download opens a file's bytes (thumb: an image's thumbnail); the caller
// closes the body.
func (c *Client) Download(ctx context.Context, id string, thumb bool) (*http.Response, error) {
	p := "/api/v1/files/" + url.PathEscape(id)
	if thumb {
		p += "?thumb=1"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", c.BaseURL+p, nil)
	if err != nil {
		return nil, err
	}
	return c.send(req)
}

// FileInfo returns a file's metadata.
func (c *Client) FileInfo(ctx context.Context, id string) (f File, err error) {
	err = c.Do(ctx, "GET", "/api/v1/files/"+url.PathEscape(id)+"/info", nil, &f)
	return f, err
}

// FileURL returns a signed download URL (a path on the server) that works
// without a token for 10 minutes.
func (c *Client) FileURL(ctx context.Context, id string, thumb bool) (string, error) {
	var out struct {
		URL string `json:"url"`
	}
	p := "/api/v1/files/" + url.PathEscape(id) + "/url"
	if thumb {
		p += "?thumb=1"
	}
	err := c.Do(ctx, "GET", p, nil, &out)
	return out.URL, err
}

// MarkPlayed marks a voice message played.
func (c *Client) MarkPlayed(ctx context.Context, convID string, seq int64) error {
	return c.Do(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%s/messages/%d/played", url.PathEscape(convID), seq), nil, nil)
}

// Played lists the voice messages of a conversation the caller played.
func (c *Client) Played(ctx context.Context, convID string) ([]int64, error) {
	var out struct {
		Seqs []int64 `json:"seqs"`
	}
	err := c.Do(ctx, "GET", "/api/v1/conversations/"+url.PathEscape(convID)+"/played", nil, &out)
	return out.Seqs, err
}

// send sends req with the token and turns an error status into *Error.
func (c *Client) send(req *http.Request) (*http.Response, error) {
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
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var eb struct {
			Error *Error `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			eb.Error.Status = resp.StatusCode
			return nil, eb.Error
		}
		return nil, &Error{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(b))}
	}
	return resp, nil
}

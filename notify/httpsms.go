package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// HTTPSMS sends text messages through a provider's HTTP endpoint, for
// gateways that take a JSON POST (or an adapter in front of one: Aliyun,
// Tencent Cloud and Twilio each differ, and a few lines of glue beside Tack
// are simpler than a driver per vendor inside it). Configured by `tack serve
// --sms-url https://gateway.example/send --sms-token TOKEN`.
//
// The request: POST URL, Content-Type: application/json, Authorization:
// Bearer TOKEN (when set), body {"to": "+8613812345678", "text": "..."}.
// Any 2xx answer means the provider accepted the message; anything else is
// an error (the body's first 200 bytes are kept for the log, never the
// text sent).
type HTTPSMS struct {
	URL    string
	Token  string
	Client *http.Client // nil: a client with a 15 s timeout
}

// NewHTTPSMS checks rawURL (https, or http to a loopback address).
func NewHTTPSMS(rawURL, token string) (*HTTPSMS, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("sms URL: want https://host/path")
	}
	return &HTTPSMS{URL: rawURL, Token: token}, nil
}

// SendSMS posts one message.
func (h *HTTPSMS) SendSMS(ctx context.Context, to, text string) error {
	return post(ctx, "sms", h.URL, h.Token, h.Client, to, text)
}

// HTTPVoice places voice calls that read a text aloud through a provider's
// HTTP endpoint, the same way as HTTPSMS: POST URL with the JSON body
// {"to": "+8613812345678", "text": "..."} and Authorization: Bearer TOKEN
// when set; any 2xx answer means the provider accepted the call (it dials
// and speaks the text; Tack does not wait for the phone to be picked up).
// Configured by `tack serve --voice-url URL --voice-token TOKEN`.
type HTTPVoice struct {
	URL    string
	Token  string
	Client *http.Client // nil: a client with a 15 s timeout
}

// NewHTTPVoice checks rawURL (https, or http to a loopback address).
func NewHTTPVoice(rawURL, token string) (*HTTPVoice, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("voice URL: want https://host/path")
	}
	return &HTTPVoice{URL: rawURL, Token: token}, nil
}

// Call asks the provider to call to and read text.
func (h *HTTPVoice) Call(ctx context.Context, to, text string) error {
	return post(ctx, "voice", h.URL, h.Token, h.Client, to, text)
}

// post sends {to, text} to a provider's endpoint; what names the gateway in
// errors, which keep the answer's first 200 bytes, never the text sent.
func post(ctx context.Context, what, target, token string, c *http.Client, to, text string) error {
	body, _ := json.Marshal(map[string]string{"to": to, "text": text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c == nil {
		c = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("%s: the provider answered %s: %q", what, resp.Status, b)
	}
	return nil
}

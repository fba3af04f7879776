// Package client is a Go client of Tack's API: REST calls and the live
// stream with resume. The CLI, tack bench and the end-to-end tests use it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
)

// Types of the API, shared with the server.
type (
	User         = account.User
	Session      = account.Session
	Conversation = chat.Conversation
	Message      = chat.Message
)

// Member is one member of a conversation.
type Member struct {
	UserID   string    `json:"user_id"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	ReadSeq  int64     `json:"read_seq"`
	JoinedAt time.Time `json:"joined_at"`
}

// Person is a user ID and display name.
type Person struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Receipts says who has read a message.
type Receipts struct {
	Read        []Person `json:"read"`
	Unread      []Person `json:"unread"`
	ReadCount   int      `json:"read_count"`
	UnreadCount int      `json:"unread_count"`
	CountsOnly  bool     `json:"counts_only"`
}

// Error is an error answered by the server.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
}

// Client calls one Tack server. Set Token after signing in elsewhere, or let
// Register and SignIn set it. A Client is safe for concurrent use once its
// fields are set.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	// DeviceToken marks this client as a device its user signed in on
	// (kept from Register and SignIn, presented by SignIn).
	DeviceToken string
	HTTP        *http.Client
}

// New returns a Client of the server at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Do sends a request with an optional JSON body and decodes a JSON answer
// into out (if not nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
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
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

type auth struct {
	Token       string `json:"token"`
	User        User   `json:"user"`
	DeviceToken string `json:"device_token"`
}

// Register creates an account and keeps its token (and the device token
// that marks this client as a device the user signed in on).
func (c *Client) Register(ctx context.Context, login, password, name string) (User, error) {
	var a auth
	err := c.Do(ctx, "POST", "/api/v1/accounts", map[string]string{"login": login, "password": password, "name": name}, &a)
	c.Token = a.Token
	if a.DeviceToken != "" {
		c.DeviceToken = a.DeviceToken
	}
	return a.User, err
}

// SignIn signs in and keeps the token. It presents DeviceToken, so that a
// device the user signed in on before is not locked out by others' failed
// attempts.
func (c *Client) SignIn(ctx context.Context, login, password string) (User, error) {
	var a auth
	body := map[string]string{"login": login, "password": password}
	if c.DeviceToken != "" {
		body["device_token"] = c.DeviceToken
	}
	err := c.Do(ctx, "POST", "/api/v1/sessions", body, &a)
	if err == nil {
		c.Token = a.Token
		if a.DeviceToken != "" {
			c.DeviceToken = a.DeviceToken
		}
	}
	return a.User, err
}

// ChangePassword changes the password; the server signs out every other
// session of the user.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	return c.Do(ctx, "POST", "/api/v1/me/password", map[string]string{"current_password": current, "new_password": next}, nil)
}

// SignInWithCode signs in with a second-factor code (an authenticator
// code or a recovery code) as well.
func (c *Client) SignInWithCode(ctx context.Context, login, password, code string) (User, error) {
	var a auth
	body := map[string]string{"login": login, "password": password, "code": code}
	if c.DeviceToken != "" {
		body["device_token"] = c.DeviceToken
	}
	err := c.Do(ctx, "POST", "/api/v1/sessions", body, &a)
	if err == nil {
		c.Token = a.Token
		if a.DeviceToken != "" {
			c.DeviceToken = a.DeviceToken
		}
	}
	return a.User, err
}

// TwoFactor is the state of two-factor sign-in (GET /me/2fa).
type TwoFactor struct {
	Enabled           bool       `json:"enabled"`
	EnabledAt         *time.Time `json:"enabled_at"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
}

// TwoFactor returns the state of the caller's two-factor sign-in.
func (c *Client) TwoFactor(ctx context.Context) (TwoFactor, error) {
	var out TwoFactor
	return out, c.Do(ctx, "GET", "/api/v1/me/2fa", nil, &out)
}

// SetUpTOTP returns a new authenticator secret and its otpauth URL.
func (c *Client) SetUpTOTP(ctx context.Context) (secret, url string, err error) {
	var out struct {
		Secret string `json:"secret"`
		URL    string `json:"otpauth_url"`
	}
	err = c.Do(ctx, "POST", "/api/v1/me/2fa/setup", struct{}{}, &out)
	return out.Secret, out.URL, err
}

// EnableTOTP turns two-factor sign-in on and returns the recovery codes.
func (c *Client) EnableTOTP(ctx context.Context, code string) ([]string, error) {
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	return out.Codes, c.Do(ctx, "POST", "/api/v1/me/2fa/enable", map[string]string{"code": code}, &out)
}

// DisableTOTP turns two-factor sign-in off.
func (c *Client) DisableTOTP(ctx context.Context, password, code string) error {
	return c.Do(ctx, "POST", "/api/v1/me/2fa/disable", map[string]string{"password": password, "code": code}, nil)
}

// NewRecoveryCodes replaces the recovery codes and returns the new ones.
func (c *Client) NewRecoveryCodes(ctx context.Context, code string) ([]string, error) {
	var out struct {
		Codes []string `json:"recovery_codes"`
	}
	return out.Codes, c.Do(ctx, "POST", "/api/v1/me/2fa/recovery-codes", map[string]string{"code": code}, &out)
}

// RequestPasswordReset asks for a reset link to be emailed to login (no
// session needed; the answer is the same whether or not it exists).
func (c *Client) RequestPasswordReset(ctx context.Context, login string) error {
	return c.Do(ctx, "POST", "/api/v1/password-resets", map[string]string{"login": login}, nil)
}

// ResetPassword sets a new password with the token of a reset email.
func (c *Client) ResetPassword(ctx context.Context, token, next string) error {
	return c.Do(ctx, "POST", "/api/v1/password-resets/confirm", map[string]string{"token": token, "new_password": next}, nil)
}

// SendMemberPasswordReset has a reset link emailed to a member of an
// organisation (owner and admins).
func (c *Client) SendMemberPasswordReset(ctx context.Context, orgID, memberID string) error {
	return c.Do(ctx, "POST", "/api/v1/orgs/"+orgID+"/members/"+memberID+"/password-reset", struct{}{}, nil)
}

// SendVerificationCode asks for a code to be sent to the login, over
// channel "email" or "phone" ("" picks the login's kind).
func (c *Client) SendVerificationCode(ctx context.Context, channel string) error {
	return c.Do(ctx, "POST", "/api/v1/me/verifications", map[string]string{"channel": channel}, nil)
}

// ConfirmVerificationCode confirms a code; the login is then verified.
func (c *Client) ConfirmVerificationCode(ctx context.Context, code string) (User, error) {
	var u User
	err := c.Do(ctx, "POST", "/api/v1/me/verifications/confirm", map[string]string{"code": code}, &u)
	return u, err
}

// SignOut ends this session.
func (c *Client) SignOut(ctx context.Context) error {
	return c.Do(ctx, "DELETE", "/api/v1/sessions/current", nil, nil)
}

// Me returns the signed-in user.
func (c *Client) Me(ctx context.Context) (u User, err error) {
	err = c.Do(ctx, "GET", "/api/v1/me", nil, &u)
	return u, err
}

// Sessions lists this user's devices.
func (c *Client) Sessions(ctx context.Context) ([]Session, error) {
	var out struct{ Sessions []Session }
	err := c.Do(ctx, "GET", "/api/v1/sessions", nil, &out)
	return out.Sessions, err
}

// RevokeSession signs out one device.
func (c *Client) RevokeSession(ctx context.Context, id string) error {
	return c.Do(ctx, "DELETE", "/api/v1/sessions/"+url.PathEscape(id), nil, nil)
}

// SearchUsers finds people the caller may see.
func (c *Client) SearchUsers(ctx context.Context, q string) ([]User, error) {
	var out struct{ Users []User }
	err := c.Do(ctx, "GET", "/api/v1/users?q="+url.QueryEscape(q), nil, &out)
	return out.Users, err
}

// Found is one person found by FindPeople.
type Found struct {
	ID    string `json:"id"`
	Login string `json:"login,omitempty"` // only when the query was exactly this login
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// OrgName is the shared organisation of a colleague or the company of
	// an external contact.
	OrgName string `json:"org_name,omitempty"`
	// Relation is "colleague", "friend", "contact", or "" for someone you
	// share a conversation with (or found by their exact login).
	Relation string `json:"relation,omitempty"`
}

// FindPeople finds people by name, pinyin, initials, or exact email or
// phone: colleagues (as the directory lets you see them), friends, external
// contacts with an account, and people you share a conversation with.
// limit 0 means the server's default.
func (c *Client) FindPeople(ctx context.Context, q string, limit int) ([]Found, error) {
	var out struct{ Users []Found }
	p := "/api/v1/users?q=" + url.QueryEscape(q)
	if limit > 0 {
		p += "&limit=" + strconv.Itoa(limit)
	}
	err := c.Do(ctx, "GET", p, nil, &out)
	return out.Users, err
}

// Users returns profiles by ID.
func (c *Client) Users(ctx context.Context, ids []string) ([]User, error) {
	var out struct{ Users []User }
	err := c.Do(ctx, "GET", "/api/v1/users?ids="+url.QueryEscape(strings.Join(ids, ",")), nil, &out)
	return out.Users, err
}

// CreateConversation starts a direct chat or a group.
func (c *Client) CreateConversation(ctx context.Context, kind string, members []string, title string) (conv Conversation, err error) {
	if members == nil {
		members = []string{}
	}
	err = c.Do(ctx, "POST", "/api/v1/conversations", map[string]any{"type": kind, "members": members, "title": title}, &conv)
	return conv, err
}

// Conversations lists the caller's conversations.
func (c *Client) Conversations(ctx context.Context) ([]Conversation, error) {
	var out struct{ Conversations []Conversation }
	err := c.Do(ctx, "GET", "/api/v1/conversations", nil, &out)
	return out.Conversations, err
}

// Conversation returns one conversation.
func (c *Client) Conversation(ctx context.Context, id string) (conv Conversation, err error) {
	err = c.Do(ctx, "GET", "/api/v1/conversations/"+url.PathEscape(id), nil, &conv)
	return conv, err
}

// UpdateConversation renames a group or toggles mute-all (nil leaves as is).
func (c *Client) UpdateConversation(ctx context.Context, id string, title *string, muteAll *bool) (conv Conversation, err error) {
	body := map[string]any{}
	if title != nil {
		body["title"] = *title
	}
	if muteAll != nil {
		body["mute_all"] = *muteAll
	}
	err = c.Do(ctx, "PATCH", "/api/v1/conversations/"+url.PathEscape(id), body, &conv)
	return conv, err
}

// Members lists a conversation's members.
func (c *Client) Members(ctx context.Context, id string) ([]Member, error) {
	var out struct{ Members []Member }
	err := c.Do(ctx, "GET", "/api/v1/conversations/"+url.PathEscape(id)+"/members", nil, &out)
	return out.Members, err
}

// AddMembers adds people to a group.
func (c *Client) AddMembers(ctx context.Context, id string, users []string) error {
	return c.Do(ctx, "POST", "/api/v1/conversations/"+url.PathEscape(id)+"/members", map[string]any{"user_ids": users}, nil)
}

// RemoveMember removes someone from a group.
func (c *Client) RemoveMember(ctx context.Context, id, user string) error {
	return c.Do(ctx, "DELETE", "/api/v1/conversations/"+url.PathEscape(id)+"/members/"+url.PathEscape(user), nil, nil)
}

// Leave leaves a group.
func (c *Client) Leave(ctx context.Context, id string) error {
	return c.Do(ctx, "POST", "/api/v1/conversations/"+url.PathEscape(id)+"/leave", nil, nil)
}

// TransferOwner hands a group to another member.
func (c *Client) TransferOwner(ctx context.Context, id, user string) error {
	return c.Do(ctx, "POST", "/api/v1/conversations/"+url.PathEscape(id)+"/owner", map[string]string{"user_id": user}, nil)
}

// SetRole makes a member an admin or a plain member.
func (c *Client) SetRole(ctx context.Context, id, user, role string) error {
	return c.Do(ctx, "PUT", "/api/v1/conversations/"+url.PathEscape(id)+"/members/"+url.PathEscape(user)+"/role", map[string]string{"role": role}, nil)
}

// Draft is a message to send.
type Draft struct {
	ClientID   string   `json:"client_id"`
	Text       string   `json:"text"`
	Mentions   []string `json:"mentions,omitempty"`
	MentionAll bool     `json:"mention_all,omitempty"`
	ReplyTo    int64    `json:"reply_to,omitempty"`
	// Attachments are file IDs from Upload.
	Attachments []string `json:"attachments,omitempty"`
	// BurnAfterS: in a secret chat, seconds from reveal to burn (5–300).
	BurnAfterS int `json:"burn_after_s,omitempty"`
}

// Send sends a message over REST.
func (c *Client) Send(ctx context.Context, convID string, d Draft) (m Message, err error) {
	err = c.Do(ctx, "POST", "/api/v1/conversations/"+url.PathEscape(convID)+"/messages", d, &m)
	return m, err
}

// History returns a page: before > 0 for messages before it, else after > 0
// for those after it, else the newest. HistoryAfter pages from the start.
func (c *Client) History(ctx context.Context, convID string, after, before int64, limit int) ([]Message, error) {
	q := url.Values{}
	if after > 0 {
		q.Set("after_seq", strconv.FormatInt(after, 10))
	}
	return c.history(ctx, convID, q, before, limit)
}

// HistoryAfter returns up to limit messages with seq > after (0: from the first).
func (c *Client) HistoryAfter(ctx context.Context, convID string, after int64, limit int) ([]Message, error) {
	q := url.Values{}
	q.Set("after_seq", strconv.FormatInt(after, 10))
	return c.history(ctx, convID, q, 0, limit)
}

func (c *Client) history(ctx context.Context, convID string, q url.Values, before int64, limit int) ([]Message, error) {
	if before > 0 {
		q.Set("before_seq", strconv.FormatInt(before, 10))
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct{ Messages []Message }
	err := c.Do(ctx, "GET", "/api/v1/conversations/"+url.PathEscape(convID)+"/messages?"+q.Encode(), nil, &out)
	return out.Messages, err
}

// Edit replaces the text of one's own message.
func (c *Client) Edit(ctx context.Context, convID string, seq int64, text string) (m Message, err error) {
	err = c.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/conversations/%s/messages/%d", url.PathEscape(convID), seq), map[string]string{"text": text}, &m)
	return m, err
}

// Recall recalls a message.
func (c *Client) Recall(ctx context.Context, convID string, seq int64) (m Message, err error) {
	err = c.Do(ctx, "POST", fmt.Sprintf("/api/v1/conversations/%s/messages/%d/recall", url.PathEscape(convID), seq), nil, &m)
	return m, err
}

// MarkRead moves the read position.
func (c *Client) MarkRead(ctx context.Context, convID string, seq int64) (int64, error) {
	var out struct {
		ReadSeq int64 `json:"read_seq"`
	}
	err := c.Do(ctx, "POST", "/api/v1/conversations/"+url.PathEscape(convID)+"/read", map[string]int64{"seq": seq}, &out)
	return out.ReadSeq, err
}

// Receipts says who has read message seq.
func (c *Client) Receipts(ctx context.Context, convID string, seq int64) (r Receipts, err error) {
	err = c.Do(ctx, "GET", fmt.Sprintf("/api/v1/conversations/%s/messages/%d/receipts", url.PathEscape(convID), seq), nil, &r)
	return r, err
}

// Typing says the caller is typing.
func (c *Client) Typing(ctx context.Context, convID string) error {
	return c.Do(ctx, "POST", "/api/v1/conversations/"+url.PathEscape(convID)+"/typing", nil, nil)
}

package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/platform"
)

// startPlatform wires the open platform once chat and organisations
// exist, and starts its delivery worker (every node runs one; leases in
// the store keep each delivery with one node at a time).
func (n *Node) startPlatform(cfg Config, tap *atomic.Pointer[platform.Service]) {
	st, ok := n.Store.(interface{ Platform() platform.Store })
	if !ok || n.Org == nil {
		return
	}
	sender := &httpSender{client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	base := ""
	if cfg.Domain != "" {
		base = "https://" + cfg.Domain
	}
	n.Platform = platform.NewService(st.Platform(), platGroups{n.Store}, platOrgs{n.Org}, platBots{n.Accounts}, platPoster{n.Chat}, nil,
		platform.Config{Logger: n.log, Retry: cfg.PlatformRetry, RobotLimit: cfg.RobotLimit,
			Outgoing: sender, BaseURL: base, Phones: platPhones{n.Store}})
	tap.Store(n.Platform)
	every := cfg.PlatformEvery
	if every == 0 {
		every = time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	owner := "node-" + string(tack.NewID())
	if every > 0 {
		go func() { defer close(done); n.Platform.Run(ctx, owner, sender, every) }()
	} else {
		close(done)
	}
	p := n.Platform
	n.closers = append(n.closers, func() { stop(); <-done; p.Close() })
}

// platGroups answers the platform's questions about conversations.
type platGroups struct{ store chat.ConversationStore }

func (g platGroups) Role(ctx context.Context, convID, userID tack.ID) (string, string, error) {
	if !convID.Valid() {
		return "", "", tack.ErrNotFound
	}
	m, err := g.store.Membership(ctx, convID, userID)
	if err != nil {
		return "", "", err
	}
	c, err := g.store.Conversation(ctx, convID)
	if err != nil {
		return "", "", err
	}
	return c.Kind, m.Role, nil
}

// Owner returns a group's owner.
func (g platGroups) Owner(ctx context.Context, convID tack.ID) (tack.ID, error) {
	if !convID.Valid() {
		return "", tack.ErrNotFound
	}
	c, err := g.store.Conversation(ctx, convID)
	if err != nil {
		return "", err
	}
	return c.OwnerID, nil
}

type platOrgs struct{ org *org.Service }

func (o platOrgs) OrgsOf(ctx context.Context, userID tack.ID) ([]tack.ID, error) {
	os, ms, err := o.org.DirectoryOrgsOf(ctx, userID)
	if err != nil {
		return nil, err
	}
	var out []tack.ID
	for i := range os {
		if i < len(ms) && ms[i].Status == org.Active {
			out = append(out, os[i].ID)
		}
	}
	return out, nil
}

func (o platOrgs) OrgRole(ctx context.Context, orgID, userID tack.ID) (string, error) {
	m, err := o.org.DirectoryMember(ctx, orgID, userID)
	if err != nil {
		return "", err
	}
	if m.UserID != userID || m.Status != org.Active {
		return "", tack.ErrNotFound
	}
	return m.Role, nil
}

func (o platOrgs) OrgGroups(ctx context.Context, orgID tack.ID) ([]tack.ID, error) {
	gs, err := o.org.DirectoryGroups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]tack.ID, len(gs))
	for i, g := range gs {
		out[i] = g.ConversationID
	}
	return out, nil
}

// platPhones finds users by their phone login (robot mentions by phone).
type platPhones struct{ store account.Store }

func (p platPhones) UsersByPhone(ctx context.Context, phones []string) ([]tack.ID, error) {
	var out []tack.ID
	for _, ph := range phones {
		n, err := account.NormalizePhone("phone", ph)
		if err != nil {
			continue
		}
		u, _, err := p.store.UserByLogin(ctx, n)
		if errors.Is(err, tack.ErrNotFound) {
			continue
		} else if err != nil {
			return out, err
		}
		out = append(out, u.ID)
	}
	return out, nil
}

type platBots struct{ accounts *account.Service }

func (b platBots) Bot(ctx context.Context, key, name string) (tack.ID, error) {
	u, err := b.accounts.Bot(ctx, key, name)
	return u.ID, err
}

type platPoster struct{ chat *chat.Service }

func (p platPoster) PostRobot(ctx context.Context, convID, from tack.ID, post platform.Post) error {
	var card json.RawMessage
	if post.Card != nil {
		b, err := json.Marshal(post.Card)
		if err != nil {
			return err
		}
		card = b
	}
	_, err := p.chat.PostRobot(ctx, convID, from, chat.RobotPost{ClientID: post.ClientID, Name: post.Name, Text: post.Text, Card: card,
		Mentions: post.Mentions, MentionAll: post.MentionAll})
	return err
}

// httpSender POSTs event deliveries; it follows no redirect and reads at
// most 64 KB of an answer.
type httpSender struct{ client *http.Client }

func (h *httpSender) Send(ctx context.Context, url string, headers map[string]string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("callback request: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "Tack-Webhook/1")
	resp, err := h.client.Do(req)
	if err != nil {
		var ue interface{ Timeout() bool }
		if errors.As(err, &ue) && ue.Timeout() {
			return 0, errors.New("timed out")
		}
		return 0, errors.New("no response: " + errors.Unwrap(err).Error())
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Call makes an outgoing robot's call and reads up to max bytes of the answer.
func (h *httpSender) Call(ctx context.Context, url string, headers map[string]string, body []byte, max int) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("outgoing request: %w", err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "Tack-Robot/1")
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil || len(b) > max {
		return resp.StatusCode, nil, errors.New("answer unreadable or too long")
	}
	return resp.StatusCode, b, nil
}

// platformTap hands the messages this node commits to the platform
// (message events for subscribed apps).
type platformTap struct {
	bus.Publisher
	plat *atomic.Pointer[platform.Service]
}

func (t platformTap) Publish(ctx context.Context, e *bus.Event) error {
	err := t.Publisher.Publish(ctx, e)
	if p := t.plat.Load(); p != nil && e.Kind == bus.Message && e.Mod != 0 {
		p.HandleMessage(e.ConversationID, e.Payload)
	}
	return err
}

// platEvents hands the organisation and attendance services' changes to
// the platform (membership, directory and attendance events), once it is
// wired.
type platEvents struct {
	plat *atomic.Pointer[platform.Service]
}

func (e platEvents) Event(ctx context.Context, orgID tack.ID, event, key string, data any) {
	if p := e.plat.Load(); p != nil {
		p.Event(ctx, orgID, event, key, data)
	}
}

// orgEvents hands the organisation service's changes to the platform and
// tells attendance, which caches memberships for punches, that the
// organisation's directory changed.
type orgEvents struct {
	platEvents
	att *atomic.Pointer[attendance.Service]
}

func (e orgEvents) Event(ctx context.Context, orgID tack.ID, event, key string, data any) {
	if a := e.att.Load(); a != nil {
		a.DirectoryChanged(orgID)
	}
	e.platEvents.Event(ctx, orgID, event, key, data)
}

package push

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
)

// Notification kinds, as the payload's "type" names them.
const (
	KindMessage  = "message"  // a new message in a direct chat
	KindMention  = "mention"  // a new message in a group that mentions the recipient
	KindDing     = "ding"     // an urgent DING
	KindApproval = "approval" // an approval waiting for the recipient
	// KindAnnouncement is an organisation's new announcement (公告).
	KindAnnouncement = "announcement"
)

// Notification is something to tell people by push.
type Notification struct {
	Kind string
	// Users are the recipients.
	Users []tack.ID
	// From is who caused it: named in the title, never notified.
	From tack.ID
	// ConversationID and Seq locate a message, when it is about one.
	ConversationID tack.ID
	Seq            int64
	// Title is what everyone sees. It holds no private content ("New
	// message from 張三"); when empty, it is made from Kind and From's name.
	Title string
	// Text is private content (a message's text): only recipients who turned
	// previews on get it.
	Text string
	// Context is private context shown with previews, such as a group's
	// title.
	Context string
	// URL is the path a tap on the notification opens ("/c/ID").
	URL string
	// Urgent pushes at high urgency, even to people active in the app (a
	// DING must reach the phone).
	Urgent bool
	// NoPreview keeps Text out of every push whatever the recipient's
	// setting (secret chats).
	NoPreview bool
}

// Payload is the JSON a service worker receives, decrypted (docs/api.md
// describes it). Body is present only for recipients with previews on.
type Payload struct {
	V                 int     `json:"v"`
	Type              string  `json:"type"`
	Title             string  `json:"title"`
	Body              string  `json:"body,omitempty"`
	SenderID          tack.ID `json:"sender_id,omitempty"`
	SenderName        string  `json:"sender_name,omitempty"`
	ConversationID    tack.ID `json:"conversation_id,omitempty"`
	ConversationTitle string  `json:"conversation_title,omitempty"`
	Seq               int64   `json:"seq,omitempty"`
	URL               string  `json:"url"`
	Tag               string  `json:"tag"`
}

// Payload limits: a push record holds 4096 bytes of which the encryption
// takes 103; previews are cut to MaxPreviewRunes.
const (
	MaxPayload      = 3993
	MaxPreviewRunes = 140
)

// planMessage decides who hears of a committed message, and queues their
// pushes. The common case costs little: a conversation's kind (and a direct
// chat's two members) never change and are cached, a group message that
// mentions nobody needs no lookup at all, and mute is read only for
// recipients who have a subscription.
func (s *Service) planMessage(ctx context.Context, e *bus.Event) error {
	// Most messages are pushed to nobody, and are then not decoded: in a
	// paired chat whose two people are both active in the app (fan leaves
	// them out), in a group when the message mentions nobody (its frame
	// then has no "mention..." key; a text with those letters is decoded).
	info, infoErr := s.conversation(ctx, e.ConversationID) // returned once the message is known to be pushed
	if infoErr == nil {
		if chat.Paired(info.kind) && s.allActive(info.members) {
			return nil
		}
		if info.kind == chat.Group && !bytes.Contains(e.Payload, []byte(`"mention`)) {
			return nil
		}
	}
	var frame struct {
		Type    string       `json:"type"`
		Message chat.Message `json:"message"`
	}
	if err := json.Unmarshal(e.Payload, &frame); err != nil {
		return fmt.Errorf("decode message frame: %w", err)
	}
	m := frame.Message
	// Texts, files (a secret message's event carries no attachments, so its
	// burn time says it has content) and robots' messages (pushed like
	// texts: to the members of a direct chat, to those a group message
	// mentions).
	pushed := m.Kind == chat.TextMessage || m.Kind == chat.RobotMessage || len(m.Attachments) > 0 || m.BurnAfterS > 0
	if frame.Type != "message" || !pushed || m.EditedAt != nil || m.Recalled || m.Burned || m.RevealedAt != nil || m.Seq == 0 {
		return nil // only new messages: not edits, recalls or system events
	}
	if infoErr != nil {
		return infoErr
	}
	n := Notification{From: m.SenderID, ConversationID: m.ConversationID, Seq: m.Seq, Text: pushText(m),
		URL: "/c/" + string(m.ConversationID)}
	muteOf := m.ConversationID
	switch info.kind {
	case chat.Direct:
		n.Kind, n.Users = KindMessage, info.members
	case chat.Secret:
		// Never a preview: the event carries no text anyway.
		n.Kind, n.Users, n.NoPreview, n.Text = KindMessage, info.members, true, ""
	case chat.Group:
		if !m.MentionAll && len(m.Mentions) == 0 {
			return nil
		}
		c, err := s.chats.Conversation(ctx, m.ConversationID)
		if err != nil {
			return fmt.Errorf("conversation: %w", err)
		}
		n.Kind, n.Context, n.Users = KindMention, c.Title, m.Mentions
		if m.MentionAll {
			ms, err := s.chats.Memberships(ctx, c.ID)
			if err != nil {
				return fmt.Errorf("members: %w", err)
			}
			n.Users, muteOf = nil, ""
			for _, mb := range ms {
				if !mb.Muted {
					n.Users = append(n.Users, mb.UserID)
				}
			}
		}
	default:
		return nil // other kinds decide for themselves
	}
	return s.fan(ctx, &n, muteOf)
}

// allActive reports whether every one of users is active in the app now
// (Config.Active); false without Config.Active.
func (s *Service) allActive(users []tack.ID) bool {
	if s.cfg.Active == nil {
		return false
	}
	for _, u := range users {
		if !s.cfg.Active.Online(u) {
			return false
		}
	}
	return true
}

// fanOut sends n to the subscriptions of its recipients who should hear of
// it now.
func (s *Service) fanOut(ctx context.Context, n *Notification) error { return s.fan(ctx, n, "") }

// fan is fanOut; muteOf, when set, is a conversation whose members'
// mute and membership are checked for the recipients with subscriptions.
func (s *Service) fan(ctx context.Context, n *Notification, muteOf tack.ID) error {
	var users []tack.ID
	seen := make(map[tack.ID]bool, len(n.Users))
	for _, u := range n.Users {
		if u == "" || u == n.From || seen[u] {
			continue
		}
		seen[u] = true
		if !n.Urgent && s.cfg.Active != nil && s.cfg.Active.Online(u) {
			continue
		}
		users = append(users, u)
	}
	if len(users) == 0 {
		return nil
	}
	var targets []Target
	for len(users) > 0 { // in slices the stores' IN lists take
		k := min(len(users), 500)
		t, err := s.store.PushTargets(ctx, users[:k])
		if err != nil {
			return fmt.Errorf("push targets: %w", err)
		}
		targets = append(targets, t...)
		users = users[k:]
	}
	if len(targets) == 0 {
		return nil
	}
	if muteOf != "" {
		var err error
		if targets, err = s.unmuted(ctx, muteOf, targets); err != nil {
			return err
		}
	}
	if s.cfg.Quiet != nil && len(targets) > 0 {
		// Quiet hours are asked only of people with somewhere to push to;
		// a message's push they hold waits for their end (held.go).
		quiet := map[tack.ID]bool{}
		for _, t := range targets {
			if _, asked := quiet[t.UserID]; !asked {
				q := s.cfg.Quiet(ctx, t.UserID, n)
				quiet[t.UserID] = q
				if q && s.holdable(n) {
					s.hold(ctx, t.UserID, n)
				}
			}
		}
		out := targets[:0]
		for _, t := range targets {
			if !quiet[t.UserID] {
				out = append(out, t)
			}
		}
		targets = out
	}
	if len(targets) == 0 {
		return nil
	}
	name := ""
	if n.From != "" {
		if u, err := s.names.User(ctx, n.From); err == nil {
			name = u.Name
		}
	}
	plain, err := encodePayload(n, name, false)
	if err != nil {
		return err
	}
	var preview []byte
	opts := Options{TTL: s.cfg.TTL, Urgent: n.Urgent, Topic: topic(n)}
	now := s.clock.Now()
	for _, t := range targets {
		if !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now) {
			continue
		}
		p := plain
		if t.Previews && !n.NoPreview && n.Text != "" {
			if preview == nil {
				if preview, err = encodePayload(n, name, true); err != nil {
					return err
				}
			}
			p = preview
		}
		s.queueSend(&delivery{to: t, payload: p, opts: opts})
	}
	return nil
}

// unmuted keeps the targets whose owners are members of conv who have not
// muted it.
func (s *Service) unmuted(ctx context.Context, conv tack.ID, targets []Target) ([]Target, error) {
	ok := map[tack.ID]bool{}
	owners := map[tack.ID]bool{}
	for _, t := range targets {
		owners[t.UserID] = true
	}
	if len(owners) > 20 {
		ms, err := s.chats.Memberships(ctx, conv)
		if err != nil {
			return nil, fmt.Errorf("members: %w", err)
		}
		for _, m := range ms {
			ok[m.UserID] = !m.Muted
		}
	} else {
		for u := range owners {
			m, err := s.chats.Membership(ctx, conv, u)
			if errors.Is(err, tack.ErrNotFound) {
				continue // left since
			}
			if err != nil {
				return nil, fmt.Errorf("member: %w", err)
			}
			ok[u] = !m.Muted
		}
	}
	out := targets[:0]
	for _, t := range targets {
		if ok[t.UserID] {
			out = append(out, t)
		}
	}
	return out, nil
}

// convInfo is what never changes about a conversation: its kind and, for a
// direct chat, its two members.
type convInfo struct {
	kind    string
	members []tack.ID
}

// convCache remembers convInfo; it forgets everything when it grows past
// maxConvCache entries.
type convCache struct {
	mu sync.Mutex
	m  map[tack.ID]convInfo
}

const maxConvCache = 50000

func (s *Service) conversation(ctx context.Context, id tack.ID) (convInfo, error) {
	s.convs.mu.Lock()
	info, ok := s.convs.m[id]
	s.convs.mu.Unlock()
	if ok {
		return info, nil
	}
	c, err := s.chats.Conversation(ctx, id)
	if err != nil {
		return convInfo{}, fmt.Errorf("conversation: %w", err)
	}
	info.kind = c.Kind
	if chat.Paired(c.Kind) {
		ms, err := s.chats.Memberships(ctx, id)
		if err != nil {
			return convInfo{}, fmt.Errorf("members: %w", err)
		}
		for _, m := range ms {
			info.members = append(info.members, m.UserID)
		}
	}
	s.convs.mu.Lock()
	if s.convs.m == nil || len(s.convs.m) >= maxConvCache {
		s.convs.m = make(map[tack.ID]convInfo)
	}
	s.convs.m[id] = info
	s.convs.mu.Unlock()
	return info, nil
}

// topic collapses a conversation's undelivered pushes into the newest.
func topic(n *Notification) string {
	if n.ConversationID == "" || n.Urgent {
		return ""
	}
	return "c" + string(n.ConversationID)
}

// titleOf is the title everyone may see: who, never what.
func titleOf(n *Notification, name string) string {
	if n.Title != "" {
		return n.Title
	}
	if name == "" {
		name = "someone"
	}
	switch n.Kind {
	case KindMention:
		return name + " mentioned you"
	case KindDing:
		return "DING from " + name
	case KindApproval:
		return "Approval request from " + name
	case KindAnnouncement:
		return "Announcement from " + name
	}
	return "New message from " + name
}

func encodePayload(n *Notification, name string, preview bool) ([]byte, error) {
	p := Payload{V: 1, Type: n.Kind, Title: titleOf(n, name), SenderID: n.From, SenderName: name,
		ConversationID: n.ConversationID, Seq: n.Seq, URL: n.URL, Tag: n.Kind}
	if n.ConversationID != "" {
		p.Tag = "c:" + string(n.ConversationID)
	}
	if p.URL == "" {
		p.URL = "/"
	}
	if preview {
		p.Body = clip(n.Text, MaxPreviewRunes)
		p.ConversationTitle = n.Context
	}
	b, err := json.Marshal(p)
	for err == nil && len(b) > MaxPayload && p.Body != "" {
		// Halve the body; "…" alone (which clip keeps) goes entirely, or
		// the loop would never end when the rest is over the limit.
		if p.Body = clip(p.Body, utf8.RuneCountInString(p.Body)/2); p.Body == "…" {
			p.Body = ""
		}
		b, err = json.Marshal(p)
	}
	if err == nil && len(b) > MaxPayload {
		err = fmt.Errorf("push payload of %d bytes is too large", len(b))
	}
	return b, err
}

func clip(s string, runes int) string {
	if utf8.RuneCountInString(s) <= runes {
		return s
	}
	r := []rune(s)
	return string(r[:max(runes-1, 0)]) + "…"
}

// pushText is the text a push shows of m: its text, or for files a sign
// readable in any language (the recipient's is not known here).
func pushText(m chat.Message) string {
	if m.Kind == chat.RobotMessage && m.Text == "" && m.System != nil {
		return m.System.Title
	}
	if m.Text != "" || len(m.Attachments) == 0 {
		return m.Text
	}
	switch m.Kind {
	case chat.ImageMessage:
		return "📷"
	case chat.VoiceMessage:
		return "🎤"
	case chat.VoicePictureMessage:
		return "📷 🎤"
	}
	return "📎 " + m.Attachments[0].Name
}

package node

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/platform"
)

// approvalStores is what a store offers for approvals and leave.
type approvalStores interface {
	Approvals() approval.Store
	Leave() leave.Store
}

// startApprovals wires leave and approvals once chat exists: the approvals
// bot's account, its chats, pushes and live events.
func (n *Node) startApprovals(ctx context.Context, cfg Config, tap *atomic.Pointer[approval.Service], bots *botExternals) error {
	st, ok := n.Store.(approvalStores)
	if !ok || n.Org == nil || n.Attendance == nil {
		return nil
	}
	n.Leave = leave.NewService(st.Leave(), n.Org, n.Attendance, cfg.AttendanceClock, leave.Config{Logger: n.log})
	bot, err := n.Accounts.Bot(ctx, "approvals", "审批")
	if err != nil {
		return err
	}
	bots.bot.Store(&bot.ID)
	acfg := approval.Config{Logger: n.log, Chats: approvalChats{chat: n.Chat, bot: bot.ID}, Events: approvalEvents{bus: n.Bus, plat: n.Platform}}
	if n.Push != nil {
		acfg.Push = n.Push
	}
	if n.Media != nil {
		acfg.Files = n.Media // attachment fields take the caller's uploads
	}
	n.Approval = approval.NewService(st.Approvals(), n.Org, n.Attendance, n.Leave, cfg.AttendanceClock, acfg)
	if n.Media != nil {
		n.Media.AddGrant(n.Approval) // who may read a request may read its files
	}
	n.closers = append(n.closers, n.Approval.Close)
	tap.Store(n.Approval)
	return nil
}

// approvalChats posts the approvals bot's messages through the chat service.
type approvalChats struct {
	chat *chat.Service
	bot  tack.ID
}

func (c approvalChats) Notify(ctx context.Context, to tack.ID, clientID, text string) (tack.ID, error) {
	m, _, err := c.chat.PostNotice(ctx, chat.Notice{From: c.bot, To: to, ClientID: clientID, Action: "approval", Text: text})
	return m.ConversationID, err
}

func (c approvalChats) AutoReply(ctx context.Context, convID, user tack.ID, clientID, text string) error {
	_, _, err := c.chat.PostNotice(ctx, chat.Notice{From: c.bot, ConversationID: convID, ClientID: clientID, Action: "auto_reply", ActorID: user, Text: text})
	return err
}

func (c approvalChats) DirectPeer(ctx context.Context, convID, sender tack.ID) (tack.ID, error) {
	return c.chat.DirectPeer(ctx, convID, sender)
}

func (c approvalChats) Send(ctx context.Context, user, convID tack.ID, clientID, text string) error {
	_, _, err := c.chat.Send(tack.WithCaller(ctx, tack.Caller{UserID: user}), convID, chat.Draft{ClientID: clientID, Text: text})
	return err
}

// approvalEvents publishes approval changes to the people concerned.
// The platform (if any) queues an "approval" event for subscribed apps.
type approvalEvents struct {
	bus  bus.Publisher
	plat *platform.Service
}

func (p approvalEvents) PublishApproval(ctx context.Context, users []tack.ID, payload []byte) {
	_ = p.bus.Publish(ctx, &bus.Event{Kind: bus.Approval, Users: users, Payload: payload})
	if p.plat != nil {
		var f struct {
			OrgID    tack.ID `json:"org_id"`
			Approval struct {
				ID string `json:"id"`
			} `json:"approval"`
		}
		if json.Unmarshal(payload, &f) == nil && f.OrgID != "" {
			if err := p.plat.EmitApproval(ctx, f.OrgID, f.Approval.ID, payload); err != nil {
				slog.Warn("approval event", "err", err)
			}
		}
	}
}

// messageTap hands the messages this node commits to the approvals
// service (automatic replies while someone is away).
type messageTap struct {
	bus.Publisher
	approvals *atomic.Pointer[approval.Service]
}

func (t messageTap) Publish(ctx context.Context, e *bus.Event) error {
	err := t.Publisher.Publish(ctx, e)
	if a := t.approvals.Load(); a != nil && e.Kind == bus.Message && a.Replying() {
		var f struct {
			Type    string `json:"type"`
			Message struct {
				ConversationID tack.ID `json:"conversation_id"`
				SenderID       tack.ID `json:"sender_id"`
				Kind           string  `json:"kind"`
				EditedAt       any     `json:"edited_at"`
			} `json:"message"`
		}
		if json.Unmarshal(e.Payload, &f) == nil && f.Type == "message" && f.Message.EditedAt == nil {
			a.HandleMessage(f.Message.ConversationID, f.Message.SenderID, f.Message.Kind)
		}
	}
	return err
}

// botExternals is the organisation service's list of conversations with
// outsiders, less the approvals bot's chat with the caller: the bot is a
// service of this server, not someone from outside.
type botExternals struct {
	org   *org.Service
	store chat.ConversationStore
	bot   atomic.Pointer[tack.ID] // the approvals bot
	// security is the account security bot (sign-in alerts).
	security atomic.Pointer[tack.ID]
}

func (b *botExternals) ExternalConversations(ctx context.Context) ([]tack.ID, error) {
	ids, err := b.org.ExternalConversations(ctx)
	if err != nil || len(ids) == 0 {
		return ids, err
	}
	for _, p := range []*atomic.Pointer[tack.ID]{&b.bot, &b.security} {
		bot := p.Load()
		if bot == nil {
			continue
		}
		conv, err := b.store.DirectBetween(ctx, tack.UserID(ctx), *bot)
		if errors.Is(err, tack.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		ids = slices.DeleteFunc(ids, func(id tack.ID) bool { return id == conv })
	}
	return ids, nil
}

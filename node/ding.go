package node

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/notify"
	"github.com/tackhq/tack/push"
)

// startDing wires DINGs: the service, its deadline handlers and how it
// reaches people (push, email, SMS, voice calls).
func (n *Node) startDing(cfg Config, mailer *notify.SMTP, log *slog.Logger) {
	ds, ok := n.Store.(interface{ Dings() ding.Store })
	if !ok || n.Org == nil {
		return
	}
	dcfg := ding.Config{Notifier: dingNotifier{push: n.Push, mail: mailer, sms: cfg.SMS, voice: cfg.Voice}, MinEscalate: cfg.DingMinEscalate, Logger: log}
	if n.Attendance != nil {
		dcfg.Quiet = n.Attendance
	}
	if n.Deadlines != nil {
		dcfg.Deadlines = n.Deadlines
	}
	n.Ding = ding.NewService(ds.Dings(), n.Org, n.Bus, nil, dcfg)
	if n.receipts != nil {
		n.receipts.ding = n.Ding
	}
	if n.Deadlines != nil {
		n.Deadlines.Handle(ding.SendJob, n.Ding.HandleSend)
		n.Deadlines.Handle(ding.EscalateJob, n.Ding.HandleEscalate)
	}
}

// quietPush is the push service's quiet-hours seam: ordinary messages
// (direct messages, mentions) wait (are not pushed) during a person's quiet
// hours unless they chose otherwise; DINGs (urgent) decide for themselves in
// package ding, and work notices (approvals) go through.
func (n *Node) quietPush(ctx context.Context, user tack.ID, note *push.Notification) bool {
	if note.Urgent || n.Attendance == nil || note.Kind != push.KindMessage && note.Kind != push.KindMention {
		return false
	}
	now := time.Now()
	if n.attClock != nil {
		now = n.attClock()
	}
	quiet, err := n.Attendance.QuietAt(ctx, user, now)
	if err != nil || !quiet {
		return false
	}
	if n.Ding != nil {
		if ok, err := n.Ding.PushesInQuiet(ctx, user); err == nil && ok {
			return false
		}
	}
	return true
}

// quietEnd is when user's quiet hours end, on the wall clock (the
// attendance clock may differ from it in tests: the wait is what counts).
func (n *Node) quietEnd(ctx context.Context, user tack.ID) (time.Time, error) {
	wall := time.Now()
	if n.Attendance == nil {
		return wall, nil
	}
	now := wall
	if n.attClock != nil {
		now = n.attClock()
	}
	end, err := n.Attendance.QuietUntil(ctx, user, now)
	if err != nil {
		return time.Time{}, err
	}
	return wall.Add(end.Sub(now)), nil
}

// dingNotifier reaches DING recipients outside the app.
type dingNotifier struct {
	push  *push.Service // nil: no push
	mail  *notify.SMTP  // nil: no email
	sms   notify.SMS    // nil: no SMS
	voice notify.Voice  // nil: no voice calls
}

func (d dingNotifier) Reach(ctx context.Context, channel string, to ding.Contact, g ding.Ding) error {
	body := g.Text
	if g.Reason != "" {
		body += "\n\n(" + g.Reason + ")"
	}
	switch channel {
	case ding.Push:
		if d.push == nil {
			return ding.ErrNoAddress
		}
		d.push.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{to.UserID}, From: g.SenderID, Text: g.Text,
			URL: "/ding/" + string(g.ID), Urgent: true})
		return nil
	case ding.Email:
		if d.mail == nil || to.Email == "" {
			return ding.ErrNoAddress
		}
		return d.mail.SendEmail(ctx, to.Email, "DING: "+clip(g.Text, 60), body+"\n\nConfirm in Tack: /ding/"+string(g.ID))
	case ding.SMS:
		if d.sms == nil || to.Phone == "" {
			return ding.ErrNoAddress
		}
		return d.sms.SendSMS(ctx, to.Phone, "[DING] "+clip(body, 300))
	case ding.Call:
		if d.voice == nil || to.Phone == "" {
			return ding.ErrNoAddress
		}
		return d.voice.Call(ctx, to.Phone, "DING: "+clip(body, 200))
	}
	return fmt.Errorf("unknown channel %q", channel)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// receiptPolicy is chat's read-receipt policy, from package ding, cached
// for a few seconds per viewer and conversation (it is asked on every
// history page and read event). An entry lives between half of
// receiptCacheTTL and all of it (tack.Life): entries cached together
// expired together, and on PostgreSQL the reads back, made by the one
// goroutine that publishes read events, held deliveries for up to half a
// second every five.
type receiptPolicy struct {
	ding  *ding.Service
	chats interface {
		Memberships(ctx context.Context, convID tack.ID) ([]chat.Membership, error)
	}
	mu    sync.Mutex
	cache map[[2]tack.ID]cachedView
}

type cachedView struct {
	v     chat.ReceiptView
	until time.Time
	gen   int64
}

const (
	receiptCacheTTL = 10 * time.Second
	receiptCacheMax = 100_000 // entries; cleared when exceeded
)

func (p *receiptPolicy) ReceiptView(ctx context.Context, viewer tack.ID, c chat.Conversation) (chat.ReceiptView, error) {
	if p.ding == nil {
		return chat.ReceiptView{Show: true, Names: true}, nil
	}
	k := [2]tack.ID{viewer, c.ID}
	now := time.Now()
	p.mu.Lock()
	gen := p.ding.SettingsGeneration()
	if e, ok := p.cache[k]; ok && now.Before(e.until) && e.gen == gen {
		p.mu.Unlock()
		return e.v, nil
	}
	p.mu.Unlock()
	var readers []tack.ID
	if c.MemberCount <= ding.DefaultReceiptNamesMax*2 {
		ms, err := p.chats.Memberships(ctx, c.ID)
		if err != nil {
			return chat.ReceiptView{}, err
		}
		for _, m := range ms {
			if m.UserID != viewer {
				readers = append(readers, m.UserID)
			}
		}
	}
	dv, err := p.ding.ReceiptViewFor(ctx, viewer, c.MemberCount, readers)
	if err != nil {
		return chat.ReceiptView{}, err
	}
	v := chat.ReceiptView{Show: dv.Show, Names: dv.Names}
	if hidden := dv.Hidden; !dv.NoneHidden {
		v.Hidden = func(r tack.ID) bool { return hidden(string(r)) }
	}
	p.mu.Lock()
	if p.cache == nil || len(p.cache) >= receiptCacheMax {
		p.cache = map[[2]tack.ID]cachedView{}
	}
	p.cache[k] = cachedView{v, now.Add(tack.Life(string(viewer)+string(c.ID), receiptCacheTTL)), gen}
	p.mu.Unlock()
	return v, nil
}

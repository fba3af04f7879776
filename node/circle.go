package node

import (
	"context"
	"log/slog"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/push"
)

// startCircle wires circles (moments) on stores that keep them and have
// the friend graph and organisations.
func (n *Node) startCircle(clock tack.Clock, log *slog.Logger) {
	cs, ok := n.Store.(interface{ Circles() circle.Store })
	os, ok2 := n.Store.(org.Store)
	if !ok || !ok2 {
		return
	}
	cfg := circle.Config{Logger: log}
	if n.Media != nil {
		cfg.URLs = n.Media
	}
	if n.Platform != nil {
		cfg.Modules = n.Platform
	}
	var files chat.Files
	if n.Media != nil {
		files = n.Media
	}
	n.Circle = circle.NewService(cs.Circles(), circlePeople{os}, files, n.Bus, clock, cfg)
	as, ok := n.Store.(interface {
		Announcements() circle.AnnouncementStore
	})
	if !ok || n.Org == nil {
		return
	}
	bcfg := circle.BoardConfig{Logger: log}
	if n.Attendance != nil {
		bcfg.Quiet = n.Attendance
	}
	if n.Deadlines != nil {
		bcfg.Deadlines = n.Deadlines
	}
	if n.Ding != nil {
		bcfg.Receipts = announcementReceipts{n.Ding}
	}
	if n.Push != nil {
		bcfg.Notifier = announcementPush{n.Push}
	}
	var urls circle.URLs
	if n.Media != nil {
		urls = n.Media
	}
	n.Board = circle.NewBoard(as.Announcements(), n.Org, files, urls, n.Bus, clock, bcfg)
	if n.Deadlines != nil {
		n.Deadlines.Handle(circle.PublishJob, n.Board.HandlePublish)
		n.Deadlines.Handle(circle.NotifyJob, n.Board.HandleNotify)
	}
	if rs, ok := n.Store.(interface{ Reports() circle.ReportStore }); ok {
		var dl circle.Deadlines
		if n.Deadlines != nil {
			dl = n.Deadlines
		}
		n.Journal = circle.NewJournal(rs.Reports(), n.Org, n.Bus, clock, bcfg.Quiet, dl, log)
		if n.Deadlines != nil {
			n.Deadlines.Handle(circle.RemindJob, n.Journal.HandleRemind)
		}
	}
}

// circlePeople answers circles' questions from the friend graph and the
// organisations.
type circlePeople struct{ store org.Store }

func (p circlePeople) Ties(ctx context.Context, user tack.ID) (friends, blocked []tack.ID, err error) {
	rs, err := p.store.Relations(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rs {
		other := r.OtherID
		if other == user {
			other = r.UserID
		}
		switch {
		case r.State == org.Blocked:
			blocked = append(blocked, other)
		case r.State == org.Friend && r.UserID == user:
			friends = append(friends, other)
		}
	}
	return friends, blocked, nil
}

func (p circlePeople) ActiveOrgs(ctx context.Context, ids []tack.ID) (map[tack.ID][]tack.ID, error) {
	return p.store.ActiveOrgsOf(ctx, ids)
}

func (p circlePeople) OrgMembers(ctx context.Context, orgID tack.ID, limit int) ([]tack.ID, error) {
	ids, err := p.store.ActiveUsersUnder(ctx, orgID, "")
	if len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, err
}

// announcementReceipts is announcements' read-receipt policy: the
// organisation's, from package ding.
type announcementReceipts struct{ ding *ding.Service }

func (p announcementReceipts) AnnouncementReceipts(ctx context.Context, orgID, viewer tack.ID, recipients []tack.ID) (circle.ReceiptRule, error) {
	var readers []tack.ID
	if len(recipients) <= ding.DefaultReceiptNamesMax*2 {
		for _, id := range recipients {
			if id != viewer {
				readers = append(readers, id)
			}
		}
	}
	dv, err := p.ding.ReceiptViewIn(ctx, orgID, viewer, len(recipients), readers)
	if err != nil {
		return circle.ReceiptRule{}, err
	}
	rule := circle.ReceiptRule{Show: dv.Show, Names: dv.Names}
	if hidden := dv.Hidden; !dv.NoneHidden && hidden != nil {
		rule.Hidden = func(id tack.ID) bool { return hidden(string(id)) }
	}
	return rule, nil
}

// announcementPush pushes a published announcement to its recipients when
// the Board tells them (out of their quiet hours); push's own rules apply
// on top (quiet hours again, people active in the app get none). The
// title names the author; the announcement's title is the preview, for
// those who turned previews on.
type announcementPush struct{ push *push.Service }

func (p announcementPush) Announce(_ context.Context, users []tack.ID, a circle.Announcement) {
	if len(users) == 0 {
		return
	}
	p.push.Notify(push.Notification{Kind: push.KindAnnouncement, Users: users, From: a.AuthorID, Text: a.Title,
		URL: "/workbench/announcements"})
}

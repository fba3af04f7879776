package approval

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tackhq/tack"
)

// Status is how someone shows next to their name while approved leave or
// a trip runs.
type Status struct {
	Kind  string    `json:"kind"`  // leave, trip
	Label string    `json:"label"` // 休假中, 出差中
	Until time.Time `json:"until"`
}

var labels = map[string]string{KindLeave: "休假中", KindTrip: "出差中"}

// Statuses returns the away status of those of userIDs who are on
// approved leave or a trip now, as the caller may see it: only people who
// share an organisation with the caller, and only of that organisation.
func (s *Service) Statuses(ctx context.Context, userIDs []tack.ID) (map[tack.ID]Status, error) {
	me := tack.UserID(ctx)
	out := map[tack.ID]Status{}
	if me == "" || len(userIDs) == 0 {
		return out, nil
	}
	aways, err := s.store.AwayAt(ctx, userIDs, s.now())
	if err != nil || len(aways) == 0 {
		return out, err
	}
	orgs, _, err := s.dir.DirectoryOrgsOf(ctx, me)
	if err != nil {
		return nil, err
	}
	mine := map[tack.ID]bool{}
	for _, o := range orgs {
		mine[o.ID] = true
	}
	for _, a := range aways {
		if !mine[a.OrgID] {
			continue
		}
		// A trip wins over leave; else the longer one.
		if cur, ok := out[a.UserID]; ok && (cur.Kind == KindTrip || a.Kind != KindTrip && !a.End.After(cur.Until)) {
			continue
		}
		out[a.UserID] = Status{Kind: a.Kind, Label: labels[a.Kind], Until: a.End}
	}
	return out, nil
}

// replyJob is a direct message to answer, maybe.
type replyJob struct {
	convID, sender tack.ID
	at             time.Time
}

// Replying reports whether anybody's direct messages get automatic
// replies now, so that the message tap skips the work when nobody's do.
func (s *Service) Replying() bool {
	m := s.replying.Load()
	return m != nil && len(*m) > 0
}

// refreshReplying reloads who gets automatic replies now.
func (s *Service) refreshReplying(ctx context.Context) {
	aways, err := s.store.AwayAt(ctx, nil, s.now())
	if err != nil {
		s.log.Warn("automatic replies", "err", err)
		return
	}
	m := map[tack.ID]bool{}
	for _, a := range aways {
		if a.AutoReply {
			m[a.UserID] = true
		}
	}
	s.replying.Store(&m)
}

// HandleMessage looks at a text message this node committed: a direct
// message to someone on approved leave or a trip who asked for automatic
// replies gets one (once a day per conversation). It never blocks.
func (s *Service) HandleMessage(convID, sender tack.ID, kind string) {
	if kind != "text" || s.chats == nil {
		return
	}
	select {
	case s.replies <- replyJob{convID: convID, sender: sender, at: s.now()}:
	default: // busy: an automatic reply is a courtesy
	}
}

func (s *Service) reply(ctx context.Context, r replyJob) {
	peer, err := s.chats.DirectPeer(ctx, r.convID, r.sender)
	if m := s.replying.Load(); err != nil || peer == "" || m == nil || !(*m)[peer] {
		return
	}
	aways, err := s.store.AwayAt(ctx, []tack.ID{peer}, r.at)
	if err != nil {
		s.log.Warn("auto reply", "err", err)
		return
	}
	for _, a := range aways {
		if !a.AutoReply {
			continue
		}
		// Only colleagues of the organisation get the reply (it names who
		// covers, which is the organisation's business).
		if m, ok, err := s.activeUser(ctx, a.OrgID, r.sender); err != nil || !ok || m.UserID == peer {
			continue
		}
		loc := s.zone(ctx, a.OrgID)
		until := a.End.Add(-time.Minute).In(loc).Format("1月2日")
		text := fmt.Sprintf("【自动回复】%s%s，%s回来。", s.name(ctx, a.OrgID, peer), labels[a.Kind], until)
		if a.Kind == KindTrip {
			text = fmt.Sprintf("【自动回复】%s出差中，%s结束。", s.name(ctx, a.OrgID, peer), until)
		}
		if a.Handover != "" && !slices.Contains([]tack.ID{peer, r.sender}, a.Handover) {
			text += fmt.Sprintf("急事请找%s。", s.name(ctx, a.OrgID, a.Handover))
		}
		key := fmt.Sprintf("ar:%s:%s:%s", a.InstanceID, r.convID, r.at.In(loc).Format("20060102"))
		if err := s.chats.AutoReply(ctx, r.convID, peer, key, text); err != nil {
			s.log.Warn("auto reply", "err", err)
		}
		return
	}
}

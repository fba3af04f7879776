package approval

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// ActionInput is what an action takes.
type ActionInput struct {
	Comment string `json:"comment,omitempty"`
	// UserID: transfer to, or add (before or after oneself).
	UserID tack.ID `json:"user_id,omitempty"`
	// Position of an added approver: before or after (default).
	Position string `json:"position,omitempty"`
	// Step a return goes back to (index in steps; default the nearest
	// earlier approver step).
	Step *int `json:"step,omitempty"`
	// Mentions of a comment: people told, who may then read the request.
	Mentions []tack.ID `json:"mentions,omitempty"`
	// ClientID makes a comment once however often it is sent.
	ClientID string `json:"client_id,omitempty"`
}

// Actions accepted by Act.
var actions = []string{ActApprove, ActReject, ActTransfer, "add", ActReturn, ActComment, ActWithdraw, ActUrge, ActCancel}

func validComment(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxCommentRunes {
		return "", tack.Invalid("comment", "a comment is at most %d characters", MaxCommentRunes)
	}
	return s, nil
}

// Act takes an action on an instance: approve, reject, transfer, add
// (an approver before or after oneself), return (to an earlier step) as
// one of its current approvers; comment as anyone who may read it;
// withdraw and urge as its originator while it runs; cancel an approved
// one as its originator (before its time starts) or an admin. Acting twice
// is acting once: the second time answers the instance as it is. Of two
// approvers acting at once on one 或签 step, one decides and the other
// gets EDecided.
func (s *Service) Act(ctx context.Context, orgID, id tack.ID, kind string, in ActionInput) (View, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	if !slices.Contains(actions, kind) {
		return View{}, tack.Errorf(tack.ENotFound, "no such action %q", clipKey(kind))
	}
	if in.Comment, err = validComment(in.Comment); err != nil {
		return View{}, err
	}
	var other tack.ID
	if kind == ActTransfer || kind == "add" {
		if in.Position == "" {
			in.Position = "after"
		}
		if kind == "add" && in.Position != "before" && in.Position != "after" {
			return View{}, tack.Invalid("position", "position is before or after")
		}
		m, ok, err := s.activeUser(ctx, orgID, in.UserID)
		if err != nil {
			return View{}, err
		}
		if !ok {
			return View{}, tack.Invalid("user_id", "user_id must be an active member of the organisation")
		}
		if m.UserID == a.me.UserID {
			return View{}, tack.Invalid("user_id", "name someone other than yourself")
		}
		other = m.UserID
	}
	var mentions []tack.ID
	if kind == ActComment {
		if in.Comment == "" {
			return View{}, tack.Invalid("comment", "a comment needs text")
		}
		if len(in.Mentions) > MaxMentions {
			return View{}, tack.Invalid("mentions", "at most %d mentions", MaxMentions)
		}
		for _, id := range in.Mentions {
			m, ok, err := s.activeUser(ctx, orgID, id)
			if err != nil {
				return View{}, err
			}
			if !ok {
				return View{}, tack.Invalid("mentions", "%q is not an active member", clipKey(string(id)))
			}
			if !slices.Contains(mentions, m.UserID) {
				mentions = append(mentions, m.UserID)
			}
		}
		if len(in.ClientID) > 64 {
			return View{}, tack.Invalid("client_id", "client_id is at most 64 characters")
		}
	}
	for attempt := 1; ; attempt++ {
		inst, tasks, err := s.load(ctx, a, id)
		if err != nil {
			return View{}, err
		}
		t, err := s.templateVersion(ctx, orgID, inst.Template, inst.TemplateVersion)
		if err != nil {
			return View{}, err
		}
		c := newChange(&inst, tasks, t.Dedup, s.now())
		var notes []notice
		done, err := s.apply(ctx, a, c, kind, in, other, mentions, &notes)
		if err != nil {
			return View{}, err
		}
		if done { // nothing to do: acted already
			return s.view(ctx, a, id)
		}
		b := Batch{}
		post, err := s.prepare(ctx, c, a.me.UserID, &b, notes...)
		if err != nil {
			return View{}, err
		}
		err = s.store.Apply(ctx, b)
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxAttempts {
			continue // moved meanwhile: look again
		}
		if err != nil {
			return View{}, err
		}
		s.after(ctx, post)
		return s.view(ctx, a, id)
	}
}

// apply works an action out on c. done is true when the action was taken
// already (nothing to write).
func (s *Service) apply(ctx context.Context, a *actor, c *change, kind string, in ActionInput, other tack.ID, mentions []tack.ID, notes *[]notice) (bool, error) {
	me := a.me.UserID
	inst := c.in
	switch kind {
	case ActComment:
		if in.ClientID != "" {
			acts, err := s.store.Actions(ctx, inst.ID)
			if err != nil {
				return false, err
			}
			if slices.ContainsFunc(acts, func(x Action) bool { return x.ActorID == me && x.Key == in.ClientID }) {
				return true, nil
			}
		}
		act := c.act(ActComment, me, nil, in.Comment)
		act.Mentions, act.Key = mentions, in.ClientID
		var told []tack.ID
		for _, u := range mentions {
			if u == me {
				continue
			}
			told = append(told, u)
			if u != inst.OriginatorID && !slices.Contains(inst.CC, u) && !slices.ContainsFunc(c.tasks, func(t *Task) bool { return t.ApproverID == u }) {
				inst.CC = append(inst.CC, u)
				c.ccNew = append(c.ccNew, u)
			}
		}
		if len(told) > 0 {
			name := s.name(ctx, inst.OrgID, me)
			*notes = append(*notes, notice{Users: told, From: me, Title: fmt.Sprintf("%s在审批中提到了你", name),
				Text:    fmt.Sprintf("【审批】%s在「%s」中提到了你：%s", name, inst.Title, in.Comment),
				Preview: in.Comment})
		}
		c.mentioned = told // told by the mention, not again as CC'd
		return false, nil
	case ActWithdraw, ActUrge:
		if inst.OriginatorID != me {
			return false, tack.Errorf(tack.EForbidden, "only the person who asked may %s it", kind)
		}
		if kind == ActWithdraw && inst.Status == Withdrawn {
			return true, nil
		}
		if inst.Status != Running {
			return false, tack.Errorf(tack.EConflict, "the request is %s already", inst.Status)
		}
		if kind == ActWithdraw {
			c.withdraw(me, in.Comment)
			return false, nil
		}
		if inst.UrgedAt != nil && c.now.Sub(*inst.UrgedAt) < UrgeEvery {
			return false, tack.Errorf(tack.ERateLimited, "you urged this request at %s; urge again in %d minutes", inst.UrgedAt.Format("15:04"),
				int((UrgeEvery-c.now.Sub(*inst.UrgedAt)+time.Minute-1)/time.Minute))
		}
		at := c.now
		inst.UrgedAt = &at
		c.act(ActUrge, me, inst.Pending, in.Comment)
		if len(inst.Pending) > 0 {
			name := s.name(ctx, inst.OrgID, me)
			*notes = append(*notes, notice{Users: inst.Pending, From: me, Title: fmt.Sprintf("%s催你审批", name),
				Text: fmt.Sprintf("【催办】%s催你审批：%s", name, inst.Title)})
		}
		return false, nil
	case ActCancel:
		if inst.OriginatorID != me && !a.admin() {
			return false, tack.Errorf(tack.EForbidden, "only the person who asked or an admin may cancel it")
		}
		if inst.Status == Cancelled {
			return true, nil
		}
		if inst.Status != Approved {
			return false, tack.Errorf(tack.EConflict, "only an approved request can be cancelled (this one is %s)", inst.Status)
		}
		if inst.Kind == KindMakeup {
			return false, tack.Errorf(tack.EConflict, "an applied make-up punch cannot be cancelled; ask an admin to correct the day")
		}
		if !a.admin() && !s.cancellable(inst) {
			return false, tack.Errorf(tack.EConflict, "it has started; ask an admin to cancel it")
		}
		c.act(ActCancel, me, nil, in.Comment)
		inst.Status = Cancelled
		at := c.now
		inst.EndedAt = &at
		return false, nil
	}
	// Approver actions: the actor's pending task of the running step.
	var mine *Task
	for _, t := range c.current() {
		if t.ApproverID == me && t.Status == TaskPending {
			mine = t
			break
		}
	}
	if mine == nil {
		return s.notMyTurn(c, me, kind, other)
	}
	switch kind {
	case ActApprove:
		c.approve(mine, in.Comment)
	case ActReject:
		c.reject(mine, in.Comment)
	case ActTransfer, "add":
		for _, t := range c.current() {
			if t.ApproverID == other && (t.Status == TaskPending || t.Status == TaskWaiting) {
				return false, tack.Errorf(tack.EConflict, "%s is an approver of this step already", s.name(ctx, inst.OrgID, other))
			}
		}
		switch {
		case kind == ActTransfer:
			c.transfer(mine, other, in.Comment)
		case in.Position == "before":
			c.addBefore(mine, other, in.Comment)
		default:
			c.addAfter(mine, other, in.Comment)
		}
	case ActReturn:
		want := -1
		if in.Step != nil {
			want = *in.Step
			if want < 0 || want >= len(inst.Steps) {
				return false, tack.Invalid("step", "step must be an earlier approver step")
			}
		}
		to := s.returnTarget(inst, want)
		if to < 0 {
			return false, tack.Invalid("step", "there is no earlier approver step to return to; reject instead")
		}
		c.sendBack(mine, to, in.Comment)
	}
	return false, nil
}

// notMyTurn explains why someone without a pending task cannot act, or
// says the action was taken already (done).
func (s *Service) notMyTurn(c *change, me tack.ID, kind string, other tack.ID) (bool, error) {
	var last *Task
	for _, t := range c.tasks {
		if t.ApproverID == me {
			last = t
		}
	}
	if last != nil {
		switch {
		case kind == ActApprove && last.Status == TaskApproved,
			kind == ActReject && last.Status == TaskRejected,
			kind == ActReturn && last.Status == TaskReturned:
			return true, nil
		case kind == ActTransfer && last.Status == TaskTransferred:
			if slices.ContainsFunc(c.tasks, func(t *Task) bool {
				return t.AddedBy == me && t.ApproverID == other && t.Step == last.Step && t.Round == last.Round
			}) {
				return true, nil
			}
		case kind == "add" && slices.ContainsFunc(c.tasks, func(t *Task) bool {
			return t.AddedBy == me && t.ApproverID == other && t.Step == last.Step && t.Round == last.Round && t.Status != TaskTransferred
		}):
			return true, nil
		case last.Status == TaskWaiting && c.in.Status == Running:
			return false, tack.Errorf(tack.EForbidden, "it is not your turn yet")
		case last.Status == TaskCancelled:
			return false, tack.Errorf(EDecided, "this step was decided already (the request is %s)", c.in.Status)
		}
	}
	if c.in.Status != Running {
		return false, tack.Errorf(tack.EConflict, "the request is %s already", c.in.Status)
	}
	return false, tack.Errorf(tack.EForbidden, "only the current approvers may do that")
}

// Announce posts, as the originator, that their approved leave or trip
// is on in their department's organisation group (once).
func (s *Service) Announce(ctx context.Context, orgID, id tack.ID) (View, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	if s.chats == nil {
		return View{}, tack.Errorf(tack.EUnavailable, "chats are not available")
	}
	for attempt := 1; ; attempt++ {
		inst, tasks, err := s.load(ctx, a, id)
		if err != nil {
			return View{}, err
		}
		if inst.OriginatorID != a.me.UserID {
			return View{}, tack.Errorf(tack.EForbidden, "only the person who asked may announce it")
		}
		if inst.Announced {
			return s.view(ctx, a, id)
		}
		if inst.Status != Approved || inst.Kind != KindLeave && inst.Kind != KindTrip {
			return View{}, tack.Errorf(tack.EConflict, "only approved leave or trips are announced")
		}
		groups, err := s.dir.DirectoryGroups(ctx, orgID)
		if err != nil {
			return View{}, err
		}
		var conv tack.ID
		for _, g := range groups {
			if g.DepartmentID != "" && slices.Contains(a.me.Departments, g.DepartmentID) {
				conv = g.ConversationID
				break
			}
		}
		if conv == "" {
			return View{}, tack.Errorf(tack.EConflict, "your department has no group to tell")
		}
		// The message first (once, by its client ID), then the mark: a
		// failed send can be tried again.
		loc := s.zone(ctx, orgID)
		text := fmt.Sprintf("我%s %s 至 %s 不在", map[string]string{KindLeave: "请假", KindTrip: "出差"}[inst.Kind],
			inst.Span.Start.In(loc).Format("1月2日 15:04"), inst.Span.End.In(loc).Format("1月2日 15:04"))
		if inst.Leave != nil {
			text = fmt.Sprintf("我请了%s（%s），%s 至 %s 不在", inst.Leave.Name, amountText(inst.Leave), inst.Leave.FromDate, inst.Leave.ToDate)
		}
		if inst.Handover != "" {
			text += "，急事请找 " + s.name(ctx, orgID, inst.Handover)
		}
		if err := s.chats.Send(ctx, a.me.UserID, conv, "announce:"+string(inst.ID), text+"。"); err != nil {
			return View{}, err
		}
		c := newChange(&inst, tasks, false, s.now())
		inst.Announced = true
		c.act(ActAnnounce, a.me.UserID, []tack.ID{conv}, "")
		b := Batch{}
		post, err := s.prepare(ctx, c, a.me.UserID, &b)
		if err != nil {
			return View{}, err
		}
		err = s.store.Apply(ctx, b)
		if tack.ErrorCode(err) == tack.EConflict && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return View{}, err
		}
		s.after(ctx, post)
		return s.view(ctx, a, id)
	}
}

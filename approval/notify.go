package approval

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/push"
)

// Summary is an instance in a list: what it is, where it stands, who acts.
type Summary struct {
	ID           tack.ID    `json:"id"`
	Template     string     `json:"template"`
	TemplateName string     `json:"template_name"`
	Kind         string     `json:"kind"`
	Title        string     `json:"title"`
	Status       string     `json:"status"`
	OriginatorID tack.ID    `json:"originator_id"`
	Pending      []tack.ID  `json:"pending"`
	Leave        *LeaveInfo `json:"leave,omitempty"`
	Span         *Span      `json:"span,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
}

func summaryOf(in Instance) Summary {
	var lv *LeaveInfo
	if in.Leave != nil {
		l := *in.Leave
		l.Days = nil
		lv = &l
	}
	p := in.Pending
	if p == nil {
		p = []tack.ID{}
	}
	return Summary{ID: in.ID, Template: in.Template, TemplateName: in.TemplateName, Kind: in.Kind, Title: in.Title, Status: in.Status,
		OriginatorID: in.OriginatorID, Pending: p, Leave: lv, Span: in.Span, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, EndedAt: in.EndedAt}
}

var outcome = map[string]string{Approved: "已通过", Rejected: "已被拒绝", Withdrawn: "已撤回", Cancelled: "已撤销"}

// notices are what a change tells people: new approvers that it is their
// turn, people CC'd, the originator the outcome, approvers of a
// withdrawn request that it was withdrawn.
func (s *Service) notices(ctx context.Context, c *change, actor tack.ID) []notice {
	in := c.in
	orig := s.name(ctx, in.OrgID, in.OriginatorID)
	var out []notice
	var turn []tack.ID
	for _, t := range c.newlyPending() {
		if !slices.Contains(turn, t.ApproverID) {
			turn = append(turn, t.ApproverID)
		}
	}
	if len(turn) > 0 {
		out = append(out, notice{Users: turn, From: in.OriginatorID,
			Title: fmt.Sprintf("%s的%s待你审批", orig, in.TemplateName),
			Text:  fmt.Sprintf("【审批】%s提交的%s待你审批：%s", orig, in.TemplateName, in.Title)})
	}
	cc := slices.DeleteFunc(slices.Clone(c.ccNew), func(u tack.ID) bool { return slices.Contains(c.mentioned, u) })
	if len(cc) > 0 {
		out = append(out, notice{Users: cc, From: in.OriginatorID,
			Title: fmt.Sprintf("%s的%s抄送给你", orig, in.TemplateName),
			Text:  fmt.Sprintf("【审批】%s的%s抄送给你：%s", orig, in.TemplateName, in.Title)})
	}
	if c.wasStatus != in.Status {
		switch in.Status {
		case Approved, Rejected:
			who := s.name(ctx, in.OrgID, actor)
			text := fmt.Sprintf("【审批】你的%s%s：%s", in.TemplateName, outcome[in.Status], in.Title)
			if actor != "" && actor != in.OriginatorID {
				text += "（" + who + "）"
			}
			if in.Status == Approved && (in.Kind == KindLeave || in.Kind == KindTrip) {
				text += "。可一键通知部门群。"
			}
			out = append(out, notice{Users: []tack.ID{in.OriginatorID}, From: actor,
				Title: fmt.Sprintf("你的%s%s", in.TemplateName, outcome[in.Status]), Text: text})
		case Withdrawn:
			var told []tack.ID
			for _, t := range c.tasks {
				if c.wasPending[t.ID] && !slices.Contains(told, t.ApproverID) {
					told = append(told, t.ApproverID)
				}
			}
			if len(told) > 0 {
				out = append(out, notice{Users: told, From: in.OriginatorID,
					Title: fmt.Sprintf("%s撤回了%s", orig, in.TemplateName),
					Text:  fmt.Sprintf("【审批】%s撤回了%s：%s", orig, in.TemplateName, in.Title)})
			}
		case Cancelled:
			if actor != in.OriginatorID {
				out = append(out, notice{Users: []tack.ID{in.OriginatorID}, From: actor,
					Title: fmt.Sprintf("你的%s已撤销", in.TemplateName),
					Text:  fmt.Sprintf("【审批】%s撤销了你的%s：%s", s.name(ctx, in.OrgID, actor), in.TemplateName, in.Title)})
			}
		}
	}
	return out
}

// tell posts a notify job's notices: a bot message to each person (once
// each, however often the job runs) and then one push per notice.
func (s *Service) tell(ctx context.Context, j Job, ns []notice) error {
	if s.chats != nil {
		for i, n := range ns {
			for _, u := range n.Users {
				if _, err := s.chats.Notify(ctx, u, fmt.Sprintf("ap:%s:%d:%s", j.ID, i, u), n.Text); err != nil {
					return fmt.Errorf("approval bot message: %w", err)
				}
			}
		}
	}
	if s.push != nil {
		for _, n := range ns {
			s.push.Notify(push.Notification{Kind: push.KindApproval, Users: n.Users, From: n.From, Title: n.Title, Text: n.Preview,
				URL: "/approvals/" + string(j.InstanceID)})
		}
	}
	return nil
}

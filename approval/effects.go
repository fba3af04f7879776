package approval

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/leave"
)

// notice is one thing to tell people: a message from the approval bot
// and a push.
type notice struct {
	Users []tack.ID `json:"users"`
	Text  string    `json:"text"`  // the bot's message (may hold private content)
	Title string    `json:"title"` // the push's title (holds none)
	From  tack.ID   `json:"from,omitempty"`
	// Preview is private content pushed only to those who allow previews.
	Preview string `json:"preview,omitempty"`
}

// coverBody is what a cover job applies.
type coverBody struct {
	UserID    tack.ID   `json:"user_id"`
	Kind      string    `json:"kind"`
	LeaveType string    `json:"leave_type,omitempty"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	ActorID   tack.ID   `json:"actor_id,omitempty"`
}

// correctionBody is what a correction job applies.
type correctionBody struct {
	attendance.Correction
}

// committed is what happens after a change commits.
type committed struct {
	orgID  tack.ID
	in     Instance
	action string
	users  []tack.ID
	jobs   []Job
}

// prepare adds to b everything a change writes besides the instance: its
// tasks and actions, the boxes of the people concerned, what the decision
// does elsewhere (balance writes, away, jobs), and the notices. notes are
// extra notices (urges, mentions).
func (s *Service) prepare(ctx context.Context, c *change, actor tack.ID, b *Batch, notes ...notice) (committed, error) {
	in := c.in
	now := c.now
	in.UpdatedAt = now
	b.Tasks = append(b.Tasks, c.written()...)
	b.Actions = append(b.Actions, c.acts...)
	if b.Instance == nil {
		b.Instance = &InstanceWrite{Instance: *in, PrevRev: in.Rev}
	}
	// Boxes.
	before := map[tack.ID]bool{}
	for _, t := range c.tasks {
		if c.wasPending[t.ID] {
			before[t.ApproverID] = true
		}
	}
	for u := range before {
		if !slices.Contains(in.Pending, u) {
			b.InboxRemove = append(b.InboxRemove, Entry{UserID: u, OrgID: in.OrgID, Box: BoxPending, InstanceID: in.ID})
		}
	}
	fresh := c.newlyPending()
	for _, t := range fresh {
		b.Inbox = append(b.Inbox, Entry{UserID: t.ApproverID, OrgID: in.OrgID, Box: BoxPending, InstanceID: in.ID, At: now})
	}
	for _, t := range c.written() {
		if t.ActedAt != nil && t.ActedAt.Equal(now) && t.Status != TaskCancelled {
			b.Inbox = append(b.Inbox, Entry{UserID: t.ApproverID, OrgID: in.OrgID, Box: BoxDone, InstanceID: in.ID, At: now})
		}
	}
	for _, u := range c.ccNew {
		b.Inbox = append(b.Inbox, Entry{UserID: u, OrgID: in.OrgID, Box: BoxCC, InstanceID: in.ID, At: now})
	}
	// Effects.
	var jobs []Job
	job := func(kind string, body any) {
		raw, _ := json.Marshal(body)
		jobs = append(jobs, Job{ID: tack.NewID(), OrgID: in.OrgID, InstanceID: in.ID, Kind: kind, Body: raw, DueAt: now.Add(jobLease)})
	}
	change := leave.Change{OrgID: in.OrgID, UserID: in.OriginatorID, ApprovalID: in.ID, ActorID: actor}
	if c.wasStatus == Running && in.Status == Approved {
		if in.Kind == KindLeave && in.Leave != nil && s.leave != nil {
			change.LeaveType, change.Amount, change.Reason = in.Leave.Type, in.Leave.Amount, in.Title
			w, err := s.leave.Deduct(ctx, change)
			if err != nil {
				return committed{}, err
			}
			if w != nil {
				b.Leave = append(b.Leave, *w)
			}
		}
		if in.Kind == KindOvertime && in.Leave != nil && s.leave != nil && s.compTime(ctx, in) {
			change.LeaveType, change.Amount, change.Reason = leave.CompTime, in.Leave.Amount, in.Title
			w, err := s.leave.Credit(ctx, change)
			if err != nil {
				return committed{}, err
			}
			if w != nil {
				b.Leave = append(b.Leave, *w)
			}
		}
		if (in.Kind == KindLeave || in.Kind == KindTrip) && in.Span != nil {
			lt := ""
			if in.Leave != nil {
				lt = in.Leave.Type
			}
			b.Away = append(b.Away, Away{OrgID: in.OrgID, UserID: in.OriginatorID, InstanceID: in.ID, Kind: in.Kind, LeaveType: lt,
				Start: in.Span.Start, End: in.Span.End, AutoReply: in.AutoReply, Handover: in.Handover})
		}
		if (in.Kind == KindLeave || in.Kind == KindTrip || in.Kind == KindOuting) && in.Span != nil {
			cb := coverBody{UserID: in.OriginatorID, Kind: in.Kind, Start: in.Span.Start, End: in.Span.End, ActorID: actor}
			if in.Leave != nil {
				cb.LeaveType = in.Leave.Type
			}
			job(JobCover, cb)
		}
		if in.Kind == KindMakeup {
			vals := s.formValues(ctx, in)
			pair := 0
			if n, ok := vals["pair"].(Number); ok {
				pair = int(Decimal(n) / decimalScale)
			}
			job(JobCorrection, correctionBody{attendance.Correction{OrgID: in.OrgID, UserID: in.OriginatorID, WorkDate: str(vals, "work_date"),
				CheckType: str(vals, "check_type"), Pair: pair, ApprovalID: string(in.ID), AppliedAt: in.CreatedAt, ActorID: actor,
				Reason: str(vals, "reason")}})
		}
	}
	if c.wasStatus == Approved && in.Status == Cancelled {
		if in.Kind == KindLeave && in.Leave != nil && s.leave != nil {
			change.LeaveType, change.Amount, change.Reason = in.Leave.Type, in.Leave.Amount, "cancelled: "+in.Title
			w, err := s.leave.Restore(ctx, change)
			if err != nil {
				return committed{}, err
			}
			if w != nil {
				b.Leave = append(b.Leave, *w)
			}
		}
		if in.Kind == KindOvertime && in.Leave != nil && s.leave != nil && s.compTime(ctx, in) {
			change.LeaveType, change.Amount, change.Reason = leave.CompTime, in.Leave.Amount, "cancelled: "+in.Title
			w, err := s.leave.Deduct(ctx, change)
			if err != nil {
				return committed{}, err
			}
			if w != nil {
				b.Leave = append(b.Leave, *w)
			}
		}
		b.AwayRemove = append(b.AwayRemove, in.ID)
		if in.Kind == KindLeave || in.Kind == KindTrip || in.Kind == KindOuting {
			job(JobUncover, struct{}{})
		}
	}
	// Notices.
	notes = append(notes, s.notices(ctx, c, actor)...)
	if len(notes) > 0 && (s.chats != nil || s.push != nil) {
		job(JobNotify, notes)
	}
	b.Jobs = append(b.Jobs, jobs...)
	// Who hears of it live.
	users := []tack.ID{in.OriginatorID}
	add := func(u tack.ID) {
		if u != "" && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	for _, t := range c.tasks {
		add(t.ApproverID)
	}
	for _, u := range in.CC {
		add(u)
	}
	kind := ""
	if len(c.acts) > 0 {
		kind = c.acts[len(c.acts)-1].Kind
		for _, a := range c.acts {
			if a.ActorID == actor && actor != "" {
				kind = a.Kind
			}
		}
	}
	b.Instance.Instance = *in
	return committed{orgID: in.OrgID, in: *in, action: kind, users: users, jobs: jobs}, nil
}

// compTime reports whether the instance's overtime template turns hours
// into comp time.
func (s *Service) compTime(ctx context.Context, in *Instance) bool {
	t, err := s.templateVersion(ctx, in.OrgID, in.Template, in.TemplateVersion)
	return err == nil && t.CompTime
}

// formValues reads an instance's form back with its template version.
func (s *Service) formValues(ctx context.Context, in *Instance) map[string]any {
	t, err := s.templateVersion(ctx, in.OrgID, in.Template, in.TemplateVersion)
	if err != nil {
		return map[string]any{}
	}
	return values(t.Fields, in.Form)
}

// after tells the people concerned live, applies what the decision does
// in attendance right away (so that the answer to the decision already
// shows it), and hands the notices to the worker. Jobs that fail stay in
// the outbox for the next sweep.
func (s *Service) after(ctx context.Context, c committed) {
	if c.in.AutoReply {
		s.refreshReplying(ctx)
	}
	if s.events != nil {
		payload, _ := json.Marshal(map[string]any{"type": "approval", "org_id": c.orgID, "action": c.action,
			"approval": summaryOf(c.in)})
		s.events.PublishApproval(ctx, c.users, payload)
	}
	for _, j := range c.jobs {
		if j.Kind == JobNotify {
			select {
			case s.jobs <- j.ID:
			default: // the sweep will find it
			}
			continue
		}
		s.runOne(context.WithoutCancel(ctx), j.ID)
	}
}

// runOne claims a job and runs it.
func (s *Service) runOne(ctx context.Context, id tack.ID) {
	now := s.now()
	j, err := s.store.ClaimJob(ctx, id, now, now.Add(jobLease), s.node)
	if err != nil {
		return // done already, or another node has it
	}
	s.run(ctx, j)
}

// RunJobs runs the jobs whose time has come (left by a node that stopped,
// or that failed before): the node calls it on a timer. It returns when
// none is left due.
func (s *Service) RunJobs(ctx context.Context) error {
	for {
		now := s.now()
		js, err := s.store.ClaimJobs(ctx, now, now.Add(jobLease), s.node, 100)
		if err != nil {
			return err
		}
		for _, j := range js {
			s.run(ctx, j)
		}
		if len(js) < 100 {
			return nil
		}
	}
}

// run runs a claimed job and finishes it, or schedules a retry.
func (s *Service) run(ctx context.Context, j Job) {
	err := s.do(ctx, j)
	if err != nil && tack.ErrorCode(err) == tack.EInternal && j.Attempts+1 < maxJobAttempts {
		s.log.Warn("approval job failed; will retry", "kind", j.Kind, "approval", j.InstanceID, "err", err)
		if err := s.store.RetryJob(ctx, j.ID, s.now().Add(jobRetry)); err != nil {
			s.log.Error("approval job retry", "err", err)
		}
		return
	}
	if err != nil {
		s.log.Warn("approval job given up", "kind", j.Kind, "approval", j.InstanceID, "code", tack.ErrorCode(err), "err", err)
	}
	if err := s.store.FinishJob(ctx, j.ID); err != nil {
		s.log.Error("approval job finish", "err", err)
	}
}

func (s *Service) do(ctx context.Context, j Job) error {
	switch j.Kind {
	case JobCover:
		if s.att == nil {
			return nil
		}
		var b coverBody
		if err := json.Unmarshal(j.Body, &b); err != nil {
			return tack.Errorf(tack.EInvalid, "cover job: %v", err)
		}
		in := attendance.CoverInput{OrgID: j.OrgID, UserID: b.UserID, Kind: b.Kind, LeaveType: b.LeaveType, Start: b.Start, End: b.End,
			ApprovalID: string(j.InstanceID), ActorID: b.ActorID}
		if b.Kind == KindTrip {
			in.Kind = attendance.CoverTrip
		}
		_, err := s.att.Cover(ctx, in)
		return err
	case JobUncover:
		if s.att == nil {
			return nil
		}
		err := s.att.Uncover(ctx, j.OrgID, string(j.InstanceID))
		if tack.ErrorCode(err) == tack.ENotFound {
			return nil
		}
		return err
	case JobCorrection:
		if s.att == nil {
			return nil
		}
		var b correctionBody
		if err := json.Unmarshal(j.Body, &b); err != nil {
			return tack.Errorf(tack.EInvalid, "correction job: %v", err)
		}
		done, err := s.att.CorrectionApplied(ctx, j.OrgID, b.UserID, b.WorkDate, string(j.InstanceID))
		if err != nil || done {
			return err
		}
		_, err = s.att.ApplyCorrection(ctx, b.Correction)
		return err
	case JobNotify:
		var ns []notice
		if err := json.Unmarshal(j.Body, &ns); err != nil {
			return tack.Errorf(tack.EInvalid, "notify job: %v", err)
		}
		return s.tell(ctx, j, ns)
	}
	return tack.Errorf(tack.EInvalid, "unknown job kind %q", j.Kind)
}

// worker runs notices handed over after commits, automatic replies, and
// sweeps the outbox now and then.
func (s *Service) worker() {
	defer close(s.done)
	ctx := context.Background()
	s.refreshReplying(ctx)
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case id := <-s.jobs:
			s.runOne(ctx, id)
		case r := <-s.replies:
			s.reply(ctx, r)
		case <-tick.C:
			s.refreshReplying(ctx)
			if err := s.RunJobs(ctx); err != nil {
				s.log.Warn("approval jobs", "err", err)
			}
		}
	}
}

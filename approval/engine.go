package approval

import (
	"slices"
	"time"

	"github.com/tackhq/tack"
)

// change is one transition of an instance, worked out in memory: the
// engine moves the instance and its tasks and records what it did; the
// Service writes it with a compare-and-set on the instance's revision.
// It is pure (no store, no clock of its own), so the table tests drive it.
type change struct {
	now   time.Time
	dedup bool
	in    *Instance
	tasks []*Task
	dirty map[tack.ID]bool
	acts  []Action
	// ccNew are people newly CC'd; approved, rejected, withdrawn:
	// whether the instance ended so in this change.
	ccNew      []tack.ID
	mentioned  []tack.ID
	wasPending map[tack.ID]bool
	wasStatus  string
}

func newChange(in *Instance, tasks []Task, dedup bool, now time.Time) *change {
	c := &change{now: now, dedup: dedup, in: in, dirty: map[tack.ID]bool{}, wasPending: map[tack.ID]bool{}, wasStatus: in.Status}
	for i := range tasks {
		t := tasks[i]
		c.tasks = append(c.tasks, &t)
		if t.Status == TaskPending {
			c.wasPending[t.ID] = true
		}
	}
	return c
}

func liveTask(t *Task) bool {
	return t.Status == TaskPending || t.Status == TaskWaiting || t.Status == TaskApproved || t.Status == TaskRejected
}

// current returns the live tasks of the running step's round.
func (c *change) current() []*Task {
	var out []*Task
	for _, t := range c.tasks {
		if t.Step == c.in.Current && t.Round == c.in.Round && liveTask(t) {
			out = append(out, t)
		}
	}
	return out
}

func (c *change) touch(t *Task) { c.dirty[t.ID] = true }

func (c *change) addTask(approver, after, addedBy tack.ID, status string) *Task {
	t := &Task{ID: tack.NewID(), InstanceID: c.in.ID, OrgID: c.in.OrgID, Step: c.in.Current, Round: c.in.Round,
		ApproverID: approver, Status: status, After: after, AddedBy: addedBy, CreatedAt: c.now}
	c.tasks = append(c.tasks, t)
	c.touch(t)
	return t
}

func (c *change) act(kind string, actor tack.ID, targets []tack.ID, comment string) *Action {
	c.acts = append(c.acts, Action{ID: tack.NewID(), InstanceID: c.in.ID, OrgID: c.in.OrgID, ActorID: actor, Kind: kind,
		Step: c.in.Current, Targets: targets, Comment: comment, At: c.now})
	return &c.acts[len(c.acts)-1]
}

// decide marks t with a decision.
func (c *change) decide(t *Task, status, comment string) {
	t.Status, t.Comment = status, comment
	at := c.now
	t.ActedAt = &at
	c.touch(t)
}

// unlock makes the waiting tasks that waited for t pending.
func (c *change) unlock(t *Task) {
	for _, x := range c.current() {
		if x.After == t.ID && x.Status == TaskWaiting {
			x.Status = TaskPending
			c.touch(x)
		}
	}
}

// stepDone reports whether the running step is decided: in 或签 one chain
// of tasks (a task and those added after it) ends approved; in 会签 and
// 依次 all chains do.
func (c *change) stepDone() bool {
	cur := c.current()
	if len(cur) == 0 {
		return true
	}
	next := map[tack.ID]bool{}
	for _, t := range cur {
		if t.After != "" {
			next[t.After] = true
		}
	}
	var ends []*Task
	for _, t := range cur {
		if !next[t.ID] {
			ends = append(ends, t)
		}
	}
	approved := 0
	for _, t := range ends {
		if t.Status == TaskApproved {
			approved++
		}
	}
	if c.in.Steps[c.in.Current].Mode == ModeAny {
		return approved > 0
	}
	return approved == len(ends)
}

// closeStep ends the running step: its open tasks are cancelled.
func (c *change) closeStep(status string) {
	for _, t := range c.current() {
		if t.Status == TaskPending || t.Status == TaskWaiting {
			t.Status = TaskCancelled
			c.touch(t)
		}
	}
	c.in.Steps[c.in.Current].Status = status
}

// end finishes the instance with status.
func (c *change) end(status string) {
	for _, t := range c.tasks {
		if t.Status == TaskPending || t.Status == TaskWaiting {
			t.Status = TaskCancelled
			c.touch(t)
		}
	}
	c.in.Status = status
	c.in.Current = len(c.in.Steps)
	at := c.now
	c.in.EndedAt = &at
}

// approvedBefore returns who approved the nearest approver step before
// the running one (for dedup).
func (c *change) approvedBefore() []tack.ID {
	k := c.in.Current - 1
	for k >= 0 && c.in.Steps[k].Type != NodeApprover {
		k--
	}
	if k < 0 || c.in.Steps[k].Status != StepApproved {
		return nil
	}
	round := -1
	for _, t := range c.tasks {
		if t.Step == k && t.Round > round {
			round = t.Round
		}
	}
	var out []tack.ID
	for _, t := range c.tasks {
		if t.Step == k && t.Round == round && t.Status == TaskApproved && t.Auto == "" {
			out = append(out, t.ApproverID)
		}
	}
	return out
}

// activate runs the flow from the running step on: CC steps tell their
// people and pass, steps with nobody pass by themselves, the first step
// that needs people gets its tasks (and, with dedup, tasks of those who
// approved the step just before pass by themselves). With no step left
// the instance is approved.
func (c *change) activate() {
	for c.in.Current < len(c.in.Steps) {
		st := &c.in.Steps[c.in.Current]
		if st.Type == NodeCC {
			var added []tack.ID
			for _, u := range st.Approvers {
				if !slices.Contains(c.in.CC, u) && u != c.in.OriginatorID {
					c.in.CC = append(c.in.CC, u)
					c.ccNew = append(c.ccNew, u)
					added = append(added, u)
				}
			}
			st.Status = StepDone
			if len(added) > 0 {
				c.act(ActCC, "", added, "")
			}
			c.in.Current++
			continue
		}
		if st.Status == StepWaiting {
			if len(st.Approvers) == 0 {
				st.Status, st.Auto = StepApproved, "nobody"
				c.act(ActAutoApprove, "", nil, "nobody")
				c.in.Current++
				continue
			}
			c.in.Round++
			st.Status, st.Auto = StepRunning, ""
			var prev tack.ID
			for i, u := range st.Approvers {
				status := TaskPending
				var after tack.ID
				if st.Mode == ModeSequential && i > 0 {
					status, after = TaskWaiting, prev
				}
				prev = c.addTask(u, after, "", status).ID
			}
			if c.dedup {
				c.autoApprove(c.approvedBefore())
			}
		}
		if !c.stepDone() {
			c.refresh()
			return
		}
		c.closeStep(StepApproved)
		if slices.ContainsFunc(c.current(), func(t *Task) bool { return t.Status == TaskApproved && t.Auto == "dedup" }) &&
			!slices.ContainsFunc(c.current(), func(t *Task) bool { return t.Status == TaskApproved && t.Auto == "" }) {
			st.Auto = "dedup"
		}
		c.in.Current++
	}
	c.end(Approved)
	c.refresh()
}

// autoApprove approves the pending tasks of people who approved the step
// just before, repeatedly (a sequential step unlocks the next).
func (c *change) autoApprove(who []tack.ID) {
	if len(who) == 0 {
		return
	}
	for again := true; again; {
		again = false
		for _, t := range c.current() {
			if t.Status == TaskPending && slices.Contains(who, t.ApproverID) {
				c.decide(t, TaskApproved, "")
				t.Auto = "dedup"
				c.act(ActAutoApprove, "", []tack.ID{t.ApproverID}, "dedup")
				c.unlock(t)
				again = true
			}
		}
	}
}

// refresh recomputes the instance's current approvers.
func (c *change) refresh() {
	c.in.Pending = []tack.ID{}
	if c.in.Status != Running {
		return
	}
	for _, t := range c.current() {
		if t.Status == TaskPending && !slices.Contains(c.in.Pending, t.ApproverID) {
			c.in.Pending = append(c.in.Pending, t.ApproverID)
		}
	}
}

// approve: t (pending, the actor's) approves; the step and the flow go on.
func (c *change) approve(t *Task, comment string) {
	c.decide(t, TaskApproved, comment)
	c.act(ActApprove, t.ApproverID, nil, comment)
	c.unlock(t)
	if !c.stepDone() {
		c.refresh()
		return
	}
	c.closeStep(StepApproved)
	c.in.Current++
	c.activate()
}

// reject: t rejects; the instance is rejected.
func (c *change) reject(t *Task, comment string) {
	c.decide(t, TaskRejected, comment)
	c.act(ActReject, t.ApproverID, nil, comment)
	c.closeStep(StepRejected)
	for i := c.in.Current + 1; i < len(c.in.Steps); i++ {
		c.in.Steps[i].Status = StepSkipped
	}
	c.end(Rejected)
	c.refresh()
}

// transfer hands t to someone else.
func (c *change) transfer(t *Task, to tack.ID, comment string) {
	c.decide(t, TaskTransferred, comment)
	n := c.addTask(to, t.After, t.ApproverID, TaskPending)
	for _, x := range c.current() {
		if x.After == t.ID && x != n {
			x.After = n.ID
			c.touch(x)
		}
	}
	c.act(ActTransfer, t.ApproverID, []tack.ID{to}, comment)
	c.refresh()
}

// addBefore asks who first: t waits until they approve.
func (c *change) addBefore(t *Task, who tack.ID, comment string) {
	n := c.addTask(who, t.After, t.ApproverID, TaskPending)
	t.After, t.Status = n.ID, TaskWaiting
	c.touch(t)
	c.act(ActAddBefore, t.ApproverID, []tack.ID{who}, comment)
	c.refresh()
}

// addAfter approves t and asks who next, before the step can pass.
func (c *change) addAfter(t *Task, who tack.ID, comment string) {
	c.decide(t, TaskApproved, comment)
	n := c.addTask(who, t.ID, t.ApproverID, TaskPending)
	for _, x := range c.current() {
		if x.After == t.ID && x != n {
			x.After = n.ID
			c.touch(x)
		}
	}
	c.act(ActAddAfter, t.ApproverID, []tack.ID{who}, comment)
	c.refresh()
}

// sendBack returns the request from t's step to the earlier step to,
// which runs again with fresh tasks.
func (c *change) sendBack(t *Task, to int, comment string) {
	c.decide(t, TaskReturned, comment)
	from := c.in.Current
	c.closeStep(StepWaiting)
	c.act(ActReturn, t.ApproverID, nil, comment).Step = from
	for i := to; i <= from; i++ {
		c.in.Steps[i].Status, c.in.Steps[i].Auto = StepWaiting, ""
	}
	c.in.Current = to
	c.activate()
}

// withdraw: the originator calls the request off while it runs.
func (c *change) withdraw(actor tack.ID, comment string) {
	c.act(ActWithdraw, actor, nil, comment)
	if c.in.Current < len(c.in.Steps) {
		c.closeStep(StepSkipped)
	}
	for i := c.in.Current + 1; i < len(c.in.Steps); i++ {
		c.in.Steps[i].Status = StepSkipped
	}
	c.end(Withdrawn)
	c.refresh()
}

// newlyPending are the tasks that became pending in this change.
func (c *change) newlyPending() []*Task {
	var out []*Task
	for _, t := range c.tasks {
		if c.dirty[t.ID] && t.Status == TaskPending && !c.wasPending[t.ID] {
			out = append(out, t)
		}
	}
	return out
}

// written returns the tasks to write.
func (c *change) written() []Task {
	var out []Task
	for _, t := range c.tasks {
		if c.dirty[t.ID] {
			out = append(out, *t)
		}
	}
	return out
}

package approval

import (
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// run drives an instance through the engine: steps of approvers (names,
// by mode) and a script of actions; it returns a trace of what became of
// it, for table tests.
type engineRun struct {
	t     *testing.T
	in    *Instance
	tasks []Task
	dedup bool
	now   time.Time
	ccNew []tack.ID
}

func newRun(t *testing.T, dedup bool, steps ...Step) *engineRun {
	r := &engineRun{t: t, dedup: dedup, now: time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC),
		in: &Instance{ID: id("inst"), OrgID: id("org"), OriginatorID: uid("rita"), Status: Running, Steps: steps}}
	r.change(func(c *change) { c.activate() })
	return r
}

func step(mode string, who ...string) Step {
	s := Step{Node: "n", Type: NodeApprover, Mode: mode, Status: StepWaiting}
	for _, w := range who {
		s.Approvers = append(s.Approvers, uid(w))
	}
	return s
}

func ccStep(who ...string) Step {
	s := step("", who...)
	s.Type = NodeCC
	return s
}

func (r *engineRun) change(fn func(c *change)) {
	r.now = r.now.Add(time.Minute)
	c := newChange(r.in, r.tasks, r.dedup, r.now)
	fn(c)
	// What a store would hold now.
	byID := map[tack.ID]int{}
	for i, t := range r.tasks {
		byID[t.ID] = i
	}
	for _, t := range c.written() {
		if i, ok := byID[t.ID]; ok {
			r.tasks[i] = t
		} else {
			r.tasks = append(r.tasks, t)
		}
	}
	r.ccNew = append(r.ccNew, c.ccNew...)
}

// task returns who's pending task, failing if there is none.
func (r *engineRun) mine(who string) func(c *change) *Task {
	return func(c *change) *Task {
		for _, t := range c.current() {
			if t.ApproverID == uid(who) && t.Status == TaskPending {
				return t
			}
		}
		r.t.Fatalf("%s has no pending task (pending: %s)", who, names(r.in.Pending))
		return nil
	}
}

func (r *engineRun) do(who, action string, other ...string) {
	r.t.Helper()
	r.change(func(c *change) {
		t := r.mine(who)(c)
		switch action {
		case "approve":
			c.approve(t, "")
		case "reject":
			c.reject(t, "")
		case "transfer":
			c.transfer(t, uid(other[0]), "")
		case "before":
			c.addBefore(t, uid(other[0]), "")
		case "after":
			c.addAfter(t, uid(other[0]), "")
		case "return":
			c.sendBack(t, 0, "")
		}
	})
}

// state is "status step pending" such as "running 1 dora,vic".
func (r *engineRun) state() string {
	return strings.TrimSpace(r.in.Status + " " + string(rune('0'+r.in.Current)) + " " + names(r.in.Pending))
}

func (r *engineRun) want(s string) {
	r.t.Helper()
	if got := r.state(); got != s {
		r.t.Fatalf("state %q, want %q", got, s)
	}
}

func TestEngineModes(t *testing.T) {
	t.Run("sequential", func(t *testing.T) {
		r := newRun(t, false, step(ModeSequential, "dora", "vic"))
		r.want("running 0 dora")
		r.do("dora", "approve")
		r.want("running 0 vic")
		r.do("vic", "approve")
		r.want("approved 1")
	})
	t.Run("all must agree", func(t *testing.T) {
		r := newRun(t, false, step(ModeAll, "dora", "vic"), step(ModeAny, "boss"))
		r.want("running 0 dora,vic")
		r.do("vic", "approve")
		r.want("running 0 dora")
		r.do("dora", "approve")
		r.want("running 1 boss")
	})
	t.Run("all: one rejects", func(t *testing.T) {
		r := newRun(t, false, step(ModeAll, "dora", "vic"), step(ModeAny, "boss"))
		r.do("vic", "reject")
		r.want("rejected 2")
		for _, tk := range r.tasks {
			if tk.ApproverID == uid("dora") && tk.Status != TaskCancelled {
				t.Errorf("dora's task is %s", tk.Status)
			}
		}
		if r.in.Steps[1].Status != StepSkipped {
			t.Errorf("the next step is %s", r.in.Steps[1].Status)
		}
	})
	t.Run("any one decides", func(t *testing.T) {
		r := newRun(t, false, step(ModeAny, "dora", "vic"))
		r.do("dora", "approve")
		r.want("approved 1")
		n := 0
		for _, tk := range r.tasks {
			if tk.Status == TaskCancelled {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d tasks cancelled, want vic's", n)
		}
	})
	t.Run("transfer", func(t *testing.T) {
		r := newRun(t, false, step(ModeSequential, "dora", "vic"))
		r.do("dora", "transfer", "sam")
		r.want("running 0 sam")
		r.do("sam", "approve")
		r.want("running 0 vic") // the order goes on after the transfer
		r.do("vic", "approve")
		r.want("approved 1")
	})
	t.Run("add before", func(t *testing.T) {
		r := newRun(t, false, step(ModeAny, "dora"))
		r.do("dora", "before", "sam")
		r.want("running 0 sam")
		r.do("sam", "approve")
		r.want("running 0 dora")
		r.do("dora", "approve")
		r.want("approved 1")
	})
	t.Run("add after in 或签", func(t *testing.T) {
		r := newRun(t, false, step(ModeAny, "dora", "vic"))
		r.do("dora", "after", "sam")
		r.want("running 0 vic,sam") // dora's chain now ends with sam
		r.do("sam", "approve")
		r.want("approved 1")
	})
	t.Run("return to an earlier step", func(t *testing.T) {
		r := newRun(t, false, step(ModeAny, "dora"), step(ModeAny, "vic"))
		r.do("dora", "approve")
		r.want("running 1 vic")
		r.do("vic", "return")
		r.want("running 0 dora")
		r.do("dora", "approve")
		r.want("running 1 vic")
		r.do("vic", "approve")
		r.want("approved 2")
	})
	t.Run("dedup: the same approver twice in a row", func(t *testing.T) {
		r := newRun(t, true, step(ModeAny, "dora"), ccStep("eve"), step(ModeSequential, "dora", "vic"))
		r.do("dora", "approve")
		r.want("running 2 vic")
		if r.in.Steps[1].Status != StepDone || len(r.ccNew) != 1 || r.ccNew[0] != uid("eve") {
			t.Errorf("cc step %s, cc'd %v", r.in.Steps[1].Status, r.ccNew)
		}
		auto := 0
		for _, tk := range r.tasks {
			if tk.Auto == "dedup" {
				auto++
			}
		}
		if auto != 1 {
			t.Errorf("%d tasks approved by themselves, want 1", auto)
		}
	})
	t.Run("no dedup", func(t *testing.T) {
		r := newRun(t, false, step(ModeAny, "dora"), step(ModeAny, "dora"))
		r.do("dora", "approve")
		r.want("running 1 dora")
	})
	t.Run("nobody: passes", func(t *testing.T) {
		r := newRun(t, false, step(ModeAny), step(ModeAny, "vic"))
		r.want("running 1 vic")
		if r.in.Steps[0].Auto != "nobody" {
			t.Errorf("step 0 = %+v", r.in.Steps[0])
		}
	})
	t.Run("withdraw", func(t *testing.T) {
		r := newRun(t, false, step(ModeAll, "dora", "vic"))
		r.change(func(c *change) { c.withdraw(uid("rita"), "") })
		r.want("withdrawn 1")
		for _, tk := range r.tasks {
			if tk.Status != TaskCancelled {
				t.Errorf("task of %s is %s", nameOf[tk.ApproverID], tk.Status)
			}
		}
	})
}

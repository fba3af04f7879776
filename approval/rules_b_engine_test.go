package approval

import (
	"testing"
	"time"
)

// TestCCActions: a CC step records whom it told, and records nothing when
// it tells nobody new (the originator is never CC'd).
func TestCCActions(t *testing.T) {
	for _, c := range []struct {
		name string
		cc   []string
		want string // names of the cc action's targets; "-" = no cc action
	}{
		{"people", []string{"eve", "rita", "vic"}, "eve,vic"},
		{"only the originator", []string{"rita"}, "-"},
		{"nobody", nil, "-"},
	} {
		in := &Instance{ID: id("inst"), OrgID: id("org"), OriginatorID: uid("rita"), Status: Running,
			Steps: []Step{ccStep(c.cc...), step(ModeAny, "dora")}}
		ch := newChange(in, nil, false, time.Now())
		ch.activate()
		got := "-"
		for _, a := range ch.acts {
			if a.Kind == ActCC {
				if got != "-" {
					t.Errorf("%s: two cc actions", c.name)
				}
				got = names(a.Targets)
			}
		}
		if got != c.want {
			t.Errorf("%s: cc action to %q, want %q", c.name, got, c.want)
		}
	}
}

// TestAddAfterInSequence: someone added after a task of a sequential step
// comes before the rest of the sequence, which goes on after them.
func TestAddAfterInSequence(t *testing.T) {
	r := newRun(t, false, step(ModeSequential, "dora", "vic"))
	r.do("dora", "after", "sam")
	r.want("running 0 sam")
	r.do("sam", "approve")
	r.want("running 0 vic")
	r.do("vic", "approve")
	r.want("approved 1")
}

// TestWithdrawSkipsTheRest: withdrawn, the running step and every step
// after it are skipped; the steps before it keep their outcome.
func TestWithdrawSkipsTheRest(t *testing.T) {
	r := newRun(t, false, step(ModeAny, "dora"), step(ModeAny, "vic"), ccStep("eve"), step(ModeAny, "sam"))
	r.do("dora", "approve")
	r.want("running 1 vic")
	r.change(func(c *change) { c.withdraw(uid("rita"), "") })
	r.want("withdrawn 4")
	want := []string{StepApproved, StepSkipped, StepSkipped, StepSkipped}
	for i, st := range r.in.Steps {
		if st.Status != want[i] {
			t.Errorf("step %d is %s, want %s", i, st.Status, want[i])
		}
	}
}

// TestDedupLooksAtTheLatestRound: after a return, dedup counts who
// approved the earlier step the last time it ran, not the first time.
func TestDedupLooksAtTheLatestRound(t *testing.T) {
	t.Run("approved this time", func(t *testing.T) {
		r := newRun(t, true, step(ModeAny, "dora", "vic"), step(ModeAny, "vic"))
		r.do("dora", "approve")
		r.want("running 1 vic")
		r.do("vic", "return")
		r.want("running 0 dora,vic")
		r.do("vic", "approve")
		r.want("approved 2") // vic just approved step 0: step 1 passes
	})
	t.Run("rounds count up", func(t *testing.T) {
		r := newRun(t, false, step(ModeAny, "dora"), step(ModeAny, "vic"))
		r.do("dora", "approve")
		r.do("vic", "return")
		if r.in.Round != 3 {
			t.Errorf("round %d after three runs of steps, want 3", r.in.Round)
		}
		for _, tk := range r.tasks {
			if tk.Round < 1 {
				t.Errorf("a task of round %d", tk.Round)
			}
		}
	})
}

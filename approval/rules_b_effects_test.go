package approval

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/leave"
)

// TestDecisionEffects: what a decision does besides the instance. An
// approved request of leave takes the leave from the balance, marks the
// person away and covers their attendance; a trip marks them away and
// covers; an outing covers; approved overtime with comp time credits it.
// A rejected request does none of it. Cancelling an approved request
// undoes it: leave back, comp time taken back, no longer away, covers
// lifted for leave, trips and outings.
func TestDecisionEffects(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	span := &Span{Start: now.Add(24 * time.Hour), End: now.Add(48 * time.Hour)}
	for _, c := range []struct {
		name     string
		kind     string
		from, to string
		leave    bool // with a leave (or overtime) amount
		span     bool
		want     string // balance calls | away | jobs (kind/cover kind)
	}{
		{"leave approved", KindLeave, Running, Approved, true, true, "deduct annual | away leave | cover/leave"},
		{"leave rejected", KindLeave, Running, Rejected, true, true, " |  | "},
		{"leave withdrawn", KindLeave, Running, Withdrawn, true, true, " |  | "},
		{"trip approved", KindTrip, Running, Approved, false, true, " | away trip | cover/trip"},
		{"trip rejected", KindTrip, Running, Rejected, false, true, " |  | "},
		{"outing approved", KindOuting, Running, Approved, false, true, " |  | cover/outing"},
		{"outing without a span", KindOuting, Running, Approved, false, false, " |  | "},
		{"overtime approved", KindOvertime, Running, Approved, true, false, "credit " + leave.CompTime + " |  | "},
		{"overtime rejected", KindOvertime, Running, Rejected, true, false, " |  | "},
		{"general approved", KindCustom, Running, Approved, false, true, " |  | "},
		{"leave cancelled", KindLeave, Approved, Cancelled, true, true, "restore annual | removed | uncover"},
		{"trip cancelled", KindTrip, Approved, Cancelled, false, true, " | removed | uncover"},
		{"outing cancelled", KindOuting, Approved, Cancelled, false, true, " | removed | uncover"},
		{"overtime cancelled", KindOvertime, Approved, Cancelled, true, false, "deduct " + leave.CompTime + " | removed | "},
		{"general cancelled", KindCustom, Approved, Cancelled, false, true, " | removed | "},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, st, _ := rbService(now)
			lv := &rbLeave{}
			s.leave = lv
			st.templates[KindOvertime] = Template{Key: KindOvertime, Kind: KindOvertime, CompTime: true, Version: 1}
			in := &Instance{ID: id("inst"), OrgID: id("org"), OriginatorID: uid("rita"), Kind: c.kind, Template: c.kind,
				TemplateVersion: 1, Status: c.from, Title: "t", TemplateName: "n"}
			if c.leave {
				lt := "annual"
				if c.kind == KindOvertime {
					lt = ""
				}
				in.Leave = &LeaveInfo{Type: lt, Amount: leave.Days(1)}
			}
			if c.span {
				in.Span = span
			}
			ch := newChange(in, nil, false, now)
			in.Status = c.to
			ch.act(ActApprove, uid("dora"), nil, "")
			var b Batch
			post, err := s.prepare(ctx, ch, uid("dora"), &b)
			if err != nil {
				t.Fatal(err)
			}
			var away []string
			for _, a := range b.Away {
				away = append(away, "away "+a.Kind)
			}
			if len(b.AwayRemove) > 0 {
				away = append(away, "removed")
			}
			var jobs []string
			for _, j := range b.Jobs {
				x := j.Kind
				if j.Kind == JobCover {
					var cb coverBody
					_ = json.Unmarshal(j.Body, &cb)
					x += "/" + cb.Kind
				}
				jobs = append(jobs, x)
			}
			got := strings.Join(lv.calls, ",") + " | " + strings.Join(away, ",") + " | " + strings.Join(jobs, ",")
			if got != c.want {
				t.Errorf("effects %q, want %q", got, c.want)
			}
			if len(post.jobs) != len(b.Jobs) {
				t.Errorf("%d jobs to run after the commit, %d written", len(post.jobs), len(b.Jobs))
			}
		})
	}
}

// TestNoticesGoOutByChatOrPush: a decision's notices become a notify job
// when the bot can message or pushes can go out (either is enough), and
// none when neither can.
func TestNoticesGoOutByChatOrPush(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name       string
		chats, psh bool
		want       bool
	}{
		{"chats and push", true, true, true},
		{"chats only", true, false, true},
		{"push only", false, true, true},
		{"neither", false, false, false},
	} {
		s, _, _ := rbService(now)
		if c.chats {
			s.chats = &rbChats{}
		}
		if c.psh {
			s.push = rbPush{}
		}
		in := &Instance{ID: id("inst"), OrgID: id("org"), OriginatorID: uid("rita"), Kind: KindCustom, Status: Running, Title: "t", TemplateName: "n"}
		ch := newChange(in, nil, false, now)
		in.Status = Approved
		ch.act(ActApprove, uid("dora"), nil, "")
		var b Batch
		if _, err := s.prepare(ctx, ch, uid("dora"), &b); err != nil {
			t.Fatal(err)
		}
		got := false
		for _, j := range b.Jobs {
			if j.Kind == JobNotify {
				got = true
			}
		}
		if got != c.want {
			t.Errorf("%s: notify job %v, want %v", c.name, got, c.want)
		}
	}
}

// TestNothingToTellNoNotifyJob: a change that tells nobody anything (a
// comment without mentions) queues no notify job.
func TestNothingToTellNoNotifyJob(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	s, _, _ := rbService(now)
	s.chats, s.push = &rbChats{}, rbPush{}
	in := &Instance{ID: id("inst"), OrgID: id("org"), OriginatorID: uid("rita"), Kind: KindCustom, Status: Running,
		Steps: []Step{step(ModeAny, "dora")}}
	tasks := func() []Task {
		ch := newChange(in, nil, false, now)
		ch.activate()
		return ch.written()
	}()
	ch := newChange(in, tasks, false, now.Add(time.Minute))
	ch.act(ActComment, uid("vic"), nil, "hm")
	var b Batch
	if _, err := s.prepare(ctx, ch, uid("vic"), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Jobs) != 0 {
		t.Errorf("jobs %+v, want none", b.Jobs)
	}
}

// TestLiveActionIsTheActors: the live event names what the actor did,
// even when the flow went on by itself after it (a CC step, an automatic
// approval); with no actor it names the last thing that happened.
func TestLiveActionIsTheActors(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name  string
		actor tack.ID
		want  string
	}{
		{"the approver", uid("dora"), ActApprove},
		{"nobody", "", ActCC},
	} {
		s, _, _ := rbService(now)
		in := &Instance{ID: id("inst"), OrgID: id("org"), OriginatorID: uid("rita"), Kind: KindCustom, Status: Running,
			Steps: []Step{step(ModeAny, "dora"), ccStep("eve"), step(ModeAny, "vic")}}
		ch := newChange(in, nil, false, now)
		ch.activate()
		ch.approve(ch.current()[0], "")
		ch.act(ActComment, uid("vic"), nil, "")
		ch.act(ActCC, "", nil, "")
		var b Batch
		post, err := s.prepare(ctx, ch, c.actor, &b)
		if err != nil {
			t.Fatal(err)
		}
		if post.action != c.want {
			t.Errorf("%s: action %q, want %q", c.name, post.action, c.want)
		}
	}
}

// TestJobRetries: a job that fails inside is tried again later, up to
// maxJobAttempts attempts in all; one that succeeds, or fails for a reason
// another try cannot mend, is done with. A job given up is logged, as is a
// job that cannot be finished; a job done is not.
func TestJobRetries(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	internal := errors.New("disk on fire")
	for _, c := range []struct {
		name      string
		err       error
		attempts  int
		finishErr error
		want      string // retry | finished
		log       string // "" = nothing logged
	}{
		{"done", nil, 0, nil, "finished", ""},
		{"an inside failure", internal, 0, nil, "retry", "will retry"},
		{"the last but one attempt fails", internal, maxJobAttempts - 2, nil, "retry", "will retry"},
		{"the last attempt fails", internal, maxJobAttempts - 1, nil, "finished", "given up"},
		{"gone: nothing to lift", tack.ErrNotFound, 0, nil, "finished", ""},
		{"refused", tack.Errorf(tack.EConflict, "no"), 0, nil, "finished", "given up"},
		{"done but not finished", nil, 0, internal, "finished", "approval job finish"},
	} {
		s, st, lb := rbService(now)
		st.finishErr = c.finishErr
		s.att = &rbAtt{uncoverErr: c.err}
		j := Job{ID: id("job"), OrgID: id("org"), InstanceID: id("inst"), Kind: JobUncover, Attempts: c.attempts}
		s.run(ctx, j)
		got := ""
		if due, ok := st.retried[j.ID]; ok {
			got = "retry"
			if !due.Equal(now.Add(jobRetry)) {
				t.Errorf("%s: retried at %v, want %v", c.name, due, now.Add(jobRetry))
			}
		}
		if len(st.finished) > 0 {
			got += "finished"
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
		logged := lb.String()
		if c.log == "" && logged != "" || c.log != "" && !strings.Contains(logged, c.log) {
			t.Errorf("%s: logged %q, want %q", c.name, logged, c.log)
		}
	}
}

// TestJobsRun: RunJobs runs every due job however many there are, claiming
// them a hundred at a time; a job handed over after a commit runs at once,
// except notices, which go to the worker; a job already claimed elsewhere
// does not run.
func TestJobsRun(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	for _, n := range []int{99, 100, 150, 200} {
		s, st, _ := rbService(now)
		att := &rbAtt{}
		s.att = att
		for i := 0; i < n; i++ {
			st.jobs = append(st.jobs, Job{ID: tack.NewID(), OrgID: id("org"), InstanceID: id("inst"), Kind: JobUncover})
		}
		if err := s.RunJobs(ctx); err != nil {
			t.Fatal(err)
		}
		if len(att.calls) != n || len(st.finished) != n || len(st.jobs) != 0 {
			t.Errorf("%d jobs: %d run, %d finished, %d left", n, len(att.calls), len(st.finished), len(st.jobs))
		}
		if want := n/100 + 1; st.claims != want {
			t.Errorf("%d jobs: %d claims, want %d", n, st.claims, want)
		}
	}

	s, st, _ := rbService(now)
	att := &rbAtt{}
	s.att = att
	s.jobs = make(chan tack.ID, 4)
	cover := Job{ID: id("jcover"), OrgID: id("org"), InstanceID: id("inst"), Kind: JobCover, Body: json.RawMessage(`{"user_id":"` + string(uid("rita")) + `","kind":"trip"}`)}
	notify := Job{ID: id("jnotify"), OrgID: id("org"), InstanceID: id("inst"), Kind: JobNotify, Body: json.RawMessage(`[]`)}
	st.jobs = []Job{cover, notify}
	s.after(ctx, committed{orgID: id("org"), jobs: []Job{cover, notify}})
	if strings.Join(att.calls, ",") != "cover trip" || len(st.finished) != 1 || st.finished[0] != cover.ID {
		t.Errorf("after a commit: ran %v, finished %v; want the cover run and finished", att.calls, st.finished)
	}
	if len(s.jobs) != 1 || <-s.jobs != notify.ID {
		t.Errorf("the notify job was not handed to the worker")
	}
	// Claimed elsewhere meanwhile: not run.
	s.runOne(ctx, cover.ID)
	if len(att.calls) != 1 || len(st.finished) != 1 {
		t.Errorf("a job claimed elsewhere ran: %v %v", att.calls, st.finished)
	}
}

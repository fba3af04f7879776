package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/leave"
)

// TestApprovalStore checks approval.Store. open returns an empty store
// with its leave store (the same database): approval batches write leave
// balances in their transaction. Decisions where the interface comments
// are silent:
//
//   - An instance inserted has Rev 1, and every update adds one.
//   - A failed batch (a stale revision, a used action key, a balance
//     conflict) writes nothing of itself.
//   - Box entries with the same time order by instance ID, descending.
func TestApprovalStore(t *testing.T, open func(t *testing.T) (approval.Store, leave.Store)) {
	ctx := context.Background()
	t.Run("Templates", func(t *testing.T) {
		s, _ := open(t)
		org := tack.NewID()
		_, err := s.Template(ctx, org, "leave", 0)
		wantNotFound(t, "no template", err)
		tpl := approval.Template{ID: tack.NewID(), OrgID: org, Key: "leave", Kind: approval.KindLeave, Name: "请假", Version: 2, UpdatedAt: now().UTC(),
			Fields: []approval.Field{{Key: "reason", Type: approval.FieldText, Label: "Reason"}}}
		must(t, "first", s.Apply(ctx, approval.Batch{Template: &approval.TemplateWrite{Template: tpl}}))
		wantCode(t, "first twice", s.Apply(ctx, approval.Batch{Template: &approval.TemplateWrite{Template: tpl}}), tack.EConflict)
		tpl2 := tpl
		tpl2.Version, tpl2.Name = 3, "请假 v3"
		wantCode(t, "stale", s.Apply(ctx, approval.Batch{Template: &approval.TemplateWrite{Template: tpl2, PrevVersion: 1}}), tack.EConflict)
		must(t, "next", s.Apply(ctx, approval.Batch{Template: &approval.TemplateWrite{Template: tpl2, PrevVersion: 2}}))
		cur, err := s.Template(ctx, org, "leave", 0)
		must(t, "current", err)
		old, err := s.Template(ctx, org, "leave", 2)
		must(t, "version 2", err)
		if cur.Version != 3 || cur.Name != "请假 v3" || old.Name != "请假" || len(old.Fields) != 1 {
			t.Errorf("current %+v, old %+v", cur, old)
		}
		ts, err := s.Templates(ctx, org)
		must(t, "templates", err)
		if len(ts) != 1 || ts[0].Version != 3 {
			t.Errorf("templates = %+v", ts)
		}
	})
	t.Run("Instances", func(t *testing.T) {
		s, ls := open(t)
		org, orig, appr := tack.NewID(), tack.NewID(), tack.NewID()
		at := now().UTC()
		in := approval.Instance{ID: tack.NewID(), OrgID: org, Template: "leave", Kind: approval.KindLeave, OriginatorID: orig, Status: approval.Running,
			Form: json.RawMessage(`{"reason":"rest"}`), Steps: []approval.Step{{Node: "m", Type: approval.NodeApprover, Mode: approval.ModeAny,
				Approvers: []tack.ID{appr}, Status: approval.StepRunning}}, Pending: []tack.ID{appr},
			Leave: &approval.LeaveInfo{Type: "annual", Amount: 150}, CreatedAt: at, UpdatedAt: at}
		task := approval.Task{ID: tack.NewID(), InstanceID: in.ID, OrgID: org, ApproverID: appr, Status: approval.TaskPending, CreatedAt: at}
		act := approval.Action{ID: tack.NewID(), InstanceID: in.ID, OrgID: org, ActorID: orig, Kind: approval.ActSubmit, At: at}
		must(t, "insert", s.Apply(ctx, approval.Batch{Instance: &approval.InstanceWrite{Instance: in}, Tasks: []approval.Task{task}, Actions: []approval.Action{act}}))
		got, err := s.Instance(ctx, org, in.ID)
		must(t, "instance", err)
		if got.Rev != 1 || got.Status != approval.Running || string(got.Form) != `{"reason":"rest"}` || len(got.Steps) != 1 || got.Leave.Amount != 150 {
			t.Errorf("instance = %+v", got)
		}
		sameTime(t, "created_at", got.CreatedAt, at)
		_, err = s.Instance(ctx, tack.NewID(), in.ID)
		wantNotFound(t, "instance of another organisation", err)
		if n, _ := s.PendingLeave(ctx, org, orig, "annual"); n != 150 {
			t.Errorf("pending leave = %v", n)
		}
		if n, _ := s.PendingLeave(ctx, org, orig, "sick"); n != 0 {
			t.Errorf("pending sick leave = %v", n)
		}

		// Two writers from revision 1: one wins; the loser writes nothing,
		// not its task, its action or its balance.
		bal := leave.Balance{OrgID: org, UserID: orig, LeaveType: "annual", Balance: 500, UpdatedAt: at}
		must(t, "balance", ls.ApplyLeave(ctx, leave.Batch{Writes: []leave.Write{{Balance: bal}}}))
		decide := func(status string) approval.Batch {
			in2 := in
			in2.Status = status
			t2 := task
			t2.Status = status
			bal2 := bal
			bal2.Balance = 350
			return approval.Batch{Instance: &approval.InstanceWrite{Instance: in2, PrevRev: 1}, Tasks: []approval.Task{t2},
				Actions: []approval.Action{{ID: tack.NewID(), InstanceID: in.ID, OrgID: org, ActorID: appr, Kind: status, At: at}},
				Leave: []leave.Write{{Balance: bal2, PrevRev: 1, Lines: []leave.Line{{ID: tack.NewID(), OrgID: org, UserID: orig, LeaveType: "annual",
					Kind: leave.LineDeduct, Delta: -150, Balance: 350, Key: "deduct:" + string(in.ID), At: at}}}}}
		}
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = s.Apply(ctx, decide(approval.Approved)) }()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if tack.ErrorCode(err) != tack.EConflict {
				t.Errorf("a loser's error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d writers from one revision won", won)
		}
		got, _ = s.Instance(ctx, org, in.ID)
		tasks, err := s.Tasks(ctx, in.ID)
		must(t, "tasks", err)
		acts, err := s.Actions(ctx, in.ID)
		must(t, "actions", err)
		lines, _ := ls.Ledger(ctx, org, orig, "annual", "", 10)
		b, _ := ls.Balance(ctx, org, orig, "annual")
		if got.Rev != 2 || got.Status != approval.Approved || len(tasks) != 1 || tasks[0].Status != approval.Approved || len(acts) != 2 ||
			len(lines) != 1 || b.Balance != 350 {
			t.Errorf("after the race: rev %d status %s, %d tasks, %d actions, %d ledger lines, balance %v", got.Rev, got.Status, len(tasks), len(acts), len(lines), b.Balance)
		}
		if n, _ := s.PendingLeave(ctx, org, orig, "annual"); n != 0 {
			t.Errorf("pending leave of a decided request = %v", n)
		}
		// A batch whose balance write conflicts writes nothing.
		in3 := got
		in3.Status = approval.Cancelled
		err = s.Apply(ctx, approval.Batch{Instance: &approval.InstanceWrite{Instance: in3, PrevRev: 2},
			Leave: []leave.Write{{Balance: bal, PrevRev: 1}}})
		wantCode(t, "stale balance", err, tack.EConflict)
		if got, _ := s.Instance(ctx, org, in.ID); got.Rev != 2 || got.Status != approval.Approved {
			t.Errorf("instance after a failed batch: %+v", got)
		}
		// Action keys: once per actor and instance.
		keyed := approval.Action{ID: tack.NewID(), InstanceID: in.ID, OrgID: org, ActorID: orig, Kind: approval.ActComment, Key: "c1", At: at}
		must(t, "comment", s.Apply(ctx, approval.Batch{Actions: []approval.Action{keyed}}))
		keyed.ID = tack.NewID()
		wantCode(t, "comment again", s.Apply(ctx, approval.Batch{Actions: []approval.Action{keyed}}), tack.EConflict)
		keyed.ID, keyed.ActorID = tack.NewID(), appr
		must(t, "same key, another actor", s.Apply(ctx, approval.Batch{Actions: []approval.Action{keyed}}))
		acts, _ = s.Actions(ctx, in.ID)
		if len(acts) != 4 || acts[2].Key != "c1" || acts[2].InstanceID != in.ID {
			t.Errorf("actions = %+v", acts)
		}
		list, err := s.Instances(ctx, org, []tack.ID{in.ID, tack.NewID()})
		must(t, "instances", err)
		if len(list) != 1 || list[0].ID != in.ID {
			t.Errorf("instances = %+v", list)
		}
	})
	t.Run("Boxes", func(t *testing.T) {
		s, _ := open(t)
		org, other, user := tack.NewID(), tack.NewID(), tack.NewID()
		base := now().UTC()
		var ids []tack.ID
		var es []approval.Entry
		for i := 0; i < 5; i++ {
			id := tack.NewID()
			ids = append(ids, id)
			at := base.Add(time.Duration(i) * time.Second)
			if i == 4 {
				at = base.Add(3 * time.Second) // a tie with the fourth
			}
			es = append(es, approval.Entry{UserID: user, OrgID: org, Box: approval.BoxPending, InstanceID: id, At: at})
		}
		es = append(es, approval.Entry{UserID: user, OrgID: other, Box: approval.BoxPending, InstanceID: tack.NewID(), At: base},
			approval.Entry{UserID: user, OrgID: org, Box: approval.BoxDone, InstanceID: ids[0], At: base})
		must(t, "entries", s.Apply(ctx, approval.Batch{Inbox: es}))
		page, err := s.Box(ctx, user, org, approval.BoxPending, nil, 3)
		must(t, "box", err)
		want := []tack.ID{ids[4], ids[3], ids[2]}
		if !slices.Equal(entryIDs(page), want) {
			t.Fatalf("first page %v, want %v", entryIDs(page), want)
		}
		last := page[2]
		page, err = s.Box(ctx, user, org, approval.BoxPending, &approval.Cursor{At: last.At, InstanceID: last.InstanceID}, 3)
		must(t, "next page", err)
		if !slices.Equal(entryIDs(page), []tack.ID{ids[1], ids[0]}) {
			t.Errorf("second page %v", entryIDs(page))
		}
		// The tie: a cursor at the first of the two times brings the other.
		page, _ = s.Box(ctx, user, org, approval.BoxPending, &approval.Cursor{At: es[4].At, InstanceID: ids[4]}, 1)
		if !slices.Equal(entryIDs(page), []tack.ID{ids[3]}) {
			t.Errorf("after a tie: %v", entryIDs(page))
		}
		if n, _ := s.BoxCount(ctx, user, org, approval.BoxPending); n != 5 {
			t.Errorf("count = %d", n)
		}
		// Upserts move an entry; removals take it out.
		must(t, "move and remove", s.Apply(ctx, approval.Batch{
			Inbox:       []approval.Entry{{UserID: user, OrgID: org, Box: approval.BoxPending, InstanceID: ids[0], At: base.Add(time.Hour)}},
			InboxRemove: []approval.Entry{{UserID: user, OrgID: org, Box: approval.BoxPending, InstanceID: ids[2]}}}))
		page, _ = s.Box(ctx, user, org, approval.BoxPending, nil, 10)
		if !slices.Equal(entryIDs(page), []tack.ID{ids[0], ids[4], ids[3], ids[1]}) {
			t.Errorf("after move and remove: %v", entryIDs(page))
		}
		sameTime(t, "entry time", page[0].At, base.Add(time.Hour))
		if page, _ := s.Box(ctx, user, org, approval.BoxDone, nil, 10); len(page) != 1 {
			t.Errorf("done box = %v", page)
		}
	})
	t.Run("Away", func(t *testing.T) {
		s, _ := open(t)
		org, u1, u2 := tack.NewID(), tack.NewID(), tack.NewID()
		start := now().UTC()
		a := approval.Away{OrgID: org, UserID: u1, InstanceID: tack.NewID(), Kind: approval.KindLeave, LeaveType: "annual",
			Start: start, End: start.Add(24 * time.Hour), AutoReply: true, Handover: u2}
		b := approval.Away{OrgID: org, UserID: u2, InstanceID: tack.NewID(), Kind: approval.KindTrip, Start: start.Add(48 * time.Hour), End: start.Add(72 * time.Hour)}
		must(t, "away", s.Apply(ctx, approval.Batch{Away: []approval.Away{a, b}}))
		got, err := s.AwayAt(ctx, []tack.ID{u1, u2}, start.Add(time.Hour))
		must(t, "away at", err)
		if len(got) != 1 || got[0].UserID != u1 || !got[0].AutoReply || got[0].Handover != u2 || got[0].LeaveType != "annual" {
			t.Errorf("away = %+v", got)
		}
		sameTime(t, "away end", got[0].End, a.End)
		if got, _ := s.AwayAt(ctx, []tack.ID{u1}, a.End); len(got) != 0 {
			t.Errorf("away at its end: %v", got)
		}
		must(t, "remove", s.Apply(ctx, approval.Batch{AwayRemove: []tack.ID{a.InstanceID}}))
		if got, _ := s.AwayAt(ctx, []tack.ID{u1}, start); len(got) != 0 {
			t.Errorf("after removal: %v", got)
		}
	})
	t.Run("Jobs", func(t *testing.T) {
		s, _ := open(t)
		org := tack.NewID()
		base := now().UTC()
		var jobs []approval.Job
		for i := 0; i < 20; i++ {
			jobs = append(jobs, approval.Job{ID: tack.NewID(), OrgID: org, InstanceID: tack.NewID(), Kind: approval.JobNotify,
				Body: json.RawMessage(`[]`), DueAt: base.Add(time.Duration(i) * time.Second)})
		}
		must(t, "jobs", s.Apply(ctx, approval.Batch{Jobs: jobs}))
		// Four claimers at once take disjoint sets of the due jobs.
		at := base.Add(9 * time.Second)
		var mu sync.Mutex
		seen := map[tack.ID]int{}
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				js, err := s.ClaimJobs(ctx, at, at.Add(time.Minute), "node", 3)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, j := range js {
					seen[j.ID]++
				}
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(seen) != 10 {
			t.Errorf("claimed %d distinct due jobs, want 10", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("job %s claimed %d times", id, n)
			}
		}
		_, err := s.ClaimJob(ctx, jobs[0].ID, at, at.Add(time.Minute), "other")
		wantNotFound(t, "claim a leased job", err)
		j, err := s.ClaimJob(ctx, jobs[15].ID, at, at.Add(time.Minute), "other")
		must(t, "claim by ID before it is due", err)
		if j.Kind != approval.JobNotify || string(j.Body) != `[]` {
			t.Errorf("job = %+v", j)
		}
		must(t, "retry", s.RetryJob(ctx, jobs[0].ID, at.Add(time.Hour)))
		must(t, "finish", s.FinishJob(ctx, jobs[1].ID))
		_, err = s.ClaimJob(ctx, jobs[1].ID, at, at.Add(time.Minute), "other")
		wantNotFound(t, "claim a finished job", err)
		later := at.Add(2 * time.Hour)
		js, err := s.ClaimJobs(ctx, later, later.Add(time.Minute), "node", 100)
		must(t, "claim after leases lapsed", err)
		if len(js) != 19 {
			t.Errorf("claimed %d after the leases lapsed, want 19", len(js))
		}
		for _, j := range js {
			if j.ID == jobs[0].ID && j.Attempts != 1 {
				t.Errorf("retried job attempts = %d", j.Attempts)
			}
		}
	})
}

func entryIDs(es []approval.Entry) []tack.ID {
	var out []tack.ID
	for _, e := range es {
		out = append(out, e.InstanceID)
	}
	return out
}

package e2e

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/deadline"
)

// TestWorkReports: a member submits a daily report that goes to their
// manager by default; the manager reads it (the "read by" list) and
// comments; a colleague who is no recipient and an outsider get 404; the
// statistics show who submitted to everyone; and the member's own reminder
// waits out their quiet hours, then reminds them, then schedules the next.
func TestWorkReports(t *testing.T) {
	srv, skew := mediaServer(t)
	ctx := ctxT(t)
	tm := newTeam(t, srv)
	outsider := srv.NewUser(t, "Mallory")
	member, manager := tm.member, tm.manager

	if _, err := member.SubmitReport(ctx, tm.org, client.ReportInput{TemplateID: circle.Daily, Answers: map[string]string{"明日计划 Plan for tomorrow": "x"}}); apiCode(err) != tack.EInvalid {
		t.Errorf("a required field left out: %v", err)
	}
	if _, err := member.SubmitReport(ctx, tm.org, client.ReportInput{TemplateID: "nope", Answers: map[string]string{}}); apiCode(err) != tack.EInvalid {
		t.Errorf("an unknown template: %v", err)
	}
	if _, err := member.SubmitReport(ctx, tm.org, client.ReportInput{TemplateID: circle.Daily, Answers: map[string]string{"今日完成 Done today": "x"}, To: []tack.ID{tack.ID(outsider.ID)}}); apiCode(err) != tack.EInvalid {
		t.Errorf("a report to an outsider: %v", err)
	}
	if _, err := outsider.SubmitReport(ctx, tm.org, client.ReportInput{TemplateID: circle.Daily}); apiCode(err) != tack.ENotFound {
		t.Errorf("an outsider submitted: %v", err)
	}
	ms := connect(t, manager.Client, nil)
	rep := mustDo[client.Report](t)(member.SubmitReport(ctx, tm.org, client.ReportInput{TemplateID: circle.Daily,
		Answers: map[string]string{"今日完成 Done today": "拜访了三个客户", "明日计划 Plan for tomorrow": "写方案"}}))
	if len(rep.Recipients) != 1 || rep.Recipients[0].UserID != tack.ID(manager.ID) || rep.Recipients[0].ReadAt != nil {
		t.Fatalf("recipients %+v: want the manager, unread", rep.Recipients)
	}
	waitEvent(t, ms, "the manager hears of it", func(e client.Event) bool { return e.Type == circle.ReportKind })
	if _, err := tm.owner.Report(ctx, tm.org, string(rep.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("a colleague who is no recipient read it: %v", err)
	}
	if _, err := outsider.Report(ctx, tm.org, string(rep.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("an outsider read it: %v", err)
	}
	got := mustDo[client.Report](t)(manager.Report(ctx, tm.org, string(rep.ID)))
	if got.Recipients[0].ReadAt == nil {
		t.Errorf("the manager opened it but it reads unread")
	}
	mustDo[client.ReportComment](t)(manager.CommentReport(ctx, tm.org, string(rep.ID), "不错，继续"))
	mine := mustDo[client.Report](t)(member.Report(ctx, tm.org, string(rep.ID)))
	if mine.Recipients[0].ReadAt == nil || len(mine.Comments) != 1 || mine.Comments[0].Text != "不错，继续" {
		t.Errorf("the author sees %+v", mine)
	}
	if l := mustDo[[]client.Report](t)(manager.Reports(ctx, tm.org, "received")); len(l) != 1 {
		t.Errorf("manager's received: %d", len(l))
	}
	st := mustDo[client.ReportStats](t)(member.ReportStats(ctx, tm.org, circle.Daily, rep.Period))
	if !slices.Equal(st.Submitted, []tack.ID{tack.ID(member.ID)}) || len(st.Missing) != 2 {
		t.Errorf("stats %+v", st)
	}

	// The reminder: at a time the member chose, an hour from now.
	at := time.Now().UTC().Add(time.Hour)
	if _, err := member.SetReportReminder(ctx, tm.org, client.ReportReminder{Kind: circle.Daily, At: "25:00", Days: []int{1}, On: true}); apiCode(err) != tack.EInvalid {
		t.Errorf("a bad time: %v", err)
	}
	mustDo[client.ReportReminder](t)(member.SetReportReminder(ctx, tm.org, client.ReportReminder{Kind: circle.Daily, At: at.Format("15:04"), Days: []int{1, 2, 3, 4, 5, 6, 7}, TimeZone: "UTC", On: true}))
	ds := srv.Node.Store.(interface{ Deadlines() deadline.Store }).Deadlines()
	claim := func() deadline.Job {
		t.Helper()
		jobs, err := ds.Claim(ctx, time.Now().Add(72*time.Hour), time.Minute, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.Kind == circle.RemindJob {
				return j
			}
		}
		t.Fatalf("no reminder job in %+v", jobs)
		return deadline.Job{}
	}
	job := claim()
	if d := job.Due.Sub(at.Truncate(time.Minute)); d != 0 {
		t.Errorf("the reminder is due at %v, want %v", job.Due, at.Truncate(time.Minute))
	}
	// In quiet hours when it fires: it waits.
	if _, err := member.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "UTC", Extra: []attendance.QuietRange{{From: "00:00", To: "12:00"}, {From: "12:00", To: "00:00"}}}); err != nil {
		t.Fatal(err)
	}
	mine2 := connect(t, member.Client, nil)
	if err := srv.Node.Journal.HandleRemind(ctx, job); err != nil {
		t.Fatal(err)
	}
	retry := claim()
	if d := time.Until(retry.Due); d > circle.QuietRetry || d < circle.QuietRetry-time.Minute {
		t.Errorf("in quiet hours the reminder moved to %v from now, want %v", d, circle.QuietRetry)
	}
	// Quiet hours over: it reminds. The member's attendance group (newTeam:
	// 09:00-18:00 Shanghai, Monday to Friday) makes the hours outside work
	// quiet too, so the journal's clock is moved to a working hour: the next
	// weekday at 10:00 in Shanghai (the test must not depend on when it runs).
	if _, err := member.SetQuietHours(ctx, attendance.QuietPrefs{TimeZone: "UTC", Extra: []attendance.QuietRange{}}); err != nil {
		t.Fatal(err)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().In(sh).AddDate(0, 0, 1)
	work := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 10, 0, 0, 0, sh)
	for work.Weekday() == time.Saturday || work.Weekday() == time.Sunday {
		work = work.AddDate(0, 0, 1)
	}
	skew.Store(int64(time.Until(work)))
	// A reminder for a day with no report yet: the job's slot is tomorrow's.
	var jd map[string]any
	json.Unmarshal(retry.Data, &jd)
	jd["slot"] = job.Due.Add(24 * time.Hour)
	retry.Data, _ = json.Marshal(jd)
	if err := srv.Node.Journal.HandleRemind(ctx, retry); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, mine2, "the reminder", func(e client.Event) bool { return e.Type == circle.ReportKind && e.Action == "remind" })
	skew.Store(0)
	next := claim()
	if want := job.Due.Add(48 * time.Hour); !next.Due.Equal(want) {
		t.Errorf("next reminder at %v, want %v", next.Due, want)
	}
}

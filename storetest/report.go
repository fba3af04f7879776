package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/circle"
)

// TestReportStore checks the contract of circle.ReportStore: templates per
// organisation; a report round-trips with its recipients and comments;
// lists by author (sent) and recipient (received), newest first; reading
// is recorded once; Submitters by kind and period; reminders round-trip.
func TestReportStore(t *testing.T, open func(t *testing.T) (account.Store, circle.ReportStore)) {
	ctx := context.Background()
	as, s := open(t)
	a, mgr, c := newUser(t, as, "A").ID, newUser(t, as, "Manager").ID, newUser(t, as, "C").ID
	orgID, other := tack.NewID(), tack.NewID()

	tpl := circle.Template{ID: string(tack.NewID()), OrgID: orgID, Name: "销售日报", Kind: circle.Daily, Fields: []circle.Field{{Label: "客户拜访", Required: true}}}
	mustDo(t, s.PutTemplate(ctx, tpl))
	if ts, err := s.Templates(ctx, orgID); err != nil || len(ts) != 1 || !reflect.DeepEqual(ts[0], tpl) {
		t.Errorf("Templates = %+v, %v", ts, err)
	}
	if ts, err := s.Templates(ctx, other); err != nil || len(ts) != 0 {
		t.Errorf("another organisation's templates = %+v, %v", ts, err)
	}
	mk := func(author tack.ID, kind, period string, to ...tack.ID) circle.Report {
		r := circle.Report{ID: tack.NewID(), OrgID: orgID, AuthorID: author, TemplateID: kind, Kind: kind, Period: period,
			Answers: []circle.Answer{{Label: "今日完成", Value: "签了合同"}}, CreatedAt: now().UTC()}
		for _, u := range to {
			r.Recipients = append(r.Recipients, circle.ReportReceipt{UserID: u})
		}
		mustDo(t, s.CreateReport(ctx, r))
		return r
	}
	r1 := mk(a, circle.Daily, "2026-03-04", mgr)
	r2 := mk(a, circle.Weekly, "2026-03-06", mgr, c)
	r3 := mk(c, circle.Daily, "2026-03-04", mgr)
	got, err := s.Report(ctx, r1.ID)
	mustDo(t, err)
	r1.Comments = []circle.ReportComment{}
	if !reflect.DeepEqual(got, r1) {
		t.Fatalf("report came back as %+v, want %+v", got, r1)
	}
	if _, err := s.Report(ctx, tack.NewID()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("missing report: %v", err)
	}
	ids := func(rs []circle.Report, err error) []tack.ID {
		t.Helper()
		mustDo(t, err)
		out := []tack.ID{}
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	if got := ids(s.Reports(ctx, orgID, a, true, 10)); !reflect.DeepEqual(got, []tack.ID{r2.ID, r1.ID}) {
		t.Errorf("a's sent %v", got)
	}
	if got := ids(s.Reports(ctx, orgID, mgr, false, 10)); !reflect.DeepEqual(got, []tack.ID{r3.ID, r2.ID, r1.ID}) {
		t.Errorf("manager's received %v", got)
	}
	if got := ids(s.Reports(ctx, orgID, c, false, 1)); !reflect.DeepEqual(got, []tack.ID{r2.ID}) {
		t.Errorf("c's received %v", got)
	}
	at := now()
	if ok, err := s.MarkReportRead(ctx, r1.ID, mgr, at); !ok || err != nil {
		t.Errorf("MarkReportRead %v %v", ok, err)
	}
	if ok, err := s.MarkReportRead(ctx, r1.ID, mgr, now()); ok || err != nil {
		t.Errorf("MarkReportRead twice %v %v", ok, err)
	}
	cm := circle.ReportComment{ID: tack.NewID(), ReportID: r1.ID, AuthorID: mgr, Text: "很好", CreatedAt: now().UTC()}
	mustDo(t, s.AddReportComment(ctx, cm))
	got, err = s.Report(ctx, r1.ID)
	mustDo(t, err)
	if got.Recipients[0].ReadAt == nil || !got.Recipients[0].ReadAt.Equal(at) || !reflect.DeepEqual(got.Comments, []circle.ReportComment{cm}) {
		t.Errorf("after reading and a comment: %+v", got)
	}
	subs, err := s.Submitters(ctx, orgID, circle.Daily, "2026-03-04")
	mustDo(t, err)
	slices.Sort(subs)
	want := []tack.ID{a, c}
	slices.Sort(want)
	if !reflect.DeepEqual(subs, want) {
		t.Errorf("Submitters = %v, want %v", subs, want)
	}
	if subs, _ := s.Submitters(ctx, orgID, circle.Daily, "2026-03-05"); len(subs) != 0 {
		t.Errorf("Submitters of another day = %v", subs)
	}
	if _, err := s.Reminder(ctx, orgID, a); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("missing reminder: %v", err)
	}
	rm := circle.Reminder{OrgID: orgID, UserID: a, Kind: circle.Daily, At: "17:30", Days: []int{1, 2, 3, 4, 5}, TimeZone: "Asia/Shanghai", On: true}
	mustDo(t, s.PutReminder(ctx, rm))
	rm.At = "18:00"
	mustDo(t, s.PutReminder(ctx, rm))
	if got, err := s.Reminder(ctx, orgID, a); err != nil || !reflect.DeepEqual(got, rm) {
		t.Errorf("Reminder = %+v, %v", got, err)
	}
}

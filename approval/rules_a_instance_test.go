package approval

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/leave"
)

// TestWhatAReaderMayDo: the actions offered follow who reads and where
// the request stands: deciding only on one's own pending task of the
// running step and round, returning only with an earlier approver step,
// withdrawing and urging as the originator while it runs, cancelling an
// approved request as an admin or (before it starts) its originator,
// never a make-up punch, announcing one's own approved leave or trip once.
func TestWhatAReaderMayDo(t *testing.T) {
	s, d := raService(newRAStore())
	future := &Span{Start: raNow.Add(24 * time.Hour), End: raNow.Add(48 * time.Hour)}
	past := &Span{Start: raNow.Add(-time.Hour), End: raNow.Add(24 * time.Hour)}
	steps := []Step{step(ModeAny, "vic"), step(ModeAny, "dora")}
	type pair struct {
		in    *Instance
		tasks []Task
	}
	running := func(current int, tasks ...Task) pair {
		return pair{&Instance{OriginatorID: uid("rita"), Status: Running, Kind: KindGeneral, Steps: steps, Current: current, Round: 2}, tasks}
	}
	task := func(who string, status string, step, round int) Task {
		return Task{ApproverID: uid(who), Status: status, Step: step, Round: round}
	}
	ended := func(status, kind string, span *Span, announced bool) pair {
		return pair{&Instance{OriginatorID: uid("rita"), Status: status, Kind: kind, Steps: steps, Current: 2, Span: span, Announced: announced}, nil}
	}
	decide := "comment approve reject transfer add"
	cases := []struct {
		name   string
		reader string
		in     *Instance
		tasks  []Task
		want   string
	}{
		{"the current approver of a later step may also return", "dora", nil, nil, decide + " return"},
		{"at the first step there is nothing to return to", "vic", nil, nil, decide},
		{"a task of another round is not one's turn", "dora", nil, nil, "comment"},
		{"a waiting task is not one's turn", "dora", nil, nil, "comment"},
		{"a task of another step is not one's turn", "vic", nil, nil, "comment"},
		{"the originator withdraws and urges while it runs", "rita", nil, nil, "comment withdraw urge"},
		{"approved leave: its originator cancels before it starts and announces", "rita", nil, nil, "comment cancel announce"},
		{"approved trip: likewise", "rita", nil, nil, "comment cancel announce"},
		{"approved leave already announced", "rita", nil, nil, "comment cancel"},
		{"approved leave that started: an admin's to cancel", "rita", nil, nil, "comment announce"},
		{"an approved general request is not announced", "rita", nil, nil, "comment cancel"},
		{"an admin cancels someone's approved request", "ada", nil, nil, "comment cancel"},
		{"an approver of an approved request only comments", "dora", nil, nil, "comment"},
		{"a make-up punch is never cancelled", "rita", nil, nil, "comment"},
		{"not even by an admin", "ada", nil, nil, "comment"},
		{"a rejected request: comments only", "rita", nil, nil, "comment"},
	}
	set := func(i int, p pair) { cases[i].in, cases[i].tasks = p.in, p.tasks }
	set(0, running(1, task("vic", TaskApproved, 0, 2), task("dora", TaskPending, 1, 2)))
	set(1, running(0, task("vic", TaskPending, 0, 2)))
	set(2, running(1, task("dora", TaskPending, 1, 1)))
	set(3, running(1, task("dora", TaskWaiting, 1, 2)))
	set(4, running(1, task("vic", TaskPending, 0, 2)))
	set(5, running(1, task("dora", TaskPending, 1, 2)))
	set(6, ended(Approved, KindLeave, future, false))
	set(7, ended(Approved, KindTrip, future, false))
	set(8, ended(Approved, KindLeave, future, true))
	set(9, ended(Approved, KindLeave, past, false))
	set(10, ended(Approved, KindGeneral, nil, false))
	set(11, ended(Approved, KindGeneral, nil, false))
	set(12, ended(Approved, KindGeneral, nil, false))
	set(13, ended(Approved, KindMakeup, nil, false))
	set(14, ended(Approved, KindMakeup, nil, false))
	set(15, ended(Rejected, KindLeave, future, false))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(s.can(raActor(d.dir, c.reader), c.in, c.tasks), " "); got != c.want {
				t.Errorf("%s may %q, want %q", c.reader, got, c.want)
			}
		})
	}
}

// TestReturnTarget: a return goes to the earlier approver step asked
// for, or by default to the nearest earlier approver step that has
// people, passing CC steps and empty steps.
func TestReturnTarget(t *testing.T) {
	s, _ := raService(newRAStore())
	empty := step(ModeAny)
	cases := []struct {
		name    string
		steps   []Step
		current int
		want    int
		to      int
	}{
		{"the first step asked for", []Step{step(ModeAny, "vic"), step(ModeAny, "eve"), step(ModeAny, "dora")}, 2, 0, 0},
		{"the nearest by default", []Step{step(ModeAny, "vic"), step(ModeAny, "eve"), step(ModeAny, "dora")}, 2, -1, 1},
		{"past a CC step", []Step{step(ModeAny, "vic"), ccStep("eve"), step(ModeAny, "dora")}, 2, -1, 0},
		{"past a step without people", []Step{step(ModeAny, "vic"), empty, step(ModeAny, "dora")}, 2, -1, 0},
		{"an empty step asked for", []Step{step(ModeAny, "vic"), empty, step(ModeAny, "dora")}, 2, 1, -1},
		{"not the current step", []Step{step(ModeAny, "vic"), step(ModeAny, "dora")}, 1, 1, -1},
		{"nothing before the first", []Step{step(ModeAny, "vic")}, 0, -1, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := s.returnTarget(&Instance{Steps: c.steps, Current: c.current}, c.want); got != c.to {
				t.Errorf("returns to %d, want %d", got, c.to)
			}
		})
	}
}

// TestTitles: a request's title names who asks for what, with the span
// (one date when it starts and ends on the same day), a trip's
// destination, and nothing after the name when the form says nothing; at
// most 200 characters.
func TestTitles(t *testing.T) {
	s, _ := raService(newRAStore())
	tpl := func(kind, name string) Template { return Template{Kind: kind, Name: name} }
	cases := []struct {
		name string
		t    Template
		vals map[string]any
		want string
	}{
		{"one day", tpl(KindLeave, "请假"), map[string]any{"start": "2026-03-05", "end": "2026-03-05"}, "Rita的请假 · 2026-03-05"},
		{"a span", tpl(KindLeave, "请假"), map[string]any{"start": "2026-03-05", "end": "2026-03-06"}, "Rita的请假 · 2026-03-05 ~ 2026-03-06"},
		{"no end", tpl(KindOuting, "外出"), map[string]any{"start": "2026-03-05 10:00"}, "Rita的外出 · 2026-03-05 10:00"},
		{"a trip's destination", tpl(KindTrip, "出差"), map[string]any{"start": "2026-03-05", "end": "2026-03-07", "destination": "北京"}, "Rita的出差 · 北京 2026-03-05 ~ 2026-03-07"},
		{"overtime has no destination", tpl(KindOvertime, "加班"), map[string]any{"start": "2026-03-05 18:00", "end": "2026-03-05 20:00", "destination": "北京"}, "Rita的加班 · 2026-03-05 18:00 ~ 2026-03-05 20:00"},
		{"a general request's title", tpl(KindGeneral, "通用审批"), map[string]any{"title": "Laptop"}, "Rita的通用审批 · Laptop"},
		{"nothing to say", tpl(KindGeneral, "通用审批"), map[string]any{}, "Rita的通用审批"},
		{"blank", tpl(KindGeneral, "通用审批"), map[string]any{"title": "  "}, "Rita的通用审批"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := s.title("Rita", c.t, c.vals); got != c.want {
				t.Errorf("title %q, want %q", got, c.want)
			}
		})
	}
	exact := strings.Repeat("审", 200)
	if got := clipRunes(exact, 200); got != exact {
		t.Errorf("200 characters clipped to %q", got)
	}
	if got := clipRunes(exact+"批", 200); got != strings.Repeat("审", 199)+"…" {
		t.Errorf("201 characters clipped to %q", got)
	}
	if got := s.title(strings.Repeat("名", 300), tpl(KindGeneral, "通用审批"), nil); len([]rune(got)) != 200 {
		t.Errorf("a long title has %d characters", len([]rune(got)))
	}
}

// TestOrganisationZone: times are read in the organisation's zone; UTC
// when it has none, an unknown one, or cannot be read.
func TestOrganisationZone(t *testing.T) {
	s, d := raService(newRAStore())
	ctx := context.Background()
	if got := s.zone(ctx, d.org).String(); got != "Asia/Shanghai" {
		t.Errorf("zone %s, want Asia/Shanghai", got)
	}
	for _, tz := range []string{"", "Mars/Olympus"} {
		d.tz = tz
		if got := s.zone(ctx, d.org); got != time.UTC {
			t.Errorf("zone %q read as %s, want UTC", tz, got)
		}
	}
	d.tz, d.orgErr = "Asia/Shanghai", errors.New("directory down")
	if got := s.zone(ctx, d.org); got != time.UTC {
		t.Errorf("zone of an unreadable organisation %s, want UTC", got)
	}
}

// TestAmountTextAndFields: an amount reads in days or hours; no leave
// reads as nothing; a view's fields are a list, never null.
func TestAmountTextAndFields(t *testing.T) {
	if got := amountText(nil); got != "" {
		t.Errorf("no leave reads %q", got)
	}
	if got := amountText(&LeaveInfo{Unit: leave.UnitDay, Amount: 150}); got != "1.5天" {
		t.Errorf("1.5 days read %q", got)
	}
	if got := amountText(&LeaveInfo{Unit: leave.UnitHour, Amount: 250}); got != "2.5小时" {
		t.Errorf("2.5 hours read %q", got)
	}
	if got := nonNilFields(nil); got == nil || len(got) != 0 {
		t.Errorf("no fields: %#v", got)
	}
	fs := []Field{{Key: "a"}, {Key: "b"}}
	if got := nonNilFields(fs); len(got) != 2 {
		t.Errorf("two fields became %#v", got)
	}
}

// TestKindRulesCount: leave is counted in days (1.5 days compare as 1.5),
// overtime in hours, a trip in calendar days, both ends counted; leave
// may take the balance below zero down to the type's negative limit and
// no further; overtime and outings run at most 31 days, trips a year.
func TestKindRulesCount(t *testing.T) {
	st := newRAStore()
	s, d := raService(st)
	a := raActor(d.dir, "rita")
	ctx := context.Background()
	dec := func(v string) Decimal {
		x, ok := ParseDecimal(v, 4)
		if !ok {
			t.Fatalf("decimal %q", v)
		}
		return x
	}
	run := func(kind string, vals map[string]any) (*Decimal, *Instance, error) {
		in := &Instance{OrgID: d.org, Kind: kind, CreatedAt: raNow}
		amount, err := s.kindRules(ctx, a, Template{Kind: kind}, in, vals, false)
		return amount, in, err
	}

	// Leave against a balance of 0 with a negative limit of one day.
	zero := leave.Amount(0)
	lv := &raLeave{quote: leave.Quote{LeaveType: "annual", Name: "年假", Unit: leave.UnitDay, Amount: 100, Balance: &zero,
		FromDate: "2026-03-05", ToDate: "2026-03-05", Start: raNow.Add(24 * time.Hour), End: raNow.Add(33 * time.Hour)},
		typ: leave.Type{Key: "annual", NegativeLimit: 100}}
	s.leave = lv
	vals := map[string]any{"leave_type": "annual", "start": "2026-03-05", "end": "2026-03-05"}
	amount, in, err := run(KindLeave, vals)
	if err != nil {
		t.Fatalf("one day down to the negative limit: %v", err)
	}
	if *amount != dec("1") || in.Leave == nil || in.Leave.Amount != 100 {
		t.Errorf("one day counted %v (%+v)", amount, in.Leave)
	}
	lv.quote.Amount = 150
	if _, _, err := run(KindLeave, vals); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("1.5 days past a limit of 1: %v, want %s", err, tack.EConflict)
	}
	lv.typ.NegativeLimit = 200
	if amount, _, err := run(KindLeave, vals); err != nil || *amount != dec("1.5") {
		t.Errorf("1.5 days within a limit of 2: %v, %v", amount, err)
	}
	st.pending = 100 // a day asked for in a request still running
	if _, _, err := run(KindLeave, vals); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("1.5 days with one pending, limit 2: %v, want %s", err, tack.EConflict)
	}

	// Overtime: hours, within 31 days.
	amount, in, err = run(KindOvertime, map[string]any{"start": "2026-03-04 18:00", "end": "2026-03-04 20:30"})
	if err != nil || *amount != dec("2.5") || in.Leave.Amount != 250 || in.Leave.Unit != leave.UnitHour {
		t.Errorf("2½ hours of overtime: %v, %+v, %v", amount, in.Leave, err)
	}
	if !in.Span.Start.Equal(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("18:00 in Shanghai read as %s", in.Span.Start)
	}
	if _, _, err := run(KindOvertime, map[string]any{"start": "2026-03-01 00:00", "end": "2026-04-01 00:00"}); err != nil {
		t.Errorf("exactly 31 days: %v", err)
	}
	if _, _, err := run(KindOuting, map[string]any{"start": "2026-03-01 00:00", "end": "2026-04-01 00:01"}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("31 days and a minute: %v", err)
	}

	// Trips: days, both ends, within a year.
	amount, in, err = run(KindTrip, map[string]any{"start": "2026-03-05", "end": "2026-03-07"})
	if err != nil || *amount != dec("3") {
		t.Errorf("5th to 7th counted %v, %v", amount, err)
	}
	if want := time.Date(2026, 3, 7, 16, 0, 0, 0, time.UTC); !in.Span.End.Equal(want) {
		t.Errorf("a trip to the 7th ends %s, want %s", in.Span.End, want)
	}
	if amount, _, err := run(KindTrip, map[string]any{"start": "2026-03-05", "end": "2026-03-05"}); err != nil || *amount != dec("1") {
		t.Errorf("a one-day trip counted %v, %v", amount, err)
	}
	if amount, _, err := run(KindTrip, map[string]any{"start": "2026-03-05", "end": "2027-03-06"}); err != nil || *amount != dec("367") {
		t.Errorf("366 days on: %v, %v", amount, err)
	}
	if _, _, err := run(KindTrip, map[string]any{"start": "2026-03-05", "end": "2027-03-07"}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("367 days on: %v", err)
	}
}

// TestPeopleInTables: every row of a table is checked, its people read
// as user IDs, and a refusal names the row's field by its path
// (form.rows[1].who, as form decoding names fields).
func TestPeopleInTables(t *testing.T) {
	s, d := raService(newRAStore())
	fields := []Field{{Key: "rows", Type: FieldTable, Label: "Rows", Columns: []Field{{Key: "who", Type: FieldPerson, Label: "Who"}}},
		{Key: "owner", Type: FieldPerson, Label: "Owner"}}
	rows := []map[string]any{{"who": string(mid("dora"))}, {"who": string(mid("vic"))}}
	vals := map[string]any{"rows": rows, "owner": string(mid("eve"))}
	if err := s.checkPeople(context.Background(), d.org, fields, vals, "form."); err != nil {
		t.Fatal(err)
	}
	if rows[0]["who"] != string(uid("dora")) || rows[1]["who"] != string(uid("vic")) || vals["owner"] != string(uid("eve")) {
		t.Errorf("people read as %v, %v", rows, vals["owner"])
	}
	rows = []map[string]any{{"who": string(mid("dora"))}, {"who": string(mid("max"))}}
	err := s.checkPeople(context.Background(), d.org, fields, map[string]any{"rows": rows}, "form.")
	var e *tack.Error
	if !errors.As(err, &e) || e.Field != "form.rows[1].who" {
		t.Errorf("someone who left in the second row: %v (field %q)", err, e.Field)
	}
	err = s.checkPeople(context.Background(), d.org, fields, map[string]any{"rows": rows[:1], "owner": string(mid("max"))}, "form.")
	if !errors.As(err, &e) || e.Field != "form.owner" {
		t.Errorf("someone who left after the table: %v", err)
	}

	// So a request names them.
	st := newRAStore()
	s, d = raService(st)
	tpl := Template{Key: "team", Name: "Team", Kind: KindGeneral, Fields: fields, Nobody: NobodyAutoApprove,
		Flow: []Node{approverNode("o", Who{Type: WhoOriginator}, ModeAny)}}
	if err := validTemplate(&tpl); err != nil {
		t.Fatal(err)
	}
	tpl.OrgID, tpl.Version, tpl.Enabled = d.org, 1, true
	st.tpls = map[string]Template{"team": tpl}
	form := `{"rows":[{"who":"` + string(mid("dora")) + `"},{"who":"` + string(mid("max")) + `"}]}`
	_, err = s.Submit(raAs("rita"), d.org, SubmitInput{Template: "team", Form: json.RawMessage(form)})
	if !errors.As(err, &e) || e.Field != "form.rows[1].who" {
		t.Errorf("a request with someone who left in the second row: %v", err)
	}
}

// raSubmit submits a general request as rita.
func raSubmit(s *Service, d *raDir, form string, approvers map[string][]tack.ID) (View, error) {
	return s.Submit(raAs("rita"), d.org, SubmitInput{Template: KindGeneral, Form: json.RawMessage(form), Approvers: approvers})
}

// TestSubmitRules: a request gets its title and its template's fields;
// the people chosen for a node are at most MaxApprovers; a file deleted
// between the check and the write is the form's fault, any other missing
// row is not.
func TestSubmitRules(t *testing.T) {
	st := newRAStore()
	s, d := raService(st)
	form := `{"title":"Laptop","content":"A new one"}`
	v, err := raSubmit(s, d, form, map[string][]tack.ID{"chosen": {mid("dora")}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Title != "rita的通用审批 · Laptop" {
		t.Errorf("title %q", v.Title)
	}
	if len(v.Fields) != 3 || v.Fields[0].Key != "title" {
		t.Errorf("fields %+v", v.Fields)
	}
	if !slices.Equal(v.Pending, []tack.ID{uid("dora")}) {
		t.Errorf("pending %s", names(v.Pending))
	}
	many := slices.Repeat([]tack.ID{mid("dora")}, MaxApprovers)
	if _, err := raSubmit(s, d, form, map[string][]tack.ID{"chosen": many}); err != nil {
		t.Errorf("%d approvers chosen: %v", MaxApprovers, err)
	}
	if _, err := raSubmit(s, d, form, map[string][]tack.ID{"chosen": append(many, mid("dora"))}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("%d approvers chosen: %v", MaxApprovers+1, err)
	}

	s.files = raFiles{}
	st.failApply = func(int) error { return tack.ErrNotFound }
	_, err = raSubmit(s, d, `{"title":"Laptop","content":"A new one","attachments":["`+string(id("file1"))+`"]}`, map[string][]tack.ID{"chosen": {mid("dora")}})
	var e *tack.Error
	if !errors.As(err, &e) || e.Code != tack.EInvalid || e.Field != "form" {
		t.Errorf("a file deleted meanwhile: %v", err)
	}
	_, err = raSubmit(s, d, form, map[string][]tack.ID{"chosen": {mid("dora")}})
	if !errors.Is(err, tack.ErrNotFound) || tack.ErrorCode(err) == tack.EInvalid {
		t.Errorf("another missing row without files: %v", err)
	}
}

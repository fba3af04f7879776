package circle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/org"
)

// Work reports (日志): daily, weekly and monthly reports from templates (or
// an organisation's custom ones), sent to chosen colleagues or by default
// to one's manager; recipients read (a "read by" list) and comment. A
// member may ask to be reminded at a time of their own choosing, never in
// their quiet hours; and everyone sees who submitted.

// Report kinds and limits.
const (
	Daily         = "daily"
	Weekly        = "weekly"
	Monthly       = "monthly"
	Custom        = "custom"
	MaxFields     = 20
	MaxFieldText  = 5000
	MaxRecipients = 100
	RemindJob     = "report-remind" // deadline kind: a member's reminder
	ReportKind    = "report"        // bus event and stream frame type
)

// Field is one field of a template.
type Field struct {
	Label    string `json:"label"`
	Required bool   `json:"required,omitempty"`
}

// Template is a report's form.
type Template struct {
	ID     string  `json:"id"` // "daily", "weekly", "monthly", or a custom template's ID
	OrgID  tack.ID `json:"org_id,omitempty"`
	Name   string  `json:"name"`
	Kind   string  `json:"kind"`
	Fields []Field `json:"fields"`
}

// Builtins are the templates every organisation has.
var Builtins = []Template{
	{ID: Daily, Name: "日报 Daily", Kind: Daily, Fields: []Field{{Label: "今日完成 Done today", Required: true}, {Label: "明日计划 Plan for tomorrow"}, {Label: "需要协调 Needs help"}}},
	{ID: Weekly, Name: "周报 Weekly", Kind: Weekly, Fields: []Field{{Label: "本周完成 Done this week", Required: true}, {Label: "下周计划 Next week"}, {Label: "需要协调 Needs help"}}},
	{ID: Monthly, Name: "月报 Monthly", Kind: Monthly, Fields: []Field{{Label: "本月完成 Done this month", Required: true}, {Label: "下月计划 Next month"}}},
}

// Answer is a field's value in a report.
type Answer struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Report is a submitted report. Period is the day it covers (YYYY-MM-DD;
// for weekly and monthly reports the day they were written).
type Report struct {
	ID         tack.ID         `json:"id"`
	OrgID      tack.ID         `json:"org_id"`
	AuthorID   tack.ID         `json:"author_id"`
	TemplateID string          `json:"template_id"`
	Kind       string          `json:"kind"`
	Period     string          `json:"period"`
	Answers    []Answer        `json:"answers"`
	Recipients []ReportReceipt `json:"recipients"`
	CreatedAt  time.Time       `json:"created_at"`
	Comments   []ReportComment `json:"comments,omitempty"`
}

// ReportReceipt is a recipient and when they read it.
type ReportReceipt struct {
	UserID tack.ID    `json:"user_id"`
	ReadAt *time.Time `json:"read_at,omitempty"`
}

// ReportComment is a comment on a report.
type ReportComment struct {
	ID        tack.ID   `json:"id"`
	ReportID  tack.ID   `json:"report_id"`
	AuthorID  tack.ID   `json:"author_id"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

// Reminder is a member's own reminder to write a report: at At (HH:MM) on
// Days (1 = Monday) in TimeZone. Kind says which report it asks for.
type Reminder struct {
	OrgID    tack.ID `json:"-"`
	UserID   tack.ID `json:"-"`
	Kind     string  `json:"kind"`
	At       string  `json:"at"`
	Days     []int   `json:"days"`
	TimeZone string  `json:"time_zone"`
	On       bool    `json:"on"`
}

// ReportStore keeps reports. Errors: tack.ErrNotFound for a missing row.
type ReportStore interface {
	PutTemplate(ctx context.Context, t Template) error
	Templates(ctx context.Context, orgID tack.ID) ([]Template, error)
	// CreateReport stores r with its recipients.
	CreateReport(ctx context.Context, r Report) error
	// Report returns one report with its recipients and comments.
	Report(ctx context.Context, id tack.ID) (Report, error)
	// Reports lists orgID's reports userID wrote (sent) or received,
	// newest first, with recipients.
	Reports(ctx context.Context, orgID, userID tack.ID, sent bool, limit int) ([]Report, error)
	MarkReportRead(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error)
	AddReportComment(ctx context.Context, c ReportComment) error
	// Submitters lists who submitted a report of kind for period in orgID.
	Submitters(ctx context.Context, orgID tack.ID, kind, period string) ([]tack.ID, error)
	PutReminder(ctx context.Context, r Reminder) error
	// Reminder returns a member's reminder; tack.ErrNotFound if none.
	Reminder(ctx context.Context, orgID, userID tack.ID) (Reminder, error)
}

// Journal holds the rules of work reports.
type Journal struct {
	store ReportStore
	dir   Directory
	bus   bus.Publisher
	clock tack.Clock
	quiet Quiet
	dl    Deadlines
	log   *slog.Logger
}

// NewJournal returns a Journal; quiet and dl may be nil (no quiet hours;
// no reminders).
func NewJournal(store ReportStore, dir Directory, pub bus.Publisher, clock tack.Clock, quiet Quiet, dl Deadlines, log *slog.Logger) *Journal {
	if log == nil {
		log = slog.Default()
	}
	return &Journal{store: store, dir: dir, bus: pub, clock: clock, quiet: quiet, dl: dl, log: log}
}

var errNoReport = tack.Errorf(tack.ENotFound, "no such report")

func (j *Journal) member(ctx context.Context, orgID tack.ID) (org.Member, error) {
	b := Board{dir: j.dir}
	return b.member(ctx, orgID)
}

// Templates lists the built-in and the organisation's own templates.
func (j *Journal) Templates(ctx context.Context, orgID tack.ID) ([]Template, error) {
	if _, err := j.member(ctx, orgID); err != nil {
		return nil, err
	}
	own, err := j.store.Templates(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return append(slices.Clone(Builtins), own...), nil
}

// AddTemplate adds a custom template (admins).
func (j *Journal) AddTemplate(ctx context.Context, orgID tack.ID, t Template) (Template, error) {
	m, err := j.member(ctx, orgID)
	if err != nil {
		return Template{}, err
	}
	if !isAdmin(m) {
		return Template{}, tack.Errorf(tack.EForbidden, "only admins add report templates")
	}
	name, err := validText("name", t.Name, 50)
	if err != nil {
		return Template{}, err
	}
	if name == "" {
		return Template{}, tack.Invalid("name", "a template needs a name")
	}
	if !slices.Contains([]string{Daily, Weekly, Monthly, Custom}, t.Kind) {
		return Template{}, tack.Invalid("kind", "kind must be daily, weekly, monthly or custom")
	}
	if len(t.Fields) == 0 || len(t.Fields) > MaxFields {
		return Template{}, tack.Invalid("fields", "a template has 1 to %d fields", MaxFields)
	}
	fields := []Field{}
	for i, f := range t.Fields {
		l, err := validText(fmt.Sprintf("fields[%d].label", i), f.Label, 50)
		if err != nil {
			return Template{}, err
		}
		if l == "" || slices.ContainsFunc(fields, func(x Field) bool { return x.Label == l }) {
			return Template{}, tack.Invalid(fmt.Sprintf("fields[%d].label", i), "labels are non-empty and distinct")
		}
		fields = append(fields, Field{Label: l, Required: f.Required})
	}
	out := Template{ID: string(tack.NewID()), OrgID: orgID, Name: name, Kind: t.Kind, Fields: fields}
	return out, j.store.PutTemplate(ctx, out)
}

// ReportInput is a report to submit. To empty: the author's manager.
type ReportInput struct {
	TemplateID string            `json:"template_id"`
	Answers    map[string]string `json:"answers"`
	To         []tack.ID         `json:"to"` // user IDs of colleagues
}

// Submit submits a report.
func (j *Journal) Submit(ctx context.Context, orgID tack.ID, in ReportInput) (Report, error) {
	m, err := j.member(ctx, orgID)
	if err != nil {
		return Report{}, err
	}
	ts, err := j.Templates(ctx, orgID)
	if err != nil {
		return Report{}, err
	}
	i := slices.IndexFunc(ts, func(t Template) bool { return t.ID == in.TemplateID })
	if i < 0 {
		return Report{}, tack.Invalid("template_id", "no such template")
	}
	t := ts[i]
	answers := []Answer{}
	for label := range in.Answers {
		if !slices.ContainsFunc(t.Fields, func(f Field) bool { return f.Label == label }) {
			return Report{}, tack.Invalid("answers", "%q is no field of this template", label)
		}
	}
	for _, f := range t.Fields {
		v, err := validText("answers", in.Answers[f.Label], MaxFieldText)
		if err != nil {
			return Report{}, err
		}
		if f.Required && v == "" {
			return Report{}, tack.Invalid("answers", "%q is required", f.Label)
		}
		answers = append(answers, Answer{Label: f.Label, Value: v})
	}
	if len(in.To) > MaxRecipients {
		return Report{}, tack.Errorf(tack.ETooLarge, "to: at most %d people", MaxRecipients)
	}
	var to []tack.ID
	for _, uid := range in.To {
		if !uid.Valid() || uid == m.UserID {
			return Report{}, tack.Invalid("to", "%q is not a colleague", uid)
		}
		c, err := j.dir.DirectoryMember(ctx, orgID, uid)
		if err != nil || c.Status != org.Active || c.UserID != uid {
			return Report{}, tack.Invalid("to", "%q is not a colleague", uid)
		}
		if !slices.Contains(to, uid) {
			to = append(to, uid)
		}
	}
	if len(to) == 0 {
		if m.ManagerID == "" {
			return Report{}, tack.Invalid("to", "you have no manager in the directory: choose who gets it")
		}
		mgr, err := j.dir.DirectoryMember(ctx, orgID, m.ManagerID)
		if err != nil || mgr.UserID == "" || mgr.Status != org.Active {
			return Report{}, tack.Invalid("to", "your manager is not an active member: choose who gets it")
		}
		to = []tack.ID{mgr.UserID}
	}
	now := j.clock.Now().UTC().Truncate(time.Microsecond)
	r := Report{ID: tack.NewID(), OrgID: orgID, AuthorID: m.UserID, TemplateID: t.ID, Kind: t.Kind, Period: j.today(ctx, orgID, m.UserID, now),
		Answers: answers, CreatedAt: now}
	for _, u := range to {
		r.Recipients = append(r.Recipients, ReportReceipt{UserID: u})
	}
	if err := j.store.CreateReport(ctx, r); err != nil {
		return Report{}, err
	}
	if j.bus != nil {
		p, _ := json.Marshal(map[string]any{"type": ReportKind, "action": "submitted", "org_id": orgID, "id": r.ID, "author_id": r.AuthorID})
		if err := j.bus.Publish(ctx, &bus.Event{Kind: ReportKind, Users: to, Subject: r.ID, Action: "submitted", Payload: p}); err != nil {
			j.log.Warn("publish report", "err", err)
		}
	}
	r.Comments = []ReportComment{}
	return r, nil
}

// today is the date at t in the member's reminder time zone (UTC without one).
func (j *Journal) today(ctx context.Context, orgID, userID tack.ID, t time.Time) string {
	loc := time.UTC
	if rm, err := j.store.Reminder(ctx, orgID, userID); err == nil && rm.TimeZone != "" {
		if l, err := time.LoadLocation(rm.TimeZone); err == nil {
			loc = l
		}
	}
	return t.In(loc).Format(time.DateOnly)
}

// readable returns a report the caller may read: its author and recipients.
func (j *Journal) readable(ctx context.Context, orgID, id tack.ID) (org.Member, Report, error) {
	m, err := j.member(ctx, orgID)
	if err != nil {
		return m, Report{}, err
	}
	if !id.Valid() {
		return m, Report{}, errNoReport
	}
	r, err := j.store.Report(ctx, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && r.OrgID != orgID {
		return m, Report{}, errNoReport
	} else if err != nil {
		return m, Report{}, err
	}
	if r.AuthorID != m.UserID && !slices.ContainsFunc(r.Recipients, func(x ReportReceipt) bool { return x.UserID == m.UserID }) {
		return m, Report{}, errNoReport
	}
	return m, r, nil
}

// Get returns a report (its author and recipients); a recipient's opening
// marks it read.
func (j *Journal) Get(ctx context.Context, orgID, id tack.ID) (Report, error) {
	m, r, err := j.readable(ctx, orgID, id)
	if err != nil {
		return Report{}, err
	}
	if m.UserID != r.AuthorID {
		if ok, err := j.store.MarkReportRead(ctx, id, m.UserID, j.clock.Now().UTC().Truncate(time.Microsecond)); err != nil {
			return Report{}, err
		} else if ok {
			if r, err = j.store.Report(ctx, id); err != nil {
				return Report{}, err
			}
		}
	}
	return r, nil
}

// List lists the caller's reports: box "sent" or "received" (default).
func (j *Journal) List(ctx context.Context, orgID tack.ID, box string, limit int) ([]Report, error) {
	m, err := j.member(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if box != "" && box != "sent" && box != "received" {
		return nil, tack.Invalid("box", `box must be "sent" or "received"`)
	}
	if limit, err = pageSize(limit); err != nil {
		return nil, err
	}
	return j.store.Reports(ctx, orgID, m.UserID, box == "sent", limit)
}

// Comment comments on a report (its author and recipients).
func (j *Journal) Comment(ctx context.Context, orgID, id tack.ID, text string) (ReportComment, error) {
	m, r, err := j.readable(ctx, orgID, id)
	if err != nil {
		return ReportComment{}, err
	}
	text, err = validText("text", text, MaxComment)
	if err != nil {
		return ReportComment{}, err
	}
	if text == "" {
		return ReportComment{}, tack.Invalid("text", "a comment needs text")
	}
	c := ReportComment{ID: tack.NewID(), ReportID: id, AuthorID: m.UserID, Text: text, CreatedAt: j.clock.Now().UTC().Truncate(time.Microsecond)}
	if err := j.store.AddReportComment(ctx, c); err != nil {
		return ReportComment{}, err
	}
	if j.bus != nil {
		users := []tack.ID{r.AuthorID}
		for _, x := range r.Recipients {
			users = append(users, x.UserID)
		}
		users = slices.DeleteFunc(users, func(u tack.ID) bool { return u == m.UserID })
		p, _ := json.Marshal(map[string]any{"type": ReportKind, "action": "comment", "org_id": orgID, "id": id})
		_ = j.bus.Publish(ctx, &bus.Event{Kind: ReportKind, Users: users, Subject: id, Action: "comment", Payload: p})
	}
	return c, nil
}

// Stats says who submitted a report of kind on date (YYYY-MM-DD) and who
// did not, among the organisation's active members: for admins, and shown
// to the members too.
type Stats struct {
	Kind      string    `json:"kind"`
	Date      string    `json:"date"`
	Submitted []tack.ID `json:"submitted"`
	Missing   []tack.ID `json:"missing"`
}

// Stats returns who submitted.
func (j *Journal) Stats(ctx context.Context, orgID tack.ID, kind, date string) (Stats, error) {
	if _, err := j.member(ctx, orgID); err != nil {
		return Stats{}, err
	}
	if kind == "" {
		kind = Daily
	}
	if !slices.Contains([]string{Daily, Weekly, Monthly, Custom}, kind) {
		return Stats{}, tack.Invalid("kind", "kind must be daily, weekly, monthly or custom")
	}
	if date == "" {
		date = j.clock.Now().UTC().Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return Stats{}, tack.Invalid("date", "date is YYYY-MM-DD")
	}
	subs, err := j.store.Submitters(ctx, orgID, kind, date)
	if err != nil {
		return Stats{}, err
	}
	ms, err := j.dir.DirectoryActiveMembers(ctx, orgID, nil)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Kind: kind, Date: date, Submitted: []tack.ID{}, Missing: []tack.ID{}}
	for _, mb := range ms {
		if mb.UserID == "" {
			continue
		}
		if slices.Contains(subs, mb.UserID) {
			st.Submitted = append(st.Submitted, mb.UserID)
		} else {
			st.Missing = append(st.Missing, mb.UserID)
		}
	}
	return st, nil
}

// ---- reminders ----

// MyReminder returns the caller's reminder in orgID (off if none).
func (j *Journal) MyReminder(ctx context.Context, orgID tack.ID) (Reminder, error) {
	m, err := j.member(ctx, orgID)
	if err != nil {
		return Reminder{}, err
	}
	r, err := j.store.Reminder(ctx, orgID, m.UserID)
	if errors.Is(err, tack.ErrNotFound) {
		return Reminder{Kind: Daily, At: "18:00", Days: []int{1, 2, 3, 4, 5}, TimeZone: "UTC"}, nil
	}
	return r, err
}

func parseClock(s string) (int, int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// nextAt is the first time after t at r's clock time on one of its days.
func nextAt(r Reminder, t time.Time) time.Time {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	h, m, _ := parseClock(r.At)
	lt := t.In(loc)
	for i := 0; i < 8; i++ {
		d := lt.AddDate(0, 0, i)
		c := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
		wd := int(c.Weekday())
		if wd == 0 {
			wd = 7
		}
		if c.After(t) && slices.Contains(r.Days, wd) {
			return c
		}
	}
	return t.Add(7 * 24 * time.Hour)
}

// SetMyReminder sets the caller's own reminder: the time is theirs, not
// their manager's.
func (j *Journal) SetMyReminder(ctx context.Context, orgID tack.ID, r Reminder) (Reminder, error) {
	m, err := j.member(ctx, orgID)
	if err != nil {
		return Reminder{}, err
	}
	if j.dl == nil {
		return Reminder{}, tack.Errorf(tack.EUnavailable, "reminders are not available on this server")
	}
	if !slices.Contains([]string{Daily, Weekly, Monthly}, r.Kind) {
		return Reminder{}, tack.Invalid("kind", "kind must be daily, weekly or monthly")
	}
	if _, _, ok := parseClock(r.At); !ok {
		return Reminder{}, tack.Invalid("at", "at is HH:MM")
	}
	if len(r.Days) == 0 || len(r.Days) > 7 {
		return Reminder{}, tack.Invalid("days", "days are 1 (Monday) to 7 (Sunday)")
	}
	days := []int{}
	for _, d := range r.Days {
		if d < 1 || d > 7 {
			return Reminder{}, tack.Invalid("days", "days are 1 (Monday) to 7 (Sunday)")
		}
		if !slices.Contains(days, d) {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	if r.TimeZone == "" {
		r.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(r.TimeZone); err != nil || strings.ContainsAny(r.TimeZone, " ") {
		return Reminder{}, tack.Invalid("time_zone", "time_zone is an IANA zone such as Asia/Shanghai")
	}
	out := Reminder{OrgID: orgID, UserID: m.UserID, Kind: r.Kind, At: r.At, Days: days, TimeZone: r.TimeZone, On: r.On}
	if err := j.store.PutReminder(ctx, out); err != nil {
		return Reminder{}, err
	}
	key := string(orgID) + "/" + string(m.UserID)
	if !out.On {
		return out, j.dl.Cancel(ctx, RemindJob, key)
	}
	data, _ := json.Marshal(remindJob{OrgID: orgID, UserID: m.UserID})
	return out, j.dl.Schedule(ctx, deadline.Job{Kind: RemindJob, Key: key, Due: nextAt(out, j.clock.Now()), Data: data}, false)
}

type remindJob struct {
	OrgID  tack.ID `json:"org_id"`
	UserID tack.ID `json:"user_id"`
	// Slot is the reminder time this run is for (a run deferred by quiet
	// hours keeps it).
	Slot time.Time `json:"slot,omitzero"`
}

// HandleRemind is the deadline handler of RemindJob: remind the member
// (unless they submitted already), never in their quiet hours: a reminder
// that falls in them waits until they end (asked every QuietRetry), then
// the next one is scheduled.
func (j *Journal) HandleRemind(ctx context.Context, job deadline.Job) error {
	var jd remindJob
	if err := json.Unmarshal(job.Data, &jd); err != nil || !jd.OrgID.Valid() || !jd.UserID.Valid() {
		return deadline.Permanent(fmt.Errorf("remind job data: %v", err))
	}
	r, err := j.store.Reminder(ctx, jd.OrgID, jd.UserID)
	if errors.Is(err, tack.ErrNotFound) || err == nil && !r.On {
		return nil
	} else if err != nil {
		return err
	}
	now := j.clock.Now()
	slot := jd.Slot
	if slot.IsZero() {
		slot = job.Due
	}
	next := nextAt(r, slot)
	if j.quiet != nil {
		quiet, err := j.quiet.QuietAt(ctx, jd.UserID, now)
		if err != nil {
			return err
		}
		if quiet && now.Add(QuietRetry).Before(next) {
			jd.Slot = slot
			data, _ := json.Marshal(jd)
			return j.dl.Schedule(ctx, deadline.Job{Kind: RemindJob, Key: job.Key, Due: now.Add(QuietRetry), Data: data}, false)
		}
	}
	if !j.submitted(ctx, r, slot) {
		if j.bus != nil {
			p, _ := json.Marshal(map[string]any{"type": ReportKind, "action": "remind", "org_id": jd.OrgID, "kind": r.Kind})
			_ = j.bus.Publish(ctx, &bus.Event{Kind: ReportKind, Users: []tack.ID{jd.UserID}, Action: "remind", Payload: p})
		}
	}
	jd.Slot = time.Time{}
	data, _ := json.Marshal(jd)
	return j.dl.Schedule(ctx, deadline.Job{Kind: RemindJob, Key: job.Key, Due: next, Data: data}, false)
}

func (j *Journal) submitted(ctx context.Context, r Reminder, slot time.Time) bool {
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	subs, err := j.store.Submitters(ctx, r.OrgID, r.Kind, slot.In(loc).Format(time.DateOnly))
	return err == nil && slices.Contains(subs, r.UserID)
}

package approval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/leave"
)

// SubmitInput is a request as asked.
type SubmitInput struct {
	// Template is the template's key (leave, overtime, makeup, outing,
	// trip, expense, general, or the organisation's own).
	Template string          `json:"template"`
	Form     json.RawMessage `json:"form"`
	// Approvers are the people the originator picks for the flow's
	// "chosen" nodes, by node ID.
	Approvers map[string][]tack.ID `json:"approvers,omitempty"`
	// AutoReply (leave and trips): while it runs, direct messages get an
	// automatic reply naming the form's handover person.
	AutoReply bool `json:"auto_reply,omitempty"`
}

// View is an instance as one reader sees it: with its tasks, its
// timeline, and what the reader may do now.
type View struct {
	Instance
	Tasks   []Task   `json:"tasks"`
	Actions []Action `json:"actions"`
	// Can lists the actions the reader may take now: approve, reject,
	// transfer, add, return, comment, withdraw, urge, cancel, announce.
	Can []string `json:"can"`
	// Fields are the form's fields as the request's template version had
	// them (labels and types to show its values with).
	Fields []Field `json:"fields"`
}

// prefixed puts "form." before the field of an input error.
func prefixed(err error) error {
	var e *tack.Error
	if errors.As(err, &e) && e.Field != "" && !strings.HasPrefix(e.Field, "form") {
		c := *e
		c.Field = "form." + e.Field
		return &c
	}
	return err
}

// Submit makes a request: the form is checked against its template (and,
// for the built-in kinds, against leave balances and attendance), the
// flow is resolved against the directory, and the first approvers get
// their tasks.
func (s *Service) Submit(ctx context.Context, orgID tack.ID, in SubmitInput) (View, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	t, err := s.template(ctx, orgID, in.Template)
	if err != nil || !t.Enabled {
		return View{}, tack.Invalid("template", "no such approval template %q", clipKey(in.Template))
	}
	form, err := DecodeForm(t.Fields, in.Form)
	if err != nil {
		return View{}, err
	}
	now := s.now()
	inst := Instance{ID: tack.NewID(), OrgID: orgID, Template: t.Key, TemplateVersion: t.Version, TemplateName: t.Name, Kind: t.Kind,
		OriginatorID: a.me.UserID, Status: Running, CreatedAt: now, UpdatedAt: now, CC: []tack.ID{}, Pending: []tack.ID{}}
	vals := values(t.Fields, form)
	if err := s.checkPeople(ctx, orgID, t.Fields, vals, "form."); err != nil {
		return View{}, err
	}
	if inst.Attachments, err = s.attachments(ctx, t.Fields, vals); err != nil {
		return View{}, err
	}
	amount, err := s.kindRules(ctx, a, t, &inst, vals, in.AutoReply)
	if err != nil {
		return View{}, err
	}
	if inst.Form, err = encodeValues(vals); err != nil {
		return View{}, err
	}
	chosen := map[string][]tack.ID{}
	for node, ids := range in.Approvers {
		if !validKey(node) || len(ids) > MaxApprovers {
			return View{}, tack.Invalid("approvers", "approvers maps node IDs to at most %d people", MaxApprovers)
		}
		for _, id := range ids {
			m, ok, err := s.activeUser(ctx, orgID, id)
			if err != nil {
				return View{}, err
			}
			if !ok {
				return View{}, tack.Invalid("approvers", "%q is not an active member", clipKey(string(id)))
			}
			chosen[node] = append(chosen[node], m.UserID)
		}
	}
	depts, err := s.dir.DirectoryDepartments(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	f := &facts{orgID: orgID, originator: a.me, values: vals, amount: amount, chosen: chosen, depts: depts}
	if inst.Steps, err = s.resolve(ctx, t, f); err != nil {
		return View{}, err
	}
	if inst.Title == "" {
		inst.Title = s.title(a.me.Name, t, vals)
	}
	c := newChange(&inst, nil, t.Dedup, now)
	c.act(ActSubmit, a.me.UserID, nil, "")
	c.activate()
	b := Batch{Instance: &InstanceWrite{Instance: inst}, Files: fileIDs(inst.Attachments), Inbox: []Entry{{UserID: a.me.UserID, OrgID: orgID, Box: BoxMine, InstanceID: inst.ID, At: now}}}
	post, err := s.prepare(ctx, c, a.me.UserID, &b)
	if err != nil {
		return View{}, err
	}
	if err := s.store.Apply(ctx, b); errors.Is(err, tack.ErrNotFound) && len(b.Files) > 0 {
		return View{}, tack.Invalid("form", "an attached file was deleted meanwhile: upload it again")
	} else if err != nil {
		return View{}, err
	}
	s.after(ctx, post)
	return s.view(ctx, a, inst.ID)
}

// checkPeople checks that person and department values name active
// members and departments of the organisation (prefix: their path, "form."
// or "form.items[2]."), and turns member IDs into user IDs in place.
func (s *Service) checkPeople(ctx context.Context, orgID tack.ID, fields []Field, vals map[string]any, prefix string) error {
	var depts map[tack.ID]bool
	for _, f := range fields {
		name := prefix + f.Key
		switch f.Type {
		case FieldPerson:
			ids := idsOf(vals[f.Key])
			for i, id := range ids {
				m, ok, err := s.activeUser(ctx, orgID, tack.ID(id))
				if err != nil {
					return err
				}
				if !ok {
					return tack.Invalid(name, "%s is not an active member", id)
				}
				ids[i] = string(m.UserID)
			}
			if len(ids) == 1 && !f.Multiple {
				vals[f.Key] = ids[0]
			}
		case FieldDepartment:
			if depts == nil {
				ds, err := s.dir.DirectoryDepartments(ctx, orgID)
				if err != nil {
					return err
				}
				depts = map[tack.ID]bool{}
				for _, d := range ds {
					depts[d.ID] = true
				}
			}
			for _, id := range idsOf(vals[f.Key]) {
				if !depts[tack.ID(id)] {
					return tack.Invalid(name, "%s is not a department", id)
				}
			}
		case FieldTable:
			rows, _ := vals[f.Key].([]map[string]any)
			for i, row := range rows {
				if err := s.checkPeople(ctx, orgID, f.Columns, row, fmt.Sprintf("%s%s[%d].", prefix, f.Key, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func idsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	}
	return nil
}

// kindRules applies the rules of the built-in kinds to a new instance:
// leave is counted and checked against its type and balance, overtime
// counted in hours, a make-up punch checked against attendance's quota
// and deadline, the times of outings and trips read, an expense's total
// summed. It returns the form (with computed values) and the amount
// conditions compare.
func (s *Service) kindRules(ctx context.Context, a *actor, t Template, in *Instance, vals map[string]any, autoReply bool) (*Decimal, error) {
	loc := s.zone(ctx, in.OrgID)
	switch t.Kind {
	case KindLeave:
		r := leave.Request{LeaveType: str(vals, "leave_type"), Start: str(vals, "start"), End: str(vals, "end"),
			StartHalf: str(vals, "start_half"), EndHalf: str(vals, "end_half"), Proof: len(idsOf(vals["attachments"])) > 0}
		if s.leave == nil {
			return nil, tack.Errorf(tack.EUnavailable, "leave is not available on this server")
		}
		q, err := s.leave.Quote(ctx, in.OrgID, a.me.UserID, r)
		if err != nil {
			return nil, prefixed(err)
		}
		if q.Balance != nil {
			_, lt, _, err := s.leave.Available(ctx, in.OrgID, a.me.UserID, q.LeaveType)
			if err != nil {
				return nil, err
			}
			pending, err := s.store.PendingLeave(ctx, in.OrgID, a.me.UserID, q.LeaveType)
			if err != nil {
				return nil, err
			}
			if left := *q.Balance - pending; left-q.Amount < -lt.NegativeLimit {
				return nil, tack.Errorf(tack.EConflict, "not enough %s: %s left (%s asked for in requests still running), %s asked",
					q.Name, left, pending, q.Amount)
			}
		}
		in.Leave = &LeaveInfo{Type: q.LeaveType, Name: q.Name, Unit: q.Unit, Amount: q.Amount, FromDate: q.FromDate, ToDate: q.ToDate, Days: q.Days}
		in.Span = &Span{Start: q.Start, End: q.End}
		d := Decimal(q.Amount) * (decimalScale / 100)
		return &d, s.awayOptions(ctx, in, vals, autoReply)
	case KindOvertime, KindOuting:
		start, err := parseLocal("form.start", str(vals, "start"), loc)
		if err != nil {
			return nil, err
		}
		end, err := parseLocal("form.end", str(vals, "end"), loc)
		if err != nil {
			return nil, err
		}
		if !end.After(start) || end.Sub(start) > 31*24*time.Hour {
			return nil, tack.Invalid("form.end", "end must be after start, within 31 days")
		}
		in.Span = &Span{Start: start.UTC(), End: end.UTC()}
		if t.Kind == KindOuting {
			return nil, nil
		}
		minutes := int64(end.Sub(start) / time.Minute)
		hours := leave.Amount((minutes*100 + 30) / 60)
		in.Leave = &LeaveInfo{Type: leave.CompTime, Unit: leave.UnitHour, Amount: hours, FromDate: start.In(loc).Format("2006-01-02"), ToDate: end.In(loc).Format("2006-01-02")}
		d := Decimal(hours) * (decimalScale / 100)
		return &d, nil
	case KindTrip:
		from, err := time.ParseInLocation("2006-01-02", str(vals, "start"), loc)
		if err != nil {
			return nil, tack.Invalid("form.start", "start must be a date")
		}
		to, err := time.ParseInLocation("2006-01-02", str(vals, "end"), loc)
		if err != nil || to.Before(from) || to.Sub(from) > 366*24*time.Hour {
			return nil, tack.Invalid("form.end", "end must be a date on or after start, within a year")
		}
		in.Span = &Span{Start: from.UTC(), End: to.AddDate(0, 0, 1).UTC()}
		days := Decimal(int64(to.Sub(from)/(24*time.Hour))+1) * decimalScale
		return &days, s.awayOptions(ctx, in, vals, autoReply)
	case KindMakeup:
		if s.att == nil {
			return nil, tack.Errorf(tack.EUnavailable, "attendance is not available on this server")
		}
		pair := 0
		if n, ok := vals["pair"].(Number); ok {
			if Decimal(n)%decimalScale != 0 || n < 0 || Decimal(n) > 2*decimalScale {
				return nil, tack.Invalid("form.pair", "pair is 0, 1 or 2")
			}
			pair = int(Decimal(n) / decimalScale)
		}
		err := s.att.CheckCorrection(ctx, attendance.Correction{OrgID: in.OrgID, UserID: a.me.UserID, WorkDate: str(vals, "work_date"),
			CheckType: str(vals, "check_type"), Pair: pair, AppliedAt: in.CreatedAt})
		if err != nil {
			return nil, prefixed(err)
		}
		return nil, nil
	case KindExpense:
		rows, _ := vals["items"].([]map[string]any)
		var total Decimal
		for i, r := range rows {
			m, _ := r["amount"].(Money)
			var ok bool
			if total, ok = total.Add(Decimal(m)); !ok {
				return nil, tack.Invalid(fmt.Sprintf("form.items[%d].amount", i), "the total is too large")
			}
		}
		if given, ok := vals["total"].(Money); ok && Decimal(given) != total {
			return nil, tack.Invalid("form.total", "total %s is not the sum of the items (%s)", Decimal(given).Format(2), total.Format(2))
		}
		vals["total"] = Money(total)
		return &total, nil
	}
	return nil, nil
}

// awayOptions reads the handover person and the automatic reply.
func (s *Service) awayOptions(ctx context.Context, in *Instance, vals map[string]any, autoReply bool) error {
	if h := str(vals, "handover"); h != "" {
		in.Handover = tack.ID(h)
	}
	in.AutoReply = autoReply
	return nil
}

func parseLocal(field, s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		return t, tack.Invalid(field, "%s must be a time like 2026-03-04 09:00", field)
	}
	return t, nil
}

// zone is the organisation's time zone.
func (s *Service) zone(ctx context.Context, orgID tack.ID) *time.Location {
	o, err := s.dir.DirectoryOrg(ctx, orgID)
	if err != nil || o.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// title is a line that says what a request is.
func (s *Service) title(name string, t Template, vals map[string]any) string {
	var parts []string
	switch t.Kind {
	case KindLeave, KindTrip, KindOuting, KindOvertime:
		a, b := str(vals, "start"), str(vals, "end")
		span := a
		if b != "" && b != a {
			span += " ~ " + b
		}
		if t.Kind == KindTrip {
			parts = append(parts, str(vals, "destination"))
		}
		parts = append(parts, span)
	case KindExpense:
		if m, ok := vals["total"].(Money); ok {
			parts = append(parts, "¥"+Decimal(m).Format(2))
		}
	case KindMakeup:
		parts = append(parts, str(vals, "work_date")+" "+str(vals, "check_type"))
	case KindGeneral:
		parts = append(parts, str(vals, "title"))
	}
	out := name + "的" + t.Name
	if p := strings.TrimSpace(strings.Join(parts, " ")); p != "" {
		out += " · " + p
	}
	return clipRunes(out, 200)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// load reads an instance and its tasks if the actor may read it; others
// get ENotFound.
func (s *Service) load(ctx context.Context, a *actor, id tack.ID) (Instance, []Task, error) {
	if !id.Valid() {
		return Instance{}, nil, errNoApproval
	}
	in, err := s.store.Instance(ctx, a.orgID, id)
	if errors.Is(err, tack.ErrNotFound) {
		return Instance{}, nil, errNoApproval
	} else if err != nil {
		return Instance{}, nil, err
	}
	tasks, err := s.store.Tasks(ctx, id)
	if err != nil {
		return Instance{}, nil, err
	}
	if !canRead(a, &in, tasks) {
		return Instance{}, nil, errNoApproval
	}
	return in, tasks, nil
}

// canRead: the originator, anyone with a task, the people CC'd, admins.
func canRead(a *actor, in *Instance, tasks []Task) bool {
	me := a.me.UserID
	if in.OriginatorID == me || slices.Contains(in.CC, me) || a.admin() {
		return true
	}
	return slices.ContainsFunc(tasks, func(t Task) bool { return t.ApproverID == me })
}

// Get returns one instance as the caller may see it.
func (s *Service) Get(ctx context.Context, orgID, id tack.ID) (View, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, a, id)
}

func (s *Service) view(ctx context.Context, a *actor, id tack.ID) (View, error) {
	in, tasks, err := s.load(ctx, a, id)
	if err != nil {
		return View{}, err
	}
	acts, err := s.store.Actions(ctx, id)
	if err != nil {
		return View{}, err
	}
	if tasks == nil {
		tasks = []Task{}
	}
	if acts == nil {
		acts = []Action{}
	}
	var fields []Field
	if t, err := s.templateVersion(ctx, a.orgID, in.Template, in.TemplateVersion); err == nil {
		fields = t.Fields
	}
	return View{Instance: in, Tasks: tasks, Actions: acts, Can: s.can(a, &in, tasks), Fields: nonNilFields(fields)}, nil
}

// can lists what the actor may do now.
func (s *Service) can(a *actor, in *Instance, tasks []Task) []string {
	me := a.me.UserID
	out := []string{"comment"}
	if in.Status == Running {
		for _, t := range tasks {
			if t.ApproverID == me && t.Status == TaskPending && t.Step == in.Current && t.Round == in.Round {
				out = append(out, ActApprove, ActReject, ActTransfer, "add")
				if s.returnTarget(in, -1) >= 0 {
					out = append(out, ActReturn)
				}
				break
			}
		}
		if in.OriginatorID == me {
			out = append(out, ActWithdraw, ActUrge)
		}
	}
	if in.Status == Approved && (a.admin() || in.OriginatorID == me && s.cancellable(in)) && in.Kind != KindMakeup {
		out = append(out, ActCancel)
	}
	if in.Status == Approved && in.OriginatorID == me && (in.Kind == KindLeave || in.Kind == KindTrip) && !in.Announced {
		out = append(out, ActAnnounce)
	}
	return out
}

// cancellable: the originator may cancel an approved request until its
// time starts (or, without a time, at any time).
func (s *Service) cancellable(in *Instance) bool {
	return in.Span == nil || s.now().Before(in.Span.Start)
}

// returnTarget is the step a return goes to: want if it is an earlier
// approver step, or (want < 0) the nearest earlier approver step with
// people; -1 if there is none.
func (s *Service) returnTarget(in *Instance, want int) int {
	if want >= 0 {
		if want < in.Current && in.Steps[want].Type == NodeApprover && len(in.Steps[want].Approvers) > 0 {
			return want
		}
		return -1
	}
	for k := in.Current - 1; k >= 0; k-- {
		if in.Steps[k].Type == NodeApprover && len(in.Steps[k].Approvers) > 0 {
			return k
		}
	}
	return -1
}

// orgNames returns the names of users in an organisation.
func (s *Service) name(ctx context.Context, orgID, userID tack.ID) string {
	if userID == "" {
		return ""
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, userID)
	if err != nil || m.Name == "" {
		return string(userID)
	}
	return m.Name
}

// amountText is an amount with its measure, in Chinese.
func amountText(l *LeaveInfo) string {
	if l == nil {
		return ""
	}
	unit := "天"
	if l.Unit == leave.UnitHour {
		unit = "小时"
	}
	return l.Amount.String() + unit
}

func nonNilFields(fs []Field) []Field {
	if fs == nil {
		return []Field{}
	}
	return fs
}

package approval

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// Template is a form and its flow. Built-in templates (leave, overtime,
// makeup, outing, trip, expense, general) exist in every organisation
// from the start; admins may change them (their fixed fields stay) and
// add their own. Every change makes a new version; an instance keeps the
// version it was made with.
type Template struct {
	ID          tack.ID   `json:"id"`
	OrgID       tack.ID   `json:"org_id"`
	Key         string    `json:"key"`
	Kind        string    `json:"kind"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Fields      []Field   `json:"fields"`
	Flow        []Node    `json:"flow"`
	Nobody      string    `json:"nobody"`
	AdminIDs    []tack.ID `json:"admin_ids,omitempty"`
	// Dedup: an approver who approves two steps in a row approves once.
	Dedup bool `json:"dedup"`
	// CompTime (overtime): approved hours are added to the comp time
	// balance.
	CompTime  bool      `json:"comp_time,omitempty"`
	Enabled   bool      `json:"enabled"`
	Builtin   bool      `json:"builtin"`
	Version   int       `json:"version"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

func managerFlow() []Node {
	return []Node{{ID: "manager", Type: NodeApprover, Name: "直属主管", Who: Who{Type: WhoManager, Level: 1}, Mode: ModeAny}}
}

// builtins are the built-in templates, version 1.
func builtins() []Template {
	reason := Field{Key: "reason", Type: FieldText, Label: "事由", MaxRunes: 500}
	handover := Field{Key: "handover", Type: FieldPerson, Label: "工作交接人"}
	attach := Field{Key: "attachments", Type: FieldAttachment, Label: "附件"}
	fixed := func(fs ...Field) []Field {
		for i := range fs {
			fs[i].Fixed = true
		}
		return fs
	}
	ts := []Template{
		{Key: KindLeave, Kind: KindLeave, Name: "请假", Fields: fixed(
			Field{Key: "leave_type", Type: FieldText, Label: "请假类型", Required: true, MaxRunes: 32},
			Field{Key: "start", Type: FieldDate, Label: "开始", Required: true, AnyTime: true},
			Field{Key: "end", Type: FieldDate, Label: "结束", Required: true, AnyTime: true},
			Field{Key: "start_half", Type: FieldSelect, Label: "开始于", Options: []string{"am", "pm"}},
			Field{Key: "end_half", Type: FieldSelect, Label: "结束于", Options: []string{"am", "pm"}},
			reason, handover, attach), Flow: managerFlow()},
		{Key: KindOvertime, Kind: KindOvertime, Name: "加班", CompTime: true, Fields: fixed(
			Field{Key: "start", Type: FieldDate, Label: "开始", Required: true, Time: true},
			Field{Key: "end", Type: FieldDate, Label: "结束", Required: true, Time: true},
			reason), Flow: managerFlow()},
		{Key: KindMakeup, Kind: KindMakeup, Name: "补卡", Fields: fixed(
			Field{Key: "work_date", Type: FieldDate, Label: "补卡日期", Required: true},
			Field{Key: "check_type", Type: FieldSelect, Label: "上班/下班", Required: true, Options: []string{"OnDuty", "OffDuty"}},
			Field{Key: "pair", Type: FieldNumber, Label: "第几段班次 (0 起)"},
			Field{Key: "reason", Type: FieldText, Label: "事由", Required: true, MaxRunes: 500}), Flow: managerFlow()},
		{Key: KindOuting, Kind: KindOuting, Name: "外出", Fields: fixed(
			Field{Key: "start", Type: FieldDate, Label: "开始", Required: true, Time: true},
			Field{Key: "end", Type: FieldDate, Label: "结束", Required: true, Time: true},
			Field{Key: "place", Type: FieldText, Label: "地点", MaxRunes: 200},
			reason), Flow: managerFlow()},
		{Key: KindTrip, Kind: KindTrip, Name: "出差", Fields: fixed(
			Field{Key: "start", Type: FieldDate, Label: "开始日期", Required: true},
			Field{Key: "end", Type: FieldDate, Label: "结束日期", Required: true},
			Field{Key: "destination", Type: FieldText, Label: "目的地", Required: true, MaxRunes: 200},
			reason, handover), Flow: managerFlow()},
		{Key: KindExpense, Kind: KindExpense, Name: "报销", Fields: fixed(
			Field{Key: "items", Type: FieldTable, Label: "费用明细", Required: true, Columns: []Field{
				{Key: "item", Type: FieldText, Label: "项目", Required: true, MaxRunes: 100},
				{Key: "amount", Type: FieldMoney, Label: "金额", Required: true},
				{Key: "date", Type: FieldDate, Label: "日期"},
			}},
			Field{Key: "total", Type: FieldMoney, Label: "合计"},
			reason, attach), Flow: []Node{
			{ID: "manager", Type: NodeApprover, Name: "直属主管", Who: Who{Type: WhoManager, Level: 1}, Mode: ModeAny},
			{ID: "large", Type: NodeBranch, Branches: []Branch{
				{Name: "≥ 5000", Priority: 1, Conditions: []Condition{{Field: "total", Op: ">=", Value: "5000"}}, Nodes: []Node{
					{ID: "manager2", Type: NodeApprover, Name: "二级主管", Who: Who{Type: WhoManager, Level: 2}, Mode: ModeAny}}},
				{Name: "其他", Priority: 2, Nodes: []Node{}},
			}},
		}},
		{Key: KindGeneral, Kind: KindGeneral, Name: "通用审批", Fields: fixed(
			Field{Key: "title", Type: FieldText, Label: "标题", Required: true, MaxRunes: 100},
			Field{Key: "content", Type: FieldText, Label: "内容", Required: true},
			attach), Flow: []Node{{ID: "chosen", Type: NodeApprover, Name: "审批人", Who: Who{Type: WhoChosen}, Mode: ModeSequential}}},
	}
	for i := range ts {
		ts[i].Nobody, ts[i].Enabled, ts[i].Builtin, ts[i].Version, ts[i].Dedup = NobodyAdmin, true, true, 1, true
	}
	return ts
}

func init() {
	for _, t := range builtins() {
		if err := validTemplate(&t); err != nil {
			panic("approval: built-in template " + t.Key + ": " + err.Error())
		}
	}
}

func builtin(key string) (Template, bool) {
	for _, t := range builtins() {
		if t.Key == key {
			return t, true
		}
	}
	return Template{}, false
}

// validTemplate checks a template and fills defaults.
func validTemplate(t *Template) error {
	if !validKey(t.Key) {
		return tack.Invalid("key", "key is 1–32 of a-z, 0-9 and _, starting with a letter")
	}
	var err error
	if t.Name, err = validLabel("name", t.Name); err != nil {
		return err
	}
	t.Description = strings.TrimSpace(t.Description)
	if utf8.RuneCountInString(t.Description) > 500 || !utf8.ValidString(t.Description) {
		return tack.Invalid("description", "description is at most 500 characters")
	}
	if len(t.Fields) == 0 {
		return tack.Invalid("fields", "a form needs at least one field")
	}
	if err := validFields("fields", t.Fields, false); err != nil {
		return err
	}
	if len(t.Flow) == 0 {
		return tack.Invalid("flow", "a flow needs at least one node")
	}
	if err := validFlow(t.Flow, t.Fields); err != nil {
		return err
	}
	switch t.Nobody {
	case "":
		t.Nobody = NobodyAdmin
	case NobodyAdmin, NobodyAutoApprove:
	default:
		return tack.Invalid("nobody", "nobody must be auto_approve or admin")
	}
	if len(t.AdminIDs) > MaxApprovers {
		return tack.Invalid("admin_ids", "at most %d approval admins", MaxApprovers)
	}
	for _, id := range t.AdminIDs {
		if !id.Valid() {
			return tack.Invalid("admin_ids", "%q is not an ID", clipKey(string(id)))
		}
	}
	if t.Kind != KindOvertime {
		t.CompTime = false
	}
	return nil
}

// template returns the organisation's current template of key.
func (s *Service) template(ctx context.Context, orgID tack.ID, key string) (Template, error) {
	if !validKey(key) {
		return Template{}, errNoTemplate
	}
	t, err := s.store.Template(ctx, orgID, key, 0)
	if errors.Is(err, tack.ErrNotFound) {
		b, ok := builtin(key)
		if !ok {
			return Template{}, errNoTemplate
		}
		b.OrgID = orgID
		return b, nil
	}
	return t, err
}

// templateVersion returns a version of a template (built-ins' version 1
// from code when never changed).
func (s *Service) templateVersion(ctx context.Context, orgID tack.ID, key string, version int) (Template, error) {
	t, err := s.store.Template(ctx, orgID, key, version)
	if errors.Is(err, tack.ErrNotFound) {
		if b, ok := builtin(key); ok && version == 1 {
			b.OrgID = orgID
			return b, nil
		}
		return Template{}, errNoTemplate
	}
	return t, err
}

// Templates lists the organisation's templates: built-ins (changed or
// not) and its own; disabled ones only for admins.
func (s *Service) Templates(ctx context.Context, orgID tack.ID) ([]Template, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return nil, err
	}
	stored, err := s.store.Templates(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []Template
	for _, b := range builtins() {
		b.OrgID = orgID
		if i := slices.IndexFunc(stored, func(t Template) bool { return t.Key == b.Key }); i >= 0 {
			b = stored[i]
		}
		out = append(out, b)
	}
	for _, t := range stored {
		if _, ok := builtin(t.Key); !ok {
			out = append(out, t)
		}
	}
	if !a.admin() {
		out = slices.DeleteFunc(out, func(t Template) bool { return !t.Enabled })
	}
	return out, nil
}

// Template returns one template (every member; disabled ones for admins).
func (s *Service) Template(ctx context.Context, orgID tack.ID, key string) (Template, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Template{}, err
	}
	t, err := s.template(ctx, orgID, key)
	if err != nil {
		return Template{}, err
	}
	if !t.Enabled && !a.admin() {
		return Template{}, errNoTemplate
	}
	return t, nil
}

// PutTemplate makes a template or a new version of one (admins). A
// built-in's kind and fixed fields stay; a custom template's kind is
// custom. prevVersion, when not 0, must be the current version
// (tack.EConflict otherwise), so two admins' edits do not silently undo
// each other.
func (s *Service) PutTemplate(ctx context.Context, orgID tack.ID, t Template, prevVersion int) (Template, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Template{}, err
	}
	if !a.admin() {
		return Template{}, errAdminOnly
	}
	cur, err := s.template(ctx, orgID, t.Key)
	exists := err == nil
	if err != nil && !errors.Is(err, errNoTemplate) {
		return Template{}, err
	}
	if !exists {
		if !validKey(t.Key) {
			return Template{}, tack.Invalid("key", "key is 1–32 of a-z, 0-9 and _, starting with a letter")
		}
		n, err := s.store.Templates(ctx, orgID)
		if err != nil {
			return Template{}, err
		}
		if len(n) >= MaxTemplates {
			return Template{}, tack.Errorf(tack.ETooLarge, "an organisation has at most %d templates", MaxTemplates)
		}
	}
	if prevVersion != 0 && (!exists || prevVersion != cur.Version) {
		return Template{}, tack.Errorf(tack.EConflict, "the template changed meanwhile (version %d); reload it", cur.Version)
	}
	if b, ok := builtin(t.Key); ok {
		t.Kind, t.Builtin = b.Kind, true
		// Fixed fields stay, as they were.
		for _, bf := range b.Fields {
			i := slices.IndexFunc(t.Fields, func(f Field) bool { return f.Key == bf.Key })
			if i < 0 {
				t.Fields = append(t.Fields, bf)
			} else {
				lbl := t.Fields[i].Label
				t.Fields[i] = bf
				if strings.TrimSpace(lbl) != "" {
					t.Fields[i].Label = lbl
				}
			}
		}
	} else {
		t.Kind, t.Builtin = KindCustom, false
	}
	for i := range t.Fields {
		if t.Fields[i].Fixed && !t.Builtin {
			t.Fields[i].Fixed = false
		}
	}
	if err := validTemplate(&t); err != nil {
		return Template{}, err
	}
	for _, id := range t.AdminIDs {
		if _, ok, err := s.activeUser(ctx, orgID, id); err != nil {
			return Template{}, err
		} else if !ok {
			return Template{}, tack.Invalid("admin_ids", "%s is not an active member", id)
		}
	}
	if err := s.checkFlowPeople(ctx, orgID, t.Flow); err != nil {
		return Template{}, err
	}
	prev := 0
	if exists {
		prev = cur.Version
		t.ID = cur.ID
	}
	if t.ID == "" {
		t.ID = tack.NewID()
	}
	t.OrgID, t.Version, t.UpdatedAt = orgID, prev+1, s.now()
	stored := prev
	if exists && cur.Builtin && cur.UpdatedAt.IsZero() {
		stored = 0 // a built-in never stored: its version 1 lives in code
	}
	err = s.store.Apply(ctx, Batch{Template: &TemplateWrite{Template: t, PrevVersion: stored},
		Audit: []Audit{{ID: tack.NewID(), OrgID: orgID, ActorID: a.me.UserID, Action: "template.put", Target: t.Key,
			Detail: map[string]any{"version": t.Version}, At: t.UpdatedAt}}})
	return t, err
}

// checkFlowPeople checks that the people a flow names are members.
func (s *Service) checkFlowPeople(ctx context.Context, orgID tack.ID, nodes []Node) error {
	for _, n := range nodes {
		for _, id := range n.Who.UserIDs {
			if _, ok, err := s.activeUser(ctx, orgID, id); err != nil {
				return err
			} else if !ok {
				return tack.Invalid("flow", "%s (node %s) is not an active member", id, n.ID)
			}
		}
		for _, b := range n.Branches {
			if err := s.checkFlowPeople(ctx, orgID, b.Nodes); err != nil {
				return err
			}
		}
	}
	return nil
}

package approval

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// TestTemplateValidation: every part of a template is checked, in order,
// a good part not ending the check; the name is trimmed, the description
// at most 500 characters, the approval admins at most MaxApprovers, the
// nobody rule admin by default, and comp time only for overtime.
func TestTemplateValidation(t *testing.T) {
	good := func() Template {
		return Template{Key: "trip_x", Name: " Trip ", Kind: KindCustom,
			Fields: []Field{{Key: "a", Type: FieldText, Label: "a"}},
			Flow:   []Node{{ID: "o", Type: NodeApprover, Who: Who{Type: WhoOriginator}}}}
	}
	admins := func(n int) []tack.ID {
		ids := make([]tack.ID, n)
		for i := range ids {
			ids[i] = id(fmt.Sprintf("a%03dz", i))
		}
		return ids
	}
	for _, c := range []struct {
		name string
		edit func(t *Template)
		want string // field of the error; "" = valid
	}{
		{"good", func(t *Template) {}, ""},
		{"no fields after a good name", func(t *Template) { t.Fields = nil }, "fields"},
		{"a blank name", func(t *Template) { t.Name = " " }, "name"},
		{"500 characters of description", func(t *Template) { t.Description = strings.Repeat("长", 500) }, ""},
		{"501 characters of description", func(t *Template) { t.Description = strings.Repeat("长", 501) }, "description"},
		{"no flow after good fields", func(t *Template) { t.Flow = nil }, "flow"},
		{"a bad nobody after a good flow", func(t *Template) { t.Nobody = "vote" }, "nobody"},
		{"MaxApprovers admins", func(t *Template) { t.AdminIDs = admins(MaxApprovers) }, ""},
		{"one admin more", func(t *Template) { t.AdminIDs = admins(MaxApprovers + 1) }, "admin_ids"},
	} {
		tpl := good()
		c.edit(&tpl)
		err := validTemplate(&tpl)
		if c.want == "" && err != nil || c.want != "" && (tack.ErrorCode(err) != tack.EInvalid || fieldOf(err) != c.want) {
			t.Errorf("%s: %v (field %q), want %q", c.name, err, fieldOf(err), c.want)
		}
	}
	tpl := good()
	if err := validTemplate(&tpl); err != nil || tpl.Name != "Trip" || tpl.Nobody != NobodyAdmin {
		t.Errorf("filled: name %q nobody %q %v", tpl.Name, tpl.Nobody, err)
	}
	for _, kind := range []string{KindOvertime, KindLeave, KindCustom} {
		tpl := good()
		tpl.Kind, tpl.CompTime = kind, true
		if err := validTemplate(&tpl); err != nil || tpl.CompTime != (kind == KindOvertime) {
			t.Errorf("%s: comp time %v %v", kind, tpl.CompTime, err)
		}
	}
}

func rbOwnerCtx() context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: uid("boss")})
}

// TestTemplatesListStoredVersions: the list holds every built-in, a
// changed one as stored, then the organisation's own templates.
func TestTemplatesListStoredVersions(t *testing.T) {
	s, st, _ := rbService(time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC))
	d := s.dir.(rbDir)
	st.templates[KindTrip] = Template{Key: KindTrip, Name: "Travel", Version: 2, Enabled: true}
	st.templates["own"] = Template{Key: "own", Name: "Own", Version: 1, Enabled: true}
	ts, err := s.Templates(rbOwnerCtx(), d.org)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ts {
		got = append(got, x.Key+":"+x.Name)
	}
	want := "leave:请假,overtime:加班,makeup:补卡,outing:外出,trip:Travel,expense:报销,general:通用审批,own:Own"
	if strings.Join(got, ",") != want {
		t.Errorf("templates %s, want %s", strings.Join(got, ","), want)
	}
}

// TestPutTemplateRules: an organisation holds at most MaxTemplates stored
// templates (a new key beyond is refused, a new version of one is not); a
// template keeps its ID across versions; a built-in's fixed field may be
// relabelled, and a blank label keeps the built-in's; approval admins
// must be active members.
func TestPutTemplateRules(t *testing.T) {
	ctx := rbOwnerCtx()
	custom := func(key string) Template {
		return Template{Key: key, Name: "x", Enabled: true, Fields: []Field{{Key: "a", Type: FieldText, Label: "a"}},
			Flow: []Node{{ID: "o", Type: NodeApprover, Who: Who{Type: WhoOriginator}}}}
	}
	t.Run("at most MaxTemplates", func(t *testing.T) {
		s, st, _ := rbService(time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC))
		orgID := s.dir.(rbDir).org
		for i := 0; i < MaxTemplates-1; i++ {
			k := fmt.Sprintf("t%03d", i)
			st.templates[k] = custom(k)
		}
		if _, err := s.PutTemplate(ctx, orgID, custom("last"), 0); err != nil {
			t.Fatalf("template %d: %v", MaxTemplates, err)
		}
		if _, err := s.PutTemplate(ctx, orgID, custom("more"), 0); tack.ErrorCode(err) != tack.ETooLarge {
			t.Errorf("template %d: %v, want too large", MaxTemplates+1, err)
		}
		if _, err := s.PutTemplate(ctx, orgID, custom("last"), 0); err != nil {
			t.Errorf("a new version at the limit: %v", err)
		}
	})
	t.Run("the ID stays", func(t *testing.T) {
		s, _, _ := rbService(time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC))
		orgID := s.dir.(rbDir).org
		v1, err := s.PutTemplate(ctx, orgID, custom("own"), 0)
		if err != nil || !v1.ID.Valid() || v1.Version != 1 {
			t.Fatalf("v1 %q %d %v", v1.ID, v1.Version, err)
		}
		v2, err := s.PutTemplate(ctx, orgID, custom("own"), 1)
		if err != nil || v2.ID != v1.ID || v2.Version != 2 {
			t.Errorf("v2 %q %d %v, want ID %q version 2", v2.ID, v2.Version, err, v1.ID)
		}
	})
	t.Run("fixed fields relabelled", func(t *testing.T) {
		s, st, _ := rbService(time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC))
		orgID := s.dir.(rbDir).org
		b, _ := builtin(KindTrip)
		b.Fields = []Field{{Key: "destination", Type: FieldNumber, Label: "去哪儿"}, {Key: "reason", Label: " "}}
		got, err := s.PutTemplate(ctx, orgID, b, 0)
		if err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{}
		for _, f := range got.Fields {
			labels[f.Key] = f.Label + "/" + f.Type
		}
		if labels["destination"] != "去哪儿/text" || labels["reason"] != "事由/text" || labels["start"] != "开始日期/date" {
			t.Errorf("labels %v", labels)
		}
		if x := st.templates[KindTrip]; x.Version != 2 || x.Fields[0].Label != "去哪儿" {
			t.Errorf("stored version %d, first label %q", x.Version, x.Fields[0].Label)
		}
	})
	t.Run("approval admins are members", func(t *testing.T) {
		s, st, _ := rbService(time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC))
		d := s.dir.(rbDir)
		orgID := d.org
		tpl := custom("own")
		tpl.AdminIDs = []tack.ID{uid("ada"), uid("eve")}
		got, err := s.PutTemplate(ctx, orgID, tpl, 0)
		if err != nil || got.Key != "own" || st.templates["own"].Key != "own" {
			t.Fatalf("put with member admins: %+v %v", got, err)
		}
		tpl.AdminIDs = []tack.ID{uid("ada"), uid("max")} // Max left
		if _, err := s.PutTemplate(ctx, orgID, tpl, 1); tack.ErrorCode(err) != tack.EInvalid || fieldOf(err) != "admin_ids" {
			t.Errorf("an admin who left: %v", err)
		}
		tpl.AdminIDs = nil
		tpl.Flow = []Node{{ID: "p", Type: NodeApprover, Who: Who{Type: WhoPerson, UserIDs: []tack.ID{uid("vic"), uid("max")}}}}
		if _, err := s.PutTemplate(ctx, orgID, tpl, 1); tack.ErrorCode(err) != tack.EInvalid || fieldOf(err) != "flow" {
			t.Errorf("an approver who left: %v", err)
		}
	})
}

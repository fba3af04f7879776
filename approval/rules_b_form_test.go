package approval

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tackhq/tack"
)

// TestFieldKeysAtTheirEdges: a key is 1–32 of a-z, 0-9 and _, starting
// with a letter; every edge of each range is in, the byte past it out.
func TestFieldKeysAtTheirEdges(t *testing.T) {
	for _, c := range []struct {
		key  string
		want bool
	}{
		{"a", true}, {"z", true}, {"za", true}, {"az", true}, {"a0", true}, {"a9", true}, {"a_", true},
		{strings.Repeat("k", 32), true}, {strings.Repeat("k", 33), false},
		{"", false}, {"0a", false}, {"_a", false}, {"A", false}, {"aA", false}, {"a-", false},
		{"a`", false}, {"a{", false}, {"a/", false}, {"a:", false}, {"`a", false}, {"{a", false},
	} {
		if got := validKey(c.key); got != c.want {
			t.Errorf("validKey(%q) = %v, want %v", c.key, got, c.want)
		}
	}
}

// TestFormLimitsAtTheEdge: labels, fields, max_runes, options and columns
// may be exactly at their limit, not one more.
func TestFormLimitsAtTheEdge(t *testing.T) {
	text := func(key string) Field { return Field{Key: key, Type: FieldText, Label: "l"} }
	nFields := func(n int) []Field {
		fs := make([]Field, n)
		for i := range fs {
			fs[i] = text(fmt.Sprintf("f%d", i))
		}
		return fs
	}
	options := func(n int) []string {
		o := make([]string, n)
		for i := range o {
			o[i] = fmt.Sprintf("o%d", i)
		}
		return o
	}
	for _, c := range []struct {
		name   string
		fields []Field
		code   string // "" = valid
		field  string
	}{
		{"a label of MaxNameRunes", []Field{{Key: "a", Type: FieldText, Label: strings.Repeat("长", MaxNameRunes)}}, "", ""},
		{"a label one longer", []Field{{Key: "a", Type: FieldText, Label: strings.Repeat("长", MaxNameRunes+1)}}, tack.EInvalid, "fields[0].label"},
		{"MaxFields fields", nFields(MaxFields), "", ""},
		{"one field more", nFields(MaxFields + 1), tack.ETooLarge, ""},
		{"max_runes of MaxTextRunes", []Field{{Key: "a", Type: FieldText, Label: "l", MaxRunes: MaxTextRunes}}, "", ""},
		{"max_runes one more", []Field{{Key: "a", Type: FieldText, Label: "l", MaxRunes: MaxTextRunes + 1}}, tack.EInvalid, "fields[0].max_runes"},
		{"MaxOptions options", []Field{{Key: "a", Type: FieldSelect, Label: "l", Options: options(MaxOptions)}}, "", ""},
		{"one option more", []Field{{Key: "a", Type: FieldSelect, Label: "l", Options: options(MaxOptions + 1)}}, tack.EInvalid, "fields[0].options"},
		{"MaxTableColumns columns", []Field{{Key: "a", Type: FieldTable, Label: "l", Columns: nFields(MaxTableColumns)}}, "", ""},
		{"one column more", []Field{{Key: "a", Type: FieldTable, Label: "l", Columns: nFields(MaxTableColumns + 1)}}, tack.EInvalid, "fields[0].columns"},
	} {
		err := validFields("fields", c.fields, false)
		if c.code == "" && err != nil || c.code != "" && (tack.ErrorCode(err) != c.code || fieldOf(err) != c.field) {
			t.Errorf("%s: %v (field %q), want %q on %q", c.name, err, fieldOf(err), c.code, c.field)
		}
	}
}

// TestEveryFieldIsChecked: a field whose label, options or columns are
// good does not end the check; the fields after it are checked too.
func TestEveryFieldIsChecked(t *testing.T) {
	bad := Field{Key: "Bad", Type: FieldText, Label: "x"}
	for _, c := range []struct {
		name   string
		fields []Field
		want   string
	}{
		{"after a labelled field", []Field{{Key: "a", Type: FieldText, Label: "x"}, bad}, "fields[1].key"},
		{"a bad max_runes after a good label", []Field{{Key: "a", Type: FieldText, Label: "x", MaxRunes: -1}}, "fields[0].max_runes"},
		{"a repeated option", []Field{{Key: "a", Type: FieldSelect, Label: "x", Options: []string{"p", " p "}}}, "fields[0].options"},
		{"a blank option", []Field{{Key: "a", Type: FieldSelect, Label: "x", Options: []string{"p", " "}}}, "fields[0].options"},
		{"after a select", []Field{{Key: "a", Type: FieldSelect, Label: "x", Options: []string{"p", "q"}}, bad}, "fields[1].key"},
		{"a bad column", []Field{{Key: "a", Type: FieldTable, Label: "x", Columns: []Field{bad}}}, "fields[0].columns[0].key"},
		{"after a table", []Field{{Key: "a", Type: FieldTable, Label: "x", Columns: []Field{{Key: "c", Type: FieldText, Label: "c"}}}, bad}, "fields[1].key"},
		{"a blank label", []Field{{Key: "a", Type: FieldText, Label: "  "}}, "fields[0].label"},
	} {
		if err := validFields("fields", c.fields, false); tack.ErrorCode(err) != tack.EInvalid || fieldOf(err) != c.want {
			t.Errorf("%s: %v (field %q), want invalid %s", c.name, err, fieldOf(err), c.want)
		}
	}
}

// TestFieldsAreCanonical: labels and options are trimmed; multiple belongs
// to people and departments only, time and any_time to dates and date
// ranges only, and any_time wins over time.
func TestFieldsAreCanonical(t *testing.T) {
	fs := []Field{
		{Key: "who", Type: FieldPerson, Label: " p ", Multiple: true, Time: true},
		{Key: "dept", Type: FieldDepartment, Label: "d", Multiple: true},
		{Key: "txt", Type: FieldText, Label: "t", Multiple: true, Time: true, AnyTime: true, Options: []string{"x"}},
		{Key: "day", Type: FieldDate, Label: "d", Time: true, Multiple: true},
		{Key: "span", Type: FieldDateRange, Label: "s", Time: true, AnyTime: true},
		{Key: "sel", Type: FieldSelect, Label: "s", Options: []string{" a ", "b"}},
		{Key: "tab", Type: FieldTable, Label: "t", Columns: []Field{{Key: "c", Type: FieldText, Label: " c ", Multiple: true}}},
	}
	if err := validFields("fields", fs, false); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(fs)
	want := `[{"key":"who","type":"person","label":"p","multiple":true},` +
		`{"key":"dept","type":"department","label":"d","multiple":true},` +
		`{"key":"txt","type":"text","label":"t"},` +
		`{"key":"day","type":"date","label":"d","time":true},` +
		`{"key":"span","type":"daterange","label":"s","any_time":true},` +
		`{"key":"sel","type":"select","label":"s","options":["a","b"]},` +
		`{"key":"tab","type":"table","label":"t","columns":[{"key":"c","type":"text","label":"c"}]}]`
	if string(got) != want {
		t.Errorf("fields\n%s\nwant\n%s", got, want)
	}
}

// TestFormValuesAtTheirEdges: text of exactly max_runes, money of 0, a
// range of one day, MaxSelected picks and people, MaxTableRows rows, and
// the first and last dates and times of 1970–2200 are accepted; one past
// each edge is refused. Rows with no value are left out.
func TestFormValuesAtTheirEdges(t *testing.T) {
	fields := []Field{
		{Key: "text", Type: FieldText, Label: "t", MaxRunes: 3},
		{Key: "money", Type: FieldMoney, Label: "m"},
		{Key: "day", Type: FieldDate, Label: "d"},
		{Key: "when", Type: FieldDate, Label: "w", Time: true},
		{Key: "span", Type: FieldDateRange, Label: "s"},
		{Key: "many", Type: FieldMulti, Label: "x", Options: []string{"a", "b"}},
		{Key: "whom", Type: FieldPerson, Label: "p", Multiple: true},
		{Key: "rows", Type: FieldTable, Label: "r", Columns: []Field{{Key: "note", Type: FieldText, Label: "n"}}},
	}
	if err := validFields("fields", fields, false); err != nil {
		t.Fatal(err)
	}
	list := func(s string, n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`"`+s+`",`, n), ",") + "]"
	}
	const pid = "0123456789abcdef"
	for _, c := range []struct {
		in, want, err string
	}{
		{`{"text": "长长长"}`, `{"text":"长长长"}`, ""},
		{`{"text": "长长长长"}`, "", "form.text"},
		{`{"money": 0}`, `{"money":"0.00"}`, ""},
		{`{"money": "-0.01"}`, "", "form.money"},
		{`{"day": "1970-01-01"}`, `{"day":"1970-01-01"}`, ""},
		{`{"day": "1969-12-31"}`, "", "form.day"},
		{`{"day": "2200-12-31"}`, `{"day":"2200-12-31"}`, ""},
		{`{"day": "2201-01-01"}`, "", "form.day"},
		{`{"when": "1970-01-01 00:00"}`, `{"when":"1970-01-01 00:00"}`, ""},
		{`{"when": "1969-12-31 23:59"}`, "", "form.when"},
		{`{"when": "2200-12-31 23:59"}`, `{"when":"2200-12-31 23:59"}`, ""},
		{`{"when": "2201-01-01 00:00"}`, "", "form.when"},
		{`{"span": {"start": "2026-03-04", "end": "2026-03-04"}}`, `{"span":{"end":"2026-03-04","start":"2026-03-04"}}`, ""},
		{`{"span": {"start": "2026-03-04", "end": "2026-03-03"}}`, "", "form.span.end"},
		{`{"many": ` + list("a", MaxSelected) + `}`, `{"many":["a"]}`, ""},
		{`{"many": ` + list("a", MaxSelected+1) + `}`, "", "form.many"},
		{`{"whom": ` + list(pid, MaxSelected) + `}`, `{"whom":["` + pid + `"]}`, ""},
		{`{"whom": ` + list(pid, MaxSelected+1) + `}`, "", "form.whom"},
		{`{"rows": ` + strings.Replace(list("x", MaxTableRows), `"x"`, `{"note":"n"}`, -1) + `}`, "", ""},
		{`{"rows": ` + strings.Replace(list("x", MaxTableRows+1), `"x"`, `{"note":"n"}`, -1) + `}`, "", "form.rows"},
		{`{"rows": [{}, {"note": " "}, {"note": "n"}]}`, `{"rows":[{"note":"n"}]}`, ""},
		{`{"rows": [{}, {"note": null}]}`, `{}`, ""},
	} {
		got, err := DecodeForm(fields, []byte(c.in))
		name := c.in
		if len(name) > 60 {
			name = name[:60]
		}
		if c.err != "" {
			if tack.ErrorCode(err) != tack.EInvalid || fieldOf(err) != c.err {
				t.Errorf("%s: %v (field %q), want invalid %s", name, err, fieldOf(err), c.err)
			}
			continue
		}
		if err != nil || c.want != "" && string(got) != c.want {
			t.Errorf("%s: %s %v, want %s", name, got, err, c.want)
		}
	}
}

// TestDecimalBounds: sums may reach ±maxDecimal, not pass it.
func TestDecimalBounds(t *testing.T) {
	for _, c := range []struct {
		a, b Decimal
		ok   bool
	}{
		{maxDecimal, 0, true}, {maxDecimal - 1, 1, true}, {maxDecimal, 1, false},
		{-maxDecimal, 0, true}, {-maxDecimal + 1, -1, true}, {-maxDecimal, -1, false},
	} {
		if r, ok := c.a.Add(c.b); ok != c.ok || r != c.a+c.b {
			t.Errorf("%d + %d = %d, %v; want %v", c.a, c.b, r, ok, c.ok)
		}
	}
	for _, c := range []struct {
		d    Decimal
		want string
	}{{0, "0.00"}, {-1, "-0.0001"}, {-10000, "-1.00"}, {1, "0.0001"}} {
		if got := c.d.Format(2); got != c.want {
			t.Errorf("Format(%d) = %s, want %s", c.d, got, c.want)
		}
	}
}

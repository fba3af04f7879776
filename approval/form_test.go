package approval

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// fuzzFields are fields of every type, a table among them.
var fuzzFields = []Field{
	{Key: "text", Type: FieldText, Label: "t", MaxRunes: 20},
	{Key: "num", Type: FieldNumber, Label: "n"},
	{Key: "money", Type: FieldMoney, Label: "m", Required: true},
	{Key: "day", Type: FieldDate, Label: "d"},
	{Key: "when", Type: FieldDate, Label: "w", Time: true},
	{Key: "either", Type: FieldDate, Label: "e", AnyTime: true},
	{Key: "span", Type: FieldDateRange, Label: "s"},
	{Key: "one", Type: FieldSelect, Label: "o", Options: []string{"a", "b", "长"}},
	{Key: "many", Type: FieldMulti, Label: "x", Options: []string{"a", "b"}},
	{Key: "who", Type: FieldPerson, Label: "p"},
	{Key: "whom", Type: FieldPerson, Label: "p", Multiple: true},
	{Key: "dept", Type: FieldDepartment, Label: "d"},
	{Key: "files", Type: FieldAttachment, Label: "f"},
	{Key: "rows", Type: FieldTable, Label: "r", Columns: []Field{
		{Key: "item", Type: FieldText, Label: "i", Required: true},
		{Key: "amount", Type: FieldMoney, Label: "a"},
	}},
}

func init() {
	if err := validFields("fields", fuzzFields, false); err != nil {
		panic(err)
	}
}

func TestDecodeForm(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{`{"money": 5000}`, `{"money":"5000.00"}`, ""},
		{`{"money": "0.10", "num": -1.2500, "text": "  hi  "}`, `{"money":"0.10","num":-1.25,"text":"hi"}`, ""},
		{`{"money": 1, "num": "12345678901234.9999"}`, `{"money":"1.00","num":12345678901234.9999}`, ""},
		{`{"money": 1, "num": 123456789012345}`, "", "form.num"},
		{`{"money": 1e3}`, "", "form.money"},
		{`{"money": 1.005}`, "", "form.money"},
		{`{"money": -1}`, "", "form.money"},
		{`{"money": "１"}`, "", "form.money"},
		{`{}`, "", "form.money"},
		{`{"money": 1, "day": "2026-02-29"}`, "", "form.day"},
		{`{"money": 1, "when": "2026-03-04 25:00"}`, "", "form.when"},
		{`{"money": 1, "either": "2026-03-04"}`, `{"either":"2026-03-04","money":"1.00"}`, ""},
		{`{"money": 1, "either": "2026-03-04T09:30"}`, `{"either":"2026-03-04 09:30","money":"1.00"}`, ""},
		{`{"money": 1, "span": {"start": "2026-03-05", "end": "2026-03-04"}}`, "", "form.span.end"},
		{`{"money": 1, "one": "c"}`, "", "form.one"},
		{`{"money": 1, "many": ["a", "a", "b"]}`, `{"many":["a","b"],"money":"1.00"}`, ""},
		{`{"money": 1, "who": "not an id"}`, "", "form.who"},
		{`{"money": 1, "whom": "0123456789abcdef"}`, "", "form.whom"},
		{`{"money": 1, "rows": [{"amount": 1}]}`, "", "form.rows[0].item"},
		{`{"money": 1, "rows": [{"item": "taxi", "amount": "<b>"}]}`, "", "form.rows[0].amount"},
		{`{"money": 1, "rows": [{"item": "<taxi>&"}]}`, `{"money":"1.00","rows":[{"item":"<taxi>&"}]}`, ""},
		{`{"money": 1, "text": "长长长长长长长长长长长长长长长长长长长长长"}`, "", "form.text"},
		{`{"money": 1, "extra": 1}`, "", "form.extra"},
		{`{"money": 1} {}`, "", "form"},
		{`[1]`, "", "form"},
	} {
		got, err := DecodeForm(fuzzFields, []byte(c.in))
		if c.err != "" {
			if fieldOf(err) != c.err {
				t.Errorf("%s: %v (field %q), want an error on %s", c.in, err, fieldOf(err), c.err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %s %v, want %s", c.in, got, err, c.want)
		}
	}
}

// FuzzDecodeForm: whatever comes in, the decoder does not panic; what it
// accepts it writes as canonical JSON that decodes to itself, with no
// float notation anywhere.
func FuzzDecodeForm(f *testing.F) {
	for _, s := range []string{
		`{"money": 5000}`, `{"money": "0.10", "num": -1.2500, "text": "hi"}`,
		`{"money": 1, "span": {"start": "2026-03-04", "end": "2026-03-05"}, "many": ["a"], "one": "长"}`,
		`{"money": 1, "rows": [{"item": "taxi", "amount": "12.30"}, {"item": "x"}], "files": ["0123456789abcdef"]}`,
		`{"money": 1, "who": "0123456789abcdef", "whom": ["0123456789abcdef"], "dept": "0123456789abcdef"}`,
		`{"money": 1, "when": "2026-03-04 09:00", "either": "2026-03-04", "day": "2026-03-04"}`,
		`{"money": null}`, `null`, ``, `{"money": 1, "num": 1e400}`, `{"money": "-0"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := DecodeForm(fuzzFields, in)
		if err != nil {
			if fieldOf(err) == "" {
				t.Fatalf("an error without a field: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out: %s", out)
		}
		again, err := DecodeForm(fuzzFields, out)
		if err != nil {
			t.Fatalf("canonical form refused: %s: %v", out, err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("not canonical:\n%s\n%s", out, again)
		}
		if bytes.ContainsAny(out, "eE") && strings.Contains(string(out), "e+") {
			t.Fatalf("float notation: %s", out)
		}
	})
}

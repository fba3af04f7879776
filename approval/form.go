package approval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// Field types of a form.
const (
	FieldText       = "text"
	FieldNumber     = "number"
	FieldMoney      = "money"
	FieldDate       = "date"      // YYYY-MM-DD, or with Time "YYYY-MM-DD HH:MM"
	FieldDateRange  = "daterange" // {"start": date, "end": date}
	FieldSelect     = "select"
	FieldMulti      = "multiselect"
	FieldPerson     = "person"     // a user or member ID; with Multiple, a list
	FieldDepartment = "department" // a department ID; with Multiple, a list
	FieldAttachment = "attachment" // a list of file IDs
	FieldTable      = "table"      // rows of Columns
)

var fieldTypes = []string{FieldText, FieldNumber, FieldMoney, FieldDate, FieldDateRange, FieldSelect, FieldMulti,
	FieldPerson, FieldDepartment, FieldAttachment, FieldTable}

// Field is one field of a form.
type Field struct {
	Key      string   `json:"key"`
	Type     string   `json:"type"`
	Label    string   `json:"label"`
	Required bool     `json:"required,omitempty"`
	Options  []string `json:"options,omitempty"`  // select, multiselect
	Multiple bool     `json:"multiple,omitempty"` // person, department
	MaxRunes int      `json:"max_runes,omitempty"`
	Time     bool     `json:"time,omitempty"`     // date, daterange: with a time of day
	AnyTime  bool     `json:"any_time,omitempty"` // date, daterange: with or without one
	Columns  []Field  `json:"columns,omitempty"`  // table
	// Fixed fields belong to a built-in kind and cannot be removed.
	Fixed bool `json:"fixed,omitempty"`
}

// validKey: 1–32 of a-z, 0-9, _ starting with a letter.
func validKey(k string) bool {
	if k == "" || len(k) > 32 || !(k[0] >= 'a' && k[0] <= 'z') {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func validLabel(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || utf8.RuneCountInString(s) > MaxNameRunes || !utf8.ValidString(s) {
		return "", tack.Invalid(field, "%s must be 1–%d characters", field, MaxNameRunes)
	}
	return s, nil
}

// validFields checks a form's fields (in a table: its columns).
func validFields(prefix string, fs []Field, inTable bool) error {
	if len(fs) > MaxFields {
		return tack.Errorf(tack.ETooLarge, "a form has at most %d fields", MaxFields)
	}
	seen := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		p := fmt.Sprintf("%s[%d]", prefix, i)
		if !validKey(f.Key) {
			return tack.Invalid(p+".key", "a field key is 1–32 of a-z, 0-9 and _, starting with a letter")
		}
		if seen[f.Key] {
			return tack.Invalid(p+".key", "two fields are called %s", f.Key)
		}
		seen[f.Key] = true
		if !slices.Contains(fieldTypes, f.Type) {
			return tack.Invalid(p+".type", "type must be one of %s", strings.Join(fieldTypes, ", "))
		}
		var err error
		if f.Label, err = validLabel(p+".label", f.Label); err != nil {
			return err
		}
		if f.MaxRunes < 0 || f.MaxRunes > MaxTextRunes {
			return tack.Invalid(p+".max_runes", "max_runes is at most %d", MaxTextRunes)
		}
		switch f.Type {
		case FieldSelect, FieldMulti:
			if len(f.Options) == 0 || len(f.Options) > MaxOptions {
				return tack.Invalid(p+".options", "a select needs 1–%d options", MaxOptions)
			}
			set := map[string]bool{}
			for j, o := range f.Options {
				if f.Options[j], err = validLabel(p+".options", o); err != nil {
					return err
				}
				if set[f.Options[j]] {
					return tack.Invalid(p+".options", "option %q is listed twice", o)
				}
				set[f.Options[j]] = true
			}
		default:
			f.Options = nil
		}
		if f.Type == FieldTable {
			if inTable {
				return tack.Invalid(p+".type", "a table cannot hold a table")
			}
			if len(f.Columns) == 0 || len(f.Columns) > MaxTableColumns {
				return tack.Invalid(p+".columns", "a table has 1–%d columns", MaxTableColumns)
			}
			if err := validFields(p+".columns", f.Columns, true); err != nil {
				return err
			}
		} else {
			f.Columns = nil
		}
		if f.Type != FieldPerson && f.Type != FieldDepartment {
			f.Multiple = false
		}
		if f.Type != FieldDate && f.Type != FieldDateRange {
			f.Time, f.AnyTime = false, false
		}
		if f.AnyTime {
			f.Time = false
		}
	}
	return nil
}

// DecodeForm reads a form's values (a JSON object) against its fields and
// returns them canonical: text trimmed, numbers and money exact (money
// written as a string with two decimals), dates checked, options among the
// field's, IDs well formed, empty optional values left out. Keys that are
// not fields, missing required values and values of the wrong shape are
// invalid input naming the field (form.KEY). DecodeForm is pure: whether
// people and departments exist is for the caller to check.
func DecodeForm(fields []Field, raw []byte) (json.RawMessage, error) {
	vals, err := decodeValues("form", fields, raw)
	if err != nil {
		return nil, err
	}
	return encodeValues(vals)
}

// encodeValues writes decoded values as canonical JSON.
func encodeValues(vals map[string]any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(vals); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

func decodeValues(prefix string, fields []Field, raw []byte) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var in map[string]json.RawMessage
	if err := dec.Decode(&in); err != nil {
		return nil, tack.Invalid(prefix, "%s must be a JSON object of field values", prefix)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, tack.Invalid(prefix, "unexpected data after %s", prefix)
	}
	out := map[string]any{}
	for k := range in {
		if !slices.ContainsFunc(fields, func(f Field) bool { return f.Key == k }) {
			return nil, tack.Invalid(prefix+"."+clipKey(k), "the form has no field %q", clipKey(k))
		}
	}
	for _, f := range fields {
		name := prefix + "." + f.Key
		r, ok := in[f.Key]
		var v any
		if ok && !isNull(r) {
			var err error
			if v, err = decodeValue(name, f, r); err != nil {
				return nil, err
			}
		}
		if v == nil {
			if f.Required {
				return nil, tack.Invalid(name, "%s (%s) is required", f.Label, f.Key)
			}
			continue
		}
		out[f.Key] = v
	}
	return out, nil
}

func clipKey(k string) string {
	if len(k) > 32 {
		k = k[:32]
	}
	return strings.ToValidUTF8(k, "")
}

func isNull(r json.RawMessage) bool { return string(bytes.TrimSpace(r)) == "null" }

// decodeValue reads one field's value; nil means empty.
func decodeValue(name string, f Field, r json.RawMessage) (any, error) {
	switch f.Type {
	case FieldText:
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, tack.Invalid(name, "%s must be text", name)
		}
		s = strings.TrimSpace(s)
		max := f.MaxRunes
		if max == 0 {
			max = MaxTextRunes
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
			return nil, tack.Invalid(name, "%s is at most %d characters", name, max)
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case FieldNumber, FieldMoney:
		places := 4
		if f.Type == FieldMoney {
			places = 2
		}
		s := string(bytes.TrimSpace(r))
		if strings.HasPrefix(s, `"`) {
			if err := json.Unmarshal(r, &s); err != nil {
				return nil, tack.Invalid(name, "%s must be a number", name)
			}
			if s == "" {
				return nil, nil
			}
		}
		d, ok := ParseDecimal(s, places)
		if !ok {
			return nil, tack.Invalid(name, "%s must be a number with at most %d decimals and %d digits before them", name, places, MaxDecimalDigits)
		}
		if f.Type == FieldMoney {
			if d < 0 {
				return nil, tack.Invalid(name, "%s must not be negative", name)
			}
			return Money(d), nil
		}
		return Number(d), nil
	case FieldDate:
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, tack.Invalid(name, "%s must be a date like 2026-03-04", name)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, nil
		}
		return canonicalDate(name, s, f.Time, f.AnyTime)
	case FieldDateRange:
		var rg struct {
			Start *string `json:"start"`
			End   *string `json:"end"`
		}
		if err := json.Unmarshal(r, &rg); err != nil || rg.Start == nil || rg.End == nil {
			return nil, tack.Invalid(name, `%s must be {"start": date, "end": date}`, name)
		}
		a, err := canonicalDate(name+".start", *rg.Start, f.Time, f.AnyTime)
		if err != nil {
			return nil, err
		}
		b, err := canonicalDate(name+".end", *rg.End, f.Time, f.AnyTime)
		if err != nil {
			return nil, err
		}
		if b < a {
			return nil, tack.Invalid(name+".end", "%s ends before it starts", name)
		}
		return map[string]string{"start": a, "end": b}, nil
	case FieldSelect:
		var s string
		if err := json.Unmarshal(r, &s); err != nil {
			return nil, tack.Invalid(name, "%s must be one of its options", name)
		}
		if s == "" {
			return nil, nil
		}
		if !slices.Contains(f.Options, s) {
			return nil, tack.Invalid(name, "%s must be one of: %s", name, strings.Join(f.Options, ", "))
		}
		return s, nil
	case FieldMulti:
		var list []string
		if err := json.Unmarshal(r, &list); err != nil {
			return nil, tack.Invalid(name, "%s must be a list of its options", name)
		}
		if len(list) > MaxSelected {
			return nil, tack.Invalid(name, "%s takes at most %d choices", name, MaxSelected)
		}
		out := []string{}
		for _, s := range list {
			if !slices.Contains(f.Options, s) {
				return nil, tack.Invalid(name, "%s must be among: %s", name, strings.Join(f.Options, ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case FieldPerson, FieldDepartment, FieldAttachment:
		multiple := f.Multiple || f.Type == FieldAttachment
		var list []string
		if multiple {
			if err := json.Unmarshal(r, &list); err != nil {
				return nil, tack.Invalid(name, "%s must be a list of IDs", name)
			}
		} else {
			var s string
			if err := json.Unmarshal(r, &s); err != nil {
				return nil, tack.Invalid(name, "%s must be an ID", name)
			}
			if s != "" {
				list = []string{s}
			}
		}
		if len(list) > MaxSelected {
			return nil, tack.Invalid(name, "%s takes at most %d", name, MaxSelected)
		}
		out := []string{}
		for _, s := range list {
			if !tack.ID(s).Valid() {
				return nil, tack.Invalid(name, "%s: %q is not an ID", name, clipKey(s))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		if !multiple {
			return out[0], nil
		}
		return out, nil
	case FieldTable:
		var rows []json.RawMessage
		if err := json.Unmarshal(r, &rows); err != nil {
			return nil, tack.Invalid(name, "%s must be a list of rows", name)
		}
		if len(rows) > MaxTableRows {
			return nil, tack.Invalid(name, "%s has at most %d rows", name, MaxTableRows)
		}
		out := []map[string]any{}
		for i, row := range rows {
			v, err := decodeValues(fmt.Sprintf("%s[%d]", name, i), f.Columns, row)
			if err != nil {
				return nil, err
			}
			if len(v) > 0 {
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return nil, tack.Invalid(name, "unknown field type %q", f.Type)
}

// canonicalDate checks a date (or with a time, "YYYY-MM-DD HH:MM") and
// returns it in canonical form.
func canonicalDate(name, s string, withTime, anyTime bool) (string, error) {
	s = strings.TrimSpace(s)
	if anyTime && len(s) > 10 {
		withTime = true
	}
	if withTime {
		for _, l := range []string{"2006-01-02 15:04", "2006-01-02T15:04"} {
			if t, err := time.Parse(l, s); err == nil && t.Year() >= 1970 && t.Year() <= 2200 {
				return t.Format("2006-01-02 15:04"), nil
			}
		}
		return "", tack.Invalid(name, "%s must be a time like 2026-03-04 09:00", name)
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil || t.Year() < 1970 || t.Year() > 2200 {
		return "", tack.Invalid(name, "%s must be a date like 2026-03-04", name)
	}
	return t.Format("2006-01-02"), nil
}

// values reads a canonical form back into Go values for conditions and
// built-in kinds.
func values(fields []Field, form json.RawMessage) map[string]any {
	v, err := decodeValues("form", fields, form)
	if err != nil {
		return map[string]any{}
	}
	return v
}

// str returns a text, select, date or single-ID value.
func str(v map[string]any, key string) string {
	s, _ := v[key].(string)
	return s
}

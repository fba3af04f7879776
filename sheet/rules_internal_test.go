package sheet

import (
	"bytes"
	"testing"
)

func TestDateFormat(t *testing.T) {
	for code, want := range map[string]bool{
		"yyyy-mm-dd":        true,
		"YYYY":              true,
		"d":                 true,
		"DD":                true,
		"mm:ss":             false, // minutes, no day or year
		"m/d":               true,
		"0.00":              false,
		`"yyyy"0`:           false, // quoted text
		`"a"d`:              true,  // the quote ends
		`\d0`:               false, // an escaped d
		`_d0`:               false, // a space as wide as d
		`*d0`:               false, // d repeated as filler
		"[Red]0":            false,
		"[$-804]0":          false,
		"[d]0":              false, // bracketed
		"[h]:mm":            false,
		"[Red]d":            true, // the bracket closes
		"#,##0;[Red]-#,##0": false,
		"General":           false,
		`yyyy"年"m"月"d"日"`:   true,
		`"m"`:               false,
		"":                  false,
	} {
		if got := dateFormat(code); got != want {
			t.Errorf("dateFormat(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestSerialDate(t *testing.T) {
	for _, c := range []struct {
		f        float64
		date1904 bool
		want     string
		ok       bool
	}{
		{0.5, false, "", false},
		{1, false, "1900-01-01", true},
		{59, false, "1900-02-28", true},
		{60, false, "1900-02-28", true}, // Excel's phantom 1900-02-29 (no such day): the day before
		{61, false, "1900-03-01", true},
		{44743, false, "2022-07-01", true},
		{44743.75, false, "2022-07-01", true}, // the time of day is dropped
		{2958465, false, "9999-12-31", true},
		{2958466, false, "", false},
		{1, true, "1904-01-02", true},
		{59, true, "1904-02-29", true},
		{-1, false, "", false},
	} {
		got, ok := serialDate(c.f, c.date1904)
		if got != c.want || ok != c.ok {
			t.Errorf("serialDate(%v, %v) = %q, %v; want %q, %v", c.f, c.date1904, got, ok, c.want, c.ok)
		}
	}
}

func TestColumn(t *testing.T) {
	for ref, want := range map[string]int{
		"A1": 1, "Z9": 26, "AA1": 27, "AZ3": 52, "BA1": 53, "ZZ1": 702, "AAA1": 703, "XFD1048576": 16384,
		"a1": 1, "ab2": 28, "1": 0, "": 0, "A": 1,
	} {
		if got := column(ref); got != want {
			t.Errorf("column(%q) = %d, want %d", ref, got, want)
		}
	}
	// A reference of many letters stops growing past 2^20 columns.
	if got := column("ZZZZZZZZZZZZZZZZZZZZ1"); got <= 1<<20 || got > 26*(1<<20)+26 {
		t.Errorf("column of 20 letters = %d, want just past 2^20", got)
	}
}

func TestCellValue(t *testing.T) {
	for in, want := range map[string]any{
		"":                 "",
		"0":                0,
		"7":                7,
		"1001":             1001,
		"-42":              -42,
		"-":                "-",
		"007":              "007", // a leading zero stays text (a code, not a number)
		"1.5":              "1.5",
		"12a":              "12a",
		"1-2":              "1-2",
		"999999999999999":  999999999999999,    // 15 digits
		"1000000000000000": "1000000000000000", // 16 digits: text, beyond a spreadsheet's precision
		"13800000002":      13800000002,
		"/":                "/",
		":":                ":",
	} {
		if got := cellValue(in); got != want {
			t.Errorf("cellValue(%q) = %#v, want %#v", in, got, want)
		}
	}
}

// TestCleanGB18030 finds a byte that is not GB18030 wherever it is, also
// where its U+FFFD straddles two of the 32 KB pieces the check reads.
func TestCleanGB18030(t *testing.T) {
	gb := []byte("\xd5\xc5\xc8\xfd,") // 张三, in GBK
	if !cleanGB18030(bytes.Repeat(gb, (1<<20)/len(gb))) {
		t.Fatal("clean GB18030 refused")
	}
	for _, at := range []int{0, 32<<10 - 2, 32<<10 - 1, 32 << 10, 64<<10 + 1, 100<<10 + 9} {
		data := bytes.Repeat([]byte("a"), 100<<10+10)
		data[at] = 0xFF // never a GB18030 byte
		if cleanGB18030(data) {
			t.Errorf("a bad byte at %d not found", at)
		}
	}
}

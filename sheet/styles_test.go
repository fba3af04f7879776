package sheet_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/tackhq/tack/sheet"
)

// TestBuiltInDateStyles: a number in a cell whose built-in number format
// is a date (14-17, 22, and the Chinese, Japanese and Korean 27-36 and
// 50-58) reads as a date; in any other format it stays a number.
func TestBuiltInDateStyles(t *testing.T) {
	ids := []int{13, 14, 17, 18, 21, 22, 23, 26, 27, 36, 37, 49, 50, 58, 59}
	var xfs, cells strings.Builder
	for i, id := range ids {
		fmt.Fprintf(&xfs, `<xf numFmtId="%d"/>`, id)
		fmt.Fprintf(&cells, `<c r="%c1" s="%d"><v>44743</v></c>`, 'A'+i, i)
	}
	fmt.Fprintf(&cells, `<c r="%c1" s="%d"><v>44743</v></c>`, 'A'+len(ids), len(ids)) // a style the file does not have
	styles := text("xl/styles.xml", `<styleSheet><cellXfs>`+xfs.String()+`</cellXfs></styleSheet>`)
	rows, err := sheet.Read(xlsxOf(t, styles, sheetXML(`<row r="1">`+cells.String()+`</row>`)), "", "")
	if err != nil {
		t.Fatal(err)
	}
	date := map[int]bool{14: true, 17: true, 22: true, 27: true, 36: true, 50: true, 58: true}
	for i, id := range ids {
		want := "44743"
		if date[id] {
			want = "2022-07-01"
		}
		if got := rows[0][i]; got != want {
			t.Errorf("number format %d: %q, want %q", id, got, want)
		}
	}
	if got := rows[0][len(ids)]; got != "44743" {
		t.Errorf("an unknown style: %q, want the number", got)
	}
}

// TestCellTypes: booleans, ISO dates, formulas' strings and errors, and
// numbers in scientific notation.
func TestCellTypes(t *testing.T) {
	rows, err := sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+
		`<c r="A1" t="b"><v>0</v></c><c r="B1" t="d"><v>2024-02-29T08:00:00</v></c><c r="C1" t="str"><v>=x</v></c>`+
		`<c r="D1" t="e"><v>#DIV/0!</v></c><c r="E1"><v>1.5E+3</v></c><c r="F1"><v>2e-2</v></c><c r="G1"><v>12.50</v></c>`+
		`<c r="H1"><v>n/a</v></c><c r="I1"><v></v></c><c r="J1" t="b"><v>1</v></c></row>`)), "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"FALSE", "2024-02-29", "=x", "#DIV/0!", "1500", "0.02", "12.50", "n/a", "", "TRUE"}
	if fmt.Sprint(rows[0]) != fmt.Sprint(want) {
		t.Errorf("cells %q, want %q", rows[0], want)
	}
}

// TestCSVSeparator: the separator is the commonest of comma, semicolon and
// tab on the first line; on a tie the comma wins, then the semicolon.
func TestCSVSeparator(t *testing.T) {
	for in, want := range map[string]string{
		"a,b,c\n1,2,3":       "[[a b c] [1 2 3]]",
		"a;b;c\n1;2;3":       "[[a b c] [1 2 3]]",
		"a\tb\tc\n1\t2\t3":   "[[a b c] [1 2 3]]",
		"a,b;c\n1,2;3":       "[[a b;c] [1 2;3]]",   // tie: comma
		"a;b\tc\n1;2\t3":     "[[a b\tc] [1 2\t3]]", // tie: semicolon
		"a,b\tc\n1,2\t3":     "[[a b\tc] [1 2\t3]]", // tie: comma
		"a;b;c,d\n1;2;3,4":   "[[a b c,d] [1 2 3,4]]",
		"a\tb\tc;d\n1\t2\t3": "[[a b c;d] [1 2 3]]",
	} {
		rows, err := sheet.Read([]byte(in), sheet.CSV, "")
		if err != nil || fmt.Sprint(rows) != want {
			t.Errorf("%q: %q, %v; want %s", in, rows, err, want)
		}
	}
}

// TestCSVLimitsAtTheEdge: exactly MaxRows rows, MaxColumns columns (empty
// trailing cells not counted) and MaxCell bytes a cell are accepted.
func TestCSVLimitsAtTheEdge(t *testing.T) {
	rows, err := sheet.Read([]byte(strings.Repeat("a\n", sheet.MaxRows)), "", "")
	if err != nil || len(rows) != sheet.MaxRows {
		t.Errorf("exactly %d rows: %d, %v", sheet.MaxRows, len(rows), err)
	}
	wide := strings.Repeat("a,", sheet.MaxColumns-1) + "a" + strings.Repeat(",", 10) + "\n"
	if rows, err := sheet.Read([]byte(wide), "", ""); err != nil || len(rows[0]) != sheet.MaxColumns {
		t.Errorf("exactly %d columns and empty ones after: %v", sheet.MaxColumns, err)
	}
	if _, err := sheet.Read([]byte(strings.Repeat("a,", sheet.MaxColumns)+"a\n"), "", ""); code(err) != "invalid" {
		t.Errorf("%d columns: %v", sheet.MaxColumns+1, err)
	}
	if _, err := sheet.Read([]byte(strings.Repeat("长", sheet.MaxCell/3)+"a\n"), "", ""); err != nil {
		t.Errorf("a cell of exactly %d bytes: %v", sheet.MaxCell, err)
	}
}

// TestCSVErrorsNameTheCell: an error names the row and column at fault,
// counted from 1 as a spreadsheet counts them.
func TestCSVErrorsNameTheCell(t *testing.T) {
	_, err := sheet.Read([]byte("a,b\nc,"+strings.Repeat("x", sheet.MaxCell+1)+"\n"), "", "")
	if code(err) != "invalid" || !strings.Contains(err.Error(), "row 2, column 2:") {
		t.Errorf("a cell too large at B2: %v", err)
	}
	_, err = sheet.Read([]byte("a\n"+strings.Repeat("a,", sheet.MaxColumns)+"a\n"), "", "")
	if code(err) != "invalid" || !strings.Contains(err.Error(), "row 2:") {
		t.Errorf("too many columns in row 2: %v", err)
	}
}

// TestReports: a report reads back as written; in XLSX the sheet has the
// name given, the first row is bold and frozen, whole numbers are numbers;
// a CSV report starts with a byte-order mark and ends lines in CRLF.
func TestReports(t *testing.T) {
	rows := [][]string{{"姓名", "工号", "天数"}, {"张三", "007", "12"}, {"李四", "E2", "-3"}}
	b, err := sheet.ReportXLSX("考勤", rows)
	if err != nil {
		t.Fatal(err)
	}
	got, err := sheet.Read(b, "", "")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("read back %q, %v; want %q", got, err, rows)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if names := f.GetSheetList(); len(names) != 1 || names[0] != "考勤" {
		t.Errorf("sheets %v", names)
	}
	if p, err := f.GetPanes("考勤"); err != nil || !p.Freeze || p.YSplit != 1 {
		t.Errorf("panes %+v, %v: want the first row frozen", p, err)
	}
	for cell, bold := range map[string]bool{"A1": true, "C1": true, "A2": false} {
		id, err := f.GetCellStyle("考勤", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Font != nil && st.Font.Bold; got != bold {
			t.Errorf("%s bold %v, want %v", cell, got, bold)
		}
	}
	// Numbers carry no string type (the stream writer leaves t off).
	for cell, number := range map[string]bool{"C2": true, "C3": true, "B2": false, "B3": false} {
		typ, err := f.GetCellType("考勤", cell)
		isString := typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString
		if err != nil || isString == number {
			t.Errorf("%s type %v, %v; want a number %v", cell, typ, err, number)
		}
	}
	if _, err := sheet.ReportXLSX("bad/name?", rows); err == nil {
		t.Error("a sheet name Excel refuses was accepted")
	}
	if got := string(sheet.ReportCSV(rows)); got != "\ufeff姓名,工号,天数\r\n张三,007,12\r\n李四,E2,-3\r\n" {
		t.Errorf("CSV report %q", got)
	}
}

// TestCSVCellLimit: exactly MaxCells filled cells are accepted, one more
// is too large; empty cells do not count.
func TestCSVCellLimit(t *testing.T) {
	row := strings.Repeat("a,", 9) + "a,,\n" // 10 filled, 2 empty
	all := strings.Repeat(row, sheet.MaxCells/10)
	if rows, err := sheet.Read([]byte(all), "", ""); err != nil || len(rows) != sheet.MaxCells/10 {
		t.Errorf("exactly %d cells: %d rows, %v", sheet.MaxCells, len(rows), err)
	}
	over := all[:len(all)-len(row)] + strings.Repeat("a,", 10) + "a\n"
	if _, err := sheet.Read([]byte(over), "", ""); code(err) != "too_large" {
		t.Errorf("%d cells: %v, want too_large", sheet.MaxCells+1, err)
	}
}

// TestXLSXPartAtItsLimit: a part of exactly MaxPart bytes is read; one
// byte more is refused as too large.
func TestXLSXPartAtItsLimit(t *testing.T) {
	styles := func(size int) part {
		head, tail := `<styleSheet><cellXfs><xf numFmtId="14"/></cellXfs><!--`, `--></styleSheet>`
		return text("xl/styles.xml", head+strings.Repeat(" ", size-len(head)-len(tail))+tail)
	}
	rows := sheetXML(`<row r="1"><c r="A1" s="0"><v>44743</v></c></row>`)
	got, err := sheet.Read(xlsxOf(t, styles(sheet.MaxPart), rows), "", "")
	if err != nil || len(got) != 1 || got[0][0] != "2022-07-01" {
		t.Errorf("styles of exactly %d bytes: %q, %v", sheet.MaxPart, got, err)
	}
	if _, err := sheet.Read(xlsxOf(t, styles(sheet.MaxPart+1), rows), "", ""); code(err) != "too_large" {
		t.Errorf("styles of %d bytes: %v, want too_large", sheet.MaxPart+1, err)
	}
}

// TestXLSXFirstSheetByRelation: the first worksheet is the one its
// relationship (r:id) names, not a part that happens to be called
// sheet1.xml; an "id" attribute outside the relationships namespace is
// not a relationship.
func TestXLSXFirstSheetByRelation(t *testing.T) {
	wb := `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="数据" sheetId="1" id="rId1" r:id="rId7"/><sheet name="旧" sheetId="2" r:id="rId1"/></sheets></workbook>`
	rels := `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/Data.xml"/>
</Relationships>`
	ws := func(v string) string {
		return `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>` +
			v + `</t></is></c></row></sheetData></worksheet>`
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range [][2]string{{"[Content_Types].xml", "<Types/>"}, {"xl/workbook.xml", wb}, {"xl/_rels/workbook.xml.rels", rels},
		{"xl/worksheets/sheet1.xml", ws("old")}, {"xl/worksheets/Data.xml", ws("right")}} {
		w, err := zw.Create(p[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(p[1]))
	}
	zw.Close()
	got, err := sheet.Read(buf.Bytes(), "", "")
	if err != nil || fmt.Sprint(got) != "[[right]]" {
		t.Errorf("read %q, %v; want the sheet r:id names ([[right]])", got, err)
	}
}

// TestXLSXDirectoryCount: the entry count is read from the end-of-central-
// directory record wherever it may be (at the very start, or before the
// longest comment a ZIP allows), and not from a record cut short.
func TestXLSXDirectoryCount(t *testing.T) {
	eocd := func(entries, comment int) []byte {
		r := []byte("PK\x05\x06\x00\x00\x00\x00")
		r = append(r, byte(entries), byte(entries>>8), byte(entries), byte(entries>>8))
		r = append(r, make([]byte, 8)...)
		return append(r, byte(comment), byte(comment>>8))
	}
	for name, c := range map[string]struct {
		data []byte
		code string
	}{
		"a record at the start":         {eocd(5000, 0), "too_large"},
		"before a comment of 65535":     {append(append([]byte("PK\x03\x04xxxx"), eocd(5000, 0xffff)...), bytes.Repeat([]byte("x"), 0xffff)...), "too_large"},
		"a record cut short at the end": {append([]byte("PK\x03\x04"+strings.Repeat("x", 40)), eocd(5000, 0)[:14]...), "invalid"},
		"no record":                     {[]byte("PK\x03\x04" + strings.Repeat("x", 40)), "invalid"},
	} {
		if _, err := sheet.Read(c.data, sheet.XLSX, ""); code(err) != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}

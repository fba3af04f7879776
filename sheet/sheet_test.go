package sheet_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/sheet"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// part is one file of a hand-made XLSX archive.
type part struct {
	name string
	body io.Reader
}

func text(name, s string) part { return part{name, strings.NewReader(s)} }

const workbook = `<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Members" sheetId="1" r:id="rId1"/></sheets></workbook>`

const rels = `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
</Relationships>`

// xlsxOf builds an XLSX archive by hand: the workbook, its relations and
// the parts given.
func xlsxOf(t testing.TB, parts ...part) []byte {
	t.Helper()
	all := append([]part{text("[Content_Types].xml", `<Types/>`), text("xl/workbook.xml", workbook), text("xl/_rels/workbook.xml.rels", rels)}, parts...)
	return zipOf(t, all...)
}

func sheetXML(rows string) part {
	return text("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+rows+`</sheetData></worksheet>`)
}

func code(err error) string { return tack.ErrorCode(err) }

func TestXLSXCells(t *testing.T) {
	styles := text("xl/styles.xml", `<styleSheet><numFmts count="1"><numFmt numFmtId="180" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>
<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="180"/><xf numFmtId="49"/></cellXfs></styleSheet>`)
	ss := text("xl/sharedStrings.xml", `<sst count="3" uniqueCount="3"><si><t>姓名</t></si><si><t>工号</t></si>`+
		`<si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r><rPh><t>ちょう</t></rPh></si><si><t>入职日期</t></si></sst>`)
	rows := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="s"><v>3</v></c></row>
<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1001</v></c><c r="C2" t="inlineStr"><is><t>x&amp;y</t></is></c><c r="D2" s="1"><v>44743</v></c></row>
<row r="4"><c r="A4" t="inlineStr"><is><t>李四</t></is></c><c r="B4" s="3"><v>13800000002</v></c><c r="D4" s="2"><v>45000</v></c><c r="E4" t="b"><v>1</v></c></row>
<row r="5"><c r="A5" s="1"/></row>`
	r, err := sheet.Open(xlsxOf(t, styles, ss, sheetXML(rows)), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	want := [][]string{
		{"姓名", "工号", "", "入职日期"},
		{"张三", "1001", "x&y", "2022-07-01"},
		{},
		{"李四", "13800000002", "", "2023-03-15", "TRUE"},
		{},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows\n got %q\nwant %q", got, want)
	}
	if r.Format != sheet.XLSX || r.Encoding != "" {
		t.Errorf("format %q encoding %q", r.Format, r.Encoding)
	}
}

func TestWriteXLSXReadsBack(t *testing.T) {
	rows := [][]string{{"name", "employee_no"}, {"张三", "E1"}, {"李四", "E2"}}
	var buf bytes.Buffer
	if err := sheet.WriteXLSX(&buf, rows); err != nil {
		t.Fatal(err)
	}
	got, err := sheet.Read(buf.Bytes(), "", "")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Fatalf("read back %q, %v", got, err)
	}
}

// repeat is a reader of n copies of s, made as it is read.
type repeat struct {
	s string
	n int
	b []byte
}

func (r *repeat) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		if r.n == 0 {
			return 0, io.EOF
		}
		r.n--
		r.b = []byte(r.s)
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func TestXLSXBombs(t *testing.T) {
	if raceDetector {
		t.Skip("slow under the race detector; scripts/test.sh runs it without")
	}
	head := `<sst>`
	cases := []struct {
		name  string
		parts []part
		code  string
	}{
		{"shared strings of 60 MB", []part{
			part{"xl/sharedStrings.xml", io.MultiReader(strings.NewReader(head), &repeat{s: "<si><t>" + strings.Repeat("x", 100) + "</t></si>", n: 540_000}, strings.NewReader("</sst>"))},
			sheetXML(`<row r="1"><c t="s"><v>0</v></c></row>`)}, "too_large"},
		{"a million tiny shared strings", []part{
			part{"xl/sharedStrings.xml", io.MultiReader(strings.NewReader(head), &repeat{s: "<si><t>x</t></si>", n: 1_000_000}, strings.NewReader("</sst>"))},
			sheetXML(`<row r="1"><c t="s"><v>0</v></c></row>`)}, "too_large"},
		{"a worksheet of 200 MB", []part{
			part{"xl/worksheets/sheet1.xml", io.MultiReader(strings.NewReader(`<worksheet><sheetData><row r="1"><c t="inlineStr"><is><t>a</t></is></c></row>`),
				&repeat{s: "<row><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/></row>", n: 2_500_000}, strings.NewReader("</sheetData></worksheet>"))}}, "too_large"},
		{"styles of 10 MB", []part{
			part{"xl/styles.xml", io.MultiReader(strings.NewReader("<styleSheet><cellXfs>"), &repeat{s: `<xf numFmtId="14"/>`, n: 600_000}, strings.NewReader("</cellXfs></styleSheet>"))},
			sheetXML(`<row r="1"><c><v>1</v></c></row>`)}, "too_large"},
		{"1.2 million cells", []part{
			part{"xl/worksheets/sheet1.xml", io.MultiReader(strings.NewReader(`<worksheet><sheetData>`),
				&repeat{s: `<row>` + strings.Repeat(`<c t="inlineStr"><is><t>a</t></is></c>`, 60) + `</row>`, n: 20_000},
				strings.NewReader("</sheetData></worksheet>"))}}, "too_large"},
		{"a column far to the right", []part{sheetXML(`<row r="1"><c r="XFD1" t="inlineStr"><is><t>a</t></is></c></row>`)}, "invalid"},
		{"a row far down", []part{sheetXML(`<row r="1"><c t="inlineStr"><is><t>a</t></is></c></row><row r="1048576"><c t="inlineStr"><is><t>a</t></is></c></row>`)}, "too_large"},
		{"a shared string that is not there", []part{sheetXML(`<row r="1"><c t="s"><v>7</v></c></row>`)}, "invalid"},
		{"broken XML", []part{sheetXML(`<row r="1"><c t="s"><v>0</c></row>`)}, "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := xlsxOf(t, c.parts...)
			_, err := sheet.Read(data, "", "")
			if code(err) != c.code {
				t.Fatalf("%d-byte file: %v, want %s", len(data), err, c.code)
			}
		})
	}
}

func TestXLSXSkipsFormattedRowsFarDown(t *testing.T) {
	data := xlsxOf(t, sheetXML(`<row r="1"><c t="inlineStr"><is><t>name</t></is></c></row><row r="2"><c t="inlineStr"><is><t>a</t></is></c></row><row r="1048576" ht="20" customHeight="1"><c s="1"/></row>`))
	rows, err := sheet.Read(data, "", "")
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}

func TestXLSXArchiveLies(t *testing.T) {
	// A part that says it unpacks to 10 bytes and unpacks to a megabyte.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range []part{text("xl/workbook.xml", workbook), text("xl/_rels/workbook.xml.rels", rels)} {
		w, _ := zw.Create(p.name)
		io.Copy(w, p.body)
	}
	body := `<worksheet><sheetData>` + strings.Repeat(`<row><c t="inlineStr"><is><t>a</t></is></c></row>`, 20000) + `</sheetData></worksheet>`
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate})
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, body)
	zw.Close()
	data := buf.Bytes()
	// Rewrite the sizes in the central directory to 10.
	cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
	if cd < 0 {
		t.Fatal("no central directory")
	}
	copy(data[cd+24:cd+28], []byte{10, 0, 0, 0})
	if _, err := sheet.Read(data, "", ""); code(err) != "invalid" {
		t.Fatalf("lying sizes: %v", err)
	}
}

func TestXLSXTooManyParts(t *testing.T) {
	parts := []part{sheetXML(`<row r="1"><c><v>1</v></c></row>`)}
	for i := range 1200 {
		parts = append(parts, text(fmt.Sprintf("junk/%d", i), ""))
	}
	if _, err := sheet.Read(xlsxOf(t, parts...), "", ""); code(err) != "too_large" {
		t.Fatalf("1,200 parts: %v", err)
	}
	if _, err := sheet.Read([]byte("PK\x03\x04garbage"), "", ""); code(err) != "invalid" {
		t.Fatalf("garbage: %v", err)
	}
}

func TestCSVEncodings(t *testing.T) {
	const s = "姓名,工号\n张三,E1\n李四,E2\n"
	want := [][]string{{"姓名", "工号"}, {"张三", "E1"}, {"李四", "E2"}}
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	u16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(strings.ReplaceAll(s, ",", "\t")))
	cases := []struct {
		name     string
		data     []byte
		encoding string
	}{
		{"utf-8", []byte(s), sheet.UTF8},
		{"utf-8 with a BOM", append([]byte("\xef\xbb\xbf"), s...), sheet.UTF8},
		{"GBK from Chinese Excel", gbk, sheet.GB18030},
		{"UTF-16 tab-separated (Excel's Unicode text)", u16, sheet.UTF16},
		{"semicolons", []byte(strings.ReplaceAll(s, ",", ";")), sheet.UTF8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := sheet.Open(c.data, "", "")
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			for {
				row, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, row)
			}
			if !slices.EqualFunc(got, want, slices.Equal) || r.Encoding != c.encoding || !r.Guessed || r.Undecided {
				t.Fatalf("got %q as %s (guessed %v, undecided %v)", got, r.Encoding, r.Guessed, r.Undecided)
			}
		})
	}
	// Neither UTF-8 nor GB18030: read as UTF-8, said so.
	r, err := sheet.Open([]byte("name\n\xff\xfe\xfd\x80\n"), "", "")
	if err != nil || !r.Undecided || r.Encoding != sheet.UTF8 {
		t.Fatalf("undecidable: %+v %v", r, err)
	}
	// Forced encodings still work; a wrong one is refused.
	if rows, err := sheet.Read(gbk, "", "gbk"); err != nil || rows[1][0] != "张三" {
		t.Fatalf("forced gbk: %q %v", rows, err)
	}
	if _, err := sheet.Read([]byte("a\n\xff\n"), "", "gb18030"); code(err) != "invalid" {
		t.Fatalf("not gb18030: %v", err)
	}
	if _, err := sheet.Read([]byte("a\n"), "", "latin-9"); code(err) != "invalid" {
		t.Fatalf("unknown encoding: %v", err)
	}
}

func TestCSVLimits(t *testing.T) {
	var b strings.Builder
	for range sheet.MaxRows + 1 {
		b.WriteString("a\n")
	}
	if _, err := sheet.Read([]byte(b.String()), "", ""); code(err) != "too_large" {
		t.Errorf("too many rows: %v", err)
	}
	if _, err := sheet.Read([]byte(strings.Repeat("a,", 70)+"\n"), "", ""); code(err) != "invalid" {
		t.Errorf("too many columns: %v", err)
	}
	if _, err := sheet.Read([]byte(strings.Repeat("a", 1001)+"\n"), "", ""); code(err) != "invalid" {
		t.Errorf("too large a cell: %v", err)
	}
	if _, err := sheet.Read([]byte("name,employee_no\n\"A,E1\nB,E2\n"), "", ""); code(err) != "invalid" {
		t.Errorf("bad quoting: %v", err)
	}
}

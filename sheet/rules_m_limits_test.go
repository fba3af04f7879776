package sheet_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tackhq/tack/sheet"
)

// inline is a cell at ref holding the inline string s.
func inline(ref, s string) string {
	return `<c r="` + ref + `" t="inlineStr"><is><t>` + s + `</t></is></c>`
}

// TestXLSXExactlyMaxPartsIsRead: an archive of exactly MaxParts entries is
// read; one entry more is refused as too large.
func TestXLSXExactlyMaxPartsIsRead(t *testing.T) {
	build := func(entries int) []byte {
		parts := []part{sheetXML(`<row r="1">` + inline("A1", "a") + `</row>`)}
		for i := range entries - 4 { // xlsxOf adds the content types, the workbook and its relations
			parts = append(parts, text(fmt.Sprintf("junk/%d", i), ""))
		}
		return xlsxOf(t, parts...)
	}
	if rows, err := sheet.Read(build(sheet.MaxParts), "", ""); err != nil || fmt.Sprint(rows) != "[[a]]" {
		t.Errorf("%d parts: %q, %v; want [[a]]", sheet.MaxParts, rows, err)
	}
	if _, err := sheet.Read(build(sheet.MaxParts+1), "", ""); code(err) != "too_large" {
		t.Errorf("%d parts: %v, want too_large", sheet.MaxParts+1, err)
	}
}

// TestXLSXRowNumbersIncrease: a row whose number is that of the row
// before it is out of order and refused as invalid, like one that goes
// back; the error names the row after the last one read.
func TestXLSXRowNumbersIncrease(t *testing.T) {
	for name, c := range map[string]struct{ rows, near string }{
		"the same number twice": {`<row r="1">` + inline("A1", "a") + `</row><row r="1">` + inline("A1", "b") + `</row>`, "near row 2"},
		"a number going back":   {`<row r="2">` + inline("A2", "a") + `</row><row r="1">` + inline("A1", "b") + `</row>`, "near row 3"},
	} {
		_, err := sheet.Read(xlsxOf(t, sheetXML(c.rows)), "", "")
		if code(err) != "invalid" || !strings.Contains(err.Error(), "out of order "+c.near) {
			t.Errorf("%s: %v, want invalid (rows out of order %s)", name, err, c.near)
		}
	}
}

// TestXLSXRowMaxRowsIsRead: a filled row numbered exactly MaxRows is read
// (after MaxRows-1 empty ones); a filled row numbered MaxRows+1 is refused
// as too large.
func TestXLSXRowMaxRowsIsRead(t *testing.T) {
	at := func(n int) []byte {
		return xlsxOf(t, sheetXML(fmt.Sprintf(`<row r="%d">`, n)+inline(fmt.Sprintf("A%d", n), "last")+`</row>`))
	}
	rows, err := sheet.Read(at(sheet.MaxRows), "", "")
	if err != nil || len(rows) != sheet.MaxRows || fmt.Sprint(rows[sheet.MaxRows-1]) != "[last]" {
		t.Errorf("a row numbered %d: %d rows, %v", sheet.MaxRows, len(rows), err)
	}
	if _, err := sheet.Read(at(sheet.MaxRows+1), "", ""); code(err) != "too_large" {
		t.Errorf("a row numbered %d: %v, want too_large", sheet.MaxRows+1, err)
	}
}

// TestXLSXCellReferencesIncrease: a cell whose reference is that of the
// cell before it is out of order and refused as invalid; a cell without
// a reference is the one after the cell before it, so a reference that
// names it again is out of order too.
func TestXLSXCellReferencesIncrease(t *testing.T) {
	for name, row := range map[string]string{
		"the same reference twice":             inline("B1", "a") + inline("B1", "b"),
		"A1 after an unreferenced first cell":  `<c t="inlineStr"><is><t>a</t></is></c>` + inline("A1", "b"),
		"C1 after B1 and an unreferenced cell": inline("B1", "a") + `<c t="inlineStr"><is><t>b</t></is></c>` + inline("C1", "c"),
	} {
		_, err := sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+row+`</row>`)), "", "")
		if code(err) != "invalid" || !strings.Contains(err.Error(), "out of order") {
			t.Errorf("%s: %v, want invalid (cells out of order)", name, err)
		}
	}
}

// TestXLSXUnreferencedCellsFollow: cells without a reference take the
// columns after the cell before them, and an error names that column.
func TestXLSXUnreferencedCellsFollow(t *testing.T) {
	row := inline("B1", "b") + `<c t="inlineStr"><is><t>c</t></is></c>` + inline("E1", "e")
	rows, err := sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+row+`</row>`)), "", "")
	if err != nil || fmt.Sprint(rows) != "[[ b c  e]]" {
		t.Errorf("B1, an unreferenced cell, E1: %q, %v; want [[ b c  e]]", rows, err)
	}
	big := inline("B1", "b") + `<c t="inlineStr"><is><t>` + strings.Repeat("x", sheet.MaxCell+1) + `</t></is></c>`
	_, err = sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+big+`</row>`)), "", "")
	if code(err) != "invalid" || !strings.Contains(err.Error(), "row 1, column 3:") {
		t.Errorf("a cell too large after B1: %v, want invalid naming row 1, column 3", err)
	}
}

// TestXLSXExactlyMaxColumnsIsRead: a cell in column MaxColumns (BL) is
// read; a cell in the column after (BM) is refused as invalid.
func TestXLSXExactlyMaxColumnsIsRead(t *testing.T) {
	if sheet.MaxColumns != 64 {
		t.Fatalf("MaxColumns is %d: the references below name columns 64 and 65", sheet.MaxColumns)
	}
	rows, err := sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+inline("BL1", "z")+`</row>`)), "", "")
	if err != nil || len(rows) != 1 || len(rows[0]) != sheet.MaxColumns || rows[0][sheet.MaxColumns-1] != "z" {
		t.Errorf("a cell in column %d: %q, %v", sheet.MaxColumns, rows, err)
	}
	_, err = sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+inline("BM1", "z")+`</row>`)), "", "")
	if code(err) != "invalid" || !strings.Contains(err.Error(), "more than 64 columns") {
		t.Errorf("a cell in column %d: %v, want invalid", sheet.MaxColumns+1, err)
	}
}

// TestXLSXCellOfExactlyMaxCellIsRead: a cell of exactly MaxCell bytes is
// read, from an inline string or a value; one byte more is refused as
// invalid, naming the cell.
func TestXLSXCellOfExactlyMaxCellIsRead(t *testing.T) {
	for name, cell := range map[string]func(string) string{
		"inline": func(s string) string { return inline("A1", s) },
		"value":  func(s string) string { return `<c r="A1" t="str"><v>` + s + `</v></c>` },
	} {
		s := strings.Repeat("长", sheet.MaxCell/3) + "a" // 999 + 1 bytes
		rows, err := sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+cell(s)+`</row>`)), "", "")
		if err != nil || len(rows) != 1 || rows[0][0] != s {
			t.Errorf("%s: a cell of exactly %d bytes: %v", name, sheet.MaxCell, err)
		}
		_, err = sheet.Read(xlsxOf(t, sheetXML(`<row r="1">`+cell(s+"b")+`</row>`)), "", "")
		if code(err) != "invalid" || !strings.Contains(err.Error(), "row 1, column 1:") {
			t.Errorf("%s: a cell of %d bytes: %v, want invalid naming row 1, column 1", name, sheet.MaxCell+1, err)
		}
	}
}

// TestXLSXRawValueUpTo4MaxCell: the raw text of a cell is held up to
// 4×MaxCell bytes, because what it means can be shorter (a date with its
// time, a boolean): a raw value of exactly 4×MaxCell bytes is read, one
// byte more is refused as invalid however short its meaning.
func TestXLSXRawValueUpTo4MaxCell(t *testing.T) {
	date := func(size int) []byte {
		v := "2024-02-29T08:00:00"
		v += strings.Repeat("0", size-len(v))
		return xlsxOf(t, sheetXML(`<row r="1"><c r="A1" t="d"><v>`+v+`</v></c></row>`))
	}
	rows, err := sheet.Read(date(4*sheet.MaxCell), "", "")
	if err != nil || fmt.Sprint(rows) != "[[2024-02-29]]" {
		t.Errorf("a raw date of %d bytes: %q, %v; want [[2024-02-29]]", 4*sheet.MaxCell, rows, err)
	}
	if _, err := sheet.Read(date(4*sheet.MaxCell+1), "", ""); code(err) != "invalid" {
		t.Errorf("a raw date of %d bytes: %v, want invalid", 4*sheet.MaxCell+1, err)
	}
}

// readAll reads every row of r.
func readAll(r *sheet.Rows) ([][]string, error) {
	var out [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, row)
	}
}

package sheet_test

import (
	"archive/zip"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tackhq/tack/sheet"
)

// zipOf builds an archive of exactly the parts given.
func zipOf(t testing.TB, parts ...part) []byte {
	t.Helper()
	return archiveOf(t, zip.Deflate, nil, parts...)
}

// relsOf is a workbook's relations: the first worksheet (rId1) and the
// targets given, by type (sharedStrings, styles).
func relsOf(targets map[string]string) part {
	var b strings.Builder
	b.WriteString(`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`)
	i := 2
	for typ, target := range targets {
		fmt.Fprintf(&b, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/%s" Target="%s"/>`, i, typ, target)
		i++
	}
	b.WriteString(`</Relationships>`)
	return text("xl/_rels/workbook.xml.rels", b.String())
}

func sst(strs ...string) string {
	var b strings.Builder
	b.WriteString(`<sst>`)
	for _, s := range strs {
		b.WriteString(`<si><t>` + s + `</t></si>`)
	}
	b.WriteString(`</sst>`)
	return b.String()
}

const dateStyles = `<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>`
const plainStyles = `<styleSheet><cellXfs><xf numFmtId="0"/><xf numFmtId="0"/></cellXfs></styleSheet>`

// TestXLSXDefaultSharedStringsAndStyles: when the workbook's relations
// name no shared strings or styles, xl/sharedStrings.xml and
// xl/styles.xml are read if the archive has them; when the relations name
// them, the parts named are read and not those.
func TestXLSXDefaultSharedStringsAndStyles(t *testing.T) {
	for name, c := range map[string]struct {
		parts []part
		want  string
	}{
		"not named: the default parts": {[]part{relsOf(nil),
			text("xl/sharedStrings.xml", sst("默认")), text("xl/styles.xml", dateStyles)}, "[[默认 2022-07-01]]"},
		"named: the parts named": {[]part{relsOf(map[string]string{"sharedStrings": "strings2.xml", "styles": "styles2.xml"}),
			text("xl/sharedStrings.xml", sst("默认")), text("xl/styles.xml", dateStyles),
			text("xl/strings2.xml", sst("named")), text("xl/styles2.xml", plainStyles)}, "[[named 44743]]"},
	} {
		base := []part{text("[Content_Types].xml", `<Types/>`), text("xl/workbook.xml", workbook),
			sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>44743</v></c></row>`)}
		rows, err := sheet.Read(zipOf(t, append(base, c.parts...)...), "", "")
		if err != nil || fmt.Sprint(rows) != c.want {
			t.Errorf("%s: %q, %v; want %s", name, rows, err, c.want)
		}
	}
}

// sharedPart is a shared strings part of n strings of size bytes each
// (the last one extra bytes longer), made as it is read.
func sharedPart(n, size, extra int) part {
	si := "<si><t>" + strings.Repeat("x", size) + "</t></si>"
	last := "<si><t>" + strings.Repeat("x", size+extra) + "</t></si>"
	return part{"xl/sharedStrings.xml", io.MultiReader(strings.NewReader("<sst>"), &repeat{s: si, n: n - 1}, strings.NewReader(last+"</sst>"))}
}

// firstShared is a worksheet whose one cell is the first shared string.
func firstShared() part { return sheetXML(`<row r="1"><c r="A1" t="s"><v>0</v></c></row>`) }

// oneInline is a worksheet whose one cell is an inline string "ok".
func oneInline() part { return sheetXML(`<row r="1">` + inline("A1", "ok") + `</row>`) }

// TestXLSXSharedTextUpToMaxSharedText: shared strings holding exactly
// MaxSharedText bytes of text are read; one byte more is refused as too
// large.
func TestXLSXSharedTextUpToMaxSharedText(t *testing.T) {
	if raceDetector {
		t.Skip("slow under the race detector; scripts/test.sh runs it without")
	}
	const size = 256 << 10
	n := sheet.MaxSharedText / size
	rows, err := sheet.Read(xlsxOf(t, sharedPart(n, size, 0), oneInline()), "", "")
	if err != nil || fmt.Sprint(rows) != "[[ok]]" {
		t.Errorf("exactly %d bytes of shared text: %v", sheet.MaxSharedText, err)
	}
	if _, err := sheet.Read(xlsxOf(t, sharedPart(n, size, 1), oneInline()), "", ""); code(err) != "too_large" {
		t.Errorf("%d bytes of shared text: %v, want too_large", sheet.MaxSharedText+1, err)
	}
}

// TestXLSXUpToMaxSharedStrings: exactly MaxSharedStrings shared strings
// are read; one more is refused as too large.
func TestXLSXUpToMaxSharedStrings(t *testing.T) {
	if raceDetector {
		t.Skip("slow under the race detector; scripts/test.sh runs it without")
	}
	if _, err := sheet.Read(xlsxOf(t, sharedPart(sheet.MaxSharedStrings, 1, 0), firstShared()), "", ""); err != nil {
		t.Errorf("exactly %d shared strings: %v", sheet.MaxSharedStrings, err)
	}
	if _, err := sheet.Read(xlsxOf(t, sharedPart(sheet.MaxSharedStrings+1, 1, 0), firstShared()), "", ""); code(err) != "too_large" {
		t.Errorf("%d shared strings: %v, want too_large", sheet.MaxSharedStrings+1, err)
	}
}

// TestXLSXSharedXMLUpToMaxSharedXML: a shared strings part that unpacks
// to exactly MaxSharedXML bytes is read; one byte more is refused as too
// large.
func TestXLSXSharedXMLUpToMaxSharedXML(t *testing.T) {
	if raceDetector {
		t.Skip("slow under the race detector; scripts/test.sh runs it without")
	}
	ss := func(size int) part {
		head, tail := `<sst><si><t>a</t></si>`, `</sst>`
		pad := size - len(head) - len(tail)
		return part{"xl/sharedStrings.xml", io.MultiReader(strings.NewReader(head), &repeat{s: strings.Repeat(" ", 1<<20), n: pad >> 20},
			strings.NewReader(strings.Repeat(" ", pad&(1<<20-1))+tail))}
	}
	rows, err := sheet.Read(xlsxOf(t, ss(sheet.MaxSharedXML), firstShared()), "", "")
	if err != nil || fmt.Sprint(rows) != "[[a]]" {
		t.Errorf("shared strings of exactly %d bytes: %q, %v", sheet.MaxSharedXML, rows, err)
	}
	if _, err := sheet.Read(xlsxOf(t, ss(sheet.MaxSharedXML+1), firstShared()), "", ""); code(err) != "too_large" {
		t.Errorf("shared strings of %d bytes: %v, want too_large", sheet.MaxSharedXML+1, err)
	}
}

// charges opens data with a Charge that records what it hears, reads
// every row and returns the charges.
func charges(t *testing.T, data []byte) []int64 {
	t.Helper()
	var got []int64
	r, err := sheet.OpenWith(data, sheet.Options{Charge: func(n int64) error { got = append(got, n); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readAll(r); err != nil {
		t.Fatal(err)
	}
	return got
}

func sum(ns []int64) (s int64) {
	for _, n := range ns {
		s += n
	}
	return s
}

// TestXLSXSharedStringsChargedBeforeHeld: the shared strings are charged
// before they are held: the text, and 4 bytes a string for where each
// ends; even a single short string is charged.
func TestXLSXSharedStringsChargedBeforeHeld(t *testing.T) {
	for _, c := range []struct{ n, size int }{{1, 1000}, {1000, 10}, {3000, 100}} {
		got := sum(charges(t, xlsxOf(t, sharedPart(c.n, c.size, 0), firstShared())))
		if least := int64(c.n*c.size + 4*c.n); got < least {
			t.Errorf("%d strings of %d bytes: charged %d, want at least %d", c.n, c.size, got, least)
		}
	}
}

// TestXLSXChargesArePositive: Charge hears only of memory newly kept:
// every call is of a positive number of bytes.
func TestXLSXChargesArePositive(t *testing.T) {
	for _, n := range charges(t, xlsxOf(t, sharedPart(1000, 100, 0), firstShared())) {
		if n <= 0 {
			t.Fatalf("a charge of %d bytes", n)
		}
	}
}

// TestXLSXSharedStringsChargedOnce: the charges add up to what is held,
// each byte charged once, and the text buffer grows only when the text
// does not fit. The text is kept in one buffer of at least 64 KiB that
// grows, when full, to twice its size plus what is asked (a
// strings.Builder), so 1024 strings filling exactly 64 KiB are charged
// 64 KiB (a buffer grown early would be 192 KiB), 128 KiB of text is
// charged the 192 KiB buffer (not again the 64 KiB it replaced); the
// slots where strings end (4 bytes each) are charged once, at most twice
// what the strings use.
func TestXLSXSharedStringsChargedOnce(t *testing.T) {
	const n = 1024
	for _, c := range []struct {
		size int
		text int64 // the buffer
	}{{64, 64 << 10}, {128, 192 << 10}} {
		got := sum(charges(t, xlsxOf(t, sharedPart(n, c.size, 0), firstShared())))
		t.Logf("%d strings of %d bytes: charged %d", n, c.size, got)
		if most := c.text + 8*n; got < c.text+4*n || got > most {
			t.Errorf("%d strings of %d bytes: charged %d, want %d..%d", n, c.size, got, c.text+4*n, most)
		}
	}
}

// TestXLSXSharedTextAtTheLimitCharged: near MaxSharedText the text buffer
// asks for no more room than the limit leaves, so a file holding exactly
// MaxSharedText bytes of shared text (32 strings of 256 KiB) is charged
// less than twice MaxSharedText.
func TestXLSXSharedTextAtTheLimitCharged(t *testing.T) {
	if raceDetector {
		t.Skip("slow under the race detector; scripts/test.sh runs it without")
	}
	const size = 256 << 10
	got := sum(charges(t, xlsxOf(t, sharedPart(sheet.MaxSharedText/size, size, 0), oneInline())))
	t.Logf("%d bytes of shared text: charged %d", sheet.MaxSharedText, got)
	if got < sheet.MaxSharedText || got >= 2*sheet.MaxSharedText {
		t.Errorf("%d bytes of shared text: charged %d, want %d..%d", sheet.MaxSharedText, got, sheet.MaxSharedText, 2*sheet.MaxSharedText)
	}
}

package sheet_test

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/tackhq/tack/sheet"
)

// paddedSheet is a worksheet of exactly size bytes: one row, then blanks
// (broken every MiB by an empty element, so that the parser never holds
// more than a MiB of them at once).
func paddedSheet(size int) io.Reader {
	head := `<worksheet><sheetData><row r="1">` + inline("A1", "a") + `</row></sheetData>`
	tail := `</worksheet>`
	block := strings.Repeat(" ", 1<<20-len("<p/>")) + "<p/>"
	pad := size - len(head) - len(tail)
	return io.MultiReader(strings.NewReader(head), &repeat{s: block, n: pad / len(block)},
		strings.NewReader(strings.Repeat(" ", pad%len(block))+tail))
}

// storedOf builds an archive of the parts given, stored (not deflated),
// with extra fields for some parts, by name.
func storedOf(t testing.TB, extra map[string][]byte, parts ...part) []byte {
	t.Helper()
	return archiveOf(t, zip.Store, extra, parts...)
}

// archiveOf builds an archive of the parts given, each written with
// method and the extra field named for it in extra (if any).
func archiveOf(t testing.TB, method uint16, extra map[string][]byte, parts ...part) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: method, Extra: extra[p.name]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, p.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXUnpackingExactlyMaxUnpackedIsRead: a file whose parts unpack to
// exactly MaxUnpacked bytes in all (the workbook, its relations and the
// worksheet) is read to its end, also when a read ends exactly at the
// budget and the end of the worksheet comes in a read of its own after
// its last byte (as with a stored part).
func TestXLSXUnpackingExactlyMaxUnpackedIsRead(t *testing.T) {
	if raceDetector {
		t.Skip("slow under the race detector; scripts/test.sh runs it without")
	}
	// The workbook padded so that the worksheet's share of the budget is
	// a multiple of 4 KiB, the size of the parser's reads: one read ends
	// exactly at the budget.
	wb := workbook + strings.Repeat(" ", 4096-(len(workbook)+len(rels))%4096)
	size := sheet.MaxUnpacked - len(wb) - len(rels)
	data := storedOf(t, nil, text("[Content_Types].xml", `<Types/>`), text("xl/workbook.xml", wb),
		text("xl/_rels/workbook.xml.rels", rels), part{"xl/worksheets/sheet1.xml", paddedSheet(size)})
	r, err := sheet.Open(data, "", "")
	if err != nil {
		t.Fatalf("parts of exactly %d bytes in all: %v", sheet.MaxUnpacked, err)
	}
	if rows, err := readAll(r); err != nil || len(rows) != 1 || rows[0][0] != "a" {
		t.Errorf("parts of exactly %d bytes in all: %q, %v", sheet.MaxUnpacked, rows, err)
	}
}

// TestXLSXUnpackingBudgetHoldsWhatTheDirectoryHides: a part that says it
// unpacks to so much that the sizes the parts declare wrap around (a
// ZIP64 size of almost 2^64) passes the check of declared sizes, and is
// still stopped by the count of bytes unpacked: refused as too large once
// MaxUnpacked bytes are unpacked.
func TestXLSXUnpackingBudgetHoldsWhatTheDirectoryHides(t *testing.T) {
	if raceDetector {
		t.Skip("slow under the race detector; scripts/test.sh runs it without")
	}
	const styles = `<styleSheet><cellXfs><xf numFmtId="0"/></cellXfs></styleSheet>`
	const name = "xl/worksheets/sheet1.xml"
	// The ZIP64 extra field: the sheet's size, which with the styles'
	// comes to 2^64, that is 0.
	zip64 := binary.LittleEndian.AppendUint16(nil, 1)
	zip64 = binary.LittleEndian.AppendUint16(zip64, 8)
	zip64 = binary.LittleEndian.AppendUint64(zip64, math.MaxUint64-uint64(len(styles))+1)
	data := storedOf(t, map[string][]byte{name: zip64}, text("[Content_Types].xml", `<Types/>`), text("xl/workbook.xml", workbook),
		text("xl/_rels/workbook.xml.rels", rels), text("xl/styles.xml", styles), part{name, paddedSheet(sheet.MaxUnpacked + 1<<20)})
	// The 32-bit size in the sheet's central directory entry says "see the
	// ZIP64 field".
	cd := bytes.LastIndex(data, []byte("PK\x01\x02"))
	if cd < 0 || !bytes.HasPrefix(data[cd+46:], []byte(name)) {
		t.Fatal("the sheet's directory entry is not the last")
	}
	binary.LittleEndian.PutUint32(data[cd+24:], math.MaxUint32)
	r, err := sheet.Open(data, "", "")
	if err != nil {
		t.Fatalf("open: %v, want the declared sizes to pass", err)
	}
	if _, err := readAll(r); code(err) != "too_large" {
		t.Errorf("a sheet unpacking past %d bytes: %v, want too_large", sheet.MaxUnpacked, err)
	}
}

// Package sheet reads tables from spreadsheet files: CSV (UTF-8 with or
// without a byte-order mark, GB18030/GBK as Chinese Excel saves it, or
// UTF-16 with a byte-order mark, detected by themselves) and XLSX (the
// first worksheet). It is the file side of bulk imports; it knows nothing
// of what the columns mean.
//
// Rows are read one at a time, and everything a file can make the reader
// hold is bounded: rows, columns, cell size, cells in all, and for XLSX the
// parts of the archive, their unpacked size and the shared strings. A file
// past a bound is refused with tack.ETooLarge as soon as the bound is
// passed, having held no more than the bound; a file that is broken is
// refused with tack.EInvalid. An XLSX file is never unpacked whole: the
// worksheet is parsed as it is inflated.
package sheet

import (
	"bytes"
	"io"

	"github.com/tackhq/tack"
)

// Formats.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// Encodings that Open reports (CSV; XLSX text is always Unicode).
const (
	UTF8    = "utf-8"
	GB18030 = "gb18030"
	UTF16   = "utf-16"
)

// Limits on what a file may hold.
const (
	MaxRows    = 100_000   // rows, the header included
	MaxColumns = 64        // columns of a row
	MaxCell    = 1000      // bytes of one cell
	MaxCells   = 1_000_000 // non-empty cells of the whole file

	// XLSX archives.
	MaxParts         = 1000     // entries of the archive
	MaxUnpacked      = 96 << 20 // bytes inflated from the archive in all
	MaxPart          = 4 << 20  // bytes of the workbook, its relations and styles
	MaxSharedStrings = 500_000  // entries of the shared strings table
	MaxSharedText    = 8 << 20  // bytes of text the shared strings table holds
	MaxSharedXML     = 32 << 20 // bytes the shared strings table unpacks to
)

// Detect guesses a file's format from its first bytes: XLSX files are ZIP
// archives.
func Detect(b []byte) string {
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return XLSX
	}
	return CSV
}

// Rows reads a table row by row.
type Rows struct {
	// Format is CSV or XLSX.
	Format string
	// Encoding is what a CSV file's text was read as (UTF8, GB18030 or
	// UTF16): given by the caller, or detected. Empty for XLSX.
	Encoding string
	// Guessed is true when Encoding was detected rather than given, and
	// Undecided when detection found neither valid UTF-8 nor valid GB18030
	// (the text is then read as UTF-8, its bad bytes kept so that the
	// caller can say which rows hold them).
	Guessed, Undecided bool

	next  func() ([]string, error)
	line  int
	cells int
	done  bool
}

// Next returns the next row (trailing empty cells dropped), or io.EOF
// after the last. Rows are numbered from 1 as a spreadsheet numbers them:
// an XLSX row missing from the file comes back empty. Errors are
// *tack.Error values naming the row at fault.
func (r *Rows) Next() ([]string, error) {
	if r.done {
		return nil, io.EOF
	}
	row, err := r.next()
	if err != nil {
		r.done = true
		return nil, err
	}
	r.line++
	if r.line > MaxRows {
		r.done = true
		return nil, tack.Errorf(tack.ETooLarge, "a file has at most %d rows", MaxRows)
	}
	for len(row) > 0 && row[len(row)-1] == "" {
		row = row[:len(row)-1]
	}
	if len(row) > MaxColumns {
		r.done = true
		return nil, tack.Invalid("file", "row %d: more than %d columns", r.line, MaxColumns)
	}
	for i, c := range row {
		if len(c) > MaxCell {
			r.done = true
			return nil, tack.Invalid("file", "row %d, column %d: a cell has at most %d bytes", r.line, i+1, MaxCell)
		}
		if c != "" {
			r.cells++
		}
	}
	if r.cells > MaxCells {
		r.done = true
		return nil, tack.Errorf(tack.ETooLarge, "a file has at most %d filled cells", MaxCells)
	}
	return row, nil
}

// Line is the number of the row Next returned last.
func (r *Rows) Line() int { return r.line }

// Options tune OpenWith.
type Options struct {
	// Format is CSV or XLSX; "" detects it.
	Format string
	// Encoding applies to CSV: "" detects it; "utf-8", "gb18030" (also GBK
	// and GB2312) or "utf-16" force it.
	Encoding string
	// Charge, if set, hears of memory the reader keeps beyond a row (the
	// shared strings of an XLSX file), in bytes, before or as it is kept;
	// an error stops the reading and is returned.
	Charge func(n int64) error
}

// Open returns the rows of a CSV or XLSX file (format "" detects it).
// encoding applies to CSV: "" detects it; "utf-8", "gb18030" (also GBK
// and GB2312) or "utf-16" force it.
func Open(data []byte, format, encoding string) (*Rows, error) {
	return OpenWith(data, Options{Format: format, Encoding: encoding})
}

// OpenWith is Open with Options.
func OpenWith(data []byte, opt Options) (*Rows, error) {
	format := opt.Format
	if format == "" {
		format = Detect(data)
	}
	if opt.Charge == nil {
		opt.Charge = func(int64) error { return nil }
	}
	switch format {
	case CSV:
		return openCSV(data, opt.Encoding)
	case XLSX:
		return openXLSX(data, opt.Charge)
	}
	return nil, tack.Invalid("format", "format must be csv or xlsx")
}

// Read returns every row of a file at once: for small files and tests.
func Read(data []byte, format, encoding string) ([][]string, error) {
	r, err := Open(data, format, encoding)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}

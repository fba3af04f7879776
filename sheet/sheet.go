// Package sheet reads tables from spreadsheet files: CSV (UTF-8, with or
// without a byte-order mark, or GB18030 as Chinese Excel saves it) and
// XLSX (the first worksheet). It is the file side of bulk imports; it
// knows nothing of what the columns mean.
package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/tackhq/tack"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Formats.
const (
	CSV  = "csv"
	XLSX = "xlsx"
)

// Limits on what Read accepts.
const (
	MaxRows    = 100_000
	MaxColumns = 64
	MaxCell    = 1000 // bytes
)

// Detect guesses a file's format from its first bytes: XLSX files are ZIP
// archives.
func Detect(b []byte) string {
	if bytes.HasPrefix(b, []byte("PK\x03\x04")) {
		return XLSX
	}
	return CSV
}

// Read returns the rows of a CSV or XLSX file. encoding applies to CSV:
// "" or "utf-8" (bytes that are not UTF-8 are kept as they are, so that the
// caller can say which rows are bad), or "gb18030" (also reads GBK and
// GB2312). Errors are *tack.Error values naming the line at fault.
func Read(data []byte, format, encoding string) ([][]string, error) {
	if format == "" {
		format = Detect(data)
	}
	switch format {
	case CSV:
		return readCSV(data, encoding)
	case XLSX:
		return readXLSX(data)
	}
	return nil, tack.Invalid("format", "format must be csv or xlsx")
}

func readCSV(data []byte, encoding string) ([][]string, error) {
	switch strings.ToLower(encoding) {
	case "", "utf-8", "utf8":
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	case "gb18030", "gbk", "gb2312":
		d, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil {
			return nil, tack.Invalid("encoding", "the file is not GB18030 text")
		}
		data = d
	default:
		return nil, tack.Invalid("encoding", "encoding must be utf-8 or gb18030")
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	// Semicolon-separated files (European Excel) are common: guess from
	// the first line.
	if first, _, _ := bytes.Cut(data, []byte("\n")); bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, tack.Invalid("file", "line %d: %v", pe.StartLine, pe.Err)
			}
			return nil, tack.Invalid("file", "not a readable CSV file")
		}
		if err := checkRow(len(rows)+1, rec); err != nil {
			return nil, err
		}
		rows = append(rows, rec)
	}
	return rows, nil
}

func checkRow(line int, rec []string) error {
	if line > MaxRows+1 {
		return tack.Errorf(tack.ETooLarge, "a file has at most %d rows", MaxRows)
	}
	if len(rec) > MaxColumns {
		return tack.Invalid("file", "line %d: more than %d columns", line, MaxColumns)
	}
	for i, c := range rec {
		if len(c) > MaxCell {
			return tack.Invalid("file", "line %d, column %d: a cell has at most %d bytes", line, i+1, MaxCell)
		}
	}
	return nil
}

func readXLSX(data []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: 256 << 20, UnzipXMLSizeLimit: 64 << 20})
	if err != nil {
		return nil, tack.Invalid("file", "not a readable XLSX file")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, tack.Invalid("file", "the workbook has no worksheet")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, tack.Invalid("file", "the first worksheet cannot be read")
	}
	defer it.Close()
	var rows [][]string
	for it.Next() {
		rec, err := it.Columns()
		if err != nil {
			return nil, tack.Invalid("file", "line %d: %s", len(rows)+1, "a row cannot be read")
		}
		if err := checkRow(len(rows)+1, rec); err != nil {
			return nil, err
		}
		rows = append(rows, rec)
	}
	if err := it.Error(); err != nil {
		return nil, tack.Invalid("file", "the first worksheet cannot be read")
	}
	return rows, nil
}

// WriteXLSX writes rows as the first worksheet of a new workbook: for
// templates and tests.
func WriteXLSX(w io.Writer, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, c := range r {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return fmt.Errorf("row %d: %w", i+1, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

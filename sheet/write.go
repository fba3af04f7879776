package sheet

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// BOM is the UTF-8 byte-order mark. Excel reads a CSV file as UTF-8 only
// when it starts with one (else Chinese comes out garbled).
const BOM = "\ufeff"

// ReportCSV returns rows as a CSV file: UTF-8 with a byte-order mark, lines
// ending in CRLF, as Excel expects.
func ReportCSV(rows [][]string) []byte {
	var b bytes.Buffer
	b.WriteString(BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.WriteAll(rows) // writes to memory cannot fail
	return b.Bytes()
}

// ReportXLSX returns rows as an XLSX workbook of one sheet; the first row
// is bold and frozen.
func ReportXLSX(sheetName string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			if i == 0 {
				cells[j] = excelize.Cell{Value: v, StyleID: bold}
			} else {
				cells[j] = cellValue(v)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			return nil, fmt.Errorf("xlsx: %w", err)
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("xlsx: %w", err)
	}
	return b.Bytes(), nil
}

// cellValue writes whole numbers as numbers, so that spreadsheets sum
// them, and everything else as text.
func cellValue(v string) any {
	if v == "" || len(v) > 15 {
		return v
	}
	n := 0
	for i, c := range v {
		if c == '-' && i == 0 && len(v) > 1 {
			continue
		}
		if c < '0' || c > '9' || (c == '0' && i == 0 && len(v) > 1) {
			return v
		}
		n = n*10 + int(c-'0')
	}
	if v[0] == '-' {
		return -n
	}
	return n
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

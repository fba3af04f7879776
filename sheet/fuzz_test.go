package sheet_test

import (
	"io"
	"testing"

	"github.com/tackhq/tack/sheet"
)

// FuzzOpen: any file read as CSV, XLSX or detected gives rows or an
// error, never a panic, and never more rows than a bounded count of
// bytes allows (a row of a CSV takes at least one byte).
func FuzzOpen(f *testing.F) {
	for _, s := range []string{"姓名,手机\n张三,13800000000\n", "\xef\xbb\xbfa,b\r\n1,2", "a,\"b\nc\",d\n", "\xff\xfea\x00,\x00b\x00", "PK\x03\x04", ""} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "csv")
	}
	if x, err := sheet.ReportXLSX("s", [][]string{{"姓名", "部门"}, {"张三", "研发"}}); err == nil {
		f.Add(x, "xlsx")
		f.Add(x[:len(x)/2], "xlsx")
	}
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		if format != "" && format != "csv" && format != "xlsx" {
			format = ""
		}
		r, err := sheet.Open(data, format, "")
		if err != nil {
			return
		}
		for n := 0; ; n++ {
			_, err := r.Next()
			if err == io.EOF || err != nil {
				return
			}
			if format == "csv" && n > len(data)+1 {
				t.Fatalf("%d rows from %d bytes", n, len(data))
			}
			if n > 1_000_000 {
				t.Fatal("no end of rows")
			}
		}
	})
}

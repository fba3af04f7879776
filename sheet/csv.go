package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

var utf8BOM = []byte("\xef\xbb\xbf")

func openCSV(data []byte, encoding string) (*Rows, error) {
	rows := &Rows{Format: CSV}
	var text io.Reader
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "":
		rows.Guessed = true
		rows.Encoding, text, rows.Undecided = detectEncoding(data)
	case "utf-8", "utf8":
		rows.Encoding, text = UTF8, bytes.NewReader(bytes.TrimPrefix(data, utf8BOM))
	case "gb18030", "gbk", "gb2312":
		if !cleanGB18030(data) {
			return nil, tack.Invalid("encoding", "the file is not GB18030 text")
		}
		rows.Encoding, text = GB18030, transform.NewReader(bytes.NewReader(data), simplifiedchinese.GB18030.NewDecoder())
	case "utf-16", "utf16":
		rows.Encoding, text = UTF16, utf16Reader(data)
	default:
		return nil, tack.Invalid("encoding", "encoding must be utf-8, gb18030 or utf-16 (or left out to detect it)")
	}
	br := bufio.NewReaderSize(text, 64<<10)
	// The separator: a comma, or a semicolon (European Excel) or a tab
	// (Excel's "Unicode text"), guessed from the first line.
	first, _ := br.Peek(64 << 10)
	first, _, _ = bytes.Cut(first, []byte("\n"))
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	comma, n := ',', bytes.Count(first, []byte(","))
	if c := bytes.Count(first, []byte(";")); c > n {
		comma, n = ';', c
	}
	if c := bytes.Count(first, []byte("\t")); c > n {
		comma = '\t'
	}
	r.Comma = comma
	rows.next = func() ([]string, error) {
		rec, err := r.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, tack.Invalid("file", "line %d: %v", pe.StartLine, pe.Err)
			}
			return nil, tack.Invalid("file", "not a readable CSV file")
		}
		return rec, nil
	}
	return rows, nil
}

// detectEncoding says what a CSV file's text is: a byte-order mark says
// so; else valid UTF-8 is UTF-8; else text that GB18030 decodes cleanly is
// GB18030 (what Chinese Excel saves, GBK being part of it); else it is
// read as UTF-8 with its bad bytes kept, and undecided is true.
func detectEncoding(data []byte) (enc string, text io.Reader, undecided bool) {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		return UTF8, bytes.NewReader(data[len(utf8BOM):]), false
	case bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff")):
		return UTF16, utf16Reader(data), false
	case utf8.Valid(data):
		return UTF8, bytes.NewReader(data), false
	case cleanGB18030(data):
		return GB18030, transform.NewReader(bytes.NewReader(data), simplifiedchinese.GB18030.NewDecoder()), false
	}
	return UTF8, bytes.NewReader(data), true
}

func utf16Reader(data []byte) io.Reader {
	// Little-endian unless a byte-order mark says otherwise (Windows
	// writes little-endian).
	return transform.NewReader(bytes.NewReader(data), unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
}

// cleanGB18030 reports whether data decodes as GB18030 without a byte
// that is not part of a valid sequence (the decoder turns those into
// U+FFFD). It streams: nothing the size of the file is held.
func cleanGB18030(data []byte) bool {
	r := transform.NewReader(bytes.NewReader(data), simplifiedchinese.GB18030.NewDecoder())
	buf := make([]byte, 32<<10)
	var carry []byte // the end of the last chunk, for a U+FFFD split across chunks
	for {
		n, err := r.Read(buf)
		chunk := append(carry, buf[:n]...)
		if bytes.Contains(chunk, []byte("\ufffd")) {
			return false
		}
		if len(chunk) >= 2 {
			carry = append(carry[:0], chunk[len(chunk)-2:]...)
		} else {
			carry = append(carry[:0], chunk...)
		}
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
	}
}

package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack"
)

// An XLSX file is a ZIP archive of XML parts. This reader looks at the
// archive's directory before opening it (how many parts, how large they
// say they are: archive/zip then refuses a part that inflates past what it
// said), reads the small parts it needs (the workbook, its relations, the
// styles that say which numbers are dates), keeps the shared strings
// compactly up to MaxSharedStrings and MaxSharedText, and parses the first
// worksheet as it inflates, one row at a time.

var (
	errNotXLSX = tack.Invalid("file", "not a readable XLSX file")
	errSheet   = tack.Invalid("file", "the first worksheet cannot be read")
)

func tooLarge(format string, args ...any) error { return tack.Errorf(tack.ETooLarge, format, args...) }

// archiveEntries reads the entry count from a ZIP file's end-of-central-
// directory record, so that an archive of a million empty parts is refused
// before archive/zip allocates a header for each.
func archiveEntries(data []byte) (int, bool) {
	const eocdLen = 22
	if len(data) < eocdLen {
		return 0, false
	}
	start := max(0, len(data)-eocdLen-0xffff)
	i := bytes.LastIndex(data[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(data) {
		return 0, false
	}
	rec := data[start+i:]
	return int(binary.LittleEndian.Uint16(rec[10:12])), true
}

// budget counts the bytes inflated from an archive: left may reach 0, a
// byte more is refused.
type budget struct{ left int64 }

type budgetReader struct {
	r io.Reader
	b *budget
}

var errBudget = errors.New("unpacked too much")

func (br budgetReader) Read(p []byte) (int, error) {
	if br.b.left < 0 {
		return 0, errBudget
	}
	// Up to one byte past the budget: it tells a part that ends at the
	// budget (the end of the stream may come in a read of its own) from
	// one that goes on.
	if int64(len(p)) > br.b.left+1 {
		p = p[:br.b.left+1]
	}
	n, err := br.r.Read(p)
	br.b.left -= int64(n)
	if br.b.left < 0 {
		return 0, errBudget
	}
	return n, err
}

type xlsx struct {
	files  map[string]*zip.File // by lower-case name
	budget *budget
	// shared strings: text holds them end to end; ends[i] is where the
	// i-th ends.
	text     string
	ends     []uint32
	dateXF   []bool // by style index: the number format is a date
	date1904 bool
	charge   func(int64) error
}

func openXLSX(data []byte, charge func(int64) error) (*Rows, error) {
	n, ok := archiveEntries(data)
	if !ok || n == 0xffff { // no directory, or ZIP64 (never needed at this size)
		return nil, errNotXLSX
	}
	if n > MaxParts {
		return nil, tooLarge("an XLSX file has at most %d parts", MaxParts)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errNotXLSX
	}
	x := &xlsx{files: make(map[string]*zip.File, len(zr.File)), budget: &budget{left: MaxUnpacked}, charge: charge}
	for _, f := range zr.File {
		x.files[strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, "\\", "/"), "/"))] = f
	}
	sheetPath, ssPath, stylesPath, err := x.workbook()
	if err != nil {
		return nil, err
	}
	sheet := x.files[sheetPath]
	if sheet == nil {
		return nil, errSheet
	}
	// What the parts to be read say they unpack to (archive/zip holds
	// each to what it says).
	declared := sheet.UncompressedSize64
	for _, p := range []string{ssPath, stylesPath} {
		if f := x.files[p]; f != nil {
			declared += f.UncompressedSize64
		}
	}
	if declared > uint64(x.budget.left) {
		return nil, tooLarge("an XLSX file unpacks to at most %d MiB", MaxUnpacked>>20)
	}
	if stylesPath != "" {
		if err := x.styles(stylesPath); err != nil {
			return nil, err
		}
	}
	if ssPath != "" {
		if err := x.sharedStrings(ssPath); err != nil {
			return nil, err
		}
	}
	rc, err := sheet.Open()
	if err != nil {
		return nil, errSheet
	}
	dec := xml.NewDecoder(budgetReader{rc, x.budget})
	rows := &Rows{Format: XLSX}
	sr := &sheetReader{x: x, dec: dec, close: rc.Close}
	rows.next = sr.next
	return rows, nil
}

// part opens a small part, refusing one that says it is larger than
// MaxPart.
func (x *xlsx) part(name string) ([]byte, error) {
	f := x.files[strings.ToLower(name)]
	if f == nil {
		return nil, nil
	}
	if f.UncompressedSize64 > MaxPart {
		return nil, tooLarge("the part %s of the XLSX file unpacks to more than %d MiB", path.Base(name), MaxPart>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, errNotXLSX
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(budgetReader{rc, x.budget}, MaxPart+1))
	if errors.Is(err, errBudget) {
		return nil, tooLarge("an XLSX file unpacks to at most %d MiB", MaxUnpacked>>20)
	}
	if err != nil || len(b) > MaxPart {
		return nil, errNotXLSX
	}
	return b, nil
}

// workbook finds the first worksheet, the shared strings and the styles.
func (x *xlsx) workbook() (sheet, ss, styles string, err error) {
	wb, err := x.part("xl/workbook.xml")
	if err != nil {
		return "", "", "", err
	}
	if wb == nil {
		return "", "", "", errNotXLSX
	}
	var w struct {
		Pr struct {
			Date1904 string `xml:"date1904,attr"`
		} `xml:"workbookPr"`
		Sheets []struct {
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(wb, &w); err != nil {
		return "", "", "", errNotXLSX
	}
	x.date1904 = w.Pr.Date1904 == "1" || strings.EqualFold(w.Pr.Date1904, "true")
	if len(w.Sheets) == 0 {
		return "", "", "", tack.Invalid("file", "the workbook has no worksheet")
	}
	rid := ""
	for _, a := range w.Sheets[0].Attrs {
		if a.Name.Local == "id" && a.Name.Space != "" {
			rid = a.Value
		}
	}
	rels, err := x.part("xl/_rels/workbook.xml.rels")
	if err != nil {
		return "", "", "", err
	}
	var r struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if rels != nil {
		if err := xml.Unmarshal(rels, &r); err != nil {
			return "", "", "", errNotXLSX
		}
	}
	target := func(t string) string {
		if strings.HasPrefix(t, "/") {
			return strings.ToLower(path.Clean(t[1:]))
		}
		return strings.ToLower(path.Clean("xl/" + t))
	}
	for _, rel := range r.Rels {
		switch {
		case rel.ID == rid && rid != "":
			sheet = target(rel.Target)
		case strings.HasSuffix(rel.Type, "/sharedStrings"):
			ss = target(rel.Target)
		case strings.HasSuffix(rel.Type, "/styles"):
			styles = target(rel.Target)
		}
	}
	if sheet == "" {
		sheet = "xl/worksheets/sheet1.xml"
	}
	if ss == "" && x.files["xl/sharedstrings.xml"] != nil {
		ss = "xl/sharedstrings.xml"
	}
	if styles == "" && x.files["xl/styles.xml"] != nil {
		styles = "xl/styles.xml"
	}
	return sheet, ss, styles, nil
}

// styles learns which cell styles format numbers as dates.
func (x *xlsx) styles(name string) error {
	b, err := x.part(name)
	if err != nil || b == nil {
		return err
	}
	var st struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		XFs []struct {
			NumFmt int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := xml.Unmarshal(b, &st); err != nil {
		return nil // unreadable styles: numbers stay numbers
	}
	custom := map[int]bool{}
	for _, f := range st.NumFmts {
		custom[f.ID] = dateFormat(f.Code)
	}
	x.dateXF = make([]bool, len(st.XFs))
	for i, xf := range st.XFs {
		id := xf.NumFmt
		if d, ok := custom[id]; ok {
			x.dateXF[i] = d
			continue
		}
		// Built-in date formats, with those of Chinese, Japanese and
		// Korean Excel (27-36, 50-58).
		x.dateXF[i] = id >= 14 && id <= 17 || id == 22 || id >= 27 && id <= 36 || id >= 50 && id <= 58
	}
	return nil
}

// dateFormat reports whether a number format code shows a date: it has a
// year, month or day outside quoted text, escapes and [brackets].
func dateFormat(code string) bool {
	quoted, bracket := false, false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\\' || c == '_' || c == '*':
			i++
		case c == '[':
			bracket = true
		case c == ']':
			bracket = false
		case bracket:
		case c == 'y' || c == 'Y' || c == 'd' || c == 'D' || c == 'm' && strings.ContainsAny(code, "yYdD"):
			return true
		}
	}
	return false
}

// sharedStrings reads the shared strings table as it inflates, keeping
// only the text.
func (x *xlsx) sharedStrings(name string) error {
	f := x.files[name]
	if f == nil {
		return nil
	}
	if f.UncompressedSize64 > MaxSharedXML {
		return tooLarge("the shared strings of an XLSX file unpack to at most %d MiB", MaxSharedXML>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return errNotXLSX
	}
	defer rc.Close()
	dec := xml.NewDecoder(budgetReader{rc, x.budget})
	var text strings.Builder
	charged, chargedEnds := 0, 0
	keep := func(b []byte) error {
		if text.Len()+len(b) > MaxSharedText {
			return tooLarge("the shared strings of an XLSX file hold at most %d MiB of text", MaxSharedText>>20)
		}
		if text.Len()+len(b) > text.Cap() {
			text.Grow(max(len(b), min(text.Cap(), MaxSharedText-text.Len()), 64<<10))
		}
		if text.Cap() > charged {
			if err := x.charge(int64(text.Cap() - charged)); err != nil {
				return err
			}
			charged = text.Cap()
		}
		text.Write(b)
		return nil
	}
	depthSI, inT, inPhonetic := false, false, 0
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if errors.Is(err, errBudget) {
			return tooLarge("an XLSX file unpacks to at most %d MiB", MaxUnpacked>>20)
		}
		if err != nil {
			return errNotXLSX
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				if len(x.ends) >= MaxSharedStrings {
					return tooLarge("an XLSX file has at most %d shared strings", MaxSharedStrings)
				}
				depthSI = true
			case "rPh": // phonetic guides are not the text
				inPhonetic++
			case "t":
				inT = depthSI && inPhonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				depthSI = false
				x.ends = append(x.ends, uint32(text.Len()))
				if n := 4 * cap(x.ends); n > chargedEnds {
					if err := x.charge(int64(n - chargedEnds)); err != nil {
						return err
					}
					chargedEnds = n
				}
			case "rPh":
				inPhonetic--
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				if err := keep(t); err != nil {
					return err
				}
			}
		}
	}
	x.text = text.String()
	return nil
}

func (x *xlsx) shared(i int) (string, bool) {
	if i < 0 || i >= len(x.ends) {
		return "", false
	}
	start := uint32(0)
	if i > 0 {
		start = x.ends[i-1]
	}
	return x.text[start:x.ends[i]], true
}

// sheetReader parses a worksheet one row at a time.
type sheetReader struct {
	x       *xlsx
	dec     *xml.Decoder
	close   func() error
	row     int      // number of the last row returned
	pending []string // a row read ahead, returned after empty ones
	pendRow int
	ended   bool
}

func (s *sheetReader) fail(err error) ([]string, error) {
	s.close()
	s.ended = true
	if errors.Is(err, errBudget) {
		return nil, tooLarge("an XLSX file unpacks to at most %d MiB", MaxUnpacked>>20)
	}
	var te *tack.Error
	if errors.As(err, &te) {
		return nil, err
	}
	return nil, errSheet
}

func (s *sheetReader) next() ([]string, error) {
	if s.pendRow > 0 {
		// Rows missing from the file come back empty, so that row numbers
		// stay those of the spreadsheet.
		if s.row+1 < s.pendRow {
			s.row++
			return []string{}, nil
		}
		s.row, s.pendRow = s.pendRow, 0
		return s.pending, nil
	}
	if s.ended {
		return nil, io.EOF
	}
	for {
		tok, err := s.dec.RawToken()
		if err == io.EOF {
			s.close()
			s.ended = true
			return nil, io.EOF
		}
		if err != nil {
			return s.fail(err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "row" {
			continue
		}
		n := s.row + 1
		if v := attr(se, "r"); v != "" {
			r, err := strconv.Atoi(v)
			if err != nil || r <= s.row {
				return s.fail(tack.Invalid("file", "the worksheet's rows are out of order near row %d", s.row+1))
			}
			n = r
		}
		cells, err := s.readRow(n)
		if err != nil {
			return s.fail(err)
		}
		if n > MaxRows {
			if len(cells) == 0 {
				// Excel keeps formatted empty rows far down: skip them.
				s.row = n
				continue
			}
			return s.fail(tooLarge("a file has at most %d rows", MaxRows))
		}
		if n == s.row+1 {
			s.row = n
			return cells, nil
		}
		s.pending, s.pendRow = cells, n
		s.row++
		return []string{}, nil
	}
}

func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

// column returns the 1-based column of a cell reference such as "AB12".
func column(ref string) int {
	c := 0
	for i := 0; i < len(ref); i++ {
		ch := ref[i]
		switch {
		case ch >= 'A' && ch <= 'Z':
			c = c*26 + int(ch-'A'+1)
		case ch >= 'a' && ch <= 'z':
			c = c*26 + int(ch-'a'+1)
		default:
			return c
		}
		if c > 1<<20 {
			return c
		}
	}
	return c
}

// readRow reads the cells of a <row> up to its end.
func (s *sheetReader) readRow(n int) ([]string, error) {
	var cells []string
	col := 0
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			if t.Name.Local == "row" {
				return cells, nil
			}
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			if ref := attr(t, "r"); ref != "" {
				c := column(ref)
				if c <= col {
					return nil, tack.Invalid("file", "row %d: the cells are out of order", n)
				}
				col = c
			} else {
				col++
			}
			if col > MaxColumns {
				return nil, tack.Invalid("file", "row %d: more than %d columns", n, MaxColumns)
			}
			v, err := s.cell(t)
			if err != nil {
				return nil, err
			}
			if v == "" {
				continue
			}
			if len(v) > MaxCell {
				return nil, tack.Invalid("file", "row %d, column %d: a cell has at most %d bytes", n, col, MaxCell)
			}
			for len(cells) < col-1 {
				cells = append(cells, "")
			}
			cells = append(cells, v)
		}
	}
}

// cell reads one <c> element and returns its text.
func (s *sheetReader) cell(c xml.StartElement) (string, error) {
	typ, style := attr(c, "t"), -1
	if v := attr(c, "s"); v != "" {
		style, _ = strconv.Atoi(v)
	}
	var value, inline strings.Builder
	in, inPhonetic := "", 0
	for {
		tok, err := s.dec.RawToken()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				in = "v"
			case "t":
				if inPhonetic == 0 {
					in = "t"
				}
			case "rPh":
				inPhonetic++
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "c":
				return s.value(typ, style, value.String(), inline.String())
			case "v", "t":
				in = ""
			case "rPh":
				inPhonetic--
			}
		case xml.CharData:
			var b *strings.Builder
			switch in {
			case "v":
				b = &value
			case "t":
				b = &inline
			default:
				continue
			}
			if b.Len()+len(t) > MaxCell*4 {
				return "", tack.Invalid("file", "a cell has at most %d bytes", MaxCell)
			}
			b.Write(t)
		}
	}
}

func (s *sheetReader) value(typ string, style int, v, inline string) (string, error) {
	switch typ {
	case "s":
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return "", errSheet
		}
		str, ok := s.x.shared(i)
		if !ok {
			return "", tack.Invalid("file", "a cell names shared string %d, which the file does not have", i)
		}
		return str, nil
	case "inlineStr":
		return inline, nil
	case "str", "e":
		return v, nil
	case "b":
		if v == "1" {
			return "TRUE", nil
		}
		return "FALSE", nil
	case "d":
		d, _, _ := strings.Cut(v, "T")
		return d, nil
	}
	// A number: a date if its style says so.
	if v == "" {
		return "", nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v, nil
	}
	if style >= 0 && style < len(s.x.dateXF) && s.x.dateXF[style] {
		if d, ok := serialDate(f, s.x.date1904); ok {
			return d, nil
		}
	}
	if strings.ContainsAny(v, "eE") {
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	return v, nil
}

// serialDate turns a spreadsheet date serial into YYYY-MM-DD.
func serialDate(f float64, date1904 bool) (string, bool) {
	if f < 1 || f > 2958465 { // 9999-12-31
		return "", false
	}
	days := int(f)
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days < 60: // before Excel's phantom 1900-02-29
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	return base.AddDate(0, 0, days).Format("2006-01-02"), true
}

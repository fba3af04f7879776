package org_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
)

// procStatus reads a field of /proc/self/status, in KiB.
func procStatus(t testing.TB, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// peakGrowth runs fn and returns by how much the process's peak resident
// memory (VmHWM, reset first) rose above its resident memory before.
func peakGrowth(t testing.TB, fn func()) int64 {
	t.Helper()
	if raceDetector {
		t.Skip("resident memory is measured without the race detector, which multiplies it (scripts/test.sh runs this test so)")
	}
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak resident memory: %v", err)
	}
	base := procStatus(t, "VmRSS")
	fn()
	return (procStatus(t, "VmHWM") - base) << 10
}

// repeated reads n copies of s.
type repeated struct {
	s string
	n int
	b []byte
}

func (r *repeated) Read(p []byte) (int, error) {
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

// bomb is an XLSX file built by hand: its parts unpack to far more than
// they weigh.
type bomb struct {
	sharedXML int    // bytes of shared strings XML: 30-character strings
	rows      int    // rows of the worksheet (after a header)
	row       string // one row's cells, %d standing for the row number
}

func (b bomb) build(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, r io.Reader) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
	}
	add("[Content_Types].xml", strings.NewReader(`<Types/>`))
	add("xl/workbook.xml", strings.NewReader(`<workbook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`))
	add("xl/_rels/workbook.xml.rels", strings.NewReader(`<Relationships>
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`))
	si := "<si><t>" + strings.Repeat("名", 30) + "</t></si>"
	add("xl/sharedStrings.xml", io.MultiReader(strings.NewReader(`<sst><si><t>`+strings.Repeat("张", 64)+`</t></si>`),
		&repeated{s: si, n: b.sharedXML / len(si)}, strings.NewReader(`</sst>`)))
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 64<<10)
		bw.WriteString(`<worksheet><sheetData><row>`)
		for _, h := range []string{"姓名", "工号", "邮箱", "手机", "职位", "入职日期", "部门"} {
			fmt.Fprintf(bw, `<c t="inlineStr"><is><t>%s</t></is></c>`, h)
		}
		bw.WriteString(`</row>`)
		for i := range b.rows {
			bw.WriteString("<row>")
			fmt.Fprintf(bw, b.row, i)
			bw.WriteString("</row>")
		}
		bw.WriteString(`</sheetData></worksheet>`)
		bw.Flush()
		pw.Close()
	}()
	add("xl/worksheets/sheet1.xml", pr)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportBombsStayInMemoryBounds posts, through the real server, XLSX
// files that unpack to far more than they weigh, one and then three at
// once, and checks that the server's resident memory never grows by more
// than 64 MB. The files pass what their archive says of them where they
// can: their harm is in what they hold.
func TestImportBombsStayInMemoryBounds(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	const limit = 64 << 20
	long := `<c t="s"><v>0</v></c>`
	bombs := []struct {
		name string
		b    bomb
	}{
		{"shared strings of 60 MB", bomb{sharedXML: 60 << 20, rows: 1, row: long}},
		{"shared strings of 30 MB holding 23 MB of text", bomb{sharedXML: 30 << 20, rows: 1, row: long}},
		{"600,000 members with the longest names and titles", bomb{rows: 600_000,
			row: long + `<c t="inlineStr"><is><t>N%d</t></is></c><c/><c/>` + long}},
		{"300,000 rows of nothing but problems", bomb{rows: 300_000,
			row: long + `<c t="inlineStr"><is><t>bad number %d!</t></is></c><c t="inlineStr"><is><t>not an email</t></is></c><c t="inlineStr"><is><t>12</t></is></c><c/><c t="inlineStr"><is><t>someday</t></is></c><c t="inlineStr"><is><t>a//b</t></is></c>`}},
	}
	files := make([][]byte, len(bombs))
	for i, b := range bombs {
		files[i] = b.b.build(t)
		var err error
		growth := peakGrowth(t, func() {
			_, err = w.owner.ImportMembers(ctx, oid, files[i], client.ImportOptions{DryRun: true})
		})
		t.Logf("%s: a %d KB file; refused with %v; peak resident memory +%.1f MB", b.name, len(files[i])>>10, err, float64(growth)/(1<<20))
		if code(err) != "too_large" {
			t.Errorf("%s: %v, want too_large", b.name, err)
		}
		if growth > limit {
			t.Errorf("%s: resident memory grew by %.0f MB, more than 64 MB", b.name, float64(growth)/(1<<20))
		}
	}
	// Three at once, into three organisations: each is refused, for its
	// size or because the node's imports hold as much as they may.
	orgs := []string{oid, string(must(w.owner.CreateOrg(ctx, "Second", "")).ID), string(must(w.owner.CreateOrg(ctx, "Third", "")).ID)}
	errs := make([]error, 3)
	growth := peakGrowth(t, func() {
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = w.owner.ImportMembers(ctx, orgs[i], files[1+i], client.ImportOptions{DryRun: true})
			}()
		}
		wg.Wait()
	})
	t.Logf("three at once: %v; peak resident memory +%.1f MB", errs, float64(growth)/(1<<20))
	for i, err := range errs {
		if c := code(err); c != "too_large" && c != "unavailable" {
			t.Errorf("bomb %d of three: %v", i, err)
		}
	}
	if growth > limit {
		t.Errorf("three at once: resident memory grew by %.0f MB, more than 64 MB", float64(growth)/(1<<20))
	}
}

// TestLargeImportMemory measures the largest honest import (50,000 rows, as
// XLSX) the same way, as a dry run and for real, each on a fresh server: a
// dry run holds about 20 MB of live data at its peak; writing it for real
// also fills SQLite's page caches. Neither may grow the resident memory by
// more than 64 MB.
func TestLargeImportMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		f, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		io.WriteString(f, body)
	}
	add("xl/workbook.xml", `<workbook xmlns:r="r"><sheets><sheet r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<Relationships><Relationship Id="rId1" Type="worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	var sheet strings.Builder
	sheet.WriteString(`<worksheet><sheetData><row>`)
	for _, h := range []string{"姓名", "工号", "邮箱", "手机", "部门", "职位"} {
		fmt.Fprintf(&sheet, `<c t="inlineStr"><is><t>%s</t></is></c>`, h)
	}
	sheet.WriteString(`</row>`)
	for i := range 50_000 {
		sheet.WriteString(`<row>`)
		for _, v := range []string{fmt.Sprintf("张%d", i), fmt.Sprintf("E%06d", i), fmt.Sprintf("e%06d@acme.example", i),
			fmt.Sprintf("1380%07d", i), fmt.Sprintf("总部/第%d组", i%100), "工程师"} {
			fmt.Fprintf(&sheet, `<c t="inlineStr"><is><t>%s</t></is></c>`, v)
		}
		sheet.WriteString(`</row>`)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	add("xl/worksheets/sheet1.xml", sheet.String())
	zw.Close()
	file := buf.Bytes()
	sheet.Reset()
	for _, dry := range []bool{true, false} {
		name := map[bool]string{true: "dry run", false: "written"}[dry]
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			oid := string(w.org.ID)
			q := ""
			if dry {
				q = "?dry_run=1"
			}
			// The answer is read and thrown away, so that only the server's
			// memory is counted (the test's client runs in the same process).
			var status int
			var answer int64
			start := time.Now()
			growth := peakGrowth(t, func() {
				req, _ := http.NewRequest("POST", w.srv.URL+"/api/v1/orgs/"+oid+"/imports"+q, bytes.NewReader(file))
				req.Header.Set("Authorization", "Bearer "+w.owner.Token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				status = resp.StatusCode
				answer, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
			t.Logf("50,000 rows (%d KB of XLSX) %s in %v, a %d KB answer; peak resident memory +%.1f MB", len(file)>>10, name,
				time.Since(start).Round(time.Millisecond), answer>>10, float64(growth)/(1<<20))
			if status != http.StatusOK {
				t.Fatalf("%s: status %d", name, status)
			}
			if !dry {
				pg := must(w.owner.OrgMembers(ctx, oid, client.MemberQuery{Limit: 5, Q: "张49999"}))
				if len(pg.Members) != 1 {
					t.Fatalf("after the import, 张49999: %d members", len(pg.Members))
				}
			}
			if growth > 64<<20 {
				t.Errorf("%s: resident memory grew by %.0f MB, more than 64 MB", name, float64(growth)/(1<<20))
			}
		})
	}
}

// pausedBody is an upload the server has started to read (it asks for the
// body, with "100 Continue", only after taking the import's slot) and that
// waits for go before giving its bytes.
type pausedBody struct {
	data    []byte
	started chan struct{}
	goOn    chan struct{}
	once    bool
}

func (p *pausedBody) Read(b []byte) (int, error) {
	if !p.once {
		p.once = true
		close(p.started)
		<-p.goOn
	}
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.data)
	p.data = p.data[n:]
	return n, nil
}

// startPaused begins an import whose upload waits; it returns once the
// server holds the import's slot, with a func that lets the upload finish
// and returns the status.
func startPaused(t *testing.T, u *client.Client, orgID string, file []byte) func() int {
	t.Helper()
	body := &pausedBody{data: file, started: make(chan struct{}), goOn: make(chan struct{})}
	req, _ := http.NewRequest("POST", u.BaseURL+"/api/v1/orgs/"+orgID+"/imports?dry_run=1", body)
	req.ContentLength = int64(len(file))
	req.Header.Set("Authorization", "Bearer "+u.Token)
	req.Header.Set("Expect", "100-continue")
	tr := &http.Transport{ExpectContinueTimeout: time.Minute}
	t.Cleanup(tr.CloseIdleConnections)
	status := make(chan int, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			status <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	select {
	case <-body.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never asked for the upload")
	}
	return func() int {
		close(body.goOn)
		select {
		case s := <-status:
			return s
		case <-time.After(30 * time.Second):
			t.Fatal("the paused import never ended")
			return 0
		}
	}
}

// TestImportBusy: while an import into an organisation runs, a second one
// is refused with a conflict; while the node runs as many as it may, any
// other is refused as unavailable; both clear when they end.
func TestImportBusy(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	file := []byte("name,employee_no\nZed,Z1\n")
	finish := startPaused(t, w.owner.Client, oid, file)
	if _, err := w.owner.ImportMembers(ctx, oid, file, client.ImportOptions{DryRun: true}); code(err) != "conflict" {
		t.Fatalf("second import into the organisation: %v", err)
	}
	var more []func() int
	for i := range 3 { // the node runs 4 at once
		o := must(w.owner.CreateOrg(ctx, fmt.Sprint("Busy ", i), ""))
		more = append(more, startPaused(t, w.owner.Client, string(o.ID), file))
	}
	fifth := must(w.owner.CreateOrg(ctx, "Fifth", ""))
	if _, err := w.owner.ImportMembers(ctx, string(fifth.ID), file, client.ImportOptions{DryRun: true}); code(err) != "unavailable" {
		t.Fatalf("a fifth import on the node: %v", err)
	}
	if s := finish(); s != http.StatusOK {
		t.Fatalf("the paused import: status %d", s)
	}
	for _, f := range more {
		if s := f(); s != http.StatusOK {
			t.Fatalf("a paused import: status %d", s)
		}
	}
	for _, o := range []string{oid, string(fifth.ID)} {
		if res, err := w.owner.ImportMembers(ctx, o, file, client.ImportOptions{DryRun: true}); err != nil || res.Created != 1 {
			t.Fatalf("after the others ended: %v %+v", err, res)
		}
	}
}

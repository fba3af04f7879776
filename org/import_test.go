package org_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/sheet"
	"github.com/tackhq/tack/tacktest"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func count(t *testing.T, w *world) int {
	t.Helper()
	n := 0
	cursor := ""
	for {
		p := must(w.owner.OrgMembers(ctx, string(w.org.ID), client.MemberQuery{Status: "all", Limit: 200, Cursor: cursor}))
		n += len(p.Members)
		if cursor = p.NextCursor; cursor == "" {
			return n
		}
	}
}

const goodCSV = `姓名,工号,邮箱,手机,职位,部门,直属主管,入职日期
张三,E001,zhangsan@acme.example,13800000001,CEO,,,2020-01-01
李四,E002,lisi@acme.example,13800000002,Sales lead,销售部/华东,E001,2021-03-15
王五,E003,,13800000003,Engineer,技术部;销售部/华东,E002,2022/7/1
`

func TestImport(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	before := count(t, w)
	var phases []string
	progress := func(p client.ImportProgress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}
	// Dry run: a preview, nothing written.
	res := must(w.owner.ImportMembers(ctx, oid, []byte(goodCSV), client.ImportOptions{DryRun: true, Progress: progress}))
	if res.Committed || res.Created != 3 || res.Failed != 0 || len(res.Departments) != 3 {
		t.Fatalf("dry run: %+v", res)
	}
	if count(t, w) != before {
		t.Fatalf("a dry run wrote members")
	}
	if fmt.Sprint(phases) != "[upload check]" {
		t.Errorf("progress phases %v", phases)
	}
	// For real.
	res = must(w.owner.ImportMembers(ctx, oid, []byte(goodCSV), client.ImportOptions{}))
	if !res.Committed || res.Created != 3 {
		t.Fatalf("import: %+v", res)
	}
	if count(t, w) != before+3 {
		t.Fatalf("import wrote %d members, want 3", count(t, w)-before)
	}
	p := must(w.owner.OrgMembers(ctx, oid, client.MemberQuery{Q: "ww"}))
	if len(p.Members) != 1 || len(p.Members[0].Departments) != 2 || p.Members[0].HireDate != "2022-07-01" || p.Members[0].Status != "invited" {
		t.Fatalf("王五: %+v", p.Members)
	}
	lisi := must(w.owner.OrgMembers(ctx, oid, client.MemberQuery{Q: "E002"})).Members[0]
	if p.Members[0].ManagerID != lisi.ID {
		t.Errorf("王五's manager is %s, want 李四 %s", p.Members[0].ManagerID, lisi.ID)
	}
	// Again: nothing changes.
	res = must(w.owner.ImportMembers(ctx, oid, []byte(goodCSV), client.ImportOptions{}))
	if res.Unchanged != 3 || res.Created+res.Updated != 0 || len(res.Departments) != 0 {
		t.Fatalf("re-run: %+v", res)
	}
	// One row changed (matched by email, employee number unchanged).
	changed := strings.Replace(goodCSV, "Sales lead", "Sales director", 1)
	res = must(w.owner.ImportMembers(ctx, oid, []byte(changed), client.ImportOptions{}))
	if res.Updated != 1 || res.Unchanged != 2 {
		t.Fatalf("one change: %+v", res)
	}
	// XLSX of the same rows: unchanged.
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSpace(changed), "\n") {
		rows = append(rows, strings.Split(l, ","))
	}
	var buf bytes.Buffer
	ok(t, sheet.WriteXLSX(&buf, rows))
	res = must(w.owner.ImportMembers(ctx, oid, buf.Bytes(), client.ImportOptions{}))
	if res.Unchanged != 3 {
		t.Fatalf("xlsx re-run: %+v", res)
	}
	// Imported people find their invitation by email, once they have
	// proved that the address is theirs.
	ls := &tacktest.User{Client: client.New(w.srv.URL), Login: "lisi@acme.example"}
	must(ls.Register(ctx, "lisi@acme.example", "correct horse battery", "Li Si"))
	ls.VerifyEmail(t, w.mail)
	var mine struct {
		Invitations []struct {
			Code string `json:"code"`
		} `json:"invitations"`
	}
	ok(t, ls.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine))
	if len(mine.Invitations) != 1 {
		t.Fatalf("imported member's invitations: %v", mine)
	}
	j := must(ls.AcceptInvitation(ctx, mine.Invitations[0].Code))
	if j.Member.ID != lisi.ID || j.Member.Status != "active" {
		t.Errorf("accepting links the imported member: %+v", j.Member)
	}
}

func TestImportBrokenFiles(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	before := count(t, w)
	imp := func(data []byte, opt client.ImportOptions) (client.ImportResult, error) {
		return w.owner.ImportMembers(ctx, oid, data, opt)
	}
	// GBK as Chinese Excel saves it: detected, and said once; the
	// encoding may still be given.
	gbk := must(simplifiedchinese.GBK.NewEncoder().Bytes([]byte("姓名,工号\n张三,E1\n李四,E2\n")))
	res := must(imp(gbk, client.ImportOptions{DryRun: true}))
	if res.Failed != 0 || res.Created != 2 || res.Encoding != "gb18030" || len(res.Problems) != 0 || res.Rows[0].Name != "张三" {
		t.Errorf("GBK: %+v", res)
	}
	res = must(imp(gbk, client.ImportOptions{Encoding: "gb18030", DryRun: true}))
	if res.Failed != 0 || res.Created != 2 || res.Encoding != "gb18030" {
		t.Errorf("GBK with encoding: %+v", res)
	}
	if res = must(imp([]byte("\xef\xbb\xbf姓名,工号\n张三,E1\n"), client.ImportOptions{DryRun: true})); res.Encoding != "utf-8" || res.Created != 1 {
		t.Errorf("UTF-8 with a BOM: %+v", res)
	}
	// Neither: said once for the file, and once per row it spoils.
	res = must(imp([]byte("name,employee_no\nA\xff\xfe\xfd,E1\nB,E2\n"), client.ImportOptions{DryRun: true}))
	if len(res.Problems) != 1 || res.Problems[0].Code != "file_encoding_unknown" || res.Failed != 1 || res.Rows[0].Problems[0].Code != "row_invalid_text" {
		t.Errorf("undecidable: %+v", res)
	}
	// Missing columns.
	res = must(imp([]byte("title,phone\nx,123456\n"), client.ImportOptions{}))
	if res.Committed || len(res.Errors) != 2 {
		t.Errorf("missing columns: %+v", res.Errors)
	}
	// Duplicate employee numbers: each duplicate names the first line.
	res = must(imp([]byte("name,employee_no\nA,E1\nB,E2\nC,E1\nD,bad number!\n"), client.ImportOptions{}))
	if res.Committed || res.Failed != 2 || res.Rows[2].Line != 4 || !strings.Contains(strings.Join(res.Rows[2].Errors, ";"), "row 2") {
		t.Errorf("duplicates: %+v", res)
	}
	// Each problem has a stable code and its parameters.
	if p := res.Rows[2].Problems; len(p) != 1 || p[0].Code != "row_duplicate_employee_no" || p[0].Params["row"] != float64(4) ||
		p[0].Params["first_row"] != float64(2) || p[0].Params["employee_no"] != "E1" {
		t.Errorf("duplicate's problem: %+v", p)
	}
	if p := res.Rows[3].Problems; len(p) != 1 || p[0].Code != "row_invalid_employee_no" || p[0].Params["value"] != "bad number!" {
		t.Errorf("bad number's problem: %+v", p)
	}
	res = must(imp([]byte("name,employee_no,email,hire_date,manager\n,E1,,,\nB,E2,not-an-email,someday,E9\n"), client.ImportOptions{DryRun: true}))
	var codes []string
	for _, r := range res.Rows {
		for _, p := range r.Problems {
			codes = append(codes, fmt.Sprint(p.Code, "@", p.Params["row"]))
		}
	}
	if fmt.Sprint(codes) != "[row_missing_name@2 row_invalid_email@3 row_invalid_hire_date@3 row_manager_unknown@3]" {
		t.Errorf("problem codes: %v", codes)
	}
	if res = must(imp([]byte("title,phone\nx,123456\n"), client.ImportOptions{})); len(res.Problems) != 2 ||
		res.Problems[0].Code != "file_missing_name_column" || res.Problems[1].Code != "file_missing_key_column" {
		t.Errorf("missing columns: %+v", res.Problems)
	}
	// Malformed CSV, not an XLSX, too large.
	if _, err := imp([]byte("name,employee_no\n\"A,E1\nB,E2\n"), client.ImportOptions{}); code(err) != "invalid" {
		t.Errorf("bad quoting: %v", err)
	}
	if _, err := imp([]byte("PK\x03\x04garbage"), client.ImportOptions{}); code(err) != "invalid" {
		t.Errorf("broken xlsx: %v", err)
	}
	if _, err := imp(bytes.Repeat([]byte("a"), 17<<20), client.ImportOptions{}); code(err) != "too_large" {
		t.Errorf("17 MiB: %v", err)
	}
	// 10,000 rows, the last one bad: nothing imported.
	var b strings.Builder
	b.WriteString("name,employee_no,email,department\n")
	for i := range 10000 {
		fmt.Fprintf(&b, "员工%d,N%05d,n%05d@acme.example,总部/第%d组\n", i, i, i, i%50)
	}
	big := b.String()
	bad := big + "Broken,N00001,x@acme.example,\n"
	start := time.Now()
	res = must(imp([]byte(bad), client.ImportOptions{}))
	if res.Committed || res.Failed != 1 || res.Rows[len(res.Rows)-1].Line != 10002 {
		t.Errorf("10,000 + 1 bad: committed %v failed %d", res.Committed, res.Failed)
	}
	t.Logf("10,001 rows checked in %v", time.Since(start))
	if n := count(t, w); n != before {
		t.Fatalf("a failed import wrote %d members", n-before)
	}
	start = time.Now()
	res = must(imp([]byte(big), client.ImportOptions{}))
	if !res.Committed || res.Created != 10000 || len(res.Departments) != 51 {
		t.Fatalf("10,000 rows: committed %v created %d departments %d", res.Committed, res.Created, len(res.Departments))
	}
	t.Logf("10,000 rows imported in %v", time.Since(start))
	start = time.Now()
	res = must(imp([]byte(big), client.ImportOptions{}))
	if res.Unchanged != 10000 {
		t.Fatalf("10,000 rows again: %+v", res.Unchanged)
	}
	t.Logf("10,000 rows re-checked in %v", time.Since(start))
	if n := count(t, w); n != before+10000 {
		t.Fatalf("members: %d, want %d", n, before+10000)
	}
}

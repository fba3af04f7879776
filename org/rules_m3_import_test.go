package org_test

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// TestImportWritesManagersFirst: rows are written managers before the
// people who report to them, wherever they stand in the file, so an import
// stopped part-way leaves no member whose manager is not written yet. Here
// 100 rows report to (chains of) managers listed after them; the store
// fails at its second write of the import.
func TestImportWritesManagersFirst(t *testing.T) {
	r := newImportRig(t)
	table := [][]string{{"name", "employee_no", "manager"}}
	for i := range 100 {
		table = append(table, []string{fmt.Sprint("Report ", i), fmt.Sprintf("R%03d", i), fmt.Sprintf("M%02d", i%10)})
	}
	for i := range 10 {
		// M00..M04 report to M05..M09: two levels above the reports.
		mgr := ""
		if i < 5 {
			mgr = fmt.Sprintf("M%02d", i+5)
		}
		table = append(table, []string{fmt.Sprint("Manager ", i), fmt.Sprintf("M%02d", i), mgr})
	}
	r.db.failAt = r.db.applies.Load() + 2
	if _, err := r.svc.Import(r.owner, r.org, org.Table(table), org.ImportOptions{}); !errors.Is(err, errInjected) {
		t.Fatalf("import with a failing store: %v", err)
	}
	written := r.allMembers(t)
	if len(written) <= 1 || len(written) >= 111 {
		t.Fatalf("after the failure: %d members; want some but not all of 110", len(written)-1)
	}
	ids := map[string]bool{}
	for _, m := range written {
		ids[string(m.ID)] = true
	}
	for no, m := range written {
		if m.ManagerID != "" && !ids[string(m.ManagerID)] {
			t.Errorf("%s was written before its manager %s", no, m.ManagerID)
		}
	}
}

// goMemoryNow is the Go runtime's memory as its soft limit counts it.
func goMemoryNow() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()) - int64(s[1].Value.Uint64())
}

// TestImportMemoryLimitWhileCharged: while imports hold memory the Go
// runtime's soft memory limit is lowered to a headroom above the memory the
// process had when the first of them charged some (never raised, never
// below that memory, and an operator's lower limit is kept); a second import does not move it; a reservation that
// charged nothing, or a charge of nothing, leaves it alone; the limit the
// process had comes back when the last import lets go, not before.
func TestImportMemoryLimitWhileCharged(t *testing.T) {
	const set = int64(1) << 40
	old := debug.SetMemoryLimit(set)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	limit := func() int64 { return debug.SetMemoryLimit(-1) }

	svc, users := limitRig(t, 1)
	me := tack.WithCaller(context.Background(), tack.Caller{UserID: users[0]})
	var orgs []tack.ID
	for _, name := range []string{"Limit A", "Limit B"} {
		o, _, err := svc.Create(me, name, "", "")
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}

	// A charge outside a reservation is refused; one reserved that
	// charged nothing, and released, leaves the limit untouched.
	if err := svc.ChargeImport(me, 1<<20); err == nil {
		t.Fatal("a charge outside any reservation was accepted")
	}
	zero, release, err := svc.ReserveImport(me, orgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ChargeImport(zero, 0); err != nil {
		t.Fatal(err)
	}
	if got := limit(); got != set {
		t.Fatalf("after a charge of nothing: limit %d, want %d", got, set)
	}
	release()
	if got := limit(); got != set {
		t.Fatalf("after a reservation that charged nothing: limit %d, want %d", got, set)
	}

	// A first charge lowers it, a second import's leaves it.
	a, releaseA, err := svc.ReserveImport(me, orgs[0])
	if err != nil {
		t.Fatal(err)
	}
	before := goMemoryNow()
	if err := svc.ChargeImport(a, 1<<20); err != nil {
		t.Fatal(err)
	}
	lowered := limit()
	if lowered >= set || lowered < before || lowered > max(before, goMemoryNow())+64<<20 {
		t.Fatalf("limit while an import holds memory: %d; want below %d, between the Go memory before (%d) and 64 MiB above it", lowered, set, before)
	}
	b, releaseB, err := svc.ReserveImport(me, orgs[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ChargeImport(b, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got := limit(); got != lowered {
		t.Errorf("a second import moved the limit: %d, was %d", got, lowered)
	}
	releaseA()
	if got := limit(); got != lowered {
		t.Errorf("the limit after the first import let go while another holds memory: %d, want still %d", got, lowered)
	}
	releaseB()
	if got := limit(); got != set {
		t.Errorf("the limit after the last import let go: %d, want the process's %d back", got, set)
	}

	// An operator's limit already below that headroom is never raised.
	low := goMemoryNow() + 8<<20
	debug.SetMemoryLimit(low)
	c, releaseC, err := svc.ReserveImport(me, orgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.ChargeImport(c, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got := limit(); got != low {
		t.Errorf("an import moved the operator's lower limit %d to %d", low, got)
	}
	releaseC()
	if got := limit(); got != low {
		t.Errorf("the operator's lower limit after the import: %d, want %d", got, low)
	}
}

// TestImportIntoNewSubdepartmentJoinsParentGroup: an existing member whom
// an import moves into a department the same import makes, below one with
// an organisation group, joins that group (the groups are judged against
// the tree with the new departments in it).
func TestImportIntoNewSubdepartmentJoinsParentGroup(t *testing.T) {
	svc, db, users := storeRig(t, 2, org.Config{}, nil)
	u := newUnitOrg(t, svc, users, "Move Co")
	as, o := u.as, u.Org
	g := u.group(0, u.dept("Sales").ID)
	m := u.join(1)
	if _, err := svc.UpdateMember(as(0), o.ID, m.ID, org.Profile{EmployeeNo: ptr("S1")}); err != nil {
		t.Fatal(err)
	}
	in := func() bool {
		t.Helper()
		ids, err := db.MembersAmong(context.Background(), g.ConversationID, []tack.ID{users[1]})
		if err != nil {
			t.Fatal(err)
		}
		return len(ids) == 1
	}
	if in() {
		t.Fatal("the member is in Sales' group before the import")
	}
	res, err := svc.Import(as(0), o.ID, org.Table([][]string{{"name", "employee_no", "department"}, {m.Name, "S1", "Sales/East"}}), org.ImportOptions{})
	if err != nil || !res.Committed || res.Updated != 1 {
		t.Fatalf("import: %v %+v", err, res)
	}
	if !in() {
		t.Errorf("moved by the import into Sales/East, new in it, the member is not in Sales' group")
	}
}

// TestImportOneRowPastABatch: an import one row longer than its first
// write batch (50 members) writes every row, and its progress says so.
func TestImportOneRowPastABatch(t *testing.T) {
	r := newImportRig(t)
	table := [][]string{{"name", "employee_no"}}
	for i := range 51 {
		table = append(table, []string{fmt.Sprint("Row ", i), fmt.Sprintf("P%02d", i)})
	}
	var writes []string
	res, err := r.svc.Import(r.owner, r.org, org.Table(table), org.ImportOptions{Progress: func(phase string, done, total int) {
		if phase == "write" {
			writes = append(writes, fmt.Sprint(done, "/", total))
		}
	}})
	if err != nil || !res.Committed || res.Created != 51 {
		t.Fatalf("import of 51 rows: %v %+v", err, res)
	}
	// Its progress counts the rows written: none, the first batch, all.
	if fmt.Sprint(writes) != "[0/51 50/51 51/51]" {
		t.Errorf("write progress %v, want [0/51 50/51 51/51]", writes)
	}
	if got := len(r.allMembers(t)) - 1; got != 51 {
		t.Errorf("%d members after importing 51", got)
	}
}

// cancelAfter reads rows and cancels the import's context once it has
// handed out n of them, as a client going away part-way through an upload.
type cancelAfter struct {
	rows   org.Rows
	n      int
	cancel context.CancelFunc
	served int
}

func (c *cancelAfter) Next() ([]string, error) {
	if c.served++; c.served == c.n {
		c.cancel()
	}
	return c.rows.Next()
}

// TestImportStopsWhenCancelledWhileReading: an import whose caller goes
// away while its rows are being read stops with the context's error, and
// writes nothing, even with thousands of rows still to read.
func TestImportStopsWhenCancelledWhileReading(t *testing.T) {
	r := newImportRig(t)
	table := [][]string{{"name", "employee_no"}}
	for i := range 5000 {
		table = append(table, []string{fmt.Sprint("Row ", i), fmt.Sprintf("C%04d", i)})
	}
	ctx, cancel := context.WithCancel(r.owner)
	defer cancel()
	src := &cancelAfter{rows: org.Table(table), n: 100, cancel: cancel}
	_, err := r.svc.Import(ctx, r.org, src, org.ImportOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("an import cancelled while reading: %v, want context.Canceled", err)
	}
	if src.served > 2000 {
		t.Errorf("it read %d rows after the cancellation at 100, want it to stop within a thousand", src.served)
	}
	if got := len(r.allMembers(t)) - 1; got != 0 {
		t.Errorf("%d members written by the cancelled import", got)
	}
}

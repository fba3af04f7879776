package org_test

import (
	"errors"
	"fmt"
	"testing"

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

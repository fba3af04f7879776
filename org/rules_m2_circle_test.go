package org_test

import (
	"slices"
	"testing"

	"github.com/tackhq/tack/org"
)

// TestImportRefusesManagerCircles: rows whose managers make a circle are
// refused as row_manager_circle, whichever rows of the file they are on
// (the first included); a row whose manager is in a circle but who is not
// in it is not refused for the circle.
func TestImportRefusesManagerCircles(t *testing.T) {
	// importRows keys the rows E0, E1, E2 in order.
	table := [][]string{{"name", "manager"}, {"Ann", "E1"}, {"Bob", "E0"}, {"Cai", "E0"}}
	res := importRows(t, table)
	for i, name := range []string{"Ann", "Bob"} {
		if got := problemCodes(res.Rows[i]); !slices.Contains(got, "row_manager_circle") {
			t.Errorf("%s, in the circle: %v", name, got)
		}
	}
	if got := problemCodes(res.Rows[2]); slices.Contains(got, "row_manager_circle") {
		t.Errorf("Cai, below the circle: %v", got)
	}
}

// TestImportProgressWithinTotal: an import's progress never says more rows
// are done than it has.
func TestImportProgressWithinTotal(t *testing.T) {
	r := newUnitImport(t)
	calls := 0
	progress := func(phase string, done, total int) {
		calls++
		if done < 0 || done > total {
			t.Errorf("progress %s: %d of %d", phase, done, total)
		}
	}
	table := org.Table([][]string{{"name", "employee_no"}, {"Ann", "E1"}, {"Bob", "E2"}, {"Cai", "E3"}})
	if _, err := r.svc.Import(r.me, r.oid, table, org.ImportOptions{Progress: progress}); err != nil {
		t.Fatal(err)
	}
	if calls == 0 {
		t.Fatal("no progress reported")
	}
}

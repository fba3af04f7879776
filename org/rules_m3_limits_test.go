package org_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// TestDepartmentCountLimit: an organisation holds at most MaxDepartments
// departments: with one fewer, an admin makes one more, and an import may
// add one more; at the limit both are refused as too large.
func TestDepartmentCountLimit(t *testing.T) {
	svc, db, users := storeRig(t, 1, org.Config{}, nil)
	u := newUnitOrg(t, svc, users, "Many Co")
	me, o := u.as(0), u.Org
	// MaxDepartments − 1, written behind the service's back.
	now := time.Now()
	var ds []org.Department
	for i := range org.MaxDepartments - 1 {
		id := tack.NewID()
		ds = append(ds, org.Department{ID: id, OrgID: o.ID, Name: fmt.Sprint("D", i), HeadIDs: []tack.ID{}, Path: "/" + string(id) + "/", CreatedAt: now})
	}
	if _, err := db.Apply(context.Background(), org.Batch{Departments: ds}); err != nil {
		t.Fatal(err)
	}
	imp := func() org.ImportResult {
		t.Helper()
		res, err := svc.Import(me, o.ID, org.Table([][]string{{"name", "employee_no", "department"}, {"Zed", "Z1", "Brand new"}}), org.ImportOptions{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := imp(); len(res.Problems) != 0 {
		t.Errorf("an import adding the last department allowed: %+v", res.Problems)
	}
	if _, err := svc.CreateDepartment(me, o.ID, "", "The last one"); err != nil {
		t.Fatalf("the department that reaches the limit: %v", err)
	}
	if _, err := svc.CreateDepartment(me, o.ID, "", "One too many"); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("a department past the limit: %v, want too large", err)
	}
	res := imp()
	if len(res.Problems) != 1 || res.Problems[0].Code != "file_too_many_departments" {
		t.Errorf("an import adding a department past the limit: %+v, want file_too_many_departments", res.Problems)
	}
}

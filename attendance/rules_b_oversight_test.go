package attendance_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/tacktest"
)

// rbCountingDir is the node's directory counting department reads.
type rbCountingDir struct {
	attendance.Directory
	mu    sync.Mutex
	depts int
}

func (d *rbCountingDir) DirectoryDepartments(ctx context.Context, orgID tack.ID) ([]org.Department, error) {
	d.mu.Lock()
	d.depts++
	d.mu.Unlock()
	return d.Directory.DirectoryDepartments(ctx, orgID)
}

func (d *rbCountingDir) reads() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.depts
}

// TestOversightRules: managers are followed up the chain for 32 levels;
// a sub-admin makes groups of departments within their scope; lookups
// for the approvals service read the department tree once per
// deptCacheTTL, not per call.
func TestOversightRules(t *testing.T) {
	clk := newClock(at("2026-03-04 08:30"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	as := srv.Node.Attendance
	org_ := tack.ID(w.org)

	// A sub-admin of Sales makes a group of a department under Sales.
	east := string(must[client.Department](t)(w.owner.CreateDepartment(bg, w.org, w.sales, "East")).ID)
	body := map[string]any{"name": "East office", "department_ids": []string{east},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "HQ", "lat": hqLat, "lng": hqLng, "radius_m": 300}}}
	if _, err := w.sub.CreateAttGroup(bg, w.org, body); err != nil {
		t.Errorf("a sub-admin makes a group of a department in their scope: %v", err)
	}
	body["name"], body["department_ids"] = "Eng office", []string{w.eng}
	if _, err := w.sub.CreateAttGroup(bg, w.org, body); code(err) != tack.EForbidden {
		t.Errorf("a sub-admin makes a group of a department outside their scope: %v", err)
	}
	w.group(t, map[string]any{"department_ids": []string{w.eng}})

	// The department tree is read once for a burst of lookups.
	dir := &rbCountingDir{Directory: srv.Node.Org}
	svc := attendance.NewService(attStore(t, srv), dir, clk.Now, attendance.Config{})
	if _, err := svc.QuotaOf(bg, org_, tack.ID(w.mid[w.member]), "2026-03"); err != nil {
		t.Fatal(err)
	}
	before := dir.reads()
	for i := 0; i < 3; i++ {
		if _, err := svc.QuotaOf(bg, org_, tack.ID(w.mid[w.member]), "2026-03"); err != nil {
			t.Fatal(err)
		}
	}
	if n := dir.reads() - before; n != 0 || before == 0 {
		t.Errorf("the department tree was read %d times for the first lookup and %d more for 3 within %v", before, n, "30s")
	}

	// A chain of 33 managers above someone: the 32 nearest oversee them.
	chain := make([]*tacktest.User, 34)
	for i := range chain {
		u := srv.NewUser(t, fmt.Sprint("Link ", i))
		inv := must[client.InvitationOut](t)(w.owner.CreateInvitation(bg, w.org, map[string]any{"department_ids": []string{w.eng}}))
		j := must[client.Joined](t)(u.AcceptInvitation(bg, inv.Code))
		w.mid[u] = string(j.Member.ID)
		chain[i] = u
	}
	for i := 0; i+1 < len(chain); i++ {
		must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[chain[i]], map[string]any{"manager_id": w.mid[chain[i+1]]}))
	}
	sees := func(k int) error {
		_, err := as.MonthlyReport(rbAs(chain[k]), org_, attendance.ReportQuery{Month: "2026-03", UserID: tack.ID(w.mid[chain[0]])})
		return err
	}
	for _, k := range []int{1, 2, 32} {
		if err := sees(k); err != nil {
			t.Errorf("manager %d levels up: %v", k, err)
		}
	}
	if err := sees(33); tack.ErrorCode(err) != tack.EForbidden {
		t.Errorf("manager 33 levels up: %v, want forbidden", err)
	}
}

// TestReportRowsSortStably: report rows are by name; people of the same
// name keep the directory's order.
func TestReportRowsSortStably(t *testing.T) {
	clk := newClock(at("2026-03-04 08:30"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	for i := 0; i < 3; i++ {
		u := srv.NewUser(t, "Twin")
		inv := must[client.InvitationOut](t)(w.owner.CreateInvitation(bg, w.org, map[string]any{"department_ids": []string{w.eng}}))
		must[client.Joined](t)(u.AcceptInvitation(bg, inv.Code))
	}
	ms, err := srv.Node.Org.DirectoryActiveMembers(bg, tack.ID(w.org), nil)
	ok(t, err)
	var want, got []tack.ID
	for _, m := range ms {
		if m.Name == "Twin" {
			want = append(want, m.UserID)
		}
	}
	rep, err := srv.Node.Attendance.MonthlyReport(rbAs(w.owner), tack.ID(w.org), attendance.ReportQuery{Month: "2026-03"})
	ok(t, err)
	for i, r := range rep.Rows {
		if i > 0 && rep.Rows[i-1].Name > r.Name {
			t.Errorf("row %d (%s) after %s", i, r.Name, rep.Rows[i-1].Name)
		}
		if r.Name == "Twin" {
			got = append(got, r.UserID)
		}
	}
	if len(want) != 3 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("twins in the report %v, in the directory %v", got, want)
	}
}

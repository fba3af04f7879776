package attendance_test

import (
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// closedOnce checks that every member of the group has exactly one day per
// date from from to to, closed exactly once, and returns the days.
func closedOnce(t *testing.T, st attendance.Store, org string, members int, from, to string) []attendance.Day {
	t.Helper()
	days, err := st.Days(bg, tack.ID(org), nil, from, to)
	ok(t, err)
	f, _ := time.Parse("2006-01-02", from)
	e, _ := time.Parse("2006-01-02", to)
	want := members * (int(e.Sub(f)/(24*time.Hour)) + 1)
	if len(days) != want {
		t.Errorf("%d days from %s to %s, want %d", len(days), from, to, want)
	}
	seen := map[string]bool{}
	for _, d := range days {
		k := string(d.UserID) + d.WorkDate
		if seen[k] {
			t.Errorf("two rows for %s", k)
		}
		seen[k] = true
		if d.State != attendance.Closed || d.Closes != 1 {
			t.Errorf("%s %s: state %s, closed %d times", d.UserID, d.WorkDate, d.State, d.Closes)
		}
	}
	return days
}

// TestDayCloseSQLite: day close run twice (and concurrently) closes each
// member's day once; after a restart and three days of downtime it
// catches up.
func TestDayCloseSQLite(t *testing.T) {
	clk := newClock(at("2026-03-02 08:00")) // Monday
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	as := srv.Node.Attendance
	ok(t, as.RunJobs(bg))
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-02 18:30"))
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-04 10:00")) // Monday and Tuesday are over
	for round := 0; round < 2; round++ {
		var wg sync.WaitGroup
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); ok(t, as.RunJobs(bg)) }()
		}
		wg.Wait()
	}
	st := attStore(t, srv)
	days := closedOnce(t, st, w.org, 5, "2026-03-02", "2026-03-03")
	for _, d := range days {
		switch {
		case d.UserID == tack.ID(w.member.ID) && d.WorkDate == "2026-03-02":
			if d.Summary.Status != "normal" || d.Summary.WorkedMinutes != 540 || d.Summary.OvertimeMinutes != 30 {
				t.Errorf("member's Monday: %+v", d.Summary)
			}
		default:
			if !d.Summary.Absent || d.Summary.NotSigned != 2 {
				t.Errorf("%s %s: %+v", d.UserID, d.WorkDate, d.Summary)
			}
		}
	}
	// Wednesday is planned and open.
	if ds, _ := st.Days(bg, tack.ID(w.org), nil, "2026-03-04", "2026-03-04"); len(ds) != 5 || ds[0].State != attendance.Open {
		t.Errorf("Wednesday: %d days", len(ds))
	}
	// Down from Wednesday to Sunday; the restarted node catches up.
	srv.Restart(t)
	clk.Set(at("2026-03-08 12:00"))
	ok(t, srv.Node.Attendance.RunJobs(bg))
	days = closedOnce(t, attStore(t, srv), w.org, 5, "2026-03-02", "2026-03-07")
	for _, d := range days {
		if d.WorkDate == "2026-03-07" && (d.Summary.Status != "rest" || d.Summary.Absent) {
			t.Errorf("Saturday: %+v", d.Summary)
		}
	}
	ok(t, srv.Node.Attendance.RunJobs(bg))
	closedOnce(t, attStore(t, srv), w.org, 5, "2026-03-02", "2026-03-07")
}

// TestDayCloseThreeNodes: three nodes on one PostgreSQL run the jobs at
// once, repeatedly; each member's day closes exactly once.
func TestDayCloseThreeNodes(t *testing.T) {
	dsn := pgDSN(t)
	if dsn == "" {
		t.Skip("TACK_TEST_POSTGRES is not set: the three-node day close needs PostgreSQL")
	}
	clk := newClock(at("2026-03-02 08:00"))
	var nodes []*tacktest.Server
	for i := 0; i < 3; i++ {
		nodes = append(nodes, server(t, clk, func(c *node.Config) { c.PostgresURL = dsn }))
	}
	w := newWorld(t, nodes[0], clk)
	// More people, so that claims overlap: 40 in Eng.
	for i := 0; i < 40; i++ {
		u := nodes[i%3].NewUser(t, "Extra")
		inv := must[client.InvitationOut](t)(w.owner.CreateInvitation(bg, w.org, map[string]any{"department_ids": []string{w.eng}}))
		must[client.Joined](t)(u.AcceptInvitation(bg, inv.Code))
	}
	w.group(t, nil)
	run := func() {
		var wg sync.WaitGroup
		for _, n := range nodes {
			for k := 0; k < 2; k++ {
				wg.Add(1)
				go func() { defer wg.Done(); ok(t, n.Node.Attendance.RunJobs(bg)) }()
			}
		}
		wg.Wait()
	}
	run()
	w.member.BaseURL = nodes[1].URL
	must[client.AttPunch](t)(w.member.Punch(bg, w.org, inside()))
	clk.Set(at("2026-03-05 10:00"))
	run()
	run()
	st := attStore(t, nodes[2])
	days := closedOnce(t, st, w.org, 45, "2026-03-02", "2026-03-04")
	partial := 0
	for _, d := range days {
		if d.Summary.Status == "not_signed" {
			partial++
		}
	}
	if partial != 1 {
		t.Errorf("%d days with one punch, want 1", partial)
	}
}

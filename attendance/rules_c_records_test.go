package attendance_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
)

// rcAs is a context of the user as caller.
func rcAs(u string) context.Context {
	return tack.WithCaller(bg, tack.Caller{UserID: tack.ID(u)})
}

// rcDates lists the work dates of days.
func rcDates(ds []attendance.Day) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.WorkDate
	}
	return out
}

// TestMonthShowsTheGroupsDays: a month lists its own days only, from the
// day the group was made (days before are not judged), planned ahead to
// the month's end; a month before the group lists none (an empty list,
// not null). Months of 1970 to 2200 may be asked for.
func TestMonthShowsTheGroupsDays(t *testing.T) {
	clk := newClock(at("2026-03-04 10:00"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	for _, c := range []struct {
		month       string
		n           int
		first, last string
	}{
		{"2026-03", 28, "2026-03-04", "2026-03-31"},
		{"2026-04", 30, "2026-04-01", "2026-04-30"},
		{"2026-02", 0, "", ""},
		{"1970-01", 0, "", ""},
		{"2200-12", 31, "2200-12-01", "2200-12-31"},
	} {
		m, err := w.member.AttMonth(bg, w.org, "", c.month)
		if err != nil {
			t.Errorf("%s: %v", c.month, err)
			continue
		}
		ds := rcDates(m.Days)
		if m.Days == nil || len(ds) != c.n || (c.n > 0 && (ds[0] != c.first || ds[c.n-1] != c.last)) {
			t.Errorf("%s: days %v (nil %v), want %d from %s to %s", c.month, ds, m.Days == nil, c.n, c.first, c.last)
		}
		if m.Month != c.month || m.UserID != tack.ID(w.member.ID) || m.Name != "Member" {
			t.Errorf("%s: %+v", c.month, m)
		}
	}
	for _, month := range []string{"1969-12", "2201-01", "2026-13", "2026-3"} {
		if _, err := w.member.AttMonth(bg, w.org, "", month); code(err) != tack.EInvalid {
			t.Errorf("month %s: %v, want invalid", month, err)
		}
	}
}

// TestOverseerSeesTheMembersAttendance: a manager looking at their
// report sees the report's records, month and punches (not their own or
// nobody's); a member without punches gets an empty list.
func TestOverseerSeesTheMembersAttendance(t *testing.T) {
	clk := newClock(at("2026-03-04 09:05"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	p := must[client.AttPunch](t)(w.report.Punch(bg, w.org, inside()))
	rid := tack.ID(w.report.ID)

	rs := must[[]client.AttRecord](t)(w.manager.AttRecords(bg, w.org, w.report.ID, "2026-03-04", "2026-03-04"))
	if len(rs) != 1 || rs[0].UserID != rid || rs[0].PunchID != p.ID || rs[0].CheckType != attendance.OnDuty {
		t.Errorf("the manager reads the report's records: %+v", rs)
	}
	m := must[client.AttMonth](t)(w.manager.AttMonth(bg, w.org, w.report.ID, "2026-03"))
	if m.UserID != rid || m.MemberID != tack.ID(w.mid[w.report]) || m.Name != "Report" || len(m.Days) != 28 {
		t.Errorf("the manager reads the report's month: %s %s %q, %d days", m.UserID, m.MemberID, m.Name, len(m.Days))
	} else if d := m.Days[0]; d.WorkDate != "2026-03-04" || d.UserID != rid || len(d.Checks) == 0 || d.Checks[0].PunchID != p.ID {
		t.Errorf("the report's first day: %+v", d)
	}
	ps := must[[]client.AttPunchRow](t)(w.manager.AttPunches(bg, w.org, w.report.ID, "2026-03-04", "2026-03-04"))
	if len(ps) != 1 || ps[0].ID != p.ID || ps[0].UserID != rid {
		t.Errorf("the manager reads the report's punches: %+v", ps)
	}
	ps = must[[]client.AttPunchRow](t)(w.report.AttPunches(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if len(ps) != 1 || ps[0].ID != p.ID {
		t.Errorf("the report's own punches: %+v", ps)
	}
	ps = must[[]client.AttPunchRow](t)(w.member.AttPunches(bg, w.org, "", "2026-03-04", "2026-03-04"))
	if ps == nil || len(ps) != 0 {
		t.Errorf("no punches: %#v, want an empty list", ps)
	}
}

// TestListLimits: views and the audit log give as many entries as asked
// for, from 1 to 200; no limit, or more than 200, gives 50.
func TestListLimits(t *testing.T) {
	clk := newClock(at("2026-03-04 09:05"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	st := attStore(t, srv)
	orgID := tack.ID(w.org)
	var vs []attendance.View
	var as []attendance.Audit
	for i := 0; i < 201; i++ {
		now := clk.Now().Add(time.Duration(i) * time.Second)
		vs = append(vs, attendance.View{ID: tack.NewID(), OrgID: orgID, ViewerID: tack.ID(w.manager.ID), SubjectID: tack.ID(w.report.ID),
			What: "records", From: "2026-03-04", To: "2026-03-04", At: now})
		as = append(as, attendance.Audit{ID: tack.NewID(), OrgID: orgID, ActorID: tack.ID(w.owner.ID), Action: "group.update", Target: "g", At: now})
	}
	ok(t, st.Apply(bg, attendance.Batch{Views: vs, Audit: as}))
	svc := srv.Node.Attendance
	for _, c := range []struct{ limit, want int }{
		{-1, 50}, {0, 50}, {1, 1}, {2, 2}, {50, 50}, {51, 51}, {199, 199}, {200, 200}, {201, 50}, {1000, 50},
	} {
		got, err := svc.Views(rcAs(w.report.ID), orgID, "", c.limit)
		if err != nil || len(got) != c.want {
			t.Errorf("views, limit %d: %d (%v), want %d", c.limit, len(got), err, c.want)
		}
		log, err := svc.AuditLog(rcAs(w.owner.ID), orgID, "", c.limit)
		if err != nil || len(log) != c.want {
			t.Errorf("audit log, limit %d: %d (%v), want %d", c.limit, len(log), err, c.want)
		}
	}
}

// rcConflictStore answers the first conflicts punch writes with
// EConflict, as if a concurrent punch of the same person had moved the
// day, and counts the punch writes.
type rcConflictStore struct {
	attendance.Store
	mu        sync.Mutex
	conflicts int
	writes    int
}

func (s *rcConflictStore) Apply(ctx context.Context, b attendance.Batch) error {
	if len(b.Punches) > 0 {
		s.mu.Lock()
		s.writes++
		conflict := s.conflicts > 0
		if conflict {
			s.conflicts--
		}
		s.mu.Unlock()
		if conflict {
			return tack.Errorf(tack.EConflict, "the day moved")
		}
	}
	return s.Store.Apply(ctx, b)
}

// rcEvents records attendance events.
type rcEvents struct {
	mu   sync.Mutex
	keys []string
	got  []attendance.Result
}

func (e *rcEvents) Event(_ context.Context, _ tack.ID, event, key string, data any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r, ok := data.(attendance.Result); ok && event == "attendance" {
		e.keys = append(e.keys, key)
		e.got = append(e.got, r)
	}
}

func (e *rcEvents) results() ([]string, []attendance.Result) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.keys...), append([]attendance.Result(nil), e.got...)
}

// TestPunchRetriesConflicts: a punch whose day was moved by a concurrent
// punch is tried again, up to RcMaxPunchAttempts times in all; an accepted
// punch is told as an "attendance" event keyed by the member, a refused
// one is not.
func TestPunchRetriesConflicts(t *testing.T) {
	clk := newClock(at("2026-03-04 09:05"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	in := attendance.PunchInput{Position: attendance.Position{Lat: f(hqLat + 0.001), Lng: f(hqLng), AccuracyM: f(20)}}
	for _, c := range []struct {
		name      string
		u         string
		conflicts int
		want      string
	}{
		{"no conflict", w.report.ID, 0, "ok"},
		{"conflicts until the last attempt", w.manager.ID, attendance.RcMaxPunchAttempts - 1, "ok"},
		{"conflicts on every attempt", w.member.ID, attendance.RcMaxPunchAttempts, tack.EConflict},
	} {
		st := &rcConflictStore{Store: attStore(t, srv), conflicts: c.conflicts}
		ev := &rcEvents{}
		svc := attendance.NewService(st, srv.Node.Org, clk.Now, attendance.Config{Events: ev})
		res, err := svc.Punch(rcAs(c.u), tack.ID(w.org), in)
		got := "ok"
		if err != nil {
			got = tack.ErrorCode(err)
		}
		wantWrites := min(c.conflicts+1, attendance.RcMaxPunchAttempts)
		if got != c.want || st.writes != wantWrites {
			t.Errorf("%s: %s after %d writes (%v), want %s after %d", c.name, got, st.writes, err, c.want, wantWrites)
		}
		keys, rs := ev.results()
		if c.want != "ok" {
			if len(rs) != 0 {
				t.Errorf("%s: events %+v for a refused punch", c.name, rs)
			}
			continue
		}
		if len(rs) != 1 || keys[0] != "user:"+c.u || rs[0].Action != "punch" || rs[0].UserID != tack.ID(c.u) ||
			rs[0].WorkDate != "2026-03-04" || rs[0].Check == nil || rs[0].Check.PunchID != res.ID {
			t.Errorf("%s: events %v %+v, want one punch event of %s", c.name, keys, rs, c.u)
		}
	}
}

// rcNilStore answers nil for no punches, as a Store may (the SQL stores
// answer an empty slice).
type rcNilStore struct{ attendance.Store }

func (s rcNilStore) Punches(ctx context.Context, orgID, userID tack.ID, from, to string) ([]attendance.Punch, error) {
	ps, err := s.Store.Punches(ctx, orgID, userID, from, to)
	if len(ps) == 0 {
		ps = nil
	}
	return ps, err
}

// TestPunchesListIsNeverNull: the punch history of someone without
// punches is an empty list (JSON []), whatever the store answers.
func TestPunchesListIsNeverNull(t *testing.T) {
	clk := newClock(at("2026-03-04 09:05"))
	srv := server(t, clk)
	w := newWorld(t, srv, clk)
	w.group(t, nil)
	must[client.AttPunch](t)(w.report.Punch(bg, w.org, inside()))
	svc := attendance.NewService(rcNilStore{attStore(t, srv)}, srv.Node.Org, clk.Now, attendance.Config{})
	q := attendance.Range{From: "2026-03-04", To: "2026-03-04"}
	if ps, err := svc.Punches(rcAs(w.member.ID), tack.ID(w.org), q); err != nil || ps == nil || len(ps) != 0 {
		t.Errorf("no punches: %#v (%v), want an empty list", ps, err)
	}
	if ps, err := svc.Punches(rcAs(w.report.ID), tack.ID(w.org), q); err != nil || len(ps) != 1 {
		t.Errorf("one punch: %#v (%v)", ps, err)
	}
}

package approval_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

var bg = context.Background()

// clock is a clock the test moves.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t.UTC()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.UTC()
	c.mu.Unlock()
}

func code(err error) string {
	if err == nil {
		return "ok"
	}
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "transport: " + err.Error()
}

func status(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// at is a wall time in Shanghai.
func at(s string) time.Time {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// server starts a node with the clock and no attendance timer.
func server(t testing.TB, clk *clock, opts ...func(*node.Config)) *tacktest.Server {
	t.Helper()
	return tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.AttendanceClock = clk.Now
		c.AttendanceEvery = -1
		for _, o := range opts {
			o(c)
		}
	}))
}

// world is an organisation in Asia/Shanghai: an owner, an admin, Sales
// (the manager, their report, the report's colleague) and Eng (a member),
// the manager's own manager (the director), someone of another
// organisation and a stranger.
type world struct {
	srv                                 *tacktest.Server
	org, sales, eng                     string
	owner, admin, director, manager     *tacktest.User
	report, colleague, member, stranger *tacktest.User
	other                               *tacktest.User
	mid                                 map[*tacktest.User]string
}

func newWorld(t testing.TB, srv *tacktest.Server) *world {
	t.Helper()
	w := &world{srv: srv, mid: map[*tacktest.User]string{}}
	w.owner = srv.NewUser(t, "Owner")
	o := must[client.Org](t)(w.owner.CreateOrg(bg, "Acme", "Asia/Shanghai"))
	w.org = string(o.ID)
	w.mid[w.owner] = string(o.Me.ID)
	w.sales = string(must[client.Department](t)(w.owner.CreateDepartment(bg, w.org, "", "Sales")).ID)
	w.eng = string(must[client.Department](t)(w.owner.CreateDepartment(bg, w.org, "", "Eng")).ID)
	join := func(name, dept string) *tacktest.User {
		u := srv.NewUser(t, name)
		inv := must[client.InvitationOut](t)(w.owner.CreateInvitation(bg, w.org, map[string]any{"department_ids": []string{dept}}))
		j := must[client.Joined](t)(u.AcceptInvitation(bg, inv.Code))
		w.mid[u] = string(j.Member.ID)
		return u
	}
	w.admin = join("Admin", w.eng)
	must[client.OrgMember](t)(w.owner.SetMemberRole(bg, w.org, w.mid[w.admin], "admin", nil))
	w.director = join("Director", w.sales)
	w.manager = join("Manager", w.sales)
	w.report = join("Report", w.sales)
	w.colleague = join("Colleague", w.sales)
	w.member = join("Member", w.eng)
	must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[w.manager], map[string]any{"manager_id": w.mid[w.director]}))
	for _, u := range []*tacktest.User{w.report, w.colleague} {
		must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[u], map[string]any{"manager_id": w.mid[w.manager]}))
	}
	w.other = srv.NewUser(t, "Other")
	must[client.Org](t)(w.other.CreateOrg(bg, "Other Co", "UTC"))
	w.stranger = srv.NewUser(t, "Stranger")
	return w
}

// group puts Sales and Eng in a fixed attendance group, 09:00–18:00 with
// a lunch break, Monday to Friday.
func (w *world) group(t testing.TB) {
	t.Helper()
	must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, map[string]any{"name": "Office", "department_ids": []string{w.sales, w.eng},
		"shift":    map[string]any{"on": "09:00", "off": "18:00", "breaks": []map[string]string{{"from": "12:00", "to": "13:00"}}},
		"workdays": []int{1, 2, 3, 4, 5}, "places": []map[string]any{{"name": "HQ", "lat": 31.2304, "lng": 121.4737, "radius_m": 300}}}))
}

// leave asks for leave as u.
func (w *world) leave(t testing.TB, u *tacktest.User, form map[string]any) client.Approval {
	t.Helper()
	return must[client.Approval](t)(u.SubmitApproval(bg, w.org, map[string]any{"template": "leave", "form": form}))
}

func (w *world) act(u *tacktest.User, id, action string, in client.ApprovalAction) (client.Approval, error) {
	return u.Act(bg, w.org, id, action, in)
}

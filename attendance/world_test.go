package attendance_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/attendance"
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

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
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

func f(v float64) *float64 { return &v }

// pgDSN returns a DSN for a fresh schema on TACK_TEST_POSTGRES, or "".
func pgDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("TACK_TEST_POSTGRES")
	if dsn == "" {
		return ""
	}
	admin, err := pgxpool.New(bg, dsn)
	if err != nil {
		t.Fatalf("TACK_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(admin.Close)
	schema := "tack_att_" + string(tack.NewID())
	if _, err := admin.Exec(bg, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) })
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " search_path=" + schema
}

// server starts a node with the clock and no background jobs (tests run
// them), on SQLite.
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

// world is an organisation in Asia/Shanghai with an owner, an admin, two
// departments (Sales with a sub-admin, Eng), a manager and their report in
// Sales, a plain member in Eng, a member of another organisation and a
// stranger.
type world struct {
	srv                                               *tacktest.Server
	clk                                               *clock
	org, otherOrg                                     string
	sales, eng                                        string
	owner, admin, sub, manager, report, member, other *tacktest.User
	stranger                                          *tacktest.User
	mid                                               map[*tacktest.User]string // member IDs
}

func newWorld(t testing.TB, srv *tacktest.Server, clk *clock) *world {
	t.Helper()
	w := &world{srv: srv, clk: clk, mid: map[*tacktest.User]string{}}
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
	w.sub = join("Sub", w.eng)
	must[client.OrgMember](t)(w.owner.SetMemberRole(bg, w.org, w.mid[w.sub], "subadmin", []string{w.sales}))
	w.manager = join("Manager", w.sales)
	w.report = join("Report", w.sales)
	must[client.OrgMember](t)(w.owner.UpdateOrgMember(bg, w.org, w.mid[w.report], map[string]any{"manager_id": w.mid[w.manager]}))
	w.member = join("Member", w.eng)
	w.other = srv.NewUser(t, "Other")
	w.otherOrg = string(must[client.Org](t)(w.other.CreateOrg(bg, "Other Co", "UTC")).ID)
	w.stranger = srv.NewUser(t, "Stranger")
	return w
}

// hq is the place of the standard group: People's Square, Shanghai.
const hqLat, hqLng = 31.2304, 121.4737

// group makes the standard fixed group (09:00–18:00, Monday to Friday,
// HQ with a 300 m radius) of Sales and Eng, by the owner.
func (w *world) group(t testing.TB, extra map[string]any) client.AttGroup {
	t.Helper()
	body := map[string]any{"name": "Office", "department_ids": []string{w.sales, w.eng},
		"shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "HQ", "lat": hqLat, "lng": hqLng, "radius_m": 300}}}
	for k, v := range extra {
		body[k] = v
	}
	return must[client.AttGroup](t)(w.owner.CreateAttGroup(bg, w.org, body))
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

func inside() client.PunchIn {
	return client.PunchIn{Lat: f(hqLat + 0.001), Lng: f(hqLng), AccuracyM: f(20)}
}

// attStore is the server's attendance store, for checks the API does not
// show (how often a day closed).
func attStore(t testing.TB, srv *tacktest.Server) attendance.Store {
	t.Helper()
	s, ok := srv.Node.Store.(interface{ Attendance() attendance.Store })
	if !ok {
		t.Fatal("the store has no attendance")
	}
	return s.Attendance()
}

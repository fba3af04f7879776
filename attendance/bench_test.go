package attendance_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/tacktest"
)

// benchNode starts a node on SQLite (no HTTP) with an organisation of n
// members in one department and a fixed group around the current time,
// and returns each member's context.
func benchNode(b *testing.B, n int) (*node.Node, tack.ID, []context.Context) {
	b.Helper()
	ctx := context.Background()
	// Everyone registers from one network: no registration limit.
	nd, err := node.Start(ctx, node.Config{DataDir: b.TempDir(), FastHash: true, AttendanceEvery: -1,
		RegisterPerHour: 1e9, RegisterGlobalPerHour: 1e9})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nd.Close)
	oa, err := nd.Accounts.Register(ctx, "owner@bench.example", "bench password", "Owner", account.Device{})
	if err != nil {
		b.Fatal(err)
	}
	octx := tack.WithCaller(ctx, tack.Caller{UserID: oa.User.ID})
	o, _, err := nd.Org.Create(octx, "Bench", "UTC", "")
	if err != nil {
		b.Fatal(err)
	}
	d, err := nd.Org.CreateDepartment(octx, o.ID, "", "All")
	if err != nil {
		b.Fatal(err)
	}
	inv, err := nd.Org.Invite(octx, o.ID, org.InvitationInput{Departments: []tack.ID{d.ID}, MaxUses: n})
	if err != nil {
		b.Fatal(err)
	}
	ctxs := make([]context.Context, n)
	for i := range ctxs {
		ma, err := nd.Accounts.Register(ctx, fmt.Sprintf("m%d@bench.example", i), "bench password", fmt.Sprint("M", i), account.Device{})
		if err != nil {
			b.Fatal(err)
		}
		ctxs[i] = tack.WithCaller(ctx, tack.Caller{UserID: ma.User.ID})
		if _, _, err := nd.Org.Accept(ctxs[i], inv.Code); err != nil {
			b.Fatal(err)
		}
	}
	on := time.Now().UTC().Add(-time.Hour)
	name, kind := "Office", attendance.Fixed
	wd := []int{1, 2, 3, 4, 5, 6, 7}
	follow := false
	places := []attendance.Place{{Name: "HQ", Lat: 31.2304, Lng: 121.4737}}
	_, err = nd.Attendance.CreateGroup(octx, o.ID, attendance.GroupInput{Name: &name, Kind: &kind, DepartmentIDs: &[]tack.ID{d.ID},
		Shift: &attendance.Shift{On: on.Format("15:04"), Off: on.Add(9 * time.Hour).Format("15:04")}, Workdays: &wd,
		FollowCalendar: &follow, Places: &places})
	if err != nil {
		b.Fatal(err)
	}
	if err := nd.Attendance.RunJobs(ctx); err != nil {
		b.Fatal(err)
	}
	return nd, o.ID, ctxs
}

// BenchmarkPunch measures the punch hot path on SQLite without HTTP:
// finding the member's group, judging the punch and storing it with its
// day (the first punch of each member is on-duty, later ones replace the
// off-duty punch).
func BenchmarkPunch(b *testing.B) {
	nd, orgID, ctxs := benchNode(b, 1000)
	lat, lng, acc := 31.2314, 121.4737, 20.0
	in := attendance.PunchInput{Position: attendance.Position{Lat: &lat, Lng: &lng, AccuracyM: &acc}}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16) // many clients at once, as over HTTP
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			if _, err := nd.Attendance.Punch(ctxs[i%int64(len(ctxs))], orgID, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "punches/s")
	// CPU per punch says what the machine could do when others load it
	// too (the wall-clock rate then says little).
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/punch")
}

// cpuTime is the CPU time this process used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPunchHTTP is the punch over REST, as `tack bench punch` does it
// but in one process: TACK_BENCH_MEMBERS members (default 2,000) of one
// group, 128 punches in flight. Run it with -benchtime equal to the
// members (each punches once, as in the morning rush) or twice that (the
// second punch is off duty). cpu-us/punch counts the client's CPU too.
// TACK_BENCH_FLOOR=1 sends GET /healthz instead of each punch: the cost of
// the HTTP round trip alone, client and server.
func BenchmarkPunchHTTP(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("TACK_BENCH_MEMBERS")); err == nil && v > 0 {
		n = v
	}
	n = min(n, b.N) // the first run, with b.N = 1, is a smoke test
	srv := tacktest.NewServer(b, tacktest.WithConfig(func(c *node.Config) { c.AttendanceEvery = -1 }))
	owner := srv.NewUser(b, "Owner")
	// China's zone, as most of our organisations use: the group's zone
	// is read on every punch.
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	o, err := owner.CreateOrg(bg, "Bench", "Asia/Shanghai")
	if err != nil {
		b.Fatal(err)
	}
	oid := string(o.ID)
	dept, err := owner.CreateDepartment(bg, oid, "", "All")
	if err != nil {
		b.Fatal(err)
	}
	inv, err := owner.CreateInvitation(bg, oid, map[string]any{"department_ids": []string{string(dept.ID)}, "max_uses": n})
	if err != nil {
		b.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	clients := make([]*client.Client, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range clients {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := client.New(srv.URL)
			if _, err := c.Register(bg, fmt.Sprintf("m%d-%d@bench.example", i, time.Now().UnixNano()), "bench password", fmt.Sprint("M", i)); err != nil {
				b.Error(err)
				return
			}
			if _, err := c.AcceptInvitation(bg, inv.Code); err != nil {
				b.Error(err)
				return
			}
			c.HTTP = hc
			clients[i] = c
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	on := time.Now().In(shanghai).Add(30 * time.Minute)
	if _, err := owner.CreateAttGroup(bg, oid, map[string]any{"name": "Office", "department_ids": []string{string(dept.ID)},
		"shift":    map[string]string{"on": on.Format("15:04"), "off": on.Add(9 * time.Hour).Format("15:04")},
		"workdays": []int{1, 2, 3, 4, 5, 6, 7}, "follow_calendar": false,
		"places": []map[string]any{{"name": "HQ", "lat": 31.2304, "lng": 121.4737, "radius_m": 300}}}); err != nil {
		b.Fatal(err)
	}
	if err := srv.Node.Attendance.RunJobs(bg); err != nil {
		b.Fatal(err)
	}
	lat, lng, acc := 31.2314, 121.4737, 25.0
	in := client.PunchIn{Lat: &lat, Lng: &lng, AccuracyM: &acc}
	var next atomic.Int64
	floor := os.Getenv("TACK_BENCH_FLOOR") != ""
	b.SetParallelism(max(1, 128/runtime.GOMAXPROCS(0)))
	if f := os.Getenv("TACK_BENCH_CPUPROFILE"); f != "" && b.N > 1 { // the punches only, not the setup
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(out); err != nil {
			b.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); out.Close() }()
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			c := clients[i%int64(n)]
			if floor { // the same requests' HTTP cost, without the punch
				if err := c.Do(bg, "GET", "/healthz", nil, nil); err != nil {
					b.Error(err)
					return
				}
				continue
			}
			if _, err := c.Punch(bg, oid, in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "punches/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/punch")
}

// BenchmarkDirectoryReads compares the two ways a punch can learn the
// caller's membership on SQLite: a read per member (DirectoryMember) and
// the organisation's active members read at once (DirectoryActiveMembers),
// per member; the punch's directory cache chooses between them.
func BenchmarkDirectoryReads(b *testing.B) {
	nd, orgID, ctxs := benchNode(b, 1000)
	b.Run("one", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ctx := ctxs[i%len(ctxs)]
			if _, err := nd.Org.DirectoryMember(ctx, orgID, tack.UserID(ctx)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all", func(b *testing.B) {
		n := 0
		for i := 0; i < b.N; i++ {
			ms, err := nd.Org.DirectoryActiveMembers(bg, orgID, nil)
			if err != nil {
				b.Fatal(err)
			}
			n += len(ms)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/member")
	})
}

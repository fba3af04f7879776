package org_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus/inmem"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/sqlite"
)

// faultyStore fails the Apply numbered failAt (from 1), as a full disk or
// a killed process would stop an import part-way, and times every Apply.
type faultyStore struct {
	*sqlite.DB
	applies           atomic.Int32
	failAt            int32
	mu                sync.Mutex
	longest           time.Duration
	applies_, appends []time.Duration // every Apply and Append, timed
}

var errInjected = errors.New("injected: the disk is full")

func (f *faultyStore) Apply(ctx context.Context, b org.Batch) ([]chat.Message, error) {
	if n := f.applies.Add(1); n == f.failAt {
		return nil, errInjected
	}
	start := time.Now()
	msgs, err := f.DB.Apply(ctx, b)
	d := time.Since(start)
	f.mu.Lock()
	f.longest = max(f.longest, d)
	f.applies_ = append(f.applies_, d)
	f.mu.Unlock()
	return msgs, err
}

func (f *faultyStore) Append(ctx context.Context, msgs []chat.NewMessage) ([]chat.Appended, error) {
	start := time.Now()
	out, err := f.DB.Append(ctx, msgs)
	d := time.Since(start)
	f.mu.Lock()
	f.longest = max(f.longest, d)
	f.appends = append(f.appends, d)
	f.mu.Unlock()
	return out, err
}

type importRig struct {
	db    *faultyStore
	svc   *org.Service
	chat  *chat.Service
	owner context.Context
	org   tack.ID
	users []tack.ID
}

type anyone struct{}

func (anyone) Reachable(_ context.Context, _ tack.ID, ids []tack.ID) ([]tack.ID, error) {
	return ids, nil
}

func newImportRig(t testing.TB) *importRig {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &importRig{db: &faultyStore{DB: db}}
	for i := range 3 {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d@example.com", i), Name: fmt.Sprint("User ", i), CreatedAt: time.Now()}
		if err := db.CreateUser(ctx, u, "x"); err != nil {
			t.Fatal(err)
		}
		r.users = append(r.users, u.ID)
	}
	r.svc = org.NewService(r.db, db, anyone{}, nil, nil, org.Config{})
	r.chat = chat.NewService(r.db, &inmem.Bus{}, anyone{}, nil, chat.Config{SendLimit: &limit.Keyed{Rate: 1000, Burst: 1000}})
	t.Cleanup(r.chat.Close)
	r.owner = tack.WithCaller(ctx, tack.Caller{UserID: r.users[0]})
	o, _, err := r.svc.Create(r.owner, "Import Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	r.org = o.ID
	return r
}

// staff is a table of n members in 50 departments of two levels, each
// group of ten reporting to its first.
func staff(n int) [][]string {
	t := [][]string{{"姓名", "工号", "邮箱", "部门", "直属主管", "职位"}}
	for i := range n {
		mgr := ""
		if i%10 != 0 {
			mgr = fmt.Sprintf("E%06d", i-i%10)
		}
		t = append(t, []string{fmt.Sprintf("员工%d", i), fmt.Sprintf("E%06d", i), fmt.Sprintf("e%06d@acme.example", i),
			fmt.Sprintf("总部/第%d部/第%d组", i%5, i%50), mgr, "Engineer"})
	}
	return t
}

// allMembers returns every member of the organisation by employee number.
func (r *importRig) allMembers(t testing.TB) map[string]org.Member {
	t.Helper()
	out := map[string]org.Member{}
	cursor := ""
	for {
		p, err := r.svc.Search(r.owner, r.org, org.Query{Status: "all", Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Members {
			if _, dup := out[m.EmployeeNo]; dup && m.EmployeeNo != "" {
				t.Fatalf("employee number %s twice", m.EmployeeNo)
			}
			out[m.EmployeeNo] = m
		}
		if cursor = p.Next; cursor == "" {
			return out
		}
	}
}

// TestInterruptedImportCompletes stops an import after a few of its
// transactions (an injected store failure) and runs it again: the second
// run writes the rest, with no duplicates, and a third changes nothing.
func TestInterruptedImportCompletes(t *testing.T) {
	r := newImportRig(t)
	const n = 3000
	table := staff(n)
	r.db.failAt = 5
	_, err := r.svc.Import(r.owner, r.org, org.Table(table), org.ImportOptions{})
	if !errors.Is(err, errInjected) {
		t.Fatalf("import with a failing store: %v", err)
	}
	partial := r.allMembers(t)
	if len(partial) <= 1 || len(partial) >= n+1 {
		t.Fatalf("after the failure: %d members; want some but not all of %d", len(partial)-1, n)
	}
	t.Logf("interrupted after %d of %d members (%d transactions)", len(partial)-1, n, r.db.applies.Load()-1)
	res, err := r.svc.Import(r.owner, r.org, org.Table(table), org.ImportOptions{})
	if err != nil || !res.Committed {
		t.Fatalf("re-run: %v %+v", err, res.Problems)
	}
	if res.Created != n-(len(partial)-1) || res.Unchanged != len(partial)-1 || res.Failed != 0 {
		t.Errorf("re-run: created %d unchanged %d failed %d, want %d and %d", res.Created, res.Unchanged, res.Failed, n-(len(partial)-1), len(partial)-1)
	}
	all := r.allMembers(t)
	if len(all) != n+1 {
		t.Fatalf("after the re-run: %d members, want %d", len(all)-1, n)
	}
	deps, err := r.svc.Departments(r.owner, r.org)
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 1+5+50 {
		t.Errorf("%d departments, want 56 (no duplicates)", len(deps))
	}
	for i := range n {
		m, ok := all[fmt.Sprintf("E%06d", i)]
		if !ok {
			t.Fatalf("E%06d missing", i)
		}
		if want := all[fmt.Sprintf("E%06d", i-i%10)]; i%10 != 0 && m.ManagerID != want.ID {
			t.Fatalf("E%06d's manager is %s, want %s", i, m.ManagerID, want.ID)
		}
		if len(m.Departments) != 1 || m.Status != org.Invited {
			t.Fatalf("E%06d: %+v", i, m)
		}
	}
	invs, err := r.svc.Invitations(r.owner, r.org)
	if err != nil || len(invs) != n {
		t.Fatalf("%d invitations, want one per member (%v)", len(invs), err)
	}
	res, err = r.svc.Import(r.owner, r.org, org.Table(table), org.ImportOptions{})
	if err != nil || res.Unchanged != n {
		t.Fatalf("third run: %v %+v", err, res)
	}
}

// TestImportSlots: one import per organisation, DefaultMaxImports per
// node, each refused clearly.
func TestImportSlots(t *testing.T) {
	r := newImportRig(t)
	_, release, err := r.svc.ReserveImport(r.owner, r.org)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Import(r.owner, r.org, org.Table(staff(1)), org.ImportOptions{DryRun: true}); tack.ErrorCode(err) != tack.EConflict {
		t.Fatalf("second import into the organisation: %v", err)
	}
	other := make([]func(), 0, org.DefaultMaxImports)
	for i := range org.DefaultMaxImports {
		o, _, err := r.svc.Create(r.owner, fmt.Sprint("Other ", i), "", "")
		if err != nil {
			t.Fatal(err)
		}
		_, rel, err := r.svc.ReserveImport(r.owner, o.ID)
		if i == org.DefaultMaxImports-1 {
			if tack.ErrorCode(err) != tack.EUnavailable {
				t.Fatalf("import %d on the node: %v", i+2, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		other = append(other, rel)
	}
	release()
	release() // twice is harmless
	for _, rel := range other {
		rel()
	}
	if res, err := r.svc.Import(r.owner, r.org, org.Table(staff(1)), org.ImportOptions{DryRun: true}); err != nil || res.Created != 1 {
		t.Fatalf("after release: %v %+v", err, res)
	}
	// A plain member may not reserve one.
	if _, _, err := r.svc.ReserveImport(tack.WithCaller(context.Background(), tack.Caller{UserID: r.users[1]}), r.org); tack.ErrorCode(err) != tack.ENotFound {
		t.Fatalf("outsider: %v", err)
	}
}

// BenchmarkImportWhileSending imports 50,000 members while two other users
// send each other a message every 5 ms, and reports the longest writer
// transaction and the senders' latencies.
//
//	go test ./org -run '^$' -bench ImportWhileSending -benchtime 1x
func BenchmarkImportWhileSending(b *testing.B) {
	for b.Loop() {
		r := newImportRig(b)
		sender := tack.WithCaller(context.Background(), tack.Caller{UserID: r.users[1]})
		c, _, err := r.chat.Create(sender, chat.Direct, []tack.ID{r.users[2]}, "")
		if err != nil {
			b.Fatal(err)
		}
		table := staff(50_000)
		stop := make(chan struct{})
		var lat []time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				start := time.Now()
				if _, _, err := r.chat.Send(sender, c.ID, chat.Draft{ClientID: fmt.Sprint("c", i), Text: "hello"}); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(start))
			}
		}()
		r.db.mu.Lock()
		r.db.longest, r.db.applies_, r.db.appends = 0, nil, nil
		r.db.mu.Unlock()
		start := time.Now()
		res, err := r.svc.Import(r.owner, r.org, org.Table(table), org.ImportOptions{})
		took := time.Since(start)
		close(stop)
		<-done
		if err != nil || res.Created != 50_000 {
			b.Fatalf("import: %v %+v", err, res.Problems)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
		b.ReportMetric(took.Seconds(), "import-s")
		b.ReportMetric(float64(r.db.longest.Microseconds())/1000, "longest-tx-ms")
		b.ReportMetric(q(0.5), "send-p50-ms")
		b.ReportMetric(q(0.99), "send-p99-ms")
		b.ReportMetric(float64(slices.Max(lat).Microseconds())/1000, "send-max-ms")
		b.ReportMetric(float64(len(lat)), "sends")
		ms := func(ds []time.Duration, p float64) float64 {
			if len(ds) == 0 {
				return 0
			}
			ds = slices.Clone(ds)
			slices.Sort(ds)
			return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
		}
		over := 0
		for _, d := range append(slices.Clone(r.db.applies_), r.db.appends...) {
			if d > 100*time.Millisecond {
				over++
			}
		}
		b.ReportMetric(float64(len(r.db.applies_)), "import-txs")
		b.ReportMetric(ms(r.db.applies_, 0.5), "import-tx-p50-ms")
		b.ReportMetric(ms(r.db.applies_, 0.99), "import-tx-p99-ms")
		b.ReportMetric(ms(r.db.appends, 0.99), "send-tx-p99-ms")
		b.ReportMetric(float64(over), "txs-over-100ms")
	}
}

// Package bench is Tack's load generator: it creates users and
// conversations through the API, opens real WebSocket clients (spread over
// worker processes and 127.0.0.x source addresses), runs scenarios for a
// bounded time, and reports throughput, latency percentiles, errors and the
// server's CPU and memory read from /proc. With Baseline it runs the same
// scenarios against floors: a fan-out server on the same WebSocket library
// that stores nothing, and a bare SQLite insert loop with Tack's durability.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is one bench run.
type Config struct {
	// Server is the URL of a running server; empty starts `Exe serve` as a
	// child process on a free loopback port.
	Server      string
	AllowRemote bool
	// Exe is the tack binary for the server, workers and the baseline server.
	Exe string
	// ServerArgs are extra flags for the started server.
	ServerArgs []string
	// ServerEnv is extra environment for the started server.
	ServerEnv []string
	// DB is a PostgreSQL URL for the started server (tack serve --db);
	// empty uses SQLite. With Baseline, the storage floor is then a bare
	// batched insert loop into that database (PostgresFloor).
	DB string

	Scenarios []string
	Duration  time.Duration // each timed phase
	Baseline  bool
	Workers   int // worker processes: -1 chooses (one per 6,000 connections), 0 runs clients in this process
	Sources   int // 127.0.0.x source addresses to spread connections over

	Pairs          int           // direct: conversations (2 clients each)
	Window         int           // sends in flight per sender when saturating
	Rate           float64       // direct: total paced rate; 0 is half the saturated rate
	GroupSize      int           // group, receipts
	Senders        int           // group
	BroadcastSize  int           // broadcast
	Trials         int           // broadcast
	IdleConns      int           // idle
	ReconnectConns int           // reconnect
	ReconnectGroup int           // reconnect: members per group
	Missed         int           // reconnect: messages missed per client
	ReceiptMsgs    int           // receipts
	ReceiptRate    float64       // receipts: messages per second
	Pad            int           // extra text bytes per message
	PunchMembers   int           // punch: members clocking in
	PunchWindow    int           // punch: requests in flight during a rush
	PunchSpread    time.Duration // punch: the "minute" phase spreads punches over this
	Robots         int           // robots: robots posting their burst of 20 (PunchWindow requests in flight)

	Log io.Writer
}

// Defaults fills zero fields with the standard run.
func (c *Config) Defaults() {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	def(&c.Pairs, 1000)
	def(&c.Window, 4)
	def(&c.GroupSize, 500)
	def(&c.Senders, 10)
	def(&c.BroadcastSize, 10000)
	def(&c.Trials, 3)
	def(&c.IdleConns, 10000)
	def(&c.ReconnectConns, 10000)
	def(&c.ReconnectGroup, 100)
	def(&c.Missed, 50)
	def(&c.ReceiptMsgs, 50)
	def(&c.Sources, 8)
	if c.ReceiptRate == 0 {
		c.ReceiptRate = 10
	}
	if c.Pad == 0 {
		c.Pad = 40
	}
	def(&c.PunchMembers, 10000)
	def(&c.PunchWindow, 128)
	def(&c.Robots, 300)
	if c.PunchSpread == 0 {
		c.PunchSpread = time.Minute
	}
	if len(c.Scenarios) == 0 {
		c.Scenarios = AllScenarios
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// AllScenarios in the order a full run uses.
var AllScenarios = []string{"direct", "group", "broadcast", "idle", "reconnect", "receipts"}

// Row is one measured phase of one scenario against one target.
type Row struct {
	Scenario  string             `json:"scenario"`
	Phase     string             `json:"phase"`
	Target    string             `json:"target"` // tack, ws-floor, sqlite-floor, pg-floor
	Conns     int                `json:"conns"`
	Seconds   float64            `json:"seconds"`
	Rate      float64            `json:"rate"`
	Unit      string             `json:"unit"`
	Sent      int64              `json:"sent"`
	Acked     int64              `json:"acked"`
	Errors    int64              `json:"errors"`
	ErrCodes  map[string]int64   `json:"error_codes,omitempty"`
	Delivered int64              `json:"delivered"`
	Lost      int64              `json:"lost"`
	Dups      int64              `json:"dups"`
	Closed    map[string]int     `json:"closed,omitempty"`
	Latency   Summary            `json:"latency"`
	Ack       Summary            `json:"ack_latency"`
	ServerCPU float64            `json:"server_cpu_cores"`
	ServerRSS int64              `json:"server_rss_bytes"`
	ClientCPU float64            `json:"client_cpu_cores"`
	Extra     map[string]float64 `json:"extra,omitempty"`
	Goal      string             `json:"goal,omitempty"`
	Met       *bool              `json:"met,omitempty"`
	Ratio     map[string]float64 `json:"ratio,omitempty"`
	Notes     []string           `json:"notes,omitempty"`
}

// Report is a whole run.
type Report struct {
	Started time.Time `json:"started"`
	Machine Machine   `json:"machine"`
	Config  Config    `json:"config"`
	Rows    []*Row    `json:"rows"`
	Errors  []string  `json:"errors,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPU    string `json:"cpu"`
	Cores  int    `json:"cores"`
	MemMB  int64  `json:"mem_mb"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(string(b))
		if len(f) > 1 {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			m.MemMB = kb / 1024
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

// CheckLoopback refuses a server URL that is not on this machine's loopback.
func CheckLoopback(server string) error {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return fmt.Errorf("bad server URL %q", server)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return fmt.Errorf("cannot resolve %s", host)
		}
		for _, x := range ips {
			if !x.IsLoopback() {
				return fmt.Errorf("%s is not a loopback address: pass --allow-remote to load a remote server", host)
			}
		}
		return nil
	}
	if !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address: pass --allow-remote to load a remote server", host)
	}
	return nil
}

// target is a server under load: Tack, or the fan-out floor.
type target struct {
	name  string
	srv   *Server
	url   string
	pid   int
	pool  *pool
	local bool
	start func() (*Server, error)
	// metricsToken reads /metrics on the server's address (the server
	// started here gets one; a running server's is TACK_METRICS_TOKEN).
	metricsToken string
}

func (t *target) restart() error {
	if t.start == nil {
		return nil
	}
	if t.srv != nil {
		t.srv.Stop()
	}
	s, err := t.start()
	if err != nil {
		return err
	}
	t.srv, t.url, t.pid = s, s.URL, s.PID
	t.pool.server = s.URL
	return nil
}

type env struct {
	cfg   Config
	runID string
	logf  func(format string, args ...any)
	// rates the Tack run used, so the floor runs at the same load.
	paced map[string]float64
}

// Run runs the configured scenarios and returns the report. It always
// stops: every wait has a deadline, and ctx bounds the whole run.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.Defaults()
	rep := &Report{Started: time.Now().UTC(), Machine: machine(), Config: cfg}
	rep.Config.Log = nil
	if u, err := url.Parse(cfg.DB); err == nil && u.User != nil {
		rep.Config.DB = u.Redacted() // a report names the database, never its password
	}
	e := &env{cfg: cfg, runID: strconv.FormatInt(time.Now().UnixNano()%1e9, 36), paced: map[string]float64{}}
	e.logf = func(format string, args ...any) { fmt.Fprintf(cfg.Log, "bench: "+format+"\n", args...) }
	if cfg.Server != "" && !cfg.AllowRemote {
		if err := CheckLoopback(cfg.Server); err != nil {
			return nil, err
		}
	}
	tack := &target{name: "tack", pool: &pool{runID: e.runID}, metricsToken: os.Getenv("TACK_METRICS_TOKEN")}
	if cfg.Server != "" {
		tack.url = cfg.Server
		tack.pool.server = cfg.Server
		tack.local = false
	} else {
		dir, err := os.MkdirTemp("", "tack-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		tack.metricsToken = "bench-" + e.runID + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		// Thousands of clients reconnect at once from a few loopback
		// addresses: lift the per-address cap on connections that have not
		// authenticated yet, meant for the open internet.
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--insecure-fast-hash",
			"--send-rate", "1000000", "--max-group", "10000", "--max-anon-conns", "-1", "--log-level", "warn",
			"--register-per-hour", "1e9", "--register-global-per-hour", "1e9",
			"--metrics-addr", "", "--metrics-token", tack.metricsToken}, cfg.ServerArgs...)
		if cfg.DB != "" {
			args = append(args, "--db", cfg.DB)
		}
		tack.start = func() (*Server, error) { return StartServer(cfg.Exe, args, "", cfg.ServerEnv) }
		tack.local = true
		if err := tack.restart(); err != nil {
			return nil, err
		}
		defer func() { tack.srv.Stop() }()
		e.logf("tack server pid %d at %s (data %s)", tack.pid, tack.url, dir)
	}
	var floor *target
	if cfg.Baseline {
		floor = &target{name: "ws-floor", pool: &pool{runID: e.runID, baseline: true}, local: true}
		floor.start = func() (*Server, error) {
			return StartServer(cfg.Exe, []string{"bench", "--fanout-server", "127.0.0.1:0"}, "", nil)
		}
		defer func() {
			if floor.srv != nil {
				floor.srv.Stop()
			}
		}()
	}
	for _, sc := range cfg.Scenarios {
		fn := scenarios[sc]
		if fn == nil {
			return rep, fmt.Errorf("unknown scenario %q (have %s)", sc, strings.Join(AllScenarios, ", "))
		}
		if ctx.Err() != nil {
			break
		}
		if tack.local {
			if err := tack.restart(); err != nil {
				return rep, err
			}
		}
		e.logf("%s: tack", sc)
		rows, err := fn(ctx, e, tack)
		rep.Rows = append(rep.Rows, rows...)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s (tack): %v", sc, err))
			e.logf("%s: %v", sc, err)
		}
		if floor != nil && sc != "receipts" {
			if err := floor.restart(); err != nil {
				return rep, err
			}
			e.logf("%s: ws floor", sc)
			frows, err := fn(ctx, e, floor)
			rep.Rows = append(rep.Rows, frows...)
			if err != nil {
				rep.Errors = append(rep.Errors, fmt.Sprintf("%s (ws-floor): %v", sc, err))
				e.logf("%s floor: %v", sc, err)
			}
			ratios(rows, frows)
		}
		if floor != nil && sc == "direct" {
			floorName, storageFloor := "sqlite-floor", e.sqliteFloor
			if cfg.DB != "" {
				floorName, storageFloor = "pg-floor", e.postgresFloor
			}
			if r := storageFloor(ctx); r != nil {
				rep.Rows = append(rep.Rows, r...)
				for _, row := range rows {
					if row.Phase == "saturate" && len(r) > 1 && r[1].Rate > 0 {
						if row.Ratio == nil {
							row.Ratio = map[string]float64{}
						}
						row.Ratio[floorName] = row.Rate / r[1].Rate
					}
				}
			}
		}
	}
	return rep, nil
}

// ratios sets each Tack row's ratio to the floor row of the same phase.
func ratios(rows, floors []*Row) {
	for _, r := range rows {
		for _, f := range floors {
			if f.Phase != r.Phase {
				continue
			}
			if r.Ratio == nil {
				r.Ratio = map[string]float64{}
			}
			switch {
			case r.Scenario == "idle":
				if f.Extra["rss_per_conn_kb"] > 0 {
					r.Ratio["ws-floor"] = r.Extra["rss_per_conn_kb"] / f.Extra["rss_per_conn_kb"]
				}
			case r.Scenario == "broadcast" || r.Scenario == "reconnect":
				if f.Extra["last_ms"] > 0 {
					r.Ratio["ws-floor"] = r.Extra["last_ms"] / f.Extra["last_ms"]
				}
			case r.Phase == "paced":
				if f.Latency.P99 > 0 {
					r.Ratio["ws-floor p99"] = r.Latency.P99 / f.Latency.P99
				}
			default:
				if f.Rate > 0 {
					r.Ratio["ws-floor"] = r.Rate / f.Rate
				}
			}
		}
	}
}

func (e *env) sqliteFloor(ctx context.Context) []*Row {
	dir, err := os.MkdirTemp("", "tack-bench-sqlite-")
	if err != nil {
		return nil
	}
	defer os.RemoveAll(dir)
	var rows []*Row
	for _, b := range []int{1, 256} {
		d := min(e.cfg.Duration, 5*time.Second)
		rate, err := SQLiteFloor(ctx, dir, b, d)
		if err != nil {
			e.logf("sqlite floor: %v", err)
			return rows
		}
		rows = append(rows, &Row{Scenario: "direct", Phase: fmt.Sprintf("insert batch %d", b), Target: "sqlite-floor",
			Seconds: d.Seconds(), Rate: rate, Unit: "rows/s"})
	}
	return rows
}

func (e *env) postgresFloor(ctx context.Context) []*Row {
	var rows []*Row
	for _, b := range []int{1, 256} {
		d := min(e.cfg.Duration, 5*time.Second)
		rate, err := PostgresFloor(ctx, e.cfg.DB, b, d)
		if err != nil {
			e.logf("postgres floor: %v", err)
			return rows
		}
		rows = append(rows, &Row{Scenario: "direct", Phase: fmt.Sprintf("insert batch %d", b), Target: "pg-floor",
			Seconds: d.Seconds(), Rate: rate, Unit: "rows/s"})
	}
	return rows
}

// parts spreads specs over runners: in this process, or over worker
// processes (one per 6,000 connections, for sessions of more than 2,000,
// when Workers is -1).
func (e *env) parts(specs []ConnSpec) ([]runner, [][]ConnSpec, error) {
	n := e.cfg.Workers
	if n < 0 {
		n = 0
		if len(specs) > 2000 {
			n = (len(specs) + 5999) / 6000
		}
	}
	if n == 0 {
		return []runner{&localRunner{p: &part{}}}, [][]ConnSpec{specs}, nil
	}
	var rs []runner
	var chunks [][]ConnSpec
	size := (len(specs) + n - 1) / n
	for i := 0; i < n; i++ {
		lo, hi := i*size, min((i+1)*size, len(specs))
		if lo >= hi {
			break
		}
		w, err := startWorker(e.cfg.Exe)
		if err != nil {
			for _, r := range rs {
				r.close()
			}
			return nil, nil, err
		}
		rs = append(rs, w)
		chunks = append(chunks, specs[lo:hi])
	}
	return rs, chunks, nil
}

func (e *env) sources(t *target) []string {
	u, err := url.Parse(t.url)
	if err != nil || e.cfg.Sources <= 1 {
		return nil
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		return nil
	}
	var out []string
	for i := 0; i < e.cfg.Sources; i++ {
		out = append(out, fmt.Sprintf("127.0.0.%d", i+1))
	}
	return out
}

// all runs op(i) on every runner at once.
func all(ctx context.Context, rs []runner, op func(i int) Op) ([]Result, error) {
	out := make([]Result, len(rs))
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = r.do(ctx, op(i))
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// session is a scenario's connected clients.
type session struct {
	rs     []runner
	chunks [][]ConnSpec
	conns  int
}

func (s *session) close() {
	var wg sync.WaitGroup
	for _, r := range s.rs {
		wg.Add(1)
		go func() { defer wg.Done(); r.close() }()
	}
	wg.Wait()
}

func (e *env) connect(ctx context.Context, t *target, specs []ConnSpec, window int) (*session, Result, error) {
	rs, chunks, err := e.parts(specs)
	if err != nil {
		return nil, Result{}, err
	}
	s := &session{rs: rs, chunks: chunks, conns: len(specs)}
	src := e.sources(t)
	res, err := all(ctx, rs, func(i int) Op {
		return Op{Op: "connect", Server: t.url, Sources: src, Conns: chunks[i], RunID: e.runID, Window: window, Timeout: 60 * time.Second}
	})
	var sum Result
	for _, r := range res {
		sum.Conns += r.Conns
		sum.ConnErrs += r.ConnErrs
		if sum.ConnErr == "" {
			sum.ConnErr = r.ConnErr
		}
		sum.Connect.Merge(&r.Connect)
	}
	if err == nil && sum.ConnErrs > 0 {
		err = fmt.Errorf("%d of %d connections failed: %s", sum.ConnErrs, len(specs), sum.ConnErr)
	}
	if err != nil {
		s.close()
		return nil, sum, err
	}
	return s, sum, nil
}

// meter samples a local server's /proc while a phase runs.
type meter struct {
	pid     int
	start   ProcStat
	peak    int64
	stop    chan struct{}
	done    chan struct{}
	cpu0    float64
	clients []float64
}

func startMeter(t *target) *meter {
	m := &meter{pid: t.pid, stop: make(chan struct{}), done: make(chan struct{}), cpu0: cpuSeconds()}
	m.start, _ = readProc(m.pid)
	m.peak = m.start.RSS
	go func() {
		defer close(m.done)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tk.C:
				if s, err := readProc(m.pid); err == nil && s.RSS > m.peak {
					m.peak = s.RSS
				}
			}
		}
	}()
	return m
}

// end fills the server figures of row and returns the end sample.
func (m *meter) end(row *Row) ProcStat {
	close(m.stop)
	<-m.done
	s, err := readProc(m.pid)
	if err != nil {
		return s
	}
	wall := s.At.Sub(m.start.At).Seconds()
	if wall > 0 {
		row.ServerCPU = (s.CPU - m.start.CPU) / wall
	}
	row.ServerRSS = max(m.peak, s.RSS)
	return s
}

func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

func met(ok bool) *bool { return &ok }

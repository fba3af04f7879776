package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tackhq/tack/bench"
)

func init() {
	extraCommands["bench"] = benchCmd
	// Profiling hook for benchmarks: `TACK_PPROF=127.0.0.1:6060 tack serve`
	// also serves net/http/pprof on that loopback address (tack bench
	// --pprof sets it on the server it starts).
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if addr := os.Getenv("TACK_PPROF"); addr != "" {
			startPprof(addr)
		}
	}
}

func startPprof(addr string) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "tack: TACK_PPROF must be a loopback address, not %q\n", addr)
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.ListenAndServe(addr, mux) }()
}

const benchUsage = `tack bench — load a Tack server and report throughput, latency and cost

  tack bench [flags]                         start a server (tack serve) and run every scenario
  tack bench --scenario direct,group         run some scenarios
  tack bench --server http://127.0.0.1:8080  load a running server (loopback only without --allow-remote)
  tack bench --baseline                      also run the floors: a storage-free fan-out server on the
                                             same WebSocket library, and a bare SQLite insert loop
  tack bench --db postgres://...             the started server stores in PostgreSQL; with --baseline the
                                             storage floor is a bare batched insert loop into it

Scenarios: direct, group, broadcast, idle, reconnect, receipts; and punch (not in "all"):
  tack bench punch                           10,000 members clock in over REST (--punch-members, --punch-window)
  tack bench robots                          300 robots post their burst of 20 through the webhook (--robots, --punch-window)
`

func benchCmd(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.Usage = func() { fmt.Fprint(os.Stderr, benchUsage+"\nFlags:\n"); fs.PrintDefaults() }
	var c bench.Config
	scen := fs.String("scenario", "all", "comma-separated scenarios, or all")
	fs.StringVar(&c.Server, "server", "", "URL of a running server; empty starts one as a child process")
	fs.BoolVar(&c.AllowRemote, "allow-remote", false, "allow a --server that is not on loopback")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "length of each timed phase")
	fs.BoolVar(&c.Baseline, "baseline", false, "also measure the floors and report ratios")
	fs.StringVar(&c.DB, "db", "", "PostgreSQL URL for the started server (an empty database: the run leaves its data there); empty uses SQLite")
	fs.IntVar(&c.Workers, "workers", -1, "client worker processes (-1: one per 6,000 connections above 2,000; 0: none)")
	fs.IntVar(&c.Sources, "sources", 8, "spread client connections over this many 127.0.0.x source addresses")
	fs.IntVar(&c.Pairs, "pairs", 1000, "direct: conversations (two clients each)")
	fs.IntVar(&c.Window, "window", 4, "sends in flight per sender while saturating")
	fs.Float64Var(&c.Rate, "rate", 0, "direct: paced total rate, msgs/s (0: half the saturated rate)")
	fs.IntVar(&c.GroupSize, "group-size", 500, "group, receipts: members")
	fs.IntVar(&c.Senders, "senders", 10, "group: members sending")
	fs.IntVar(&c.BroadcastSize, "broadcast-size", 10000, "broadcast: members")
	fs.IntVar(&c.Trials, "trials", 3, "broadcast: messages, one at a time")
	fs.IntVar(&c.IdleConns, "idle", 10000, "idle: connections")
	fs.IntVar(&c.ReconnectConns, "reconnect", 10000, "reconnect: clients")
	fs.IntVar(&c.ReconnectGroup, "reconnect-group", 100, "reconnect: members per group")
	fs.IntVar(&c.Missed, "missed", 50, "reconnect: messages each client misses")
	fs.IntVar(&c.ReceiptMsgs, "receipt-msgs", 50, "receipts: messages")
	fs.Float64Var(&c.ReceiptRate, "receipt-rate", 10, "receipts: messages per second")
	fs.IntVar(&c.Pad, "pad", 40, "extra bytes of text per message")
	fs.IntVar(&c.PunchMembers, "punch-members", 10000, "punch: members clocking in")
	fs.IntVar(&c.Robots, "robots", 300, "robots: robots posting their burst of 20 messages")
	fs.IntVar(&c.PunchWindow, "punch-window", 128, "punch: requests in flight during a rush")
	fs.DurationVar(&c.PunchSpread, "punch-spread", time.Minute, "punch: the minute phase spreads everyone's punch over this")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	quiet := fs.Bool("q", false, "no progress on stderr")
	timeout := fs.Duration("timeout", 30*time.Minute, "stop the whole run after this long")
	pprofAddr := fs.String("pprof", "", "serve pprof from the started server on this loopback address, e.g. 127.0.0.1:6060")
	worker := fs.Bool("worker", false, "internal: run as a client worker process (ops on stdin, results on stdout)")
	render := fs.String("render", "", "print the table of a report saved with --json and exit")
	fanout := fs.String("fanout-server", "", "internal: run the storage-free fan-out floor server on this address")
	pos, err := parseMixed(fs, args) // tack bench punch --punch-members 2000
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *worker {
		return bench.RunWorker(ctx, os.Stdin, os.Stdout)
	}
	if *render != "" {
		b, err := os.ReadFile(*render)
		if err != nil {
			return err
		}
		var rep bench.Report
		if err := json.Unmarshal(b, &rep); err != nil {
			return fmt.Errorf("%s: %w", *render, err)
		}
		rep.WriteTable(os.Stdout)
		return nil
	}
	if *fanout != "" {
		return bench.ServeFanout(ctx, *fanout, func(u string) { fmt.Printf("listening on %s\n", u) })
	}
	if *scen != "all" {
		c.Scenarios = strings.Split(*scen, ",")
	}
	if len(pos) > 0 {
		c.Scenarios = pos
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c.Exe = exe
	if *pprofAddr != "" {
		c.ServerEnv = append(c.ServerEnv, "TACK_PPROF="+*pprofAddr)
	}
	if !*quiet {
		c.Log = os.Stderr
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	rep, err := bench.Run(ctx, c)
	if rep != nil {
		if *jsonOut {
			rep.WriteJSON(os.Stdout)
		} else {
			rep.WriteTable(os.Stdout)
		}
	}
	return err
}

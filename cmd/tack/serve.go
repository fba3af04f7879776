package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/node"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	var c node.Config
	addr := fs.String("addr", envOr("TACK_ADDR", "127.0.0.1:8080"), "listen address (env TACK_ADDR)")
	fs.StringVar(&c.DataDir, "data", envOr("TACK_DATA", "./tack-data"), "data directory for the SQLite database and media (env TACK_DATA)")
	fs.StringVar(&c.PostgresURL, "db", envOr("TACK_DB", ""), "PostgreSQL URL for scale-out (env TACK_DB); empty uses SQLite in --data")
	fs.StringVar(&c.NATSURL, "nats", envOr("TACK_NATS", ""), "NATS URL for scale-out (env TACK_NATS); empty uses the in-process bus")
	fs.IntVar(&c.MaxGroupMembers, "max-group", 500, "largest group size (at most 10000)")
	fs.Float64Var(&c.SendRate, "send-rate", 20, "messages per second each sender may send (bursts of 5×)")
	fs.BoolVar(&c.Durable, "durable", false, "fsync every SQLite commit (survives power loss, not only process death)")
	fs.BoolVar(&c.FastHash, "insecure-fast-hash", false, "cheap password hashing, for tests and benchmarks only")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.Parse(args)
	if c.MaxGroupMembers < 2 || c.MaxGroupMembers > chat.MaxMembers {
		return fmt.Errorf("--max-group must be between 2 and %d", chat.MaxMembers)
	}
	if c.SendRate <= 0 {
		return fmt.Errorf("--send-rate must be positive")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	c.Logger = log

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	n, err := node.Start(ctx, c)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		n.Close()
		return err
	}
	store, bus := "sqlite", "inmem"
	if c.PostgresURL != "" {
		store = "postgres"
	}
	if c.NATSURL != "" {
		bus = "nats"
	}
	log.Info("tack serving", "addr", ln.Addr().String(), "store", store, "bus", bus)
	fmt.Printf("listening on http://%s\n", ln.Addr().String()) // a line scripts and tests wait for
	err = n.Serve(ctx, ln, 15*time.Second)
	log.Info("stopped")
	return err
}

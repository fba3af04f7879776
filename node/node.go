// Package node wires one Tack server node from its parts: a store (SQLite or
// PostgreSQL), a bus (in-process or NATS), the services, the hub and the
// HTTP API. It reads no flags or environment: cmd/tack and tests hand it a
// Config.
package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/api"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/bus/inmem"
	natsbus "github.com/tackhq/tack/bus/nats"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/hub"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/postgres"
	"github.com/tackhq/tack/presence"
	"github.com/tackhq/tack/sqlite"
	"github.com/tackhq/tack/web"
)

// Config describes a node. The zero value plus a DataDir is a working
// single node.
type Config struct {
	DataDir     string // SQLite database and media; used when PostgresURL is empty
	PostgresURL string // scale-out store
	NATSURL     string // scale-out bus
	// MaxGroupMembers caps groups (default 500, at most 10,000).
	MaxGroupMembers int
	// SendRate is messages per second per sender (bursts of 5×); default 20.
	SendRate float64
	// Durable fsyncs every SQLite commit.
	Durable bool
	// FastHash uses cheap password hashing: tests and benchmarks only.
	FastHash bool
	Logger   *slog.Logger
}

// Store is what a node needs of its database.
type Store interface {
	account.Store
	chat.Store
	Ping(ctx context.Context) error
	Close() error
}

// Node is a running node.
type Node struct {
	API      *api.Server
	Accounts *account.Service
	Chat     *chat.Service
	Org      *org.Service // nil when the store has no organisation tables
	Hub      *hub.Hub
	Store    Store
	Bus      bus.Bus
	Presence *presence.Tracker
	closers  []func()
}

// Start opens the store and bus and wires the services.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	n := &Node{}
	var err error
	switch {
	case cfg.PostgresURL != "":
		n.Store, err = postgres.Open(ctx, cfg.PostgresURL)
	default:
		if cfg.DataDir == "" {
			return nil, errors.New("no data directory")
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		n.Store, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "tack.db"), sqlite.Options{Durable: cfg.Durable})
	}
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, func() { n.Store.Close() })
	if cfg.NATSURL != "" {
		if n.Bus, err = natsbus.New(ctx, cfg.NATSURL, natsbus.WithLogger(log)); err != nil {
			n.Close()
			return nil, err
		}
	} else {
		n.Bus = &inmem.Bus{}
	}
	n.closers = append(n.closers, func() { n.Bus.Close() })
	acfg := account.Config{}
	if cfg.FastHash {
		acfg.Argon2 = account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	}
	rate := cfg.SendRate
	if rate <= 0 {
		rate = 20
	}
	n.Accounts = account.NewService(n.Store, n.Bus, nil, acfg)
	var people chat.People = n.Accounts
	ccfg := chat.Config{MaxGroupMembers: cfg.MaxGroupMembers, SendLimit: &limit.Keyed{Rate: rate, Burst: 5 * rate}, Logger: log}
	if os, ok := n.Store.(org.Store); ok {
		n.Org = org.NewService(os, n.Store, n.Accounts, n.Bus, nil, org.Config{Logger: log})
		people = n.Org // blocks and organisations' rules on whom one may chat with
		ccfg.Externals = n.Org
	}
	n.Chat = chat.NewService(n.Store, n.Bus, people, nil, ccfg)
	n.closers = append(n.closers, n.Chat.Close)
	n.Presence = &presence.Tracker{}
	presCh := make(chan *bus.Event, 4096)
	n.Hub = hub.New(n.Chat, hub.Config{Logger: log, OnPresence: func(user tack.ID, online bool, peers []tack.ID) {
		action := "offline"
		if online {
			action = "online"
		}
		b, _ := json.Marshal(map[string]any{"type": "presence", "user_id": user, "online": online})
		e := &bus.Event{Kind: bus.Presence, Subject: user, Action: action, Users: append(peers[:len(peers):len(peers)], user), Payload: b}
		select {
		case presCh <- e:
		default: // presence is best effort; heartbeats repair it
		}
	}})
	stopPres := make(chan struct{})
	presDone := make(chan struct{})
	go n.presenceLoop(presCh, stopPres, presDone)
	n.closers = append(n.closers, func() { close(stopPres); <-presDone })
	cancel, err := n.Bus.Subscribe(func(e *bus.Event) {
		n.Accounts.HandleEvent(e)
		n.Chat.HandleEvent(e)
		n.Presence.Handle(e)
		n.Hub.Deliver(e)
	})
	if err != nil {
		n.Close()
		return nil, err
	}
	n.closers = append(n.closers, cancel)
	n.API = api.New(api.Config{Presence: n.Presence, Accounts: n.Accounts, Chat: n.Chat, Org: n.Org, Hub: n.Hub, Web: web.Handler(), Ready: n.Store.Ping, Logger: log})
	return n, nil
}

// Close releases everything, in reverse order of opening: the bus
// subscription, the chat committer (flushing queued sends), the bus, the store.
func (n *Node) Close() {
	for i := len(n.closers) - 1; i >= 0; i-- {
		n.closers[i]()
	}
	n.closers = nil
}

// Serve serves HTTP on ln until ctx ends, then shuts down cleanly: it stops
// accepting, closes streams with a going-away status, lets in-flight
// requests finish (up to grace), flushes pending writes and closes the node.
func (n *Node) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	srv := &http.Server{Handler: n.API, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		n.Close()
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan struct{})
	go func() { n.API.Shutdown(sctx); close(done) }()
	err := srv.Shutdown(sctx)
	<-done
	n.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// presenceLoop publishes presence changes in order, and every
// presence.Heartbeat re-announces the users online here so that other nodes
// keep them online (and forget them if this node dies).
func (n *Node) presenceLoop(ch chan *bus.Event, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(presence.Heartbeat)
	defer t.Stop()
	for {
		select {
		case e := <-ch:
			_ = n.Bus.Publish(context.Background(), e)
		case <-t.C:
			n.Presence.Sweep()
			if users := n.Hub.OnlineUsers(); len(users) > 0 {
				_ = n.Bus.Publish(context.Background(), &bus.Event{Kind: bus.Presence, Action: "heartbeat", Users: users})
			}
		case <-stop:
			return
		}
	}
}

// Package natstest starts embedded NATS servers for tests: one, or a
// cluster of several joined by routes, all on loopback ports chosen by the
// system. Servers stop when the test ends.
package natstest

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long a server or a cluster may take to come up.
const readyTimeout = 10 * time.Second

// RunServer starts one NATS server on a random loopback port and returns its
// client URL.
func RunServer(t testing.TB) string {
	t.Helper()
	s := start(t, &server.Options{})
	return s.ClientURL()
}

// RunCluster starts n NATS servers on random loopback ports, joined into one
// cluster by routes, waits until every server has a route to every other,
// and returns their client URLs in order. A message published on any server
// reaches subscribers on all of them.
//
// (Embedded servers with routes never become ready with DontListen, so each
// listens for clients on a loopback port.)
func RunCluster(t testing.TB, n int) []string {
	t.Helper()
	if n < 1 {
		t.Fatalf("natstest: RunCluster(%d): need at least one server", n)
	}
	name := fmt.Sprintf("tack-test-%d", time.Now().UnixNano())
	servers := make([]*server.Server, 0, n)
	var seed []*url.URL
	for i := 0; i < n; i++ {
		o := &server.Options{
			ServerName: fmt.Sprintf("%s-%d", name, i),
			Cluster: server.ClusterOpts{
				Name: name,
				Host: "127.0.0.1",
				Port: -1,
			},
			Routes: seed,
		}
		s := start(t, o)
		if i == 0 {
			// The others route to the first; routes gossip the rest.
			a := s.ClusterAddr()
			if a == nil {
				t.Fatalf("natstest: server 0 has no cluster address")
			}
			seed = server.RoutesFromStr(fmt.Sprintf("nats://%s", a.String()))
		}
		servers = append(servers, s)
	}
	deadline := time.Now().Add(readyTimeout)
	for _, s := range servers {
		for s.NumRemotes() < n-1 {
			if time.Now().After(deadline) {
				t.Fatalf("natstest: server %s has %d of %d routes after %v", s.Name(), s.NumRemotes(), n-1, readyTimeout)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	urls := make([]string, n)
	for i, s := range servers {
		urls[i] = s.ClientURL()
	}
	return urls
}

func start(t testing.TB, o *server.Options) *server.Server {
	t.Helper()
	o.Host = "127.0.0.1"
	o.Port = -1
	o.NoLog = true
	o.NoSigs = true
	o.HTTPPort = 0
	s, err := server.NewServer(o)
	if err != nil {
		t.Fatalf("natstest: new server: %v", err)
	}
	go s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(readyTimeout) {
		t.Fatalf("natstest: server not ready after %v", readyTimeout)
	}
	return s
}

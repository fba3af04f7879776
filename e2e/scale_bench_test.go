package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// scaleNodes starts n in-process nodes on one PostgreSQL schema and one
// embedded NATS server.
func scaleNodes(b *testing.B, n int) []*tacktest.Server {
	b.Helper()
	if os.Getenv("TACK_TEST_POSTGRES") == "" {
		b.Skip("TACK_TEST_POSTGRES is not set")
	}
	dsn := freshSchemaB(b)
	natsURL := natstest.RunServer(b)
	var out []*tacktest.Server
	for i := 0; i < n; i++ {
		out = append(out, tacktest.NewServer(b, tacktest.WithConfig(func(c *node.Config) {
			c.PostgresURL, c.NATSURL, c.SendRate = dsn, natsURL, 1e6
		})))
	}
	return out
}

func freshSchemaB(b *testing.B) string {
	// freshSchema only needs Helper, Skip, Fatal and Cleanup.
	return freshSchema(asT(b))
}

// BenchmarkDeliveryLatency measures send → delivered on another user's
// stream, with both users on one node and with them on two nodes
// (PostgreSQL + NATS). One op is one message, sent after the previous one
// arrived, so ns/op is the end-to-end latency.
func BenchmarkDeliveryLatency(b *testing.B) {
	for _, cross := range []bool{false, true} {
		name := "same-node"
		if cross {
			name = "cross-node"
		}
		b.Run(name, func(b *testing.B) {
			srvs := scaleNodes(b, 2)
			ctx := context.Background()
			a := srvs[0].NewUser(b, "A")
			rsrv := srvs[0]
			if cross {
				rsrv = srvs[1]
			}
			r := client.New(rsrv.URL)
			ru, err := r.Register(ctx, fmt.Sprintf("r%d@b.c", b.N), "password123", "R")
			if err != nil {
				b.Fatal(err)
			}
			conv, err := a.CreateConversation(ctx, "direct", []string{string(ru.ID)}, "")
			if err != nil {
				b.Fatal(err)
			}
			rs, err := r.Connect(ctx, client.StreamOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer rs.CloseNow()
			as, err := a.Connect(ctx, client.StreamOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer as.CloseNow()
			go func() {
				for range as.Events() {
				}
			}()
			for e := range rs.Events() {
				if e.Type == "synced" {
					break
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := as.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprint("l", i), Text: "ping"}); err != nil {
					b.Fatal(err)
				}
				for e := range rs.Events() {
					if e.Type == "message" && e.Message.Kind == "text" {
						break
					}
				}
			}
		})
	}
}

// BenchmarkNodesThroughput sends from 24 concurrent users spread over 1 or
// 3 nodes of one PostgreSQL; reports messages stored per second. On a
// 2-core machine all nodes share the same cores, so this shows overhead,
// not scale-out gain.
func BenchmarkNodesThroughput(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("%d-nodes", n), func(b *testing.B) {
			srvs := scaleNodes(b, n)
			ctx := context.Background()
			const senders = 24
			var users []*tacktest.User
			for i := 0; i < senders; i++ {
				users = append(users, srvs[i%n].NewUser(b, fmt.Sprint("S", i)))
			}
			var ids []string
			for _, u := range users[1:] {
				ids = append(ids, u.ID)
			}
			conv, err := users[0].CreateConversation(ctx, "group", ids, "tp")
			if err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for i := 0; i < senders; i++ {
				wg.Add(1)
				go func(u *tacktest.User) {
					defer wg.Done()
					for {
						k := next.Add(1)
						if k > int64(b.N) {
							return
						}
						if _, err := u.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprint("t", k), Text: "throughput"}); err != nil {
							b.Error(err)
							return
						}
					}
				}(users[i])
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

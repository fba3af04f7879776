package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/tacktest"
)

// BenchmarkRobotWebhook posts signed DingTalk text messages through the
// real server (SQLite) from 64 concurrent senders across 50 robots in 5
// groups. The per-robot cap (20 a minute) is lifted: this measures the
// pipeline (HTTP, token lookup, signature, switchboard, parse, group
// commit, fan-out).
func BenchmarkRobotWebhook(b *testing.B) {
	srv := tacktest.NewServer(b, tacktest.WithConfig(func(c *node.Config) { c.RobotLimit = &limit.Keyed{Rate: 1e9, Burst: 1e9} }))
	ctx := context.Background()
	owner := srv.NewUser(b, "Owner")
	// The groups' owner belongs to an organisation: each post checks its
	// switchboard (robots on), as in production.
	if _, err := owner.CreateOrg(ctx, "Acme", "UTC"); err != nil {
		b.Fatal(err)
	}
	type robot struct{ token, secret string }
	var robots []robot
	for g := 0; g < 5; g++ {
		conv, err := owner.CreateConversation(ctx, "group", nil, fmt.Sprintf("G%d", g))
		if err != nil {
			b.Fatal(err)
		}
		for r := 0; r < 10; r++ {
			var c robotCreds
			if err := owner.Do(ctx, "POST", "/api/v1/conversations/"+string(conv.ID)+"/robots", map[string]any{"name": fmt.Sprintf("R%d", r)}, &c); err != nil {
				b.Fatal(err)
			}
			robots = append(robots, robot{c.AccessToken, c.Secret})
		}
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	var next, failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	cpu0 := processCPU()
	var wg sync.WaitGroup
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				r := robots[i%int64(len(robots))]
				ts := time.Now().UnixMilli()
				u := fmt.Sprintf("%s/robot/send?access_token=%s&timestamp=%d&sign=%s", srv.URL, r.token, ts, url.QueryEscape(platform.DingTalkSign(r.secret, ts)))
				resp, err := hc.Post(u, "application/json", strings.NewReader(fmt.Sprintf(`{"msgtype":"text","text":{"content":"build %d ok"}}`, i)))
				if err != nil {
					failed.Add(1)
					continue
				}
				var a robotAnswer
				if decodeJSON(resp, &a) != nil || a.ErrCode != 0 {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	// CPU of the whole process (the senders and the server together) per
	// message: the figure that bounds the rate on idle cores.
	b.ReportMetric((processCPU()-cpu0).Seconds()*1e6/float64(b.N), "cpu-µs/msg")
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d posts failed", n)
	}
}

// BenchmarkEventFanout queues one event for 100 subscribed apps and waits
// until every app's receiver has it (the delivery worker of one node,
// signing each delivery; receivers are local HTTP servers).
func BenchmarkEventFanout(b *testing.B) {
	srv := tacktest.NewServer(b, tacktest.WithConfig(func(c *node.Config) { c.PlatformEvery = 5 * time.Millisecond }))
	ctx := context.Background()
	owner := srv.NewUser(b, "Owner")
	o, err := owner.CreateOrg(ctx, "Acme", "UTC")
	if err != nil {
		b.Fatal(err)
	}
	g, err := owner.CreateOrgGroup(ctx, string(o.ID), "", "")
	if err != nil {
		b.Fatal(err)
	}
	var got atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	b.Cleanup(hook.Close)
	for i := 0; i < 100; i++ {
		if err := owner.Do(ctx, "POST", "/api/v1/orgs/"+string(o.ID)+"/apps", map[string]any{"name": fmt.Sprintf("app%d", i), "callback_url": hook.URL, "events": []string{"message"}}, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := owner.Send(ctx, string(g.ConversationID), client.Draft{ClientID: fmt.Sprintf("f%d-%d", i, time.Now().UnixNano()), Text: "hello"}); err != nil {
			b.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Minute); got.Load() < int64(100*b.N); {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries in 5 minutes", got.Load(), 100*b.N)
		}
		time.Sleep(time.Millisecond) // polling the count, with its deadline
	}
	b.ReportMetric(float64(100*b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// processCPU is the user and system CPU time this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

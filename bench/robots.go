package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/platform"
)

func init() { scenarios["robots"] = robots }

// robots posts through custom robots' DingTalk-compatible webhooks:
// Robots robots (10 a group, the most a group may have) each post their
// burst of 20 signed text messages (DingTalk's cap is 20 a minute per
// robot, which the server enforces: a burst of 20, then one every 3 s),
// PunchWindow requests in flight. The groups' owner belongs to an
// organisation, so each post also reads the switchboard (from cache).
func robots(ctx context.Context, e *env, t *target) ([]*Row, error) {
	if t.pool.baseline {
		return nil, nil
	}
	us, err := t.pool.get(ctx, 1)
	if err != nil {
		return nil, err
	}
	oc := t.pool.client(us[0].Token)
	if _, err := oc.CreateOrg(ctx, "Bench robots "+e.runID, "UTC"); err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	R := e.cfg.Robots
	e.logf("robots: adding %d robots in %d groups", R, (R+9)/10)
	type robot struct{ token, secret string }
	var list []robot
	for g := 0; len(list) < R; g++ {
		conv, err := oc.CreateConversation(ctx, "group", nil, fmt.Sprintf("Bench robots %d", g))
		var ae *client.Error
		for tries := 0; errors.As(err, &ae) && ae.Code == "rate_limited" && tries < 60 && ctx.Err() == nil; tries++ {
			time.Sleep(5 * time.Second) // one user makes only so many groups a minute
			conv, err = oc.CreateConversation(ctx, "group", nil, fmt.Sprintf("Bench robots %d", g))
		}
		if err != nil {
			return nil, fmt.Errorf("create group: %w", err)
		}
		for i := 0; i < 10 && len(list) < R; i++ {
			var c struct {
				AccessToken string `json:"access_token"`
				Secret      string `json:"secret"`
			}
			if err := oc.Do(ctx, "POST", "/api/v1/conversations/"+string(conv.ID)+"/robots", map[string]any{"name": fmt.Sprintf("CI %d", i)}, &c); err != nil {
				return nil, fmt.Errorf("add robot: %w", err)
			}
			list = append(list, robot{c.AccessToken, c.Secret})
		}
	}
	const perRobot = 20
	N := R * perRobot
	row := &Row{Scenario: "robots", Phase: "burst", Target: t.name, Conns: e.cfg.PunchWindow, Unit: "msgs/s", Extra: map[string]float64{},
		Goal: "≥ 2,000 webhook messages/s across robots on SQLite"}
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext, MaxIdleConnsPerHost: e.cfg.PunchWindow + 8}}
	var mu sync.Mutex
	var lat Hist
	codes := map[string]int64{}
	var okN, errN, next atomic.Int64
	e.logf("robots: %d messages, %d in flight", N, e.cfg.PunchWindow)
	m := startMeter(t)
	cpu0 := cpuSeconds()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < e.cfg.PunchWindow; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(N) {
					return
				}
				r := list[i%int64(R)] // round robin: each robot's burst spreads over the phase
				ts := time.Now().UnixMilli()
				u := fmt.Sprintf("%s/robot/send?access_token=%s&timestamp=%d&sign=%s", t.url, r.token, ts, url.QueryEscape(platform.DingTalkSign(r.secret, ts)))
				body := fmt.Sprintf(`{"msgtype":"text","text":{"content":"build %d passed"}}`, i)
				t0 := time.Now()
				resp, err := hc.Post(u, "application/json", bytes.NewReader([]byte(body)))
				code := "transport"
				if err == nil {
					var a struct {
						ErrCode int `json:"errcode"`
					}
					if json.NewDecoder(resp.Body).Decode(&a) == nil {
						code = fmt.Sprint(a.ErrCode)
					}
					resp.Body.Close()
				}
				d := time.Since(t0)
				mu.Lock()
				if code == "0" {
					okN.Add(1)
					lat.Add(d)
				} else {
					errN.Add(1)
					codes[code]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall := time.Since(start).Seconds()
	m.end(row)
	row.ClientCPU = (cpuSeconds() - cpu0) / wall
	row.Seconds = round(wall, 2)
	row.Sent, row.Acked, row.Errors = int64(N), okN.Load(), errN.Load()
	if len(codes) > 0 {
		row.ErrCodes = codes
	}
	row.Latency = lat.Summary()
	row.Rate = round(float64(okN.Load())/wall, 0)
	if row.ServerCPU > 0 && row.Rate > 0 {
		row.Extra["server_cpu_us_per_msg"] = round(row.ServerCPU*1e6/row.Rate, 0)
	}
	if row.ClientCPU > 0 && row.Rate > 0 {
		row.Extra["client_cpu_us_per_msg"] = round(row.ClientCPU*1e6/row.Rate, 0)
	}
	row.Met = met(row.Rate >= 2000 && row.Errors == 0)
	e.logf("robots: %d ok, %d errors in %.1f s (%.0f/s), p99 %.1f ms", okN.Load(), errN.Load(), wall, row.Rate, row.Latency.P99)
	return []*Row{row}, nil
}

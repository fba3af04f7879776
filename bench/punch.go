package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tackhq/tack/client"
)

func init() { scenarios["punch"] = punch }

// punch is the morning rush of clocking in: PunchMembers members of one
// organisation, in one attendance group, punch over REST (a position
// inside the office's radius). Phases: "rush" (everyone punches on duty at
// once, PunchWindow requests in flight), "rush again" (everyone punches
// again: off-duty punches, the later replacing nothing yet), and "minute"
// (everyone punches once more at a random moment within PunchSpread: the
// literal "10,000 members punching within one minute").
func punch(ctx context.Context, e *env, t *target) ([]*Row, error) {
	if t.pool.baseline {
		return nil, nil // the fan-out floor has no attendance
	}
	N := e.cfg.PunchMembers
	us, err := t.pool.get(ctx, N+1)
	if err != nil {
		return nil, err
	}
	e.logf("punch: %d users; joining an organisation", N)
	owner, members := us[N], us[:N]
	oc := t.pool.client(owner.Token)
	org, err := oc.CreateOrg(ctx, "Bench punch "+e.runID, "UTC")
	if err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	oid := string(org.ID)
	dept, err := oc.CreateDepartment(ctx, oid, "", "Everyone")
	if err != nil {
		return nil, fmt.Errorf("create department: %w", err)
	}
	inv, err := oc.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(dept.ID)}, "max_uses": N})
	if err != nil {
		return nil, fmt.Errorf("create invitation: %w", err)
	}
	if err := forEach(ctx, members, 32, func(u user) error {
		_, err := t.pool.client(u.Token).AcceptInvitation(ctx, inv.Code)
		return err
	}); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	// A shift starting in 30 minutes: the rush arrives early, on time.
	on := time.Now().UTC().Add(30 * time.Minute)
	_, err = oc.CreateAttGroup(ctx, oid, map[string]any{"name": "Bench office", "department_ids": []string{string(dept.ID)},
		"shift":    map[string]string{"on": on.Format("15:04"), "off": on.Add(9 * time.Hour).Format("15:04")},
		"workdays": []int{1, 2, 3, 4, 5, 6, 7}, "follow_calendar": false,
		"places": []map[string]any{{"name": "HQ", "lat": 31.2304, "lng": 121.4737, "radius_m": 300}}})
	if err != nil {
		return nil, fmt.Errorf("create attendance group: %w", err)
	}
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		DialContext: (&net.Dialer{Timeout: 30 * time.Second}).DialContext, MaxIdleConnsPerHost: e.cfg.PunchWindow + 8}}
	clients := make([]*client.Client, N)
	for i, u := range members {
		clients[i] = client.New(t.url)
		clients[i].HTTP, clients[i].Token = hc, u.Token
	}
	// Wait for the server to plan today's days (it does so at once for a
	// new group; in production, at midnight), so that the rush meets
	// planned days as a real morning does.
	e.logf("punch: waiting for today's days to be planned")
	deadline := time.Now().Add(2 * time.Minute)
	for _, i := range []int{0, N / 2, N - 1} {
		for {
			td, err := clients[i].AttToday(ctx, oid)
			if err == nil && td.Day != nil && !td.Day.UpdatedAt.IsZero() {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				e.logf("punch: today is not planned after 2 minutes; the rush plans as it goes")
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	goal := "≥ 5,000 punches/s on SQLite, p99 ≤ 100 ms"
	var rows []*Row
	for _, name := range []string{"rush", "rush again"} {
		row := e.punchPhase(ctx, t, clients, oid, name, 0)
		row.Goal = goal
		row.Met = met(row.Rate >= 5000 && row.Latency.P99 <= 100 && row.Errors == 0)
		rows = append(rows, row)
		if ctx.Err() != nil {
			return rows, ctx.Err()
		}
	}
	row := e.punchPhase(ctx, t, clients, oid, "minute", e.cfg.PunchSpread)
	row.Goal = fmt.Sprintf("p99 ≤ 100 ms with %d punches spread over %s", N, e.cfg.PunchSpread)
	row.Met = met(row.Latency.P99 <= 100 && row.Errors == 0)
	rows = append(rows, row)
	return rows, nil
}

// punchPhase has every client punch once: as fast as PunchWindow requests
// in flight allow (spread 0), or each at a random moment within spread.
func (e *env) punchPhase(ctx context.Context, t *target, clients []*client.Client, oid, name string, spread time.Duration) *Row {
	N := len(clients)
	row := &Row{Scenario: "punch", Phase: name, Target: t.name, Conns: N, Unit: "punches/s", Extra: map[string]float64{}}
	var mu sync.Mutex
	var lat Hist
	codes := map[string]int64{}
	results := map[string]int64{}
	var okN, errN atomic.Int64
	lat1, lng := 31.2314, 121.4737
	acc := 25.0
	in := client.PunchIn{Lat: &lat1, Lng: &lng, AccuracyM: &acc}
	var delays []time.Duration
	if spread > 0 {
		delays = make([]time.Duration, N)
		for i := range delays {
			delays[i] = time.Duration(rand.Int64N(int64(spread)))
		}
	}
	e.logf("punch %s: starting", name)
	m := startMeter(t)
	cpu0 := cpuSeconds()
	start := time.Now()
	sem := make(chan struct{}, e.cfg.PunchWindow)
	var wg sync.WaitGroup
	for i, c := range clients {
		if ctx.Err() != nil {
			break
		}
		if spread == 0 {
			sem <- struct{}{}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if spread > 0 {
				select {
				case <-time.After(time.Until(start.Add(delays[i]))):
				case <-ctx.Done():
					return
				}
			} else {
				defer func() { <-sem }()
			}
			t0 := time.Now()
			p, err := c.Punch(ctx, oid, in)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errN.Add(1)
				var ae *client.Error
				if errors.As(err, &ae) {
					codes[ae.Code]++
				} else {
					codes["transport"]++
				}
				return
			}
			okN.Add(1)
			lat.Add(d)
			results[p.CheckType+"/"+p.TimeResult]++
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
	for k, v := range results {
		row.Extra[k] = float64(v)
	}
	if row.ServerCPU > 0 && row.Rate > 0 {
		row.Extra["server_cpu_us_per_punch"] = round(row.ServerCPU*1e6/row.Rate, 0)
	}
	if row.ClientCPU > 0 && row.Rate > 0 {
		row.Extra["client_cpu_us_per_punch"] = round(row.ClientCPU*1e6/row.Rate, 0)
	}
	e.logf("punch %s: %d ok, %d errors in %.1f s (%.0f/s), p99 %.1f ms", name, okN.Load(), errN.Load(), wall, row.Rate, row.Latency.P99)
	return row
}

// forEach runs fn on every user, n at a time, and returns the first error.
func forEach(ctx context.Context, us []user, n int, fn func(user) error) error {
	var first atomic.Value
	var wg sync.WaitGroup
	sem := make(chan struct{}, n)
	for _, u := range us {
		if ctx.Err() != nil || first.Load() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(u); err != nil {
				first.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		return err
	}
	return ctx.Err()
}

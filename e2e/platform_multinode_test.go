package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/tacktest"
)

// TestDeliveriesOnceAcrossNodes: three nodes on one PostgreSQL database
// all run the delivery worker; 30 events queued through all three reach
// the receiver once each, never two attempts of one delivery at a time.
func TestDeliveriesOnceAcrossNodes(t *testing.T) {
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	var nodes []*tacktest.Server
	for i := 0; i < 3; i++ {
		nodes = append(nodes, tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
			c.PostgresURL, c.NATSURL = dsn, natsURL
			c.PlatformEvery = 5 * time.Millisecond
			c.PlatformRetry = platform.Retry{First: 10 * time.Millisecond}
		})))
	}
	ctx := ctxT(t)
	owner := nodes[0].NewUser(t, "Owner")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "UTC"))
	var mu sync.Mutex
	calls := map[string]int{}
	inFlight := map[string]int{}
	overlaps := 0
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev struct {
			ID string `json:"id"`
		}
		json.Unmarshal(b, &ev)
		d := r.Header.Get("X-Tack-Delivery")
		mu.Lock()
		calls[ev.ID]++
		inFlight[d]++
		if inFlight[d] > 1 {
			overlaps++
		}
		mu.Unlock()
		time.Sleep(2 * time.Millisecond) // hold the request open a little: pacing, not synchronisation
		mu.Lock()
		inFlight[d]--
		mu.Unlock()
	}))
	t.Cleanup(hook.Close)
	apps := "/api/v1/orgs/" + string(o.ID) + "/apps"
	var a appCreds
	if err := owner.Do(ctx, "POST", apps, map[string]any{"name": "Ops", "callback_url": hook.URL, "events": []string{"approval"}}, &a); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		c := client.New(nodes[i%3].URL)
		c.Token = owner.Token
		if err := c.Do(ctx, "POST", apps+"/"+a.ID+"/test", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "30 deliveries", func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) == 30 })
	var ds struct {
		Deliveries []platform.Delivery `json:"deliveries"`
	}
	waitFor(t, "30 recorded as delivered", func() bool {
		owner.Do(ctx, "GET", apps+"/"+a.ID+"/deliveries?state=delivered&limit=100", nil, &ds)
		return len(ds.Deliveries) == 30
	})
	mu.Lock()
	defer mu.Unlock()
	for id, n := range calls {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	if overlaps != 0 {
		t.Errorf("%d overlapping attempts of one delivery", overlaps)
	}
	for _, d := range ds.Deliveries {
		if d.Attempts != 1 {
			t.Errorf("delivery %s took %d attempts", d.ID, d.Attempts)
		}
	}
}

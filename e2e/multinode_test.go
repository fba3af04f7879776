package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/tackhq/tack/bus/nats/natstest"
	"github.com/tackhq/tack/client"
)

// tb is what freshSchema needs of a test or benchmark.
type tb interface {
	Helper()
	Skip(...any)
	Skipf(string, ...any)
	Fatal(...any)
	Cleanup(func())
}

func asT(b testing.TB) tb { return b }

// freshSchema creates a PostgreSQL schema for one test and drops it after.
func freshSchema(t tb) string {
	t.Helper()
	base := os.Getenv("TACK_TEST_POSTGRES")
	if base == "" {
		t.Skip("TACK_TEST_POSTGRES is not set: multi-node tests need PostgreSQL (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Skipf("PostgreSQL at TACK_TEST_POSTGRES is not reachable: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "tack_e2e_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	sep := "?"
	for _, ch := range base {
		if ch == '?' {
			sep = "&"
		}
	}
	return base + sep + "search_path=" + schema
}

// roamingReceiver follows the stream of one user, moving to the next node
// whenever its node goes away, resuming with its cursors. It records every
// message event and fails on a duplicate or an out-of-order change.
type roamingReceiver struct {
	t     *testing.T
	c     *client.Client
	nodes []string
	mu    sync.Mutex
	texts map[int64]string // seq -> text (text messages)
	mods  map[string]int64
	err   error
	ready chan struct{} // closed at the first "synced": caught up and live
	once  sync.Once
}

func (r *roamingReceiver) run(ctx context.Context, start int) {
	cursors := map[string]int64{}
	for i := start; ctx.Err() == nil; i++ {
		r.c.BaseURL = r.nodes[i%len(r.nodes)]
		s, err := r.c.Connect(ctx, client.StreamOptions{Cursors: cursors})
		if err != nil {
			time.Sleep(100 * time.Millisecond) // back off before the next node, not synchronisation
			continue
		}
		go func() { <-ctx.Done(); s.CloseNow() }()
		for e := range s.Events() {
			if e.Type == "synced" {
				r.once.Do(func() { close(r.ready) })
			}
			if e.Type != "message" {
				continue
			}
			m := e.Message
			r.mu.Lock()
			conv := string(m.ConversationID)
			if m.Mod <= r.mods[conv] {
				r.err = fmt.Errorf("change mod %d delivered after mod %d (duplicate or out of order)", m.Mod, r.mods[conv])
			}
			r.mods[conv] = m.Mod
			if m.Kind == "text" {
				if old, ok := r.texts[m.Seq]; ok && old == m.Text {
					r.err = fmt.Errorf("message seq %d delivered twice", m.Seq)
				}
				r.texts[m.Seq] = m.Text
			}
			r.mu.Unlock()
		}
		cursors = s.Cursors()
	}
}

// TestMultiNodeSurvivesNodeKill runs three nodes on one PostgreSQL and a
// three-server NATS cluster; users spread over the nodes chat in a group;
// one node is killed with SIGKILL mid-traffic; its clients move to the
// survivors and resume.
func TestMultiNodeSurvivesNodeKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three server processes")
	}
	dsn := freshSchema(t)
	natsURLs := natstest.RunCluster(t, 3)
	var nodes []*serverProcess
	var urls []string
	for i := 0; i < 3; i++ {
		p := startProcess(t, "--db", dsn, "--nats", natsURLs[i], "--send-rate", "10000")
		nodes = append(nodes, p)
		urls = append(urls, p.URL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const people = 6
	var users []*client.Client
	var ids []string
	for i := 0; i < people; i++ {
		c := client.New(urls[i%3])
		c.HTTP.Timeout = 5 * time.Second
		u, err := c.Register(ctx, fmt.Sprintf("mn%d@example.com", i), "password123", fmt.Sprint("Node user ", i))
		if err != nil {
			t.Fatal(err)
		}
		users = append(users, c)
		ids = append(ids, string(u.ID))
	}
	conv, err := users[0].CreateConversation(ctx, "group", ids[1:], "across nodes")
	if err != nil {
		t.Fatal(err)
	}
	id := string(conv.ID)
	rctx, rcancel := context.WithCancel(ctx)
	var receivers []*roamingReceiver
	var rwg sync.WaitGroup
	for i := 0; i < people; i++ {
		rc := client.New(urls[i%3])
		rc.Token = users[i].Token
		r := &roamingReceiver{t: t, c: rc, nodes: urls, texts: map[int64]string{}, mods: map[string]int64{}, ready: make(chan struct{})}
		receivers = append(receivers, r)
		rwg.Add(1)
		go func(i int) { defer rwg.Done(); r.run(rctx, i%3) }(i)
	}
	// Every receiver is connected and caught up before anyone sends.
	for i, r := range receivers {
		select {
		case <-r.ready:
		case <-time.After(30 * time.Second):
			t.Fatalf("receiver %d never got synced", i)
		}
	}

	// Every user sends; a send whose node died is retried on another node
	// with the same client ID, which must not double it.
	acked := map[int64]string{}
	var amu sync.Mutex
	var swg sync.WaitGroup
	const perUser = 60
	for i := 0; i < people; i++ {
		swg.Add(1)
		go func(i int) {
			defer swg.Done()
			c := users[i]
			node := i % 3
			for n := 0; n < perUser; n++ {
				d := client.Draft{ClientID: fmt.Sprintf("u%d-%d", i, n), Text: fmt.Sprintf("user %d says %d", i, n)}
				for try := 0; ; try++ {
					c.BaseURL = urls[node]
					m, err := c.Send(ctx, id, d)
					if err == nil {
						amu.Lock()
						if old, ok := acked[m.Seq]; ok && old != d.Text {
							t.Errorf("seq %d acknowledged for two texts", m.Seq)
						}
						acked[m.Seq] = d.Text
						amu.Unlock()
						break
					}
					var ae *client.Error
					if errors.As(err, &ae) || try > 20 {
						t.Errorf("send %s: %v", d.ClientID, err)
						return
					}
					node = (node + 1) % 3 // transport error: that node is gone
				}
				time.Sleep(5 * time.Millisecond) // pacing the senders: time is the subject here
			}
		}(i)
	}
	for { // kill one node mid-traffic: after a third of the sends
		amu.Lock()
		n := len(acked)
		amu.Unlock()
		if n >= people*perUser/3 {
			break
		}
		time.Sleep(5 * time.Millisecond) // polling for the condition above, with its deadline
	}
	nodes[2].kill(t)
	swg.Wait()
	if t.Failed() {
		rcancel()
		return
	}
	if len(acked) != people*perUser {
		t.Fatalf("%d distinct acknowledged seqs, want %d", len(acked), people*perUser)
	}
	// Wait until every receiver has every acknowledged message.
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range receivers {
		for {
			r.mu.Lock()
			n, rerr := 0, r.err
			for seq, text := range acked {
				if r.texts[seq] == text {
					n++
				}
			}
			r.mu.Unlock()
			if rerr != nil {
				t.Fatal(rerr)
			}
			if n == len(acked) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("a receiver has %d of %d acknowledged messages", n, len(acked))
			}
			time.Sleep(100 * time.Millisecond) // polling for the condition above, with its deadline
		}
	}
	rcancel()
	rwg.Wait()
	for _, r := range receivers {
		if r.err != nil {
			t.Fatal(r.err)
		}
	}
	// Receipts agree on every surviving node once everyone has read.
	var last int64
	for seq := range acked {
		last = max(last, seq)
	}
	for i, c := range users {
		c.BaseURL = urls[i%2]
		if _, err := c.MarkRead(ctx, id, last); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range urls[:2] {
		users[0].BaseURL = u
		rc, err := users[0].Receipts(ctx, id, last)
		if err != nil {
			t.Fatal(err)
		}
		if rc.UnreadCount != 0 || rc.ReadCount != people-1 {
			t.Fatalf("receipts on %s: %d read, %d unread", u, rc.ReadCount, rc.UnreadCount)
		}
	}
	t.Logf("%d messages acknowledged across 3 nodes (one killed), all delivered once to %d roaming receivers", len(acked), people)
}

// TestRevocationReachesEveryNode signs a session out on one node and expects
// every other node to refuse it within a second.
func TestRevocationReachesEveryNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	dsn := freshSchema(t)
	natsURL := natstest.RunServer(t)
	a := startProcess(t, "--db", dsn, "--nats", natsURL)
	b := startProcess(t, "--db", dsn, "--nats", natsURL)
	ctx := ctxT(t)
	ca := client.New(a.URL)
	if _, err := ca.Register(ctx, "rev@example.com", "password123", "Rev"); err != nil {
		t.Fatal(err)
	}
	cb := client.New(b.URL)
	cb.Token = ca.Token
	if _, err := cb.Me(ctx); err != nil { // now cached on node b
		t.Fatal(err)
	}
	if err := ca.SignOut(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Second)
	for {
		_, err := cb.Me(ctx)
		if apiCode(err) == "unauthorized" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node b still accepts the revoked session after 1 s: %v", err)
		}
		time.Sleep(20 * time.Millisecond) // polling for the condition above, with its deadline
	}
}

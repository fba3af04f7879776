package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// filesContaining lists which of the database's files hold marker.
func filesContaining(t *testing.T, dir string, marker []byte) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"tack.db", "tack.db-wal", "tack.db-shm"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, marker) {
			out = append(out, name)
		}
	}
	return out
}

// TestRecallErasedFromDisk: a recalled message's text is in none of the
// SQLite files (tack.db, -wal, -shm) shortly after the recall; the old
// server left it in the WAL (and in the database page's free space).
func TestRecallErasedFromDisk(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, err := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	rb := make([]byte, 12)
	rand.Read(rb)
	marker := []byte("recall-marker-" + hex.EncodeToString(rb))
	// Three sizes: a short text, one that shrinks a lot in its page (the
	// old bytes would stay in the page's free space), and one long enough
	// to spill into an overflow page (freed whole).
	var recall []int64
	for i, size := range []int{0, 1500, 4900} {
		text := "the secret is " + strings.Repeat("s", size) + string(marker)
		m, err := a.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprint("secret", i), Text: text})
		if err != nil {
			t.Fatal(err)
		}
		recall = append(recall, m.Seq)
	}
	for _, i := range []int{1, 2, 3} { // other traffic around it
		if _, err := b.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprint("o", i), Text: fmt.Sprint("other ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	dir := srv.Config.DataDir
	if got := filesContaining(t, dir, marker); len(got) == 0 {
		t.Fatal("the marker is in no file before the recall: the scan does not work")
	}
	for _, seq := range recall {
		if _, err := a.Recall(ctx, string(conv.ID), seq); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := filesContaining(t, dir, marker)
		if len(got) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after the recall the text is still in %v", got)
		}
		time.Sleep(20 * time.Millisecond) // polling for the condition above, with its deadline
	}
	// It stays gone as traffic goes on.
	for i := 4; i < 20; i++ {
		if _, err := b.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprint("o", i), Text: fmt.Sprint("other ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := filesContaining(t, dir, marker); len(got) > 0 {
		t.Fatalf("the recalled text came back in %v", got)
	}
}

// TestWALBoundedUnderLoad: under a sustained stream of sends the WAL file
// stays near its limit (polled during the run), and is emptied once the
// load stops.
func TestWALBoundedUnderLoad(t *testing.T) {
	const limit = 1 << 20
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.WALLimit = limit }))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a slow machine under -race
	defer cancel()
	const senders, each, window = 8, 120, 4
	var users []*tacktest.User
	for i := 0; i < senders+1; i++ {
		users = append(users, srv.NewUser(t, fmt.Sprint("U", i)))
	}
	var ids []string
	for _, u := range users[1:] {
		ids = append(ids, u.ID)
	}
	group, err := users[0].CreateConversation(ctx, "group", ids, "load")
	if err != nil {
		t.Fatal(err)
	}
	wal := filepath.Join(srv.Config.DataDir, "tack.db-wal")
	var peak atomic.Int64
	stop := make(chan struct{})
	polled := make(chan int)
	go func() {
		n := 0
		for {
			if fi, err := os.Stat(wal); err == nil && fi.Size() > peak.Load() {
				peak.Store(fi.Size())
			}
			n++
			select {
			case <-stop:
				polled <- n
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	pad := strings.Repeat("load text ", 390)
	for i, u := range users[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := u.Connect(ctx, client.StreamOptions{})
			if err != nil {
				errs <- err
				return
			}
			defer s.CloseNow()
			go func() {
				for range s.Events() {
				}
			}()
			// A few sends in flight per sender, as a busy client has.
			var inflight sync.WaitGroup
			sem := make(chan struct{}, window)
			var failed atomic.Bool
			for j := 0; j < each && !failed.Load(); j++ {
				sem <- struct{}{}
				inflight.Add(1)
				go func() {
					defer inflight.Done()
					defer func() { <-sem }()
					if _, err := s.Send(ctx, string(group.ID), client.Draft{ClientID: fmt.Sprintf("%d-%d", i, j), Text: pad + fmt.Sprint(j)}); err != nil && !failed.Swap(true) {
						errs <- err
					}
				}()
			}
			inflight.Wait()
		}()
	}
	wg.Wait()
	close(stop)
	var n int
	select {
	case n = <-polled:
	case <-time.After(time.Minute):
		t.Fatal("the WAL poller did not stop")
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d sends; WAL peak %d KiB over %d polls (limit %d KiB)", senders*each, peak.Load()>>10, n, limit>>10)
	// A commit that passes the limit wakes a truncating checkpoint at
	// once; one that passes twice the limit truncates it itself, but the
	// requests already waiting for the writer (up to senders×window = 32
	// here) commit first. So the bound is twice the limit plus what those
	// add: under 1 MiB for these messages. Quiet machines peak at 1.1-1.3
	// MiB; a loaded one (load 30) reached 2.1 MiB.
	if bound := int64(3 * limit); peak.Load() > bound {
		t.Fatalf("WAL reached %d KiB, bound %d KiB", peak.Load()>>10, bound>>10)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(wal)
		if err != nil || fi.Size() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the WAL is still %d bytes 10 s after the load stopped", fi.Size())
		}
		time.Sleep(20 * time.Millisecond) // polling for the condition above, with its deadline
	}
}

// TestDiskFullRefusesWrites fakes the data directory's free space (the
// node's Statfs hook): when it falls under the minimum, /healthz says
// degraded, /metrics shows it, every write is refused with 507
// insufficient_storage and nothing is half-written; reads go on; when space
// comes back, writes work again.
func TestDiskFullRefusesWrites(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 40)
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.MinFreeBytes = 100 << 20
		c.Statfs = func(string) (uint64, error) { return free.Load(), nil }
		c.MetricsToken = "metrics-token-0123456789"
	}))
	ctx := ctxT(t)
	a := srv.NewUser(t, "A")
	b := srv.NewUser(t, "B")
	conv, err := a.CreateConversation(ctx, "direct", []string{b.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	cid := string(conv.ID)
	if _, err := a.Send(ctx, cid, client.Draft{ClientID: "before", Text: "before"}); err != nil {
		t.Fatal(err)
	}
	health := func(want string) map[string]any {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, body := raw(t, "GET", srv.URL+"/healthz", "", nil)
			if st == 200 && body["status"] == want {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("healthz %d %v, want status %s", st, body, want)
			}
			time.Sleep(50 * time.Millisecond) // polling for the condition above, with its deadline
		}
	}
	health("ok")
	free.Store(150 << 20) // low: under twice the minimum
	d, _ := health("degraded")["disk"].(map[string]any)
	if d["low"] != true || d["full"] != false {
		t.Fatalf("low disk reported as %v", d)
	}
	if _, err := a.Send(ctx, cid, client.Draft{ClientID: "low", Text: "low but fine"}); err != nil {
		t.Fatalf("send while low (not full): %v", err)
	}
	free.Store(10 << 20) // full
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, _ = health("degraded")["disk"].(map[string]any)
		if d["full"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("full disk reported as %v", d)
		}
		time.Sleep(50 * time.Millisecond) // polling for the condition above, with its deadline
	}
	mreq, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	mreq.Header.Set("Authorization", "Bearer metrics-token-0123456789")
	resp, err := http.DefaultClient.Do(mreq)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(mb, []byte("tack_data_free_bytes 1.048576e+07")) {
		t.Errorf("metrics lack tack_data_free_bytes 1.048576e+07")
	}
	msgs := srv.URL + "/api/v1/conversations/" + cid + "/messages"
	if st, body := raw(t, "POST", msgs, a.Token, []byte(`{"client_id":"full","text":"refused"}`)); st != 507 || errCode(body) != "insufficient_storage" {
		t.Fatalf("send on a full disk: %d %v, want 507 insufficient_storage", st, body)
	}
	if st, body := raw(t, "POST", srv.URL+"/api/v1/accounts", "", []byte(`{"login":"late@example.com","password":"password123","name":"Late"}`)); st != 507 || errCode(body) != "insufficient_storage" {
		t.Fatalf("register on a full disk: %d %v, want 507", st, body)
	}
	s := connect(t, a.Client, nil)
	if _, err := s.Send(ctx, cid, client.Draft{ClientID: "full-ws", Text: "refused"}); apiCode(err) != "insufficient_storage" {
		t.Fatalf("stream send on a full disk: %v", err)
	}
	got, err := a.HistoryAfter(ctx, cid, 0, 100) // reads work
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		if m.Text == "refused" {
			t.Fatal("a refused send was stored")
		}
	}
	if _, err := client.New(srv.URL).SignIn(ctx, "late@example.com", "password123"); apiCode(err) != "unauthorized" {
		t.Fatalf("the refused registration exists: %v", err)
	}
	free.Store(1 << 40)
	health("ok")
	if _, err := a.Send(ctx, cid, client.Draft{ClientID: "after", Text: "space is back"}); err != nil {
		t.Fatalf("send after space came back: %v", err)
	}
}

package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// friends makes a and b friends.
func friends(t *testing.T, a, b *tacktest.User) {
	t.Helper()
	if _, err := a.RequestFriend(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	if err := b.AcceptFriend(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
}

// waitBurned polls the history until message seq has burned.
func waitBurned(t *testing.T, u *tacktest.User, conv string, seq int64) client.Message {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ms, err := u.History(context.Background(), conv, 0, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if m.Seq == seq && m.Burned {
				return m
			}
		}
		time.Sleep(200 * time.Millisecond) // polling for the burn, with its deadline
	}
	t.Fatalf("message %d never burned", seq)
	return client.Message{}
}

// TestSecretChat drives a secret chat through the real server: who may open
// one, what each side sees before and after the reveal, the rules (no
// replies, edits, mentions, forwards by quote), a restart between reveal and
// burn, the burn event without text, and finally the plaintext scan: with the
// server stopped, no file under the data directory holds the marker.
func TestSecretChat(t *testing.T) {
	srv := tacktest.NewServer(t)
	testSecretChat(t, srv, func(marker, control string) {
		// While the server runs: the WAL is emptied moments after a burn.
		holders := func() (out []string) {
			filepath.WalkDir(srv.Config.DataDir, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(marker)) {
						out = append(out, path)
					}
				}
				return nil
			})
			return out
		}
		for end := time.Now().Add(20 * time.Second); len(holders()) > 0 && time.Now().Before(end); {
			time.Sleep(100 * time.Millisecond) // polling the files, with the deadline above (checked below)
		}
		if h := holders(); len(h) > 0 {
			t.Errorf("with the server running, the burned text is still in %v", h)
		}
		srv.Close()
		var found, controls []string
		filepath.WalkDir(srv.Config.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("read %s: %v", path, err)
				return nil
			}
			if bytes.Contains(b, []byte(marker)) {
				found = append(found, path)
			}
			if bytes.Contains(b, []byte(control)) {
				controls = append(controls, path)
			}
			return nil
		})
		if len(found) > 0 {
			t.Errorf("the burned text is still in %v", found)
		}
		if len(controls) == 0 {
			t.Error("the scan did not find the unburned control message: it proves nothing")
		}
	})
}

// TestSecretChatPostgres is TestSecretChat on PostgreSQL: no row holds the
// marker after the burn (dead row versions until VACUUM are documented in
// docs/secret.md).
func TestSecretChatPostgres(t *testing.T) {
	dsn := freshSchema(t)
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.PostgresURL = dsn }))
	testSecretChat(t, srv, func(marker, _ string) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM messages WHERE text LIKE '%' || $1 || '%'`, marker).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows still hold the burned text", n)
		}
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM deadlines WHERE encode(data, 'escape') LIKE '%' || $1 || '%'`, marker).Scan(&n); err != nil || n != 0 {
			t.Errorf("deadlines hold the text: %d, %v", n, err)
		}
	})
}

func testSecretChat(t *testing.T, srv *tacktest.Server, scan func(marker, control string)) {
	ctx := ctxT(t)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	// Strangers may not open a secret chat.
	if _, err := alice.CreateConversation(ctx, "secret", []string{carol.ID}, ""); apiCode(err) != "forbidden" {
		t.Fatalf("secret chat with a stranger: %v, want forbidden", err)
	}
	friends(t, alice, bob)
	if _, err := alice.CreateConversation(ctx, "secret", []string{bob.ID, carol.ID}, ""); apiCode(err) != "invalid" {
		t.Errorf("secret chat of three: %v, want invalid", err)
	}
	conv, err := alice.CreateConversation(ctx, "secret", []string{bob.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	if conv.Kind != "secret" || conv.Peer != tack.ID(bob.ID) {
		t.Fatalf("created %+v; want type secret with peer Bob", conv)
	}
	again, err := bob.CreateConversation(ctx, "secret", []string{alice.ID}, "")
	if err != nil || again.ID != conv.ID {
		t.Errorf("Bob's secret chat with Alice = %v, %v; want the same one", again.ID, err)
	}
	direct, err := alice.CreateConversation(ctx, "direct", []string{bob.ID}, "")
	if err != nil || direct.ID == conv.ID {
		t.Fatalf("direct chat beside the secret one: %v %v", direct.ID, err)
	}
	id := string(conv.ID)
	bs := connect(t, bob.Client, nil)

	marker := "SECRET-" + string(tack.NewID())
	// Bad inputs.
	for _, tc := range []struct {
		d    client.Draft
		conv string
		code string
	}{
		{client.Draft{ClientID: "b1", Text: marker, BurnAfterS: 4}, id, "invalid"},
		{client.Draft{ClientID: "b2", Text: marker, BurnAfterS: 301}, id, "invalid"},
		{client.Draft{ClientID: "b3", Text: marker, BurnAfterS: -1}, id, "invalid"},
		{client.Draft{ClientID: "b4", Text: marker, Mentions: []string{bob.ID}}, id, "invalid"},
		{client.Draft{ClientID: "b5", Text: marker, ReplyTo: 1}, id, "invalid"},
		{client.Draft{ClientID: "b6", Text: "plain", BurnAfterS: 30}, string(direct.ID), "invalid"},
	} {
		if _, err := alice.Send(ctx, tc.conv, tc.d); apiCode(err) != tc.code {
			t.Errorf("send %+v: %v, want %s", tc.d, err, tc.code)
		}
	}
	if _, err := carol.Send(ctx, id, client.Draft{ClientID: "c1", Text: "hi"}); apiCode(err) != "not_found" {
		t.Errorf("a non-member's send: %v, want not_found", err)
	}

	sent, err := alice.Send(ctx, id, client.Draft{ClientID: "s1", Text: marker, BurnAfterS: 5})
	if err != nil {
		t.Fatal(err)
	}
	if sent.Text != marker || sent.BurnAfterS != 5 || sent.BurnsAt == nil || !sent.Hidden {
		t.Errorf("the sender's copy = %+v", sent)
	}
	// Bob hears of it without its text.
	ev := waitEvent(t, bs, "the secret message", func(e client.Event) bool {
		return e.Type == "message" && e.Message.Seq == sent.Seq
	})
	if ev.Message.Text != "" || !ev.Message.Hidden || strings.Contains(string(ev.Raw), marker) {
		t.Errorf("the stream carried %s", ev.Raw)
	}
	hist, err := bob.History(ctx, id, 0, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if last.Seq != sent.Seq || last.Text != "" || !last.Hidden {
		t.Errorf("Bob's history before the reveal: %+v", last)
	}
	convs, _ := bob.Conversations(ctx)
	for _, c := range convs {
		if c.ID == conv.ID && c.LastMessage != nil && c.LastMessage.Text != "" {
			t.Errorf("Bob's conversation list shows the text: %+v", c.LastMessage)
		}
	}
	// Who may reveal.
	if _, err := carol.Reveal(ctx, id, sent.Seq); apiCode(err) != "not_found" {
		t.Errorf("a non-member's reveal: %v, want not_found", err)
	}
	if _, err := alice.Reveal(ctx, id, sent.Seq); apiCode(err) != "forbidden" {
		t.Errorf("the sender's reveal: %v, want forbidden", err)
	}
	if _, err := bob.Reveal(ctx, id, 999); apiCode(err) != "not_found" {
		t.Errorf("reveal of a missing message: %v", err)
	}
	if _, err := bob.Reveal(ctx, id, 1); apiCode(err) != "invalid" {
		t.Errorf("reveal of the system message: %v, want invalid", err)
	}
	if err := bob.Do(ctx, "POST", "/api/v1/conversations/"+id+"/messages/x/reveal", nil, nil); apiCode(err) != "not_found" {
		t.Errorf("reveal of seq x: %v, want not_found", err)
	}
	rev, err := bob.Reveal(ctx, id, sent.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Text != marker || rev.BurnsAt == nil || rev.RevealedAt == nil || rev.BurnsAt.Sub(*rev.RevealedAt) != 5*time.Second {
		t.Fatalf("revealed = %+v", rev)
	}
	if _, err := alice.Edit(ctx, id, sent.Seq, "changed"); apiCode(err) != "forbidden" {
		t.Errorf("edit of a secret message: %v, want forbidden", err)
	}
	// A restart between the reveal and the burn.
	srv.Restart(t)
	bs = connect(t, bob.Client, map[string]int64{id: rev.Mod})
	burned := waitBurned(t, bob, id, sent.Seq)
	if burned.Text != "" {
		t.Errorf("burned message has text %q", burned.Text)
	}
	ev = waitEvent(t, bs, "the burn", func(e client.Event) bool {
		return e.Type == "message" && e.Message.Seq == sent.Seq && e.Message.Burned
	})
	if strings.Contains(string(ev.Raw), marker) {
		t.Errorf("the burn event carried the text: %s", ev.Raw)
	}
	if ah, _ := alice.History(ctx, id, 0, 0, 50); len(ah) == 0 || ah[len(ah)-1].Text != "" || !ah[len(ah)-1].Burned {
		t.Errorf("the sender's copy did not burn: %+v", ah)
	}
	if _, err := bob.Reveal(ctx, id, sent.Seq); apiCode(err) != "expired" {
		t.Errorf("reveal of a burned message: %v, want expired", err)
	}
	control := "CONTROL-" + string(tack.NewID())
	if _, err := alice.Send(ctx, id, client.Draft{ClientID: "s2", Text: control}); err != nil {
		t.Fatal(err)
	}
	scan(marker, control)
}

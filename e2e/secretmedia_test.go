package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
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

// noisyPNG is a w×h PNG of random pixels (incompressible: any slice of its
// bytes, or of what the server makes of it, is found nowhere else).
func noisyPNG(t *testing.T, w, h int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(r.Uint32()), uint8(r.Uint32()), uint8(r.Uint32()), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// download returns a file's bytes (or its thumbnail's) as u, or the
// response's status when it is not 200.
func download(t *testing.T, u *tacktest.User, id string, thumb bool) ([]byte, int) {
	t.Helper()
	resp, err := u.Download(context.Background(), id, thumb)
	if err != nil {
		if code := apiCode(err); code == "not_found" {
			return nil, http.StatusNotFound
		}
		t.Fatalf("download %s: %v", id, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b, resp.StatusCode
}

// middle is a slice of b from its middle, long enough to be unique.
func middle(b []byte) []byte {
	n := min(len(b)/4, 256)
	return b[len(b)/2 : len(b)/2+n]
}

// TestSecretChatMedia sends an image in a secret chat and checks that it
// burns with its message: the recipient cannot fetch it before the reveal,
// nobody may forward it, and after the burn neither side can fetch it and
// no file under the data directory (the SQLite database, its WAL, the blob
// directory) holds its bytes, its thumbnail's, its name or the message's
// text, while an unburned control image and text are found by the same
// scan.
func TestSecretChatMedia(t *testing.T) {
	testSecretChatMedia(t, tacktest.NewServer(t), nil)
}

// TestSecretChatMediaPostgres is TestSecretChatMedia on PostgreSQL: the
// blob directory is scanned as on SQLite, and no row holds the file, its
// name or the text after the burn (dead row versions until VACUUM are
// documented in docs/secret.md).
func TestSecretChatMediaPostgres(t *testing.T) {
	dsn := freshSchema(t)
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) { c.PostgresURL = dsn }))
	testSecretChatMedia(t, srv, func(fileID, name, text string) {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		for _, q := range []struct{ what, sql, arg string }{
			{"files", `SELECT count(*) FROM media_files WHERE id = $1 OR name = $1`, fileID},
			{"files by name", `SELECT count(*) FROM media_files WHERE name = $1`, name},
			{"references", `SELECT count(*) FROM media_refs WHERE file_id = $1`, fileID},
			{"messages", `SELECT count(*) FROM messages WHERE text LIKE '%' || $1 || '%' OR attachments::text LIKE '%' || $1 || '%'`, text},
			{"messages by name", `SELECT count(*) FROM messages WHERE attachments::text LIKE '%' || $1 || '%'`, name},
		} {
			var n int
			if err := conn.QueryRow(context.Background(), q.sql, q.arg).Scan(&n); err != nil {
				t.Fatalf("%s: %v", q.what, err)
			}
			if n != 0 {
				t.Errorf("%d rows of %s still hold the burned message", n, q.what)
			}
		}
	})
}

// testSecretChatMedia runs the test on srv; rows, if set, checks a
// database outside the data directory (PostgreSQL) after the burn.
func testSecretChatMedia(t *testing.T, srv *tacktest.Server, rows func(fileID, name, text string)) {
	ctx := ctxT(t)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	friends(t, alice, bob)
	conv, err := alice.CreateConversation(ctx, "secret", []string{bob.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	direct, err := alice.CreateConversation(ctx, "direct", []string{bob.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := string(conv.ID)
	marker := "SECRETIMG-" + string(tack.NewID())
	name := "NAME-" + string(tack.NewID()) + ".png"
	raw := noisyPNG(t, 160, 120, uint64(time.Now().UnixNano()))
	f, err := alice.Upload(ctx, bytes.NewReader(raw), client.UploadOptions{Name: name, Size: int64(len(raw))})
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != "image" || !f.Thumb {
		t.Fatalf("upload = %+v; want an image with a thumbnail", f)
	}
	fid := string(f.ID)

	bs := connect(t, bob.Client, nil)
	sent, err := alice.Send(ctx, id, client.Draft{ClientID: "img1", Text: marker, Attachments: []string{fid}, BurnAfterS: 5})
	if err != nil {
		t.Fatalf("an image in a secret chat: %v", err)
	}
	if sent.Kind != "image" || len(sent.Attachments) != 1 || !sent.Hidden {
		t.Errorf("the sender's copy = %+v", sent)
	}
	ev := waitEvent(t, bs, "the secret image", func(e client.Event) bool {
		return e.Type == "message" && e.Message.Seq == sent.Seq
	})
	if len(ev.Message.Attachments) != 0 || strings.Contains(string(ev.Raw), name) || strings.Contains(string(ev.Raw), fid) {
		t.Errorf("the stream carried the file: %s", ev.Raw)
	}
	hist, err := bob.History(ctx, id, 0, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.Seq != sent.Seq || len(last.Attachments) != 0 || last.Kind != "image" || !last.Hidden {
		t.Errorf("Bob's history before the reveal: %+v", last)
	}
	// Before the reveal the recipient cannot fetch it; an outsider never.
	for _, who := range []*tacktest.User{bob, carol} {
		if _, st := download(t, who, fid, false); st != http.StatusNotFound {
			t.Errorf("%s fetched the image before the reveal: %d", who.Name, st)
		}
	}
	rev, err := bob.Reveal(ctx, id, sent.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if rev.Text != marker || len(rev.Attachments) != 1 || string(rev.Attachments[0].ID) != fid || rev.Attachments[0].Name != name {
		t.Fatalf("revealed = %+v", rev)
	}
	if resp, err := bob.Download(ctx, fid, false); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a secret image's download has Cache-Control %q; want no-store", resp.Header.Get("Cache-Control"))
	}
	stored, st := download(t, bob, fid, false)
	thumb, st2 := download(t, bob, fid, true)
	if st != 200 || st2 != 200 || len(stored) < 1000 || len(thumb) < 100 {
		t.Fatalf("Bob's download after the reveal: %d (%d bytes), thumbnail %d (%d bytes)", st, len(stored), st2, len(thumb))
	}
	if _, st := download(t, carol, fid, false); st != http.StatusNotFound {
		t.Errorf("an outsider fetched the revealed image: %d", st)
	}
	// No forwarding by the recipient.
	if _, err := bob.Send(ctx, string(direct.ID), client.Draft{ClientID: "fw1", Attachments: []string{fid}}); apiCode(err) != "forbidden" {
		t.Errorf("forwarding a secret image: %v, want forbidden", err)
	}

	// A recalled secret image burns at once.
	raw2 := noisyPNG(t, 64, 64, uint64(time.Now().UnixNano())+2)
	f2, err := alice.Upload(ctx, bytes.NewReader(raw2), client.UploadOptions{Name: "recall.png", Size: int64(len(raw2))})
	if err != nil {
		t.Fatal(err)
	}
	m2, err := alice.Send(ctx, id, client.Draft{ClientID: "img2", Attachments: []string{string(f2.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Recall(ctx, id, m2.Seq); err != nil {
		t.Fatal(err)
	}
	if _, st := download(t, alice, string(f2.ID), false); st != http.StatusNotFound {
		t.Errorf("the uploader fetched a recalled secret image: %d", st)
	}
	secrets2 := middle(raw2)

	// A control: an ordinary image and text that stay.
	control := "CONTROL-" + string(tack.NewID())
	craw := noisyPNG(t, 160, 120, uint64(time.Now().UnixNano())+1)
	cf, err := alice.Upload(ctx, bytes.NewReader(craw), client.UploadOptions{Name: control + ".png", Size: int64(len(craw))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(ctx, string(direct.ID), client.Draft{ClientID: "ctl", Text: control, Attachments: []string{string(cf.ID)}}); err != nil {
		t.Fatal(err)
	}
	cstored, _ := download(t, bob, string(cf.ID), false)

	burned := waitBurned(t, bob, id, sent.Seq)
	if burned.Text != "" || len(burned.Attachments) != 0 {
		t.Errorf("burned message = %+v", burned)
	}
	for _, who := range []*tacktest.User{alice, bob} {
		if _, st := download(t, who, fid, false); st != http.StatusNotFound {
			t.Errorf("%s fetched the burned image: %d", who.Name, st)
		}
		if _, st := download(t, who, fid, true); st != http.StatusNotFound {
			t.Errorf("%s fetched the burned thumbnail: %d", who.Name, st)
		}
	}

	secrets := map[string][]byte{"text": []byte(marker), "name": []byte(name), "image": middle(stored),
		"thumbnail": middle(thumb), "upload": middle(raw), "recalled upload": secrets2}
	controls := map[string][]byte{"control text": []byte(control), "control image": middle(cstored)}
	if rows != nil {
		rows(fid, name, marker)
		delete(controls, "control text") // in PostgreSQL, not under the data directory
	}
	scan := func() (found []string, seen map[string]bool) {
		seen = map[string]bool{}
		filepath.WalkDir(srv.Config.DataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return nil // gone while walking
			}
			for what, s := range secrets {
				if bytes.Contains(b, s) {
					found = append(found, what+" in "+path)
				}
			}
			for what, s := range controls {
				if bytes.Contains(b, s) {
					seen[what] = true
				}
			}
			return nil
		})
		return found, seen
	}
	// While the server runs: the WAL is emptied moments after a burn.
	found, _ := scan()
	for end := time.Now().Add(20 * time.Second); len(found) > 0 && time.Now().Before(end); found, _ = scan() {
		time.Sleep(100 * time.Millisecond)
	}
	if len(found) > 0 {
		t.Errorf("with the server running, the burned message is still in: %v", found)
	}
	srv.Close()
	found, seen := scan()
	if len(found) > 0 {
		t.Errorf("with the server stopped, the burned message is still in: %v", found)
	}
	for what := range controls {
		if !seen[what] {
			t.Errorf("the scan did not find the %s: it proves nothing", what)
		}
	}
}

// TestSecretScreenshotNotice: a member of a secret chat reports a
// screenshot; both sides see a system notice naming them (live on the
// stream and in history), repeated reports within 10 s give the same one,
// and nobody else may report, nor in other chats.
func TestSecretScreenshotNotice(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	friends(t, alice, bob)
	conv, err := alice.CreateConversation(ctx, "secret", []string{bob.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	direct, err := alice.CreateConversation(ctx, "direct", []string{bob.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	id := string(conv.ID)
	as := connect(t, alice.Client, nil)
	n, err := bob.ReportScreenshot(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if n.Kind != "system" || n.System == nil || n.System.Action != "screenshot" || string(n.System.ActorID) != bob.ID || n.Text != "" {
		t.Fatalf("notice = %+v", n)
	}
	waitEvent(t, as, "the screenshot notice", func(e client.Event) bool {
		return e.Type == "message" && e.Message.Seq == n.Seq && e.Message.System != nil && e.Message.System.Action == "screenshot"
	})
	again, err := bob.ReportScreenshot(ctx, id)
	if err != nil || again.Seq != n.Seq {
		// A report straddling a 10 s boundary makes a second notice: allowed.
		if err != nil || again.Seq != n.Seq+1 {
			t.Errorf("a second report = %d, %v; want the same notice %d", again.Seq, err, n.Seq)
		}
	}
	hist, err := alice.History(ctx, id, 0, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	if last := hist[len(hist)-1]; last.System == nil || last.System.Action != "screenshot" {
		t.Errorf("Alice's history ends with %+v", last)
	}
	if _, err := carol.ReportScreenshot(ctx, id); apiCode(err) != "not_found" {
		t.Errorf("an outsider's report: %v, want not_found", err)
	}
	if _, err := bob.ReportScreenshot(ctx, string(direct.ID)); apiCode(err) != "invalid" {
		t.Errorf("a report in a direct chat: %v, want invalid", err)
	}
	if _, err := bob.ReportScreenshot(ctx, "nope"); apiCode(err) != "not_found" {
		t.Errorf("a report for a bad ID: %v, want not_found", err)
	}
	if st, _ := raw(t, "POST", srv.URL+"/api/v1/conversations/"+id+"/screenshot", "", nil); st != http.StatusUnauthorized {
		t.Errorf("an anonymous report: %d, want 401", st)
	}
}

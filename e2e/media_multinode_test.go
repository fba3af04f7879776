package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// TestMediaMultiNode runs two nodes on one PostgreSQL and one S3-compatible
// bucket (in-process gofakes3): a file uploaded on one node is read on the
// other, a signed URL made on one works on the other, and after a recall the
// collectors of both nodes, run at once, delete the file and its blobs
// exactly once.
func TestMediaMultiNode(t *testing.T) {
	dsn := freshSchema(t)
	backend := s3mem.New()
	s3 := httptest.NewServer(gofakes3.New(backend).Server())
	defer s3.Close()
	s3URL := "http://key:secret@" + strings.TrimPrefix(s3.URL, "http://") + "/tack-media"
	opt := tacktest.WithConfig(func(c *node.Config) {
		c.PostgresURL, c.S3URL = dsn, s3URL
		c.MediaGrace, c.MediaEvery = -1, -1
	})
	n1 := tacktest.NewServer(t, opt)
	n2 := tacktest.NewServer(t, opt)
	ctx := ctxT(t)
	alice, bob := n1.NewUser(t, "Alice"), n1.NewUser(t, "Bob")
	bob2 := client.New(n2.URL)
	bob2.Token = bob.Token
	conv, err := alice.CreateConversation(ctx, "direct", []string{bob.ID}, "")
	if err != nil {
		t.Fatal(err)
	}
	photo := gpsJPEG(t, 90, 60, 1)
	f, err := alice.Upload(ctx, bytes.NewReader(photo), client.UploadOptions{Name: "p.jpg", Size: int64(len(photo))})
	if err != nil {
		t.Fatal(err)
	}
	m, err := alice.Send(ctx, string(conv.ID), client.Draft{ClientID: "p", Attachments: []string{string(f.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := bob2.Download(ctx, string(f.ID), false)
	if err != nil {
		t.Fatalf("download on the other node: %v", err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if bytes.Contains(got, []byte("GPS")) || len(got) == 0 {
		t.Errorf("downloaded %d bytes, GPS %v", len(got), bytes.Contains(got, []byte("GPS")))
	}
	u, err := bob.FileURL(ctx, string(f.ID), true)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := http.Get(n2.URL + u); err != nil || r.StatusCode != 200 {
		t.Fatalf("a signed URL of node 1 on node 2: %v %v", err, r.StatusCode)
	}
	objects := func() int {
		l, err := backend.ListBucket("tack-media", nil, gofakes3.ListBucketPage{})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Contents)
	}
	if n := objects(); n != 2 {
		t.Fatalf("%d objects in the bucket, want the image and its thumbnail", n)
	}
	if _, err := alice.Recall(ctx, string(conv.ID), m.Seq); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	files, blobs := 0, 0
	for _, n := range []*tacktest.Server{n1, n2, n1, n2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, b, err := n.Node.Media.Collect(context.Background())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			files, blobs = files+f, blobs+b
			mu.Unlock()
		}()
	}
	wg.Wait()
	if files != 1 || blobs != 2 {
		t.Errorf("collectors on two nodes deleted %d files and %d blobs, want 1 and 2", files, blobs)
	}
	if n := objects(); n != 0 {
		t.Errorf("%d objects left in the bucket", n)
	}
	if _, err := bob2.FileInfo(ctx, string(f.ID)); apiCode(err) != "not_found" {
		t.Errorf("after collection: %v", err)
	}
}

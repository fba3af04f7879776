package blob_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tackhq/tack/blob"
	"github.com/tackhq/tack/blob/blobtest"
)

func TestDir(t *testing.T) {
	root := t.TempDir()
	d, err := blob.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, d)
	// Nothing is left in the temporary area, and nothing escaped the root.
	if ents, _ := os.ReadDir(filepath.Join(root, "tmp")); len(ents) != 0 {
		t.Errorf("%d temporary files left", len(ents))
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "x")); err == nil {
		t.Error("a file escaped the root")
	}
}

// TestFakeS3 runs the suite against an in-process S3 implementation
// (gofakes3): it checks our use of minio-go, not a real service.
func TestFakeS3(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer srv.Close()
	u := "http://key:secret@" + strings.TrimPrefix(srv.URL, "http://") + "/media/tack"
	s, err := blob.ParseS3(context.Background(), u, true)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, s)
}

// TestRealS3 runs the suite against the S3 service TACK_TEST_S3 names
// (https://KEY:SECRET@host/bucket), when it is set.
func TestRealS3(t *testing.T) {
	u := os.Getenv("TACK_TEST_S3")
	if u == "" {
		t.Skip("TACK_TEST_S3 not set")
	}
	s, err := blob.ParseS3(context.Background(), u, true)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, s)
}

func TestParseS3(t *testing.T) {
	for _, bad := range []string{"", "ftp://a@b/c", "https://k:s@host", "https://k:s@host/", "not a url"} {
		if _, err := blob.ParseS3(context.Background(), bad, false); err == nil {
			t.Errorf("ParseS3(%q) succeeded", bad)
		}
	}
}

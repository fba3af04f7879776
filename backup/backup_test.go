package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tackhq/tack/backup"
)

// copySnap stands in for sqlite.Snapshot: it copies the database file.
func copySnap(src string) backup.Snapshot {
	return func(ctx context.Context, dst string) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	write(t, filepath.Join(data, "tack.db"), "live database")
	write(t, filepath.Join(data, "tack.db-wal"), "wal")
	write(t, filepath.Join(data, "tack.db-shm"), "shm")
	write(t, filepath.Join(data, "media", "x", "blob"), "a voice picture")
	write(t, filepath.Join(data, "media", "x", "upload.tmp"), "half an upload")
	write(t, filepath.Join(data, "acme", "cert"), "a certificate")
	var buf bytes.Buffer
	m, err := backup.Write(ctx, &buf, data, t.TempDir(), func(ctx context.Context, dst string) error {
		return os.WriteFile(dst, []byte("snapshot"), 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.Files != 2 || m.Format != backup.Format {
		t.Fatalf("manifest %+v: want 2 files besides the database", m)
	}
	dir := filepath.Join(t.TempDir(), "new")
	var checked string
	got, err := backup.Restore(ctx, bytes.NewReader(buf.Bytes()), dir, func(ctx context.Context, p string) error { checked = p; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got.Files != 2 || !got.CreatedAt.Equal(m.CreatedAt) {
		t.Fatalf("restored manifest %+v, written %+v", got, m)
	}
	if checked != filepath.Join(dir, "tack.db") {
		t.Fatalf("check ran on %q", checked)
	}
	for p, want := range map[string]string{"tack.db": "snapshot", "media/x/blob": "a voice picture", "acme/cert": "a certificate"} {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", p, b, err, want)
		}
	}
	for _, p := range []string{"tack.db-wal", "tack.db-shm", "media/x/upload.tmp"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("%s was backed up", p)
		}
	}
}

func TestSnapshotFails(t *testing.T) {
	boom := errors.New("disk on fire")
	var buf bytes.Buffer
	_, err := backup.Write(context.Background(), &buf, t.TempDir(), t.TempDir(), func(context.Context, string) error { return boom })
	if !errors.Is(err, boom) || buf.Len() != 0 {
		t.Fatalf("err %v, %d bytes written", err, buf.Len())
	}
}

// archive builds a gzipped tar of the given entries, in order.
func archive(t *testing.T, entries ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		body := []byte(h.Linkname)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(body))
			h.Linkname = ""
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(body)
		}
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// file is an entry with content c (carried in Linkname until written).
func file(name, c string) *tar.Header {
	return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o600, Linkname: c}
}

func TestRestoreRefuses(t *testing.T) {
	manifest := file("tack-backup.json", `{"format":1,"created_at":"2026-11-29T00:00:00Z","files":1,"bytes":2}`)
	cases := map[string][]byte{
		"not gzip":       []byte("hello"),
		"no manifest":    archive(t, file("tack.db", "db")),
		"future format":  archive(t, file("tack-backup.json", `{"format":99}`), file("tack.db", "db")),
		"parent":         archive(t, manifest, file("tack.db", "db"), file("../escape", "x")),
		"parent inside":  archive(t, manifest, file("tack.db", "db"), file("media/../../escape", "x")),
		"absolute":       archive(t, manifest, file("tack.db", "db"), file("/tmp/escape", "x")),
		"symlink":        archive(t, manifest, file("tack.db", "db"), &tar.Header{Name: "media/l", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}),
		"no database":    archive(t, manifest, file("media/x", "x")),
		"manifest twice": archive(t, manifest, file("tack.db", "db"), manifest),
		"cut short":      archive(t, manifest, file("tack.db", "db"))[:60],
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "new")
			_, err := backup.Restore(context.Background(), bytes.NewReader(b), dir, nil)
			if !errors.Is(err, backup.ErrBadArchive) {
				t.Fatalf("err %v, want ErrBadArchive", err)
			}
			left, _ := os.ReadDir(dir)
			if len(left) != 0 {
				t.Fatalf("a refused restore left %d entries", len(left))
			}
			if _, err := os.Stat(filepath.Join(parent, "escape")); err == nil {
				t.Fatal("a file was written outside the directory")
			}
		})
	}
}

func TestRestoreNeedsAnEmptyDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "keep"), "mine")
	_, err := backup.Restore(context.Background(), bytes.NewReader(nil), dir, nil)
	if !errors.Is(err, backup.ErrNotEmpty) {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "keep")); string(b) != "mine" {
		t.Fatal("the directory's file changed")
	}
}

func TestRestoreCheckFails(t *testing.T) {
	var buf bytes.Buffer
	data := t.TempDir()
	write(t, filepath.Join(data, "tack.db"), "x")
	if _, err := backup.Write(context.Background(), &buf, data, "", copySnap(filepath.Join(data, "tack.db"))); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "new")
	bad := errors.New("not a database")
	if _, err := backup.Restore(context.Background(), &buf, dir, func(context.Context, string) error { return bad }); !errors.Is(err, bad) {
		t.Fatalf("err %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("a failed restore left %d entries", len(left))
	}
}

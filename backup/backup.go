// Package backup makes and restores a Tack server's backup: one archive
// (tar, gzip-compressed) holding a consistent copy of the SQLite database,
// taken while the server runs, and every other file of the data directory
// (media, keys, certificates), with a manifest first.
//
// Consistency: the database copy is one transaction's snapshot (the caller's
// Snapshot, SQLite's VACUUM INTO), so every message acknowledged before the
// backup began is in it. Files are copied after the snapshot; files are
// written before the rows that refer to them, so every file the snapshot
// refers to is in the archive unless it was deleted in the meantime (a
// recall or retention running during the backup).
//
// PostgreSQL deployments are backed up with pg_dump and their blob store's
// own tools (docs/backup.md); this package serves the embedded database.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// DBName is the database file's name in the data directory and the archive.
const DBName = "tack.db"

// manifestName is the archive's first entry.
const manifestName = "tack-backup.json"

// Format is the archive format's version, written into the manifest.
const Format = 1

// Manifest describes an archive.
type Manifest struct {
	Format    int       `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	Files     int       `json:"files"` // files besides the database
	Bytes     int64     `json:"bytes"` // uncompressed bytes, database included
}

// Snapshot writes a consistent copy of the live database to dst, a path
// that does not exist yet (sqlite.Snapshot).
type Snapshot func(ctx context.Context, dst string) error

// Check opens a restored database and verifies it (sqlite's integrity
// check); nil skips the check.
type Check func(ctx context.Context, dbPath string) error

// ErrNotEmpty is returned by Restore into a directory that holds files.
var ErrNotEmpty = errors.New("backup: the target directory is not empty")

// ErrBadArchive is wrapped by errors about the archive's content.
var ErrBadArchive = errors.New("backup: not a Tack backup")

// skip reports whether a data directory file stays out of the archive: the
// live database and its WAL (the snapshot replaces them), temporary files.
func skip(rel string) bool {
	base := path.Base(rel)
	switch {
	case rel == DBName, rel == DBName+"-wal", rel == DBName+"-shm", rel == DBName+"-journal":
		return true
	case strings.HasSuffix(base, ".tmp"), strings.HasPrefix(base, ".tmp"):
		return true
	}
	return false
}

// Write writes a backup of dataDir to w: the manifest, the snapshot of the
// database, then the other files. The snapshot is made in a temporary
// directory under tmpDir (os.TempDir when empty) and removed afterwards.
func Write(ctx context.Context, w io.Writer, dataDir, tmpDir string, snap Snapshot) (Manifest, error) {
	work, err := os.MkdirTemp(tmpDir, "tack-backup-")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work)
	dbCopy := filepath.Join(work, DBName)
	if err := snap(ctx, dbCopy); err != nil {
		return Manifest{}, fmt.Errorf("backup: snapshot: %w", err)
	}
	// The files, listed after the snapshot.
	type file struct {
		rel  string
		info fs.FileInfo
	}
	var files []file
	err = filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p != dataDir {
				return nil // deleted while walking
			}
			return err
		}
		if p == dataDir || d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dataDir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() || skip(rel) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		files = append(files, file{rel, info})
		return nil
	})
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: list %s: %w", dataDir, err)
	}
	dbInfo, err := os.Stat(dbCopy)
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	m := Manifest{Format: Format, CreatedAt: time.Now().UTC(), Files: len(files), Bytes: dbInfo.Size()}
	for _, f := range files {
		m.Bytes += f.info.Size()
	}
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(mj)), ModTime: m.CreatedAt, Typeflag: tar.TypeReg}); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if _, err := tw.Write(mj); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := addFile(ctx, tw, dbCopy, DBName); err != nil {
		return Manifest{}, err
	}
	for _, f := range files {
		if err := addFile(ctx, tw, filepath.Join(dataDir, filepath.FromSlash(f.rel)), f.rel); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				m.Files-- // deleted since it was listed
				continue
			}
			return Manifest{}, err
		}
	}
	if err := tw.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := gz.Close(); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	return m, nil
}

// addFile copies one file into the archive, with the size it has when
// opened (a file still growing is cut at that size).
func addFile(ctx context.Context, tw *tar.Writer, src, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	hdr := &tar.Header{Name: name, Mode: int64(info.Mode().Perm()), Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("backup: %s: %w", name, err)
	}
	if _, err := io.CopyN(tw, f, info.Size()); err != nil {
		return fmt.Errorf("backup: %s: %w", name, err)
	}
	return nil
}

// Restore unpacks a backup read from r into dir, which must not exist or be
// empty, then runs check on the database. On any error the files it wrote
// are removed again, so a failed restore leaves dir as it found it.
func Restore(ctx context.Context, r io.Reader, dir string, check Check) (m Manifest, err error) {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return Manifest{}, fmt.Errorf("%w: %s", ErrNotEmpty, dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer func() {
		if err != nil {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}()
	gz, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: %v", ErrBadArchive, err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName || hdr.Size > 1<<16 {
		return Manifest{}, fmt.Errorf("%w: no manifest first", ErrBadArchive)
	}
	if err := json.NewDecoder(io.LimitReader(tr, 1<<16)).Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("%w: manifest: %v", ErrBadArchive, err)
	}
	if m.Format != Format {
		return Manifest{}, fmt.Errorf("%w: format %d, this tack reads %d", ErrBadArchive, m.Format, Format)
	}
	sawDB := false
	for {
		if err := ctx.Err(); err != nil {
			return Manifest{}, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("%w: %v", ErrBadArchive, err)
		}
		rel, ok := safeName(hdr.Name)
		if !ok || hdr.Typeflag != tar.TypeReg {
			return Manifest{}, fmt.Errorf("%w: entry %q is not a plain file inside the data directory", ErrBadArchive, hdr.Name)
		}
		if rel == DBName {
			sawDB = true
		}
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(rel)), tr, hdr.Size); err != nil {
			return Manifest{}, err
		}
	}
	if !sawDB {
		return Manifest{}, fmt.Errorf("%w: no database in it", ErrBadArchive)
	}
	if check != nil {
		if err := check(ctx, filepath.Join(dir, DBName)); err != nil {
			return Manifest{}, fmt.Errorf("backup: the restored database: %w", err)
		}
	}
	return m, nil
}

// safeName cleans an archive path and refuses absolute paths, parent
// references and the manifest's name.
func safeName(name string) (string, bool) {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") || strings.ContainsRune(name, 0) {
		return "", false
	}
	c := path.Clean(name)
	if c == "." || c == ".." || strings.HasPrefix(c, "../") || c == manifestName {
		return "", false
	}
	return c, true
}

// writeFile writes size bytes from r to p durably (fsync before close).
func writeFile(p string, r io.Reader, size int64) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := io.CopyN(f, r, size); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s cut short: %v", ErrBadArchive, p, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("backup: %w", err)
	}
	return f.Close()
}

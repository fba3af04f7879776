package blob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir stores objects as files under a directory. Put writes a temporary
// file in the same directory tree, fsyncs it, renames it into place and
// fsyncs the directory, so an object is whole or absent even across a
// crash of the process or the machine.
type Dir struct {
	root string
}

// NewDir returns a Dir rooted at root, creating it if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("blob dir: %w", err)
	}
	d := &Dir{root: root}
	d.sweepTemp()
	return d, nil
}

// sweepTemp removes temporary files a crashed Put left behind.
func (d *Dir) sweepTemp() {
	ents, _ := os.ReadDir(filepath.Join(d.root, "tmp"))
	for _, e := range ents {
		os.Remove(filepath.Join(d.root, "tmp", e.Name()))
	}
}

func (d *Dir) path(key string) string {
	return filepath.Join(d.root, "obj", filepath.FromSlash(key))
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	if err := checkKey(key); err != nil {
		return err
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(d.root, "tmp", hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("blob put: wrote %d bytes, want %d", n, size)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	dst := d.path(key)
	if err = os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	if err = os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("blob put: %w", err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

type fileObject struct {
	*os.File
	size int64
}

func (o fileObject) Size() int64 { return o.size }

// Open implements Store.
func (d *Dir) Open(ctx context.Context, key string) (Object, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("blob open: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blob open: %w", err)
	}
	return fileObject{f, st.Size()}, nil
}

// Delete implements Store.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := os.Remove(d.path(key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob delete: %w", err)
	}
	return nil
}

// ctxReader stops a copy when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Package blob stores the bytes of media files: a directory on local disk
// (the default, inside the data directory) or an S3-compatible bucket (for
// several nodes). Keys are opaque names chosen by the caller, made of
// lower-case letters, digits, '-' and '/' only, so that no key can name a
// path outside the store.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrNotFound is returned by Open for a key that holds no object.
var ErrNotFound = errors.New("blob: not found")

// Object is a stored object opened for reading: it seeks (for HTTP range
// requests) and knows its size.
type Object interface {
	io.ReadSeekCloser
	Size() int64
}

// Store keeps objects by key.
//
// Contract (checked by blobtest.Run against every implementation):
//   - Put is atomic: a concurrent or later Open sees the whole object or
//     ErrNotFound, never a part; a failed or cancelled Put leaves nothing.
//     Putting an existing key replaces it.
//   - Open returns ErrNotFound (wrapped or not; test with errors.Is) for a
//     key with no object.
//   - Delete of a missing key is not an error.
//   - An invalid key (see ValidKey) is refused by every method.
//   - All methods are safe for concurrent use.
type Store interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Open(ctx context.Context, key string) (Object, error)
	Delete(ctx context.Context, key string) error
}

// MaxKey is the longest key.
const MaxKey = 200

// ValidKey reports whether key is a valid key: 1 to MaxKey bytes of a-z,
// 0-9, '-' and '/', not starting or ending with '/', with no empty segment.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKey || key[0] == '/' || key[len(key)-1] == '/' || strings.Contains(key, "//") {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '/') {
			return false
		}
	}
	return true
}

func checkKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("blob: invalid key %q", key)
	}
	return nil
}

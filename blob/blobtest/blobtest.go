// Package blobtest is the conformance suite every blob.Store must pass.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/tackhq/tack/blob"
)

// Run checks the contract of blob.Store against s.
func Run(t *testing.T, s blob.Store) {
	ctx := context.Background()
	t.Run("PutOpenDelete", func(t *testing.T) {
		data := make([]byte, 300_000)
		rand.Read(data)
		if err := s.Put(ctx, "aa/one", bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
		o, err := s.Open(ctx, "aa/one")
		if err != nil {
			t.Fatal(err)
		}
		if o.Size() != int64(len(data)) {
			t.Fatalf("size %d, want %d", o.Size(), len(data))
		}
		got, err := io.ReadAll(o)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes (err %v), want the %d put", len(got), err, len(data))
		}
		// Seek for ranges.
		if _, err := o.Seek(1000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		part := make([]byte, 10)
		if _, err := io.ReadFull(o, part); err != nil || !bytes.Equal(part, data[1000:1010]) {
			t.Fatalf("ranged read: %v", err)
		}
		o.Close()
		// Replace.
		if err := s.Put(ctx, "aa/one", bytes.NewReader([]byte("new")), 3); err != nil {
			t.Fatal(err)
		}
		o, err = s.Open(ctx, "aa/one")
		if err != nil {
			t.Fatal(err)
		}
		got, _ = io.ReadAll(o)
		o.Close()
		if string(got) != "new" {
			t.Fatalf("after replace: %q", got)
		}
		if err := s.Delete(ctx, "aa/one"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, "aa/one"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("open after delete: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "aa/one"); err != nil {
			t.Fatalf("delete of a missing key: %v", err)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		if _, err := s.Open(ctx, "never/put"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("open of a missing key: %v, want ErrNotFound", err)
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		for _, k := range []string{"", "../x", "a/../../b", "/abs", "a//b", "A", "a b", "a/", "a\\b", "..", "a.b"} {
			if err := s.Put(ctx, k, bytes.NewReader(nil), 0); err == nil {
				t.Errorf("Put(%q) succeeded", k)
			}
			if _, err := s.Open(ctx, k); err == nil {
				t.Errorf("Open(%q) succeeded", k)
			}
			if err := s.Delete(ctx, k); err == nil {
				t.Errorf("Delete(%q) succeeded", k)
			}
		}
	})
	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		r := io.MultiReader(bytes.NewReader(make([]byte, 1000)), failing{})
		if err := s.Put(ctx, "bb/broken", r, 5000); err == nil {
			t.Fatal("a Put whose reader fails succeeded")
		}
		if _, err := s.Open(ctx, "bb/broken"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("after a failed put: %v, want ErrNotFound", err)
		}
		// A short body is a failure too.
		if err := s.Put(ctx, "bb/short", bytes.NewReader(make([]byte, 10)), 20); err == nil {
			t.Fatal("a Put shorter than its size succeeded")
		}
		if _, err := s.Open(ctx, "bb/short"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("after a short put: %v, want ErrNotFound", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := "cc/" + string(rune('a'+i))
				data := bytes.Repeat([]byte{byte(i)}, 50_000)
				if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil {
					t.Error(err)
					return
				}
				o, err := s.Open(ctx, key)
				if err != nil {
					t.Error(err)
					return
				}
				defer o.Close()
				got, _ := io.ReadAll(o)
				if !bytes.Equal(got, data) {
					t.Errorf("%s: read back %d bytes", key, len(got))
				}
				s.Delete(ctx, key)
			}()
		}
		wg.Wait()
	})
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tackhq/tack/sqlite"
)

// TestSnapshot copies a live database with Snapshot from a connection of
// its own, and the copy passes Check; a file that is not a Tack database
// fails Check.
func TestSnapshot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tack.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := sqlite.Snapshot(ctx, path, dst); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Check(ctx, dst); err != nil {
		t.Fatalf("check of the snapshot: %v", err)
	}
	// The copy opens as a database of its own, migrated already.
	c, err := sqlite.Open(ctx, dst, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := sqlite.Snapshot(ctx, path, dst); err == nil {
		t.Fatal("a snapshot over an existing file succeeded")
	}
	junk := filepath.Join(t.TempDir(), "junk.db")
	os.WriteFile(junk, []byte(strings.Repeat("not sqlite ", 100)), 0o600)
	if err := sqlite.Check(ctx, junk); err == nil {
		t.Fatal("Check passed a file that is not a database")
	}
	if err := sqlite.Snapshot(ctx, filepath.Join(t.TempDir(), "none.db"), filepath.Join(t.TempDir(), "x.db")); err == nil {
		t.Fatal("a snapshot of no database succeeded")
	}
}

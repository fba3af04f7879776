package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/search"
	"github.com/tackhq/tack/storetest"
)

// TestSearchStoreNarrowed runs the conformance suite with every search
// narrowed to the member's conversations inside the index (narrowTo), which
// small databases never are otherwise.
func TestSearchStoreNarrowed(t *testing.T) {
	share := narrowShare
	narrowShare = 2 // always
	defer func() { narrowShare = share }()
	storetest.TestSearchStore(t, func(t *testing.T) (account.Store, chat.Store, search.Store) {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db, db, db
	})
}

// TestSearchSecureDelete: the FTS index erases deleted grams at once
// (FTS5's secure-delete), so a recalled message's grams are not left in
// the index's pages until a merge.
func TestSearchSecureDelete(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "tack.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.r.QueryRow(`SELECT v FROM search_fts_config WHERE k = 'secure-delete'`).Scan(&v); err != nil || v != 1 {
		t.Fatalf("secure-delete = %d, %v; want 1", v, err)
	}
}

package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/tackhq/tack/sqlite"
	"github.com/tackhq/tack/storetest"
)

// BenchmarkSearch: go test -run X -bench Search -benchtime 300x ./sqlite/
// (TACK_SEARCH_BENCH_MESSAGES sets the size; see docs/search.md).
func BenchmarkSearch(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "tack.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	storetest.BenchmarkSearch(b, db, db, db)
}

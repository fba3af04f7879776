package postgres_test

import (
	"os"
	"testing"

	"github.com/tackhq/tack/postgres"

	"github.com/tackhq/tack/storetest"
)

// BenchmarkSearch: TACK_TEST_POSTGRES=... go test -run X -bench Search
// -benchtime 300x ./postgres/ (TACK_SEARCH_BENCH_MESSAGES sets the size;
// see docs/search.md; TACK_SEARCH_BENCH_WHOLE=1: the whole-index plan).
func BenchmarkSearch(b *testing.B) {
	baseDSN(b)
	db := open(b)
	if os.Getenv("TACK_SEARCH_BENCH_WHOLE") != "" { // the plan before migration 23
		defer postgres.SetPerConversationMax(-1)()
	}
	storetest.BenchmarkSearch(b, db, db, db)
}

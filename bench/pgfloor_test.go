package bench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tackhq/tack/bench"
)

// TestPostgresFloor runs the PostgreSQL floor briefly: it stores rows and
// reports a rate. No timing is asserted.
func TestPostgresFloor(t *testing.T) {
	dsn := os.Getenv("TACK_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("TACK_TEST_POSTGRES is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, batch := range []int{1, 16} {
		rate, err := bench.PostgresFloor(ctx, dsn, batch, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if rate <= 0 {
			t.Errorf("batch %d: rate %v, want > 0", batch, rate)
		}
	}
}

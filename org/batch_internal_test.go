package org

import (
	"testing"
	"time"
)

// TestNextBatch: the next import transaction is sized to take about
// ImportBatchTime at the rate the last one went, growing at most twofold,
// within minImportBatch and maxImportBatch; a transaction too quick to time
// doubles the size.
func TestNextBatch(t *testing.T) {
	for _, c := range []struct {
		size, n int
		took    time.Duration
		want    int
	}{
		{50, 50, 0, 100},                               // too quick to time: double
		{50, 50, -time.Millisecond, 100},               // a clock step back: the same
		{800, 800, 0, maxImportBatch},                  // never past the maximum
		{50, 50, ImportBatchTime, 50},                  // on time: the same size
		{50, 50, ImportBatchTime / 2, 100},             // twice as fast: twice the size
		{50, 50, ImportBatchTime / 4, 100},             // four times as fast: still only twice
		{50, 40, ImportBatchTime / 2, 80},              // from the rows the last one wrote
		{50, 50, 2 * ImportBatchTime, 25},              // half as fast: half the size
		{50, 50, 20 * ImportBatchTime, minImportBatch}, // never under the minimum
		{900, 900, ImportBatchTime / 2, maxImportBatch},
	} {
		if got := nextBatch(c.size, c.n, c.took); got != c.want {
			t.Errorf("nextBatch(%d, %d, %v) = %d, want %d", c.size, c.n, c.took, got, c.want)
		}
	}
}

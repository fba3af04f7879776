package bench

import (
	"testing"
	"time"
)

// Paced senders start evenly over one interval: 2,000 senders twice a
// second must not all send in the same few milliseconds.
func TestSpread(t *testing.T) {
	const n = 2000
	iv := 571 * time.Millisecond
	seen := map[time.Duration]bool{}
	var last time.Duration = -1
	for k := 0; k < n; k++ {
		d := spread(k, n, iv)
		if d < 0 || d >= iv || d <= last {
			t.Fatalf("sender %d starts at %v (the one before at %v), want increasing within [0, %v)", k, d, last, iv)
		}
		last = d
		seen[d/(iv/10)] = true
	}
	if len(seen) != 10 {
		t.Fatalf("2,000 senders start in %d of the interval's 10 tenths", len(seen))
	}
	if spread(5, 0, iv) != 0 || spread(5, 10, 0) != 0 {
		t.Fatal("no senders or no interval: start at once")
	}
}

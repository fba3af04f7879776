package tack_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// Lives fall in [ttl/2, ttl), the same for the same key, and spread over
// that range for many keys.
func TestLife(t *testing.T) {
	const ttl = 5 * time.Second
	lo, hi := ttl, time.Duration(0)
	for i := 0; i < 1000; i++ {
		k := "conv-" + strconv.Itoa(i)
		d := tack.Life(k, ttl)
		if d < ttl/2 || d >= ttl {
			t.Fatalf("Life(%q) = %v, want [%v, %v)", k, d, ttl/2, ttl)
		}
		if tack.Life(k, ttl) != d {
			t.Fatalf("Life(%q) changed between calls", k)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > ttl*6/10 || hi < ttl*9/10 {
		t.Fatalf("1,000 keys live from %v to %v: not spread over [%v, %v)", lo, hi, ttl/2, ttl)
	}
	if tack.Life("k", 1) != 1 || tack.Life("k", 0) != 0 {
		t.Fatal("a TTL too short to halve is returned as it is")
	}
}

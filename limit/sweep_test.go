package limit

import (
	"testing"
	"time"
)

// Idle buckets that are full again are forgotten, at most once a minute.
func TestSweepForgetsFullBuckets(t *testing.T) {
	k := &Keyed{Rate: 1, Burst: 100}
	t0 := time.Unix(1000, 0)
	k.AllowN("a", 1, t0)                      // sweeps (never swept), then makes a: 99
	k.AllowN("b", 50, t0.Add(30*time.Second)) // b: 50
	k.AllowN("c", 1, t0.Add(time.Minute))     // exactly a minute: no sweep yet
	if len(k.buckets) != 3 {
		t.Fatalf("swept at exactly a minute: %d buckets", len(k.buckets))
	}
	// Past a minute: a (99 + 61) and c (99 + 1) are full again, b (50 + 31)
	// is not.
	k.AllowN("d", 1, t0.Add(time.Minute+time.Second))
	if _, ok := k.buckets["b"]; !ok || len(k.buckets) != 2 {
		t.Fatalf("after the sweep: %v, want b and d", k.buckets)
	}
}

func TestSweepKeepsBucketsNotYetFull(t *testing.T) {
	k := &Keyed{Rate: 0.01, Burst: 2}
	t0 := time.Unix(1000, 0)
	k.AllowN("a", 2, t0)
	k.AllowN("x", 1, t0.Add(2*time.Minute))
	if _, ok := k.buckets["a"]; !ok {
		t.Fatal("an empty bucket (1.2 of 2 tokens back) was forgotten")
	}
	// After 200 s it holds exactly 2 tokens: full, forgotten.
	k.AllowN("y", 1, t0.Add(200*time.Second+time.Minute+time.Second))
	if _, ok := k.buckets["a"]; ok {
		t.Fatal("a bucket full again was kept")
	}
}

func TestPeek(t *testing.T) {
	k := &Keyed{Rate: 1e-9, Burst: 1}
	if !k.Peek("a") || !k.Peek("a") {
		t.Fatal("Peek of a full bucket")
	}
	k.Allow("a")
	if k.Peek("a") {
		t.Fatal("Peek of an empty bucket")
	}
}

func TestAllowNBoundary(t *testing.T) {
	k := &Keyed{Rate: 1, Burst: 3}
	now := time.Unix(1000, 0)
	if !k.AllowN("a", 3, now) {
		t.Fatal("taking exactly the burst refused")
	}
	if k.AllowN("a", 0.5, now) {
		t.Fatal("taking from an empty bucket")
	}
	if !k.AllowN("a", 0.5, now.Add(500*time.Millisecond)) {
		t.Fatal("half a token after half a second refused")
	}
	// Refill never exceeds the burst.
	if !k.AllowN("a", 3, now.Add(time.Hour)) || k.AllowN("a", 0.001, now.Add(time.Hour)) {
		t.Fatal("refill went past the burst")
	}
	// Time going backwards refills nothing.
	k.AllowN("b", 3, now)
	if k.AllowN("b", 1, now.Add(-time.Hour)) {
		t.Fatal("a clock step back refilled")
	}
}

package limit

import (
	"testing"
	"time"
)

func TestKeyed(t *testing.T) {
	k := &Keyed{Rate: 1, Burst: 3}
	now := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if !k.AllowN("a", 1, now) {
			t.Fatalf("attempt %d refused within burst", i)
		}
	}
	if k.AllowN("a", 1, now) {
		t.Fatal("fourth attempt allowed")
	}
	if !k.AllowN("b", 1, now) {
		t.Fatal("other key limited")
	}
	if !k.AllowN("a", 1, now.Add(1100*time.Millisecond)) {
		t.Fatal("not refilled after a second")
	}
	k.Reset("a")
	if !k.AllowN("a", 3, now.Add(1200*time.Millisecond)) {
		t.Fatal("reset did not refill")
	}
	var zero Keyed
	if zero.Allow("x") {
		t.Fatal("zero value allowed")
	}
}

func TestTakeAndGive(t *testing.T) {
	k := &Keyed{Rate: 0.5, Burst: 2} // one token every 2 s
	now := time.Unix(1000, 0)
	for i := 0; i < 2; i++ {
		if ok, _ := k.Take("a", now); !ok {
			t.Fatalf("take %d refused within burst", i)
		}
	}
	ok, wait := k.Take("a", now)
	if ok || wait != 2*time.Second {
		t.Fatalf("empty bucket: ok=%v wait=%v, want refused with 2s", ok, wait)
	}
	if ok, wait = k.Take("a", now.Add(1500*time.Millisecond)); ok || wait != 500*time.Millisecond {
		t.Fatalf("after 1.5 s: ok=%v wait=%v, want refused with 0.5s", ok, wait)
	}
	k.Give("a", now.Add(1500*time.Millisecond))
	if ok, _ = k.Take("a", now.Add(1500*time.Millisecond)); !ok {
		t.Fatal("a given token cannot be taken")
	}
	for i := 0; i < 5; i++ {
		k.Give("b", now)
	}
	k.Take("b", now)
	k.Take("b", now)
	if ok, _ = k.Take("b", now); ok {
		t.Fatal("Give filled a bucket above its burst")
	}
	var zero Keyed
	if ok, wait := zero.Take("x", now); ok || wait != 0 {
		t.Fatalf("zero value: ok=%v wait=%v", ok, wait)
	}
}

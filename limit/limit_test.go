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

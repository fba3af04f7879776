package hub

import (
	"testing"
	"time"
)

// TestReplyWaitDefault: a Config that leaves ReplyWait zero (or negative)
// gets the documented 10 seconds; one that sets it keeps its own.
func TestReplyWaitDefault(t *testing.T) {
	for set, want := range map[time.Duration]time.Duration{
		0:           10 * time.Second,
		-1:          10 * time.Second,
		time.Minute: time.Minute,
	} {
		if got := New(nil, Config{ReplyWait: set}).cfg.ReplyWait; got != want {
			t.Errorf("ReplyWait %v: got %v, want %v", set, got, want)
		}
	}
}

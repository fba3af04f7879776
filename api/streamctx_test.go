package api

import (
	"context"
	"errors"
	"testing"
	"time"
)

// wait waits for ch to close, failing after a deadline.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not within 10 s", what)
	}
}

// A stream's context behaves as a cancelled context.WithCancel: Done
// closes and Err is Canceled once cancelled, not before; functions given
// to context.AfterFunc run once it ends (at once if it has), unless
// stopped first; contexts derived from it end with it, and their own
// cancellation leaves it alone.
func TestStreamCtx(t *testing.T) {
	var c streamCtx
	c.init()
	ctx := context.Context(&c)
	if ctx.Err() != nil {
		t.Fatal("Err before cancel")
	}
	select {
	case <-ctx.Done():
		t.Fatal("Done closed before cancel")
	default:
	}
	ran := make(chan struct{})
	context.AfterFunc(ctx, func() { close(ran) })
	stopped := false
	stop := context.AfterFunc(ctx, func() { stopped = true })
	if !stop() {
		t.Fatal("stop before cancel reported false")
	}
	if stop() {
		t.Fatal("stop twice reported true")
	}
	child, cancelChild := context.WithCancel(ctx)
	other, cancelOther := context.WithTimeout(ctx, time.Hour)
	cancelOther() // a child cancelled first is forgotten by its parent
	if other.Err() == nil || ctx.Err() != nil {
		t.Fatal("a child's cancel: child not ended, or the parent ended")
	}
	c.mu.Lock()
	n := len(c.fns)
	c.mu.Unlock()
	if n != 2 { // the AfterFunc and child
		t.Fatalf("%d functions registered, want 2 (one AfterFunc, one child)", n)
	}
	c.cancel()
	c.cancel() // twice: nothing more
	waitClosed(t, ctx.Done(), "Done")
	if !errors.Is(ctx.Err(), context.Canceled) || context.Cause(ctx) != context.Canceled {
		t.Fatalf("Err %v, Cause %v; want Canceled", ctx.Err(), context.Cause(ctx))
	}
	waitClosed(t, ran, "AfterFunc")
	waitClosed(t, child.Done(), "child")
	cancelChild()
	if stopped {
		t.Fatal("a stopped AfterFunc ran")
	}
	late := make(chan struct{})
	if context.AfterFunc(ctx, func() { close(late) })() {
		t.Fatal("stop of an AfterFunc registered after the end reported true")
	}
	waitClosed(t, late, "AfterFunc after the end")
	if _, ok := ctx.Deadline(); ok || ctx.Value("k") != nil {
		t.Fatal("a deadline or a value")
	}
}

// TestMoveDeadline: a write's socket deadline moves only when the one set
// before is missing or nearer than 7/8 of the write's allowance, so a
// write never gets less than that and a busy stream sets it at most every
// d/8.
func TestMoveDeadline(t *testing.T) {
	const d = 30 * time.Second
	now := int64(1_000) * int64(time.Second)
	for _, tc := range []struct {
		name string
		cur  int64
		want int64
		move bool
	}{
		{"none set", 0, now + int64(d), true},
		{"just set", now + int64(d), now + int64(d), false},
		{"exactly 7/8 away", now + int64(d)/8*7, now + int64(d)/8*7, false},
		{"nearer than 7/8", now + int64(d)/8*7 - 1, now + int64(d), true},
		{"passed", now - 1, now + int64(d), true},
	} {
		got, move := moveDeadline(tc.cur, now, d)
		if got != tc.want || move != tc.move {
			t.Errorf("%s: moveDeadline = %d, %v; want %d, %v", tc.name, got-now, move, tc.want-now, tc.move)
		}
	}
}

package api

import (
	"sync"
	"testing"
	"time"
)

// pings records which streams a tick pinged; the pings run on goroutines
// of their own, so it waits for them (with a deadline).
type pings struct {
	mu   sync.Mutex
	got  map[*wsStream]int
	wg   sync.WaitGroup
	done func(*wsStream) // called at the end of each ping, if set
}

func (p *pings) ping(ws *wsStream) {
	defer p.wg.Done()
	p.mu.Lock()
	p.got[ws]++
	p.mu.Unlock()
	if p.done != nil {
		p.done(ws)
	}
}

// tick runs one tick of w and waits for the pings it started.
func (p *pings) tick(t *testing.T, w *pinger) map[*wsStream]int {
	t.Helper()
	p.mu.Lock()
	p.got = map[*wsStream]int{}
	p.mu.Unlock()
	// Count the pings the tick will start before starting them.
	w.mu.Lock()
	n := 0
	for ws := w.slots[(w.cur+1)%len(w.slots)]; ws != nil; ws = ws.wnext {
		if !ws.pinging {
			n++
		}
	}
	w.mu.Unlock()
	p.wg.Add(n)
	w.tick(p.ping)
	waited := make(chan struct{})
	go func() { p.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("pings did not finish within 10 s")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got
}

func newStreams(n int) []*wsStream {
	out := make([]*wsStream, n)
	for i := range out {
		out[i] = &wsStream{wslot: -1}
	}
	return out
}

// The wheel's rule: a stream added is pinged for the first time on the
// slots-th tick after (a whole turn: StreamPing, less the part of a tick
// already gone), then once every turn, each ping once done; never twice
// in a turn, never after it is removed.
func TestPingerTurn(t *testing.T) {
	const slots = 4
	w := newPinger(slots)
	var p pings
	p.done = w.pingDone
	ss := newStreams(3)
	if !w.add(ss[0]) || !w.add(ss[1]) {
		t.Fatal("add refused before shutdown")
	}
	for i := 1; i < slots; i++ {
		if got := p.tick(t, w); len(got) != 0 {
			t.Fatalf("tick %d of the first turn pinged %d streams", i, len(got))
		}
		if i == 1 {
			w.add(ss[2]) // one tick later than the others
		}
	}
	if got := p.tick(t, w); got[ss[0]] != 1 || got[ss[1]] != 1 || len(got) != 2 {
		t.Fatalf("end of the first turn: pinged %v, want ss[0] and ss[1] once", got)
	}
	if got := p.tick(t, w); got[ss[2]] != 1 || len(got) != 1 {
		t.Fatalf("the stream added a tick later: pinged %v, want it alone", got)
	}
	w.remove(ss[1])
	for i := 2; i < slots; i++ {
		if got := p.tick(t, w); len(got) != 0 {
			t.Fatalf("tick %d of the second turn pinged %v", i, got)
		}
	}
	if got := p.tick(t, w); got[ss[0]] != 1 || len(got) != 1 {
		t.Fatalf("end of the second turn: pinged %v, want ss[0] only (ss[1] was removed)", got)
	}
	if w.len() != 2 {
		t.Fatalf("the wheel holds %d streams, want 2", w.len())
	}
	w.remove(ss[1]) // twice: nothing happens
	if w.len() != 2 {
		t.Fatalf("removing twice: the wheel holds %d streams, want 2", w.len())
	}
}

// A stream whose ping is still in flight when its slot comes round again
// is skipped that turn (a ping's write may wait 15 s; two at once would
// find no pong since the first and drop a live client).
func TestPingerSkipsPingInFlight(t *testing.T) {
	w := newPinger(1) // every tick is a whole turn
	var p pings       // no pingDone: the ping stays in flight
	ss := newStreams(1)
	w.add(ss[0])
	if got := p.tick(t, w); got[ss[0]] != 1 {
		t.Fatalf("first turn: pinged %v", got)
	}
	if got := p.tick(t, w); len(got) != 0 {
		t.Fatalf("second turn with the first ping in flight: pinged %v", got)
	}
	w.pingDone(ss[0])
	if got := p.tick(t, w); got[ss[0]] != 1 {
		t.Fatalf("turn after the ping finished: pinged %v", got)
	}
}

// Shutdown hands back every stream the wheel holds, once, and refuses any
// added later.
func TestPingerShutdown(t *testing.T) {
	w := newPinger(8)
	var p pings
	ss := newStreams(5)
	for i, ws := range ss {
		w.add(ws)
		if i%2 == 0 {
			p.tick(t, w) // spread them over slots
		}
	}
	w.remove(ss[3])
	all := w.shutdown()
	seen := map[*wsStream]bool{}
	for _, ws := range all {
		if seen[ws] {
			t.Fatal("a stream handed back twice")
		}
		seen[ws] = true
	}
	if len(all) != 4 || seen[ss[3]] {
		t.Fatalf("shutdown handed back %d streams (the removed one: %v), want the 4 still in", len(all), seen[ss[3]])
	}
	if w.add(newStreams(1)[0]) {
		t.Fatal("add accepted after shutdown")
	}
	if w.len() != 0 {
		t.Fatalf("the wheel holds %d streams after shutdown", w.len())
	}
	w.remove(ss[0]) // after shutdown: nothing happens
}

// The tick is StreamPing/32, but not under 10 ms: fewer slots then.
func TestWheelShape(t *testing.T) {
	for _, c := range []struct {
		every time.Duration
		tick  time.Duration
		slots int
	}{
		{30 * time.Second, 30 * time.Second / 32, 32},
		{320 * time.Millisecond, 10 * time.Millisecond, 32},
		{100 * time.Millisecond, 10 * time.Millisecond, 10},
		{5 * time.Millisecond, 5 * time.Millisecond, 1},
	} {
		tick, slots := wheelShape(c.every)
		if tick != c.tick || slots != c.slots {
			t.Errorf("wheelShape(%v) = %v, %d; want %v, %d", c.every, tick, slots, c.tick, c.slots)
		}
	}
}

package api

import (
	"sync"
	"time"
)

// The keepalive of every stream of a server runs on one ticker: a wheel of
// slots, each a list of streams threaded through the streams themselves.
// Every tick the wheel moves to the next slot and pings the streams in it,
// so a stream is pinged once per turn (Config.StreamPing). An idle stream
// costs the wheel two pointers and no timer (a time.AfterFunc per stream
// was 200-odd bytes of heap each). The wheel also knows every live stream,
// which is how shutdown reaches them (instead of a context.AfterFunc per
// stream on the server's context).
//
// The rules: a stream added to the wheel is first pinged after between
// slots-1 and slots ticks, that is between StreamPing×(1-1/slots) and
// StreamPing; then every StreamPing. A stream whose last ping is still in
// flight (its write may wait up to 15 s) is skipped that turn. A stream
// removed is never pinged again. After shutdown nothing is added: add
// reports false.
type pinger struct {
	mu    sync.Mutex
	slots []*wsStream // the head of each slot's list
	cur   int         // the slot the last tick pinged
	shut  bool
	n     int // streams in the wheel
	due   []*wsStream
}

// wheelSlots is the number of slots of a turn; the tick is StreamPing
// divided by it, but not under minWheelTick.
const (
	wheelSlots   = 32
	minWheelTick = 10 * time.Millisecond
)

// wheelShape returns the tick and the number of slots for a ping period.
func wheelShape(every time.Duration) (tick time.Duration, slots int) {
	slots = wheelSlots
	if every/time.Duration(slots) < minWheelTick {
		slots = max(1, int(every/minWheelTick))
	}
	return every / time.Duration(slots), slots
}

func newPinger(slots int) *pinger { return &pinger{slots: make([]*wsStream, slots), cur: 0} }

// add puts ws in the slot the last tick pinged, so that its first ping
// comes a whole turn of ticks later; false after shutdown.
func (p *pinger) add(ws *wsStream) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shut {
		return false
	}
	if ws.wslot >= 0 {
		return true
	}
	ws.wslot = int32(p.cur)
	ws.wprev, ws.wnext = nil, p.slots[p.cur]
	if ws.wnext != nil {
		ws.wnext.wprev = ws
	}
	p.slots[p.cur] = ws
	p.n++
	return true
}

// remove takes ws out of the wheel; it is never pinged again.
func (p *pinger) remove(ws *wsStream) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ws.wslot < 0 {
		return
	}
	if ws.wprev != nil {
		ws.wprev.wnext = ws.wnext
	} else {
		p.slots[ws.wslot] = ws.wnext
	}
	if ws.wnext != nil {
		ws.wnext.wprev = ws.wprev
	}
	ws.wprev, ws.wnext, ws.wslot = nil, nil, -1
	p.n--
}

// tick moves to the next slot and calls ping, each on a goroutine of its
// own, for its streams that have no ping in flight; pinged marks the ping
// done (pingDone).
func (p *pinger) tick(ping func(*wsStream)) {
	p.mu.Lock()
	p.cur = (p.cur + 1) % len(p.slots)
	due := p.due[:0]
	for ws := p.slots[p.cur]; ws != nil; ws = ws.wnext {
		if !ws.pinging {
			ws.pinging = true
			due = append(due, ws)
		}
	}
	p.due = due
	p.mu.Unlock()
	for i, ws := range due {
		go ping(ws)
		due[i] = nil
	}
}

// pingDone marks the ping of ws finished: the next turn pings it again.
func (p *pinger) pingDone(ws *wsStream) {
	p.mu.Lock()
	ws.pinging = false
	p.mu.Unlock()
}

// shutdown empties the wheel, refuses every later add, and returns the
// streams it held.
func (p *pinger) shutdown() []*wsStream {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shut = true
	var all []*wsStream
	for i, ws := range p.slots {
		for ws != nil {
			next := ws.wnext
			ws.wprev, ws.wnext, ws.wslot = nil, nil, -1
			all = append(all, ws)
			ws = next
		}
		p.slots[i] = nil
	}
	p.n = 0
	return all
}

// len reports how many streams the wheel holds.
func (p *pinger) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

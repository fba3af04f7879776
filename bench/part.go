package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Op is one instruction from the coordinator to a part (a set of client
// connections, in this process or in a worker process).
type Op struct {
	Op      string     `json:"op"` // connect, phase, arm, wait, markread, waitreads, drop, reconnect, send, close
	Server  string     `json:"server,omitempty"`
	Sources []string   `json:"sources,omitempty"`
	Conns   []ConnSpec `json:"conns,omitempty"`
	RunID   string     `json:"run_id,omitempty"`

	// phase
	Duration time.Duration `json:"duration,omitempty"`
	Window   int           `json:"window,omitempty"`
	Rate     float64       `json:"rate,omitempty"` // per sender, messages/s; 0: as fast as the window allows
	Pad      int           `json:"pad,omitempty"`
	AutoRead bool          `json:"auto_read,omitempty"`
	Readers  int           `json:"readers,omitempty"` // receipts: members other than the sender
	Drain    time.Duration `json:"drain,omitempty"`

	// arm, wait, markread, send
	Targets     map[string]int64 `json:"targets,omitempty"`
	T0          int64            `json:"t0,omitempty"` // unix nanos the wait times are measured from
	Timeout     time.Duration    `json:"timeout,omitempty"`
	Seq         int64            `json:"seq,omitempty"`
	Count       int              `json:"count,omitempty"`
	Convs       []string         `json:"convs,omitempty"`
	Conn        int              `json:"conn,omitempty"`
	Want        int64            `json:"want,omitempty"`
	Concurrency int              `json:"concurrency,omitempty"`
}

// Result is a part's answer to an Op.
type Result struct {
	Err      string           `json:"err,omitempty"`
	Conns    int              `json:"conns,omitempty"`
	ConnErrs int              `json:"conn_errs,omitempty"`
	ConnErr  string           `json:"conn_err,omitempty"`
	Connect  Hist             `json:"connect"`
	Stats    connStats        `json:"stats"`
	Reached  int              `json:"reached,omitempty"`
	Missed   int              `json:"missed,omitempty"`
	Reach    Hist             `json:"reach"` // time from T0 until each conn reached its target
	LastUS   int64            `json:"last_us,omitempty"`
	Closed   map[string]int   `json:"closed,omitempty"` // close codes of connections the server ended
	Covered  int64            `json:"covered,omitempty"`
	Seqs     map[string]int64 `json:"seqs,omitempty"` // send: last seq per conversation
	SentAt   int64            `json:"sent_at,omitempty"`
	CPU      float64          `json:"cpu_s,omitempty"` // this process's CPU seconds so far
	PerConv  map[string]int64 `json:"per_conv,omitempty"`
}

// part holds connections and runs ops on them.
type part struct {
	server  string
	sources []string
	conns   []*conn
	runID   string
	nonce   string // unique per part, so client IDs never repeat across parts
	op      Op

	acked     atomic.Int64
	autoRead  atomic.Bool
	windowEnd atomic.Int64
	nextID    atomic.Int64
}

func (p *part) hc(i int) *http.Client {
	if len(p.sources) == 0 {
		return httpClientFrom("")
	}
	return clients(p.sources)[i%len(p.sources)]
}

var (
	clientsMu sync.Mutex
	clientMap = map[string]*http.Client{}
)

func clients(sources []string) []*http.Client {
	clientsMu.Lock()
	defer clientsMu.Unlock()
	out := make([]*http.Client, len(sources))
	for i, s := range sources {
		if clientMap[s] == nil {
			clientMap[s] = httpClientFrom(s)
		}
		out[i] = clientMap[s]
	}
	return out
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func (p *part) do(ctx context.Context, op Op) Result {
	var r Result
	switch op.Op {
	case "connect":
		p.server, p.sources, p.runID = op.Server, op.Sources, op.RunID
		p.nonce = strconv.FormatInt(time.Now().UnixNano()^int64(os.Getpid())<<40, 36)
		for i, s := range op.Conns {
			c := &conn{spec: s, part: p, idx: i}
			ch := make(chan struct{}, max(op.Window, 1))
			c.window.Store(&ch)
			p.conns = append(p.conns, c)
		}
		r = p.connectAll(ctx, p.conns, op)
	case "reconnect":
		var cs []*conn
		for _, c := range p.conns {
			if !c.spec.Keep {
				cs = append(cs, c)
			}
		}
		r = p.connectAll(ctx, cs, op)
	case "drop":
		var wg sync.WaitGroup
		for _, c := range p.conns {
			if !c.spec.Keep {
				wg.Add(1)
				go func() { defer wg.Done(); c.closeNow() }()
			}
		}
		wg.Wait()
	case "phase":
		r = p.phase(ctx, op)
	case "arm":
		for _, c := range p.conns {
			c.mu.Lock()
			if t, ok := op.Targets[c.spec.Conv]; ok && !c.spec.Sender {
				c.target, c.reachedAt = t, 0
				if c.high >= t {
					c.reachedAt = time.Now().UnixNano()
				}
			} else {
				c.target = 0
			}
			c.mu.Unlock()
		}
	case "wait":
		r = p.wait(ctx, op)
	case "send":
		r = p.send(ctx, op)
	case "markread":
		r.Stats.Sent = p.markRead(ctx, op)
	case "armreads":
		c := p.conns[op.Conn]
		c.mu.Lock()
		c.readTarget, c.readCovered, c.readLastAt = op.Seq, 0, 0
		c.mu.Unlock()
	case "waitreads":
		c := p.conns[op.Conn]
		deadline := time.Now().Add(op.Timeout)
		for {
			c.mu.Lock()
			n, last := c.readCovered, c.readLastAt
			c.mu.Unlock()
			if n >= op.Want || time.Now().After(deadline) {
				r.Covered = n
				if last > 0 {
					r.LastUS = (last - op.T0) / 1000
				}
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	case "collect":
		for _, c := range p.conns {
			c.mu.Lock()
			r.Stats.merge(&c.st)
			if c.closeCode != 0 {
				if r.Closed == nil {
					r.Closed = map[string]int{}
				}
				r.Closed[strconv.Itoa(c.closeCode)]++
			}
			c.mu.Unlock()
		}
	case "reset":
		for _, c := range p.conns {
			c.mu.Lock()
			c.st = connStats{}
			c.mu.Unlock()
		}
	case "close":
		var wg sync.WaitGroup
		for _, c := range p.conns {
			wg.Add(1)
			go func() { defer wg.Done(); c.closeNow() }()
		}
		wg.Wait()
		p.conns = nil
	case "noop":
	default:
		r.Err = "unknown op " + op.Op
	}
	r.CPU = cpuSeconds()
	return r
}

// connectAll dials cs with bounded concurrency, each from its source address.
func (p *part) connectAll(ctx context.Context, cs []*conn, op Op) Result {
	var r Result
	conc := op.Concurrency
	if conc <= 0 {
		conc = 64
	}
	sem := make(chan struct{}, conc)
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	if op.T0 > 0 {
		t0 = time.Unix(0, op.T0)
	}
	timeout := op.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	for _, c := range cs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			start := time.Now()
			var err error
			for try := 0; try < 3; try++ {
				dctx, cancel := context.WithTimeout(ctx, timeout)
				err = c.dial(dctx, p.server, p.hc(c.idx))
				cancel()
				if err == nil || ctx.Err() != nil {
					break
				}
				time.Sleep(time.Duration(50*(try+1)) * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.ConnErrs++
				if r.ConnErr == "" {
					r.ConnErr = err.Error()
				}
				return
			}
			r.Conns++
			r.Connect.Add(time.Since(start))
			r.Reach.Add(time.Since(t0))
		}()
	}
	wg.Wait()
	return r
}

// phase runs senders for op.Duration, then lets deliveries drain, and
// answers with the counters of the phase.
func (p *part) phase(ctx context.Context, op Op) Result {
	p.op = op
	p.autoRead.Store(op.AutoRead)
	for _, c := range p.conns {
		c.mu.Lock()
		c.st = connStats{}
		c.trackReceipts = c.spec.Sender && op.Readers > 0
		if c.trackReceipts {
			c.receipts = map[int64]*receipt{}
		}
		c.mu.Unlock()
		// fresh window
		w := max(op.Window, 1)
		ch := make(chan struct{}, w)
		c.window.Store(&ch)
	}
	start := time.Now()
	end := start.Add(op.Duration)
	p.windowEnd.Store(end.UnixNano())
	pad := strings.Repeat("x", max(op.Pad, 0))
	var wg sync.WaitGroup
	var sent atomic.Int64
	p.acked.Store(0)
	nsenders := 0
	for _, c := range p.conns {
		if c.spec.Sender {
			nsenders++
		}
	}
	k := -1 // the sender's ordinal
	for _, c := range p.conns {
		if !c.spec.Sender {
			continue
		}
		k++
		ord := k
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n int64
			var interval time.Duration
			if op.Rate > 0 {
				interval = time.Duration(float64(time.Second) / op.Rate)
			}
			// Spread the first sends of paced senders evenly over one
			// interval, so that the offered load is steady. (They once
			// started within 16 ms of each other: 2,000 direct senders
			// then sent in bursts, one each, twice a second, and the
			// paced phase measured the queue of a burst.)
			next := start.Add(spread(ord, nsenders, interval))
			for op.Count == 0 || n < int64(op.Count) {
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
					next = next.Add(interval)
				}
				if time.Now().After(end) {
					return
				}
				select {
				case c.win() <- struct{}{}:
				case <-time.After(time.Until(end)):
					return
				}
				n++
				now := time.Now().UnixNano()
				id := p.nextID.Add(1)
				cid := p.runID + "-" + p.nonce + "-" + strconv.FormatInt(id, 36)
				if err := c.write(ctx, sendFrame(id, c.spec.Conv, cid, now, pad)); err != nil {
					return
				}
				sent.Add(1)
				c.mu.Lock()
				c.st.Sent++
				c.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if d := time.Until(end); d > 0 && op.Count == 0 {
		time.Sleep(d)
	}
	// Drain: wait for acks, then for deliveries to stop arriving.
	drain := op.Drain
	if drain <= 0 {
		drain = 10 * time.Second
	}
	deadline := time.Now().Add(drain)
	for p.acked.Load() < sent.Load() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	var last int64 = -1
	quiet := 0
	for time.Now().Before(deadline) {
		var n int64
		for _, c := range p.conns {
			c.mu.Lock()
			n += c.st.Unique + c.st.ReadEvents
			c.mu.Unlock()
		}
		if n == last {
			quiet++
			if quiet >= 5 {
				break
			}
		} else {
			quiet = 0
		}
		last = n
		time.Sleep(50 * time.Millisecond)
	}
	return p.do(ctx, Op{Op: "collect"})
}

// send sends op.Count messages from conn op.Conn to each of op.Convs (one
// at a time per conversation, all conversations at once) and waits for
// their acks. Seqs reports the last seq of each conversation.
func (p *part) send(ctx context.Context, op Op) Result {
	var r Result
	c := p.conns[op.Conn]
	r.Seqs = map[string]int64{}
	r.SentAt = time.Now().UnixNano()
	convs := op.Convs
	if len(convs) == 0 {
		convs = []string{c.spec.Conv}
	}
	before := p.acked.Load()
	for _, conv := range convs {
		for i := 0; i < op.Count; i++ {
			id := p.nextID.Add(1)
			cid := fmt.Sprintf("%s-%s-%d", p.runID, p.nonce, id)
			if err := c.write(ctx, sendFrame(id, conv, cid, time.Now().UnixNano(), "")); err != nil {
				r.Err = err.Error()
				return r
			}
		}
	}
	want := before + int64(len(convs)*op.Count)
	deadline := time.Now().Add(60 * time.Second)
	for p.acked.Load() < want && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if p.acked.Load() < want {
		r.Err = fmt.Sprintf("only %d of %d sends acknowledged", p.acked.Load()-before, want-before)
	}
	c.mu.Lock()
	r.Stats.Acked = c.st.Acked
	r.Stats.Errors = c.st.Errors
	r.Stats.ErrCodes = c.st.ErrCodes
	c.mu.Unlock()
	return r
}

// wait waits until every armed connection has reached its target seq.
func (p *part) wait(ctx context.Context, op Op) Result {
	var r Result
	deadline := time.Now().Add(op.Timeout)
	for {
		reached, armed := 0, 0
		for _, c := range p.conns {
			c.mu.Lock()
			if c.target > 0 {
				armed++
				if c.reachedAt > 0 {
					reached++
				}
			}
			c.mu.Unlock()
		}
		if reached == armed || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	for _, c := range p.conns {
		c.mu.Lock()
		if c.target > 0 {
			if c.reachedAt > 0 {
				r.Reached++
				us := (c.reachedAt - op.T0) / 1000
				r.Reach.AddUS(us)
				r.LastUS = max(r.LastUS, us)
			} else {
				r.Missed++
			}
		}
		if !c.spec.Keep {
			r.Stats.merge(&c.st)
		}
		if c.closeCode != 0 {
			if r.Closed == nil {
				r.Closed = map[string]int{}
			}
			r.Closed[strconv.Itoa(c.closeCode)]++
		}
		c.mu.Unlock()
	}
	return r
}

// markRead has every connection but the senders move its read position in
// its conversation to op.Seq.
func (p *part) markRead(ctx context.Context, op Op) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range p.conns {
		if c.spec.Sender || c.spec.Keep {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b := []byte(`{"type":"read","conversation_id":"` + c.spec.Conv + `","seq":` + strconv.FormatInt(op.Seq, 10) + `}`)
			if c.write(ctx, b) == nil {
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return n.Load()
}

// RunWorker serves ops read as JSON lines from r, answering each on w: the
// body of `tack bench --worker`.
func RunWorker(ctx context.Context, r io.Reader, w io.Writer) error {
	p := &part{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	enc := json.NewEncoder(w)
	for sc.Scan() {
		var op Op
		if err := json.Unmarshal(sc.Bytes(), &op); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		res := p.do(ctx, op)
		if err := enc.Encode(res); err != nil {
			return err
		}
		if op.Op == "close" {
			return nil
		}
	}
	return sc.Err()
}

// runner runs ops on a part: in this process or in a worker process.
type runner interface {
	do(ctx context.Context, op Op) (Result, error)
	close()
}

type localRunner struct{ p *part }

func (l *localRunner) do(ctx context.Context, op Op) (Result, error) {
	r := l.p.do(ctx, op)
	if r.Err != "" {
		return r, fmt.Errorf("%s", r.Err)
	}
	return r, nil
}
func (l *localRunner) close() {}

var _ = os.Stderr

// spread is when, within one interval, the k-th of n paced senders first
// sends: evenly apart, so that n senders offer a steady load.
func spread(k, n int, interval time.Duration) time.Duration {
	if n <= 0 || interval <= 0 {
		return 0
	}
	return time.Duration(int64(interval) * int64(k%n) / int64(n))
}

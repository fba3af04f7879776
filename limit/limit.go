// Package limit provides keyed token-bucket rate limiters: sign-in attempts
// per login and per address, messages per sender, typing frames per
// connection. Limits are per process; in a multi-node deployment each node
// enforces them on the traffic it serves.
package limit

import (
	"sync"
	"time"
)

// Keyed is a set of token buckets, one per key, each refilled at Rate tokens
// per second up to Burst. The zero value allows nothing; set Rate and Burst.
// It is safe for concurrent use. Idle buckets are forgotten, so memory stays
// proportional to the keys active in the last few minutes.
type Keyed struct {
	Rate  float64 // tokens per second
	Burst float64 // bucket size

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// Allow takes one token from key's bucket and reports whether there was one.
func (k *Keyed) Allow(key string) bool { return k.AllowN(key, 1, time.Now()) }

// AllowN takes n tokens at time now.
func (k *Keyed) AllowN(key string, n float64, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.refill(key, now)
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// Peek reports whether key has at least one token, without taking it.
func (k *Keyed) Peek(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.refill(key, time.Now()).tokens >= 1
}

// Reset forgets key (after a successful sign-in, say).
func (k *Keyed) Reset(key string) {
	k.mu.Lock()
	delete(k.buckets, key)
	k.mu.Unlock()
}

func (k *Keyed) refill(key string, now time.Time) *bucket {
	if k.buckets == nil {
		k.buckets = make(map[string]*bucket)
	}
	if now.Sub(k.swept) > time.Minute {
		k.sweep(now)
	}
	b, ok := k.buckets[key]
	if !ok {
		b = &bucket{tokens: k.Burst, at: now}
		k.buckets[key] = b
		return b
	}
	if d := now.Sub(b.at).Seconds(); d > 0 {
		b.tokens += d * k.Rate
		if b.tokens > k.Burst {
			b.tokens = k.Burst
		}
		b.at = now
	}
	return b
}

// sweep drops buckets that are full again: they hold no information.
func (k *Keyed) sweep(now time.Time) {
	k.swept = now
	for key, b := range k.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*k.Rate >= k.Burst {
			delete(k.buckets, key)
		}
	}
}

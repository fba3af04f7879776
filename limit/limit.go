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

// Take takes one token from key's bucket at time now, like AllowN. When
// the bucket has none it takes nothing and also returns how long until it
// will hold one (zero if it never refills: Rate ≤ 0). Callers that must
// bound work check with Take before doing it and Give the token back when
// the attempt turns out fine, so that concurrent attempts cannot all pass
// a check made before any of them is counted.
func (k *Keyed) Take(key string, now time.Time) (ok bool, wait time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.refill(key, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if k.Rate <= 0 {
		return false, 0
	}
	return false, time.Duration((1 - b.tokens) / k.Rate * float64(time.Second))
}

// Give puts one token back into key's bucket (never above Burst): the
// refund of a Take.
func (k *Keyed) Give(key string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.refill(key, now)
	b.tokens = min(b.tokens+1, k.Burst)
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

package bench

import (
	"math"
	"math/bits"
	"sort"
	"time"
)

// Hist is a log-linear latency histogram in microseconds: 2^subBits buckets
// per power of two, so any recorded value is reported within 1/64 (1.6%) of
// itself. It is mergeable (counts add), which is how the results of several
// worker processes become one. The zero value is ready; not safe for
// concurrent use.
type Hist struct {
	Counts map[int]int64 `json:"counts,omitempty"`
	N      int64         `json:"n"`
	Sum    float64       `json:"sum_us"`
	MaxUS  int64         `json:"max_us"`
}

const subBits = 6

func bucketOf(us int64) int {
	if us < 1<<subBits {
		return int(max(us, 0))
	}
	e := bits.Len64(uint64(us)) - subBits - 1
	return (e+1)<<subBits + int(us>>e) - 1<<subBits
}

// bucketValue is the middle of bucket b, in microseconds.
func bucketValue(b int) float64 {
	if b < 1<<subBits {
		return float64(b)
	}
	e := b>>subBits - 1
	m := int64(b&(1<<subBits-1) + 1<<subBits)
	lo := m << e
	return float64(lo) + float64(int64(1)<<e)/2
}

// Add records d.
func (h *Hist) Add(d time.Duration) { h.AddUS(d.Microseconds()) }

// AddUS records a value in microseconds.
func (h *Hist) AddUS(us int64) {
	if us < 0 {
		us = 0
	}
	if h.Counts == nil {
		h.Counts = make(map[int]int64)
	}
	h.Counts[bucketOf(us)]++
	h.N++
	h.Sum += float64(us)
	if us > h.MaxUS {
		h.MaxUS = us
	}
}

// Merge adds o's counts to h.
func (h *Hist) Merge(o *Hist) {
	if o == nil || o.N == 0 {
		return
	}
	if h.Counts == nil {
		h.Counts = make(map[int]int64)
	}
	for b, n := range o.Counts {
		h.Counts[b] += n
	}
	h.N += o.N
	h.Sum += o.Sum
	h.MaxUS = max(h.MaxUS, o.MaxUS)
}

// Quantile returns the q-quantile (0..1) in milliseconds.
func (h *Hist) Quantile(q float64) float64 {
	if h.N == 0 {
		return math.NaN()
	}
	keys := make([]int, 0, len(h.Counts))
	for b := range h.Counts {
		keys = append(keys, b)
	}
	sort.Ints(keys)
	rank := int64(math.Ceil(q * float64(h.N)))
	rank = max(rank, 1)
	var seen int64
	for _, b := range keys {
		seen += h.Counts[b]
		if seen >= rank {
			return math.Min(bucketValue(b), float64(h.MaxUS)) / 1000
		}
	}
	return float64(h.MaxUS) / 1000
}

// Summary is a histogram's percentiles in milliseconds.
type Summary struct {
	N    int64   `json:"n"`
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

// Summary returns the percentiles.
func (h *Hist) Summary() Summary {
	if h.N == 0 {
		return Summary{}
	}
	return Summary{N: h.N, Mean: h.Sum / float64(h.N) / 1000, P50: h.Quantile(.5), P90: h.Quantile(.9),
		P99: h.Quantile(.99), P999: h.Quantile(.999), Max: float64(h.MaxUS) / 1000}
}

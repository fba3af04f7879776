package push

import (
	"testing"
	"time"
)

// TestNewServiceDefaultsOnlyUnsetSettings: a setting of zero or less
// takes its default; any positive setting, even the smallest, is kept.
func TestNewServiceDefaultsOnlyUnsetSettings(t *testing.T) {
	def := Config{Workers: 4, Attempts: 4, RetryBase: 2 * time.Second, MaxRetryDelay: time.Minute, TTL: 12 * time.Hour}
	for _, c := range []struct {
		name    string
		in, out Config
	}{
		{"zero", Config{}, def},
		{"negative", Config{Workers: -1, Attempts: -1, RetryBase: -1, MaxRetryDelay: -1, TTL: -1}, def},
		{"smallest", Config{Workers: 1, Attempts: 1, RetryBase: 1, MaxRetryDelay: 1, TTL: 1},
			Config{Workers: 1, Attempts: 1, RetryBase: 1, MaxRetryDelay: 1, TTL: 1}},
	} {
		s := NewService(nil, nil, nil, nil, Keys{}, nil, c.in)
		got := s.cfg
		s.Close()
		if got.Workers != c.out.Workers || got.Attempts != c.out.Attempts || got.RetryBase != c.out.RetryBase ||
			got.MaxRetryDelay != c.out.MaxRetryDelay || got.TTL != c.out.TTL {
			t.Errorf("%s: Workers %d, Attempts %d, RetryBase %v, MaxRetryDelay %v, TTL %v; want %d, %d, %v, %v, %v", c.name,
				got.Workers, got.Attempts, got.RetryBase, got.MaxRetryDelay, got.TTL,
				c.out.Workers, c.out.Attempts, c.out.RetryBase, c.out.MaxRetryDelay, c.out.TTL)
		}
	}
}

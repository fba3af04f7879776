package account

import (
	"context"
	"strings"
	"testing"
)

// A stored hash carries its own parameters (a hash made before the
// parameters changed still checks), and a hash in any other format is an
// error, never a match.
func TestPasswordHashFormat(t *testing.T) {
	ctx := context.Background()
	old := newHasher(Argon2Params{MemoryKiB: 32, Time: 2, Threads: 1})
	h := newHasher(Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1})
	enc, err := old.hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=32,t=2,p=1$") {
		t.Fatalf("hash %q", enc)
	}
	if ok, err := h.verify(ctx, "correct horse", enc); !ok || err != nil {
		t.Fatalf("a hash of other parameters: %v %v", ok, err)
	}
	if ok, err := h.verify(ctx, "wrong horse", enc); ok || err != nil {
		t.Fatalf("a wrong password: %v %v", ok, err)
	}
	parts := strings.Split(enc, "$")
	bad := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	for name, e := range map[string]string{
		"argon2i":          bad(1, "argon2i"),
		"five parts":       strings.Join(parts[:5], "$"),
		"seven parts":      enc + "$x",
		"bad version":      bad(2, "v=x"),
		"bad parameters":   bad(3, "m=x,t=2,p=1"),
		"bad salt":         bad(4, "!!"),
		"bad key":          bad(5, "!!"),
		"not a PHC string": "correct horse",
	} {
		if ok, err := h.verify(ctx, "correct horse", e); ok || err == nil {
			t.Errorf("%s: %v %v, want an error", name, ok, err)
		}
	}
	// A cancelled context stops a check waiting for its turn.
	full := newHasher(Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1})
	for range cap(full.sem) {
		full.sem <- struct{}{}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := full.verify(cctx, "correct horse", enc); err == nil {
		t.Error("a check with every slot taken and its context cancelled went ahead")
	}
	if _, err := full.hash(cctx, "correct horse"); err == nil {
		t.Error("a hash with every slot taken and its context cancelled went ahead")
	}
	if newHasher(Argon2Params{}).params != OWASPParams {
		t.Error("the zero parameters are not OWASP's")
	}
}

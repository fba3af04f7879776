// Package tack holds what every part of Tack shares: identifiers, the
// error type with its codes, the clock, and who is calling, carried in a
// context. It imports nothing of Tack's own; every other package may import it.
package tack

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"sync"
	"time"
)

// ID identifies a user, a conversation, a session or an organisation.
// IDs are 16-character lower-case base32 strings: 48 bits of milliseconds
// and 32 random bits, so they sort by creation time and reveal no counts.
// The zero ID ("") means "none".
type ID string

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

var idMu sync.Mutex
var idLast [10]byte

// NewID returns a new ID: 48 bits of milliseconds since 1970 and 32 random
// bits, strictly increasing within one process.
func NewID() ID {
	var b [10]byte
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], uint64(time.Now().UnixMilli()))
	copy(b[:6], t[2:])
	if _, err := rand.Read(b[6:]); err != nil {
		panic(err)
	}
	idMu.Lock()
	if string(b[:]) <= string(idLast[:]) {
		b = idLast
		for i := len(b) - 1; i >= 0; i-- {
			b[i]++
			if b[i] != 0 {
				break
			}
		}
	}
	idLast = b
	idMu.Unlock()
	return ID(idEncoding.EncodeToString(b[:]))
}

// Valid reports whether id looks like an ID Tack made: 16 characters of its
// base32 alphabet. It says nothing of whether the thing exists.
func (id ID) Valid() bool {
	if len(id) != 16 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') || c == 'i' || c == 'l' || c == 'o' || c == 'u' {
			return false
		}
	}
	return true
}

// Clock tells the time. Services take one so tests can move time; the zero
// Clock (nil func) is the wall clock.
type Clock func() time.Time

// Now returns the current time from c, or the wall clock if c is nil,
// truncated to microseconds (what every store keeps).
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return c().UTC().Truncate(time.Microsecond)
}

type ctxKey int

const callerKey ctxKey = 1

// Caller is who is making a request: a signed-in user on one session.
type Caller struct {
	UserID    ID
	SessionID ID
}

// WithCaller returns a context that carries c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey, c)
}

// CallerFrom returns the caller carried by ctx; ok is false for anonymous
// requests.
func CallerFrom(ctx context.Context) (c Caller, ok bool) {
	c, ok = ctx.Value(callerKey).(Caller)
	return c, ok && c.UserID != ""
}

// UserID returns the signed-in user of ctx, or "".
func UserID(ctx context.Context) ID {
	c, _ := CallerFrom(ctx)
	return c.UserID
}

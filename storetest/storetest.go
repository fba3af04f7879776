// Package storetest is the conformance suite every implementation of Tack's
// store interfaces must pass. A store's own test file runs it:
//
//	func TestAccountStore(t *testing.T) {
//		storetest.TestAccountStore(t, func(t *testing.T) account.Store { return openFresh(t) })
//	}
//	func TestChatStore(t *testing.T) {
//		storetest.TestChatStore(t, func(t *testing.T) (account.Store, chat.Store) {
//			db := openFresh(t)
//			return db, db
//		})
//	}
//
// open is called once per subtest and must return an empty store, closed by
// a t.Cleanup of its own. The chat suite creates the users it needs through
// the account store, so stores with foreign keys pass too.
//
// The suite checks the contracts written in the doc comments of
// account.Store and chat.Store, and a few behaviours the services rely on
// that those comments leave implicit; each such test says so. Decisions the
// suite makes where a comment is silent:
//
//   - A missing row is tack.ErrNotFound, possibly wrapped: errors.Is must
//     find it. That includes Append, EditMessage, RecallMessage, SetReadSeq
//     and ApplyChange on a conversation that does not exist.
//   - Append of a batch in which one message names a conversation that does
//     not exist fails with tack.ErrNotFound and stores none of the batch:
//     no seq is used, no read position moves, and a retry of the good
//     messages is not taken for a duplicate.
//   - CreateConversation gives the first message seq 1 and sets every
//     initial member's JoinedSeq and ReadSeq to 1; creating a second direct
//     conversation between the same two people fails with tack.EConflict.
//   - ConversationsOf orders by the CreatedAt of the newest timeline entry
//     (message or system event), newest first.
//   - Times are kept to the microsecond and come back in UTC.
//   - Lists the contracts leave unordered (Users, Memberships, Behind,
//     MessagesBySeq, SendersBetween, MembersAmong) are compared as sets.
package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// cst is a zone other than UTC, to check that stores hand back UTC.
var cst = time.FixedZone("CST", 8*3600)

var (
	clockMu   sync.Mutex
	clockLast time.Time
)

// now returns a strictly increasing time, truncated to the microsecond, in
// a zone other than UTC (as a caller might pass it), with a non-zero
// microsecond part.
func now() time.Time {
	clockMu.Lock()
	defer clockMu.Unlock()
	t := time.Now().Truncate(time.Microsecond)
	if !t.After(clockLast) {
		t = clockLast.Add(time.Microsecond)
	}
	if t.Nanosecond()/1000%1000 == 0 {
		t = t.Add(time.Microsecond)
	}
	clockLast = t
	return t.In(cst)
}

var loginCounter atomic.Int64

// uniqueLogin returns a login no other test of this process uses.
func uniqueLogin(prefix string) string {
	return fmt.Sprintf("%s%d.%s@example.com", prefix, loginCounter.Add(1), tack.NewID())
}

// sameTime checks that got is want, in UTC, at microsecond precision.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want.Truncate(time.Microsecond)) {
		t.Errorf("%s = %v, want %v", what, got, want.UTC())
	}
	if got.Location() != time.UTC {
		t.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("%s: err = %v, want tack.ErrNotFound", what, err)
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var e *tack.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s: err = %v, want a *tack.Error with code %q", what, err, code)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// sameIDs reports whether a and b hold the same IDs, ignoring order.
func sameIDs(a, b []tack.ID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

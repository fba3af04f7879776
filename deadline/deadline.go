// Package deadline is a durable queue of things to do at a given time:
// burning a secret message, escalating an unconfirmed DING. Jobs live in
// the database (a Store), so they survive a restart; each due job is
// claimed under a lease by exactly one node, and deleted once its handler
// succeeded.
//
// Exactly once: a claim is atomic in the store (SQLite has one writer;
// PostgreSQL claims with FOR UPDATE SKIP LOCKED), so two nodes never run a
// job at the same time. A node that dies while running one leaves its lease
// to expire, and another node runs the job again: handlers must therefore
// be idempotent (burning a burned message, or escalating a DING to a level
// it has reached, changes nothing). Together that is an effect exactly once.
//
// Jobs carry no content: Data holds identifiers only, never a message's
// text.
package deadline

import (
	"context"
	"time"
)

// Job is one deadline. (Kind, Key) identifies it: scheduling a job with the
// same pair again moves it.
type Job struct {
	Kind string    `json:"kind"`
	Key  string    `json:"key"`
	Due  time.Time `json:"due"`
	// Data is the handler's input: identifiers, never content. At most
	// MaxData bytes.
	Data []byte `json:"data,omitempty"`
	// Attempts counts failed runs so far (set by the store).
	Attempts int `json:"attempts"`
	// Claim is the token of the claim that returned the job (set by the
	// store's Claim).
	Claim string `json:"-"`
}

// MaxData bounds Job.Data.
const MaxData = 1024

// Store keeps jobs. It is safe for concurrent use, also by several nodes
// sharing one database.
type Store interface {
	// Schedule stores j. A job with the same Kind and Key is replaced (Due,
	// Data; Attempts back to 0) and released from any claim on it, so that a
	// handler still running with the old claim cannot delete the new one.
	// With earlier set, an existing job keeps the earlier of the two Dues.
	Schedule(ctx context.Context, j Job, earlier bool) error
	// Cancel deletes the job (kind, key); no error if there is none.
	Cancel(ctx context.Context, kind, key string) error
	// Claim returns up to limit jobs due at or before now that nobody holds
	// (never claimed, or whose lease ended), earliest first, and holds them
	// until now+lease under a fresh token (Job.Claim). While a lease runs,
	// no other Claim returns the job.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// Done deletes a claimed job if it is still held by claim; a job
	// scheduled again since (new claim token) is left alone.
	Done(ctx context.Context, kind, key, claim string) error
	// Retry releases a claimed job, still held by claim, to run again at
	// at, counting one more attempt.
	Retry(ctx context.Context, kind, key, claim string, at time.Time) error
	// Next returns the earliest Due of all jobs, or false if there are none.
	Next(ctx context.Context) (time.Time, bool, error)
}

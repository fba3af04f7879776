package tack

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. Each maps to one HTTP status in package api; clients switch on
// the code, people read the message.
const (
	EInvalid      = "invalid"      // bad input; the message says which field and why
	EUnauthorized = "unauthorized" // not signed in, or the session is gone
	EForbidden    = "forbidden"    // signed in, but not allowed (only for things the caller may know exist)
	ENotFound     = "not_found"    // does not exist, or the caller may not know it exists
	EConflict     = "conflict"     // clashes with existing state (login taken, ...)
	ETooLarge     = "too_large"    // body, frame, text or group over its limit
	ERateLimited  = "rate_limited" // too many attempts; try again later
	EExpired      = "expired"      // a time window closed (edit after 24 h, recall after 2 min, ...)
	ERefused      = "refused"      // the other person's privacy settings refuse it (being added to a group, ...)
	EUnavailable  = "unavailable"  // shutting down or overloaded; retry elsewhere
	EInternal     = "internal"     // a bug or an outage; details are logged, never sent
	// ETimeout: the request (its body) came too slowly.
	ETimeout = "timeout"
	// EInsufficientStorage: the server's disk is (nearly) full; it refuses
	// writes rather than risk them. Reads still work.
	EInsufficientStorage = "insufficient_storage"
)

// EUnsupported: the request body is not of a type the endpoint takes (it
// wants JSON).
const EUnsupported = "unsupported_media_type"

// Error is an error meant for the caller: a code from the list above and a
// message a person can act on. Anything else that reaches the API edge is
// reported as EInternal with a generic message.
type Error struct {
	Code    string
	Message string
	// Field names the input field at fault, when there is one.
	Field string
	// RetryAfter is, for ERateLimited, how long until a retry can succeed
	// (zero: unknown). The API sends it as Retry-After.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns an ERateLimited error saying to retry after wait.
func RateLimited(wait time.Duration, format string, args ...any) *Error {
	return &Error{Code: ERateLimited, Message: fmt.Sprintf(format, args...), RetryAfter: wait}
}

// Invalid returns an EInvalid error about field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the message of the first *Error in err's chain, or a
// generic message that reveals nothing for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrNotFound is returned by stores when a row does not exist. Services turn
// it into a caller-facing *Error.
var ErrNotFound = &Error{Code: ENotFound, Message: "not found"}

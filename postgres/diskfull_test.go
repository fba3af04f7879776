package postgres

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tackhq/tack"
)

// TestDiskFullIsInsufficientStorage: PostgreSQL's "disk full" reaches the
// caller as insufficient_storage (507), other errors pass unchanged.
func TestDiskFullIsInsufficientStorage(t *testing.T) {
	full := fmt.Errorf("commit: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file"})
	if got := tack.ErrorCode(diskFull(full)); got != tack.EInsufficientStorage {
		t.Fatalf("disk full: code %q", got)
	}
	other := &pgconn.PgError{Code: "23505"}
	if diskFull(other) != error(other) {
		t.Fatal("another error was changed")
	}
	if diskFull(nil) != nil {
		t.Fatal("nil became an error")
	}
}

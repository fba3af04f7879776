package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// Over the limit, the WAL is restarted, not emptied: the checkpoint leaves
// the file as it is, and the next commit writes from its start and cuts it
// to the limit. Emptying it (what Scrub and a quiet database get) leaves
// nothing. Nothing written is lost either way.
func TestWALRestart(t *testing.T) {
	const limit = 64 << 10
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "tack.db"), Options{WALLimit: limit, noFollow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The background loops would checkpoint on their own; this test does.
	db.stop.Do(func() { close(db.stopCk) })
	db.loops.Wait()

	if _, err := db.w.ExecContext(ctx, `CREATE TABLE walt (x TEXT)`); err != nil {
		t.Fatal(err)
	}
	row := strings.Repeat("x", 4000)
	for i := 0; i < 40; i++ {
		if _, err := db.w.ExecContext(ctx, `INSERT INTO walt VALUES (?)`, row); err != nil {
			t.Fatal(err)
		}
	}
	before := db.walSize()
	if before <= limit {
		t.Fatalf("the WAL is %d bytes after 160 KB of writes; the test needs it over %d", before, limit)
	}
	if !db.resetWAL(restartWAL) {
		t.Fatal("restart: busy")
	}
	if got := db.walSize(); got != before {
		t.Fatalf("restart changed the WAL file from %d to %d bytes (it should leave it for the next commit)", before, got)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO walt VALUES ('last')`); err != nil {
		t.Fatal(err)
	}
	if got := db.walSize(); got > limit {
		t.Fatalf("after a restart and one commit the WAL is %d bytes, over the limit %d", got, limit)
	}
	if !db.resetWAL(truncateWAL) {
		t.Fatal("truncate: busy")
	}
	if got := db.walSize(); got != 0 {
		t.Fatalf("an emptied WAL is %d bytes", got)
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM walt`).Scan(&n); err != nil || n != 41 {
		t.Fatalf("%d rows (%v), want 41", n, err)
	}
}

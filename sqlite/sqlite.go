// Package sqlite implements Tack's stores on an embedded SQLite database
// (modernc.org/sqlite, no cgo): one writer connection in WAL mode with
// immediate transactions, and a pool of read-only connections.
//
// Durability: synchronous=NORMAL in WAL mode. A committed transaction
// survives the process being killed (SIGKILL, a crash, an OOM kill): it is
// in the WAL file, and the OS writes it out. It may be lost in a power cut or
// kernel crash since the last checkpoint; Options.Durable switches to
// synchronous=FULL, which fsyncs every commit, for machines without a
// battery-backed disk.
//
// Erasure: secure_delete is on, so deleted or overwritten content is zeroed
// in the pages that held it; and after a message is recalled (RecallMessage,
// or anything calling Scrub) a truncating checkpoint soon copies the WAL
// into the database file and empties the WAL, so the old text is in none of
// tack.db, tack.db-wal and tack.db-shm (see checkpointLoop).
//
// Disk: the WAL is bounded (Options.WALLimit), and writes are refused with
// tack.EInsufficientStorage when Options.WriteGuard says so or SQLite finds
// the disk full; a refused or failed transaction is rolled back whole.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune Open. The zero value is the default.
type Options struct {
	// Durable makes every commit fsync (synchronous=FULL).
	Durable bool
	// Readers is the size of the read pool; default 2×GOMAXPROCS, at least 4.
	Readers int
	// WALLimit bounds the WAL file, in bytes: a commit that leaves it
	// larger triggers a truncating checkpoint at once, and SQLite truncates
	// it to this size whenever it restarts it (journal_size_limit).
	// Default 64 MiB.
	WALLimit int64
	// WriteGuard, if set, is asked before every write; an error (such as
	// tack.EInsufficientStorage when the disk is nearly full) refuses the
	// write. It must be cheap.
	WriteGuard func() error

	// noFollow leaves the search index to searches alone (catchUp): tests
	// use it to hold messages unindexed, as a crash would.
	noFollow bool
}

// DefaultWALLimit is Options.WALLimit's default.
const DefaultWALLimit = 64 << 20

// DB is a Tack database in one SQLite file. It implements account.Store and
// chat.Store. It is safe for concurrent use.
type DB struct {
	w  *sql.DB // one connection: every write
	r  *sql.DB // read-only pool
	ck *sql.DB // one connection: background checkpoints

	stopCk chan struct{}
	loops  sync.WaitGroup // the checkpoint goroutines
	// ckMu serialises checkpoints: SQLite fails a second one at once,
	// without waiting, so a truncation must not meet a passive one.
	ckMu     sync.Mutex
	stop     sync.Once
	walPath  string
	walLimit int64
	guard    func() error
	commits  atomic.Int64  // write transactions committed
	scrubs   atomic.Int64  // erasures asked for (Scrub)
	wake     chan struct{} // wakes checkpointLoop at once
	stmts
	rcache  sync.Map // query text -> *sql.Stmt on r
	rcached atomic.Int64
	att     attCommitter // attendance writes, committed in groups

	// Conversation lists and mods asked for together (coalesce.go).
	lists coalescer[[]chat.Conversation]
	mods  coalescer[map[tack.ID]int64]
	orgs  coalescer[[]tack.ID] // one user's active organisations

	// The search index's follower (searchfollow.go).
	followWake chan struct{}
	followMu   sync.Mutex   // one pass at a time
	followed   atomic.Int64 // messages indexed
	followErrs atomic.Int64 // passes failed
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	sync := "NORMAL"
	if opt.Durable {
		sync = "FULL"
	}
	if opt.WALLimit <= 0 {
		opt.WALLimit = DefaultWALLimit
	}
	limit := fmt.Sprintf("journal_size_limit(%d)", opt.WALLimit)
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "cache_size(-8000)")
	// Checkpoints run on a connection of their own (see checkpointLoop),
	// never inside a commit of the writer.
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Add("_pragma", limit)
	// Deleted and overwritten content (a recalled message's text) is
	// zeroed, not left in free space.
	q.Add("_pragma", "secure_delete(ON)")
	q.Add("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	rq := url.Values{}
	rq.Add("_pragma", "busy_timeout(10000)")
	rq.Add("_pragma", "query_only(1)")
	rq.Add("_pragma", "cache_size(-16000)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := opt.Readers
	if n <= 0 {
		n = max(4, 2*runtime.GOMAXPROCS(0))
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	cq := url.Values{}
	cq.Add("_pragma", "busy_timeout(10000)")
	cq.Add("_pragma", limit)
	ck, err := sql.Open("sqlite", "file:"+path+"?"+cq.Encode())
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	db := &DB{w: w, r: r, ck: ck, stopCk: make(chan struct{}),
		walPath: path + "-wal", walLimit: opt.WALLimit, guard: opt.WriteGuard, wake: make(chan struct{}, 1),
		followWake: make(chan struct{}, 1)}
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.clampCursor(ctx); err != nil {
		db.Close()
		return nil, err
	}
	db.lists = coalescer[[]chat.Conversation]{one: db.conversationsOf, many: db.conversationsOfMany, clone: cloneList}
	db.lists.start(coalesceWorkers, db.stopCk, &db.loops)
	db.mods = coalescer[map[tack.ID]int64]{one: db.conversationMods, many: db.conversationModsMany, clone: maps.Clone[map[tack.ID]int64]}
	db.mods.start(coalesceWorkers, db.stopCk, &db.loops)
	db.orgs = coalescer[[]tack.ID]{one: db.activeOrgsOfOne, many: db.activeOrgsOf, clone: slices.Clone[[]tack.ID]}
	db.orgs.start(coalesceWorkers, db.stopCk, &db.loops)
	db.loops.Add(2)
	go db.passiveLoop()
	go db.truncateLoop()
	if !opt.noFollow {
		db.loops.Add(1)
		go db.followLoop()
	}
	return db, nil
}

// passiveLoop copies the WAL into the database file in the background,
// from its own connection, in PASSIVE mode: it never blocks the writer, so
// a commit never waits for the database file's fsync (with the default
// auto-checkpoint, every thousandth page written made one commit pay for a
// whole checkpoint). Durability is unchanged: a commit is durable once in
// the WAL.
func (db *DB) passiveLoop() {
	defer db.loops.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-db.stopCk:
			return
		case <-t.C:
			var busy, log, done int
			db.ckMu.Lock()
			_ = db.ck.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
			db.ckMu.Unlock()
		}
	}
}

// truncateLoop bounds the WAL. A passive checkpoint alone lets it grow
// without end under sustained writes (SQLite restarts the WAL only when a
// checkpoint has caught up with it, which a steady stream of commits
// prevents), and leaves it at its largest when writes stop. So the loop
// restarts it (see resetWAL) at once when a commit leaves it over
// Options.WALLimit: the next commit writes from its start and cuts the
// file to the limit. It empties it when writes stop (no commit for
// 250 ms), and soon after Scrub, retrying every 250 ms until it succeeds.
// Should it fall behind, a commit that leaves the WAL over twice the
// limit restarts it itself (see committed).
func (db *DB) truncateLoop() {
	defer db.loops.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	lastCommits, scrubbed := int64(-1), int64(0)
	for {
		idle := false
		select {
		case <-db.stopCk:
			return
		case <-db.wake:
		case <-t.C:
			idle = db.commits.Load() == lastCommits
			lastCommits = db.commits.Load()
		}
		scrubs := db.scrubs.Load()
		size := db.walSize()
		switch {
		case scrubs > scrubbed || idle && size > 0:
			if db.resetWAL(truncateWAL) {
				scrubbed = scrubs
			}
		case size > db.walLimit:
			db.resetWAL(restartWAL)
		}
	}
}

// How resetWAL ends the WAL.
const (
	// truncateWAL empties the WAL file: what Scrub needs (no deleted
	// text left in it) and what a quiet database is left with.
	truncateWAL = "TRUNCATE"
	// restartWAL makes the next commit write from the WAL's start, over
	// the old frames, and cut the file to the limit (journal_size_limit).
	// Under load it holds writes for a fraction of truncateWAL's time:
	// in the direct bench's paced phase 2-28 ms against 33-43 ms a time
	// (no file cut to zero and grown again block by block), and p99
	// 48-51 ms against 56-92.
	restartWAL = "RESTART"
)

// resetWAL runs a checkpoint in mode (truncateWAL or restartWAL) on the
// writer's connection: it copies every frame of the WAL into the database
// file and resets the WAL, while writes wait. It waits at most 250 ms for
// readers still using the WAL, so that writes never stall long; it reports
// whether it succeeded.
func (db *DB) resetWAL(mode string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var busy, log, done int
	db.ckMu.Lock()
	defer db.ckMu.Unlock()
	// First a passive checkpoint on the checkpoint connection: it copies
	// the WAL's frames into the database while writes go on, so that the
	// truncating one, during which writes wait, has only the last few
	// left (copying a whole 64 MiB WAL there held writes for over 100 ms).
	_ = db.ck.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout(250)"); err != nil {
		return false
	}
	defer conn.ExecContext(context.Background(), "PRAGMA busy_timeout(10000)")
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &log, &done); err != nil {
		return false
	}
	return busy == 0
}

// walSize is the WAL file's size in bytes (0 if it does not exist).
func (db *DB) walSize() int64 {
	fi, err := os.Stat(db.walPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// Scrub asks for content deleted or overwritten so far (a recalled
// message) to be erased from the WAL too: a truncating checkpoint follows
// within moments (retried until no reader holds the WAL). Secret chats
// need the same.
func (db *DB) Scrub() {
	db.scrubs.Add(1)
	db.poke()
}

func (db *DB) poke() {
	select {
	case db.wake <- struct{}{}:
	default:
	}
}

// committed notes a write: over the WAL limit it wakes truncateLoop;
// over twice the limit (the loop fell behind: a burst of commits) it
// truncates the WAL itself before the writer goes on.
func (db *DB) committed() {
	db.commits.Add(1)
	switch size := db.walSize(); {
	case size > 2*db.walLimit:
		db.resetWAL(restartWAL)
	case size > db.walLimit:
		db.poke()
	}
}

// writable returns the WriteGuard's verdict.
func (db *DB) writable() error {
	if db.guard == nil {
		return nil
	}
	return db.guard()
}

// sqliteFull is SQLITE_FULL: the disk (or the database) is full.
const sqliteFull = 13

// storageError turns SQLite's "disk full" into the caller-facing error.
func storageError(err error) error {
	var se interface{ Code() int }
	if errors.As(err, &se) && se.Code()&0xff == sqliteFull {
		return tack.Errorf(tack.EInsufficientStorage, "the server's disk is full: writes are refused until space is freed")
	}
	return err
}

// exec runs one write statement outside a transaction.
func (db *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if err := db.writable(); err != nil {
		return nil, err
	}
	res, err := db.w.ExecContext(ctx, q, args...)
	if err != nil {
		return nil, storageError(err)
	}
	db.committed()
	return res, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes the database, checkpointing the WAL.
func (db *DB) Close() error {
	db.stop.Do(func() { close(db.stopCk) })
	db.loops.Wait()
	db.stmts.close()
	db.closeCached()
	db.att.close()
	err0 := db.ck.Close()
	_, _ = db.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	err1 := db.r.Close()
	err2 := db.w.Close()
	return errors.Join(err0, err1, err2)
}

// Checkpoint folds the WAL into the main database file.
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// tx runs fn in a write transaction, committing if it returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := db.writable(); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", storageError(err))
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return storageError(err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", storageError(err))
	}
	db.committed()
	return nil
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return tack.ErrNotFound
	}
	return err
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// placeholders returns "?,?,?" for n.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

// Read statements are prepared once per query text and reused: parsing SQL
// was a fifth of the CPU of 10,000 clients resuming at once. The cache is
// bounded (queries with IN lists vary in length); past the bound, queries
// are prepared each time as before.
const maxCachedStatements = 512

func (db *DB) rstmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := db.rcache.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	if db.rcached.Load() >= maxCachedStatements {
		return nil, nil
	}
	st, err := db.r.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.rcache.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	db.rcached.Add(1)
	return st, nil
}

func (db *DB) rquery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := db.rstmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return db.r.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// errRow is a *sql.Row stand-in carrying a prepare error.
type rowScanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (db *DB) rqueryRow(ctx context.Context, q string, args ...any) rowScanner {
	st, err := db.rstmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	if st == nil {
		return db.r.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (db *DB) closeCached() {
	db.rcache.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
}

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
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/tackhq/tack"
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
}

// DB is a Tack database in one SQLite file. It implements account.Store and
// chat.Store. It is safe for concurrent use.
type DB struct {
	w  *sql.DB // one connection: every write
	r  *sql.DB // read-only pool
	ck *sql.DB // one connection: background checkpoints

	stopCk, ckDone chan struct{}
	stmts
	rcache  sync.Map // query text -> *sql.Stmt on r
	rcached atomic.Int64
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	sync := "NORMAL"
	if opt.Durable {
		sync = "FULL"
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "cache_size(-32000)")
	// Checkpoints run on a connection of their own (see checkpointLoop),
	// never inside a commit of the writer.
	q.Add("_pragma", "wal_autocheckpoint(0)")
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
	ck, err := sql.Open("sqlite", "file:"+path+"?"+cq.Encode())
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	db := &DB{w: w, r: r, ck: ck, stopCk: make(chan struct{}), ckDone: make(chan struct{})}
	if err := db.prepare(ctx); err != nil {
		close(db.stopCk)
		db.Close()
		return nil, err
	}
	go db.checkpointLoop()
	return db, nil
}

// checkpointLoop copies the WAL into the database file in the background,
// from its own connection, in PASSIVE mode: it never blocks the writer, so
// a commit never waits for the database file's fsync (with the default
// auto-checkpoint, every thousandth page written made one commit pay for a
// whole checkpoint). Durability is unchanged: a commit is durable once in
// the WAL.
func (db *DB) checkpointLoop() {
	defer close(db.ckDone)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-db.stopCk:
			return
		case <-t.C:
			var busy, log, done int
			_ = db.ck.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done)
		}
	}
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
	select {
	case <-db.stopCk:
	default:
		close(db.stopCk)
		<-db.ckDone
	}
	db.stmts.close()
	db.closeCached()
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
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
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

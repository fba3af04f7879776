// Package postgres implements Tack's stores on PostgreSQL (jackc/pgx, a
// connection pool), for deployments of several nodes. It behaves as package
// sqlite does (both pass package storetest) and its schema mirrors sqlite's.
//
// Several nodes may share one database and start at once: migrations run
// under a session-level advisory lock, so one node migrates and the others
// wait. The lock is keyed by the schema (the first of search_path), so
// deployments in different schemas of one database do not wait for each
// other. Put search_path in the connection string to use a schema other
// than public: postgres://host/db?search_path=tack.
//
// Sequence numbers are allocated by UPDATE ... RETURNING on the
// conversation row inside the transaction that stores the messages, which
// also locks the conversation; a batch touching several conversations locks
// them in ID order, so concurrent batches on any number of nodes cannot
// deadlock. A send retried on two nodes at once is kept once by the unique
// index on (sender_id, client_id); the loser's transaction is retried and
// then finds the original.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/tackhq/tack"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a Tack database on PostgreSQL. It implements account.Store and
// chat.Store. It is safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database at dsn (a postgres:// URL or key=value
// string, as pgx accepts), migrates it and returns it. Pool settings may be
// given in dsn (pool_max_conns=N, ...).
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{pool: pool}, nil
}

// Committers is how many group commits of sends the chat service may run
// at once (chat.Config.Committers): half the pool's connections, at least
// one and at most four, leaving the rest to reads. Each is a transaction
// of its own; PostgreSQL runs them side by side and flushes their commits
// to the WAL together.
func (db *DB) Committers() int {
	return min(4, max(1, int(db.pool.Config().MaxConns)/2))
}

// migrate brings the schema up to date under an advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: current schema: %w", err)
	}
	if schema == nil {
		return errors.New("postgres: search_path names no schema that exists; create it first")
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID(*schema)),
		lock.WithLockTimeout(1, 600), // poll each second, for up to ten minutes
	)
	if err != nil {
		return fmt.Errorf("postgres: migration lock: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, sub, goose.WithSessionLocker(locker),
		goose.WithGoMigrations(searchMigration, fileNamesMigration))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// lockID is the advisory lock key of migrations in schema.
func lockID(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("tack migrations " + schema))
	return int64(h.Sum64())
}

// Close closes every connection.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.pool.Ping(ctx)
}

// Pool returns the connection pool, for health checks and metrics.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// maxAttempts bounds how often a transaction is retried after a
// serialization failure, a deadlock or a duplicate client ID race.
const maxAttempts = 5

// tx runs fn in a transaction and commits it, retrying the whole
// transaction when it failed for a reason that a retry can cure.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 1; ; attempt++ {
		err = pgx.BeginFunc(ctx, db.pool, fn)
		if err == nil || attempt == maxAttempts || !retryable(err) || ctx.Err() != nil {
			return diskFull(err)
		}
		time.Sleep(time.Duration(attempt) * time.Millisecond)
	}
}

// retryable reports whether err is a transaction failure that may succeed
// when tried again: a serialization failure, a deadlock, or a unique
// violation of the client ID index (another node stored the same send a
// moment ago; the retry finds it).
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", "40P01":
		return true
	case "23505":
		return pe.ConstraintName == "messages_client"
	}
	return false
}

// diskFull reports PostgreSQL's "disk full" (SQLSTATE 53100) as the
// caller-facing insufficient_storage; the transaction was rolled back.
func diskFull(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "53100" {
		return tack.Errorf(tack.EInsufficientStorage, "the database server's disk is full: writes are refused until space is freed")
	}
	return err
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return tack.ErrNotFound
	}
	return err
}

func isUnique(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// ids converts IDs to strings, which pgx encodes as text[].
func ids[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, id := range list {
		out[i] = string(id)
	}
	return out
}

// utc returns t in UTC; pgx returns timestamptz in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

package org_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// newServer starts a test server on SQLite, or on PostgreSQL when
// TACK_TEST_POSTGRES names one (each server in a fresh schema): run the
// package once each way to check both stores.
func newServer(t testing.TB, opts ...tacktest.Option) *tacktest.Server {
	t.Helper()
	dsn := os.Getenv("TACK_TEST_POSTGRES")
	if dsn == "" {
		return tacktest.NewServer(t, opts...)
	}
	pgOnce.Do(func() { pgAdmin, pgErr = pgxpool.New(context.Background(), dsn) })
	if pgErr != nil {
		t.Fatalf("TACK_TEST_POSTGRES: %v", pgErr)
	}
	schema := "tack_org_" + string(tack.NewID())
	if _, err := pgAdmin.Exec(context.Background(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { pgAdmin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`) })
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	} else {
		dsn += " search_path=" + schema
	}
	return tacktest.NewServer(t, append(opts, tacktest.WithConfig(func(c *node.Config) { c.PostgresURL = dsn }))...)
}

var (
	pgOnce  sync.Once
	pgAdmin *pgxpool.Pool
	pgErr   error
)

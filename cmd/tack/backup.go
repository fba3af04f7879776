package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/tackhq/tack/backup"
	"github.com/tackhq/tack/sqlite"
)

func init() {
	extraCommands["backup"] = backupCmd
	extraCommands["restore"] = restoreCmd
}

// backupCmd: tack backup [--data DIR] FILE, an online backup of a server's
// data directory (the server may be running).
func backupCmd(args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	data := fs.String("data", envOr("TACK_DATA", "./tack-data"), "the server's data directory (env TACK_DATA)")
	db := fs.String("db", envOr("TACK_DB", ""), "a PostgreSQL server is backed up with pg_dump, not here (see docs/backup.md)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: tack backup [--data DIR] FILE\n\nWrites a consistent backup of the SQLite database and every file of the data\ndirectory (media, keys) to FILE ('-' for standard output), while the server runs.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	rest, err := parseMixed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if *db != "" {
		return errors.New("backup: with PostgreSQL, back up with pg_dump and your blob store's tools (docs/backup.md)")
	}
	if len(rest) != 1 {
		fs.Usage()
		return errors.New("backup: name one FILE")
	}
	dbPath := filepath.Join(*data, backup.DBName)
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("backup: no database in %s: %w", *data, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	snap := func(ctx context.Context, dst string) error { return sqlite.Snapshot(ctx, dbPath, dst) }
	if rest[0] == "-" {
		m, err := backup.Write(ctx, os.Stdout, *data, "", snap)
		if err == nil {
			fmt.Fprintf(os.Stderr, "backed up the database and %d files (%d bytes)\n", m.Files, m.Bytes)
		}
		return err
	}
	// Written beside FILE and renamed into place when complete: FILE is
	// either a whole backup or absent.
	out := rest[0]
	tmp, err := os.CreateTemp(filepath.Dir(out), ".tack-backup-*.tmp")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	m, err := backup.Write(ctx, tmp, *data, filepath.Dir(out), snap)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(os.Stderr, "backed up the database and %d files (%d bytes) to %s\n", m.Files, m.Bytes, out)
	return nil
}

// restoreCmd: tack restore FILE --data DIR, into an empty directory.
func restoreCmd(args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	data := fs.String("data", "", "an empty or new directory to restore into (required)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "usage: tack restore FILE --data DIR\n\nUnpacks a backup made by 'tack backup' into an empty directory and checks the\ndatabase; then 'tack serve --data DIR' serves it.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	rest, err := parseMixed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return err
	}
	if len(rest) != 1 || *data == "" {
		fs.Usage()
		return errors.New("restore: name one FILE and --data DIR")
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m, err := backup.Restore(ctx, f, *data, sqlite.Check)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "restored the backup of %s (the database and %d files) into %s\n", m.CreatedAt.Format("2006-01-02 15:04:05 MST"), m.Files, *data)
	return nil
}

package org_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/sqlite"
)

// TestImportChargedToMemoryBudget: what an import's rows hold is charged
// to the node's import memory: with a budget of 1 MiB a file whose rows
// hold more is refused as too large, and one that holds less is imported.
func TestImportChargedToMemoryBudget(t *testing.T) {
	c := context.Background()
	db, err := sqlite.Open(c, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := account.User{ID: tack.NewID(), Login: "mem@example.com", Name: "Mem", CreatedAt: time.Now()}
	if err := db.CreateUser(c, u, "x"); err != nil {
		t.Fatal(err)
	}
	svc := org.NewService(db, db, anyone{}, nil, nil, org.Config{ImportMemory: 1 << 20})
	me := tack.WithCaller(c, tack.Caller{UserID: u.ID})
	o, _, err := svc.Create(me, "Budget Co", "", "")
	if err != nil {
		t.Fatal(err)
	}
	table := func(rows int) org.Rows {
		tb := [][]string{{"name", "employee_no", "title"}}
		for i := range rows {
			tb = append(tb, []string{fmt.Sprint("Person ", i), fmt.Sprint("E", i), strings.Repeat("t", 60)})
		}
		return org.Table(tb)
	}
	// Each row holds its text (about 80 bytes) and its plan (more than
	// 100 bytes): 20000 rows hold more than 1 MiB; 100 far less.
	if _, err := svc.Import(me, o.ID, table(20000), org.ImportOptions{DryRun: true}); tack.ErrorCode(err) != tack.ETooLarge {
		t.Errorf("20000 rows with a budget of 1 MiB: %v, want %s", err, tack.ETooLarge)
	}
	if res, err := svc.Import(me, o.ID, table(100), org.ImportOptions{DryRun: true}); err != nil || res.Created != 100 {
		t.Errorf("100 rows with a budget of 1 MiB: %v %+v", err, res.Failed)
	}
}

package org_test

import (
	"fmt"
	"testing"

	"github.com/tackhq/tack/client"
)

// TestImportChangingNothingWritesNothing: importing a file whose every row
// is already as stated commits nothing: no write phase, no audit entry.
func TestImportChangingNothingWritesNothing(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	file := []byte("name,employee_no\nZed,Z1\nYan,Y1\n")
	must(w.owner.ImportMembers(ctx, oid, file, client.ImportOptions{}))
	imports := func() int {
		entries, _ := must2(w.owner.AuditLog(ctx, oid, "", 100))
		n := 0
		for _, e := range entries {
			if e.Action == "member.import" {
				n++
			}
		}
		return n
	}
	if n := imports(); n != 1 {
		t.Fatalf("audit entries after one import: %d", n)
	}
	var phases []string
	res := must(w.owner.ImportMembers(ctx, oid, file, client.ImportOptions{Progress: func(p client.ImportProgress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
	}}))
	if res.Unchanged != 2 || res.Created != 0 || res.Updated != 0 {
		t.Fatalf("the same file again: %+v", res)
	}
	if fmt.Sprint(phases) != "[upload check]" {
		t.Errorf("the same file again went through phases %v, want no write", phases)
	}
	if n := imports(); n != 1 {
		t.Errorf("an import that changed nothing was audited: %d entries", n)
	}
}

package org

import (
	"context"
	"fmt"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/tackhq/tack"
)

// Writing an import. A checked import is written in short transactions,
// each sized to take about ImportBatchTime, so that the one writer of an
// embedded database is free between them for everyone's messages: first
// the new departments, then the members (managers the import makes before
// the people who report to them; members who hand an employee number or
// email to one another in the same transaction), each with its invitation
// and the organisation-group changes it calls for. The audit entry goes
// with the first transaction. If the import stops half-way (the process
// ends, the database refuses a transaction), what was written stays, and
// running the same file again matches it and writes the rest.
//
// Imports hold memory while they run (the file, its rows, the plan), so
// only one runs per organisation, MaxImports per node, and together they
// hold at most ImportMemory bytes of rows (an import that would pass it
// is refused: tack.ETooLarge if it alone would, else tack.EUnavailable).

// Defaults for the import's limits.
const (
	DefaultMaxImports   = 4
	DefaultImportMemory = 24 << 20
	ImportBatchTime     = 15 * time.Millisecond
	minImportBatch      = 10
	maxImportBatch      = 1000
)

type importKey struct{}

// importSlot is one running import: its organisation, and the bytes it
// charged to the node's memory budget (the file, its rows, their problems).
type importSlot struct {
	orgID   tack.ID
	mu      sync.Mutex
	charged int64
}

// memoryBudget bounds what the imports running on a node hold together.
//
// While imports hold memory, it also asks the garbage collector to keep
// the process's Go memory within importHeadroom of what it was when the
// first of them started (a soft limit, debug.SetMemoryLimit, never above
// one the operator set), so that the collector's headroom over the rows
// and SQLite's page caches filling as they are written do not add up past
// the 64 MB an import may grow the server by (docs/orgs.md, memory). The
// limit the process had comes back when the last import lets go.
type memoryBudget struct {
	mu        sync.Mutex
	held, max int64
	prevLimit int64 // the memory limit before the first import held memory
}

// importHeadroom is how far above its Go memory before the first import
// the collector keeps the process while imports run: the budget's 24 MiB
// of rows, their parsing's garbage and the batches being written.
const importHeadroom = 40 << 20

// goMemory is the Go runtime's memory as its soft limit counts it.
func goMemory() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64()) - int64(s[1].Value.Uint64())
}

// take charges n more bytes to an import that holds mine already.
func (b *memoryBudget) take(n, mine int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case mine+n > b.max:
		return tack.Errorf(tack.ETooLarge, "the file holds more than one import may (%d MiB of member data): split it", b.max>>20)
	case b.held+n > b.max:
		return tack.Errorf(tack.EUnavailable, "the imports running on this server hold as much memory as they may; try again in a minute")
	}
	if b.held == 0 && n > 0 {
		b.prevLimit = debug.SetMemoryLimit(-1)
		if l := goMemory() + importHeadroom; l < b.prevLimit {
			debug.SetMemoryLimit(l)
		}
	}
	b.held += n
	return nil
}

func (b *memoryBudget) give(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n <= 0 {
		return
	}
	b.held -= n
	if b.held == 0 {
		debug.SetMemoryLimit(b.prevLimit)
	}
}

// ReserveImport checks that the caller may import into orgID (admins) and
// takes the organisation's import slot and one of the node's. It fails
// with tack.EConflict while another import into the organisation runs,
// and tack.EUnavailable while the node runs as many imports as it may.
// The returned context carries the reservation (Import then takes none of
// its own, and ChargeImport charges it); release frees it, with all it
// charged, and may be called more than once.
func (s *Service) ReserveImport(ctx context.Context, orgID tack.ID) (context.Context, func(), error) {
	if err := s.CanImport(ctx, orgID); err != nil {
		return nil, nil, err
	}
	s.importMu.Lock()
	if s.importing[orgID] {
		s.importMu.Unlock()
		return nil, nil, &tack.Error{Code: tack.EConflict, Field: "import",
			Message: "another import into this organisation is running; try again when it has finished"}
	}
	select {
	case s.importSlots <- struct{}{}:
	default:
		s.importMu.Unlock()
		return nil, nil, tack.Errorf(tack.EUnavailable, "this server is running as many imports as it may; try again in a minute")
	}
	s.importing[orgID] = true
	s.importMu.Unlock()
	slot := &importSlot{orgID: orgID}
	done := false
	release := func() {
		s.importMu.Lock()
		defer s.importMu.Unlock()
		if done {
			return
		}
		done = true
		delete(s.importing, orgID)
		<-s.importSlots
		slot.mu.Lock()
		s.importMemory.give(slot.charged)
		slot.charged = 0
		slot.mu.Unlock()
	}
	return context.WithValue(ctx, importKey{}, slot), release, nil
}

func reservedFor(ctx context.Context, orgID tack.ID) bool {
	slot, _ := ctx.Value(importKey{}).(*importSlot)
	return slot != nil && slot.orgID == orgID
}

// ChargeImport charges n bytes that the import reserved in ctx holds (its
// file, what the reader keeps of it) to the node's import memory budget;
// they are given back when the reservation is released. Errors:
// tack.ETooLarge when the import alone would pass the budget,
// tack.EUnavailable while other imports hold it.
func (s *Service) ChargeImport(ctx context.Context, n int64) error {
	slot, _ := ctx.Value(importKey{}).(*importSlot)
	if slot == nil {
		return fmt.Errorf("charge import: no import reserved")
	}
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if err := s.importMemory.take(n, slot.charged); err != nil {
		return err
	}
	slot.charged += n
	return nil
}

// writeImport writes a checked import in short transactions.
func (s *Service) writeImport(ctx context.Context, plan *importPlan, progress Progress) error {
	a := plan.a
	total := len(plan.order)
	written := 0
	auditDone := false
	applyTimed := func(b Batch) (time.Duration, error) {
		if !auditDone {
			b.Audit = append(b.Audit, plan.audit)
		}
		start := time.Now()
		if err := s.apply(ctx, b); err != nil {
			return 0, err
		}
		auditDone = true
		took := time.Since(start)
		s.emitImported(ctx, plan.orgID, a.me.UserID, b)
		return took, nil
	}
	stopped := func(err error) error {
		if auditDone {
			// Say in the log what the audit entry promised and what was
			// done; a re-run completes it.
			s.log.Warn("import stopped part-way; running the same file again completes it",
				"org", plan.orgID, "written", written, "of", total, "err", err)
		}
		return fmt.Errorf("import (%d of %d members written; run it again to complete it): %w", written, total, err)
	}
	// Departments, parents first.
	size := 100
	for rest := plan.newDepts; len(rest) > 0; {
		n := min(len(rest), size)
		d, err := applyTimed(Batch{Departments: rest[:n]})
		if err != nil {
			return stopped(err)
		}
		size = nextBatch(size, n, d)
		rest = rest[n:]
	}
	// Members, in the order checkImport chose.
	// Group membership is judged against the tree with the new
	// departments in it.
	tr, err := s.tree(ctx, a)
	if err != nil {
		return stopped(err)
	}
	if len(plan.newDepts) > 0 {
		all := make([]Department, 0, len(tr.byID)+len(plan.newDepts))
		for _, d := range tr.byID {
			all = append(all, *d)
		}
		tr = newTree(append(all, plan.newDepts...))
	}
	progress("write", 0, total)
	size = 50
	now := s.clock.Now()
	for i := 0; i < len(plan.order); {
		if err := ctx.Err(); err != nil {
			return stopped(err)
		}
		j := min(i+size, len(plan.order))
		for j < len(plan.order) && plan.rows.at(plan.order[j]).unit == plan.rows.at(plan.order[j-1]).unit {
			j++ // never split a unit
		}
		var b Batch
		var changed []Member
		for _, k := range plan.order[i:j] {
			p := plan.rows.at(k)
			m := p.member(plan.orgID, now)
			index(&m)
			b.Members = append(b.Members, m)
			if p.before != nil {
				changed = append(changed, m)
			} else if target := m.WorkEmail + m.Phone; target != "" {
				if m.WorkEmail != "" {
					target = m.WorkEmail
				}
				b.Invitations = append(b.Invitations, Invitation{Code: newCode(), OrgID: plan.orgID, CreatedBy: a.me.UserID,
					Departments: m.Departments, MemberID: m.ID, Target: target, MaxUses: 1,
					ExpiresAt: now.Add(MaxInviteHours * time.Hour), CreatedAt: now})
			}
		}
		if len(changed) > 0 {
			// Group membership follows moved members.
			if err := s.syncMembers(ctx, a, tr, &b, changed); err != nil {
				return stopped(err)
			}
		}
		d, err := applyTimed(b)
		if err != nil {
			return stopped(err)
		}
		written += j - i
		size = nextBatch(size, j-i, d)
		progress("write", written, total)
		i = j
	}
	if !auditDone {
		if _, err := applyTimed(Batch{}); err != nil {
			return stopped(err)
		}
	}
	return nil
}

// nextBatch sizes the next transaction from how long the last one took
// for n items: about ImportBatchTime, within bounds, growing at most
// twofold at a time.
func nextBatch(size, n int, took time.Duration) int {
	if took <= 0 {
		return min(size*2, maxImportBatch)
	}
	want := int(float64(n) * float64(ImportBatchTime) / float64(took))
	return max(minImportBatch, min(want, size*2, maxImportBatch))
}

package storetest

import (
	"context"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/leave"
)

// TestLeaveStore checks leave.Store. open returns an empty store.
// Decisions where the interface comments are silent:
//
//   - A balance inserted has Rev 1, and every update adds one.
//   - A failed batch (a stale revision, a used ledger key, a stale type
//     version) writes nothing of itself: no ledger line, no balance.
//   - Ledger IDs order lines (the Service makes them increasing).
func TestLeaveStore(t *testing.T, open func(t *testing.T) leave.Store) {
	ctx := context.Background()
	t.Run("Types", func(t *testing.T) {
		s := open(t)
		org := tack.NewID()
		ts, err := s.Types(ctx, org)
		must(t, "types", err)
		if len(ts) != 0 {
			t.Errorf("types of a new organisation: %v", ts)
		}
		ty := leave.Type{Key: "study", Name: "Study", Unit: leave.UnitDay, Counting: leave.WorkingDays, Enabled: true, Version: 1}
		must(t, "add", s.ApplyLeave(ctx, leave.Batch{Types: []leave.TypeWrite{{OrgID: org, Type: ty}}}))
		wantCode(t, "add twice", s.ApplyLeave(ctx, leave.Batch{Types: []leave.TypeWrite{{OrgID: org, Type: ty}}}), tack.EConflict)
		ty.Name, ty.Version = "Study leave", 2
		wantCode(t, "stale version", s.ApplyLeave(ctx, leave.Batch{Types: []leave.TypeWrite{{OrgID: org, Type: ty, PrevVersion: 5}}}), tack.EConflict)
		must(t, "update", s.ApplyLeave(ctx, leave.Batch{Types: []leave.TypeWrite{{OrgID: org, Type: ty, PrevVersion: 1}}}))
		ts, err = s.Types(ctx, org)
		must(t, "types", err)
		if len(ts) != 1 || ts[0].Name != "Study leave" || ts[0].Version != 2 {
			t.Errorf("types = %+v", ts)
		}
		if ts, _ := s.Types(ctx, tack.NewID()); len(ts) != 0 {
			t.Errorf("another organisation sees %v", ts)
		}
	})
	t.Run("BalancesAndLedger", func(t *testing.T) {
		s := open(t)
		org, user := tack.NewID(), tack.NewID()
		_, err := s.Balance(ctx, org, user, "annual")
		wantNotFound(t, "missing balance", err)
		at := now().UTC()
		line := func(key string, delta, bal leave.Amount) leave.Line {
			return leave.Line{ID: tack.NewID(), OrgID: org, UserID: user, LeaveType: "annual", Kind: leave.LineAdjust, Delta: delta, Balance: bal,
				Key: key, ActorID: tack.NewID(), Reason: "start", At: at}
		}
		b := leave.Balance{OrgID: org, UserID: user, LeaveType: "annual", Balance: 500, Carried: 100, CarryExpires: "2026-04-01", Through: "2026-03", UpdatedAt: at}
		must(t, "insert", s.ApplyLeave(ctx, leave.Batch{Writes: []leave.Write{{Balance: b, Lines: []leave.Line{line("adjust:1", 500, 500)}}}}))
		wantCode(t, "insert twice", s.ApplyLeave(ctx, leave.Batch{Writes: []leave.Write{{Balance: b}}}), tack.EConflict)
		got, err := s.Balance(ctx, org, user, "annual")
		must(t, "balance", err)
		if got.Balance != 500 || got.Carried != 100 || got.CarryExpires != "2026-04-01" || got.Through != "2026-03" || got.Rev != 1 {
			t.Errorf("balance = %+v", got)
		}
		sameTime(t, "updated_at", got.UpdatedAt, at)

		// A stale revision writes nothing, not even its lines.
		b.Balance = 400
		err = s.ApplyLeave(ctx, leave.Batch{Writes: []leave.Write{{Balance: b, PrevRev: 7, Lines: []leave.Line{line("deduct:x", -100, 400)}}}})
		wantCode(t, "stale revision", err, tack.EConflict)
		// A used key writes nothing, not even the balance.
		err = s.ApplyLeave(ctx, leave.Batch{Writes: []leave.Write{{Balance: b, PrevRev: 1, Lines: []leave.Line{line("adjust:1", -100, 400)}}}})
		wantCode(t, "used key", err, tack.EConflict)
		if got, _ := s.Balance(ctx, org, user, "annual"); got.Balance != 500 || got.Rev != 1 {
			t.Errorf("after failed writes: %+v", got)
		}
		must(t, "deduct", s.ApplyLeave(ctx, leave.Batch{Writes: []leave.Write{{Balance: b, PrevRev: 1, Lines: []leave.Line{line("deduct:x", -100, 400)}}}}))
		if got, _ := s.Balance(ctx, org, user, "annual"); got.Balance != 400 || got.Rev != 2 {
			t.Errorf("after deduct: %+v", got)
		}
		// Another type and the same key: a key is per type.
		b2 := leave.Balance{OrgID: org, UserID: user, LeaveType: "comp_time", Balance: -50, UpdatedAt: at}
		l2 := line("deduct:x", -50, -50)
		l2.LeaveType = "comp_time"
		must(t, "other type", s.ApplyLeave(ctx, leave.Batch{Writes: []leave.Write{{Balance: b2, Lines: []leave.Line{l2}}},
			Audit: []leave.Audit{{ID: tack.NewID(), OrgID: org, ActorID: user, Action: "x", Target: "y", At: at}}}))
		bs, err := s.Balances(ctx, org, user)
		must(t, "balances", err)
		if len(bs) != 2 || bs[0].LeaveType != "annual" || bs[1].LeaveType != "comp_time" || bs[1].Balance != -50 {
			t.Errorf("balances = %+v", bs)
		}
		ls, err := s.Ledger(ctx, org, user, "", "", 10)
		must(t, "ledger", err)
		if len(ls) != 3 || ls[0].LeaveType != "comp_time" || ls[2].Key != "adjust:1" || ls[2].Reason != "start" || ls[1].Delta != -100 {
			t.Errorf("ledger = %+v", ls)
		}
		ls, _ = s.Ledger(ctx, org, user, "annual", "", 10)
		if len(ls) != 2 {
			t.Errorf("annual ledger = %+v", ls)
		}
		ls, _ = s.Ledger(ctx, org, user, "annual", ls[0].ID, 10)
		if len(ls) != 1 || ls[0].Key != "adjust:1" {
			t.Errorf("ledger page = %+v", ls)
		}
		if ls, _ := s.Ledger(ctx, org, tack.NewID(), "", "", 10); len(ls) != 0 {
			t.Errorf("another user's ledger: %v", ls)
		}
	})
}

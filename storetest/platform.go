package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/platform"
)

// TestPlatformStore checks a platform.Store against the contracts of its
// doc comments. Decisions where they are silent: robots and apps come back
// with their secrets (TokenHash, Secret, SecretHash, CallbackSecret);
// times in UTC to the microsecond.
func TestPlatformStore(t *testing.T, open func(t *testing.T) platform.Store) {
	ctx := context.Background()
	t.Run("robots", func(t *testing.T) {
		s := open(t)
		conv := tack.NewID()
		r := platform.Robot{ID: tack.NewID(), ConversationID: conv, Name: "CI", BotID: tack.NewID(), TokenHash: "h1", Secret: "SEC1",
			Keywords: []string{"build"}, Addresses: []string{"10.0.0.0/8"}, Signed: true, CreatedBy: tack.NewID(), CreatedAt: now()}
		if err := s.CreateRobot(ctx, r); err != nil {
			t.Fatal(err)
		}
		dup := r
		dup.ID = tack.NewID()
		if err := s.CreateRobot(ctx, dup); tack.ErrorCode(err) != tack.EConflict {
			t.Fatalf("same token hash: %v", err)
		}
		got, err := s.RobotByToken(ctx, "h1")
		if err != nil || got.ID != r.ID || got.Secret != "SEC1" || got.TokenHash != "h1" || !got.Signed || len(got.Keywords) != 1 ||
			!got.CreatedAt.Equal(r.CreatedAt) || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("by token: %+v %v", got, err)
		}
		r2 := r
		r2.ID, r2.TokenHash, r2.CreatedAt = tack.NewID(), "h2", now()
		if err := s.CreateRobot(ctx, r2); err != nil {
			t.Fatal(err)
		}
		if out, err := s.OutgoingRobots(ctx); err != nil || len(out) != 0 {
			t.Fatalf("outgoing robots before any: %v %v", out, err)
		}
		r2.OutgoingURL = "https://bot.example/hook"
		if err := s.UpdateRobot(ctx, r2); err != nil {
			t.Fatal(err)
		}
		if out, err := s.OutgoingRobots(ctx); err != nil || len(out) != 1 || out[0].ID != r2.ID || out[0].OutgoingURL != r2.OutgoingURL {
			t.Fatalf("outgoing robots: %v %v", out, err)
		}
		list, err := s.Robots(ctx, conv)
		if err != nil || len(list) != 2 || list[0].ID != r.ID || list[1].ID != r2.ID {
			t.Fatalf("robots: %+v %v", list, err)
		}
		r.TokenHash, r.Name = "h3", "Deploy"
		if err := s.UpdateRobot(ctx, r); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RobotByToken(ctx, "h1"); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("old token still works: %v", err)
		}
		if got, err := s.Robot(ctx, r.ID); err != nil || got.Name != "Deploy" || got.TokenHash != "h3" {
			t.Fatalf("updated: %+v %v", got, err)
		}
		if err := s.DeleteRobot(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRobot(ctx, r.ID); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if _, err := s.Robot(ctx, r.ID); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("deleted robot: %v", err)
		}
		if err := s.UpdateRobot(ctx, r); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("update deleted robot: %v", err)
		}
	})
	t.Run("apps and tokens", func(t *testing.T) {
		s := open(t)
		org := tack.NewID()
		a := platform.App{ID: tack.NewID(), OrgID: org, Name: "HR", ClientID: "c" + string(tack.NewID()), SecretHash: "sh", Scopes: []string{platform.ScopeDirectoryRead},
			BotID: tack.NewID(), CallbackURL: "https://hr.example/cb", CallbackSecret: "cs", Events: []string{platform.EventMessage}, CreatedAt: now()}
		if err := s.CreateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
		b := a
		b.ID, b.Events, b.CreatedAt = tack.NewID(), []string{platform.EventApproval}, now()
		if err := s.CreateApp(ctx, b); tack.ErrorCode(err) != tack.EConflict {
			t.Fatalf("same client ID: %v", err)
		}
		b.ClientID = "c" + string(tack.NewID())
		if err := s.CreateApp(ctx, b); err != nil {
			t.Fatal(err)
		}
		got, err := s.AppByClient(ctx, a.ClientID)
		if err != nil || got.ID != a.ID || got.SecretHash != "sh" || got.CallbackSecret != "cs" || got.CallbackURL != a.CallbackURL {
			t.Fatalf("by client: %+v %v", got, err)
		}
		if list, err := s.Apps(ctx, org); err != nil || len(list) != 2 || list[0].ID != a.ID {
			t.Fatalf("apps: %+v %v", list, err)
		}
		if list, err := s.Apps(ctx, tack.NewID()); err != nil || len(list) != 0 {
			t.Fatalf("another organisation's apps: %+v %v", list, err)
		}
		if list, err := s.AppsFor(ctx, org, platform.EventMessage); err != nil || len(list) != 1 || list[0].ID != a.ID {
			t.Fatalf("apps for message: %+v %v", list, err)
		}
		if list, err := s.AppsSubscribed(ctx, platform.EventApproval); err != nil || len(list) != 1 || list[0].ID != b.ID {
			t.Fatalf("apps subscribed to approvals: %+v %v", list, err)
		}
		a.Scopes = []string{platform.ScopeChatWrite}
		if err := s.UpdateApp(ctx, a); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.App(ctx, a.ID); len(got.Scopes) != 1 || got.Scopes[0] != platform.ScopeChatWrite {
			t.Fatalf("updated scopes: %+v", got)
		}
		exp := now().Add(time.Hour)
		tok := platform.Token{Hash: "t1", AppID: a.ID, OrgID: org, Scopes: []string{platform.ScopeChatWrite}, ExpiresAt: exp}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Token(ctx, "t1"); err != nil || got.AppID != a.ID || !got.ExpiresAt.Equal(exp) || len(got.Scopes) != 1 {
			t.Fatalf("token: %+v %v", got, err)
		}
		old := platform.Token{Hash: "t0", AppID: b.ID, OrgID: org, Scopes: []string{}, ExpiresAt: now().Add(-2 * time.Hour)}
		if err := s.CreateToken(ctx, old); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteExpiredTokens(ctx, now().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Token(ctx, "t0"); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("expired token kept: %v", err)
		}
		if _, err := s.Token(ctx, "t1"); err != nil {
			t.Fatalf("live token removed: %v", err)
		}
		if err := s.DeleteTokens(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Token(ctx, "t1"); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("revoked token: %v", err)
		}
		for i := range 3 {
			if err := s.AddCall(ctx, platform.Call{AppID: a.ID, At: now(), Method: "GET", Path: "/p", Status: 200 + i}); err != nil {
				t.Fatal(err)
			}
		}
		if calls, err := s.Calls(ctx, a.ID, 2); err != nil || len(calls) != 2 || calls[0].Status != 202 {
			t.Fatalf("calls: %+v %v", calls, err)
		}
		if err := s.DeleteApp(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.App(ctx, a.ID); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("deleted app: %v", err)
		}
		if calls, _ := s.Calls(ctx, a.ID, 10); len(calls) != 0 {
			t.Fatalf("calls of a deleted app: %d", len(calls))
		}
		if err := s.DeleteApp(ctx, a.ID); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
	t.Run("deliveries", func(t *testing.T) {
		s := open(t)
		app, org := tack.NewID(), tack.NewID()
		t0 := now()
		mk := func(key string, at time.Time) platform.Delivery {
			return platform.Delivery{ID: tack.NewID(), AppID: app, OrgID: org, EventID: tack.NewID(), Event: platform.EventMessage, Key: key,
				Body: json.RawMessage(`{"x":1}`), State: platform.Pending, NextAt: at, CreatedAt: now()}
		}
		a1, a2, b1, free := mk("a", t0), mk("a", t0), mk("b", t0.Add(time.Hour)), mk("", t0)
		if err := s.AddDeliveries(ctx, []platform.Delivery{a1, a2, b1, free}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddDeliveries(ctx, []platform.Delivery{mk("c", t0), a1}); tack.ErrorCode(err) != tack.EConflict {
			t.Fatalf("a batch with a duplicate: %v", err)
		}
		if list, _ := s.Deliveries(ctx, app, "", "", 10); len(list) != 4 {
			t.Fatalf("a failed batch stored %d", len(list)-4)
		}
		at := t0.Add(time.Minute)
		got, err := s.ClaimDeliveries(ctx, "n1", "", at, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		// a2 waits for a1 (same key); b1 is not due.
		if ids := deliveryIDs(got); len(ids) != 2 || !ids[a1.ID] || !ids[free.ID] {
			t.Fatalf("claimed %v", ids)
		}
		if got[0].Key == "a" && string(got[0].Body) != `{"x":1}` {
			t.Fatalf("body %s", got[0].Body)
		}
		if again, _ := s.ClaimDeliveries(ctx, "n2", "", at, time.Minute, 10); len(again) != 0 {
			t.Fatalf("leased deliveries claimed again: %v", deliveryIDs(again))
		}
		if err := s.FinishDelivery(ctx, a1.ID, "n2", platform.Outcome{State: platform.Delivered, At: at}); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("finish by another owner: %v", err)
		}
		if err := s.FinishDelivery(ctx, a1.ID, "n1", platform.Outcome{State: platform.Pending, NextAt: at.Add(time.Second), LastStatus: 500, LastError: "HTTP 500", At: at}); err != nil {
			t.Fatal(err)
		}
		d, err := s.Delivery(ctx, a1.ID)
		if err != nil || d.Attempts != 1 || d.State != platform.Pending || d.LastStatus != 500 || !d.NextAt.Equal(at.Add(time.Second)) {
			t.Fatalf("after a failure: %+v %v", d, err)
		}
		// An expired lease is free again: free was leased until at+1m.
		later := at.Add(2 * time.Minute)
		got, _ = s.ClaimDeliveries(ctx, "n2", "", later, time.Minute, 10)
		if ids := deliveryIDs(got); len(ids) != 2 || !ids[a1.ID] || !ids[free.ID] {
			t.Fatalf("claimed after the lease ran out: %v", ids)
		}
		if err := s.FinishDelivery(ctx, free.ID, "n1", platform.Outcome{State: platform.Delivered, At: later}); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("finish by the owner of an expired lease: %v", err)
		}
		if err := s.FinishDelivery(ctx, a1.ID, "n2", platform.Outcome{State: platform.Delivered, At: later}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDelivery(ctx, free.ID, "n2", platform.Outcome{State: platform.Dead, LastError: "gone", At: later}); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.Delivery(ctx, a1.ID); d.State != platform.Delivered || d.DoneAt == nil || d.Attempts != 2 {
			t.Fatalf("delivered: %+v", d)
		}
		// Now a2 is the oldest pending of key a.
		got, _ = s.ClaimDeliveries(ctx, "n1", "", later, time.Minute, 10)
		if ids := deliveryIDs(got); len(ids) != 1 || !ids[a2.ID] {
			t.Fatalf("next of key a: %v", ids)
		}
		// Stream deliveries are claimed by their app's stream only.
		st := mk("", t0)
		st.Stream = true
		if err := s.AddDeliveries(ctx, []platform.Delivery{st}); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ClaimDeliveries(ctx, "n1", "", later, time.Minute, 10); len(got) != 0 {
			t.Fatalf("the callback worker claimed %v", deliveryIDs(got))
		}
		if got, _ := s.ClaimDeliveries(ctx, "ws", tack.NewID(), later, time.Minute, 10); len(got) != 0 {
			t.Fatalf("another app's stream claimed %v", deliveryIDs(got))
		}
		if got, _ := s.ClaimDeliveries(ctx, "ws", app, later, time.Minute, 10); len(got) != 1 || got[0].ID != st.ID || !got[0].Stream {
			t.Fatalf("the app's stream claimed %v", deliveryIDs(got))
		}
		if err := s.FinishDelivery(ctx, st.ID, "ws", platform.Outcome{State: platform.Delivered, At: later}); err != nil {
			t.Fatal(err)
		}
		if dead, _ := s.Deliveries(ctx, app, platform.Dead, "", 10); len(dead) != 1 || dead[0].ID != free.ID {
			t.Fatalf("dead letters: %v", dead)
		}
		if err := s.ReplayDelivery(ctx, free.ID, later); err != nil {
			t.Fatal(err)
		}
		if d, _ := s.Delivery(ctx, free.ID); d.State != platform.Pending || d.Attempts != 0 || !d.NextAt.Equal(later) {
			t.Fatalf("replayed: %+v", d)
		}
		if err := s.ReplayDelivery(ctx, tack.NewID(), later); !errors.Is(err, tack.ErrNotFound) {
			t.Fatalf("replay of nothing: %v", err)
		}
		all, _ := s.Deliveries(ctx, app, "", "", 10)
		if len(all) != 5 || all[1].ID != free.ID {
			t.Fatalf("newest first: %v", all)
		}
		if page, _ := s.Deliveries(ctx, app, "", all[2].ID, 10); len(page) != 2 {
			t.Fatalf("before: %d", len(page))
		}
		// Prune removes what was delivered before the time, nothing else.
		if err := s.Prune(ctx, later); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Deliveries(ctx, app, "", "", 10); len(n) != 5 {
			t.Fatalf("pruned at the delivery time: %d left", len(n))
		}
		if err := s.Prune(ctx, later.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Deliveries(ctx, app, platform.Delivered, "", 10); len(n) != 0 {
			t.Fatalf("delivered after pruning: %d", len(n))
		}
		if n, _ := s.Deliveries(ctx, app, "", "", 10); len(n) != 3 {
			t.Fatalf("left after pruning: %d, want the pending, replayed and leased ones", len(n))
		}
	})
	t.Run("claims never overlap", func(t *testing.T) {
		s := open(t)
		app := tack.NewID()
		var ds []platform.Delivery
		t0 := now()
		for range 40 {
			ds = append(ds, platform.Delivery{ID: tack.NewID(), AppID: app, OrgID: tack.NewID(), EventID: tack.NewID(), Event: "test",
				Body: json.RawMessage(`{}`), State: platform.Pending, NextAt: t0, CreatedAt: t0})
		}
		if err := s.AddDeliveries(ctx, ds); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[tack.ID]int{}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					got, err := s.ClaimDeliveries(ctx, string(rune('a'+w)), "", t0, time.Hour, 3)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, d := range got {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 40 {
			t.Errorf("%d of 40 claimed", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s claimed %d times", id, n)
			}
		}
	})
	t.Run("modules", func(t *testing.T) {
		s := open(t)
		org := tack.NewID()
		if off, err := s.ModulesOff(ctx, org); err != nil || len(off) != 0 {
			t.Fatalf("fresh: %v %v", off, err)
		}
		if err := s.SetModules(ctx, org, map[string]bool{platform.ModDing: false, platform.ModApps: false, platform.ModRobots: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetModules(ctx, org, map[string]bool{platform.ModDing: false}); err != nil {
			t.Fatal(err)
		}
		if off, _ := s.ModulesOff(ctx, org); len(off) != 2 || off[0] != platform.ModApps || off[1] != platform.ModDing {
			t.Fatalf("off: %v", off)
		}
		if off, _ := s.ModulesOff(ctx, tack.NewID()); len(off) != 0 {
			t.Fatalf("another organisation: %v", off)
		}
		if err := s.SetModules(ctx, org, map[string]bool{platform.ModApps: true}); err != nil {
			t.Fatal(err)
		}
		if off, _ := s.ModulesOff(ctx, org); len(off) != 1 || off[0] != platform.ModDing {
			t.Fatalf("off after turning apps on: %v", off)
		}
	})
}

func deliveryIDs(ds []platform.Delivery) map[tack.ID]bool {
	m := map[tack.ID]bool{}
	for _, d := range ds {
		m[d.ID] = true
	}
	return m
}

package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/push"
)

// TestPushStore runs the push.Store conformance tests. open must return a
// new, empty store for each call (the account store holds the users and
// sessions that subscriptions belong to).
//
// Decisions where push.Store's comments are silent: subscription times come
// back in UTC at microsecond precision; a zero ExpiresAt stays zero.
func TestPushStore(t *testing.T, open func(t *testing.T) (account.Store, push.Store)) {
	tests := []struct {
		name string
		fn   func(*testing.T, account.Store, push.Store)
	}{
		{"VAPIDKeys", testVAPIDKeys},
		{"VAPIDKeysRace", testVAPIDKeysRace},
		{"SubscriptionRoundTrip", testSubscriptionRoundTrip},
		{"SubscriptionReplaced", testSubscriptionReplaced},
		{"DeleteSubscription", testDeleteSubscription},
		{"SubscriptionGoesWithSession", testSubscriptionGoesWithSession},
		{"PushSettings", testPushSettings},
		{"PushTargetsMany", testPushTargetsMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as, ps := open(t)
			tt.fn(t, as, ps)
		})
	}
}

func testKeys(t *testing.T) push.Keys {
	t.Helper()
	k, err := push.NewKeys()
	must(t, "NewKeys", err)
	return k
}

func testVAPIDKeys(t *testing.T, _ account.Store, ps push.Store) {
	ctx := context.Background()
	first, second := testKeys(t), testKeys(t)
	got, err := ps.VAPIDKeys(ctx, first)
	must(t, "VAPIDKeys", err)
	if got != first {
		t.Fatalf("VAPIDKeys on an empty store = %+v, want the candidate", got.Public)
	}
	got, err = ps.VAPIDKeys(ctx, second)
	must(t, "VAPIDKeys", err)
	if got != first {
		t.Errorf("VAPIDKeys with a stored pair returned public key %s, want the stored %s", got.Public, first.Public)
	}
}

// testVAPIDKeysRace: nodes starting together, each with its own candidate,
// all end up with one pair.
func testVAPIDKeysRace(t *testing.T, _ account.Store, ps push.Store) {
	const n = 8
	cands := make([]push.Keys, n)
	for i := range cands {
		cands[i] = testKeys(t)
	}
	got := make([]push.Keys, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got[i], errs[i] = ps.VAPIDKeys(context.Background(), cands[i])
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		must(t, fmt.Sprintf("VAPIDKeys #%d", i), errs[i])
		if got[i] != got[0] {
			t.Errorf("VAPIDKeys #%d = %s, #0 = %s: concurrent first starts disagree", i, got[i].Public, got[0].Public)
		}
	}
	found := false
	for _, c := range cands {
		found = found || c == got[0]
	}
	if !found {
		t.Errorf("the agreed pair %s is none of the candidates", got[0].Public)
	}
}

func newSubscription(userID, sessionID tack.ID, endpoint string) push.Subscription {
	return push.Subscription{UserID: userID, SessionID: sessionID, Endpoint: endpoint,
		P256dh: "BP" + string(tack.NewID()), Auth: "auth-" + string(tack.NewID()), CreatedAt: now()}
}

func targetsOf(t *testing.T, ps push.Store, users ...tack.ID) map[string]push.Target {
	t.Helper()
	list, err := ps.PushTargets(context.Background(), users)
	must(t, "PushTargets", err)
	out := make(map[string]push.Target, len(list))
	for _, tg := range list {
		if _, dup := out[tg.Endpoint]; dup {
			t.Errorf("PushTargets lists %s twice", tg.Endpoint)
		}
		out[tg.Endpoint] = tg
	}
	return out
}

func sameSubscription(t *testing.T, what string, got push.Target, want push.Subscription) {
	t.Helper()
	if got.UserID != want.UserID || got.SessionID != want.SessionID || got.Endpoint != want.Endpoint ||
		got.P256dh != want.P256dh || got.Auth != want.Auth {
		t.Errorf("%s = %+v, want %+v", what, got.Subscription, want)
	}
	sameTime(t, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
	if want.ExpiresAt.IsZero() {
		if !got.ExpiresAt.IsZero() {
			t.Errorf("%s.ExpiresAt = %v, want zero", what, got.ExpiresAt)
		}
	} else {
		sameTime(t, what+".ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	}
}

func testSubscriptionRoundTrip(t *testing.T, as account.Store, ps push.Store) {
	ctx := context.Background()
	a, b := newUser(t, as, "甲"), newUser(t, as, "乙")
	sa1, sa2, sb := newSession(t, as, a.ID), newSession(t, as, a.ID), newSession(t, as, b.ID)
	s1 := newSubscription(a.ID, sa1.ID, "https://push.example.com/send/"+string(tack.NewID()))
	s2 := newSubscription(a.ID, sa2.ID, "https://push.example.net/"+string(tack.NewID())+"?x=1")
	s2.ExpiresAt = now().Add(48 * time.Hour)
	s3 := newSubscription(b.ID, sb.ID, "https://push.example.com/send/"+string(tack.NewID()))
	for _, s := range []push.Subscription{s1, s2, s3} {
		must(t, "SaveSubscription", ps.SaveSubscription(ctx, s))
	}
	got := targetsOf(t, ps, a.ID)
	if len(got) != 2 {
		t.Fatalf("PushTargets(a) has %d subscriptions, want 2", len(got))
	}
	sameSubscription(t, "s1", got[s1.Endpoint], s1)
	sameSubscription(t, "s2", got[s2.Endpoint], s2)
	if got[s1.Endpoint].Previews {
		t.Error("Previews is on without settings, want off")
	}
	if got := targetsOf(t, ps, a.ID, b.ID, tack.NewID()); len(got) != 3 {
		t.Errorf("PushTargets(a, b, unknown) has %d subscriptions, want 3", len(got))
	}
	if got := targetsOf(t, ps); len(got) != 0 {
		t.Errorf("PushTargets() = %v, want none", got)
	}
	err := ps.SaveSubscription(ctx, newSubscription(a.ID, tack.NewID(), "https://push.example.com/nosession"))
	if err == nil {
		t.Error("SaveSubscription for a session that does not exist succeeded")
	}
}

// testSubscriptionReplaced: an endpoint belongs to one session and a
// session has one subscription.
func testSubscriptionReplaced(t *testing.T, as account.Store, ps push.Store) {
	ctx := context.Background()
	a, b := newUser(t, as, "A"), newUser(t, as, "B")
	sa, sb := newSession(t, as, a.ID), newSession(t, as, b.ID)
	endpoint := "https://push.example.com/shared/" + string(tack.NewID())
	must(t, "SaveSubscription a", ps.SaveSubscription(ctx, newSubscription(a.ID, sa.ID, endpoint)))
	// b signs in on the same browser, which subscribes with the same endpoint.
	nb := newSubscription(b.ID, sb.ID, endpoint)
	must(t, "SaveSubscription b", ps.SaveSubscription(ctx, nb))
	if got := targetsOf(t, ps, a.ID); len(got) != 0 {
		t.Errorf("a keeps %d subscriptions after b took the endpoint, want 0", len(got))
	}
	got := targetsOf(t, ps, b.ID)
	sameSubscription(t, "b's", got[endpoint], nb)
	// The browser's subscription changes: the session's old one is replaced.
	renewed := newSubscription(b.ID, sb.ID, "https://push.example.com/renewed/"+string(tack.NewID()))
	must(t, "SaveSubscription renewed", ps.SaveSubscription(ctx, renewed))
	got = targetsOf(t, ps, a.ID, b.ID)
	if len(got) != 1 {
		t.Fatalf("after renewal %d subscriptions, want 1", len(got))
	}
	sameSubscription(t, "renewed", got[renewed.Endpoint], renewed)
	// Saving the same again is fine.
	must(t, "SaveSubscription again", ps.SaveSubscription(ctx, renewed))
	if got := targetsOf(t, ps, b.ID); len(got) != 1 {
		t.Errorf("after saving twice %d subscriptions, want 1", len(got))
	}
}

func testDeleteSubscription(t *testing.T, as account.Store, ps push.Store) {
	ctx := context.Background()
	a, b := newUser(t, as, "A"), newUser(t, as, "B")
	sa := newSession(t, as, a.ID)
	s := newSubscription(a.ID, sa.ID, "https://push.example.com/"+string(tack.NewID()))
	must(t, "SaveSubscription", ps.SaveSubscription(ctx, s))
	wantNotFound(t, "DeleteSubscription by someone else", ps.DeleteSubscription(ctx, b.ID, s.Endpoint))
	wantNotFound(t, "DeleteSubscription of an unknown endpoint", ps.DeleteSubscription(ctx, a.ID, s.Endpoint+"x"))
	if got := targetsOf(t, ps, a.ID); len(got) != 1 {
		t.Fatalf("failed deletes removed the subscription")
	}
	must(t, "DeleteSubscription", ps.DeleteSubscription(ctx, a.ID, s.Endpoint))
	if got := targetsOf(t, ps, a.ID); len(got) != 0 {
		t.Errorf("after DeleteSubscription %d remain", len(got))
	}
	wantNotFound(t, "DeleteSubscription twice", ps.DeleteSubscription(ctx, a.ID, s.Endpoint))

	s2 := newSubscription(a.ID, sa.ID, "https://push.example.com/"+string(tack.NewID()))
	must(t, "SaveSubscription", ps.SaveSubscription(ctx, s2))
	must(t, "DeleteEndpoint", ps.DeleteEndpoint(ctx, s2.Endpoint))
	if got := targetsOf(t, ps, a.ID); len(got) != 0 {
		t.Errorf("after DeleteEndpoint %d remain", len(got))
	}
	must(t, "DeleteEndpoint of nothing", ps.DeleteEndpoint(ctx, s2.Endpoint))
}

// testSubscriptionGoesWithSession: signing out (deleting the session)
// removes the session's subscription, and only that one.
func testSubscriptionGoesWithSession(t *testing.T, as account.Store, ps push.Store) {
	ctx := context.Background()
	a := newUser(t, as, "A")
	phone, laptop := newSession(t, as, a.ID), newSession(t, as, a.ID)
	sp := newSubscription(a.ID, phone.ID, "https://push.example.com/phone/"+string(tack.NewID()))
	sl := newSubscription(a.ID, laptop.ID, "https://push.example.com/laptop/"+string(tack.NewID()))
	must(t, "SaveSubscription", ps.SaveSubscription(ctx, sp))
	must(t, "SaveSubscription", ps.SaveSubscription(ctx, sl))
	must(t, "DeleteSession", as.DeleteSession(ctx, a.ID, phone.ID))
	got := targetsOf(t, ps, a.ID)
	if _, ok := got[sp.Endpoint]; ok {
		t.Error("the signed-out session's subscription remains")
	}
	if _, ok := got[sl.Endpoint]; !ok {
		t.Error("the other session's subscription went too")
	}
}

func testPushSettings(t *testing.T, as account.Store, ps push.Store) {
	ctx := context.Background()
	a := newUser(t, as, "A")
	got, err := ps.PushSettings(ctx, a.ID)
	must(t, "PushSettings", err)
	if got.Previews {
		t.Error("Previews on by default")
	}
	got, err = ps.PushSettings(ctx, tack.NewID())
	must(t, "PushSettings of an unknown user", err)
	if got != (push.Settings{}) {
		t.Errorf("PushSettings of an unknown user = %+v, want zero", got)
	}
	s := newSubscription(a.ID, newSession(t, as, a.ID).ID, "https://push.example.com/"+string(tack.NewID()))
	must(t, "SaveSubscription", ps.SaveSubscription(ctx, s))
	for _, on := range []bool{true, false, true} {
		must(t, "SetPushSettings", ps.SetPushSettings(ctx, a.ID, push.Settings{Previews: on}))
		got, err := ps.PushSettings(ctx, a.ID)
		must(t, "PushSettings", err)
		if got.Previews != on {
			t.Errorf("Previews = %v after setting %v", got.Previews, on)
		}
		if tg := targetsOf(t, ps, a.ID)[s.Endpoint]; tg.Previews != on {
			t.Errorf("PushTargets Previews = %v after setting %v", tg.Previews, on)
		}
	}
}

// testPushTargetsMany: more users than one IN list takes.
func testPushTargetsMany(t *testing.T, as account.Store, ps push.Store) {
	ctx := context.Background()
	a, b := newUser(t, as, "A"), newUser(t, as, "B")
	for _, u := range []account.User{a, b} {
		must(t, "SaveSubscription", ps.SaveSubscription(ctx, newSubscription(u.ID, newSession(t, as, u.ID).ID,
			"https://push.example.com/"+string(tack.NewID()))))
	}
	users := append(manyIDs(700), a.ID)
	users = append(users, manyIDs(700)...)
	users = append(users, b.ID)
	if got := targetsOf(t, ps, users...); len(got) != 2 {
		t.Errorf("PushTargets of 1402 IDs found %d subscriptions, want 2", len(got))
	}
}

// CertCache is the ACME certificate cache a node keeps in its database
// (for tack serve --domain).
type CertCache interface {
	ACMEGet(ctx context.Context, key string) ([]byte, error)
	ACMEPut(ctx context.Context, key string, data []byte) error
	ACMEDelete(ctx context.Context, key string) error
}

// TestCertCache checks a CertCache: a missing key is tack.ErrNotFound, a
// put replaces, a delete of nothing is no error.
func TestCertCache(t *testing.T, open func(t *testing.T) CertCache) {
	ctx := context.Background()
	c := open(t)
	_, err := c.ACMEGet(ctx, "chat.example.com")
	wantNotFound(t, "ACMEGet of nothing", err)
	first := []byte("-----BEGIN EC PRIVATE KEY-----\x00\xff binary")
	must(t, "ACMEPut", c.ACMEPut(ctx, "chat.example.com", first))
	got, err := c.ACMEGet(ctx, "chat.example.com")
	must(t, "ACMEGet", err)
	if !bytes.Equal(got, first) {
		t.Errorf("ACMEGet = %q, want %q", got, first)
	}
	must(t, "ACMEPut again", c.ACMEPut(ctx, "chat.example.com", []byte("second")))
	if got, _ := c.ACMEGet(ctx, "chat.example.com"); string(got) != "second" {
		t.Errorf("ACMEGet after a second put = %q", got)
	}
	must(t, "ACMEPut other", c.ACMEPut(ctx, "acme_account+key", []byte("k")))
	must(t, "ACMEDelete", c.ACMEDelete(ctx, "chat.example.com"))
	_, err = c.ACMEGet(ctx, "chat.example.com")
	wantNotFound(t, "ACMEGet after delete", err)
	must(t, "ACMEDelete of nothing", c.ACMEDelete(ctx, "chat.example.com"))
	if got, _ := c.ACMEGet(ctx, "acme_account+key"); string(got) != "k" {
		t.Errorf("ACMEDelete deleted another key")
	}
}

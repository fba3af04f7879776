package platform

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// eventStore keeps apps, deliveries and the switchboard in memory.
type eventStore struct {
	memStore
	emu  sync.Mutex
	apps []App
	ds   []Delivery
	off  map[tack.ID][]string
}

func (m *eventStore) AppsFor(_ context.Context, org tack.ID, event string) (out []App, _ error) {
	m.emu.Lock()
	defer m.emu.Unlock()
	for _, a := range m.apps {
		if a.OrgID == org && slices.Contains(a.Events, event) {
			out = append(out, a)
		}
	}
	return out, nil
}
func (m *eventStore) AppsSubscribed(_ context.Context, event string) (out []App, _ error) {
	m.emu.Lock()
	defer m.emu.Unlock()
	for _, a := range m.apps {
		if slices.Contains(a.Events, event) {
			out = append(out, a)
		}
	}
	return out, nil
}
func (m *eventStore) AddDeliveries(_ context.Context, ds []Delivery) error {
	m.emu.Lock()
	defer m.emu.Unlock()
	m.ds = append(m.ds, ds...)
	return nil
}
func (m *eventStore) ModulesOff(_ context.Context, org tack.ID) ([]string, error) {
	m.emu.Lock()
	defer m.emu.Unlock()
	return m.off[org], nil
}
func (m *eventStore) deliveries() []Delivery {
	m.emu.Lock()
	defer m.emu.Unlock()
	return slices.Clone(m.ds)
}

// TestEventScopesAndModules: an event reaches the subscribed apps of its
// organisation that hold its scope, never another organisation's; nothing
// is queued while apps, or the event's module, are switched off.
func TestEventScopesAndModules(t *testing.T) {
	ctx := context.Background()
	const orgA, orgB = tack.ID("orga000000000000"), tack.ID("orgb000000000000")
	all := []string{EventMembership, EventDirectory, EventAttendance, EventApproval}
	st := &eventStore{memStore: memStore{robots: map[tack.ID]Robot{}}, off: map[tack.ID][]string{}}
	st.apps = []App{
		{ID: "app1000000000000", OrgID: orgA, Events: all, Scopes: []string{ScopeDirectoryRead, ScopeAttendanceRead, ScopeApprovalRead}, CallbackURL: "https://a.example/cb"},
		{ID: "app2000000000000", OrgID: orgA, Events: all, Scopes: []string{ScopeChatWrite}, CallbackURL: "https://b.example/cb"},
		{ID: "app3000000000000", OrgID: orgB, Events: all, Scopes: []string{ScopeDirectoryRead, ScopeAttendanceRead, ScopeApprovalRead}},
	}
	w := &fakeWorld{}
	s := NewService(st, w, w, w, w, func() time.Time { return time.UnixMilli(1700000000000) }, Config{})
	defer s.Close()
	for _, ev := range all {
		s.Event(ctx, orgA, ev, "k", map[string]string{"action": "x"})
	}
	ds := st.deliveries()
	if len(ds) != len(all) {
		t.Fatalf("%d deliveries, want %d (one per event, to the app with the scopes)", len(ds), len(all))
	}
	for _, d := range ds {
		if d.AppID != "app1000000000000" || d.OrgID != orgA || d.Key != "k" || d.State != Pending || d.Stream {
			t.Fatalf("delivery %+v", d)
		}
	}
	// The other organisation's app (no callback URL) takes its own
	// organisation's events over the stream.
	s.Event(ctx, orgB, EventMembership, "k", nil)
	if ds = st.deliveries(); len(ds) != len(all)+1 || ds[len(ds)-1].AppID != "app3000000000000" || !ds[len(ds)-1].Stream {
		t.Fatalf("orgB's event: %+v", ds[len(ds)-1])
	}
	// Modules: attendance off stops attendance events only; apps off stops all.
	st.emu.Lock()
	st.off[orgA] = []string{ModAttendance, ModApprovals}
	st.emu.Unlock()
	s.mods.Delete(orgA)
	n := len(st.deliveries())
	s.Event(ctx, orgA, EventAttendance, "k", nil)
	s.Event(ctx, orgA, EventApproval, "k", nil)
	if len(st.deliveries()) != n {
		t.Fatal("events of modules switched off were queued")
	}
	s.Event(ctx, orgA, EventDirectory, "k", nil)
	if len(st.deliveries()) != n+1 {
		t.Fatal("a directory event was not queued")
	}
	st.emu.Lock()
	st.off[orgA] = []string{ModApps}
	st.emu.Unlock()
	s.mods.Delete(orgA)
	s.Event(ctx, orgA, EventDirectory, "k", nil)
	if len(st.deliveries()) != n+1 {
		t.Fatal("an event was queued with apps off")
	}
	// An organisation without subscribers costs no store read of apps:
	// the cached list answers.
	s.Event(ctx, "orgc000000000000", EventMembership, "k", nil)
	if len(st.deliveries()) != n+1 {
		t.Fatal("an event of an organisation without apps was queued")
	}
}

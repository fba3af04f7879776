package platform

import (
	"context"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// leaseStore hands out one delivery and records how it was finished.
type leaseStore struct {
	eventStore
	d        Delivery
	finished []Outcome
	ctxErr   error
}

func (m *leaseStore) App(context.Context, tack.ID) (App, error) {
	return App{ID: m.d.AppID, CallbackURL: "https://a.example/cb"}, nil
}
func (m *leaseStore) ClaimDeliveries(context.Context, string, tack.ID, time.Time, time.Duration, int) ([]Delivery, error) {
	return []Delivery{m.d}, nil
}
func (m *leaseStore) FinishDelivery(ctx context.Context, _ tack.ID, _ string, o Outcome) error {
	m.finished = append(m.finished, o)
	m.ctxErr = ctx.Err()
	return nil
}

// cutSender answers only when its context ends, as a callback does that
// is still in flight when the node shuts down.
type cutSender struct{ cancel context.CancelFunc }

func (s cutSender) Send(ctx context.Context, _ string, _ map[string]string, _ []byte) (int, error) {
	s.cancel()
	<-ctx.Done()
	return 0, ctx.Err()
}

// TestShutdownMidAttemptReleasesTheDelivery: an attempt cut short by a
// shutdown still records its outcome, with a live context, as a failed try
// due again soon, so the delivery is not held by a node that is gone until
// its lease runs out (TestCallbacksSurviveRestart once timed out on it).
func TestShutdownMidAttemptReleasesTheDelivery(t *testing.T) {
	now := time.UnixMilli(1700000000000)
	st := &leaseStore{eventStore: eventStore{memStore: memStore{robots: map[tack.ID]Robot{}}},
		d: Delivery{ID: "del1000000000000", AppID: "app1000000000000", CreatedAt: now, Attempts: 1}}
	s := NewService(st, &fakeWorld{}, &fakeWorld{}, &fakeWorld{}, &fakeWorld{}, func() time.Time { return now }, Config{})
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	if n, err := s.Deliver(ctx, "node-1", cutSender{cancel}, 10); n != 1 || err != nil {
		t.Fatalf("Deliver: %d %v", n, err)
	}
	if len(st.finished) != 1 {
		t.Fatalf("finished %d times, want once", len(st.finished))
	}
	if st.ctxErr != nil {
		t.Fatalf("the outcome was recorded with an ended context (%v): the store would refuse it and the lease would hold", st.ctxErr)
	}
	o := st.finished[0]
	if o.State != Pending || !o.NextAt.After(now) || o.NextAt.Sub(now) > time.Hour || o.LastError == "" {
		t.Fatalf("outcome %+v, want a failed try due again after its backoff", o)
	}
}

package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack/deadline"
)

// TestDeadlineStore checks the contract of deadline.Store. open must
// return an empty store; openPair, if not nil, returns two handles on one
// empty database (two nodes), to check that concurrent claims never return
// the same job.
func TestDeadlineStore(t *testing.T, open func(t *testing.T) deadline.Store, openPair func(t *testing.T) (deadline.Store, deadline.Store)) {
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Microsecond)

	t.Run("ScheduleClaimDone", func(t *testing.T) {
		s := open(t)
		if _, ok, err := s.Next(ctx); err != nil || ok {
			t.Fatalf("Next on empty = %v, %v", ok, err)
		}
		mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "burn", Key: "b", Due: base.Add(2 * time.Second).In(cst), Data: []byte(`{"seq":2}`)}, false))
		mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "burn", Key: "a", Due: base.Add(time.Second)}, false))
		mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "ding", Key: "a", Due: base.Add(time.Hour)}, false))
		next, ok, err := s.Next(ctx)
		if err != nil || !ok || !next.Equal(base.Add(time.Second)) {
			t.Fatalf("Next = %v, %v, %v; want %v", next, ok, err, base.Add(time.Second))
		}
		got, err := s.Claim(ctx, base, time.Minute, 10)
		if err != nil || len(got) != 0 {
			t.Fatalf("claim before due = %v, %v", got, err)
		}
		got, err = s.Claim(ctx, base.Add(3*time.Second), time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Key != "a" || got[1].Key != "b" || got[0].Kind != "burn" {
			t.Fatalf("claimed %+v, want burn a then burn b", got)
		}
		if string(got[1].Data) != `{"seq":2}` || !got[1].Due.Equal(base.Add(2*time.Second)) || got[1].Due.Location() != time.UTC {
			t.Errorf("job b came back as %+v", got[1])
		}
		if got[0].Claim == "" {
			t.Error("a claimed job has no claim token")
		}
		// Held: a second claim finds nothing while the lease runs.
		again, err := s.Claim(ctx, base.Add(4*time.Second), time.Minute, 10)
		if err != nil || len(again) != 0 {
			t.Fatalf("claim during the lease = %+v, %v", again, err)
		}
		mustDo(t, s.Done(ctx, "burn", "a", got[0].Claim))
		// A wrong token deletes nothing.
		mustDo(t, s.Done(ctx, "burn", "b", "not-the-claim"))
		// After the lease, b comes back; a is gone.
		later, err := s.Claim(ctx, base.Add(2*time.Minute), time.Minute, 10)
		if err != nil || len(later) != 1 || later[0].Key != "b" {
			t.Fatalf("claim after the lease = %+v, %v; want b alone", later, err)
		}
		if later[0].Claim == got[1].Claim {
			t.Error("a new claim reused the old token")
		}
		// The old claim may no longer delete it.
		mustDo(t, s.Done(ctx, "burn", "b", got[1].Claim))
		mustDo(t, s.Done(ctx, "burn", "b", later[0].Claim))
		next, ok, err = s.Next(ctx)
		if err != nil || !ok || !next.Equal(base.Add(time.Hour)) {
			t.Fatalf("Next = %v, %v, %v; want the ding an hour on", next, ok, err)
		}
	})

	t.Run("RescheduleAndCancel", func(t *testing.T) {
		s := open(t)
		j := deadline.Job{Kind: "burn", Key: "k", Due: base.Add(time.Hour)}
		mustDo(t, s.Schedule(ctx, j, false))
		// earlier keeps the earlier Due.
		mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "burn", Key: "k", Due: base.Add(2 * time.Hour)}, true))
		if next, _, _ := s.Next(ctx); !next.Equal(base.Add(time.Hour)) {
			t.Errorf("earlier moved the job later, to %v", next)
		}
		mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "burn", Key: "k", Due: base.Add(time.Second)}, true))
		if next, _, _ := s.Next(ctx); !next.Equal(base.Add(time.Second)) {
			t.Errorf("earlier did not move the job earlier: %v", next)
		}
		// Without earlier, the new Due wins.
		mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "burn", Key: "k", Due: base.Add(3 * time.Second)}, false))
		if next, _, _ := s.Next(ctx); !next.Equal(base.Add(3 * time.Second)) {
			t.Errorf("reschedule left Due at %v", next)
		}
		// A job scheduled again while claimed is released and survives the
		// old claim's Done.
		got, err := s.Claim(ctx, base.Add(time.Minute), time.Hour, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim = %v, %v", got, err)
		}
		mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "burn", Key: "k", Due: base.Add(time.Minute)}, false))
		mustDo(t, s.Done(ctx, "burn", "k", got[0].Claim))
		again, err := s.Claim(ctx, base.Add(time.Minute), time.Hour, 10)
		if err != nil || len(again) != 1 {
			t.Fatalf("a rescheduled job was lost to the old claim: %v, %v", again, err)
		}
		// Retry releases it later, counting an attempt.
		mustDo(t, s.Retry(ctx, "burn", "k", again[0].Claim, base.Add(2*time.Minute)))
		if got, _ := s.Claim(ctx, base.Add(time.Minute), time.Hour, 10); len(got) != 0 {
			t.Fatalf("a retried job came back before its time: %+v", got)
		}
		r, err := s.Claim(ctx, base.Add(2*time.Minute), time.Hour, 10)
		if err != nil || len(r) != 1 || r[0].Attempts != 1 {
			t.Fatalf("retried job = %+v, %v; want one with 1 attempt", r, err)
		}
		mustDo(t, s.Cancel(ctx, "burn", "k"))
		mustDo(t, s.Cancel(ctx, "burn", "none"))
		if _, ok, _ := s.Next(ctx); ok {
			t.Error("a cancelled job is still there")
		}
	})

	t.Run("ClaimLimit", func(t *testing.T) {
		s := open(t)
		for i := range 5 {
			mustDo(t, s.Schedule(ctx, deadline.Job{Kind: "k", Key: fmt.Sprint(i), Due: base.Add(time.Duration(i) * time.Second)}, false))
		}
		got, err := s.Claim(ctx, base.Add(time.Hour), time.Minute, 2)
		if err != nil || len(got) != 2 || got[0].Key != "0" || got[1].Key != "1" {
			t.Fatalf("claim limit 2 = %+v, %v; want the two earliest", got, err)
		}
	})

	t.Run("ConcurrentClaimsExactlyOnce", func(t *testing.T) {
		a, b := open(t), (deadline.Store)(nil)
		if openPair != nil {
			a, b = openPair(t)
		} else {
			b = a
		}
		const jobs = 200
		for i := range jobs {
			mustDo(t, a.Schedule(ctx, deadline.Job{Kind: "k", Key: fmt.Sprint(i), Due: base}, false))
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := range 8 {
			s := a
			if w%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := s.Claim(ctx, base.Add(time.Second), time.Hour, 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					for _, j := range got {
						mu.Lock()
						seen[j.Key]++
						mu.Unlock()
						if err := s.Done(ctx, j.Kind, j.Key, j.Claim); err != nil {
							t.Error(err)
						}
					}
				}
			}()
		}
		wg.Wait()
		if len(seen) != jobs {
			t.Errorf("%d of %d jobs were claimed", len(seen), jobs)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("job %s was claimed %d times", k, n)
			}
		}
	})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

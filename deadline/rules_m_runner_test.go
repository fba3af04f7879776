package deadline_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tackhq/tack/deadline"
)

// blindStore cannot tell when the next job is due.
type blindStore struct{ deadline.Store }

func (blindStore) Next(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, errors.New("database is locked")
}

// After a batch that ran jobs, Run claims again at once (there may be
// more): it does not wait for Poll or for the store's next due time, so
// due jobs beyond one batch run even when the store cannot say when the
// next job is due.
func TestRunnerClaimsAgainAfterAFullBatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := store(t)
	for _, k := range []string{"1", "2", "3"} {
		if err := st.Schedule(ctx, deadline.Job{Kind: "k", Key: k, Due: time.Now().Add(-time.Minute)}, false); err != nil {
			t.Fatal(err)
		}
	}
	r := deadline.NewRunner(blindStore{st}, nil, nil)
	r.Poll = time.Hour
	r.Batch = 1
	ran := make(chan string, 3)
	r.Handle("k", func(_ context.Context, j deadline.Job) error { ran <- j.Key; return nil })
	go r.Run(ctx)
	timeout := time.After(10 * time.Second)
	for i := 0; i < 3; i++ {
		select {
		case <-ran:
		case <-timeout:
			t.Fatalf("%d of 3 due jobs ran; the runner waited after a batch", i)
		}
	}
}

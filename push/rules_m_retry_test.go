package push_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
)

// scripted is a Sender that answers each push with the next of its
// errors (nil once they run out) and tells each try on tries.
type scripted struct {
	errs  chan error
	tries chan struct{}
}

func (s *scripted) Send(context.Context, push.Subscription, []byte, push.Options) error {
	s.tries <- struct{}{}
	select {
	case err := <-s.errs:
		return err
	default:
		return nil
	}
}

// TestRetryAfterIsHonoured: a push service's Retry-After sets the delay of
// the retry, even when it is shorter than RetryBase.
func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", pushtest.NewBrowser(t))
	snd := &scripted{errs: make(chan error, 1), tries: make(chan struct{}, 4)}
	snd.errs <- &push.RetryError{Status: 429, After: time.Millisecond}
	s := f.service(t, snd, push.Config{Attempts: 2, RetryBase: time.Hour, MaxRetryDelay: time.Hour})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}})
	for i := range 2 {
		select {
		case <-snd.tries:
		case <-time.After(wait):
			t.Fatalf("try %d did not come: Retry-After of 1ms was not honoured", i+1)
		}
	}
}

// TestFailedSendLogsItsAttempt: a push given up logs the attempt number,
// counted from 1.
func TestFailedSendLogsItsAttempt(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", pushtest.NewBrowser(t))
	snd := &scripted{errs: make(chan error, 1), tries: make(chan struct{}, 4)}
	snd.errs <- errors.New("refused")
	var buf bytes.Buffer
	s := f.service(t, snd, push.Config{Attempts: 1, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}})
	select {
	case <-snd.tries:
	case <-time.After(wait):
		t.Fatal("no try")
	}
	s.Close() // waits for the worker, which logs before it ends
	if out := buf.String(); !strings.Contains(out, "push: send failed") || !strings.Contains(out, "attempt=1 ") {
		t.Errorf("log %q, want send failed at attempt=1", out)
	}
}

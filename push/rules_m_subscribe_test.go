package push_test

import (
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/push"
)

// TestUnsubscribeEndpointOfMaxEndpointBytes: an endpoint of exactly
// MaxEndpoint bytes can be subscribed, so it can be unsubscribed too.
func TestUnsubscribeEndpointOfMaxEndpointBytes(t *testing.T) {
	f := newFixture(t)
	svc := f.service(t, nil, push.Config{})
	p, a := browserKeys(t)
	ctx := f.session(t)
	ep := "https://push.example.com/" + string(tack.NewID()) + "/"
	ep += strings.Repeat("a", push.MaxEndpoint-len(ep))
	if _, err := svc.Subscribe(ctx, subInput(ep, p, a)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Unsubscribe(ctx, ep); err != nil {
		t.Errorf("Unsubscribe of a %d-byte endpoint: %v", len(ep), err)
	}
}

// TestSubscribeExpirationTimeZeroIsNotATime: an expirationTime of 0 is
// refused as no time at all, not as a time already past.
func TestSubscribeExpirationTimeZeroIsNotATime(t *testing.T) {
	f := newFixture(t)
	svc := f.service(t, nil, push.Config{})
	p, a := browserKeys(t)
	ms := 0.0
	in := subInput("https://push.example.com/wpush/"+string(tack.NewID()), p, a)
	in.ExpirationTime = &ms
	_, err := svc.Subscribe(f.session(t), in)
	if tack.ErrorCode(err) != tack.EInvalid || !strings.Contains(err.Error(), "milliseconds since 1970") {
		t.Errorf("expirationTime 0: %v, want refused as not milliseconds since 1970", err)
	}
}

package push_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
)

// capture is a Sender that hands each payload to got.
type capture struct{ got chan []byte }

func (c *capture) Send(_ context.Context, _ push.Subscription, b []byte, _ push.Options) error {
	c.got <- b
	return nil
}

// TestPreviewsCarryTheText: someone with previews on gets the text of a
// notice that has one.
func TestPreviewsCarryTheText(t *testing.T) {
	f := newFixture(t)
	bob := f.user(t, "Bob", pushtest.NewBrowser(t))
	if err := f.db.SetPushSettings(context.Background(), bob, push.Settings{Previews: true}); err != nil {
		t.Fatal(err)
	}
	snd := &capture{got: make(chan []byte, 1)}
	s := f.service(t, snd, push.Config{})
	s.Notify(push.Notification{Kind: push.KindDing, Users: []tack.ID{bob}, Text: "server down"})
	select {
	case b := <-snd.got:
		var p push.Payload
		if err := json.Unmarshal(b, &p); err != nil || p.Body != "server down" {
			t.Errorf("payload %s (%v), want body %q", b, err, "server down")
		}
	case <-time.After(wait):
		t.Fatal("no push")
	}
}

// Package e2e drives real Tack servers from outside, through the Go client
// and WebSockets, the way users' clients do.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// connect opens a stream and waits for its catch-up to finish.
func connect(t *testing.T, c *client.Client, cursors map[string]int64) *client.Stream {
	t.Helper()
	s, err := c.Connect(ctxT(t), client.StreamOptions{Cursors: cursors})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { s.CloseNow() })
	waitEvent(t, s, "synced", func(e client.Event) bool { return e.Type == "synced" })
	return s
}

// waitEvent reads events until match returns true, failing after 10 s.
func waitEvent(t *testing.T, s *client.Stream, what string, match func(client.Event) bool) client.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-s.Events():
			if !ok {
				t.Fatalf("waiting for %s: stream ended: %v", what, s.Err())
			}
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// messages collects message events until n distinct (conversation, seq)
// texts with kind text have arrived, and fails on a duplicate new message.
func collectTexts(t *testing.T, s *client.Stream, n int) []client.Message {
	t.Helper()
	return collectFrom(t, s, n, "")
}

// collectFrom is collectTexts limited to messages sent by sender ("" = anyone).
func collectFrom(t *testing.T, s *client.Stream, n int, sender string) []client.Message {
	t.Helper()
	var out []client.Message
	seen := map[string]bool{}
	for len(out) < n {
		e := waitEvent(t, s, fmt.Sprintf("message %d of %d", len(out)+1, n), func(e client.Event) bool {
			return e.Type == "message" && e.Message.Kind == "text" && (sender == "" || string(e.Message.SenderID) == sender)
		})
		k := fmt.Sprintf("%s/%d/%d", e.Message.ConversationID, e.Message.Seq, e.Message.Mod)
		if seen[k] {
			t.Fatalf("duplicate delivery of %s", k)
		}
		seen[k] = true
		out = append(out, *e.Message)
	}
	return out
}

func apiCode(err error) string {
	if e, ok := err.(*client.Error); ok {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "transport: " + err.Error()
}

func jsonBool(raw []byte, field string) bool {
	var m map[string]any
	json.Unmarshal(raw, &m)
	v, _ := m[field].(bool)
	return v
}

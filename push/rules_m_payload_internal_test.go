package push

import (
	"strings"
	"testing"
	"time"
)

// A payload whose fields other than the body are over the limit on their
// own (a very long conversation title in the preview) is refused with an
// error: shortening the body cannot help, and must not go on for ever.
func TestPayloadOverTheLimitWithoutItsBody(t *testing.T) {
	n := &Notification{Kind: "message", From: "u1", ConversationID: "c1", Seq: 1,
		Text: strings.Repeat("hello ", 100), Context: strings.Repeat("t", MaxPayload)}
	done := make(chan error, 1)
	go func() {
		_, err := encodePayload(n, "Zhang San", true)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "too large") {
			t.Fatalf("encodePayload = %v, want a too-large error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("encodePayload did not return: the body-shortening loop never ends")
	}
}

// The body is shortened, not dropped, while that is enough.
func TestPayloadShortensTheBodyFirst(t *testing.T) {
	n := &Notification{Kind: "message", From: "u1", ConversationID: "c1", Seq: 1,
		Text: strings.Repeat("字", MaxPreviewRunes), Context: strings.Repeat("t", MaxPayload-600)}
	b, err := encodePayload(n, "Zhang San", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxPayload || !strings.Contains(string(b), "字") || !strings.Contains(string(b), "…") {
		t.Fatalf("payload of %d bytes: %.200s", len(b), b)
	}
}

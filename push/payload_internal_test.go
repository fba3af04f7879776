package push

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tackhq/tack/chat"
)

func TestClip(t *testing.T) {
	for _, c := range []struct {
		s     string
		runes int
		want  string
	}{
		{"hello", 5, "hello"},
		{"hello", 6, "hello"},
		{"hello!", 5, "hell…"},
		{"你好世界", 3, "你好…"},
		{"ab", 1, "…"},
		{"ab", 0, "…"},
		{"", 0, ""},
	} {
		if got := clip(c.s, c.runes); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.s, c.runes, got, c.want)
		}
	}
}

func TestTitleAndTopic(t *testing.T) {
	for _, c := range []struct {
		n    Notification
		name string
		want string
	}{
		{Notification{Kind: KindMessage}, "Ann", "New message from Ann"},
		{Notification{Kind: KindMention}, "Ann", "Ann mentioned you"},
		{Notification{Kind: KindDing}, "Ann", "DING from Ann"},
		{Notification{Kind: KindApproval}, "Ann", "Approval request from Ann"},
		{Notification{Kind: KindMessage}, "", "New message from someone"},
		{Notification{Kind: KindDing, Title: "Given"}, "Ann", "Given"},
	} {
		if got := titleOf(&c.n, c.name); got != c.want {
			t.Errorf("titleOf(%+v, %q) = %q, want %q", c.n, c.name, got, c.want)
		}
	}
	if got := topic(&Notification{ConversationID: "c1"}); got != "cc1" {
		t.Errorf("topic of a conversation's push: %q", got)
	}
	if got := topic(&Notification{ConversationID: "c1", Urgent: true}); got != "" {
		t.Errorf("an urgent push collapses: %q", got)
	}
	if got := topic(&Notification{}); got != "" {
		t.Errorf("a push of no conversation collapses: %q", got)
	}
}

func TestEncodePayload(t *testing.T) {
	decode := func(b []byte) Payload {
		var p Payload
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	n := &Notification{Kind: KindMessage, From: "u1", ConversationID: "c1", Seq: 7, Text: "secret plans", Context: "Team"}
	b, err := encodePayload(n, "Ann", false)
	if err != nil {
		t.Fatal(err)
	}
	if p := decode(b); p.Body != "" || p.ConversationTitle != "" || p.Tag != "c:c1" || p.URL != "/" || p.V != 1 ||
		p.Title != "New message from Ann" || p.Seq != 7 || p.SenderName != "Ann" || strings.Contains(string(b), "secret") {
		t.Errorf("without preview: %s", b)
	}
	if p := decode(must(encodePayload(n, "Ann", true))); p.Body != "secret plans" || p.ConversationTitle != "Team" {
		t.Errorf("with preview: %+v", p)
	}
	if p := decode(must(encodePayload(&Notification{Kind: KindApproval, URL: "/#/approvals/1"}, "Ann", false))); p.Tag != KindApproval || p.URL != "/#/approvals/1" {
		t.Errorf("no conversation: %+v", p)
	}
	// The preview is clipped to 140 characters, then halved until it fits.
	long := &Notification{Kind: KindMessage, ConversationID: "c1", Text: strings.Repeat("长", 500)}
	if p := decode(must(encodePayload(long, "Ann", true))); utf8.RuneCountInString(p.Body) != MaxPreviewRunes {
		t.Errorf("preview of %d characters, want %d", utf8.RuneCountInString(p.Body), MaxPreviewRunes)
	}
	huge := &Notification{Kind: KindMessage, ConversationID: "c1", Text: strings.Repeat("\x01", 140), Context: strings.Repeat("x", 3000)}
	b, err = encodePayload(huge, "Ann", true)
	if err != nil || len(b) > MaxPayload {
		t.Fatalf("payload of %d bytes, %v", len(b), err)
	}
	if p := decode(b); p.Body == "" || utf8.RuneCountInString(p.Body) >= 140 {
		t.Errorf("a body that does not fit is halved, not dropped: %d characters", utf8.RuneCountInString(p.Body))
	}
	// Still too large without a body: an error, never a payload over the limit.
	if b, err := encodePayload(&Notification{Kind: KindMessage, Title: strings.Repeat("x", MaxPayload)}, "Ann", true); err == nil {
		t.Errorf("a payload of %d bytes", len(b))
	}
	// Exactly at the limit: sent.
	probe := must(encodePayload(&Notification{Kind: KindMessage, Title: "x"}, "", false))
	exact := &Notification{Kind: KindMessage, Title: strings.Repeat("x", MaxPayload-len(probe)+1)}
	if b, err := encodePayload(exact, "", false); err != nil || len(b) != MaxPayload {
		t.Errorf("a payload of exactly %d bytes: %d, %v", MaxPayload, len(b), err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestPushText(t *testing.T) {
	att := []chat.Attachment{{Name: "report.pdf"}}
	for _, c := range []struct {
		m    chat.Message
		want string
	}{
		{chat.Message{Text: "hi"}, "hi"},
		{chat.Message{Text: "look", Kind: chat.ImageMessage, Attachments: att}, "look"},
		{chat.Message{Kind: chat.ImageMessage, Attachments: att}, "📷"},
		{chat.Message{Kind: chat.VoiceMessage, Attachments: att}, "🎤"},
		{chat.Message{Kind: chat.VoicePictureMessage, Attachments: att}, "📷 🎤"},
		{chat.Message{Kind: chat.FileMessage, Attachments: att}, "📎 report.pdf"},
		{chat.Message{Kind: chat.ImageMessage}, ""},
		{chat.Message{Kind: chat.RobotMessage, System: &chat.System{Title: "Build failed"}}, "Build failed"},
		{chat.Message{Kind: chat.RobotMessage, Text: "text", System: &chat.System{Title: "Build failed"}}, "text"},
		{chat.Message{Kind: chat.RobotMessage}, ""},
	} {
		if got := pushText(c.m); got != c.want {
			t.Errorf("pushText(%+v) = %q, want %q", c.m, got, c.want)
		}
	}
}

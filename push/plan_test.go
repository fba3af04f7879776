package push_test

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
)

// recipients is a Sender that records who was pushed of which message.
type recipients struct {
	mu  sync.Mutex
	got []string // "user conversation seq"
}

func (r *recipients) Send(_ context.Context, s push.Subscription, b []byte, _ push.Options) error {
	var p push.Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(s.UserID)+" "+string(p.ConversationID)+" "+strconv.FormatInt(p.Seq, 10))
	return nil
}

// TestMessagePlans: who hears of a committed message. In a direct chat
// the other person, unless active in the app; in a group only those it
// mentions; never the sender.
func TestMessagePlans(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ann := f.user(t, "Ann", pushtest.NewBrowser(t))
	bob := f.user(t, "Bob", pushtest.NewBrowser(t))
	cat := f.user(t, "Cat", pushtest.NewBrowser(t))
	at := time.Now()
	conv := func(kind string, users ...tack.ID) tack.ID {
		c := chat.Conversation{ID: tack.NewID(), Kind: kind, Title: "T", CreatedAt: at}
		var ms []chat.Membership
		for _, u := range users {
			ms = append(ms, chat.Membership{UserID: u, Role: chat.Member, JoinedAt: at})
		}
		if kind == chat.Group {
			c.OwnerID, ms[0].Role = users[0], chat.Owner
		}
		first := chat.NewMessage{ConversationID: c.ID, SenderID: users[0], Kind: chat.SystemMessage, CreatedAt: at,
			System: &chat.System{Action: "created", ActorID: users[0], Users: users[1:]}}
		if _, err := f.db.CreateConversation(ctx, c, ms, first); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	direct, group := conv(chat.Direct, ann, bob), conv(chat.Group, ann, bob, cat)
	rec := &recipients{}
	send := func(s *push.Service, convID tack.ID, seq int64, text string, mentions ...tack.ID) {
		m := chat.Message{ConversationID: convID, Seq: seq, Mod: seq, SenderID: ann, Kind: chat.TextMessage, Text: text, Mentions: mentions, CreatedAt: at}
		s.HandleEvent(&bus.Event{Kind: bus.Message, ConversationID: convID, Mod: seq, Payload: chat.MessageFrame(&m)})
	}
	both := f.service(t, rec, push.Config{Active: online{ann: true, bob: true, cat: true}})
	send(both, direct, 2, "both active: nobody")
	send(both, group, 5, "@Cat while active: nobody", cat)
	neither := f.service(t, rec, push.Config{Active: online{}})
	send(neither, direct, 3, "neither active: Bob")
	send(neither, group, 2, "no mention: nobody")
	send(neither, group, 3, `a "mention" in the text: nobody`)
	send(neither, group, 4, "@Cat: Cat", cat)
	annOnly := f.service(t, rec, push.Config{Active: online{ann: true}})
	send(annOnly, direct, 4, "Bob away: Bob")
	// What is pushed: texts, robots' messages, files, secret (burning)
	// messages; not system events, edits or recalls.
	other := func(seq int64, edit func(*chat.Message)) {
		m := chat.Message{ConversationID: direct, Seq: seq, Mod: seq, SenderID: ann, Kind: chat.TextMessage, Text: "x", CreatedAt: at}
		edit(&m)
		annOnly.HandleEvent(&bus.Event{Kind: bus.Message, ConversationID: direct, Mod: seq, Payload: chat.MessageFrame(&m)})
	}
	other(6, func(m *chat.Message) { m.Kind = chat.RobotMessage })              // Bob
	other(7, func(m *chat.Message) { m.Kind, m.Text = chat.SystemMessage, "" }) // nobody
	other(8, func(m *chat.Message) {
		m.Kind, m.Attachments = "file", []chat.Attachment{{ID: tack.NewID(), Kind: "file", Name: "a.pdf"}}
	}) // Bob
	other(9, func(m *chat.Message) { m.Kind, m.Text, m.BurnAfterS = "image", "", 10 }) // Bob: a secret message's event has no attachments
	other(10, func(m *chat.Message) { m.EditedAt = &at })                              // nobody
	other(11, func(m *chat.Message) { m.Recalled = true })                             // nobody
	unknown := f.service(t, rec, push.Config{})                                        // without Config.Active everyone is away
	send(unknown, direct, 5, "no activity known: Bob")
	for _, s := range []*push.Service{both, neither, annOnly, unknown} {
		s.Close()
	}
	want := []string{
		string(bob) + " " + string(direct) + " 3",
		string(bob) + " " + string(direct) + " 4",
		string(bob) + " " + string(direct) + " 6",
		string(bob) + " " + string(direct) + " 8",
		string(bob) + " " + string(direct) + " 9",
		string(cat) + " " + string(group) + " 4",
		string(bob) + " " + string(direct) + " 5",
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	slices.Sort(rec.got)
	slices.Sort(want)
	if !slices.Equal(rec.got, want) {
		t.Fatalf("pushed\n%v\nwant\n%v", rec.got, want)
	}
}

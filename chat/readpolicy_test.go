package chat_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
)

// Read events follow the receipt policy: a sender whose view names readers
// hears who read; one whose view shows counts only (a large group) hears
// that someone read, without who, so their unread counts still move; one
// with receipts off, or from a reader whose reads the view hides, hears
// nothing. The reader's own devices always hear.
func TestReadEventsFollowTheReceiptPolicy(t *testing.T) {
	for _, c := range []struct {
		what  string
		p     chat.ReceiptView
		hider bool   // user 1 hides their reads
		named string // who hears user 1's read by name
		anon  string // who hears of the reads of users 1 and 2 without a name
	}{
		{"names", chat.ReceiptView{Show: true, Names: true}, false, "[1 0]", "[]"},
		{"counts only", chat.ReceiptView{Show: true}, false, "[1]", "[0 0]"},
		{"off", chat.ReceiptView{}, false, "[1]", "[]"},
		{"counts only, the reader hides", chat.ReceiptView{Show: true}, true, "[1]", "[0]"},
		{"names, the reader hides", chat.ReceiptView{Show: true, Names: true}, true, "[1]", "[]"},
	} {
		t.Run(c.what, func(t *testing.T) {
			var f *fixture
			p := c.p
			if c.hider {
				p.Hidden = func(u tack.ID) bool { return u == f.users[1] }
			}
			f = newFixture(t, 3, chat.Config{Receipts: policy(p)})
			g, _, err := f.svc.Create(f.as(0), chat.Group, f.users[1:], "g")
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := f.svc.Send(f.as(0), g.ID, chat.Draft{ClientID: "a", Text: "x"})
			if err != nil {
				t.Fatal(err)
			}
			r := f.reads(t)
			if _, err := f.svc.MarkRead(f.as(1), g.ID, m.Seq); err != nil {
				t.Fatal(err)
			}
			e := r.next(t, f.users[1])
			// User 2's read comes after every event of user 1's: by then
			// user 1's read has said all it will.
			if _, err := f.svc.MarkRead(f.as(2), g.ID, m.Seq); err != nil {
				t.Fatal(err)
			}
			r.next(t, f.users[2])
			idx := func(us []tack.ID) string {
				var out []int
				for _, u := range us {
					for i, v := range f.users {
						if u == v {
							out = append(out, i)
						}
					}
				}
				return fmt.Sprint(out)
			}
			if got := idx(e.Users); got != c.named {
				t.Errorf("user 1's read goes by name to %s, want %s", got, c.named)
			}
			var anon []tack.ID
			for _, a := range r.of("") {
				var fr map[string]any
				if err := json.Unmarshal(a.Payload, &fr); err != nil {
					t.Fatal(err)
				}
				if _, named := fr["user_id"]; named || fr["type"] != "read" || fr["seq"] != float64(m.Seq) || fr["prev_seq"] != float64(m.Seq-1) || a.Kind != bus.Read || a.ConversationID != g.ID || len(a.Users) == 0 {
					// (An event with no Users reaches the whole conversation.)
					t.Fatalf("an anonymous read event: %+v %s", a, a.Payload)
				}
				anon = append(anon, a.Users...)
			}
			if got := idx(anon); got != c.anon {
				t.Errorf("heard of without a name by %s, want %s", got, c.anon)
			}
		})
	}
}

package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// testSecret checks chat.SecretStore: one secret chat per pair beside their
// direct chat, burn columns round-tripping through Append (single and
// batched), RevealMessage moving BurnsAt earlier only once, BurnMessage
// erasing the text once, and DueBurns.
func testSecret(t *testing.T, f *fixture) {
	a, b := f.user("Ann"), f.user("Ben")
	if _, err := f.direct(a, b); err != nil {
		t.Fatal(err)
	}
	at := now()
	c := chat.Conversation{ID: tack.NewID(), Kind: chat.Secret, CreatedAt: at}
	ms := []chat.Membership{{UserID: a, Role: chat.Member, JoinedAt: at}, {UserID: b, Role: chat.Member, JoinedAt: at}}
	first := chat.NewMessage{ConversationID: c.ID, SenderID: a, Kind: chat.SystemMessage, CreatedAt: at,
		System: &chat.System{Action: "created", ActorID: a, Users: []tack.ID{b}}}
	if _, err := f.cs.CreateConversation(f.ctx, c, ms, first); err != nil {
		t.Fatalf("a secret chat beside a direct chat: %v", err)
	}
	id, err := f.cs.SecretBetween(f.ctx, b, a)
	if err != nil || id != c.ID {
		t.Fatalf("SecretBetween = %v, %v; want %v", id, err, c.ID)
	}
	c2 := chat.Conversation{ID: tack.NewID(), Kind: chat.Secret, CreatedAt: at}
	first.ConversationID = c2.ID
	if _, err := f.cs.CreateConversation(f.ctx, c2, ms, first); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("a second secret chat of one pair: %v, want conflict", err)
	}
	if _, err := f.cs.SecretBetween(f.ctx, a, f.user("Cy")); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("SecretBetween of strangers: %v", err)
	}
	list, err := f.cs.ConversationsOf(f.ctx, a)
	must(t, "ConversationsOf", err)
	for _, x := range list {
		if x.ID == c.ID && (x.Peer != b || x.Kind != chat.Secret) {
			t.Errorf("secret chat listed as %+v; want kind secret, peer %v", x, b)
		}
	}

	base := now()
	nm := f.text(c.ID, a, "burn-marker-one")
	nm.BurnAfterS, nm.BurnsAt = 30, base.Add(chat.UnrevealedBurn)
	nm2 := f.text(c.ID, a, "burn-marker-two")
	nm2.BurnAfterS, nm2.BurnsAt = 5, base.Add(time.Hour)
	one, err := f.cs.Append(f.ctx, []chat.NewMessage{nm})
	must(t, "Append", err)
	two, err := f.cs.Append(f.ctx, []chat.NewMessage{nm2, f.text(c.ID, b, "plain")})
	must(t, "Append batch", err)
	m1, m2 := one[0].Message, two[0].Message
	for _, m := range []chat.Message{m1, f.message(c.ID, m1.Seq)} {
		if m.BurnAfterS != 30 || m.BurnsAt == nil || !m.BurnsAt.Equal(base.Add(chat.UnrevealedBurn)) || m.RevealedAt != nil || m.Burned {
			t.Errorf("secret message = %s burn %d at %v", fmtMessage(m), m.BurnAfterS, m.BurnsAt)
		}
	}
	if got := f.message(c.ID, m2.Seq); got.BurnAfterS != 5 || got.BurnsAt == nil || !got.BurnsAt.Equal(base.Add(time.Hour)) {
		t.Errorf("batched secret message: burn %d at %v", got.BurnAfterS, got.BurnsAt)
	}
	if got := f.message(c.ID, two[1].Message.Seq); got.BurnAfterS != 0 || got.BurnsAt != nil {
		t.Errorf("a plain message has burn %d at %v", got.BurnAfterS, got.BurnsAt)
	}

	// Reveal: BurnsAt moves to the earlier time, with a new Mod; once.
	revealAt := now()
	r, changed, err := f.cs.RevealMessage(f.ctx, c.ID, m1.Seq, revealAt, revealAt.Add(30*time.Second))
	must(t, "RevealMessage", err)
	if !changed || r.RevealedAt == nil || !r.RevealedAt.Equal(revealAt) || !r.BurnsAt.Equal(revealAt.Add(30*time.Second)) ||
		r.Mod <= m2.Mod || r.Text != "burn-marker-one" {
		t.Errorf("revealed = %s changed %v revealed %v burns %v", fmtMessage(r), changed, r.RevealedAt, r.BurnsAt)
	}
	again, changed, err := f.cs.RevealMessage(f.ctx, c.ID, m1.Seq, now(), now().Add(time.Second))
	if err != nil || changed || again.Mod != r.Mod || !again.BurnsAt.Equal(*r.BurnsAt) {
		t.Errorf("second reveal changed it: %v %v", changed, err)
	}
	// Reveal never moves BurnsAt later.
	r2, _, err := f.cs.RevealMessage(f.ctx, c.ID, m2.Seq, now(), base.Add(2*time.Hour))
	must(t, "RevealMessage", err)
	if !r2.BurnsAt.Equal(base.Add(time.Hour)) {
		t.Errorf("reveal moved BurnsAt later: %v", r2.BurnsAt)
	}
	if _, _, err := f.cs.RevealMessage(f.ctx, c.ID, 999, now(), now()); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("reveal of a missing message: %v", err)
	}

	// DueBurns.
	due, err := f.cs.DueBurns(f.ctx, revealAt.Add(31*time.Second), 10)
	must(t, "DueBurns", err)
	if len(due) != 1 || due[0] != (chat.MessageRef{ConversationID: c.ID, Seq: m1.Seq}) {
		t.Errorf("DueBurns = %+v, want message %d", due, m1.Seq)
	}
	// Burn: no text, Burned, a new Mod; once.
	bm, changed, err := f.cs.BurnMessage(f.ctx, c.ID, m1.Seq)
	must(t, "BurnMessage", err)
	if !changed || !bm.Burned || bm.Text != "" || bm.Mod <= r2.Mod {
		t.Errorf("burned = %s changed %v", fmtMessage(bm), changed)
	}
	if got := f.message(c.ID, m1.Seq); !got.Burned || got.Text != "" {
		t.Errorf("stored after burn: %s", fmtMessage(got))
	}
	if _, changed, err := f.cs.BurnMessage(f.ctx, c.ID, m1.Seq); err != nil || changed {
		t.Errorf("second burn: %v %v", changed, err)
	}
	if due, _ := f.cs.DueBurns(f.ctx, base.Add(365*24*time.Hour), 10); len(due) != 1 || due[0].Seq != m2.Seq {
		t.Errorf("DueBurns after a burn = %+v, want only %d", due, m2.Seq)
	}
	if _, _, err := f.cs.BurnMessage(f.ctx, c.ID, 999); !errors.Is(err, tack.ErrNotFound) {
		t.Errorf("burn of a missing message: %v", err)
	}
	if got, _, _ := f.cs.RevealMessage(f.ctx, c.ID, m1.Seq, now(), now()); got.Text != "" {
		t.Error("reveal of a burned message brought text back")
	}
}

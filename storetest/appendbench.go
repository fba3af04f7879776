package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
)

// BenchmarkAppendDirects is the chat service's group commit under tack
// bench's direct load: each op is one Append of batch messages spread over
// chats direct chats (one transaction), each chat's two people taking turns;
// it reports messages per second.
func BenchmarkAppendDirects(b *testing.B, as account.Store, cs chat.Store, chats, batch int) {
	ctx := context.Background()
	now := time.Now()
	convs := make([]tack.ID, chats)
	pairs := make([][2]tack.ID, chats)
	for i := range chats {
		for j := range 2 {
			u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d-%d-%s@b.c", i, j, tack.NewID()), Name: "u", CreatedAt: now}
			if err := as.CreateUser(ctx, u, "x"); err != nil {
				b.Fatal(err)
			}
			pairs[i][j] = u.ID
		}
		c := chat.Conversation{ID: tack.NewID(), Kind: chat.Direct, CreatedAt: now}
		ms := []chat.Membership{{UserID: pairs[i][0], Role: chat.Member, JoinedAt: now}, {UserID: pairs[i][1], Role: chat.Member, JoinedAt: now}}
		if _, err := cs.CreateConversation(ctx, c, ms, chat.NewMessage{ConversationID: c.ID, SenderID: pairs[i][0],
			Kind: chat.SystemMessage, CreatedAt: now, System: &chat.System{Action: "created", ActorID: pairs[i][0]}}); err != nil {
			b.Fatal(err)
		}
		convs[i] = c.ID
	}
	msgs := make([]chat.NewMessage, batch)
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for j := range msgs {
			k := n % len(convs)
			msgs[j] = chat.NewMessage{ConversationID: convs[k], ClientID: fmt.Sprint("c", n), SenderID: pairs[k][n/len(convs)%2],
				Kind: chat.TextMessage, Text: "bench 1700000000000000000 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", CreatedAt: time.Now()}
			n++
		}
		if _, err := cs.Append(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

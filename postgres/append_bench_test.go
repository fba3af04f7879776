package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/postgres"
)

// benchDirects opens a database with n direct chats of two users each, as
// tack bench's direct scenario has.
func benchDirects(b *testing.B, n int) (*postgres.DB, []tack.ID, [][2]tack.ID) {
	db := open(b)
	ctx := context.Background()
	now := tack.Clock(nil).Now()
	convs := make([]tack.ID, n)
	pairs := make([][2]tack.ID, n)
	for i := range n {
		for j := range 2 {
			u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d-%d@b.c", i, j), Name: "u", CreatedAt: now}
			if err := db.CreateUser(ctx, u, "x"); err != nil {
				b.Fatal(err)
			}
			pairs[i][j] = u.ID
		}
		c := chat.Conversation{ID: tack.NewID(), Kind: chat.Direct, CreatedAt: now}
		ms := []chat.Membership{{UserID: pairs[i][0], Role: chat.Member, JoinedAt: now}, {UserID: pairs[i][1], Role: chat.Member, JoinedAt: now}}
		if _, err := db.CreateConversation(ctx, c, ms, chat.NewMessage{ConversationID: c.ID, SenderID: pairs[i][0],
			Kind: chat.SystemMessage, CreatedAt: now, System: &chat.System{Action: "created", ActorID: pairs[i][0]}}); err != nil {
			b.Fatal(err)
		}
		convs[i] = c.ID
	}
	return db, convs, pairs
}

// BenchmarkAppendBatch256Directs is the chat service's group commit under
// tack bench's direct load on PostgreSQL: each op is one Append of 256
// messages spread over 1,000 direct chats (one transaction), and it
// reports messages per second. Compare with bench.PostgresFloor, the same
// rows inserted bare.
func BenchmarkAppendBatch256Directs(b *testing.B) {
	const batch = 256
	db, convs, pairs := benchDirects(b, 1000)
	ctx := context.Background()
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
		if _, err := db.Append(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

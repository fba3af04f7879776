package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/sqlite"
	"github.com/tackhq/tack/storetest"
)

// benchDB opens a database with one user and one group of members users.
func benchDB(b *testing.B, members int) (*sqlite.DB, tack.ID, []tack.ID) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "b.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	now := time.Now()
	var ids []tack.ID
	var ms []chat.Membership
	for i := 0; i < members; i++ {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d@b.c", i), Name: fmt.Sprint("u", i), CreatedAt: now}
		if err := db.CreateUser(ctx, u, "x"); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, u.ID)
		ms = append(ms, chat.Membership{UserID: u.ID, Role: chat.Member, JoinedAt: now})
	}
	conv := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, Title: "bench", CreatedAt: now}
	if _, err := db.CreateConversation(ctx, conv, ms, chat.NewMessage{ConversationID: conv.ID, SenderID: ids[0], Kind: chat.SystemMessage, CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	return db, conv.ID, ids
}

func benchAppend(b *testing.B, batch int) {
	db, conv, ids := benchDB(b, 2)
	ctx := context.Background()
	msgs := make([]chat.NewMessage, batch)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for j := range msgs {
			n++
			msgs[j] = chat.NewMessage{ConversationID: conv, ClientID: fmt.Sprint("c", n), SenderID: ids[n%2], Kind: chat.TextMessage,
				Text: "a message of ordinary length, about sixty characters long", CreatedAt: time.Now()}
		}
		if _, err := db.Append(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkAppendOne stores one message per transaction.
func BenchmarkAppendOne(b *testing.B) { benchAppend(b, 1) }

// BenchmarkAppendBatch64 stores 64 messages per transaction (group commit).
func BenchmarkAppendBatch64(b *testing.B) { benchAppend(b, 64) }

// BenchmarkAppendBatch256Directs is the chat service's group commit under
// tack bench's direct load: each op is one Append of 256 messages spread
// over 1,000 direct chats (one transaction). Compare with bench's
// SQLite floor, the same rows inserted bare.
func BenchmarkAppendBatch256Directs(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "b.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	storetest.BenchmarkAppendDirects(b, db, db, 1000, 256)
}

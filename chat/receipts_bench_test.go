package chat_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus/inmem"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/sqlite"
)

// BenchmarkReceipts10k lists who has read a message in a 10,000-member
// group where half the members have read it.
func BenchmarkReceipts10k(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "r.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	var ms []chat.Membership
	var ids []tack.ID
	for i := 0; i < 10000; i++ {
		u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d@b.c", i), Name: fmt.Sprint("u", i), CreatedAt: now}
		if err := db.CreateUser(ctx, u, "x"); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, u.ID)
		ms = append(ms, chat.Membership{UserID: u.ID, Role: chat.Member, JoinedAt: now})
	}
	ms[0].Role = chat.Owner
	svc := chat.NewService(db, &inmem.Bus{}, everyone{}, nil, chat.Config{MaxGroupMembers: 10000})
	defer svc.Close()
	conv := chat.Conversation{ID: tack.NewID(), Kind: chat.Group, OwnerID: ids[0], CreatedAt: now}
	if _, err := db.CreateConversation(ctx, conv, ms, chat.NewMessage{ConversationID: conv.ID, SenderID: ids[0], Kind: chat.SystemMessage, CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	owner := tack.WithCaller(ctx, tack.Caller{UserID: ids[0]})
	m, _, err := svc.Send(owner, conv.ID, chat.Draft{ClientID: "x", Text: "read me"})
	if err != nil {
		b.Fatal(err)
	}
	for i := 1; i < 10000; i += 2 {
		if _, _, err := db.SetReadSeq(ctx, conv.ID, ids[i], m.Seq); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		read, unread, err := svc.Receipts(owner, conv.ID, m.Seq)
		if err != nil || len(read) != 5000 || len(unread) != 4999 {
			b.Fatalf("%d read, %d unread, %v", len(read), len(unread), err)
		}
	}
}

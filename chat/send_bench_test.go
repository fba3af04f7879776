package chat_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/bus/inmem"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/sqlite"
)

// BenchmarkSendParallel sends from 128 users in 64 direct chats at once,
// through the whole send path: checks, group commit into SQLite, events.
func BenchmarkSendParallel(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "s.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	svc := chat.NewService(db, &inmem.Bus{}, everyone{}, nil, chat.Config{SendLimit: &limit.Keyed{Rate: 1e9, Burst: 1e9}})
	defer svc.Close()
	type sender struct {
		ctx  context.Context
		conv tack.ID
	}
	var senders []sender
	for i := 0; i < 64; i++ {
		var pair [2]tack.ID
		for j := range pair {
			u := account.User{ID: tack.NewID(), Login: fmt.Sprintf("u%d-%d@b.c", i, j), Name: "u", CreatedAt: now}
			if err := db.CreateUser(ctx, u, "x"); err != nil {
				b.Fatal(err)
			}
			pair[j] = u.ID
		}
		a := tack.WithCaller(ctx, tack.Caller{UserID: pair[0]})
		c, _, err := svc.Create(a, chat.Direct, []tack.ID{pair[1]}, "")
		if err != nil {
			b.Fatal(err)
		}
		senders = append(senders, sender{a, c.ID}, sender{tack.WithCaller(ctx, tack.Caller{UserID: pair[1]}), c.ID})
	}
	var next, id atomic.Int64
	b.SetParallelism(64) // many connections, as a server has
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		s := senders[int(next.Add(1))%len(senders)]
		for pb.Next() {
			if _, _, err := svc.Send(s.ctx, s.conv, chat.Draft{ClientID: "c" + strconv.FormatInt(id.Add(1), 10), Text: "hello there"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

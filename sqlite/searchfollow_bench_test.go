package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// BenchmarkFollowPass is the search follower's cost per message it indexes
// (reading, tokenizing, and the write transaction), for batches of 256
// messages spread over 500 conversations, as a busy server's sends are:
//
//	go test -run X -bench FollowPass -count 6 ./sqlite/
//
// The sends themselves are not timed.
func BenchmarkFollowPass(b *testing.B) {
	r := newFollowRig(b)
	ctx := context.Background()
	convs := make([]tack.ID, 500)
	for i := range convs {
		convs[i] = r.conv(chat.Group, time.Now())
	}
	const per = 256
	batch := make([]chat.NewMessage, per)
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range batch {
			n++
			batch[j] = chat.NewMessage{ConversationID: convs[(n*7919)%len(convs)], ClientID: fmt.Sprintf("f%d", n), SenderID: r.a,
				Kind: chat.TextMessage, Text: fmt.Sprintf("第 %d 条 季度 report 会议 项目 deploy %d", n, n%97), CreatedAt: time.Now()}
		}
		if _, err := r.db.Append(ctx, batch); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if got, err := r.db.indexPending(ctx, 0); err != nil || got != per {
			b.Fatalf("indexPending = %d, %v; want %d", got, err, per)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*per)/1e3, "µs/doc")
}

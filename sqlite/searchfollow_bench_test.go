package sqlite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// BenchmarkFollowPass is the search follower's work for one batch of 256
// sends spread over 1,000 direct chats (as tack bench's direct load stores
// them, in groups here): one op stores the batch (not timed) and indexes it (timed).
func BenchmarkFollowPass(b *testing.B) {
	r := newFollowRig(b)
	ctx := context.Background()
	convs := make([]tack.ID, 1000)
	for i := range convs {
		convs[i] = r.conv(chat.Group, time.Now())
	}
	words := []string{"预算", "会议", "季度", "报告", "meeting", "report", "budget", "deadline", "客户", "合同"}
	msgs := make([]chat.NewMessage, 256)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for j := range msgs {
			n++
			msgs[j] = chat.NewMessage{ConversationID: convs[n%len(convs)], ClientID: fmt.Sprint("f", n), SenderID: r.a, Kind: chat.TextMessage,
				Text: fmt.Sprintf("%s %s 第%d条 %s xxxxxxxx", words[n%10], words[(n/10)%10], n, words[(n/100)%10]), CreatedAt: time.Now()}
		}
		if _, err := r.db.Append(ctx, msgs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := r.db.indexPending(ctx, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

package postgres_test

import (
	"testing"

	"github.com/tackhq/tack/storetest"
)

// BenchmarkAppendBatch256Directs is the chat service's group commit under
// tack bench's direct load on PostgreSQL: each op is one Append of 256
// messages spread over 1,000 direct chats (one transaction), and it
// reports messages per second. Compare with bench.PostgresFloor, the same
// rows inserted bare.
func BenchmarkAppendBatch256Directs(b *testing.B) {
	db := open(b)
	storetest.BenchmarkAppendDirects(b, db, db, 1000, 256)
}

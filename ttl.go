package tack

import (
	"hash/fnv"
	"time"
)

// Life is how long a cache entry stored under key lives, of a cache whose
// entries live at most ttl: from ttl/2 up to (not including) ttl, by a
// hash of key. Entries cached in the same instant (a node's busy chats
// after a start, a load test's first second) then expire spread over
// half the TTL instead of all at once, when their reads back would queue
// behind each other.
func Life(key string, ttl time.Duration) time.Duration {
	half := uint64(ttl / 2)
	if half == 0 {
		return ttl
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	return time.Duration(half + h.Sum64()%half)
}

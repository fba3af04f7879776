package attendance

import (
	"sync"
	"time"
)

// locations caches time.LoadLocation, which reads and parses the zone's
// file on every call (about 20 µs: a punch needs its group's zone three
// times). A Location never changes once loaded; only zones that loaded
// are kept, so the cache holds at most the few hundred IANA names.
var locations sync.Map // name -> *time.Location

// loadLocation is time.LoadLocation, cached.
func loadLocation(name string) (*time.Location, error) {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, l)
	return l, nil
}

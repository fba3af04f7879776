package node

import (
	"sync"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/api"
)

// DefaultMinFreeBytes is Config.MinFreeBytes's default: below this much
// free space in the data directory, writes are refused.
const DefaultMinFreeBytes = 64 << 20

// diskWatch reads the free space of the data directory, at most twice a
// second, for the write guard, /healthz and /metrics.
type diskWatch struct {
	path   string
	min    uint64
	statfs func(path string) (uint64, error)

	mu sync.Mutex
	at time.Time
	st api.DiskStatus
}

func (d *diskWatch) status() api.DiskStatus {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now := time.Now(); now.Sub(d.at) >= 500*time.Millisecond {
		d.at = now
		free, err := d.statfs(d.path)
		d.st = api.DiskStatus{FreeBytes: free, MinFreeBytes: d.min}
		if err != nil {
			// Unknown free space refuses nothing: a write the disk cannot
			// take fails in SQLite, whole, with the same error.
			d.st.Error = err.Error()
		} else {
			d.st.Full = free < d.min
			d.st.Low = free < 2*d.min
		}
	}
	return d.st
}

// guard refuses writes while the disk is full.
func (d *diskWatch) guard() error {
	if d.status().Full {
		return tack.Errorf(tack.EInsufficientStorage, "the server's disk is nearly full: writes are refused until space is freed")
	}
	return nil
}

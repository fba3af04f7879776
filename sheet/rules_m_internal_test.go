package sheet

import (
	"bytes"
	"runtime"
	"testing"
)

// letters is the column reference (A, B, ..., Z, AA, ...) of column n.
func letters(n int) string {
	var b []byte
	for ; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

// TestColumnExactUpTo2p20: column is exact up to column 2^20 and returns
// a number past 2^20 for any reference beyond it, also one whose first
// letters are exactly column 2^20 (it stops only once past).
func TestColumnExactUpTo2p20(t *testing.T) {
	if got := column(letters(1<<20) + "1"); got != 1<<20 {
		t.Errorf("column(%s1) = %d, want %d", letters(1<<20), got, 1<<20)
	}
	for _, ref := range []string{letters(1<<20) + "A1", letters(1<<20+1) + "1", letters(1<<20) + "ZZZZ1"} {
		if got := column(ref); got <= 1<<20 {
			t.Errorf("column(%s) = %d, want past %d", ref, got, 1<<20)
		}
	}
}

// TestCleanGB18030Streams: cleanGB18030 streams the file through a fixed
// buffer, keeping only the last 2 bytes of a piece for the next: checking
// a 2 MiB file allocates its decoded text about once, in passing pieces
// (less than three times the file's size in all), not a copy that grows
// with what was read (which comes to ten times more).
func TestCleanGB18030Streams(t *testing.T) {
	data := bytes.Repeat([]byte("\xd5\xc5\xc8\xfd,"), (2<<20)/5) // 张三, in GBK
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ok := cleanGB18030(data)
	runtime.ReadMemStats(&after)
	if !ok {
		t.Fatal("clean GB18030 refused")
	}
	got := after.TotalAlloc - before.TotalAlloc
	t.Logf("checking %d bytes allocated %d bytes", len(data), got)
	if got > 3*uint64(len(data)) {
		t.Errorf("checking %d bytes allocated %d bytes", len(data), got)
	}
}

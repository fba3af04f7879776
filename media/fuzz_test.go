package media

import (
	"bytes"
	"testing"
)

// FuzzParsers feeds arbitrary bytes to everything that reads uploaded
// content: none may panic, and what the strippers keep must never grow.
func FuzzParsers(f *testing.F) {
	f.Add([]byte("\xFF\xD8\xFF\xE1\x00\x10Exif\x00\x00II*\x00\x08\x00\x00\x00"))
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x04eXIfabcd\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\x10\x00\x00\x00WEBPEXIF\x02\x00\x00\x00ab"))
	f.Add([]byte("\x1A\x45\xDF\xA3\x84webm\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff\x1f\x43\xb6\x75\x81\xe7\x81\x05\xa3\x84\x81\x00\x10\x00"))
	f.Add([]byte("OggS\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00OpusHead"))
	f.Fuzz(func(t *testing.T, b []byte) {
		Sniff(b)
		exifOrientation(b)
		webmDuration(b)
		oggOpusDuration(b, b)
		if out, err := stripJPEG(b); err == nil && len(out) > len(b) {
			t.Fatalf("stripJPEG grew %d -> %d", len(b), len(out))
		}
		if out, err := stripPNG(b); err == nil && len(out) > len(b) {
			t.Fatalf("stripPNG grew %d -> %d", len(b), len(out))
		}
		if out, err := stripWebP(b); err == nil && len(out) > len(b)+1 {
			t.Fatalf("stripWebP grew %d -> %d", len(b), len(out))
		}
		if len(b) < 4096 && bytes.HasPrefix(b, []byte("\xFF\xD8")) {
			processImage(b, "image/jpeg")
		}
	})
}

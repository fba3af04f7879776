package media

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"strings"
	"testing"
)

func TestSniff(t *testing.T) {
	for _, c := range []struct{ head, want string }{
		{"\xFF\xD8\xFF\xE0rest", "image/jpeg"},
		{"\x89PNG\r\n\x1a\n....", "image/png"},
		{"GIF89a...", "image/gif"},
		{"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"},
		{"OggS\x00\x02....OpusHead", "audio/ogg"},
		{"\x1A\x45\xDF\xA3....webm", "audio/webm"},
		{"%PDF-1.7", "application/pdf"},
		{"<!DOCTYPE html><script>", "text/html"},
		{"  <svg xmlns=...>", "image/svg+xml"},
		{"<?xml version=\"1.0\"?><svg>", "image/svg+xml"},
		{"hello, 你好", "text/plain; charset=utf-8"},
		{"\x00\x01\x02", "application/octet-stream"},
	} {
		if got := Sniff([]byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q) = %s, want %s", c.head, got, c.want)
		}
	}
	if Inline("image/svg+xml") || Inline("text/html") || !Inline("image/png") || !Inline("audio/webm") {
		t.Error("Inline: SVG and HTML must never be inline; images and audio are")
	}
}

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":      "passwd",
		`..\..\windows\win.ini`: "win.ini",
		"..":                    "file",
		"":                      "file",
		"报告 2026.pdf":           "报告 2026.pdf",
		"evil\u202egpj.exe":     "evilgpj.exe",
		"a\x00b\nc.txt":         "abc.txt",
		"/":                     "file",
	} {
		if got := CleanName(in); got != want {
			t.Errorf("CleanName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := CleanName(strings.Repeat("长", 200)); len(got) > MaxName {
		t.Errorf("a long name kept %d bytes", len(got))
	}
}

// jpegWithEXIF returns a w×h JPEG whose EXIF says orientation o and
// carries a GPS marker string.
func jpegWithEXIF(t *testing.T, w, h, o int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 100, 255})
		}
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	// TIFF: II, 42, IFD at 8 with one entry: orientation; then a GPS text.
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00")
	tiff = binary.LittleEndian.AppendUint16(tiff, uint16(o))
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	tiff = append(tiff, "GPSLatitude 39.9042N GPSLongitude 116.4074E"...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	data := b.Bytes()
	return append(append(append([]byte{}, data[:2]...), app1...), data[2:]...)
}

func TestImageStripsEXIFAndTurnsUpright(t *testing.T) {
	data := jpegWithEXIF(t, 40, 20, 6) // rotate 90° clockwise to view
	if exifOrientation(data) != 6 {
		t.Fatalf("orientation %d, want 6", exifOrientation(data))
	}
	p, err := processImage(data, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.data, []byte("GPS")) || bytes.Contains(p.data, []byte("Exif")) {
		t.Error("the prepared image still carries EXIF")
	}
	if p.width != 20 || p.height != 40 {
		t.Errorf("size %dx%d, want 20x40 (upright)", p.width, p.height)
	}
	// Upright without re-encoding when there is nothing to turn.
	data = jpegWithEXIF(t, 30, 10, 1)
	p, err = processImage(data, "image/jpeg")
	if err != nil || bytes.Contains(p.data, []byte("GPS")) || p.width != 30 {
		t.Fatalf("orientation 1: err %v, %dx%d", err, p.width, p.height)
	}
	if len(p.data) != len(data)-(len(data)-len(p.data)) || !bytes.HasSuffix(data, p.data[len(p.data)-100:]) {
		t.Error("the scan data changed")
	}
}

func TestThumbnail(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 1200, 600)))
	p, err := processImage(b.Bytes(), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.thumb))
	if err != nil || cfg.Width != 480 || cfg.Height != 240 {
		t.Fatalf("thumbnail %dx%d (%v), want 480x240", cfg.Width, cfg.Height, err)
	}
}

func TestBadImages(t *testing.T) {
	for name, data := range map[string]string{
		"png header on html": "\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>",
		"truncated jpeg":     "\xFF\xD8\xFF\xE0\x00\x10JFIF",
	} {
		if _, err := processImage([]byte(data), Sniff([]byte(data))); err == nil {
			t.Errorf("%s: accepted as an image", name)
		}
	}
}

func TestOggDuration(t *testing.T) {
	head := []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead\x01\x01\x38\x01")
	tail := []byte("OggS\x00\x04")
	tail = binary.LittleEndian.AppendUint64(tail, 48000*5+312)
	tail = append(tail, make([]byte, 20)...)
	if d := oggOpusDuration(head, tail); d != 5000 {
		t.Errorf("duration %d ms, want 5000", d)
	}
}

// TestOrientations checks each EXIF orientation against a marked corner:
// the pixel at the top left of the stored image (red) must end where the
// orientation says the top left of the upright picture is.
func TestOrientations(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 4, 2))
	src.Set(0, 0, color.RGBA{255, 0, 0, 255})
	red := func(img image.Image, x, y int) bool {
		r, g, _, _ := img.At(x, y).RGBA()
		return r > 0xf000 && g < 0x1000
	}
	// Where the stored (0,0) lands in the upright image, per orientation.
	want := map[int][2]int{1: {0, 0}, 2: {3, 0}, 3: {3, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 3}, 8: {0, 3}}
	for o, at := range want {
		out := orientImage(src, o)
		b := out.Bounds()
		if (o >= 5) != (b.Dx() == 2) {
			t.Errorf("orientation %d: size %v", o, b)
		}
		if !red(out, at[0], at[1]) {
			t.Errorf("orientation %d: the marked pixel is not at %v", o, at)
		}
	}
}

// webmClip builds a WebM like MediaRecorder's: a segment and clusters of
// unknown size, no Duration, blocks at the given (cluster, relative) times.
func webmClip(blocks [][2]int) []byte {
	el := func(id []byte, body []byte) []byte {
		out := append([]byte{}, id...)
		n := len(body)
		out = append(out, 0x10|byte(n>>24), byte(n>>16), byte(n>>8), byte(n)) // 4-byte size
		return append(out, body...)
	}
	unknown := []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	out := el([]byte{0x1A, 0x45, 0xDF, 0xA3}, append([]byte{0x42, 0x82, 0x84}, "webm"...))
	out = append(out, 0x18, 0x53, 0x80, 0x67)
	out = append(out, unknown...)
	out = append(out, el([]byte{0x15, 0x49, 0xA9, 0x66}, el([]byte{0x2A, 0xD7, 0xB1}, []byte{0x0F, 0x42, 0x40}))...)
	cur := -1
	for _, b := range blocks {
		if b[0] != cur {
			cur = b[0]
			out = append(out, 0x1F, 0x43, 0xB6, 0x75)
			out = append(out, unknown...)
			out = append(out, el([]byte{0xE7}, []byte{byte(cur >> 8), byte(cur)})...)
		}
		out = append(out, el([]byte{0xA3}, []byte{0x81, byte(b[1] >> 8), byte(b[1]), 0x80, 1, 2, 3})...)
	}
	return out
}

func TestWebMDuration(t *testing.T) {
	clip := webmClip([][2]int{{0, 0}, {0, 20}, {0, 4980}, {5000, 0}, {5000, 1200}})
	if Sniff(clip) != "audio/webm" {
		t.Fatalf("sniffed %s", Sniff(clip))
	}
	if d, ok := webmDuration(clip); !ok || d != 6200 {
		t.Errorf("duration %d ms (%v), want 6200", d, ok)
	}
	if _, ok := webmDuration([]byte("\x1A\x45\xDF\xA3\x84webm")); ok {
		t.Error("a WebM without blocks has a duration")
	}
	long := webmClip([][2]int{{0, 0}, {30000, 0}, {61000, 500}})
	if d, _ := webmDuration(long); d != 61500 {
		t.Errorf("long clip %d ms, want 61500", d)
	}
}

// TestWebMDurationChromium reads a clip Chromium's MediaRecorder recorded
// (about two seconds from the fake microphone, kept from the browser test).
func TestWebMDurationChromium(t *testing.T) {
	data, err := os.ReadFile("testdata/chromium-mediarecorder.webm")
	if err != nil {
		t.Fatal(err)
	}
	if Sniff(data[:SniffLen]) != "audio/webm" {
		t.Fatalf("sniffed %s", Sniff(data[:SniffLen]))
	}
	if d, ok := webmDuration(data); !ok || d < 1800 || d > 2200 {
		t.Errorf("duration %d ms (%v), want about 2000", d, ok)
	}
}

package media

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"

	"github.com/tackhq/tack"
)

// seg is a JPEG marker segment: FF m, a length counting itself, the body.
func seg(m byte, body string) []byte {
	out := []byte{0xFF, m}
	out = binary.BigEndian.AppendUint16(out, uint16(len(body)+2))
	return append(out, body...)
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var (
	soi  = []byte{0xFF, 0xD8}
	scan = []byte{0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9} // start of scan, "image data", end
)

// TestStripJPEGSegments states which segments stripJPEG keeps (byte for
// byte) and which it drops, and how it walks standalone markers.
func TestStripJPEGSegments(t *testing.T) {
	app0 := seg(0xE0, "JFIF\x00\x01\x02")
	app2 := seg(0xE2, "ICC_PROFILE\x00")
	app14 := seg(0xEE, "Adobe")
	dqt := seg(0xDB, "\x00tables")
	for name, c := range map[string]struct{ in, want []byte }{
		"metadata dropped, the rest kept": {
			in: cat(soi, app0, seg(0xE1, "Exif\x00\x00GPS"), app2, seg(0xEC, "Ducky"), seg(0xED, "Photoshop IPTC"),
				app14, seg(0xFE, "a comment"), dqt, scan),
			want: cat(soi, app0, app2, app14, dqt, scan),
		},
		"an empty comment": {
			in:   cat(soi, seg(0xFE, ""), app0, scan),
			want: cat(soi, app0, scan),
		},
		"an empty kept segment": {
			in:   cat(soi, seg(0xE0, ""), scan),
			want: cat(soi, seg(0xE0, ""), scan),
		},
		"fill bytes before a marker": {
			in:   cat(soi, []byte{0xFF, 0xFF}, app0, scan),
			want: cat(soi, app0, scan),
		},
		"standalone markers (RST0, RST7, TEM) have no length": {
			in:   cat(soi, []byte{0xFF, 0xD0}, []byte{0xFF, 0xD7}, []byte{0xFF, 0x01}, scan),
			want: cat(soi, []byte{0xFF, 0xD0}, []byte{0xFF, 0xD7}, []byte{0xFF, 0x01}, scan),
		},
		"end of image without a scan": {
			in:   cat(soi, seg(0xE1, "Exif\x00\x00"), []byte{0xFF, 0xD9, 0, 0}),
			want: cat(soi, []byte{0xFF, 0xD9, 0, 0}),
		},
		"a scan in the last four bytes": {
			in:   cat(soi, []byte{0xFF, 0xDA, 0x00, 0x02}),
			want: cat(soi, []byte{0xFF, 0xDA, 0x00, 0x02}),
		},
	} {
		got, err := stripJPEG(c.in)
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%s: stripJPEG = % x, %v; want % x", name, got, err, c.want)
		}
	}
	for name, in := range map[string][]byte{
		"not a JPEG":                  cat([]byte{0xFF, 0xD9}, scan),
		"no marker":                   cat(soi, []byte{0x00, 0xE0, 0x00, 0x02}, scan),
		"length below 2":              cat(soi, []byte{0xFF, 0xE0, 0x00, 0x01}, scan),
		"length past the end":         cat(soi, []byte{0xFF, 0xE0, 0x00, 0x09, 1, 2}),
		"length 2 past the end":       cat(soi, []byte{0xFF, 0xE0, 0x00, 0x06, 1, 2}),
		"RST-like marker with length": cat(soi, []byte{0xFF, 0xCF}, scan), // 0xCF takes a length: FFDA -> too long
		"no scan":                     cat(soi, app0, app2),
		"SOI-like marker with length": cat(soi, []byte{0xFF, 0xD8}, scan),
	} {
		if got, err := stripJPEG(in); err == nil {
			t.Errorf("%s: stripJPEG = % x, want an error", name, got)
		}
	}
}

// tiff is a TIFF in byte order bo whose first IFD (at offset 8) holds the
// given entries (tag, value as a SHORT) and says it holds count of them.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

func tiff(bo byteOrder, count int, entries ...[2]uint16) []byte {
	var t []byte
	if bo == binary.BigEndian {
		t = []byte("MM\x00*")
	} else {
		t = []byte("II*\x00")
	}
	t = bo.AppendUint32(t, 8)
	t = bo.AppendUint16(t, uint16(count))
	for _, e := range entries {
		t = bo.AppendUint16(t, e[0])
		t = bo.AppendUint16(t, 3) // SHORT
		t = bo.AppendUint32(t, 1)
		t = bo.AppendUint16(t, e[1])
		t = append(t, 0, 0)
	}
	return t
}

func TestTIFFOrientation(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	for name, c := range map[string]struct {
		t    []byte
		want int
	}{
		"little endian":                 {tiff(le, 1, [2]uint16{0x0112, 6}), 6},
		"big endian":                    {tiff(be, 1, [2]uint16{0x0112, 3}), 3},
		"the second entry":              {tiff(le, 2, [2]uint16{0x010F, 7}, [2]uint16{0x0112, 8}), 8},
		"value 1":                       {tiff(le, 1, [2]uint16{0x0112, 1}), 1},
		"value 0":                       {tiff(le, 1, [2]uint16{0x0112, 0}), 0},
		"value 9":                       {tiff(le, 1, [2]uint16{0x0112, 9}), 0},
		"past the entry count":          {tiff(le, 1, [2]uint16{0x010F, 7}, [2]uint16{0x0112, 6}), 0},
		"count beyond the data":         {tiff(le, 3, [2]uint16{0x010F, 7}, [2]uint16{0x0112, 5}), 5},
		"truncated before the tag":      {tiff(le, 3, [2]uint16{0x010F, 7})[:8+2+12+6], 0},
		"bad byte order":                {append([]byte("XX"), tiff(le, 1, [2]uint16{0x0112, 6})[2:]...), 0},
		"short":                         {[]byte("II*\x00\x08\x00\x00"), 0},
		"IFD offset inside the header":  {append([]byte("II*\x00\x04\x00\x00\x00"), tiff(le, 1, [2]uint16{0x0112, 6})[8:]...), 0},
		"IFD offset past the end":       {append([]byte("II*\x00\x40\x00\x00\x00"), make([]byte, 0x40)...), 0},
		"IFD count in the last 2 bytes": {append([]byte("II*\x00\x08\x00\x00\x00"), 0, 0), 0},
	} {
		if got := tiffOrientation(c.t); got != c.want {
			t.Errorf("%s: orientation %d, want %d", name, got, c.want)
		}
	}
	// The IFD offset is read from the header: an IFD further on is found.
	far := append([]byte("II*\x00\x0C\x00\x00\x00\xAA\xAA\xAA\xAA"), tiff(le, 1, [2]uint16{0x0112, 4})[8:]...)
	if got := tiffOrientation(far); got != 4 {
		t.Errorf("IFD at 12: orientation %d, want 4", got)
	}
}

func TestEXIFOrientationWalk(t *testing.T) {
	exif := func(o uint16) []byte {
		return seg(0xE1, "Exif\x00\x00"+string(tiff(binary.LittleEndian, 1, [2]uint16{0x0112, o})))
	}
	for name, c := range map[string]struct {
		in   []byte
		want int
	}{
		"after other segments":            {cat(soi, seg(0xE0, "JFIF"), seg(0xDB, "q"), exif(6), scan), 6},
		"after an empty segment":          {cat(soi, seg(0xE0, ""), exif(5), scan), 5},
		"ending the data":                 {cat(soi, exif(7)), 7},
		"after the scan":                  {cat(soi, scan[:4], exif(6)), 0},
		"not APP1":                        {cat(soi, seg(0xE2, "Exif\x00\x00"+string(tiff(binary.LittleEndian, 1, [2]uint16{0x0112, 6}))), scan), 0},
		"APP1 that is not EXIF (XMP)":     {cat(soi, seg(0xE1, "http://ns.adobe.com/xap/1.0/\x00"), exif(8), scan), 8},
		"a segment running past the data": {cat(soi, []byte{0xFF, 0xE0, 0x10, 0x00}, exif(6)), 0},
		"a length below 2":                {cat(soi, []byte{0xFF, 0xE0, 0x00, 0x01}, exif(6)), 0},
		"EXIF running 2 bytes past":       {cat(soi, exif(6)[:len(exif(6))-2]), 0},
		"a last segment without EXIF":     {cat(soi, seg(0xE0, "JFIF")), 0},
		"a marker cut short at the end":   {cat(soi, seg(0xE0, "JFIF"), []byte{0xFF, 0xD9}), 0},
		"no marker":                       {cat(soi, []byte{0x00, 0xE0, 0x00, 0x02}, exif(6)), 0},
	} {
		if got := exifOrientation(c.in); got != c.want {
			t.Errorf("%s: orientation %d, want %d", name, got, c.want)
		}
	}
}

// TestImageUprightEveryOrientation: orientations 2 to 8 are applied to the
// stored image (5 to 8 swap its sides), 1 and unknown values leave the
// original bytes.
func TestImageUprightEveryOrientation(t *testing.T) {
	for o := 1; o <= 9; o++ {
		data := jpegWithEXIF(t, 40, 20, o)
		p, err := processImage(data, "image/jpeg")
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		w, h := 40, 20
		if o >= 5 && o <= 8 {
			w, h = 20, 40
		}
		if p.width != w || p.height != h {
			t.Errorf("orientation %d: %dx%d, want %dx%d", o, p.width, p.height, w, h)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(p.data))
		if err != nil || cfg.Width != w || cfg.Height != h {
			t.Errorf("orientation %d: stored image %dx%d (%v), want %dx%d", o, cfg.Width, cfg.Height, err, w, h)
		}
		stripped, _ := stripJPEG(data)
		if same := bytes.Equal(p.data, stripped); same != (o == 1 || o == 9) {
			t.Errorf("orientation %d: stored bytes are the original's (stripped): %v", o, same)
		}
		if bytes.Contains(p.data, []byte("GPS")) {
			t.Errorf("orientation %d: GPS kept", o)
		}
	}
}

// pngHeader is the start of a PNG of w×h: enough for DecodeConfig, not for
// Decode.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, ihdr...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(ihdr))
}

func TestImagePixelLimit(t *testing.T) {
	// 10,000 × 5,000 is exactly MaxPixels: not too large (only not whole).
	if _, err := processImage(pngHeader(10_000, 5_000), "image/png"); tack.ErrorCode(err) == tack.ETooLarge {
		t.Errorf("an image of exactly MaxPixels: %v", err)
	}
	for _, wh := range [][2]uint32{{10_000, 5_001}, {5_001, 10_000}, {50_000_001, 1}} {
		if _, err := processImage(pngHeader(wh[0], wh[1]), "image/png"); tack.ErrorCode(err) != tack.ETooLarge {
			t.Errorf("%dx%d: %v, want %s", wh[0], wh[1], err, tack.ETooLarge)
		}
	}
}

// emptyGIF is a GIF of w×h pixels (one of them 0) that Go's GIF decoder
// accepts: a frame as large as the screen and an empty pixel stream.
func emptyGIF(w, h byte) []byte {
	return []byte("GIF89a" + string([]byte{w, 0, h, 0}) + "\x80\x00\x00\xff\xff\xff\x00\x00\x00" +
		"\x2c\x00\x00\x00\x00" + string([]byte{w, 0, h, 0}) + "\x00\x02\x01\x2c\x00\x3b")
}

// TestImageWithoutPixels: an image 0 pixels wide or high is refused, even
// when its decoder would take it.
func TestImageWithoutPixels(t *testing.T) {
	for _, wh := range [][2]byte{{0, 1}, {1, 0}, {0, 0}} {
		if p, err := processImage(emptyGIF(wh[0], wh[1]), "image/gif"); tack.ErrorCode(err) != tack.ETooLarge {
			t.Errorf("%dx%d: %dx%d, %v; want refused (%s)", wh[0], wh[1], p.width, p.height, err, tack.ETooLarge)
		}
	}
}

func TestThumbnailSizes(t *testing.T) {
	for _, c := range []struct{ w, h, tw, th int }{
		{1200, 600, 480, 240},
		{600, 1200, 240, 480},
		{481, 481, 480, 480},
		{480, 480, 480, 480},
		{480, 100, 480, 100},
		{100, 480, 100, 480},
		{20, 10, 20, 10}, // never scaled up
		{4000, 2, 480, 1},
		{2, 4000, 1, 480},
		{960, 1440, 320, 480},
	} {
		src := image.NewRGBA(image.Rect(0, 0, c.w, c.h))
		got, err := thumbnail(src)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(got))
		if err != nil || cfg.Width != c.tw || cfg.Height != c.th {
			t.Errorf("%dx%d: thumbnail %dx%d (%v), want %dx%d", c.w, c.h, cfg.Width, cfg.Height, err, c.tw, c.th)
		}
	}
	// Transparent pixels are shown over white.
	var b bytes.Buffer
	png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 8, 8)))
	p, err := processImage(b.Bytes(), "image/png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := jpeg.Decode(bytes.NewReader(p.thumb))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, bl, _ := img.At(4, 4).RGBA(); r < 0xF000 || g < 0xF000 || bl < 0xF000 {
		t.Errorf("transparent thumbnail pixel %v, want white", color.RGBA64{uint16(r), uint16(g), uint16(bl), 0xFFFF})
	}
}

func TestOggDurationEdges(t *testing.T) {
	head := []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00OpusHead\x01\x01\x38\x01") // pre-skip 312
	page := func(g uint64, extra int) []byte {
		b := binary.LittleEndian.AppendUint64([]byte("OggS\x00\x04"), g)
		return append(b, make([]byte, extra)...)
	}
	for name, c := range map[string]struct {
		head, tail []byte
		want       int
	}{
		"a page header of exactly 14 bytes": {head, page(48000*2+312, 0), 2000},
		"the last page counts":              {head, append(page(48000+312, 10), page(48000*3/2+312, 4)...), 1500},
		"granule below the pre-skip":        {head, page(311, 4), 0},
		"granule unknown (all ones)":        {head, page(^uint64(0), 4), 0},
		"no page in the tail":               {head, []byte("xxxxxxxxxxxxxxxxxxxxxxxx"), 0},
		"a page cut short":                  {head, page(48000*2+312, 0)[:13], 0},
		"not Opus":                          {[]byte("OggS\x00\x02 Vorbis header......"), page(48000*2, 4), 0},
		"no pre-skip in a short head":       {[]byte("OpusHead\x01\x01\x38"), page(48000*2, 4), 2000},
		"OpusHead first":                    {[]byte("OpusHead\x01\x01\x38\x01"), page(48000*2+312, 4), 2000},
	} {
		if got := oggOpusDuration(c.head, c.tail); got != c.want {
			t.Errorf("%s: %d ms, want %d", name, got, c.want)
		}
	}
}

func TestValidWaveform(t *testing.T) {
	bars := func(n, v int) []int {
		w := make([]int, n)
		for i := range w {
			w[i] = v
		}
		return w
	}
	for name, c := range map[string]struct {
		w  []int
		ok bool
	}{
		"none":           {nil, true},
		"64 bars":        {bars(MaxWaveform, 50), true},
		"65 bars":        {bars(MaxWaveform+1, 50), false},
		"0 and the peak": {[]int{0, WaveformPeak}, true},
		"below 0":        {[]int{5, -1}, false},
		"above the peak": {[]int{WaveformPeak + 1}, false},
	} {
		if err := validWaveform(c.w); (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok %v", name, err, c.ok)
		}
	}
}

// TestOrientationsEveryPixel checks every pixel of every orientation
// against the EXIF definitions (mirror, rotate, transpose), on an image
// whose pixels all differ.
func TestOrientationsEveryPixel(t *testing.T) {
	const w, h = 5, 3
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			src.Set(x, y, color.RGBA{uint8(10 * x), uint8(10 * y), 200, 255})
		}
	}
	// Which stored pixel the upright pixel (dx, dy) shows.
	from := map[int]func(dx, dy int) (int, int){
		1: func(dx, dy int) (int, int) { return dx, dy },
		2: func(dx, dy int) (int, int) { return w - 1 - dx, dy },         // mirrored
		3: func(dx, dy int) (int, int) { return w - 1 - dx, h - 1 - dy }, // turned 180°
		4: func(dx, dy int) (int, int) { return dx, h - 1 - dy },         // flipped
		5: func(dx, dy int) (int, int) { return dy, dx },                 // transposed
		6: func(dx, dy int) (int, int) { return dy, h - 1 - dx },         // turned 90° clockwise
		7: func(dx, dy int) (int, int) { return w - 1 - dy, h - 1 - dx }, // transversed
		8: func(dx, dy int) (int, int) { return w - 1 - dy, dx },         // turned 90° anticlockwise
	}
	for o, f := range from {
		out := orientImage(src, o)
		dw, dh := w, h
		if o >= 5 {
			dw, dh = h, w
		}
		if b := out.Bounds(); b.Dx() != dw || b.Dy() != dh {
			t.Errorf("orientation %d: %v, want %dx%d", o, b, dw, dh)
			continue
		}
		for dy := range dh {
			for dx := range dw {
				x, y := f(dx, dy)
				if got, want := out.At(dx, dy), src.At(x, y); got != want {
					t.Errorf("orientation %d: (%d,%d) is %v, want %v (stored (%d,%d))", o, dx, dy, got, want, x, y)
				}
			}
		}
	}
}

func TestSniffMore(t *testing.T) {
	for _, c := range []struct{ head, want string }{
		{"GIF87a...", "image/gif"},
		{"RIFF\x00\x00\x00\x00WEBP", "image/webp"},
		{"RIFF\x00\x00\x00\x00WEB", "application/octet-stream"}, // cut before the form type
		{"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"},
		{"RIFF\x00\x00\x00\x00AVI LIST", "application/octet-stream"},
		{"OggS\x00\x02....\x01vorbis", "audio/ogg"},
		{"OggS\x00\x02....theora", "application/ogg"},
		{"\x1A\x45\xDF\xA3....matroska", "video/x-matroska"},
		{"ID3\x04\x00", "audio/mpeg"},
		{"\xFF\xFB\x90\x00", "audio/mpeg"},               // MPEG-1 layer III frame
		{"\xFF\xF1\x50\x80", "application/octet-stream"}, // ADTS AAC: layer bits 0
		{"\xFF", "application/octet-stream"},
		{"\x00\x00\x00\x20ftypM4A \x00", "audio/mp4"},
		{"\x00\x00\x00\x20ftypM4B \x00", "audio/mp4"},
		{"\x00\x00\x00\x20ftypisom\x00", "video/mp4"},
		{"\x00\x00\x00\x20ftypM4A ", "audio/mp4"}, // exactly 12 bytes
		{"\x00\x00\x00\x20ftypM4A", "application/octet-stream"},
		{"PK\x03\x04....", "application/zip"},
		{"\x1f\x8b\x08", "application/gzip"},
		{"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1....", "application/x-ole-storage"},
		{"\xEF\xBB\xBF\r\n <HTML><body>", "text/html"},
		{"<?xml version=\"1.0\"?><note/>", "text/html"}, // XML that is not SVG is still markup
		{"<a href=x>", "text/html"},
		{"<!-- c -->", "text/html"},
		{"plain\ttext\fwith\rbreaks\n", "text/plain; charset=utf-8"},
		{"ends in a cut rune \xE4\xBD", "text/plain; charset=utf-8"},
		{"a bad byte \xFF in the middle", "application/octet-stream"},
		{"a cut rune \xE4\xBD in the middle", "application/octet-stream"},
		{"DEL \x7f", "application/octet-stream"},
		{"bell \x07", "application/octet-stream"},
		{"", "application/octet-stream"},
	} {
		if got := Sniff([]byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q) = %s, want %s", c.head, got, c.want)
		}
	}
	for _, m := range []string{"image/jpeg", "image/png", "image/gif", "image/webp"} {
		if !IsImage(m) || IsAudio(m) || !Inline(m) {
			t.Errorf("%s: an image", m)
		}
	}
	for _, m := range []string{"audio/ogg", "audio/webm", "audio/mpeg", "audio/mp4", "audio/wav"} {
		if IsImage(m) || !IsAudio(m) || !Inline(m) {
			t.Errorf("%s: audio", m)
		}
	}
	for _, m := range []string{"image/svg+xml", "video/mp4", "application/ogg", "application/pdf", "text/plain; charset=utf-8"} {
		if IsImage(m) || IsAudio(m) || Inline(m) {
			t.Errorf("%s: neither image nor audio, never inline", m)
		}
	}
}

func TestLimits(t *testing.T) {
	l := Limits{Image: 3, Voice: 7, File: 5}
	if l.Max() != 7 || l.of(Image) != 3 || l.of(Voice) != 7 || l.of(File) != 5 || l.of("") != 5 {
		t.Errorf("limits %+v: max %d, image %d, voice %d, file %d", l, l.Max(), l.of(Image), l.of(Voice), l.of(File))
	}
}

// chunk is a PNG chunk (the CRC is not checked by stripPNG).
func chunk(typ, body string) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	out = append(out, typ...)
	out = append(out, body...)
	return append(out, 0, 0, 0, 0)
}

func TestStripPNG(t *testing.T) {
	sig := []byte("\x89PNG\r\n\x1a\n")
	ihdr, idat, iend := chunk("IHDR", "0123456789abc"), chunk("IDAT", "pixels"), chunk("IEND", "")
	in := cat(sig, ihdr, chunk("tEXt", "GPS"), chunk("zTXt", "z"), chunk("iTXt", "i"), chunk("tIME", "1234567"),
		chunk("eXIf", "Exif"), chunk("iCCP", "profile"), idat, iend, []byte("trailing"))
	got, err := stripPNG(in)
	if want := cat(sig, ihdr, chunk("iCCP", "profile"), idat, iend); err != nil || !bytes.Equal(got, want) {
		t.Errorf("stripPNG = %q, %v; want %q", got, err, want)
	}
	// IEND exactly at the end; an empty chunk before it.
	if got, err := stripPNG(cat(sig, ihdr, chunk("tEXt", ""), iend)); err != nil || !bytes.Equal(got, cat(sig, ihdr, iend)) {
		t.Errorf("IEND at the end: %q, %v", got, err)
	}
	for name, in := range map[string][]byte{
		"not a PNG":            cat([]byte("\x89PNG\r\n\x1a"), ihdr, iend),
		"no IEND":              cat(sig, ihdr, idat),
		"a chunk past the end": cat(sig, ihdr, chunk("IDAT", "pixels")[:15], iend[:0]),
		"a length over 2 GB":   cat(sig, []byte{0x80, 0, 0, 0}, []byte("IDAT"), make([]byte, 8), iend),
		"IEND cut short":       cat(sig, ihdr, iend[:11]),
	} {
		if got, err := stripPNG(in); err == nil {
			t.Errorf("%s: stripPNG = %q, want an error", name, got)
		}
	}
}

// riff is a WebP chunk, padded to an even length.
func riff(typ, body string) []byte {
	out := append([]byte(typ), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	out = append(out, body...)
	if len(body)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

func webpFile(chunks ...[]byte) []byte {
	body := cat(append([][]byte{[]byte("WEBP")}, chunks...)...)
	return cat([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body))), body)
}

func TestStripWebP(t *testing.T) {
	vp8x := riff("VP8X", "\x3c\x00\x00\x00\x01\x00\x00\x01\x00\x00") // flags: ICC, alpha, EXIF, XMP
	img := riff("VP8L", "odd")                                       // odd length: padded
	got, err := stripWebP(webpFile(vp8x, riff("ICCP", "icc"), img, riff("EXIF", "GPS 39.9N"), riff("XMP ", "<x/>")))
	want := webpFile(riff("VP8X", "\x30\x00\x00\x00\x01\x00\x00\x01\x00\x00"), riff("ICCP", "icc"), img)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("stripWebP = %q, %v;\nwant %q", got, err, want)
	}
	for name, in := range map[string][]byte{
		"not RIFF":         append([]byte("RIFX"), webpFile(img)[4:]...),
		"not WEBP":         append(append([]byte{}, webpFile(img)[:8]...), append([]byte("WAVE"), webpFile(img)[12:]...)...),
		"short":            []byte("RIFF\x00\x00\x00\x00WEB"),
		"a chunk too long": cat([]byte("RIFF\x10\x00\x00\x00WEBP"), []byte("VP8L\x20\x00\x00\x00abcd")),
	} {
		if got, err := stripWebP(in); err == nil {
			t.Errorf("%s: stripWebP = %q, want an error", name, got)
		}
	}
	// An odd chunk at the very end, its padding byte missing: kept as is.
	odd := cat([]byte("RIFF\x0f\x00\x00\x00WEBP"), []byte("VP8L\x03\x00\x00\x00abc"))
	if got, err := stripWebP(odd); err != nil || !bytes.Equal(got, odd) {
		t.Errorf("an unpadded last chunk: %q, %v; want it unchanged", got, err)
	}
	// A VP8X chunk too short to hold its flags is kept as it is.
	short := webpFile(riff("VP8X", ""), img)
	if got, err := stripWebP(short); err != nil || !bytes.Equal(got, short) {
		t.Errorf("an empty VP8X: %q, %v", got, err)
	}
	// The RIFF size is rewritten to what is left.
	if got, _ := stripWebP(webpFile(img, riff("EXIF", "0123456789"))); binary.LittleEndian.Uint32(got[4:]) != uint32(len(got)-8) {
		t.Errorf("RIFF size %d, want %d", binary.LittleEndian.Uint32(got[4:]), len(got)-8)
	}
}

// TestWebMTimecodeScale: the segment's TimecodeScale (ns a tick) scales
// the blocks' times; a scale of 0 or of 2^40 and more is ignored (1 ms).
func TestWebMTimecodeScale(t *testing.T) {
	clip := webmClip([][2]int{{0, 0}, {4000, 1000}})
	def := []byte{0x2A, 0xD7, 0xB1, 0x10, 0, 0, 3, 0x0F, 0x42, 0x40}
	if !bytes.Contains(clip, def) {
		t.Fatal("webmClip has no TimecodeScale of 1 ms")
	}
	for name, c := range map[string]struct {
		scale []byte
		want  int
	}{
		"1 ms":            {def, 5000},
		"0.5 ms":          {[]byte{0x2A, 0xD7, 0xB1, 0x10, 0, 0, 3, 0x07, 0xA1, 0x20}, 2500},
		"0":               {[]byte{0x2A, 0xD7, 0xB1, 0x10, 0, 0, 1, 0}, 5000},
		"2^40 - 1 ns":     {[]byte{0x2A, 0xD7, 0xB1, 0x10, 0, 0, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, 1<<31 - 1},
		"2^40 ns":         {[]byte{0x2A, 0xD7, 0xB1, 0x10, 0, 0, 6, 1, 0, 0, 0, 0, 0}, 5000},
		"no scale at all": {nil, 5000},
	} {
		data := bytes.Replace(clip, def, c.scale, 1)
		if d, ok := webmDuration(data); !ok || d != c.want {
			t.Errorf("%s: %d ms (%v), want %d", name, d, ok, c.want)
		}
	}
}

// TestWebMEmptyElement: an element of size 0 (an empty Void here) is
// skipped like any other; the blocks after it still count.
func TestWebMEmptyElement(t *testing.T) {
	first := webmClip([][2]int{{0, 0}, {0, 1000}})
	rest := webmClip([][2]int{{3000, 500}})
	// rest without its header, segment and info: from its first cluster on.
	i := bytes.Index(rest, []byte{0x1F, 0x43, 0xB6, 0x75})
	data := cat(first, []byte{0xEC, 0x80}, rest[i:])
	if d, ok := webmDuration(data); !ok || d != 3500 {
		t.Errorf("duration %d ms (%v), want 3500", d, ok)
	}
}

package media

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"
)

func photo(b *testing.B, w, h int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			n := uint8(r.IntN(48))
			img.Set(x, y, color.RGBA{uint8(x/6) + n, uint8(y/5) + n, uint8((x+y)/10) + n, 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	return buf.Bytes()
}

// BenchmarkProcessJPEG prepares a ~1 MB photo: strip, decode, thumbnail.
func BenchmarkProcessJPEG(b *testing.B) {
	data := photo(b, 1600, 1200)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := processImage(data, "image/jpeg"); err != nil {
			b.Fatal(err)
		}
	}
}

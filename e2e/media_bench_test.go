package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// noisyJPEG is a photo-like JPEG of about 1 MB (1600×1200): smooth gradients with
// noise, different for each seed.
func noisyJPEG(b *testing.B, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed*7+1))
	img := image.NewRGBA(image.Rect(0, 0, 1600, 1200))
	for y := range 1200 {
		for x := range 1600 {
			n := uint8(r.IntN(48))
			img.Set(x, y, color.RGBA{uint8(x/6) + n, uint8(y/5) + n, uint8((x+y)/10) + n, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkMediaUploadImage uploads distinct ~1 MB JPEGs through the real
// server: spooling, hashing, EXIF stripping, a 480 px thumbnail, the blob
// write (fsync) and the row.
func BenchmarkMediaUploadImage(b *testing.B) {
	srv := tacktest.NewServer(b)
	u := srv.NewUser(b, "bench")
	ctx := context.Background()
	imgs := make([][]byte, 8)
	for i := range imgs {
		imgs[i] = noisyJPEG(b, uint64(i+1))
	}
	b.SetBytes(int64(len(imgs[0])))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		data := imgs[i%len(imgs)]
		if i >= len(imgs) {
			b.StopTimer()
			data = noisyJPEG(b, uint64(i+1)) // never the same content twice: no dedup
			b.StartTimer()
		}
		if _, err := u.Upload(ctx, bytes.NewReader(data), client.UploadOptions{Name: "p.jpg", Size: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMediaDownloadParallel downloads one 1 MB file from many
// goroutines at once (each request checks access and streams from disk).
func BenchmarkMediaDownloadParallel(b *testing.B) {
	srv := tacktest.NewServer(b)
	u := srv.NewUser(b, "bench")
	ctx := context.Background()
	data := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	f, err := u.Upload(ctx, bytes.NewReader(data), client.UploadOptions{Name: "blob.bin", Size: int64(len(data))})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := u.Download(ctx, string(f.ID), false)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if n != int64(len(data)) {
				b.Errorf("read %d bytes", n)
				return
			}
		}
	})
}

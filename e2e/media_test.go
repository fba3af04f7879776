package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// gpsJPEG is a w×h JPEG whose EXIF holds orientation o and GPS text.
func gpsJPEG(t *testing.T, w, h, o int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 3), uint8(y * 5), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	tiff := []byte("II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00\x00\x00")
	tiff = binary.LittleEndian.AppendUint16(tiff, uint16(o))
	tiff = append(tiff, 0, 0, 0, 0, 0, 0)
	tiff = append(tiff, "GPSLatitude 39.9042N GPSLongitude 116.4074E"...)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := binary.BigEndian.AppendUint16([]byte{0xFF, 0xE1}, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	data := b.Bytes()
	return append(append(append([]byte{}, data[:2]...), app1...), data[2:]...)
}

// oggOpus is a minimal Ogg Opus stream lasting ms milliseconds (by the
// granule position of its last page).
func oggOpus(ms int) []byte {
	head := []byte("OggS\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00")
	body := bytes.Repeat([]byte{0x55}, 4000)
	tail := []byte("OggS\x00\x04")
	tail = binary.LittleEndian.AppendUint64(tail, uint64(ms)*48+312)
	tail = append(tail, make([]byte, 20)...)
	return append(append(head, body...), tail...)
}

func mediaServer(t *testing.T, opts ...tacktest.Option) (*tacktest.Server, *atomic.Int64) {
	var skew atomic.Int64
	opts = append([]tacktest.Option{tacktest.WithConfig(func(c *node.Config) {
		c.MediaGrace, c.MediaEvery = -1, -1 // the test collects
		c.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})}, opts...)
	return tacktest.NewServer(t, opts...), &skew
}

// blobFiles lists the objects in the server's media directory.
func blobFiles(t *testing.T, srv *tacktest.Server) []string {
	t.Helper()
	var out []string
	root := filepath.Join(srv.Config.DataDir, "media", "obj")
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func upload(t *testing.T, u *tacktest.User, data []byte, o client.UploadOptions) client.File {
	t.Helper()
	o.Size = int64(len(data))
	f, err := u.Upload(ctxT(t), bytes.NewReader(data), o)
	if err != nil {
		t.Fatalf("upload %s: %v", o.Name, err)
	}
	return f
}

func fetchFile(t *testing.T, u *tacktest.User, id string, thumb bool) ([]byte, http.Header, error) {
	t.Helper()
	resp, err := u.Download(ctxT(t), id, thumb)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.Header, err
}

func TestMediaImageSendFetch(t *testing.T) {
	srv, skew := mediaServer(t)
	ctx := ctxT(t)
	zhang, bob, carol, outsider := srv.NewUser(t, "張三"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol"), srv.NewUser(t, "Mallory")
	g, err := zhang.CreateConversation(ctx, "group", []string{bob.ID, carol.ID}, "照片")
	if err != nil {
		t.Fatal(err)
	}
	bs := connect(t, bob.Client, nil)

	photo := gpsJPEG(t, 120, 60, 6)
	f := upload(t, zhang, photo, client.UploadOptions{Name: "IMG_0001.jpg"})
	if f.Kind != "image" || f.MIME != "image/jpeg" || f.Width != 60 || f.Height != 120 || !f.Thumb || f.Name != "IMG_0001.jpg" {
		t.Fatalf("upload = %+v (want an upright 60x120 image with a thumbnail)", f)
	}
	m, err := zhang.Send(ctx, string(g.ID), client.Draft{ClientID: "img1", Attachments: []string{string(f.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != "image" || len(m.Attachments) != 1 || m.Attachments[0].Width != 60 || m.Attachments[0].Height != 120 {
		t.Fatalf("sent %+v", m)
	}
	live := waitEvent(t, bs, "the image message", func(e client.Event) bool { return e.Type == "message" && e.Message.Seq == m.Seq })
	if len(live.Message.Attachments) != 1 || live.Message.Attachments[0].ID != f.ID {
		t.Fatalf("bob got %+v", live.Message)
	}

	// Bob fetches it: no EXIF, no GPS.
	got, h, err := fetchFile(t, bob, string(f.ID), false)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got, []byte("GPS")) || bytes.Contains(got, []byte("Exif")) {
		t.Error("the downloaded image carries EXIF/GPS")
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(got)); err != nil || cfg.Width != 60 || cfg.Height != 120 {
		t.Errorf("downloaded image %dx%d (%v), want 60x120", cfg.Width, cfg.Height, err)
	}
	if h.Get("Content-Type") != "image/jpeg" || h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline;") {
		t.Errorf("headers %v", h)
	}
	thumb, th, err := fetchFile(t, bob, string(f.ID), true)
	if err != nil || th.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %v %v", err, th)
	}
	if _, err := jpeg.DecodeConfig(bytes.NewReader(thumb)); err != nil {
		t.Errorf("thumbnail is not a JPEG: %v", err)
	}
	// Range.
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/files/"+string(f.ID), nil)
	req.Header.Set("Authorization", "Bearer "+bob.Token)
	req.Header.Set("Range", "bytes=2-11")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(part, got[2:12]) {
		t.Errorf("range: %d, %d bytes", resp.StatusCode, len(part))
	}

	// An outsider gets 404, by download, info or sending it on.
	if _, _, err := fetchFile(t, outsider, string(f.ID), false); apiCode(err) != "not_found" {
		t.Errorf("outsider download: %v, want not_found", err)
	}
	if _, err := outsider.FileInfo(ctx, string(f.ID)); apiCode(err) != "not_found" {
		t.Errorf("outsider info: %v", err)
	}
	od, _ := outsider.CreateConversation(ctx, "direct", []string{zhang.ID}, "")
	if _, err := outsider.Send(ctx, string(od.ID), client.Draft{ClientID: "steal", Attachments: []string{string(f.ID)}}); apiCode(err) != "not_found" {
		t.Errorf("outsider sends someone else's file: %v, want not_found", err)
	}
	// A removed member loses access.
	if _, _, err := fetchFile(t, carol, string(f.ID), false); err != nil {
		t.Fatalf("carol before removal: %v", err)
	}
	if err := zhang.RemoveMember(ctx, string(g.ID), carol.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fetchFile(t, carol, string(f.ID), false); apiCode(err) != "not_found" {
		t.Errorf("removed member: %v, want not_found", err)
	}

	// Forwarding without uploading again: Bob sends it to Dave.
	dave := srv.NewUser(t, "Dave")
	bd, _ := bob.CreateConversation(ctx, "direct", []string{dave.ID}, "")
	if _, err := bob.Send(ctx, string(bd.ID), client.Draft{ClientID: "fwd", Text: "看这个", Attachments: []string{string(f.ID)}}); err != nil {
		t.Fatalf("forward: %v", err)
	}
	if b, _, err := fetchFile(t, dave, string(f.ID), false); err != nil || !bytes.Equal(b, got) {
		t.Errorf("dave after forward: %v", err)
	}

	// A signed URL works without a token, then expires.
	u, err := bob.FileURL(ctx, string(f.ID), false)
	if err != nil {
		t.Fatal(err)
	}
	status := func(u string) int {
		resp, err := http.Get(srv.URL + u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := status(u); s != 200 {
		t.Errorf("signed URL: %d", s)
	}
	if s := status(strings.Replace(u, "sig=", "sig=x", 1)); s != 404 {
		t.Errorf("tampered signature: %d, want 404", s)
	}
	if s := status("/api/v1/files/" + string(f.ID)); s != 401 {
		t.Errorf("no token, no signature: %d, want 401", s)
	}
	if _, err := outsider.FileURL(ctx, string(f.ID), false); apiCode(err) != "not_found" {
		t.Errorf("outsider signs a URL: %v", err)
	}
	skew.Store(int64(11 * time.Minute))
	if s := status(u); s != 409 && s != 404 {
		t.Errorf("expired signed URL: %d, want refused", s)
	}
	skew.Store(0)

	// Recall, collect: the blob is gone (the forwarded copy keeps it until
	// that message goes too).
	before := len(blobFiles(t, srv))
	if _, err := zhang.Recall(ctx, string(g.ID), m.Seq); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fetchFile(t, carol, string(f.ID), false); apiCode(err) != "not_found" {
		t.Errorf("after recall: %v", err)
	}
	if _, _, err := srv.Node.Media.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(blobFiles(t, srv)); n != before {
		t.Errorf("collected while a forwarded message still carries it: %d -> %d", before, n)
	}
	fm, _ := bob.History(ctx, string(bd.ID), 0, 1<<40, 10)
	if _, err := bob.Recall(ctx, string(bd.ID), fm[len(fm)-1].Seq); err != nil {
		t.Fatal(err)
	}
	files, blobs, err := srv.Node.Media.Collect(ctx)
	if err != nil || files != 1 || blobs != 2 {
		t.Fatalf("collect after both recalls: %d files, %d blobs, %v; want 1 and 2 (image, thumbnail)", files, blobs, err)
	}
	if n := len(blobFiles(t, srv)); n != 0 {
		t.Errorf("%d blobs left after collection", n)
	}
	if _, _, err := fetchFile(t, zhang, string(f.ID), false); apiCode(err) != "not_found" {
		t.Errorf("uploader after collection: %v", err)
	}
}

func TestMediaVoicePictureAndFiles(t *testing.T) {
	srv, _ := mediaServer(t)
	ctx := ctxT(t)
	zhang, bob := srv.NewUser(t, "張三"), srv.NewUser(t, "Bob")
	d, _ := zhang.CreateConversation(ctx, "direct", []string{bob.ID}, "")

	voice := upload(t, zhang, oggOpus(4200), client.UploadOptions{Name: "voice.ogg", Kind: "voice", DurationMS: 99999, Waveform: []int{0, 10, 80, 100, 40}})
	if voice.Kind != "voice" || voice.DurationMS != 4200 || voice.MIME != "audio/ogg" || len(voice.Waveform) != 5 {
		t.Fatalf("voice = %+v (the clip's own duration wins)", voice)
	}
	webm := append([]byte("\x1A\x45\xDF\xA3\x9f\x42\x86\x81\x01\x42\x82\x84webm"), bytes.Repeat([]byte{1}, 3000)...)
	if _, err := zhang.Upload(ctx, bytes.NewReader(webm), client.UploadOptions{Kind: "voice", Size: int64(len(webm))}); apiCode(err) != "invalid" {
		t.Errorf("WebM voice without duration_ms: %v, want invalid", err)
	}
	if _, err := zhang.Upload(ctx, bytes.NewReader(webm), client.UploadOptions{Kind: "voice", Size: int64(len(webm)), DurationMS: 61000}); apiCode(err) != "too_large" {
		t.Errorf("a 61 s voice clip: %v, want too_large", err)
	}
	if _, err := zhang.Upload(ctx, bytes.NewReader(oggOpus(70000)), client.UploadOptions{Kind: "voice", Size: int64(len(oggOpus(70000)))}); apiCode(err) != "too_large" {
		t.Errorf("a 70 s Ogg clip: %v, want too_large", err)
	}
	// A real MediaRecorder clip: its blocks say how long it is, whatever the
	// client claims.
	rec, err := os.ReadFile("../media/testdata/chromium-mediarecorder.webm")
	if err != nil {
		t.Fatal(err)
	}
	wv := upload(t, zhang, rec, client.UploadOptions{Kind: "voice", DurationMS: 59000})
	if wv.MIME != "audio/webm" || wv.DurationMS < 1800 || wv.DurationMS > 2200 {
		t.Errorf("WebM clip: %s, %d ms; want audio/webm of about 2 s", wv.MIME, wv.DurationMS)
	}
	pic := upload(t, zhang, gpsJPEG(t, 64, 48, 1), client.UploadOptions{Name: "beach.jpg"})
	vp, err := zhang.Send(ctx, string(d.ID), client.Draft{ClientID: "vp", Attachments: []string{string(pic.ID), string(voice.ID)}})
	if err != nil {
		t.Fatal(err)
	}
	if vp.Kind != "voice_picture" || len(vp.Attachments) != 2 {
		t.Fatalf("voice picture = %+v", vp)
	}
	if b, h, err := fetchFile(t, bob, string(voice.ID), false); err != nil || h.Get("Content-Type") != "audio/ogg" || len(b) != len(oggOpus(4200)) {
		t.Errorf("bob plays the clip: %v %v", err, h)
	}
	// Played state, per listener.
	if err := bob.MarkPlayed(ctx, string(d.ID), vp.Seq); err != nil {
		t.Fatal(err)
	}
	if p, _ := bob.Played(ctx, string(d.ID)); len(p) != 1 || p[0] != vp.Seq {
		t.Errorf("bob played %v", p)
	}
	if p, _ := zhang.Played(ctx, string(d.ID)); len(p) != 0 {
		t.Errorf("zhang played %v", p)
	}
	txt, _ := zhang.Send(ctx, string(d.ID), client.Draft{ClientID: "t", Text: "hi"})
	if err := bob.MarkPlayed(ctx, string(d.ID), txt.Seq); apiCode(err) != "not_found" {
		t.Errorf("played on a text: %v", err)
	}

	// Over the stream too.
	bs := connect(t, bob.Client, nil)
	bp := upload(t, bob, gpsJPEG(t, 30, 50, 1), client.UploadOptions{Name: "reply.jpg"})
	sm, err := bs.Send(ctx, string(d.ID), client.Draft{ClientID: "stream-img", Text: "回你一张", Attachments: []string{string(bp.ID)}})
	if err != nil || sm.Kind != "image" || len(sm.Attachments) != 1 || sm.Attachments[0].Height != 50 || sm.Text != "回你一张" {
		t.Fatalf("image over the stream: %+v, %v", sm, err)
	}

	// Combinations that are not messages.
	doc := upload(t, zhang, []byte("%PDF-1.4 report"), client.UploadOptions{Name: "../../etc/报告.pdf"})
	if doc.Name != "报告.pdf" || doc.Kind != "file" || doc.MIME != "application/pdf" {
		t.Errorf("file = %+v", doc)
	}
	for i, atts := range [][]string{{string(doc.ID), string(pic.ID)}, {string(voice.ID), string(voice.ID)}, {"nonsense"}} {
		if _, err := zhang.Send(ctx, string(d.ID), client.Draft{ClientID: fmt.Sprint("bad", i), Attachments: atts}); apiCode(err) != "invalid" {
			t.Errorf("attachments %v: %v, want invalid", atts, err)
		}
	}
	// Nine images in a grid; ten are too many.
	var nine []string
	for i := range 10 {
		nine = append(nine, string(upload(t, zhang, gpsJPEG(t, 20+i, 20, 1), client.UploadOptions{}).ID))
	}
	if m, err := zhang.Send(ctx, string(d.ID), client.Draft{ClientID: "grid", Attachments: nine[:9]}); err != nil || m.Kind != "image" || len(m.Attachments) != 9 {
		t.Errorf("nine images: %v", err)
	}
	if _, err := zhang.Send(ctx, string(d.ID), client.Draft{ClientID: "grid10", Attachments: nine}); apiCode(err) != "too_large" {
		t.Errorf("ten images: %v, want too_large", err)
	}
	// A file message; HTML is never served inline.
	html := upload(t, zhang, []byte("<!DOCTYPE html><script>alert(document.cookie)</script>"), client.UploadOptions{Name: "x.html"})
	if _, err := zhang.Send(ctx, string(d.ID), client.Draft{ClientID: "html", Attachments: []string{string(html.ID)}}); err != nil {
		t.Fatal(err)
	}
	_, h, err := fetchFile(t, bob, string(html.ID), false)
	if err != nil || h.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("html download: %v %v", err, h)
	}
	// Same content, same blob.
	before := len(blobFiles(t, srv))
	again := upload(t, bob, []byte("%PDF-1.4 report"), client.UploadOptions{Name: "copy.pdf"})
	if again.SHA256 != doc.SHA256 || len(blobFiles(t, srv)) != before {
		t.Errorf("dedup: %s vs %s, blobs %d -> %d", again.SHA256, doc.SHA256, before, len(blobFiles(t, srv)))
	}
}

func TestMediaBadUploads(t *testing.T) {
	srv, _ := mediaServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.MediaLimits = media.Limits{Image: 1 << 20, Voice: 256 << 10, File: 2 << 20}
	}))
	ctx := ctxT(t)
	zhang := srv.NewUser(t, "張三")
	spool := filepath.Join(srv.Config.DataDir, "media", "spool")

	// A PNG header on an HTML body is not an image.
	fake := []byte("\x89PNG\r\n\x1a\n<html><body><script>alert(1)</script></body></html>")
	for _, kind := range []string{"image", ""} {
		if _, err := zhang.Upload(ctx, bytes.NewReader(fake), client.UploadOptions{Kind: kind, Size: int64(len(fake))}); apiCode(err) != "invalid" {
			t.Errorf("PNG header on HTML (kind %q): %v, want invalid", kind, err)
		}
	}
	// A voice clip must be audio; an image must be an image.
	if _, err := zhang.Upload(ctx, strings.NewReader("hello"), client.UploadOptions{Kind: "voice", Size: 5, DurationMS: 1000}); apiCode(err) != "invalid" {
		t.Errorf("text as voice: %v", err)
	}
	if _, err := zhang.Upload(ctx, strings.NewReader("%PDF-1.4"), client.UploadOptions{Kind: "image", Size: 8}); apiCode(err) != "invalid" {
		t.Errorf("PDF as image: %v", err)
	}
	if _, err := zhang.Upload(ctx, strings.NewReader("x"), client.UploadOptions{Kind: "movie", Size: 1}); apiCode(err) != "invalid" {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := zhang.Upload(ctx, http.NoBody, client.UploadOptions{Size: 0}); apiCode(err) != "invalid" {
		t.Errorf("empty: %v", err)
	}
	// Too large, declared: refused before the body is read.
	var sent atomic.Int64
	big := &countingZeros{n: 101 << 20, read: &sent}
	if _, err := zhang.Upload(ctx, big, client.UploadOptions{Size: big.n, Name: "big.bin"}); apiCode(err) != "too_large" {
		t.Errorf("101 MB: %v, want too_large", err)
	}
	if s := sent.Load(); s > 8<<20 {
		t.Errorf("the client got to send %d bytes of a refused upload", s)
	}
	// Too large, undeclared (chunked): cut off at the limit.
	if _, err := zhang.Upload(ctx, io.LimitReader(&countingZeros{n: 3 << 20, read: new(atomic.Int64)}, 3<<20), client.UploadOptions{Size: -1}); apiCode(err) != "too_large" {
		t.Errorf("chunked 3 MB over a 2 MB limit: %v", err)
	}
	// An image over the image limit, though under the file limit.
	bigImg := append(gpsJPEG(t, 10, 10, 1), make([]byte, 1<<20)...)
	if _, err := zhang.Upload(ctx, bytes.NewReader(bigImg), client.UploadOptions{Size: int64(len(bigImg))}); apiCode(err) != "too_large" {
		t.Errorf("image over its limit: %v", err)
	}
	// A truncated upload: the connection ends before the declared length.
	addr := strings.TrimPrefix(srv.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /api/v1/files?name=cut.bin HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 500000\r\n\r\n", addr, zhang.Token)
	conn.Write(bytes.Repeat([]byte("a"), 100000))
	conn.Close()
	// Nothing stays: no blob, no spool file, no row (a collection finds none).
	deadline := time.Now().Add(20 * time.Second)
	for {
		ents, _ := os.ReadDir(spool)
		if len(ents) == 0 || time.Now().After(deadline) {
			if len(ents) != 0 {
				t.Errorf("%d spool files left", len(ents))
			}
			break
		}
		time.Sleep(20 * time.Millisecond) // polling the spool, with its deadline
	}
	if n := len(blobFiles(t, srv)); n != 0 {
		t.Errorf("%d blobs after refused uploads", n)
	}
	if files, _, err := srv.Node.Media.Collect(ctx); err != nil || files != 0 {
		t.Errorf("collect found %d rows of refused uploads (%v)", files, err)
	}
	// Path traversal names stay names.
	f := upload(t, zhang, []byte("plain text"), client.UploadOptions{Name: "../../../../tmp/evil.txt"})
	if f.Name != "evil.txt" {
		t.Errorf("name %q", f.Name)
	}
	for _, p := range blobFiles(t, srv) {
		if !strings.HasPrefix(p, filepath.Join(srv.Config.DataDir, "media", "obj")+string(filepath.Separator)) || strings.Contains(p, "evil") {
			t.Errorf("a blob at %s", p)
		}
	}
	// Path tricks in the file ID are just unknown files.
	for _, id := range []string{"..%2F..%2Ftack.db", "%2e%2e", string(f.ID) + "x"} {
		resp, err := http.Get(srv.URL + "/api/v1/files/" + id + "?exp=9999999999&sig=x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("file %q: %d, want 404", id, resp.StatusCode)
		}
	}
}

// countingZeros yields n zero bytes and counts what was read.
type countingZeros struct {
	n, off int64
	read   *atomic.Int64
}

func (z *countingZeros) Read(p []byte) (int, error) {
	if z.off >= z.n {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n-z.off)
	clear(p[:k])
	z.off += k
	z.read.Add(k)
	return int(k), nil
}

var _ = context.Background

// TestMediaDiskFull: uploads are refused (507) while the data disk is full,
// and work again when space is back.
func TestMediaDiskFull(t *testing.T) {
	var free atomic.Uint64
	free.Store(1 << 40)
	srv, _ := mediaServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.MinFreeBytes = 64 << 20
		c.Statfs = func(string) (uint64, error) { return free.Load(), nil }
	}))
	u := srv.NewUser(t, "張三")
	free.Store(10 << 20)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := u.Upload(ctxT(t), strings.NewReader("hello"), client.UploadOptions{Size: 5})
		if apiCode(err) == "insufficient_storage" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload on a full disk: %v, want insufficient_storage", err)
		}
		time.Sleep(50 * time.Millisecond) // the disk status is cached briefly
	}
	free.Store(1 << 40)
	for {
		_, err := u.Upload(ctxT(t), strings.NewReader("hello"), client.UploadOptions{Size: 5})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload after space came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // polling: the disk status is cached briefly
	}
}

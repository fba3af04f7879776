package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

func testJPEG(t *testing.T, w, h int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{c.R, uint8(min(255, int(c.G)+y*60/h)), uint8(min(255, int(c.B)+x*60/w)), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserMedia: a plain member records a voice picture in the browser
// (Chromium's fake microphone) and sends it; the other person sees the photo
// with its play badge and red dot, taps it and hears it. Also photos (a
// grid) and a file card. On a 375 px phone in Chinese and a desktop in
// English.
func TestBrowserMedia(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	dir := t.TempDir()
	photo := filepath.Join(dir, "sunset.jpg")
	os.WriteFile(photo, testJPEG(t, 640, 480, color.RGBA{220, 120, 60, 255}), 0o644)
	photo2 := filepath.Join(dir, "forest.jpg")
	os.WriteFile(photo2, testJPEG(t, 480, 640, color.RGBA{40, 150, 80, 255}), 0o644)
	media := []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
	}
	for _, c := range []struct {
		name, lang    string
		width, height int64
		zh            bool
	}{
		{"phone-zh", "zh-CN", 375, 812, true},
		{"desktop-en", "en-US", 1280, 800, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := func(zh, en string) string {
				if c.zh {
					return zh
				}
				return en
			}
			alice := srv.NewUser(t, tr("李娜", "Alice"))
			bob := srv.NewUser(t, tr("王五", "Bob"))
			conv := must(alice.CreateConversation(ctx, "direct", []string{bob.ID}, ""))
			cid := string(conv.ID)
			// Bob sent photos and a file earlier (over the API).
			var ids []string
			for i, col := range []color.RGBA{{40, 120, 180, 255}, {60, 170, 90, 255}, {200, 60, 90, 255}} {
				b := testJPEG(t, 300+i*100, 300, col)
				f := must(bob.Upload(ctx, bytes.NewReader(b), client.UploadOptions{Name: "p.jpg", Size: int64(len(b))}))
				ids = append(ids, string(f.ID))
			}
			must(bob.Send(ctx, cid, client.Draft{ClientID: "grid", Attachments: ids}))
			doc := []byte("%PDF-1.4 季度报告")
			f := must(bob.Upload(ctx, bytes.NewReader(doc), client.UploadOptions{Name: tr("季度报告.pdf", "Q3 report.pdf"), Size: int64(len(doc))}))
			must(bob.Send(ctx, cid, client.Draft{ClientID: "doc", Attachments: []string{string(f.ID)}}))

			// Alice records a voice picture.
			a := newBrowser(t, "alice", c.width, c.height, c.lang, media...)
			defer a.check()
			a.signIn(srv.URL, alice.Login, alice.Password)
			a.open(srv.URL + "/c/" + cid)
			a.wait("the photo grid and the file", `document.querySelectorAll('.att-grid .att-img img').length === 3 && document.querySelector('.filecard .fname')`)
			a.click("the + button", "tack-composer .attach")
			a.wait("the menu", `document.querySelector('.att-menu .m-vpic')`)
			a.screenshot("media-" + c.name + "-1-menu")
			a.click("voice picture", ".att-menu .m-vpic")
			a.do("pick the photo", chromedp.SetUploadFiles(chromedp.CSS("tack-composer input.att-pick"), []string{photo}))
			a.wait("the recorder with the photo", `document.querySelector('.recorder .rec-photo')?.src.startsWith('data:image/')`)
			if c.width < 500 {
				// Hold to talk.
				evalAs[chromedp.Void](a, `document.querySelector('.rec-main').dispatchEvent(new PointerEvent('pointerdown', {pointerId: 7, bubbles: true}))`)
			} else {
				a.click("record", ".rec-main")
			}
			a.wait("two seconds of recording", `document.querySelector('.recorder.on') && /[2-9]/.test(document.querySelector('.rec-status').textContent)`)
			a.screenshot("media-" + c.name + "-2-recording")
			if c.width < 500 {
				evalAs[chromedp.Void](a, `document.querySelector('.rec-main').dispatchEvent(new PointerEvent('pointerup', {pointerId: 7, bubbles: true}))`)
			} else {
				a.click("send", ".rec-main")
			}
			a.wait("the voice picture sent", `document.querySelector('.msg.own:not(.pending) .vpic img')`)
			a.screenshot("media-" + c.name + "-3-sent")
			// Two photos at once from "Photo or file": one message, a grid of two.
			a.click("the + button", "tack-composer .attach")
			a.click("photo or file", ".att-menu .m-files")
			a.do("pick two photos", chromedp.SetUploadFiles(chromedp.CSS("tack-composer input.att-pick"), []string{photo, photo2}))
			a.wait("the two photos sent", `document.querySelectorAll('.msg.own:not(.pending) .att-grid.two .att-img').length === 2`)
			// A plain voice message.
			a.click("the + button", "tack-composer .attach")
			a.click("voice message", ".att-menu .m-voice")
			if c.width < 500 {
				evalAs[chromedp.Void](a, `document.querySelector('.rec-main').dispatchEvent(new PointerEvent('pointerdown', {pointerId: 8, bubbles: true}))`)
			} else {
				a.click("record", ".rec-main")
			}
			a.wait("a second of recording", `document.querySelector('.recorder.on') && /[1-9]/.test(document.querySelector('.rec-status').textContent)`)
			if c.width < 500 {
				evalAs[chromedp.Void](a, `document.querySelector('.rec-main').dispatchEvent(new PointerEvent('pointerup', {pointerId: 8, bubbles: true}))`)
			} else {
				a.click("send", ".rec-main")
			}
			a.wait("the voice message sent", `document.querySelector('.msg.own:not(.pending) .voice .wave i')`)
			a.screenshot("media-" + c.name + "-3b-voice-sent")

			// Bob sees it with its red dot and plays it.
			b := newBrowser(t, "bob", c.width, c.height, c.lang, media...)
			defer b.check()
			b.signIn(srv.URL, bob.Login, bob.Password)
			b.open(srv.URL + "/c/" + cid)
			b.wait("the voice picture with a red dot", `document.querySelector('.msg.other .vpic .badge') && document.querySelector('.msg.other .vpic .dot:not([hidden])')`)
			b.wait("the voice message with a red dot", `document.querySelector('.msg.other .voice-row .dot:not([hidden])')`)
			b.screenshot("media-" + c.name + "-4-received")
			b.click("play", ".msg.other .vpic")
			b.wait("it plays", `document.querySelector('.msg.other .vpic[data-played="1"]') && document.querySelector('.msg.other .vpic .dot').hidden`)
			b.screenshot("media-" + c.name + "-5-playing")
			played := must(bob.Played(ctx, cid))
			if len(played) != 1 {
				t.Errorf("played %v, want the voice picture", played)
			}
			ms := must(bob.History(ctx, cid, 0, 1<<40, 10))
			last := ms[len(ms)-3]
			if last.Kind != "voice_picture" || len(last.Attachments) != 2 || last.Attachments[1].DurationMS < 1500 || len(last.Attachments[1].Waveform) == 0 {
				t.Errorf("the voice picture as stored: %+v", last)
			}
			if dir := os.Getenv("TACK_KEEP_VOICE"); dir != "" { // a real MediaRecorder clip, for media/testdata
				resp := must(bob.Download(ctx, string(last.Attachments[1].ID), false))
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				os.WriteFile(filepath.Join(dir, "chromium-"+c.name+".webm"), data, 0o644)
				t.Logf("kept a %d-byte clip of %d ms (as stored)", len(data), last.Attachments[1].DurationMS)
			}
			// The image viewer.
			b.do("open a photo", chromedp.Evaluate[chromedp.Void](`document.querySelector('.att-grid .att-img').click()`))
			b.wait("the viewer", `document.querySelector('dialog[open] .viewer img')?.complete`)
			b.screenshot("media-" + c.name + "-6-viewer")
		})
	}
}

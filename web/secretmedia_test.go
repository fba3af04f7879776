package web_test

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserSecretMedia: two plain members of an organisation, both on
// 375 px phones in Chinese. 张三 sends a photo in their secret chat from the
// composer's + menu; 李四 sees it sealed (密聊图片 · 点击查看), with no
// image loaded, taps it and sees the photo under his watermark, with no
// download link in its viewer. He presses PrintScreen: both see the notice
// 李四 截屏了. When it burns (the test fires the burn: e2e.TestSecretChat
// shows the queue does so on time), both see 已焚毁, the photo leaves both
// pages and its address answers 404. With screenshots.
func TestBrowserSecretMedia(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, zhang, li := srv.NewUser(t, "王伟"), srv.NewUser(t, "张三"), srv.NewUser(t, "李四")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	for _, u := range []*tacktest.User{zhang, li} {
		inv := must(owner.CreateInvitation(ctx, string(org.ID), map[string]any{}))
		must(u.AcceptInvitation(ctx, inv.Code))
	}
	conv := must(zhang.CreateConversation(ctx, "secret", []string{li.ID}, ""))
	cid := string(conv.ID)
	photo := filepath.Join(t.TempDir(), "约会地点.jpg")
	if err := os.WriteFile(photo, testJPEG(t, 640, 480, color.RGBA{200, 90, 60, 255}), 0o644); err != nil {
		t.Fatal(err)
	}

	a := newBrowser(t, "zhang-phone", 375, 812, "zh-CN")
	defer a.check()
	b := newBrowser(t, "li-phone", 375, 812, "zh-CN")
	defer b.check()
	a.signIn(srv.URL, zhang.Login, zhang.Password)
	b.signIn(srv.URL, li.Login, li.Password)

	a.open(srv.URL + "/c/" + cid)
	a.wait("the secret look", `document.querySelector('.chat-pane.secret .secret-bar #burn-after')`)
	a.setValue("#burn-after", "300")
	a.click("the + button", "tack-composer .attach")
	a.click("photo or file", ".att-menu .m-files")
	a.do("pick the photo", chromedp.SetUploadFiles(chromedp.CSS("tack-composer input.att-pick"), []string{photo}))
	a.wait("the photo sent", `document.querySelector('.secret-msg.own:not(.pending) .att img')?.complete && document.querySelector('.secret-msg.own .att img').naturalWidth > 0`)
	a.fits("secret chat with a photo")
	a.screenshot("secret-photo-sent-phone-zh")

	b.open(srv.URL + "/c/" + cid)
	b.wait("the sealed photo", `document.querySelector('.secret-msg.other .reveal')?.textContent === '密聊图片 · 点击查看'`)
	if evalAs[bool](b, `!!document.querySelector('.secret-msg.other img, .secret-msg.other .att')`) {
		b.fail("the photo shows before it is revealed")
	}
	b.screenshot("secret-photo-sealed-phone-zh")
	b.click("reveal", ".secret-msg.other .reveal")
	b.wait("the photo", `document.querySelector('.secret-msg.other .att img')?.complete && document.querySelector('.secret-msg.other .att img').naturalWidth > 0`)
	b.wait("the watermark over it", `(document.querySelector('.secret-msg.other .wm')?.textContent || '').includes('李四')`)
	b.wait("the countdown", `/\d+ 秒/.test(document.querySelector('.secret-msg.other .countdown')?.textContent || '')`)
	b.fits("a revealed secret photo")
	b.screenshot("secret-photo-revealed-phone-zh")
	src := evalAs[string](b, `document.querySelector('.secret-msg.other .att img').src`)
	b.click("the photo", ".secret-msg.other .att-img")
	b.wait("the viewer", `document.querySelector('dialog.viewer-dlg .viewer img')`)
	if evalAs[bool](b, `!!document.querySelector('dialog.viewer-dlg a[download]')`) {
		b.fail("a secret photo's viewer offers a download")
	}
	evalAs[chromedp.Void](b, `document.querySelector('dialog.viewer-dlg').close()`)

	// A screenshot key: both sides see the notice.
	evalAs[chromedp.Void](b, `document.dispatchEvent(new KeyboardEvent('keyup', {key: 'PrintScreen', bubbles: true}))`)
	b.wait("the notice at the taker", hasText(".notice span", "李四 截屏了"))
	a.wait("the notice at the sender", hasText(".notice span", "李四 截屏了"))
	a.screenshot("secret-screenshot-notice-phone-zh")

	hist := must(li.History(ctx, cid, 0, 0, 10))
	var seq int64
	for _, m := range hist {
		if m.Kind == "image" {
			seq = m.Seq
		}
	}
	if err := srv.Node.Chat.Burn(ctx, chat.MessageRef{ConversationID: conv.ID, Seq: seq}); err != nil {
		t.Fatal(err)
	}
	b.wait("the burn", `document.querySelector('#m-`+strconv.FormatInt(seq, 10)+` .burnt')?.textContent === '已焚毁' && !document.querySelector('.secret-msg img')`)
	a.wait("the burn at the sender", `document.querySelector('#m-`+strconv.FormatInt(seq, 10)+` .burnt')?.textContent === '已焚毁' && !document.querySelector('.secret-msg img')`)
	evalAs[chromedp.Void](b, `window.burnedStatus = 0; fetch(`+js(src)+`).then(r => (window.burnedStatus = r.status))`)
	b.wait("the burned photo's address to answer 404", `window.burnedStatus === 404`)
	b.screenshot("secret-photo-burned-phone-zh")
	a.screenshot("secret-photo-burned-sender-phone-zh")
}

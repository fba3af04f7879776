package web_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserSecretAndDing: two colleagues, plain members of an
// organisation. 张三 on a 375 px phone in Chinese sends a secret message
// that burns 300 s after reading; 李四 on a desktop in English sees it
// sealed, reveals it (watermarked, with a countdown), and both see it burn
// when its deadline fires (the test fires it: e2e.TestSecretChat shows the
// queue does so on time). Then 张三
// DINGs 李四 from the composer; 李四 confirms from his browser and 张三's
// list shows it live. With screenshots.
func TestBrowserSecretAndDing(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, zhang, li := srv.NewUser(t, "王伟"), srv.NewUser(t, "张三"), srv.NewUser(t, "李四")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	for _, u := range []*tacktest.User{zhang, li} {
		inv := must(owner.CreateInvitation(ctx, string(org.ID), map[string]any{}))
		must(u.AcceptInvitation(ctx, inv.Code))
	}
	conv := must(li.CreateConversation(ctx, "secret", []string{zhang.ID}, ""))
	const secret = "今晚八点，老地方见"

	phone := newBrowser(t, "zhang-phone", 375, 812, "zh-CN")
	defer phone.check()
	desk := newBrowser(t, "li-desktop", 1280, 800, "en-US")
	defer desk.check()
	phone.signIn(srv.URL, zhang.Login, zhang.Password)
	desk.signIn(srv.URL, li.Login, li.Password)

	phone.open(srv.URL + "/c/" + string(conv.ID))
	phone.wait("the secret look", `document.querySelector('.chat-pane.secret .secret-bar #burn-after')`)
	phone.setValue("#burn-after", "300")
	phone.typeInto("#composer-text", secret+"\n")
	phone.wait("the sent message", `[...document.querySelectorAll('.secret-msg.own .text')].some(p => p.textContent === `+js(secret)+`)`)
	phone.fits("secret chat")
	phone.screenshot("secret-sent-phone-zh")

	desk.open(srv.URL + "/c/" + string(conv.ID))
	desk.wait("the sealed message", `document.querySelector('.secret-msg.other .reveal')?.textContent === 'Secret message · tap to read'`)
	if evalAs[bool](desk, `document.body.textContent.includes(`+js(secret)+`)`) {
		desk.fail("the text shows before it is revealed")
	}
	if evalAs[bool](desk, `!!document.querySelector('.secret-msg .msg-menu-btn')`) {
		desk.fail("a secret message has a message menu")
	}
	desk.screenshot("secret-sealed-desktop-en")
	desk.click("reveal", ".secret-msg.other .reveal")
	desk.wait("the text", `[...document.querySelectorAll('.secret-msg.other .text')].some(p => p.textContent === `+js(secret)+`)`)
	desk.wait("the countdown", `/\d+ s/.test(document.querySelector('.secret-msg.other .countdown')?.textContent || '')`)
	desk.wait("the watermark", `(document.querySelector('.secret-msg.other .wm')?.textContent || '').includes('李四')`)
	desk.screenshot("secret-revealed-desktop-en")
	phone.wait("the countdown at the sender", `document.querySelector('.secret-msg.own .countdown')`)
	phone.screenshot("secret-countdown-phone-zh")
	sent := must(li.History(ctx, string(conv.ID), 0, 0, 10))
	if err := srv.Node.Chat.Burn(ctx, chat.MessageRef{ConversationID: conv.ID, Seq: sent[len(sent)-1].Seq}); err != nil {
		t.Fatal(err)
	}
	desk.wait("the burn", `document.querySelector('.secret-msg.other .burnt')?.textContent === 'Burned'`)
	phone.wait("the burn at the sender", `document.querySelector('.secret-msg.own .burnt')?.textContent === '已焚毁'`)
	if evalAs[bool](desk, `document.body.textContent.includes(`+js(secret)+`)`) {
		desk.fail("the text is still on the page after the burn")
	}
	desk.screenshot("secret-burned-desktop-en")
	phone.screenshot("secret-burned-phone-zh")

	// DING: from the workbench tile to the composer.
	phone.open(srv.URL + "/workbench")
	phone.click("the DING tile", "#app-bell")
	phone.click("new", "#ding-tab-new")
	phone.typeInto("tack-picker input", "李四")
	phone.click("李四", `tack-picker input[data-id="`+li.ID+`"]`)
	phone.typeInto("#ding-text", "服务器宕机，请立即处理")
	phone.fits("DING composer")
	phone.screenshot("ding-new-phone-zh")
	phone.click("send", "#ding-send")
	phone.wait("the sent box", `document.querySelector('#ding-tab-sent[aria-pressed=true]') && document.querySelector('.ding-card .ding-count')?.textContent === '0/1 人已确认'`)
	phone.wait("waiting for 李四", `(document.querySelector('.ding-who .wait')?.textContent || '').includes('李四')`)
	phone.screenshot("ding-sent-phone-zh")

	desk.open(srv.URL + "/ding")
	desk.wait("the DING", `[...document.querySelectorAll('.ding-card .ding-text')].some(p => p.textContent === '服务器宕机，请立即处理')`)
	desk.screenshot("ding-received-desktop-en")
	desk.click("confirm", ".ding-card .btn.primary")
	desk.wait("confirmed", `(document.querySelector('.ding-card .ding-ok')?.textContent || '').includes('Confirmed')`)
	phone.wait("the confirmation, live", `document.querySelector('.ding-card .ding-count')?.textContent === '1/1 人已确认' && document.querySelector('.ding-who .done').textContent.includes('李四')`)
	phone.fits("DING list")
	phone.screenshot("ding-confirmed-phone-zh")
	// 张三's own settings on 我; the owner's rules for the organisation.
	phone.open(srv.URL + "/me")
	phone.click("hide my receipts", "#me-hide-receipts")
	phone.wait("saved", `!document.querySelector('#me-hide-receipts').disabled`)
	phone.fits("me")
	phone.screenshot("me-receipts-phone-zh")
	if s := must(zhang.Client.DingSettings(ctx, string(org.ID))); s.Receipts != "choice" {
		t.Errorf("organisation receipts %q", s.Receipts)
	}
	var mine struct {
		HideReceipts bool `json:"hide_receipts"`
	}
	if err := zhang.Do(ctx, "GET", "/api/v1/me/ding-settings", nil, &mine); err != nil || !mine.HideReceipts {
		t.Errorf("hide_receipts after the switch: %v %v", mine, err)
	}
	ob := newBrowser(t, "owner-desktop", 1280, 800, "zh-CN")
	defer ob.check()
	ob.signIn(srv.URL, owner.Login, owner.Password)
	ob.open(srv.URL + "/workbench")
	ob.click("the DING tile", "#app-bell")
	ob.click("rules", "#ding-tab-rules")
	ob.wait("the rules", `document.querySelector('#ding-receipts').value === 'choice'`)
	ob.setValue("#ding-receipts", "off")
	ob.click("save", "#ding-rules-save")
	ob.wait("saved", `(document.querySelector('#toast')?.textContent || '').includes('已保存')`)
	ob.screenshot("ding-rules-desktop-zh")
	if s := must(owner.Client.DingSettings(ctx, string(org.ID))); s.Receipts != "off" {
		t.Errorf("organisation receipts after saving: %q", s.Receipts)
	}
	ds := must(zhang.Dings(ctx, string(org.ID), "sent", 0))
	if len(ds) != 1 || len(ds[0].Confirmed) != 1 {
		t.Errorf("the server has %s", fmt.Sprint(ds))
	}
	_ = client.Ding{}
}

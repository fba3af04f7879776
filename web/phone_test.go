package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
)

// TestBrowserPhoneScreens: a member's phone at 375×812 with touch, in
// Chinese and in English: the conversation list, a chat with the soft
// keyboard up (the keyboard resizes the page, interactive-widget
// resizes-content, so it is emulated by a viewport 336 px shorter with the
// composer focused: the composer and the newest message stay in view), the
// workbench tab and 我 with the notification switches. With
// TACK_SCREENSHOTS=1 it saves them as web/screenshots/phone-<lang>-*.png.
func TestBrowserPhoneScreens(t *testing.T) {
	chromium(t)
	o := newOffice(t)
	ctx := context.Background()
	me := o.wangwu
	n := 0
	send := func(u interface {
		Send(context.Context, string, client.Draft) (client.Message, error)
	}, conv, text string) {
		n++
		must(u.Send(ctx, conv, client.Draft{ClientID: fmt.Sprintf("s%d-%d", n, time.Now().UnixNano()), Text: text}))
	}
	boss := must(o.owner.CreateConversation(ctx, "direct", []string{me.ID}, ""))
	send(o.owner, string(boss.ID), "王五，周五的版本能按时发布吗？")
	send(me, string(boss.ID), "可以，测试今天下午完成。")
	group := must(o.owner.CreateConversation(ctx, "group", []string{me.ID, o.lina.ID}, "发布小组 Release"))
	send(o.lina, string(group.ID), "发布清单已更新，请大家确认自己负责的部分。")
	send(o.owner, string(group.ID), "收到，晚上八点前确认完。")
	send(me, string(group.ID), "后端部分已确认。")
	send(o.lina, string(group.ID), "谢谢！明早九点站会见。")
	lina := must(o.lina.CreateConversation(ctx, "direct", []string{me.ID}, ""))
	send(o.lina, string(lina.ID), "需求文档发你邮箱了")

	for _, c := range []struct{ name, lang, chats, work, me string }{
		{"zh", "zh-CN", "消息", "工作台", "我"},
		{"en", "en-US", "Chats", "Workbench", "Me"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBrowser(t, "phone", 375, 812, c.lang)
			defer b.check()
			shot := func(step string) { b.screenshot("phone-" + c.name + "-" + step) }
			b.signIn(o.srv.URL, me.Login, me.Password)
			b.wait("the list", hasText(".conv .conv-title", "发布小组 Release")+` && document.querySelector('.conv .avatar.grid') && `+hasText(".tab span", c.chats))
			// The pointer left where the sign-in button was would hover a row.
			if _, err := chromedp.Call(b.ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: 370, Y: 700}); err != nil {
				t.Fatal(err)
			}
			shot("1-list")

			b.openConv("the group", group.ID)
			b.wait("the chat", msgExpr("谢谢！明早九点站会见。"))
			b.click("the composer", "#composer-text")
			b.typeInto("#composer-text", "好的")
			// The keyboard takes 336 px of the 812.
			b.do("keyboard up", chromedp.EmulateViewport(375, 812-336, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
			b.wait("the composer and the newest message above the keyboard", `(() => {
				const f = document.querySelector('#composer-text'), r = f.getBoundingClientRect();
				const last = [...document.querySelectorAll('.messages .msg')].pop().getBoundingClientRect();
				return document.activeElement === f && r.bottom <= innerHeight && r.top > 0 && last.bottom <= r.top && last.top >= 0 && document.documentElement.scrollWidth <= innerWidth;
			})()`)
			shot("2-chat-keyboard")
			b.do("keyboard down", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
			b.click("back", ".chat-head .back")
			b.wait("the list", `location.pathname === '/'`)

			b.click("workbench", "#tab-grid")
			b.wait("the workbench", `document.querySelector('#app-people') && `+hasText(".tab[aria-current] span", c.work))
			shot("3-workbench")
			b.click("me", "#tab-user")
			b.wait("my page", `document.querySelector('#me-sign-out') && document.querySelector('#me-previews:not(:disabled)') && `+hasText(".tab[aria-current] span", c.me))
			shot("4-me")
		})
	}
}

package web_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserSearch searches as a plain member of a group, on a 375 px
// phone in Chinese (the search button) and on a desktop in English
// (Ctrl+K): 会议 finds the message with the word marked, not the one where
// the characters stand apart, nor anything in a group the member is not in;
// opening the result shows the message in its chat, though it is older than
// the first page of history.
func TestBrowserSearch(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner := srv.NewUser(t, "王伟")
	for i, c := range []struct {
		name, lang    string
		width, height int64
		zh            bool
	}{
		{"phone-zh", "zh-CN", 375, 812, true},
		{"desktop-en", "en-US", 1280, 800, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			member := srv.NewUser(t, fmt.Sprintf("张三%d", i))
			g := must(owner.CreateConversation(ctx, "group", []string{member.ID}, "项目组"))
			other := must(owner.CreateConversation(ctx, "group", []string{srv.NewUser(t, "外人").ID}, "别的群"))
			n := 0
			send := func(conv client.Conversation, text string) {
				n++
				must(owner.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprintf("%s-%d", c.name, n), Text: text}))
			}
			target := "下周三下午开会议，讨论 Q3 budget review"
			send(g, target)
			send(g, "议会的事另说") // 议 and 会, not 会议
			send(other, "别的群也开会议")
			for k := range 70 { // the target is older than the first page
				send(g, fmt.Sprintf("进度更新 %d", k))
			}

			b := newBrowser(t, "search", c.width, c.height, c.lang)
			defer b.check()
			shot := func(step string) { b.screenshot("search-" + c.name + "-" + step) }
			b.signIn(srv.URL, member.Login, member.Password)
			if c.zh {
				b.click("the search button", "#open-search")
			} else {
				b.do("Ctrl+K", chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
			}
			b.wait("the search dialog", `document.activeElement && document.activeElement.id === 'search-q'`)
			b.typeInto("#search-q", "会议")
			b.wait("one result", `document.querySelectorAll('.search-hit').length === 1 && `+hasText(".search-hit mark", "会议")+` && `+hasText(".search-group h3", "项目组"))
			shot("1-results")
			b.click("the result", ".search-hit")
			b.wait("the message in its chat", `location.pathname.startsWith('/c/') && document.querySelector('.msg.found') && `+msgExpr(target))
			visible := evalAs[bool](b, `(() => { const r = document.querySelector('.msg.found').getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; })()`)
			if !visible {
				b.fail("the found message is not in view")
			}
			shot("2-in-context")

			// English, a prefix, and nothing found.
			if c.zh {
				b.click("back", ".chat-head .back")
				b.wait("the list", `location.pathname === '/'`)
				b.click("the search button", "#open-search")
			} else {
				b.do("Ctrl+K", chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
			}
			b.wait("the search dialog", `document.querySelector('#search-q')`)
			b.typeInto("#search-q", "BUDG")
			b.wait("budget found", hasText(".search-hit mark", "budget"))
			evalAs[chromedp.Void](b, `document.querySelector('#search-q').value = ''`)
			b.typeInto("#search-q", "预算表")
			want := "No messages found"
			if c.zh {
				want = "没有找到相关消息"
			}
			b.wait("nothing found", hasText(".search-status", want))
			shot("3-none")
			b.do("close", chromedp.KeyEvent("\x1b"))
			b.wait("closed", `!document.querySelector('.search-dialog')`)
		})
	}
}

package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// fitsExpr lists what sticks out of the viewport sideways: the page wider
// than the window, or a visible element past its right edge (outside the
// tab strips, which scroll sideways by design).
const fitsExpr = `(() => {
	const W = innerWidth, bad = [];
	if (document.documentElement.scrollWidth > W) bad.push('page ' + document.documentElement.scrollWidth + ' > ' + W);
	for (const e of document.querySelectorAll('body *')) {
		const r = e.getBoundingClientRect();
		if (!r.width || !r.height || (r.right <= W + 1 && r.left >= -1) || e.closest('.tabs, .sr-only')) continue;
		if (getComputedStyle(e).visibility === 'hidden') continue;
		bad.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && e.className.baseVal === undefined ? '.' + String(e.className).trim().split(/\s+/).join('.') : '') + ' [' + Math.round(r.left) + ', ' + Math.round(r.right) + ']');
		if (bad.length > 6) break;
	}
	return bad;
})()`

func (b *browser) fits(screen string) {
	b.t.Helper()
	if bad := evalAs[[]string](b, fitsExpr); len(bad) > 0 {
		b.fail("%s does not fit %s wide:\n  %s", screen, b.name, strings.Join(bad, "\n  "))
	}
	switch screen {
	case "list", "group chat", "admin adm_members", "directory":
		if b.name == "320" {
			b.screenshot("fit-" + b.name + "-" + strings.ReplaceAll(screen, " ", "-"))
		}
	}
}

// TestBrowserOverflow: at 320 and 375 px nothing is ever wider than the
// screen, on every screen, with a 5,000-character message, a 64-character
// group title, a 64-character organisation name and long department names
// present. It also pastes 6,000 characters into the composer: the count
// shows, sending is refused with a clear message, nothing is cut off.
func TestBrowserOverflow(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	long := func(s string, n int) string { return string([]rune(strings.Repeat(s, n))[:n]) }
	owner, peer := srv.NewUser(t, "王伟"), srv.NewUser(t, long("欧阳", 64))
	org := must(owner.CreateOrg(ctx, long("星辰科技有限公司", 64), "Asia/Shanghai"))
	oid := string(org.ID)
	parent := ""
	var depts []string
	for i := 0; i < 3; i++ {
		d := must(owner.CreateDepartment(ctx, oid, parent, long(fmt.Sprintf("第%d级华东区域客户成功与解决方案中心", i+1), 64)))
		parent = string(d.ID)
		depts = append(depts, parent)
	}
	inv := must(owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": depts}))
	j := must(peer.AcceptInvitation(ctx, inv.Code))
	must(owner.UpdateOrgMember(ctx, oid, string(j.Member.ID), map[string]any{"title": long("高级", 64)}))
	title := long("超长群名称LongGroupTitle", 64)
	group := must(owner.CreateConversation(ctx, "group", []string{peer.ID}, title))
	direct := must(peer.CreateConversation(ctx, "direct", []string{owner.ID}, ""))
	big := long("长消息", 5000)
	must(peer.Send(ctx, string(direct.ID), clientDraft("big", big)))
	unbroken := strings.Repeat("x", 5000)
	must(peer.Send(ctx, string(group.ID), clientDraft("unbroken", unbroken)))
	joinLink := srv.URL + must(owner.CreateInvitation(ctx, oid, map[string]any{})).URL

	for _, width := range []int64{320, 375} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			b := newBrowser(t, fmt.Sprint(width), width, 700, "zh-CN")
			defer b.check()
			b.open(srv.URL)
			b.wait("sign-in", `document.querySelector('#auth-login')`)
			b.fits("sign in")
			b.signIn(srv.URL, owner.Login, owner.Password)
			b.wait("the list", hasText(".conv-title", title)+` && `+hasText(".conv-title", peer.Name))
			b.fits("list")
			b.typeInto("#list-search", "欧阳")
			b.wait("people found", `document.querySelector('.conv-people .person')`)
			b.fits("search")
			evalAs[chromedp.Void](b, `(() => { const s = document.querySelector('#list-search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`)

			// The group: a 64-character title, an unbroken 5,000-character message.
			b.open(srv.URL + "/c/" + string(group.ID))
			b.wait("the group", hasText(".chat-title", title)+` && document.querySelector('.msg .text')`)
			b.fits("group chat")
			// Pasting 6,000 characters: counted, refused, kept.
			evalAs[chromedp.Void](b, `(() => { const a = document.querySelector('#composer-text'); a.value = '字'.repeat(6000); a.dispatchEvent(new Event('input')); })()`)
			b.wait("the count", `!document.querySelector('#composer-count').hidden && document.querySelector('#composer-count').classList.contains('over') && `+hasText("#composer-count", "超出 1000 字"))
			b.do("send", chromedp.SendKeys(chromedp.CSS("#composer-text"), "\r"))
			b.wait("the refusal", hasText("#composer-error", "这条消息有 6000 个字，上限是 5000 个字。请删减，或分成几条发送。"))
			if n := evalAs[int](b, `[...document.querySelector('#composer-text').value].length`); n != 6000 {
				b.fail("the composer holds %d characters after a refused send, want 6000", n)
			}
			if evalAs[bool](b, `!!document.querySelector('.msg.pending')`) {
				b.fail("an over-long message was sent")
			}
			b.fits("composer over the limit")
			evalAs[chromedp.Void](b, `(() => { const a = document.querySelector('#composer-text'); a.value = '字'.repeat(4990); a.dispatchEvent(new Event('input')); })()`)
			b.wait("the count near the limit", hasText("#composer-count", "还可输入 10 字")+` && !document.querySelector('#composer-count').classList.contains('over') && document.querySelector('#composer-error').textContent === ''`)
			b.do("send", chromedp.SendKeys(chromedp.CSS("#composer-text"), "\r"))
			b.wait("sent in full", `[...document.querySelectorAll('.msg.own .text')].some(p => p.textContent === '字'.repeat(4990)) && !document.querySelector('.msg.pending') && document.querySelector('#composer-count').hidden`)
			b.fits("group chat after sending")
			b.click("info", "#conv-info")
			b.wait("members", `document.querySelectorAll('dialog[open] .members li').length === 2`)
			b.fits("group info")
			b.do("close", chromedp.KeyEvent("\x1b"))
			b.wait("closed", `!document.querySelector('dialog[open]')`)
			evalAs[chromedp.Void](b, `document.querySelector('.msg.own .receipt').click()`)
			b.wait("receipts", `document.querySelector('dialog[open] .receipts li')`)
			b.fits("receipts")
			b.do("close", chromedp.KeyEvent("\x1b"))
			b.wait("closed", `!document.querySelector('dialog[open]')`)
			// The message menu, by a long press (here: the context menu).
			evalAs[chromedp.Void](b, `(() => { const e = document.querySelector('.msg.other .bubble'); e.scrollIntoView({ block: 'center' }); e.dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true })); })()`)
			b.wait("the menu", `document.querySelector('.menu:not([hidden]) [data-action=reply]')`)
			b.fits("message menu")
			b.do("close", chromedp.KeyEvent("\x1b"))

			// The direct chat with the 5,000-character message.
			b.open(srv.URL + "/c/" + string(direct.ID))
			b.wait("the chat", hasText(".msg .text", big))
			b.fits("direct chat")
			b.click("back", ".chat-head .back")
			b.click("new chat", "#new-chat")
			b.wait("the picker", `document.querySelector('dialog[open] .picker-results .person')`)
			b.fits("new chat")
			b.click("group tab", "#tab-group")
			b.fits("new group")
			b.do("close", chromedp.KeyEvent("\x1b"))

			// The directory, its tree open, and a profile card.
			b.open(srv.URL + "/contacts")
			b.wait("the directory", hasText(".dir-list .p-name", peer.Name))
			evalAs[chromedp.Void](b, `document.querySelector('.depts').open = true`)
			b.fits("directory")
			evalAs[chromedp.Void](b, `[...document.querySelectorAll('.dir-list .person')].find(e => e.textContent.includes('欧阳')).click()`)
			b.wait("the card", `document.querySelector('dialog[open] .card')`)
			b.fits("profile card")
			b.do("close", chromedp.KeyEvent("\x1b"))

			// Every tab of the admin area.
			b.open(srv.URL + "/admin")
			for _, tab := range []string{"adm_members", "departments", "adm_invitations", "adm_requests", "adm_import", "adm_audit"} {
				b.click(tab, "#tab-"+tab)
				b.wait(tab, `document.querySelector('#tab-`+tab+`[aria-selected=true]') && document.querySelector('#admin-panel').getAttribute('aria-labelledby') === 'tab-`+tab+`' && document.querySelector('#admin-panel').children.length`)
				b.fits("admin " + tab)
			}
			b.open(srv.URL + "/workbench")
			b.wait("the workbench", `document.querySelector('#app-gear')`)
			b.fits("workbench")
			b.open(srv.URL + "/me")
			b.wait("my page", `document.querySelector('#me-sign-out')`)
			b.fits("me")
			for _, pg := range []struct{ path, ready string }{
				{"security", "#verify-send"}, {"password", "#pw-current"}, {"devices", "#devices li"}, {"privacy", "#privacy-groups"},
			} {
				b.open(srv.URL + "/me/" + pg.path)
				b.wait("me/"+pg.path, `document.querySelector('`+pg.ready+`')`)
				b.fits("me/" + pg.path)
			}
			b.open(joinLink)
			b.wait("the join page", `document.querySelector('#join-org')`)
			b.fits("join")
		})
	}
}

func clientDraft(id, text string) client.Draft { return client.Draft{ClientID: id, Text: text} }

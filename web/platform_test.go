package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserPlatform: the group owner adds a robot in group info on a
// desktop in English and sees its webhook and secret once; a script posts
// an action card through the webhook, signed as DingTalk does; the owner
// registers an app and switches attendance off in the open platform page.
// A plain member on a 375 px phone in Chinese sees the robot's card with
// its badge, the robot (but no form to add one), and no attendance tile.
func TestBrowserPlatform(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, member := srv.NewUser(t, "王伟"), srv.NewUser(t, "李娜")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	inv := must(owner.CreateInvitation(ctx, oid, map[string]any{}))
	must(member.AcceptInvitation(ctx, inv.Code))
	g := must(owner.CreateOrgGroup(ctx, oid, "", "研发群"))
	conv := string(g.ConversationID)

	var webhook, secret string
	t.Run("desktop-en", func(t *testing.T) {
		b := newBrowser(t, "owner", 1280, 800, "en-US")
		defer b.check()
		b.signIn(srv.URL, owner.Login, owner.Password)
		b.open(srv.URL + "/c/" + conv)
		b.click("group info", "#conv-info")
		b.click("robots", "#robots-btn")
		b.wait("the robots dialog", `document.querySelector('#robot-name')`)
		b.typeInto("#robot-name", "Jenkins")
		b.typeInto("#robot-keywords", "build")
		b.click("create", "#robot-create")
		b.wait("the webhook", `(document.querySelector('#robot-webhook')?.value || '').includes('/robot/send?access_token=')`)
		webhook = evalAs[string](b, `document.querySelector('#robot-webhook').value`)
		secret = evalAs[string](b, `document.querySelector('#robot-secret').value`)
		b.wait("the robot listed", `[...document.querySelectorAll('.robots li')].some(li => li.textContent.includes('Jenkins'))`)
		b.screenshot("platform-robot-desktop-en")
		if !strings.HasPrefix(webhook, srv.URL+"/robot/send?access_token=") || !strings.HasPrefix(secret, "SEC") {
			b.fail("webhook %q secret %q", webhook, secret)
		}
		// A CI script posts an action card, signed.
		ts := time.Now().UnixMilli()
		u := fmt.Sprintf("%s&timestamp=%d&sign=%s", webhook, ts, url.QueryEscape(platform.DingTalkSign(secret, ts)))
		resp, err := http.Post(u, "application/json", strings.NewReader(`{"msgtype":"actionCard","actionCard":{"title":"build #42 passed","text":"## Release 2.1\n- **12** tests\n- [changelog](https://ci.example/42)","btns":[{"title":"Open CI","actionURL":"https://ci.example/42"}]}}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		b.do("close dialogs", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('dialog[open]').forEach(d => d.close())`))
		b.wait("the card in the chat", `[...document.querySelectorAll('.msg .rc-btns a')].some(a => a.textContent === 'Open CI' && a.href === 'https://ci.example/42')`)
		b.wait("the badge", `[...document.querySelectorAll('.msg .sender')].some(s => s.textContent === 'JenkinsRobot')`)
		b.screenshot("platform-card-desktop-en")

		b.open(srv.URL + "/platform")
		b.wait("the apps tab", `document.querySelector('#app-name')`)
		b.typeInto("#app-name", "HR sync")
		b.click("directory scope", `input[name=scope][value="directory:read"]`)
		b.click("create app", "#app-create")
		b.wait("the client secret", `/^[0-9a-f]{64}$/.test(document.querySelector('#app-client-secret')?.value || '')`)
		b.screenshot("platform-app-desktop-en")
		b.click("modules tab", "#tab-pf_modules")
		b.click("attendance off", "#mod-attendance")
		b.click("save", "#modules-save")
		b.wait("saved", `document.querySelector('#mod-attendance') && !document.querySelector('#mod-attendance').checked`)
		b.screenshot("platform-modules-desktop-en")
		b.open(srv.URL + "/workbench")
		b.wait("the platform tile", `document.querySelector('#app-plug')`)
		b.wait("no attendance tile", `document.querySelector('#app-stamp') && !document.querySelector('#app-clock')`)
	})
	if webhook == "" {
		t.FailNow()
	}
	t.Run("phone-zh", func(t *testing.T) {
		b := newBrowser(t, "member", 375, 740, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, member.Login, member.Password)
		b.open(srv.URL + "/c/" + conv)
		b.wait("the card", `[...document.querySelectorAll('.msg .rc-btns a')].some(a => a.textContent === 'Open CI')`)
		b.wait("the badge in Chinese", `[...document.querySelectorAll('.msg .bot-badge')].some(s => s.textContent === '机器人')`)
		b.wait("the markdown list", `[...document.querySelectorAll('.msg .md li strong')].some(s => s.textContent === '12')`)
		if n := evalAs[int](b, `document.querySelectorAll('.msg script, .msg [onclick]').length`); n != 0 {
			b.fail("%d script elements in messages", n)
		}
		b.screenshot("platform-card-phone-zh")
		b.click("group info", "#conv-info")
		b.click("robots", "#robots-btn")
		b.wait("the robot listed", `[...document.querySelectorAll('.robots li')].some(li => li.textContent.includes('Jenkins'))`)
		if evalAs[bool](b, `!!document.querySelector('#robot-name')`) {
			b.fail("a plain member sees the form to add robots")
		}
		b.screenshot("platform-robots-phone-zh")
		b.do("close dialogs", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('dialog[open]').forEach(d => d.close())`))
		b.open(srv.URL + "/workbench")
		b.wait("the approvals tile", `document.querySelector('#app-stamp')`)
		if evalAs[bool](b, `!!document.querySelector('#app-clock') || !!document.querySelector('#app-plug')`) {
			b.fail("the member sees attendance (off) or the open platform (admins only)")
		}
		if evalAs[bool](b, `performance.getEntriesByType('resource').some(r => /attendance/.test(r.name))`) {
			b.fail("attendance code was loaded although it is off")
		}
		b.screenshot("platform-workbench-phone-zh")
		// Group info shows the robots while they are on, and a direct chat
		// the secret chat button.
		d := must(member.CreateConversation(ctx, "direct", []string{owner.ID}, ""))
		b.open(srv.URL + "/c/" + string(d.ID))
		b.click("chat info", "#conv-info")
		b.wait("the secret chat button", `document.body.querySelector('dialog[open] [data-modules=ready]') && !document.querySelector('#start-secret').hidden`)
		b.do("close dialogs", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('dialog[open]').forEach(d => d.close())`))
	})
	// The owner switches robots and secret chats off: the member's phone
	// shows neither the robots of the group nor a way to start a secret chat.
	if err := owner.Do(ctx, "PUT", "/api/v1/orgs/"+oid+"/modules", map[string]any{"modules": map[string]bool{"robots": false, "secret_chat": false, "circle": false}}, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("phone-zh-off", func(t *testing.T) {
		b := newBrowser(t, "member", 375, 740, "zh-CN")
		defer b.check()
		b.signIn(srv.URL, member.Login, member.Password)
		b.open(srv.URL + "/c/" + conv)
		b.click("group info", "#conv-info")
		b.wait("no robots", `document.body.querySelector('dialog[open] [data-modules=ready]') && document.querySelector('#robots-btn').hidden`)
		b.screenshot("platform-robots-off-phone-zh")
		b.do("close dialogs", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('dialog[open]').forEach(d => d.close())`))
		d := must(member.CreateConversation(ctx, "direct", []string{owner.ID}, ""))
		b.open(srv.URL + "/c/" + string(d.ID))
		b.click("chat info", "#conv-info")
		b.wait("no secret chat button", `document.body.querySelector('dialog[open] [data-modules=ready]') && document.querySelector('#start-secret').hidden`)
		b.screenshot("platform-secret-off-phone-zh")
		// With circle off the workbench has no announcements or reports;
		// friends' moments, which belong to no organisation, stay.
		b.do("close dialogs", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('dialog[open]').forEach(d => d.close())`))
		b.open(srv.URL + "/workbench")
		b.wait("the workbench without circle", `document.querySelector('#app-stamp') && document.querySelector('#app-moments') && !document.querySelector('#app-announcements') && !document.querySelector('#app-reports')`)
		b.screenshot("platform-circle-off-phone-zh")
	})
}

package web_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserPasswordReset: a member who forgot their password, on a
// phone in Chinese: 忘记密码？ on the sign-in page emails a code (this
// server has no public address, so no link); 我有重置码 takes it with a
// new password; then the link form of the same (/reset#token) on a
// desktop in English; each time the new password signs in.
func TestBrowserPasswordReset(t *testing.T) {
	chromium(t)
	mail := notifytest.NewSMTPServer(t)
	srv := tacktest.NewServer(t, tacktest.WithSMTP(mail))
	u := srv.NewUser(t, "王五")
	token := regexp.MustCompile(`rs_[A-Za-z0-9_-]{43}`)
	latest := func() string {
		var tok string
		for _, m := range mail.Mails() {
			if len(m.To) == 1 && m.To[0] == u.Login {
				tok = token.FindString(m.Text)
			}
		}
		return tok
	}

	b := newBrowser(t, "phone", 375, 812, "zh-CN")
	defer b.check()
	b.open(srv.URL)
	b.typeInto("#auth-login", u.Login)
	b.click("忘记密码", "#auth-forgot")
	b.wait("the forgot form with the login kept", `document.querySelector('#reset-login') && document.querySelector('#reset-login').value === `+js(u.Login)+` && `+hasText("#reset-title", "重置密码"))
	b.screenshot("reset-phone-zh-1-ask")
	b.click("send", "#reset-submit")
	b.wait("the notice", containsText("#reset-status", "重置链接已发出"))
	b.screenshot("reset-phone-zh-2-sent")
	mail.Wait(t, u.Login, func(m notifytest.Mail) bool { return token.MatchString(m.Text) })
	b.click("I have a code", "#reset-have-code")
	b.typeInto("#reset-code", "rs_wrong")
	b.typeInto("#reset-password", "我的新密码 2026")
	b.click("set", "#reset-submit")
	b.wait("the bad code said in words", containsText("#reset-error", "请从邮件中完整复制重置码"))
	evalAs[chromedp.Void](b, `document.querySelector('#reset-code').value = ''`)
	b.typeInto("#reset-code", latest())
	b.click("set", "#reset-submit")
	b.wait("back at sign-in with the notice", `document.querySelector('#auth-login') && `+containsText("#auth-notice", "密码已修改"))
	b.screenshot("reset-phone-zh-3-done")
	b.typeInto("#auth-login", u.Login)
	b.typeInto("#auth-password", "我的新密码 2026")
	b.click("sign in", "#auth-submit")
	b.wait("the main screen", `document.querySelector('.shell')`)

	// The link in an email, on a desktop in English.
	if err := u.RequestPasswordReset(context.Background(), u.Login); err != nil {
		t.Fatal(err)
	}
	d := newBrowser(t, "desktop", 1280, 800, "en-US")
	defer d.check()
	d.open(srv.URL + "/reset#" + latest())
	d.wait("the new password form, the code hidden", hasText("#reset-title", "Choose a new password")+` && document.querySelector('#reset-code').closest('.field').hidden && location.hash === ''`)
	d.typeInto("#reset-password", "another new password")
	d.click("set", "#reset-submit")
	d.wait("back at sign-in", containsText("#auth-notice", "Your password is changed"))
	d.screenshot("reset-desktop-en-done")
	d.typeInto("#auth-login", u.Login)
	d.typeInto("#auth-password", "another new password")
	d.click("sign in", "#auth-submit")
	d.wait("the main screen", `document.querySelector('.shell')`)
	// The link works once.
	d2 := newBrowser(t, "desktop", 1280, 800, "en-US")
	defer d2.check()
	d2.open(srv.URL + "/reset#" + latest())
	d2.typeInto("#reset-password", "a third password")
	d2.click("set", "#reset-submit")
	d2.wait("used", containsText("#reset-error", "This link was used, replaced or has expired"))

	// An admin has a link sent to a member from the admin area.
	owner := srv.NewUser(t, "王伟")
	org := must(owner.CreateOrg(context.Background(), "星辰科技", "Asia/Shanghai"))
	inv := must(owner.CreateInvitation(context.Background(), string(org.ID), map[string]any{}))
	must(u.SignIn(context.Background(), u.Login, "another new password")) // the resets signed it out
	must(u.AcceptInvitation(context.Background(), inv.Code))
	before := len(mail.Mails())
	a := newBrowser(t, "desktop", 1280, 800, "zh-CN")
	defer a.check()
	a.signIn(srv.URL, owner.Login, owner.Password)
	a.open(srv.URL + "/admin")
	a.wait("the members", `[...document.querySelectorAll('#admin-panel tr')].some(r => r.textContent.includes('王五') && r.querySelector('button.btn'))`)
	evalAs[chromedp.Void](a, `[...document.querySelectorAll('#admin-panel tr')].find(r => r.textContent.includes('王五')).querySelector('button.btn').click()`)
	a.click("confirm", "dialog[open] [data-confirm]")
	a.wait("the toast", containsText("#toast", "重置链接已发送给王五"))
	a.screenshot("reset-admin-desktop-zh")
	if len(mail.Mails()) != before+1 {
		t.Fatalf("mails: %d, want %d", len(mail.Mails()), before+1)
	}
}

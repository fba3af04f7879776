package web_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserTwoFactor: a member turns on two-step sign-in on a phone in
// Chinese (我 → 账号与安全 → 两步验证: the key, a code, the recovery codes
// shown once), signs out, and signs in again with a recovery code; then on
// a desktop in English a wrong code is refused in words and a fresh one
// works. The server's clock is moved to the next 30-second step where a
// test needs a fresh code (no waiting).
func TestBrowserTwoFactor(t *testing.T) {
	chromium(t)
	var skew atomic.Int64
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.Clock = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	}))
	u := srv.NewUser(t, "王五")
	code := func(secret string) string {
		c, err := totp.GenerateCodeCustom(secret, time.Now().Add(time.Duration(skew.Load())), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	b := newBrowser(t, "phone", 375, 812, "zh-CN")
	defer b.check()
	b.signIn(srv.URL, u.Login, u.Password)
	b.click("我", "#tab-user")
	b.click("account and security", "#me-security")
	b.click("two-step", "#ac-2fa")
	b.wait("off", containsText("#tf-state", "未开启"))
	b.click("turn on", "#tf-start")
	b.wait("the key", `document.querySelector('#tf-key') && document.querySelector('#tf-link').href.startsWith('otpauth://totp/Tack:')`)
	b.screenshot("twofactor-phone-zh-1-key")
	secret := strings.ReplaceAll(evalAs[string](b, `document.querySelector('#tf-key').textContent`), " ", "")
	b.typeInto("#tf-code", "000000")
	b.click("turn on", "#tf-enable")
	b.wait("a wrong code in words", containsText("#tf-error", "验证码错误"))
	evalAs[chromedp.Void](b, `document.querySelector('#tf-code').value = ''`)
	b.typeInto("#tf-code", code(secret))
	b.click("turn on", "#tf-enable")
	b.wait("ten recovery codes", `document.querySelectorAll('#tf-codes li').length === 10`)
	b.screenshot("twofactor-phone-zh-2-codes")
	recovery := evalAs[string](b, `document.querySelector('#tf-codes li:nth-child(3) code').textContent`)
	b.click("saved", "#tf-saved")
	b.wait("on", containsText("#tf-state", "还剩 10 个恢复码"))
	b.screenshot("twofactor-phone-zh-3-on")

	// Signing in again asks for the code; a recovery code does.
	p := newBrowser(t, "phone", 375, 812, "zh-CN")
	defer p.check()
	p.open(srv.URL)
	p.typeInto("#auth-login", u.Login)
	p.typeInto("#auth-password", u.Password)
	p.click("sign in", "#auth-submit")
	p.wait("the code asked for", `!document.querySelector('#auth-code').closest('.field').hidden && document.activeElement.id === 'auth-code'`)
	p.screenshot("twofactor-phone-zh-4-signin")
	p.typeInto("#auth-code", recovery)
	p.click("sign in", "#auth-submit")
	p.wait("the main screen", `document.querySelector('.shell')`)

	d := newBrowser(t, "desktop", 1280, 800, "en-US")
	defer d.check()
	d.open(srv.URL)
	d.typeInto("#auth-login", u.Login)
	d.typeInto("#auth-password", u.Password)
	d.click("sign in", "#auth-submit")
	d.wait("the code asked for", `!document.querySelector('#auth-code').closest('.field').hidden`)
	d.typeInto("#auth-code", "123456")
	d.click("sign in", "#auth-submit")
	d.wait("a wrong code in words", containsText("#auth-error", "That code is wrong"))
	skew.Add(int64(30 * time.Second))
	evalAs[chromedp.Void](d, `document.querySelector('#auth-code').value = ''`)
	d.typeInto("#auth-code", code(secret))
	d.click("sign in", "#auth-submit")
	d.wait("the main screen", `document.querySelector('.shell')`)

	// The owner requires it of the admins; an admin without it is told,
	// in the admin area, and offered the way to turn it on.
	ctx := context.Background()
	org := must(u.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	admin := srv.NewUser(t, "李娜")
	inv := must(u.CreateInvitation(ctx, string(org.ID), map[string]any{}))
	j := must(admin.AcceptInvitation(ctx, inv.Code))
	must(u.SetMemberRole(ctx, string(org.ID), string(j.Member.ID), "admin", nil))
	d.open(srv.URL + "/admin")
	d.click("require two-step sign-in", "#adm-require-2fa")
	d.wait("saved", `document.querySelector('#adm-require-2fa').checked && !document.querySelector('#admin-panel').closest('main, body').querySelector('[role=alert]:not(:empty)')`)
	d.screenshot("twofactor-admin-desktop-en")
	a := newBrowser(t, "phone", 375, 812, "zh-CN")
	defer a.check()
	a.signIn(srv.URL, admin.Login, admin.Password)
	a.open(srv.URL + "/admin")
	a.wait("the banner", containsText("#adm-needs-2fa", "本组织要求管理员开启两步验证"))
	a.screenshot("twofactor-admin-phone-zh-needs")
	a.click("turn on", "#adm-needs-2fa a")
	a.wait("the two-step page", `location.pathname === '/me/twofactor' && document.querySelector('#tf-start')`)
}

package web_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

// status401 reports whether err is the server's 401: the session is gone.
func status401(err error) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Status == http.StatusUnauthorized
}

// codeFrom waits for the n-th mail to rcpt that carries a code and returns
// the code.
func codeFrom(t *testing.T, mail *notifytest.SMTPServer, rcpt string, n int) string {
	t.Helper()
	seen := 0
	m := mail.Wait(t, rcpt, func(x notifytest.Mail) bool {
		if notifytest.Code(x.Text) == "" {
			return false
		}
		seen++
		return seen == n
	})
	return notifytest.Code(m.Text)
}

// wrongCode is a six-digit code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestBrowserAccount: a plain member on a phone, in Chinese, opens 我,
// verifies their email with the code the server mailed (after a wrong
// one), changes the password (a session from before is then refused),
// signs out another device from the device list (its calls are then
// refused), sets who may add them to groups and whether they show online,
// and accepts the invitation addressed to their email, which shows only
// once the email is verified. On a desktop, in English, an invitation link
// for one person offers the verification on the join page, then the join.
// A server that cannot send email says so, and that an admin approves.
func TestBrowserAccount(t *testing.T) {
	chromium(t)
	mail := notifytest.NewSMTPServer(t)
	srv := tacktest.NewServer(t, tacktest.WithSMTP(mail))
	ctx := context.Background()
	owner := srv.NewUser(t, "王伟")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)

	t.Run("phone-zh", func(t *testing.T) {
		b := newBrowser(t, "member", 375, 812, "zh-CN")
		defer b.check()
		shot := func(step string) { b.screenshot("account-phone-zh-" + step) }
		// noToast hides a toast of a step before, for the next screenshot.
		noToast := func() { evalAs[any](b, `document.querySelector('#toast')?.classList.remove('show')`) }
		login, pw, newPW := "zhangsan@example.com", "member password", "a new password 2"
		b.signUp(srv.URL, "张三", login, pw)
		must(owner.CreateInvitation(ctx, oid, map[string]any{"email": login, "name": "张三"}))
		// Another device of 张三's, signed in before the password changes.
		old := client.New(srv.URL)
		must(old.SignIn(ctx, login, pw))
		var invs struct {
			Invitations []struct {
				OrgName string `json:"org_name"`
			} `json:"invitations"`
		}
		if err := old.Do(ctx, "GET", "/api/v1/me/invitations", nil, &invs); err != nil || len(invs.Invitations) != 0 {
			t.Fatalf("before verifying, /me/invitations = %+v, %v; want none", invs, err)
		}

		// The workbench, with no organisation, points to verifying.
		b.click("工作台", "#tab-grid")
		b.wait("the way to verify", hasText("#wb-verify", "收到了邮件或短信邀请？验证你的登录账号后即可看到邀请。"))
		// 我: not verified, and no invitation shows.
		b.click("我", "#tab-user")
		b.wait("the menu", hasText("#me-security .ac-tag", "未验证")+` && document.querySelector('#me-privacy')`)
		if evalAs[bool](b, `!!document.querySelector('#my-invites')`) {
			b.fail("an unverified member sees invitations")
		}
		shot("1-me")

		// Account and security: verify with the mailed code.
		b.click("account and security", "#me-security")
		b.wait("the security page", hasText("#page-title", "账号与安全")+` && `+hasText("#ac-status", "未验证")+` && !document.querySelector('.tabbar:not([hidden])')?.offsetHeight`)
		b.click("send code", "#verify-send")
		b.wait("code sent", hasText("#verify-sent", "验证码已发送至 "+login+"，15 分钟内有效。"))
		code := codeFrom(t, mail, login, 1)
		b.typeInto("#verify-code", wrongCode(code))
		b.click("confirm", "#verify-confirm")
		b.wait("the wrong code said", hasText("#verify-error", "验证码不正确，还可以再试 4 次。"))
		shot("2-code")
		b.typeInto("#verify-code", code) // the wrong code is selected: typing replaces it
		b.click("confirm", "#verify-confirm")
		b.wait("verified", hasText("#ac-status", "已验证")+` && !document.querySelector('#verify-send')`)
		b.wait("the invitation, now shown", hasText("#my-invites .ac-row .grow", "星辰科技"))
		shot("3-verified")

		// The password: a wrong current one, then the change.
		b.click("change password", "#ac-password")
		b.typeInto("#pw-current", "not my password")
		b.typeInto("#pw-new", newPW)
		b.typeInto("#pw-repeat", newPW+"x")
		b.click("submit", "#pw-submit")
		b.wait("the mismatch said", hasText("#pw-error", "两次输入的新密码不一致。"))
		evalAs[any](b, `document.querySelector('#pw-repeat').value = ''`)
		b.typeInto("#pw-repeat", newPW)
		b.click("submit", "#pw-submit")
		b.wait("the wrong password said", hasText("#pw-error", "当前密码不正确。"))
		evalAs[any](b, `document.querySelector('#pw-current').value = ''`)
		b.typeInto("#pw-current", pw)
		b.click("submit", "#pw-submit")
		b.wait("changed", hasText("#pw-done", "密码已修改，其他设备已退出登录。"))
		noToast()
		shot("4-password")
		if _, err := old.Me(ctx); !status401(err) {
			t.Errorf("a session from before the password change: /me = %v, want 401", err)
		}
		// This device stays signed in.
		b.wait("still online", `document.querySelector('.conn[data-state=online]')`)

		// Devices: sign out the other one.
		other := client.New(srv.URL)
		must(other.SignIn(ctx, login, newPW))
		b.click("back", ".chat-head .back")
		b.wait("the security page", hasText("#page-title", "账号与安全"))
		b.click("devices", "#ac-devices")
		b.wait("two devices, this one marked", `document.querySelectorAll('#devices li').length === 2 && `+hasText("#devices li .ac-tag", "本机"))
		b.wait("this device first", `document.querySelector('#devices li .ac-tag')`+"?.closest('li') === document.querySelector('#devices li')")
		shot("5-devices")
		b.click("sign out the other device", "#devices li button")
		b.click("confirm", "dialog[open] [data-confirm]")
		b.wait("one device left", `document.querySelectorAll('#devices li').length === 1 && `+hasText("#toast", "已退出登录。"))
		if _, err := other.Me(ctx); !status401(err) {
			t.Errorf("the signed-out device: /me = %v, want 401", err)
		}

		// Privacy.
		b.click("back", ".chat-head .back")
		b.wait("the security page", hasText("#page-title", "账号与安全"))
		b.click("back", ".chat-head .back")
		b.wait("我", `document.querySelector('#me-privacy') && !document.querySelector('#me-security .ac-tag')`)
		b.click("privacy", "#me-privacy")
		b.wait("the settings", `document.querySelector('#groups-everyone')?.checked && document.querySelector('#privacy-online')?.checked`)
		b.click("colleagues and friends", "label[for=groups-colleagues_and_friends]")
		b.click("online off", "#privacy-online")
		b.wait("both chosen", `document.querySelector('#groups-colleagues_and_friends').checked && !document.querySelector('#privacy-online').checked`)
		api := client.New(srv.URL)
		must(api.SignIn(ctx, login, newPW))
		var p struct {
			AddToGroups string `json:"add_to_groups"`
			ShowOnline  string `json:"show_online"`
		}
		for deadline := time.Now().Add(20 * time.Second); ; {
			if err := api.Do(ctx, "GET", "/api/v1/me/privacy", nil, &p); err != nil {
				t.Fatal(err)
			}
			if p.AddToGroups == "colleagues_and_friends" && p.ShowOnline == "nobody" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("privacy on the server: %+v", p)
			}
			time.Sleep(50 * time.Millisecond) // polling the server's state, with the deadline above
		}
		b.wait("the switch drawn off", `getComputedStyle(document.querySelector('#privacy-online')).backgroundColor === 'rgb(197, 204, 211)'`)
		shot("6-privacy")

		// The invitation addressed to the verified email, on the workbench
		// and on 我: open, join.
		b.click("back", ".chat-head .back")
		b.click("工作台", "#tab-grid")
		b.wait("the invitation on the workbench", hasText("#my-invites .ac-row .grow", "星辰科技")+` && !document.querySelector('#wb-verify')`)
		noToast()
		shot("7-workbench")
		b.click("我", "#tab-user")
		b.wait("the invitation on 我", hasText("#my-invites .ac-row .grow", "星辰科技"))
		b.click("the invitation", "#my-invites .ac-row")
		b.wait("the join page", hasText("#join-org", "星辰科技")+` && document.querySelector('#join-btn')`)
		b.click("join", "#join-btn")
		b.wait("joined", hasText(".join [role=status]", "你已加入 星辰科技。"))
		noToast()
		shot("8-joined")
		orgs := must(api.Orgs(ctx))
		if len(orgs) != 1 || orgs[0].Name != "星辰科技" {
			t.Errorf("张三's organisations after joining: %+v", orgs)
		}
	})

	t.Run("desktop-en", func(t *testing.T) {
		b := newBrowser(t, "member", 1280, 800, "en-US")
		defer b.check()
		shot := func(step string) { b.screenshot("account-desktop-en-" + step) }
		login := "lisi@example.com"
		b.signUp(srv.URL, "Li Si", login, "member password")
		inv := must(owner.CreateInvitation(ctx, oid, map[string]any{"email": login}))
		b.open(srv.URL + inv.URL)
		b.wait("verify first", hasText("#join-verify", "This invitation is for one person. Verify that "+login+" is yours, then join.")+` && !document.querySelector('#join-btn')`)
		b.click("send code", "#verify-send")
		b.wait("code sent", hasText("#verify-sent", "We sent a 6-digit code to "+login+". It works for 15 minutes."))
		shot("1-join-verify")
		b.typeInto("#verify-code", codeFrom(t, mail, login, 1))
		b.click("confirm", "#verify-confirm")
		b.wait("the join button", `document.querySelector('#join-btn') && !document.querySelector('#join-verify')`)
		b.click("join", "#join-btn")
		b.wait("joined", hasText(".join [role=status]", "You joined 星辰科技."))

		// 我 and its pages, on a desktop: from the name under the list.
		b.click("me", "#side-me")
		b.wait("我", `document.querySelector('#me-security') && !document.querySelector('#me-security .ac-tag')`)
		shot("2-me")
		b.click("account and security", "#me-security")
		b.wait("verified", hasText("#ac-status", "Verified"))
		shot("3-security")
		b.click("devices", "#ac-devices")
		b.wait("this device", hasText("#devices li .ac-tag", "This device"))
		shot("4-devices")
		b.click("back, on a desktop too", ".chat-head .back")
		b.wait("account and security", hasText("#page-title", "Account and security"))
		b.open(srv.URL + "/me/privacy")
		b.wait("privacy", hasText("#privacy-groups legend", "Who may add me to groups"))
		shot("5-privacy")
		// Signed in again, 我 knows the login is verified.
		b.click("sign out", "#sign-out")
		b.signIn(srv.URL, login, "member password")
		b.click("me", "#side-me")
		b.wait("我, verified", `document.querySelector('#me-security') && !document.querySelector('#me-security .ac-tag')`)
		b.click("account and security", "#me-security")
		b.wait("verified", hasText("#ac-status", "Verified")+` && !document.querySelector('#verify-send')`)
	})

	t.Run("join-phone-zh", func(t *testing.T) {
		b := newBrowser(t, "member", 375, 812, "zh-CN")
		defer b.check()
		login := "zhaoliu@example.com"
		b.signUp(srv.URL, "赵六", login, "member password")
		inv := must(owner.CreateInvitation(ctx, oid, map[string]any{"email": login}))
		b.open(srv.URL + inv.URL)
		b.wait("verify first", hasText("#join-verify", "这份邀请只发给受邀人本人。请先验证 "+login+" 是你的，然后加入。")+` && !document.querySelector('#join-btn')`)
		b.click("send code", "#verify-send")
		b.wait("code sent", hasText("#verify-sent", "验证码已发送至 "+login+"，15 分钟内有效。"))
		b.typeInto("#verify-code", codeFrom(t, mail, login, 1))
		b.screenshot("account-phone-zh-join-verify")
		if bad := evalAs[[]string](b, fitsExpr); len(bad) > 0 {
			b.fail("the join page does not fit: %v", bad)
		}
		b.click("confirm", "#verify-confirm")
		b.click("join", "#join-btn")
		b.wait("joined", hasText(".join [role=status]", "你已加入 星辰科技。"))
	})

	t.Run("no-smtp-en", func(t *testing.T) {
		plain := tacktest.NewServer(t)
		b := newBrowser(t, "member", 375, 812, "en-GB")
		defer b.check()
		b.signUp(plain.URL, "Wang Wu", "wangwu@example.com", "member password")
		b.open(plain.URL + "/me/security")
		b.click("send code", "#verify-send")
		b.wait("cannot send, an admin approves", hasText("#verify-error", "This server cannot send codes by email yet, so it cannot check your email address. Ask your organisation’s admin: an invitation code you use then waits for their approval.")+` && document.querySelector('#verify-send').hidden`)
		b.screenshot("account-phone-en-no-smtp")
	})
}

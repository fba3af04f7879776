package node

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
)

// startSignInAlerts makes the account security bot (账号安全) and has it
// tell people of each sign-in from a device they never signed in on
// before, in their chat with it: what device, from where, and what to do
// if it was not them.
func (n *Node) startSignInAlerts(ctx context.Context, bots *botExternals) error {
	bot, err := n.Accounts.Bot(ctx, "security", "账号安全")
	if err != nil {
		return err
	}
	bots.security.Store(&bot.ID)
	n.Accounts.OnNewDevice(func(ctx context.Context, u account.User, s account.Session, dev account.Device) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		what := deviceLabel(dev.Name)
		where := dev.Address
		if where == "" {
			where = "?"
		}
		text := fmt.Sprintf("你的账号刚刚在新设备上登录：%s，地址 %s。如果不是你本人，请立即修改密码，并在“我 → 账号与安全 → 登录设备”中让该设备退出登录。\n\n"+
			"New sign-in to your account on %s from %s. If this was not you, change your password now and sign that device out under Me → Account and security → Signed-in devices.", what, where, what, where)
		_, _, err := n.Chat.PostNotice(ctx, chat.Notice{From: bot.ID, To: u.ID, ClientID: "signin-" + string(s.ID), Action: "security", Text: text})
		if err != nil {
			n.log.Warn("sign-in alert", "user", u.ID, "err", err)
		}
	})
	return nil
}

// deviceLabel makes a user agent short: "Chrome on Android", or its first
// 60 characters.
func deviceLabel(ua string) string {
	b := ""
	switch {
	case strings.Contains(ua, "Edg/"):
		b = "Edge"
	case strings.Contains(ua, "Firefox/"):
		b = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "CriOS"):
		b = "Chrome"
	case strings.Contains(ua, "Safari/"):
		b = "Safari"
	case strings.HasPrefix(ua, "Go-http-client") || strings.HasPrefix(ua, "tack/"):
		b = "tack CLI"
	}
	os := ""
	switch {
	case strings.Contains(ua, "iPhone"):
		os = "iPhone"
	case strings.Contains(ua, "iPad"):
		os = "iPad"
	case strings.Contains(ua, "Android"):
		os = "Android"
	case strings.Contains(ua, "Windows"):
		os = "Windows"
	case strings.Contains(ua, "Mac OS X"):
		os = "macOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	}
	switch {
	case b != "" && os != "":
		return b + " / " + os
	case b != "" || os != "":
		return b + os
	case ua == "":
		return "?"
	}
	r := []rune(ua)
	if len(r) > 60 {
		r = r[:60]
	}
	return string(r)
}

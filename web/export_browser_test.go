package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestBrowserExport: a plain member on a phone in Chinese downloads their
// own data from 我 › 我的数据 and sees the export listed, and reads in the
// company group's info that its messages are kept for 90 days; the owner on
// a desktop in English sets the retention in the admin area's Data and
// retention tab, places the group under legal hold (the member's group info
// then says so), lifts it, and exports the organisation.
func TestBrowserExport(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	boss, bob := srv.NewUser(t, "王总"), srv.NewUser(t, "小明")
	org := must(boss.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	inv := must(boss.CreateInvitation(ctx, oid, map[string]any{}))
	must(bob.AcceptInvitation(ctx, inv.Code))
	g := must(boss.CreateOrgGroup(ctx, oid, "", "全员群"))
	gid := string(g.ConversationID)
	must(bob.Send(ctx, gid, client.Draft{ClientID: "hello", Text: "大家好，周五开会"}))
	must(boss.SetRetention(ctx, oid, 90))

	p := newBrowser(t, "phone", 375, 812, "zh-CN")
	defer p.check()
	p.signIn(srv.URL, bob.Login, bob.Password)
	p.click("我", "#tab-user")
	p.click("my data", "#me-data")
	p.wait("the page", containsText("#page-title", "我的数据")+` && document.querySelector('#dx-none')`)
	p.click("download", "#dx-download")
	p.wait("done", containsText("#dx-status", "导出文件已下载")+` && document.querySelectorAll('#dx-list li').length === 1`)
	p.screenshot("export-phone-zh-mine")
	if rs := must(bob.Exports(ctx, "")); len(rs) != 1 {
		t.Errorf("bob's exports after the download: %+v", rs)
	}
	p.open(srv.URL + "/c/" + gid)
	p.click("group info", "#conv-info")
	p.wait("the retention line", containsText("#ci-retention", "本群消息保留 90 天"))
	p.screenshot("retention-phone-zh-info")

	d := newBrowser(t, "desktop", 1280, 800, "en-US")
	defer d.check()
	d.signIn(srv.URL, boss.Login, boss.Password)
	d.open(srv.URL + "/admin")
	d.click("data tab", "#tab-adm_data")
	d.wait("the tab", `document.querySelector('#rt-days') && document.querySelector('#rt-days').value === '90' && document.querySelector('#lh-none')`)
	d.typeInto("#lh-reason", "Contract dispute")
	d.click("hold", "#lh-form button")
	d.wait("the hold listed", containsText("#lh-list", "全员群")+` && `+containsText("#lh-list", "Contract dispute"))
	d.screenshot("retention-admin-desktop-en")
	if info := must(bob.ChatRetention(ctx, gid)); !info.LegalHold {
		t.Errorf("after the hold: %+v", info)
	}
	p.open(srv.URL + "/c/" + gid)
	p.click("group info", "#conv-info")
	p.wait("the hold line", containsText("#ci-retention", "法律保留"))
	p.screenshot("retention-phone-zh-hold")

	d.click("lift", "#lh-list button")
	d.wait("no hold", `document.querySelector('#lh-none')`)
	d.click("export", "#dx-org-download")
	d.wait("exported", containsText("#toast", "Your export is downloaded."))
	if rs := must(boss.Exports(ctx, oid)); len(rs) != 1 || rs[0].Kind != "org" {
		t.Errorf("organisation exports: %+v", rs)
	}
	d.screenshot("export-admin-desktop-en")

	// Files are found by name.
	f := must(bob.Upload(ctx, strings.NewReader("numbers"), client.UploadOptions{Name: "季度预算 Budget.xlsx", Size: -1}))
	must(bob.Send(ctx, gid, client.Draft{ClientID: "file", Attachments: []string{string(f.ID)}}))
	d.open(srv.URL)
	d.click("the search button", "#open-search")
	d.wait("the search dialog", `document.querySelector('#search-q')`)
	d.typeInto("#search-q", "预算")
	d.wait("the file found by name", `[...document.querySelectorAll('.search-hit .search-file')].some(e => e.textContent.includes('季度预算 Budget.xlsx'))`)
	d.screenshot("search-file-desktop-en")
}

// TestBrowserAdmin2FAPages: where the organisation requires two-step
// sign-in of its admins, an admin without it opening the attendance or
// approval admin page is told why and offered the way to turn it on
// (phone, Chinese), instead of pages the server would refuse.
func TestBrowserAdmin2FAPages(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, admin := srv.NewUser(t, "王总"), srv.NewUser(t, "李娜")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	inv := must(owner.CreateInvitation(ctx, oid, map[string]any{}))
	j := must(admin.AcceptInvitation(ctx, inv.Code))
	must(owner.SetMemberRole(ctx, oid, string(j.Member.ID), "admin", nil))
	secret, _, err := owner.SetUpTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	must(owner.EnableTOTP(ctx, code))
	must(owner.UpdateOrg(ctx, oid, map[string]any{"require_admin_2fa": true}))

	p := newBrowser(t, "phone", 375, 812, "zh-CN")
	defer p.check()
	p.signIn(srv.URL, admin.Login, admin.Password)
	for _, path := range []string{"/attendance/admin", "/approvals/admin"} {
		p.open(srv.URL + path)
		p.wait("the banner on "+path, containsText("#adm-needs-2fa", "本组织要求管理员开启两步验证"))
	}
	p.screenshot("admin2fa-phone-zh-approvals")
	p.click("turn on", "#adm-needs-2fa a")
	p.wait("the two-step page", `location.pathname === '/me/twofactor' && document.querySelector('#tf-start')`)
}

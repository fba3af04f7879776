package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/tacktest"
	"github.com/tackhq/tack/web"
)

// staticKeys lists the catalogue keys the client's modules name literally,
// t('key'); keys made at run time are checked as screens show them (the
// client warns "i18n: ..." on the console, and every browser test fails on
// that).
func staticKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("static/assets/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no modules: %v", err)
	}
	re := regexp.MustCompile(`\bt\(\s*'([A-Za-z0-9_]+)'\s*[,)]`)
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			seen[string(m[1])] = true
		}
	}
	var keys []string
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// shownExpr lists what a Chinese screen shows that is not Chinese: raw
// codes (member.join, row_missing_name, not_found) and Latin words, leaving
// out email addresses and the allowed words.
func shownExpr(allow []string) string {
	a, _ := json.Marshal(allow)
	return fmt.Sprintf(`(() => {
		let s = document.body.innerText.replace(/\S+@\S+/g, ' ');
		for (const w of %s) s = s.split(w).join(' ');
		const codes = s.match(/\b[a-z]+(?:[._][a-z0-9]+)+\b/g) || [];
		const words = s.match(/[A-Za-z]{2,}/g) || [];
		return [...codes, ...words];
	})()`, a)
}

// TestBrowserI18n: both catalogues are complete (every feature loaded),
// every key a module names exists in both, and a Chinese user sees Chinese
// on every screen, with no raw code, even in the audit log and the import
// report.
func TestBrowserI18n(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	owner, peer := srv.NewUser(t, "王伟"), srv.NewUser(t, "李娜")
	org := must(owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(org.ID)
	d := must(owner.CreateDepartment(ctx, oid, "", "研发部"))
	inv := must(owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(d.ID)}}))
	j := must(peer.AcceptInvitation(ctx, inv.Code))
	must(owner.UpdateOrgMember(ctx, oid, string(j.Member.ID), map[string]any{"title": "产品经理"}))
	must(owner.SetMemberRole(ctx, oid, string(j.Member.ID), "subadmin", []string{string(d.ID)}))
	must(owner.SetMemberRole(ctx, oid, string(j.Member.ID), "member", nil))
	g := must(owner.CreateConversation(ctx, "group", []string{peer.ID}, "项目组"))
	title := "项目组二"
	must(owner.UpdateConversation(ctx, string(g.ID), &title, nil))
	on := true
	must(owner.UpdateConversation(ctx, string(g.ID), nil, &on))
	on = false
	must(owner.UpdateConversation(ctx, string(g.ID), nil, &on))
	must(peer.Send(ctx, string(g.ID), clientDraft("p1", "大家好")))
	allow := []string{"bad.csv", "Tack", "CSV", "XLSX", "Excel", "GBK", "GB18030", "UTF-8", "English", "zs", "DING"}

	b := newBrowser(t, "zh", 1280, 800, "zh-CN")
	defer b.check()
	chinese := func(screen string) {
		t.Helper()
		if bad := evalAs[[]string](b, shownExpr(allow)); len(bad) > 0 {
			b.fail("%s shows what is not Chinese: %q", screen, bad)
		}
	}
	b.open(srv.URL)
	b.wait("sign-in", `document.querySelector('#auth-login')`)
	chinese("sign in")
	b.typeInto("#auth-login", owner.Login)
	b.typeInto("#auth-password", "wrong password\n")
	b.wait("the error", hasText("#auth-error", "账号或密码错误。"))
	chinese("sign-in error")
	b.signIn(srv.URL, owner.Login, owner.Password)

	// The catalogues, with every feature loaded.
	var cat struct {
		MissingZh, MissingEn, Unknown []string
	}
	keys, _ := json.Marshal(staticKeys(t))
	// Every module: the features lazy.js lists, and those that features
	// load themselves with import().
	mods, _ := json.Marshal(web.Modules())
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string][]string](`(async () => {
		const url = (n) => document.querySelector('link[rel=modulepreload][href*="/' + n + '."]').href;
		await (await import(url('lazy'))).all();
		await Promise.all(`+string(mods)+`.map((m) => import('/assets/' + m)));
		return (await import(url('i18n'))).catalogue(`+string(keys)+`);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("catalogue: %v", err)
	}
	cat.MissingZh, cat.MissingEn, cat.Unknown = v["missingZh"], v["missingEn"], v["unknown"]
	if len(cat.MissingZh)+len(cat.MissingEn)+len(cat.Unknown) > 0 {
		t.Errorf("catalogue: no Chinese for %v; no English for %v; named but missing: %v", cat.MissingZh, cat.MissingEn, cat.Unknown)
	}
	if len(staticKeys(t)) < 100 {
		t.Errorf("only %d keys found in the modules", len(staticKeys(t)))
	}

	// Every screen, in Chinese.
	b.wait("the list", hasText(".conv-title", "项目组二"))
	chinese("list")
	b.click("the group", ".conv")
	b.wait("the group's history", hasText(".msg .text", "大家好")+` && document.querySelectorAll('.notice').length >= 4`)
	chinese("chat")
	b.click("info", "#conv-info")
	b.wait("members", `document.querySelectorAll('dialog[open] .members li').length === 2`)
	chinese("group info")
	b.do("close", chromedp.KeyEvent("\x1b"))
	b.wait("closed", `!document.querySelector('dialog[open]')`)
	b.typeInto("#composer-text", "收到\n")
	b.wait("the receipt", `document.querySelector('.msg.own .receipt')`)
	b.click("receipts", ".msg.own .receipt")
	b.wait("receipts", `document.querySelector('dialog[open] .receipts li')`)
	chinese("receipts")
	b.do("close", chromedp.KeyEvent("\x1b"))
	b.wait("closed", `!document.querySelector('dialog[open]')`)
	evalAs[chromedp.Void](b, `document.querySelector('.msg.own .bubble').dispatchEvent(new MouseEvent('contextmenu', { bubbles: true, cancelable: true }))`)
	b.wait("the menu", `document.querySelector('.menu:not([hidden]) [data-action=recall]')`)
	chinese("message menu")
	b.do("close", chromedp.KeyEvent("\x1b"))
	b.click("new chat", "#new-chat")
	b.wait("people", `document.querySelector('dialog[open] .picker-results .person')`)
	chinese("new chat")
	b.click("group tab", "#tab-group")
	chinese("new group")
	b.do("close", chromedp.KeyEvent("\x1b"))
	b.typeInto("#list-search", "ln")
	b.wait("people found", hasText(".conv-people .p-name", "李娜"))
	chinese("search")

	b.open(srv.URL + "/contacts")
	b.wait("the directory", hasText(".dir-list .p-name", "李娜"))
	chinese("directory")
	evalAs[chromedp.Void](b, `[...document.querySelectorAll('.dir-list .person')].find(e => e.textContent.includes('李娜')).click()`)
	b.wait("the card", `document.querySelector('dialog[open] #profile-message')`)
	chinese("profile card")
	b.do("close", chromedp.KeyEvent("\x1b"))

	b.open(srv.URL + "/admin")
	for _, tab := range []string{"adm_members", "departments", "adm_invitations", "adm_requests", "adm_audit"} {
		b.click(tab, "#tab-"+tab)
		b.wait(tab, `document.querySelector('#admin-panel').getAttribute('aria-labelledby') === 'tab-`+tab+`' && document.querySelector('#admin-panel').children.length`)
		chinese("admin " + tab)
	}
	b.wait("the audit log", `document.querySelectorAll('#admin-panel tr[data-code]').length >= 5`)
	chinese("audit log")
	// An import with problems in the file and in its rows.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("姓名,工号,邮箱,部门\n赵六,E1,not-an-email,销售部\n,E2,,销售部\n钱七,E1,,销售部\n"), 0o644)
	b.click("import", "#tab-adm_import")
	b.wait("the import tab", `document.querySelector('#imp-file')`)
	chinese("import")
	b.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS("#imp-file"), []string{bad}))
	b.wait("the report", `document.querySelector('#imp-summary') && document.querySelectorAll('#admin-panel tbody tr').length === 3`)
	chinese("import report")

	b.open(srv.URL + "/workbench")
	b.wait("the workbench", `document.querySelector('#app-gear')`)
	chinese("workbench")
	b.open(srv.URL + "/me")
	b.wait("my page", `document.querySelector('#me-sign-out')`)
	chinese("me")
	// 我's account pages; the device list names browsers as they call
	// themselves.
	allow = append(allow, "Go-http-client/1.1", "Linux", "Chrome")
	for _, pg := range []struct{ path, ready string }{
		{"security", "#ac-status"}, {"password", "#pw-current"}, {"devices", "#devices li"}, {"privacy", "#privacy-groups"},
	} {
		b.open(srv.URL + "/me/" + pg.path)
		b.wait("my "+pg.path+" page", `document.querySelector('`+pg.ready+`')`)
		chinese("me/" + pg.path)
	}
	b.open(srv.URL + "/join/" + inv.Code)
	b.wait("the join page", `document.querySelector('#join-org')`)
	chinese("join")
	b.open(srv.URL + "/join/nosuchcode")
	b.wait("a bad link", hasText(".join .error", "邀请不存在或已撤回。"))
	chinese("bad join link")
	if strings.TrimSpace(evalAs[string](b, `document.documentElement.lang`)) != "zh-CN" {
		b.fail("the page's language is %q", evalAs[string](b, `document.documentElement.lang`))
	}
}

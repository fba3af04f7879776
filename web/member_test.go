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

// must returns v, or panics (failing the test) on an error: setup steps
// that cannot fail in a working server.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// office is an organisation with a few people, made over the API.
type office struct {
	srv            *tacktest.Server
	owner          *tacktest.User
	org            client.Org
	invite         string // a join link
	wangwu, lina   *tacktest.User
	rd, longDept   client.Department
	longDeptName   string
	wangwuMemberID string
}

func newOffice(t *testing.T) *office {
	t.Helper()
	ctx := context.Background()
	o := &office{srv: tacktest.NewServer(t)}
	o.owner = o.srv.NewUser(t, "王伟")
	o.org = must(o.owner.CreateOrg(ctx, "星辰科技", "Asia/Shanghai"))
	oid := string(o.org.ID)
	o.rd = must(o.owner.CreateDepartment(ctx, oid, "", "研发部"))
	// Long department names: 64 characters, the most there may be.
	o.longDeptName = string([]rune(strings.Repeat("华东区域客户成功与解决方案中心", 5))[:64])
	o.longDept = must(o.owner.CreateDepartment(ctx, oid, string(o.rd.ID), o.longDeptName))
	inv := must(o.owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(o.rd.ID)}}))
	o.invite = o.srv.URL + inv.URL
	join := func(name, title string, dept client.Department) (*tacktest.User, string) {
		u := o.srv.NewUser(t, name)
		in := must(o.owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{string(dept.ID)}}))
		j := must(u.AcceptInvitation(ctx, in.Code))
		must(o.owner.UpdateOrgMember(ctx, oid, string(j.Member.ID), map[string]any{"title": title}))
		return u, string(j.Member.ID)
	}
	o.wangwu, o.wangwuMemberID = join("王五", "后端工程师", o.rd)
	o.lina, _ = join("李娜", "产品经理", o.longDept)
	join("张思远", "测试工程师", o.rd)
	return o
}

// TestBrowserMemberPath walks the everyday path of a plain member, on a
// phone and on a desktop, in Chinese and in English: join by link (signing up
// on the way), find 王五 by "ww" in the directory, open the card, message
// him, find him from the search box, and make a group from the picker.
func TestBrowserMemberPath(t *testing.T) {
	chromium(t)
	o := newOffice(t)
	ctx := context.Background()
	for i, c := range []struct {
		name, lang    string
		width, height int64
		zh            bool
	}{
		{"phone-zh", "zh-CN", 375, 812, true},
		{"desktop-en", "en-US", 1280, 800, false},
		{"phone-en", "en-GB", 375, 812, false},
		{"desktop-zh", "zh-CN", 1280, 800, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBrowser(t, "member", c.width, c.height, c.lang)
			defer b.check()
			tr := func(zh, en string) string {
				if c.zh {
					return zh
				}
				return en
			}
			shot := func(step string) { b.screenshot("member-" + c.name + "-" + step) }
			phone := c.width < 500

			// Join by link, signing up on the way.
			b.open(o.invite)
			b.wait("the sign-in form", `document.querySelector('#auth-switch')`)
			b.click("switch to sign-up", "#auth-switch")
			// An empty name is refused with a sentence, not a label.
			b.click("submit", "#auth-submit")
			b.wait("the name error", hasText("#auth-error", tr("请填写你的名字，同事会用它找到你。", "Enter your name: it is how colleagues will find you.")))
			name := tr("张三", "Zhang San")
			b.typeInto("#auth-name", name)
			b.typeInto("#auth-login", fmt.Sprintf("member%d@example.com", i))
			b.typeInto("#auth-password", "member password")
			b.click("submit", "#auth-submit")
			b.wait("the join page", hasText("#join-org", "星辰科技"))
			shot("1-join")
			b.click("join", "#join-btn")
			b.wait("joined", hasText(".join [role=status]", tr("你已加入 星辰科技。", "You joined 星辰科技.")))

			// The directory: 王五 by his initials.
			b.click("contacts", ".join a")
			b.wait("the directory", hasText(".dir-list .p-name", "王五")+` && `+hasText(".dir-list .p-name", "李娜"))
			b.typeInto("#dir-search", "ww")
			b.wait("王五 found by ww", hasText(".dir-list .p-name", "王五")+` && !`+hasText(".dir-list .p-name", "李娜"))
			shot("2-directory")
			evalAs[chromedp.Void](b, `[...document.querySelectorAll('.dir-list .person')].find(e => e.querySelector('.p-name').textContent === '王五').click()`)
			b.wait("the card with a Message button", `document.querySelector('dialog[open] #profile-message') && `+hasText("dialog[open] dd", "后端工程师"))
			shot("3-card")
			b.click("message", "#profile-message")
			b.wait("the chat with 王五", `location.pathname.startsWith('/c/') && `+hasText(".chat-title", "王五"))
			msg := tr("王五你好，我是新来的张三。", "Hello 王五, I am new here.")
			b.typeInto("#composer-text", msg+"\n")
			b.wait("sent", hasText(".msg.own .text", msg)+` && !document.querySelector('.msg.pending')`)
			shot("4-chat")
			// 王五 has it.
			convs := must(o.wangwu.Conversations(ctx))
			found := false
			for _, cv := range convs {
				if cv.LastMessage != nil && cv.LastMessage.Text == msg {
					found = true
				}
			}
			if !found {
				t.Errorf("王五 did not get the message")
			}

			// The search box above the list finds chats and people.
			if phone {
				b.click("back", ".chat-head .back")
				b.wait("the list", `location.pathname === '/'`)
			}
			b.typeInto("#list-search", "ww")
			b.wait("王五 among people", hasText(".conv-people .p-name", "王五"))
			shot("5-search")
			b.typeInto("#list-search", "xyzzy")
			b.wait("nothing found", `document.querySelectorAll('.conv-list .conv').length === 0 && `+hasText(".conv-list .empty", tr("没有找到。", "Nothing found.")))
			evalAs[chromedp.Void](b, `(() => { const s = document.querySelector('#list-search'); s.value = ''; s.dispatchEvent(new Event('input')); })()`)
			b.wait("the list back", hasText(".conv .conv-title", "王五"))

			// A group from the picker: colleagues by initials.
			b.click("new chat", "#new-chat")
			b.typeInto("dialog[open] #panel-direct tack-picker input", "ww")
			b.wait("王五 in the direct picker", hasText("dialog[open] #panel-direct .person .p-name", "王五"))
			b.click("group tab", "#tab-group")
			title := tr("周会小组", "Weekly sync")
			b.typeInto("#group-title", title)
			for _, who := range []struct{ q, name string }{{"ww", "王五"}, {"ln", "李娜"}} {
				evalAs[chromedp.Void](b, `document.querySelector('#panel-group tack-picker input').value = ''`)
				b.typeInto("#panel-group tack-picker input", who.q)
				b.wait(who.name+" in the group picker", hasText("#panel-group .person .p-name", who.name))
				evalAs[chromedp.Void](b, fmt.Sprintf(`[...document.querySelectorAll('#panel-group .person')].find(e => e.querySelector('.p-name').textContent === %s).querySelector('input').click()`, js(who.name)))
			}
			b.wait("two chosen", `document.querySelectorAll('#panel-group .chip').length === 2`)
			shot("6-picker")
			b.click("create", "#panel-group button[type=submit]")
			b.wait("the group", hasText(".chat-title", title)+` && `+hasText(".chat-sub", tr("3 位成员", "3 members")))
			b.wait("the group avatar grid", `document.querySelector('.chat-head .avatar.grid')`)
			shot("7-group")
			if phone {
				b.click("back", ".chat-head .back")
				b.wait("the list with the tab bar", `location.pathname === '/' && getComputedStyle(document.querySelector('.tabbar')).display !== 'none'`)
				b.wait("group avatars in the list", `document.querySelector('.conv .avatar.grid')`)
				shot("8-list")
				b.click("workbench", "#tab-grid")
				b.wait("the workbench", `document.querySelector('#app-people') && !document.querySelector('#app-gear')`)
				shot("9-workbench")
				b.click("me", "#tab-user")
				b.wait("my page", `document.querySelector('#me-sign-out')`)
				shot("10-me")
			} else {
				// On a desktop the workbench is a link beside the directory.
				b.click("workbench", "#nav-work")
				b.wait("the workbench", `location.pathname === '/workbench' && document.querySelector('#app-clock') && document.querySelector('#app-stamp') && !document.querySelector('#app-gear')`)
				shot("8-workbench")
			}
		})
	}
}

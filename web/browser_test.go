package web_test

// Browser tests: real Chromium driven with chromedp against a real server.
// They skip when no Chromium is installed (apt-get install chromium
// fonts-wqy-microhei). A failing step saves a screenshot and logs its path.
// Set TACK_SCREENSHOTS=1 to refresh web/screenshots/*.png from a run.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/tackhq/tack/tacktest"
)

func TestBrowserChat(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	const pw = "correct horse battery"
	aliceLogin, bobLogin := "alice@example.com", "bob@example.com"

	var alice, bob *browser
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); alice = newBrowser(t, "alice", 1280, 800, "en-US") }()
	go func() { defer wg.Done(); bob = newBrowser(t, "bob", 375, 740, "zh-CN") }()
	wg.Wait()
	if alice == nil || bob == nil {
		t.FailNow()
	}
	defer alice.check()
	defer bob.check()

	// Language comes from the browser: Bob's is Chinese.
	bob.open(srv.URL)
	bob.wait("Chinese sign-in", hasText("#auth-title", "登录"))
	alice.open(srv.URL)
	alice.wait("English sign-in", hasText("#auth-title", "Sign in"))
	alice.screenshot("signin")

	alice.signUp(srv.URL, "Alice Chen", aliceLogin, pw)
	bob.signUp(srv.URL, "王小明", bobLogin, pw)

	// Alice starts a direct chat by Bob's exact login.
	alice.click("new chat", "#new-chat")
	alice.typeInto("dialog[open] tack-picker input", bobLogin)
	alice.wait("Bob in the results", hasText("dialog[open] .person span", "王小明"))
	alice.click("Bob", "dialog[open] .person")
	alice.wait("the chat with Bob", hasText(".chat-title", "王小明"))

	alice.typeInto("#composer-text", "Hello Bob\n")
	alice.wait("sent", msgExpr("Hello Bob")+` && !document.querySelector('.msg.pending')`)

	// Bob sees the conversation with an unread badge and the preview.
	bob.wait("the conversation in the list", hasText(".conv .conv-title", "Alice Chen")+` && `+hasText(".conv .badge [aria-hidden]", "1")+` && `+hasText(".conv .preview", "Hello Bob"))
	bob.screenshot("mobile-list")
	bob.click("the conversation", ".conv")
	bob.wait("Alice's message", hasText(".msg.other .text", "Hello Bob"))
	// Phone layout: one pane at a time.
	if !evalAs[bool](bob, `getComputedStyle(document.querySelector('.sidebar')).display === 'none'`) {
		bob.fail("the list is still shown beside the chat at 375 px")
	}
	alice.wait("the read receipt", `document.querySelector('.msg.own .receipt[data-unread="0"]')`)

	// Bob answers in Chinese; Alice sees it live, and sees him typing first.
	bob.typeInto("#composer-text", "你好")
	alice.wait("typing indicator", `document.querySelector('.chat-sub.typing')`)
	bob.typeInto("#composer-text", "，Alice！明天上午十点开会。\n")
	alice.wait("Bob's Chinese message", hasText(".msg.other .text", "你好，Alice！明天上午十点开会。"))
	alice.wait("the list preview", hasText(".conv .preview", "你好，Alice！明天上午十点开会。"))
	bob.wait("Bob's receipt", `document.querySelector('.msg.own .receipt[data-unread="0"]')`)

	// Shift+Enter breaks the line, Enter sends.
	alice.do("multi-line",
		chromedp.SendKeys(chromedp.CSS("#composer-text"), "line one"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.SendKeys(chromedp.CSS("#composer-text"), "line two\n"),
	)
	bob.wait("a two-line message", hasText(".msg .text", "line one\nline two"))

	// User content is text, never markup.
	xss := `<img src=x onerror=alert(1)>`
	alice.typeInto("#composer-text", xss+"\n")
	bob.wait("the markup shown as text", hasText(".msg .text", xss))
	alice.wait("the markup shown as text", hasText(".msg .text", xss))
	for _, b := range []*browser{alice, bob} {
		if n := evalAs[int](b, `document.querySelectorAll('#app img, .messages img').length`); n != 0 {
			b.fail("%d img elements were created from a message", n)
		}
		b.check()
	}

	// Reply with quote.
	bob.messageAction("Hello Bob", "reply")
	bob.wait("reply bar", `!document.querySelector('.mode-bar').hidden`)
	bob.typeInto("#composer-text", "收到\n")
	alice.wait("the reply with its quote", msgExpr("收到")+`?.querySelector('.quote .q-text').textContent === "Hello Bob"`)

	// Edit.
	alice.messageAction("Hello Bob", "edit")
	evalAs[chromedp.Void](alice, `document.querySelector('#composer-text').value = ''`)
	alice.typeInto("#composer-text", "Hello Bob, welcome!\n")
	bob.wait("the edit", msgExpr("Hello Bob, welcome!")+`?.querySelector('.edited')`)
	alice.wait("the quote follows the edit", msgExpr("收到")+`?.querySelector('.quote .q-text').textContent === "Hello Bob, welcome!"`)

	// Recall: it vanishes on the other side.
	alice.typeInto("#composer-text", "oops, wrong chat\n")
	bob.wait("the message to be recalled", hasText(".msg .text", "oops, wrong chat"))
	alice.messageAction("oops, wrong chat", "recall")
	alice.click("confirm", "dialog[open] [data-confirm]")
	bob.wait("the recall", `!`+hasText(".msg .text", "oops, wrong chat")+` && document.querySelector('.notice.recalled')`)
	alice.wait("the recall", `!`+hasText(".msg .text", "oops, wrong chat"))
	alice.screenshot("desktop-chat")
	bob.screenshot("mobile-chat")

	// A group with a third person: "N unread" falls live, and the receipt
	// list says who has read.
	carol := newAPIUser(t, srv.URL, "Carol Li", "carol@example.com")
	alice.openNewGroup()
	alice.typeInto("#group-title", "Launch 发布")
	for _, who := range []struct{ login, name string }{{bobLogin, "王小明"}, {"carol@example.com", "Carol Li"}} {
		evalAs[chromedp.Void](alice, `document.querySelector('#panel-group tack-picker input').value = ''`)
		alice.typeInto("#panel-group tack-picker input", who.login+"\n")
		alice.wait(who.name+" in the results", hasText("#panel-group .person span", who.name))
		evalAs[chromedp.Void](alice, fmt.Sprintf(`[...document.querySelectorAll('#panel-group .person')].find(l => l.textContent.includes(%s)).querySelector('input').click()`, js(who.name)))
	}
	alice.wait("two chosen", `document.querySelectorAll('#panel-group .chip').length === 2`)
	alice.click("create", "#panel-group button[type=submit]")
	alice.wait("the group", hasText(".chat-title", "Launch 发布"))
	alice.wait("member count", hasText(".chat-sub", "3 members"))

	// @mention completion.
	alice.typeInto("#composer-text", "@王")
	alice.wait("mention suggestions", `!document.querySelector('#mention-list').hidden && `+hasText("#mention-list li span", "王小明"))
	alice.typeInto("#composer-text", "\n")
	alice.wait("the mention inserted", `document.querySelector('#composer-text').value === '@王小明 '`)
	alice.typeInto("#composer-text", "please review\n")
	alice.wait("2 unread", msgExpr("@王小明 please review")+`?.querySelector('.receipt[data-unread="2"]')`)

	bob.click("back", ".chat-head .back")
	bob.wait("the group in the list", hasText(".conv .conv-title", "Launch 发布"))
	evalAs[chromedp.Void](bob, `[...document.querySelectorAll('.conv')].find(a => a.textContent.includes('Launch')).click()`)
	bob.wait("the mention", msgExpr("@王小明 please review")+`?.querySelector('.mention.me')`)
	alice.wait("1 unread", msgExpr("@王小明 please review")+`?.querySelector('.receipt[data-unread="1"]')`)
	bob.click("group info", "#conv-info")
	bob.wait("members listed", `document.querySelectorAll('dialog[open] .members li').length === 3`)
	bob.screenshot("mobile-group-info")
	bob.do("close", chromedp.KeyEvent("\x1b"))
	bob.wait("dialog closed", `!document.querySelector('dialog[open]')`)
	alice.do("open receipts", chromedp.Click(chromedp.CSS(".msg.own .receipt[data-unread='1']")))
	alice.wait("who has read", hasText("dialog[open] .r-read li span", "王小明")+` && `+hasText("dialog[open] .r-unread li span", "Carol Li"))
	alice.screenshot("desktop-receipts")
	alice.do("close receipts", chromedp.KeyEvent("\x1b"))
	alice.wait("dialog closed", `!document.querySelector('dialog[open]')`)

	// Carol reads over REST; Alice's count falls to zero while she watches.
	var conv struct {
		Conversations []struct {
			ID      string `json:"id"`
			LastSeq int64  `json:"last_seq"`
		} `json:"conversations"`
	}
	carol.call("GET", "/conversations", nil, &conv)
	if len(conv.Conversations) != 1 {
		t.Fatalf("carol has %d conversations", len(conv.Conversations))
	}
	group := conv.Conversations[0]
	carol.call("POST", "/conversations/"+group.ID+"/read", map[string]any{"seq": group.LastSeq}, nil)
	alice.wait("all read", msgExpr("@王小明 please review")+`?.querySelector('.receipt[data-unread="0"]')`)

	// Survive a server restart: messages sent while it is down are delivered
	// once, and what was missed arrives after resume, with no doubles.
	srv.Close()
	alice.wait("offline status", `document.querySelector('.conn[data-state=waiting]')`)
	bob.wait("offline status", `document.querySelector('.conn[data-state=waiting]')`)
	alice.typeInto("#composer-text", "sent while the server was down\n")
	alice.wait("pending", `document.querySelector('.msg.pending')`)
	srv.Restart(t)
	alice.wait("back online", `document.querySelector('.conn[data-state=online]') && !document.querySelector('.msg.pending')`)
	bob.wait("back online", `document.querySelector('.conn[data-state=online]')`)
	bob.wait("the message sent while down", hasText(".msg .text", "sent while the server was down"))
	// Carol posts while both browsers are live after the restart.
	carol.call("POST", "/conversations/"+group.ID+"/messages", map[string]any{"client_id": "carol-1", "text": "Carol here 我在"}, nil)
	for _, b := range []*browser{alice, bob} {
		b.wait("Carol's message", hasText(".msg .text", "Carol here 我在"))
		if n := evalAs[int](b, countText(".msg .text", "sent while the server was down")); n != 1 {
			b.fail("the message sent while down appears %d times", n)
		}
		dup := evalAs[bool](b, `(() => { const s = [...document.querySelectorAll('.messages [data-seq]')].map(e => e.dataset.seq); return new Set(s).size !== s.length; })()`)
		if dup {
			b.fail("a message is shown twice")
		}
	}

	// Switch language live.
	alice.do("switch to Chinese", chromedp.SetValue(chromedp.CSS("#lang"), "zh"))
	evalAs[chromedp.Void](alice, `document.querySelector('#lang').dispatchEvent(new Event('change'))`)
	alice.wait("Chinese UI", `document.documentElement.lang.startsWith('zh') && document.querySelector('#composer-text').getAttribute('aria-label') === '消息'`)
	alice.do("switch back", chromedp.SetValue(chromedp.CSS("#lang"), "en"))
	evalAs[chromedp.Void](alice, `document.querySelector('#lang').dispatchEvent(new Event('change'))`)
}

// TestBrowserResume: a client whose socket drops misses nothing: the server
// replays what changed since its cursors, and nothing is doubled.
func TestBrowserResume(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	carol := newAPIUser(t, srv.URL, "Carol Li", "carol2@example.com")
	dave := newBrowser(t, "dave", 1024, 700, "en-US")
	defer dave.check()
	dave.signUp(srv.URL, "Dave", "dave@example.com", "dave-password")
	// Carol finds Dave by exact login and opens a chat with 60 messages.
	var users struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	carol.call("GET", "/users?q=dave@example.com", nil, &users)
	if len(users.Users) != 1 {
		t.Fatalf("found %d users", len(users.Users))
	}
	var c struct {
		ID string `json:"id"`
	}
	carol.call("POST", "/conversations", map[string]any{"type": "direct", "members": []string{users.Users[0].ID}}, &c)
	for i := 1; i <= 60; i++ {
		carol.call("POST", "/conversations/"+c.ID+"/messages", map[string]any{"client_id": fmt.Sprintf("h%d", i), "text": fmt.Sprintf("history %02d", i)}, nil)
	}
	// Deep link straight into the conversation.
	dave.open(srv.URL + "/c/" + c.ID)
	dave.wait("the newest message", hasText(".msg .text", "history 60"))
	if evalAs[bool](dave, hasText(".msg .text", "history 01")) {
		dave.fail("the whole history was loaded at once")
	}
	// Scrolling up loads the rest lazily.
	dave.wait("the oldest message", `(document.querySelector('.scroller').scrollTop = 0, `+hasText(".msg .text", "history 01")+`)`)
	dave.wait("the beginning", `document.querySelector('.beginning')`)
	dave.wait("the day separator", `document.querySelector('.messages .day')`)

	// Drop the socket from the server side by restarting, and send while
	// Dave is away.
	dave.do("scroll down", chromedp.Evaluate[chromedp.Void](`document.querySelector('.scroller').scrollTop = 1e9`))
	srv.Close()
	dave.wait("offline", `document.querySelector('.conn[data-state=waiting]')`)
	// Keep Dave's socket from reconnecting until Carol has written: while
	// blocked, new sockets go to a path that refuses the upgrade.
	block := func(on bool) {
		evalAs[chromedp.Void](dave, fmt.Sprintf(`(() => {
			if (!window.RealWebSocket) {
				window.RealWebSocket = WebSocket;
				window.WebSocket = function (url, p) { return new RealWebSocket(window.blockSockets ? url.replace('/stream', '/blocked') : url, p); };
				Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
			}
			window.blockSockets = %v;
		})()`, on))
	}
	block(true)
	srv.Restart(t)
	var last struct {
		Messages []struct {
			Seq  int64  `json:"seq"`
			Text string `json:"text"`
		} `json:"messages"`
	}
	carol.call("GET", "/conversations/"+c.ID+"/messages?limit=1", nil, &last)
	if len(last.Messages) != 1 || last.Messages[0].Text != "history 60" {
		t.Fatalf("newest message: %+v", last.Messages)
	}
	carol.call("POST", "/conversations/"+c.ID+"/messages", map[string]any{"client_id": "m1", "text": "missed one"}, nil)
	carol.call("PATCH", fmt.Sprintf("/conversations/%s/messages/%d", c.ID, last.Messages[0].Seq), map[string]any{"text": "history 60, edited"}, nil)
	carol.call("POST", "/conversations/"+c.ID+"/messages", map[string]any{"client_id": "m2", "text": "missed two"}, nil)
	if evalAs[bool](dave, hasText(".msg .text", "missed one")) || evalAs[string](dave, `document.querySelector('.conn').dataset.state`) == "online" {
		dave.fail("the socket reconnected although blocked")
	}
	block(false)
	evalAs[chromedp.Void](dave, `document.querySelector('.conn button')?.click()`)
	dave.wait("back online", `document.querySelector('.conn[data-state=online]')`)
	dave.wait("the edit made while away", hasText(".msg .text", "history 60, edited")+` && !`+hasText(".msg .text", "history 60"))
	dave.wait("the missed messages", hasText(".msg .text", "missed one")+` && `+hasText(".msg .text", "missed two"))
	n := evalAs[int](dave, `document.querySelectorAll('.messages .msg').length`)
	if n != 62 {
		dave.fail("%d messages shown, want 62", n)
	}
	dup := evalAs[bool](dave, `(() => { const s = [...document.querySelectorAll('.messages [data-seq]')].map(e => e.dataset.seq); return new Set(s).size !== s.length; })()`)
	if dup {
		dave.fail("a message is shown twice")
	}
}

// TestBrowserGroupInfo: sign in, the tab title, notifications while hidden,
// the keyboard message menu, and group info: rename, mute, remove, add,
// leave.
func TestBrowserGroupInfo(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	aliceU, bobU, carolU := srv.NewUser(t, "Alice Chen"), srv.NewUser(t, "Bob Wang"), srv.NewUser(t, "Carol Li")
	conv, err := aliceU.CreateConversation(ctx, "group", []string{bobU.ID, carolU.ID}, "Team 团队")
	if err != nil {
		t.Fatal(err)
	}
	send := func(u *tacktest.User, text string) {
		t.Helper()
		if err := u.Do(ctx, "POST", "/api/v1/conversations/"+string(conv.ID)+"/messages", map[string]any{"client_id": fmt.Sprintf("c%d", time.Now().UnixNano()), "text": text}, nil); err != nil {
			t.Fatal(err)
		}
	}

	var alice, bob *browser
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); alice = newBrowser(t, "alice", 1200, 760, "en-US") }()
	go func() { defer wg.Done(); bob = newBrowser(t, "bob", 1200, 760, "en-GB") }()
	wg.Wait()
	if alice == nil || bob == nil {
		t.FailNow()
	}
	defer alice.check()
	defer bob.check()
	alice.signIn(srv.URL, aliceU.Login, aliceU.Password)
	// A wrong password is reported, and the form stays usable.
	bob.open(srv.URL)
	bob.typeInto("#auth-login", bobU.Login)
	bob.typeInto("#auth-password", "wrong password\n")
	bob.wait("the error", hasText("#auth-error", "Wrong login or password."))
	bob.signIn(srv.URL, bobU.Login, bobU.Password)

	// Unread count in the tab title.
	send(carolU, "hello team")
	bob.wait("unread in the title", `document.title === "(1) Tack" && `+hasText(".conv .badge [aria-hidden]", "1"))

	// A desktop notification while the tab is hidden (and none while shown).
	evalAs[chromedp.Void](alice, `(() => {
		window.notes = [];
		window.Notification = class { static permission = 'granted'; constructor(title, o) { notes.push(title + ': ' + o.body); } close() {} };
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.fakeHidden });
		Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => window.fakeHidden ? 'hidden' : 'visible' });
		window.fakeHidden = true;
		document.dispatchEvent(new Event('visibilitychange'));
	})()`)
	send(carolU, "are you there?")
	alice.wait("a notification", `notes.length === 1 && notes[0] === 'Team 团队: Carol Li: are you there?'`)
	evalAs[chromedp.Void](alice, `window.fakeHidden = false; document.dispatchEvent(new Event('visibilitychange'))`)

	// Open the group; the message menu works from the keyboard.
	evalAs[chromedp.Void](alice, `document.querySelector('.conv').click()`)
	alice.wait("the group", hasText(".chat-title", "Team 团队"))
	alice.wait("Carol's message", msgExpr("are you there?")+`?.querySelector('.msg-menu-btn')`)
	evalAs[chromedp.Void](alice, msgExpr("are you there?")+`.querySelector('.msg-menu-btn').focus()`)
	alice.do("open the menu with Enter", chromedp.KeyEvent("\r"))
	alice.wait("the menu, focused", `document.activeElement.dataset.action === 'reply'`)
	alice.do("arrow down", chromedp.KeyEvent(kb.ArrowDown))
	alice.wait("recall focused (Alice owns the group)", `document.activeElement.dataset.action === 'recall'`)
	alice.do("escape", chromedp.KeyEvent("\x1b"))
	alice.wait("menu closed, focus back", `document.querySelector('.menu').hidden && document.activeElement.classList.contains('msg-menu-btn')`)

	// Bob has the group open too.
	evalAs[chromedp.Void](bob, `document.querySelector('.conv').click()`)
	bob.wait("the group", hasText(".chat-title", "Team 团队")+` && `+hasText(".chat-sub", "3 members"))
	bob.wait("read", `!document.querySelector('.conv .badge') && document.title === 'Team 团队 · Tack'`)

	// Rename.
	alice.click("info", "#conv-info")
	alice.wait("members listed", `document.querySelectorAll('dialog[open] .members li').length === 3`)
	evalAs[chromedp.Void](alice, `document.querySelector('#rename-input').value = ''`)
	alice.typeInto("#rename-input", "Renamed 改名\n")
	bob.wait("the new title", hasText(".chat-title", "Renamed 改名")+` && `+hasText(".notice span", "Alice Chen renamed the group to “Renamed 改名”"))

	// Only admins may post: Bob's composer gives way to a notice.
	alice.click("mute all", "#muteall-check")
	bob.wait("composer hidden", `document.querySelector('tack-composer').hidden && !document.querySelector('.composer-notice').hidden`)
	alice.click("unmute all", "#muteall-check")
	bob.wait("composer back", `!document.querySelector('tack-composer').hidden`)

	// Mute notifications (kept by the server, so every device of Alice has it).
	alice.click("mute notifications", "#mute-check")
	alice.wait("muted in the list", `document.querySelector('.conv.muted')`)

	// Remove Carol, then add her back.
	alice.click("remove Carol", `dialog[open] button[aria-label="Remove Carol Li"]`)
	alice.wait("two members", `document.querySelectorAll('dialog[open] .members li').length === 2 && `+hasText("dialog[open] h3", "2 members"))
	bob.wait("removal seen", hasText(".chat-sub", "2 members")+` && `+hasText(".notice span", "Alice Chen removed Carol Li"))
	alice.click("add members", "dialog[open] .add-members summary")
	alice.typeInto("dialog[open] .add-members tack-picker input", carolU.Login+"\n")
	alice.wait("Carol in the results", hasText("dialog[open] .add-members .person span", "Carol Li"))
	evalAs[chromedp.Void](alice, `document.querySelector('dialog[open] .add-members .person input').click()`)
	alice.click("add", "#add-members-btn")
	alice.wait("three members", `document.querySelectorAll('dialog[open] .members li').length === 3 && `+hasText("dialog[open] h3", "3 members"))
	bob.wait("addition seen", hasText(".chat-sub", "3 members")+` && `+hasText(".notice span", "Alice Chen added Carol Li"))
	alice.screenshot("desktop-group-info")
	alice.do("close", chromedp.KeyEvent("\x1b"))

	// Bob leaves.
	bob.click("info", "#conv-info")
	bob.click("leave", "#leave-btn")
	bob.click("confirm", "dialog[open] [data-confirm]")
	bob.wait("the group gone", `!document.querySelector('.conv') && document.querySelector('.chat-empty') && location.pathname === '/'`)
	alice.wait("Bob left", hasText(".notice span", "Bob Wang left"))

	// Sign out.
	bob.click("sign out", "#sign-out")
	bob.wait("the sign-in form", `document.querySelector('#auth-login')`)
}

// TestBrowserOrganisation: an owner creates an organisation, a department
// and an invitation; a second user opens the /join/<code> link signed out,
// signs in and joins; the owner finds them in the directory by pinyin
// initials, opens the profile card and starts a direct chat; the import
// checks a file first and imports only a clean one.
func TestBrowserOrganisation(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	ownerU, zsU := srv.NewUser(t, "王伟"), srv.NewUser(t, "张三")

	var owner, zs *browser
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); owner = newBrowser(t, "owner", 1280, 800, "zh-CN") }()
	go func() { defer wg.Done(); zs = newBrowser(t, "zhangsan", 375, 740, "zh-CN") }()
	wg.Wait()
	if owner == nil || zs == nil {
		t.FailNow()
	}
	defer owner.check()
	defer zs.check()
	owner.signIn(srv.URL, ownerU.Login, ownerU.Password)

	// Create the organisation: it becomes the chosen one.
	owner.click("create organisation", "#org-create-first")
	owner.typeInto("#ask-input", "星辰科技\n")
	owner.wait("the directory", `location.pathname === '/contacts' && `+hasText("#org-select option", "星辰科技")+` && `+hasText(".dir-list .p-name", "王伟"))

	// A department, then an invitation into it.
	owner.click("admin", "#nav-admin")
	owner.click("departments tab", "#tab-departments")
	owner.typeInto("#dept-name", "销售部")
	owner.click("create", "#dept-create")
	owner.wait("the department", hasText(".depts-admin .grow", "销售部"))
	owner.click("invitations tab", "#tab-adm_invitations")
	owner.wait("department choice", hasText("#inv-dept option", "销售部"))
	evalAs[chromedp.Void](owner, `(() => { const s = document.querySelector('#inv-dept'); s.value = [...s.options].find(o => o.text === '销售部').value; })()`)
	owner.click("new invitation", "#admin-panel .btn.primary")
	owner.wait("the link", `document.querySelector('.inv-url')`)
	link := evalAs[string](owner, `document.querySelector('.inv-url').value`)
	if !strings.HasPrefix(link, srv.URL+"/join/") {
		t.Fatalf("invitation link %q", link)
	}

	// 张三 opens the link signed out, signs in and joins.
	zs.open(link)
	zs.typeInto("#auth-login", zsU.Login)
	zs.typeInto("#auth-password", zsU.Password)
	zs.click("submit", "#auth-submit")
	zs.wait("the join page", hasText("#join-org", "星辰科技")+` && location.pathname.startsWith('/join/')`)
	zs.click("join", "#join-btn")
	zs.wait("joined", hasText(".join [role=status]", "你已加入 星辰科技。"))

	// A chat with someone outside the organisation is marked external.
	outsider := srv.NewUser(t, "Outside Li")
	if _, err := outsider.CreateConversation(ctx, "direct", []string{zsU.ID}, ""); err != nil {
		t.Fatal(err)
	}
	zs.wait("the external badge", hasText(".conv .ext", "外部"))

	// More colleagues (over the API) for a fuller directory.
	var inv struct{ Code string }
	var depts struct{ Departments []struct{ ID string } }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var org struct{ Orgs []struct{ ID string } }
	must(ownerU.Do(ctx, "GET", "/api/v1/orgs", nil, &org))
	base := "/api/v1/orgs/" + org.Orgs[0].ID
	var rd struct{ ID string }
	must(ownerU.Do(ctx, "POST", base+"/departments", map[string]any{"name": "研发部"}, &rd))
	must(ownerU.Do(ctx, "GET", base+"/departments", nil, &depts))
	must(ownerU.Do(ctx, "POST", base+"/invitations", map[string]any{"department_ids": []string{rd.ID}}, &inv))
	for i, n := range []string{"李娜", "张思远", "陈静"} {
		u := srv.NewUser(t, n)
		var j struct{ Member struct{ ID string } }
		must(u.Do(ctx, "POST", "/api/v1/invitations/"+inv.Code+"/accept", nil, &j))
		must(ownerU.Do(ctx, "PATCH", base+"/members/"+j.Member.ID, map[string]any{"title": []string{"前端工程师", "产品经理", "测试工程师"}[i]}, nil))
	}

	// The owner searches by pinyin initials, opens the card, starts a chat.
	owner.click("contacts", "#nav-contacts")
	owner.wait("the tree", hasText(".tree-item", "销售部")+` && `+hasText(".tree-item", "研发部"))
	evalAs[chromedp.Void](owner, `[...document.querySelectorAll('.tree-item')].find(b => b.textContent === '研发部').click()`)
	owner.wait("研发部 members", `document.querySelectorAll('.dir-list li').length === 3`)
	owner.typeInto("#dir-search", "zs")
	owner.wait("张三 found", hasText(".dir-list .p-name", "张三")+` && `+hasText(".dir-list .p-name", "张思远")+` && !`+hasText(".dir-list .p-name", "李娜"))
	owner.screenshot("directory-desktop")
	evalAs[chromedp.Void](owner, `[...document.querySelectorAll('.dir-list .person')].find(b => b.querySelector('.p-name').textContent === '张三').click()`)
	owner.wait("the card", `document.querySelector('dialog[open] #profile-message') && `+hasText("dialog[open] dd", "销售部"))
	owner.click("message", "#profile-message")
	owner.wait("the chat", `location.pathname.startsWith('/c/') && `+hasText(".chat-title", "张三"))

	// 张三's directory on a phone: a screen of its own with a back button.
	zs.click("contacts", ".join a")
	zs.wait("the directory", hasText(".dir-list .p-name", "王伟")+` && `+hasText(".dir-list .p-name", "陈静"))
	zs.screenshot("directory-mobile")
	zs.click("the chats tab", "#tab-chat")
	zs.wait("the list", `location.pathname === '/' && `+hasText(".conv-title", "王伟"))
	zs.click("the workbench tab", "#tab-grid")
	zs.wait("the workbench without admin", `document.querySelector('#app-people') && !document.querySelector('#app-gear')`)

	// Import: a file with a bad row is checked and refused; a clean one imports.
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "bad.csv"), filepath.Join(dir, "good.csv")
	os.WriteFile(bad, []byte("姓名,工号,部门\n赵六,E1,销售部/华东\n,E2,销售部\n"), 0o644)
	os.WriteFile(good, []byte("姓名,工号,邮箱,部门\n赵六,E1,zhaoliu@example.com,销售部/华东\n"), 0o644)
	owner.click("admin", "#nav-admin")
	owner.click("import tab", "#tab-adm_import")
	owner.do("choose the bad file", chromedp.SetUploadFiles(chromedp.CSS("#imp-file"), []string{bad}))
	owner.wait("the bad row", `document.querySelector('#imp-summary') && `+hasText("#admin-panel td", "3")+` && document.querySelector('#imp-go').disabled`)
	owner.do("choose the good file", chromedp.SetUploadFiles(chromedp.CSS("#imp-file"), []string{good}))
	owner.wait("checked", `document.querySelector('#imp-summary') && !document.querySelector('#imp-go').disabled`)
	owner.click("import", "#imp-go")
	owner.wait("imported", `document.querySelector('#imp-summary')?.textContent.startsWith('导入完成。')`)
	owner.click("members tab", "#tab-adm_members")
	owner.wait("the members table", hasText("#admin-panel td button", "赵六")+` && `+hasText("#admin-panel td", "已邀请"))
	owner.screenshot("admin-desktop")
}

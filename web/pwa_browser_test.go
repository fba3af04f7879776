package web_test

// Browser tests of the phone app: installing (the manifest, the service
// worker), starting offline, the outbox, a new release taking over, and
// Web Push from the page and in the service worker.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/pushtest"
	"github.com/tackhq/tack/tacktest"
	"github.com/tackhq/tack/web"
)

// offline switches the browser's network off or on, for the page and for
// its service worker (DevTools network emulation): requests fail as with
// no network at all, and navigator.onLine follows.
func (b *browser) offline(off bool) {
	b.t.Helper()
	var conds []*network.Conditions
	if off {
		conds = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
	}
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{EmulateOfflineServiceWorker: &off, MatchedNetworkConditions: conds}); err != nil {
		b.fail("network emulation: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		b.fail("network state: %v", err)
	}
}

// controlled waits until the service worker is active and controls the
// page.
func (b *browser) controlled() {
	b.t.Helper()
	b.wait("the service worker controls the page", `navigator.serviceWorker.controller && navigator.serviceWorker.controller.state === 'activated'`)
}

func (b *browser) reload() {
	b.t.Helper()
	b.do("reload", chromedp.Reload())
}

// requestsSince returns the URLs requested after the first n.
func (b *browser) requestsSince(n int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests[n:]...)
}

func (b *browser) requestCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.requests)
}

// savedMessages is how many messages this device saved of a conversation
// in IndexedDB (offline.js).
func savedMessages(uid, conv string) string {
	return fmt.Sprintf(`new Promise((ok) => { const r = indexedDB.open('tack-' + %s); r.onsuccess = () => { const d = r.result;
		if (!d.objectStoreNames.contains('msgs')) return ok(0);
		const q = d.transaction('msgs').objectStore('msgs').count(IDBKeyRange.bound([%s, -Infinity], [%s, Infinity])); q.onsuccess = () => { ok(q.result); d.close(); }; }; r.onerror = () => ok(-1); })`, js(uid), js(conv), js(conv))
}

// outboxCount is a promise of how many messages wait in the device's saved
// outbox (offline.js).
func outboxCount(uid string) string {
	return `new Promise((ok) => { const r = indexedDB.open('tack-' + ` + js(uid) + `); r.onsuccess = () => { const q = r.result.transaction('outbox').objectStore('outbox').count(); q.onsuccess = () => { ok(q.result); r.result.close(); }; }; })`
}

// waitAsync polls an expression that yields a promise until it resolves
// to true.
func (b *browser) waitAsync(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !evalAwait[bool](b, expr) {
		if time.Now().After(deadline) {
			b.fail("waiting for %s\n  expression: %s", what, expr)
		}
		time.Sleep(100 * time.Millisecond) // polling a page's state, not synchronising
	}
}

// containsText: some element matching sel has text in its text.
func containsText(sel, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.textContent.includes(%s))`, js(sel), js(text))
}

func evalAwait[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// TestBrowserInstallAndOffline: the app installs (the manifest parses
// without errors, the service worker controls the page); with the network
// off it starts again from the cache, shows the saved conversations and
// messages marked as saved, and keeps two messages in the outbox through
// a reload; when the network returns both reach the other person's live
// browser once each, in order.
func TestBrowserInstallAndOffline(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	ctx := context.Background()
	wang := srv.NewUser(t, "王小明")
	alice := srv.NewUser(t, "Alice Chen")
	lina := srv.NewUser(t, "李娜")
	conv := must(alice.CreateConversation(ctx, "direct", []string{wang.ID}, ""))
	for i := 1; i <= 60; i++ {
		from := alice
		if i%3 == 0 {
			from = wang
		}
		must(from.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprintf("m%d", i), Text: fmt.Sprintf("第 %d 条消息", i)}))
	}
	group := must(lina.CreateConversation(ctx, "group", []string{wang.ID, alice.ID}, "周五午餐"))
	must(lina.Send(ctx, string(group.ID), client.Draft{ClientID: "g1", Text: "去吃火锅吧"}))

	var phone, desk *browser
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); phone = newBrowser(t, "wang", 375, 812, "zh-CN") }()
	go func() { defer wg.Done(); desk = newBrowser(t, "alice", 1280, 800, "en-US") }()
	wg.Wait()
	if phone == nil || desk == nil {
		t.FailNow()
	}
	defer phone.check()
	defer desk.check()

	phone.signIn(srv.URL, wang.Login, wang.Password)
	phone.controlled()

	// Installable: Chromium parses the manifest without errors.
	mf, err := chromedp.Call(phone.ctx, page.GetAppManifest, page.GetAppManifestParams{})
	if err != nil {
		t.Fatalf("Page.getAppManifest: %v", err)
	}
	if len(mf.Errors) > 0 || !strings.HasSuffix(mf.URL, "/manifest.webmanifest") {
		for _, e := range mf.Errors {
			t.Errorf("manifest error: %s", e.Message)
		}
		t.Fatalf("manifest at %q", mf.URL)
	}
	var m struct {
		Name, ShortName, StartURL, Display, Lang string
		Icons                                    []struct{ Sizes, Purpose string }
	}
	json.Unmarshal([]byte(strings.NewReplacer(`"short_name"`, `"ShortName"`, `"start_url"`, `"StartURL"`).Replace(mf.Data)), &m)
	if m.Name != "Tack 团队聊天与办公" || m.ShortName != "Tack" || m.StartURL != "/" || m.Display != "standalone" || m.Lang != "zh-CN" || len(m.Icons) != 3 {
		t.Errorf("manifest as Chromium read it: %+v", m)
	}
	// And finds nothing that stops installing it (a page without the
	// manifest gets "no-manifest" here).
	errs, err := chromedp.Call(phone.ctx, page.GetInstallabilityErrors, struct{}{})
	if err != nil {
		t.Fatalf("Page.getInstallabilityErrors: %v", err)
	}
	for _, e := range errs.InstallabilityErrors {
		t.Errorf("not installable: %s", e.ErrorID)
	}

	// Online, the device saves the list and the latest messages of recent
	// conversations without their being opened.
	phone.wait("the list", hasText(".conv .conv-title", "Alice Chen")+` && `+hasText(".conv .conv-title", "周五午餐"))
	phone.waitAsync("the last 50 messages saved", savedMessages(wang.ID, string(conv.ID))+`.then(n => n === 50)`)

	// Alice's live browser, in the chat.
	desk.signIn(srv.URL, alice.Login, alice.Password)
	desk.openConv("the chat", conv.ID)
	desk.wait("the history", msgExpr("第 60 条消息"))

	// Network off: the app starts from the cache and says what it shows.
	phone.offline(true)
	phone.reload()
	phone.wait("the saved list", `document.querySelector('.conn[data-state=saved]')`+` && `+hasText(".conv .conv-title", "Alice Chen")+` && `+containsText(".conv .preview", "第 60 条消息"))
	if got := evalAs[string](phone, `document.querySelector('.conn').textContent`); !strings.Contains(got, "离线 — 显示已保存的消息") {
		phone.fail("the offline list says %q", got)
	}
	phone.screenshot("pwa-offline-zh-1-list")
	phone.openConv("the chat", conv.ID)
	phone.wait("the saved messages", msgExpr("第 60 条消息")+` && `+msgExpr("第 11 条消息")+` && !(`+msgExpr("第 10 条消息")+`) && document.querySelector('.saved-note:not([hidden])')`)

	// Two messages into the outbox, shown as waiting for the network.
	phone.typeInto("#composer-text", "离线写的第一条\n")
	phone.typeInto("#composer-text", "离线写的第二条\n")
	phone.wait("two pending messages", `document.querySelectorAll('.msg.pending').length === 2 && [...document.querySelectorAll('.msg.pending .sending')].every(e => e.textContent === '联网后自动发送')`)
	phone.screenshot("pwa-offline-zh-2-outbox")
	// The page shows a pending message at once and writes it to the
	// device's outbox a moment later: wait for both writes before the
	// reload (a loaded CI machine once reloaded between the two).
	phone.waitAsync("both messages in the saved outbox", outboxCount(wang.ID)+`.then(n => n === 2)`)

	// A reload while still offline keeps them.
	phone.reload()
	phone.wait("the chat again", `document.querySelector('.saved-note:not([hidden])')`)
	phone.wait("the outbox after a reload", `[...document.querySelectorAll('.msg.pending .text')].map(e => e.textContent).join('|') === '离线写的第一条|离线写的第二条'`)

	// Network back: both arrive at Alice's, once each, in order.
	phone.offline(false)
	desk.wait("both messages", msgExpr("离线写的第一条")+` && `+msgExpr("离线写的第二条"))
	phone.wait("the outbox empty", `!document.querySelector('.msg.pending') && document.querySelector('.conn[data-state=online]')`)
	order := `[...document.querySelectorAll('.messages .msg .text')].map(e => e.textContent).filter(s => s.startsWith('离线写的'))`
	if got := evalAs[[]string](desk, order); strings.Join(got, "|") != "离线写的第一条|离线写的第二条" {
		desk.fail("Alice's browser shows %q", got)
	}
	if got := evalAs[[]string](phone, order); strings.Join(got, "|") != "离线写的第一条|离线写的第二条" {
		phone.fail("王小明's browser shows %q", got)
	}
	// The server has each once, in order, after the 60 before.
	hist := must(alice.History(ctx, string(conv.ID), 0, 0, 10))
	var texts []string
	for _, m := range hist {
		texts = append(texts, m.Text)
	}
	if n := len(texts); n < 3 || strings.Join(texts[n-3:], "|") != "第 60 条消息|离线写的第一条|离线写的第二条" {
		t.Errorf("history ends %q", texts)
	}
	// The outbox in the database is empty again.
	outboxEmpty := outboxCount(wang.ID) + `.then(n => n === 0)`
	phone.waitAsync("the saved outbox empty", outboxEmpty)

	// Never doubled: a message the server already has but that is still in
	// the saved outbox (the tab closed before the answer came) is sent
	// again on the next start with its client id, and stays one message.
	last := hist[len(hist)-1]
	if last.Text != "离线写的第二条" || last.ClientID == "" {
		t.Fatalf("last message %+v", last)
	}
	entry, _ := json.Marshal(map[string]any{
		"msg":  map[string]any{"conversation_id": conv.ID, "client_id": last.ClientID, "sender_id": wang.ID, "kind": "text", "text": last.Text, "created_at": last.CreatedAt},
		"body": map[string]any{"client_id": last.ClientID, "text": last.Text},
		"at":   time.Now().UnixMilli(),
	})
	phone.waitAsync("an answered message back in the outbox", `new Promise((ok) => { const r = indexedDB.open('tack-' + `+js(wang.ID)+`); r.onsuccess = () => { const t = r.result.transaction('outbox', 'readwrite'); t.objectStore('outbox').put(`+string(entry)+`); t.oncomplete = () => { ok(true); r.result.close(); }; }; })`)
	phone.reload()
	phone.wait("online", `document.querySelector('.conn[data-state=online]')`)
	phone.waitAsync("the outbox sent again and empty", outboxEmpty)
	phone.wait("no pending message", `!document.querySelector('.msg.pending')`)
	// After the reload the chat's history renders after the stream is
	// online: wait until it shows the message before counting.
	phone.wait("the chat with the message", msgExpr("离线写的第二条")+` && `+msgExpr("第 60 条消息"))
	if n := evalAs[int](desk, countText(".messages .msg .text", "离线写的第二条")); n != 1 {
		desk.fail("Alice sees the message %d times", n)
	}
	if n := evalAs[int](phone, countText(".messages .msg .text", "离线写的第二条")); n != 1 {
		phone.fail("王小明 sees the message %d times", n)
	}
	if hist := must(alice.History(ctx, string(conv.ID), 0, 0, 10)); hist[len(hist)-1].Seq != last.Seq {
		t.Errorf("the server has a message after %d: %q", last.Seq, hist[len(hist)-1].Text)
	}
}

// TestBrowserNewRelease: a new build of the server replaces the cached
// shell. The phone loads release 1 (its service worker caches it), the
// server stops, a server whose embedded files differ starts on the same
// address; after two reloads release 2 runs, none of release 1's changed
// files was fetched, release 2's cache serves an offline start, and the
// cache of release 1 is kept only as the one before.
func TestBrowserNewRelease(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t)
	u := srv.NewUser(t, "王小明")
	b := newBrowser(t, "phone", 375, 812, "zh-CN")
	defer b.check()
	b.signIn(srv.URL, u.Login, u.Password)
	b.controlled()
	v1, names1 := web.ServiceWorkerVersion(), web.AssetNames()
	b.waitAsync("release 1 cached", `caches.keys().then(k => k.includes('tack-`+v1+`'))`)
	if evalAs[bool](b, `'tackBuild' in window`) {
		b.fail("release 1 already has the marker")
	}

	// Release 2: app.js and a feature module differ.
	srv.Close()
	restore, err := web.Rebuild(func(p string, body []byte) []byte {
		switch p {
		case "static/assets/app.js":
			return append(body, "\nwindow.tackBuild = 'release 2';\n"...)
		case "static/assets/settings.js":
			return append(body, "\nexport const release = 2;\n"...)
		}
		return body
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(restore)
	srv.Restart(t)
	v2, names2 := web.ServiceWorkerVersion(), web.AssetNames()
	if v2 == v1 || names2["app.js"] == names1["app.js"] || names2["settings.js"] == names1["settings.js"] || names2["store.js"] != names1["store.js"] {
		t.Fatalf("release 2 is not what the test meant: %s %s", v1, v2)
	}
	from := b.requestCount()
	for i := 0; i < 2; i++ {
		b.reload()
		b.wait("the list", `document.querySelector('.shell') && document.querySelector('.conn[data-state=online]')`)
	}
	b.wait("release 2 runs", `window.tackBuild === 'release 2'`)
	// The cache appears when the install starts; release 2 serves an
	// offline start only once its worker has finished installing and is
	// the active one (its activation records it as the release).
	b.waitAsync("release 2 installed and active", `navigator.serviceWorker.getRegistration().then(async (r) => {
		if (!r || !r.active || r.active.state !== 'activated' || r.installing || r.waiting) return false;
		const m = await (await caches.open('tack-prefs')).match('/release');
		return !!m && (await m.text()) === 'tack-`+v2+`';
	})`)
	b.click("我", "#tab-user")
	b.wait("the settings page", `document.querySelector('#me-sign-out')`)
	for _, u := range b.requestsSince(from) {
		for _, n := range []string{"app.js", "settings.js"} {
			if strings.Contains(u, names1[n]) {
				t.Errorf("release 1's %s was fetched after release 2 started: %s", n, u)
			}
		}
	}
	// The shell in the cache is release 2's: an offline start runs it.
	b.offline(true)
	b.reload()
	b.wait("an offline start", `document.querySelector('.shell')`)
	if !evalAs[bool](b, `window.tackBuild === 'release 2'`) {
		b.fail("the offline start ran release 1")
	}
	keys := evalAwait[[]string](b, `caches.keys()`)
	if !containsAll(keys, "tack-"+v1, "tack-"+v2, "tack-prefs") || len(keys) != 3 {
		t.Errorf("caches %v", keys)
	}
	b.offline(false)
}

func containsAll(list []string, want ...string) bool {
	have := map[string]bool{}
	for _, s := range list {
		have[s] = true
	}
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

// pushStub replaces the browser's push service, which headless Chromium
// cannot reach: PushManager.subscribe resolves to the subscription of a
// pushtest browser (its endpoint and keys), and records what the page
// asked for. Everything else is real: the permission request, the service
// worker, the page's code, the server's subscription and push.
const pushStub = `(() => {
  const sub = %s;
  let current = null;
  window.__subscribes = [];
  PushManager.prototype.subscribe = async function (opts) {
    const k = new Uint8Array(opts.applicationServerKey);
    window.__subscribes.push({ userVisibleOnly: opts.userVisibleOnly, key: btoa(String.fromCharCode(...k)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') });
    current = { endpoint: sub.endpoint, options: { applicationServerKey: null }, toJSON: () => sub, unsubscribe: async () => { current = null; return true; } };
    return current;
  };
  PushManager.prototype.getSubscription = async function () { return current; };
})();`

// TestBrowserPush: Web Push from the page to the notification. The 我
// page's switch asks for permission, subscribes with the server's key and
// posts the subscription (push service stubbed, see pushStub); the server
// then pushes to the pushtest endpoint, which decrypts and checks what it
// gets (no text until the previews switch is on); every signed-in start
// posts the subscription again; and the service worker, given the
// decrypted payload as a push (DevTools delivers it), shows a notification
// in the person's language, and a tap on it opens the conversation.
func TestBrowserPush(t *testing.T) {
	chromium(t)
	srv := tacktest.NewServer(t, tacktest.WithConfig(func(c *node.Config) {
		c.PushAllowLoopback = true
		c.PushWorkers = 1
	}))
	ctx := context.Background()
	wang := srv.NewUser(t, "王小明")
	alice := srv.NewUser(t, "Alice Chen")
	conv := must(alice.CreateConversation(ctx, "direct", []string{wang.ID}, ""))
	// Friends, so that Alice may see 王小明's presence (away waits on it).
	if _, err := alice.RequestFriend(ctx, wang.ID); err != nil {
		t.Fatal(err)
	}
	if err := wang.AcceptFriend(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	pb := pushtest.NewBrowser(t)
	var keyOut struct{ Key string }
	if err := alice.Do(ctx, "GET", "/api/v1/push/key", nil, &keyOut); err != nil || keyOut.Key == "" {
		t.Fatalf("push key: %v", err)
	}
	sub, _ := json.Marshal(pb.Subscription())

	// Leaving the page must close its stream (no back/forward cache).
	b := newBrowser(t, "wang", 375, 812, "zh-CN", chromedp.Flag("disable-features", "BackForwardCache"))
	defer b.check()
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(pushStub, sub)}); err != nil {
		t.Fatal(err)
	}
	b.signIn(srv.URL, wang.Login, wang.Password)
	b.controlled()
	// The person allows notifications when the browser asks.
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{Permission: &cdpbrowser.PermissionDescriptor{Name: "notifications"}, Setting: cdpbrowser.PermissionSettingGranted, Origin: srv.URL}); err != nil {
		t.Fatalf("grant notifications: %v", err)
	}

	subscriptions := func() (n int) {
		for _, u := range b.requestsSince(0) {
			if strings.HasSuffix(u, "/api/v1/push/subscriptions") {
				n++
			}
		}
		return n
	}
	b.click("我", "#tab-user")
	b.wait("the switches", `document.querySelector('#me-push:not(:checked)') && document.querySelector('#me-previews:not(:checked):not(:disabled)')`)
	b.screenshot("pwa-push-zh-1-off")
	b.click("notifications", "#me-push")
	b.wait("subscribed", `document.querySelector('#me-push:checked:not(:disabled)') && window.__subscribes.length === 1`)
	var asked []struct {
		UserVisibleOnly bool
		Key             string
	}
	asked = evalAs[[]struct {
		UserVisibleOnly bool
		Key             string
	}](b, `window.__subscribes`)
	if !asked[0].UserVisibleOnly || asked[0].Key != keyOut.Key {
		t.Errorf("subscribed with %+v, want userVisibleOnly and the server's key %s", asked[0], keyOut.Key)
	}
	if n := subscriptions(); n != 1 {
		t.Errorf("%d posts of the subscription, want 1", n)
	}

	// away waits until 王小明 has no live stream (so the server pushes
	// instead of streaming).
	away := func() {
		t.Helper()
		b.open("about:blank")
		deadline := time.Now().Add(15 * time.Second)
		for {
			var p struct{ Online []string }
			if err := alice.Do(ctx, "GET", "/api/v1/presence?ids="+wang.ID, nil, &p); err != nil {
				t.Fatal(err)
			}
			if len(p.Online) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("王小明 still online after leaving the page")
			}
			time.Sleep(50 * time.Millisecond) // polling the server's state
		}
	}
	next := func(text string) (push.Payload, []byte) {
		t.Helper()
		must(alice.Send(ctx, string(conv.ID), client.Draft{ClientID: fmt.Sprintf("p-%d", time.Now().UnixNano()), Text: text}))
		p := pb.Next(t, 15*time.Second)
		var pl push.Payload
		if err := pb.Open(p, keyOut.Key, &pl); err != nil {
			t.Fatalf("the push does not open: %v", err)
		}
		plain, _ := json.Marshal(pl)
		return pl, plain
	}
	away()
	pl, _ := next("机密：下周裁员名单")
	if pl.Type != "message" || pl.SenderName != "Alice Chen" || string(pl.ConversationID) != string(conv.ID) || pl.URL != "/c/"+string(conv.ID) || pl.Body != "" {
		t.Errorf("push without previews: %+v", pl)
	}

	// Previews on; the next start posts the subscription again.
	b.open(srv.URL + "/me")
	b.wait("the switches", `document.querySelector('#me-push:checked') && document.querySelector('#me-previews:not(:checked):not(:disabled)')`)
	b.wait("the subscription posted again on start", fmt.Sprintf(`performance.getEntriesByType('resource').some(e => e.name.endsWith('/api/v1/push/subscriptions'))`))
	if n := subscriptions(); n != 2 {
		t.Errorf("%d posts of the subscription after a second start, want 2", n)
	}
	b.click("previews", "#me-previews")
	b.wait("previews on", `document.querySelector('#me-previews:checked:not(:disabled)')`)
	b.screenshot("pwa-push-zh-2-on")
	var prefs struct{ Previews bool }
	if err := wang.Do(ctx, "GET", "/api/v1/me/push", nil, &prefs); err != nil || !prefs.Previews {
		t.Fatalf("previews after the switch: %v %+v", err, prefs)
	}
	away()
	pl, plain := next("明天上午十点开会")
	if pl.Body != "明天上午十点开会" || pl.SenderName != "Alice Chen" {
		t.Errorf("push with previews: %+v", pl)
	}

	// The service worker shows it: DevTools delivers the decrypted payload.
	b.open(srv.URL + "/")
	b.wait("the list", `document.querySelector('.conn[data-state=online]')`)
	regs := make(chan serviceworker.RegistrationID, 8)
	lctx, stop := context.WithCancel(b.ctx)
	defer stop()
	go func() {
		for ev, err := range chromedp.Events(lctx, serviceworker.WorkerRegistrationUpdated) {
			if err != nil {
				return
			}
			for _, r := range ev.Registrations {
				if !r.IsDeleted && strings.HasPrefix(r.ScopeURL, srv.URL) {
					regs <- r.RegistrationID
				}
			}
		}
	}()
	if _, err := chromedp.Call(b.ctx, serviceworker.Enable, struct{}{}); err != nil {
		t.Fatal(err)
	}
	var reg serviceworker.RegistrationID
	select {
	case reg = <-regs:
	case <-time.After(10 * time.Second):
		t.Fatal("no service worker registration reported")
	}
	notifications := `navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => ({ title: n.title, body: n.body, tag: n.tag, lang: n.lang, url: n.data && n.data.url })))`
	type shown struct{ Title, Body, Tag, Lang, URL string }
	deliver := func(payload []byte) {
		t.Helper()
		if _, err := chromedp.Call(b.ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{Origin: srv.URL, RegistrationID: reg, Data: string(payload)}); err != nil {
			t.Fatalf("deliver push: %v", err)
		}
	}
	b.waitAsync("the language reached the worker", `caches.open('tack-prefs').then(c => c.match('/lang')).then(r => r && r.text()).then(l => l === 'zh')`)
	deliver(plain)
	b.waitAsync("the notification", notifications+`.then(ns => ns.length === 1)`)
	got := evalAwait[[]shown](b, notifications)
	want := shown{Title: "Alice Chen 发来一条新消息", Body: "明天上午十点开会", Tag: pl.Tag, Lang: "zh-CN", URL: "/c/" + string(conv.ID)}
	if got[0] != want {
		t.Errorf("notification %+v\nwant %+v", got[0], want)
	}

	// In English once the person chose English; a mention without previews.
	b.click("我", "#tab-user")
	b.do("choose English", chromedp.SetValue(chromedp.CSS("#me-lang"), "en"))
	evalAs[chromedp.Void](b, `document.querySelector('#me-lang').dispatchEvent(new Event('change'))`)
	b.wait("English", hasText(".tab span", "Me"))
	mention, _ := json.Marshal(map[string]any{"v": 1, "type": "mention", "title": "Alice Chen mentioned you", "sender_id": alice.ID, "sender_name": "Alice Chen",
		"conversation_id": conv.ID, "conversation_title": "Launch", "seq": 9, "url": "/c/" + string(conv.ID), "tag": "c:mention"})
	b.waitAsync("the language reached the worker", `caches.open('tack-prefs').then(c => c.match('/lang')).then(r => r && r.text()).then(l => l === 'en')`)
	deliver(mention)
	b.waitAsync("the second notification", notifications+`.then(ns => ns.length === 2)`)
	got = evalAwait[[]shown](b, notifications)
	if got[1].Title != "Alice Chen mentioned you in Launch" || got[1].Body != "Open Tack to read it." || got[1].Lang != "en" {
		t.Errorf("English mention: %+v", got[1])
	}

	// A tap on the notification opens the conversation in this window.
	tapNotification(t, b, srv.URL)
	b.wait("the conversation", fmt.Sprintf(`location.pathname === %s && document.querySelector('.chat-title')`, js("/c/"+string(conv.ID))))
}

// tapNotification stands in for the person tapping the newest
// notification: DevTools has no way to click one, so it dispatches in the
// service worker a notificationclick event for it, which runs sw.js's own
// handler (the event is made by script, so its waitUntil is replaced to
// wait for the handler's work).
func tapNotification(t *testing.T, b *browser, origin string) {
	t.Helper()
	got := inWorker(t, b, origin, `self.registration.getNotifications().then((ns) => {
		const ev = new NotificationEvent('notificationclick', { notification: ns[ns.length - 1] });
		let work = Promise.resolve();
		ev.waitUntil = (p) => { work = p; };
		self.dispatchEvent(ev);
		return work.then(() => 'handled');
	})`)
	if got != `"handled"` {
		t.Fatalf("notificationclick: %s", got)
	}
}

// inWorker evaluates expr in the page's service worker and returns the
// result as JSON. The worker's DevTools session lasts until the test ends
// (closing it would stop the worker).
func inWorker(t *testing.T, b *browser, origin, expr string) string {
	t.Helper()
	targets, err := chromedp.Targets(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var id target.ID
	for _, tg := range targets {
		if tg.Type == "service_worker" && tg.URL == origin+"/sw.js" {
			id = tg.TargetID
		}
	}
	if id == "" {
		t.Fatal("no service worker target")
	}
	wctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	t.Cleanup(cancel)
	ctx, done := context.WithTimeout(wctx, 10*time.Second)
	defer done()
	res, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{AwaitPromise: ptrTo(true), ReturnByValue: ptrTo(true), Expression: expr})
	if err != nil {
		t.Fatalf("evaluate in the service worker: %v", err)
	}
	if res.ExceptionDetails != nil {
		t.Fatalf("in the service worker: %s", res.ExceptionDetails.Text)
	}
	return string(res.Result.Value)
}

func ptrTo[T any](v T) *T { return &v }

package web_test

// The browser test harness: real Chromium driven with chromedp against a
// real server. Browser tests skip when no Chromium is installed (apt-get install chromium
// fonts-wqy-microhei). A failing step saves a screenshot and logs its path.
// Set TACK_SCREENSHOTS=1 to refresh web/screenshots/*.png from a run.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

func chromium(t *testing.T) string {
	if p := os.Getenv("TACK_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("no Chromium found: apt-get install -y chromium fonts-wqy-microhei (or set TACK_CHROMIUM)")
	return ""
}

type browser struct {
	t      *testing.T
	name   string
	ctx    context.Context
	origin string // set by the first navigation to a test server

	mu       sync.Mutex
	problems []string
	console  []string
	requests []string
}

func newBrowser(t *testing.T, name string, width, height int64, lang string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("lang", lang),
		chromedp.Env("LANGUAGE=" + lang),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(width), int(height)),
	}
	opts = append(opts, extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, name: name, ctx: ctx}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: start chromium: %v", name, err)
	}
	vp := []chromedp.EmulateViewportOption{}
	if width < 500 {
		vp = append(vp, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height, vp...)); err != nil {
		t.Fatalf("%s: viewport: %v", name, err)
	}
	// The browser's language, as navigator.languages and Intl see it.
	ua, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err == nil {
		_, err = chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: lang})
	}
	if err == nil {
		_, err = chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{Locale: strings.ReplaceAll(lang, "-", "_")})
	}
	if err != nil {
		t.Fatalf("%s: language: %v", name, err)
	}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, fmt.Sprintf("%s: %s", m.Type, m.Text))
			if m.IsException() {
				b.problems = append(b.problems, "exception: "+m.Text)
			}
			// The client reports a missing translation or an untranslated
			// code as "i18n: ..." (see i18n.js).
			if strings.Contains(m.Text, "i18n:") {
				b.problems = append(b.problems, "untranslated: "+m.Text)
			}
			if strings.Contains(m.Text, "Content Security Policy") {
				b.problems = append(b.problems, "CSP violation: "+m.Text)
			}
			b.mu.Unlock()
		}
	}()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("%s: network: %v", name, err)
	}
	go func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.requests = append(b.requests, ev.Request.URL)
			b.mu.Unlock()
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.problems = append(b.problems, fmt.Sprintf("a %s dialog opened: %q", ev.Type, ev.Message))
			b.mu.Unlock()
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return b
}

// fail saves a screenshot of the page and ends the test.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	dir := os.Getenv("TACK_SCREENSHOT_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(b.t.Name() + "-" + b.name)
	file := filepath.Join(dir, "tack-fail-"+name+".png")
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		if os.WriteFile(file, png, 0o644) == nil {
			msg += "\n  screenshot: " + file
		}
	}
	// The console first and the reason last: CI shows the end of a long
	// failure, and the reason is what it must not cut.
	b.mu.Lock()
	if n := len(b.console); n > 0 {
		b.t.Logf("%s: the console's last lines:\n    %s", b.name, strings.Join(b.console[max(0, n-15):], "\n    "))
	}
	b.mu.Unlock()
	b.t.Fatalf("%s: %s", b.name, msg)
}

func (b *browser) open(url string) {
	b.t.Helper()
	if b.origin == "" {
		b.origin = strings.TrimRight(url, "/")
		if i := strings.Index(b.origin[len("http://"):], "/"); i >= 0 {
			b.origin = b.origin[:len("http://")+i]
		}
	}
	b.do("open "+url, chromedp.Navigate(url))
}

func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// wait polls a JavaScript expression until it is truthy.
// A poll that meets a page whose document was just replaced (a navigation
// committing, a reload) fails with the old document's context gone; it polls
// the new one.
func (b *browser) wait(what, expr string) {
	b.t.Helper()
	// Generous: a passing wait returns as soon as it can, and CI machines
	// are sometimes loaded far beyond their cores.
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithDeadline(b.ctx, deadline)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(time.Until(deadline)-time.Second)))
		cancel()
		if err != nil && strings.Contains(err.Error(), "Cannot find context with specified id") && time.Until(deadline) > 2*time.Second {
			continue
		}
		if err != nil {
			b.fail("waiting for %s: %v\n  expression: %s", what, err, expr)
		}
		return
	}
}

func evalAs[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// click waits for sel to be visible and clicks it. A live redraw can
// replace the node between finding it and clicking it ("Could not find node
// with given id"); the click then finds the new node, up to three times.
func (b *browser) click(what, sel string) {
	b.t.Helper()
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
		err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return
		}
		if try < 2 && staleNode(err) {
			continue
		}
		b.fail("click %s: %v", what, err)
	}
}

// staleNode reports whether err is Chromium's answer for a node that left
// the document after it was found.
func staleNode(err error) bool {
	s := err.Error()
	return strings.Contains(s, "Could not find node with given id") || strings.Contains(s, "Node is detached") || strings.Contains(s, "No node with given id")
}

// openNewGroup opens the new-chat dialog on its group tab, tapping again if
// a tap was lost (the dialog's module loading, or a live redraw, on a loaded
// machine), up to three times; a dialog left open by a lost tap is closed
// first.
func (b *browser) openNewGroup() {
	b.t.Helper()
	poll := func(expr string) error {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		defer cancel()
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(8*time.Second)))
		return err
	}
	for try := 0; ; try++ {
		evalAs[chromedp.Void](b, `document.querySelectorAll('dialog[open]').forEach((d) => d.close())`)
		b.click("new chat", "#new-chat")
		err := poll(`!!document.querySelector('dialog[open] #tab-group')`)
		if err == nil {
			b.click("group tab", "dialog[open] #tab-group")
			err = poll(`(() => { const e = document.querySelector('dialog[open] #group-title'); return !!e && e.offsetParent !== null })()`)
		}
		if err == nil {
			return
		}
		if try == 2 {
			b.fail("the new group dialog did not open after three taps (%v)", err)
		}
	}
}

// openConv taps a conversation in the list until its chat is the page: a
// tap that lands while the list is being redrawn (a live update moving the
// rows) hits the row that was there, or nothing, so it is tried again, up to
// three times.
func (b *browser) openConv(what string, id any) {
	b.t.Helper()
	sel := fmt.Sprintf(`.conv[data-id=%q]`, fmt.Sprint(id))
	path := fmt.Sprintf(`location.pathname === %q`, "/c/"+fmt.Sprint(id))
	for try := 0; ; try++ {
		b.click(what, sel)
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](path, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(8*time.Second)))
		cancel()
		if err == nil {
			return
		}
		if try == 2 {
			b.fail("opening %s: the chat did not open after three taps (%v)", what, err)
		}
	}
}

func (b *browser) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (b *browser) check() {
	b.t.Helper()
	b.mu.Lock()
	p := append([]string(nil), b.problems...)
	if b.origin != "" && len(b.requests) == 0 {
		p = append(p, "no requests were recorded (the origin check saw nothing)")
	}
	for _, u := range b.requests {
		if !strings.HasPrefix(u, b.origin+"/") && !strings.HasPrefix(u, "data:") {
			p = append(p, "a request left the origin: "+u)
		}
	}
	b.mu.Unlock()
	if len(p) > 0 {
		b.fail("page problems:\n  %s", strings.Join(p, "\n  "))
	}
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("TACK_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	os.MkdirAll("screenshots", 0o755)
	if err := os.WriteFile(filepath.Join("screenshots", name+".png"), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// hasText: some element matching sel has exactly this text.
func hasText(sel, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].some(e => e.textContent === %s)`, js(sel), js(text))
}

func countText(sel, text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].filter(e => e.textContent === %s).length`, js(sel), js(text))
}

// msgSel finds the message (li) whose text is text.
func msgExpr(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('.messages .msg')].find(li => { const p = li.querySelector('.text'); return p && p.textContent === %s; })`, js(text))
}

// openMenu opens the message menu of the message with the given text and
// clicks the action.
func (b *browser) messageAction(text, action string) {
	b.t.Helper()
	b.wait("message "+text, msgExpr(text)+`?.querySelector('.msg-menu-btn')`)
	evalAs[chromedp.Void](b, msgExpr(text)+`.querySelector('.msg-menu-btn').click()`)
	b.click(action, `.menu:not([hidden]) [data-action=`+action+`]`)
}

func (b *browser) signUp(url, name, login, password string) {
	b.t.Helper()
	b.open(url)
	b.click("switch to sign-up", "#auth-switch")
	b.typeInto("#auth-name", name)
	b.typeInto("#auth-login", login)
	b.typeInto("#auth-password", password)
	b.click("submit", "#auth-submit")
	b.wait("the main screen", `document.querySelector('.shell') && document.querySelector('.conn[data-state=online]')`)
}

// apiUser is a third person who talks to the server over REST only.
type apiUser struct {
	t     *testing.T
	base  string
	token string
	ID    string
}

func (u *apiUser) call(method, path string, body, out any) {
	u.t.Helper()
	var rd *bytes.Reader
	b, _ := json.Marshal(body)
	rd = bytes.NewReader(b)
	req, _ := http.NewRequest(method, u.base+"/api/v1"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if u.token != "" {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var e any
		json.NewDecoder(res.Body).Decode(&e)
		u.t.Fatalf("%s %s: %d %v", method, path, res.StatusCode, e)
	}
	if out != nil {
		json.NewDecoder(res.Body).Decode(out)
	}
}

func newAPIUser(t *testing.T, base, name, login string) *apiUser {
	u := &apiUser{t: t, base: base}
	var r struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	u.call("POST", "/accounts", map[string]any{"login": login, "password": "carol-password", "name": name}, &r)
	u.token, u.ID = r.Token, r.User.ID
	return u
}

func (b *browser) signIn(url, login, password string) {
	b.t.Helper()
	b.open(url)
	b.typeInto("#auth-login", login)
	b.typeInto("#auth-password", password)
	b.click("submit", "#auth-submit")
	b.wait("the main screen", `document.querySelector('.shell') && document.querySelector('.conn[data-state=online]')`)
}

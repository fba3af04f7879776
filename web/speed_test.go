package web_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
	"github.com/tackhq/tack/web"
)

// Fast 3G as the issue defines it: 150 ms of latency, 1.6 Mbit/s down,
// 750 kbit/s up, and a phone's CPU (4× slower than this machine).
var fast3G = &network.Conditions{Latency: 150, DownloadThroughput: 1.6e6 / 8, UploadThroughput: 750e3 / 8}

// usableScript runs in the page before anything else. It records, as
// window.__usable, the time after navigation (performance.now(), whose
// origin is the navigation's start) of the first frame in which the
// conversation list shows want conversations, each with its title (no
// unresolved '…') and its preview: the list a person can read and tap.
const usableScript = `(() => {
  const want = %d;
  const ok = () => {
    const rows = document.querySelectorAll('.conv-list .conv');
    if (rows.length < want) return false;
    for (const a of rows) {
      const tt = a.querySelector('.conv-title'), p = a.querySelector('.preview');
      if (!tt || !tt.textContent || tt.textContent.includes('…') || !p || !p.textContent || p.textContent.includes('…')) return false;
    }
    return true;
  };
  const marks = window.__marks = { doc: performance.now() };
  const mo = new MutationObserver(() => {
    if (!marks.shell && document.querySelector('.shell')) marks.shell = performance.now();
    if (!marks.rows && document.querySelectorAll('.conv-list .conv').length >= want) marks.rows = performance.now();
    if (window.__usable || !ok()) return;
    mo.disconnect();
    requestAnimationFrame(() => { window.__usable = performance.now(); });
  });
  mo.observe(document, { subtree: true, childList: true, characterData: true });
})();`

// cookieSignIn signs in over HTTP as the web client does (cookie: true)
// and returns the cookies the server set.
func cookieSignIn(t *testing.T, base, login, password string) []*http.Cookie {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"login": login, "password": password, "cookie": true})
	// The test's own certificate: nothing to verify it against.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := hc.Post(base+"/api/v1/sessions", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || len(res.Cookies()) == 0 {
		t.Fatalf("cookie sign-in: %d", res.StatusCode)
	}
	return res.Cookies()
}

// setCookies gives the browser a signed-in session without loading a page.
func (b *browser) setCookies(url string, cookies []*http.Cookie) {
	b.t.Helper()
	for _, c := range cookies {
		httpOnly := c.HttpOnly
		if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: url, Path: "/", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteStrict}); err != nil {
			b.t.Fatalf("set cookie %s: %v", c.Name, err)
		}
	}
}

// speedOffice is an organisation whose member 王五 has a list as a busy
// member's looks: direct chats with colleagues and a few groups, each with
// messages from several people.
func speedOffice(t *testing.T) (*office, int) {
	t.Helper()
	ctx := context.Background()
	o := newOffice(t)
	me := o.wangwu
	n := 0
	send := func(u *tacktest.User, conv, text string) {
		must(u.Send(ctx, conv, client.Draft{ClientID: fmt.Sprintf("speed-%d-%d", n, time.Now().UnixNano()), Text: text}))
	}
	var people []*tacktest.User
	for i := 0; i < 9; i++ {
		people = append(people, o.srv.NewUser(t, fmt.Sprintf("同事%02d", i+1)))
	}
	people = append(people, o.owner, o.lina)
	for i, p := range people {
		c := must(p.CreateConversation(ctx, "direct", []string{me.ID}, ""))
		send(p, string(c.ID), fmt.Sprintf("王五你好，第 %d 个问题：明天的评审材料准备好了吗？", i+1))
		send(me, string(c.ID), "好的，下午发给你。")
		n++
	}
	for i := 0; i < 4; i++ {
		members := []string{me.ID, people[i].ID, people[i+1].ID, people[i+2].ID}
		c := must(o.owner.CreateConversation(ctx, "group", members, fmt.Sprintf("项目组 %d", i+1)))
		send(o.owner, string(c.ID), "本周五下午三点开会，请大家准时参加。")
		send(people[i], string(c.ID), "收到")
		n++
	}
	return o, n
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "tack web test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestBrowserPhoneSpeed measures how long a signed-in member waits for a
// usable conversation list on a phone: 375 px, touch, Fast 3G, a 4× slower
// CPU, an empty cache (a fresh profile that holds only the session
// cookie). It runs over HTTPS, as an installed phone app always does (the
// browser speaks HTTP/2 to Tack then), and over plain HTTP/1.1 (six
// connections, as on localhost). It is a benchmark that logs its figures;
// it asserts nothing about time.
func TestBrowserPhoneSpeed(t *testing.T) {
	chromium(t)
	if testing.Short() {
		t.Skip("a benchmark")
	}
	certFile, keyFile := selfSigned(t)
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"https", true}, {"http", false}} {
		t.Run(tc.name, func(t *testing.T) {
			o, convs := speedOffice(t)
			base := o.srv.URL
			var extra []chromedp.ExecAllocatorOption
			if tc.tls {
				// The same server and data, now serving HTTPS.
				o.srv.Config.TLSCert, o.srv.Config.TLSKey = certFile, keyFile
				o.srv.Restart(t)
				base = strings.Replace(base, "http://", "https://", 1)
				extra = append(extra, chromedp.Flag("ignore-certificate-errors", true))
			}
			cookies := cookieSignIn(t, base, o.wangwu.Login, o.wangwu.Password)
			// With TACK_SPEED_BASELINE set to a directory holding another
			// build's static/ (say, main's web/), the runs alternate between
			// that build ("before") and this one ("after"), so both meet the
			// same load on a shared machine.
			builds := []string{""}
			baseline := os.Getenv("TACK_SPEED_BASELINE")
			if baseline != "" {
				builds = []string{"before", "after"}
			}
			const runs = 5
			figures, netFigures := map[string][]float64{}, map[string][]float64{}
			for i := 0; i < runs; i++ {
				for _, build := range builds {
					// A run of its own, so its browser closes when it ends.
					var ms, net float64
					var log string
					t.Run(fmt.Sprintf("run%d%s", i+1, build), func(t *testing.T) {
						if build == "before" {
							restore, err := web.UseBuild(os.DirFS(baseline))
							if err != nil {
								t.Fatalf("baseline build: %v", err)
							}
							defer restore()
						}
						ms, net, log = phoneFirstScreen(t, base, cookies, convs, extra)
					})
					if log == "" {
						t.FailNow()
					}
					t.Logf("run %d %s: %s", i+1, build, log)
					figures[build] = append(figures[build], ms)
					netFigures[build] = append(netFigures[build], net)
				}
			}
			for _, build := range builds {
				name := tc.name
				if build != "" {
					name += "/" + build
				}
				f, best, median := spread(figures[build])
				_, nbest, nmedian := spread(netFigures[build])
				t.Logf("BenchmarkPhoneFirstScreen/%s (375 px, Fast 3G 150 ms / 1.6 Mbit/s, 4x CPU, empty cache, %d conversations): best %.0f ms, median %.0f ms (%s); the first load's last byte in %.0f ms (best), %.0f ms (median) after the document started", name, convs, best, median, f, nbest, nmedian)
			}
		})
	}
}

// phoneFirstScreen opens base in a fresh phone browser (Fast 3G, 4× CPU,
// empty cache, signed in with cookies) and returns when the conversation
// list was usable, in ms after navigation, and a line on how the time went.
//
// The second figure is less at the mercy of a busy machine: how long after
// the document started (the browser has committed the navigation, a CPU
// matter) the last byte of what the page asked for before its modules ran
// (the first load and the bootstrap) was in.
func phoneFirstScreen(t *testing.T, base string, cookies []*http.Cookie, convs int, extra []chromedp.ExecAllocatorOption) (float64, float64, string) {
	t.Helper()
	b := newBrowser(t, "phone", 375, 812, "zh-CN", extra...)
	defer b.check()
	b.setCookies(base, cookies)
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{fast3G}}); err != nil {
		t.Fatalf("network emulation: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 4}); err != nil {
		t.Fatalf("CPU throttling: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: fmt.Sprintf(usableScript, convs)}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, performance.Enable, performance.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	b.open(base)
	b.wait("a usable conversation list", `window.__usable`)
	ms := evalAs[float64](b, `window.__usable`)
	// What the page's main thread spent (it includes waiting for a CPU
	// when the machine is busy), and a fixed piece of script timed under
	// the same throttling: on a busy machine both grow, and so does the
	// figure.
	pm, err := chromedp.Call(b.ctx, performance.GetMetrics, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	metric := map[string]float64{}
	for _, m := range pm.Metrics {
		metric[m.Name] = m.Value
	}
	ref := evalAs[float64](b, `(() => { const t0 = performance.now(); let x = 0; for (let i = 0; i < 1e6; i++) x += Math.sqrt(i); return performance.now() - t0 + (x < 0 ? 1 : 0); })()`)
	// The timeline: the HTML, the document's start in the page (after the
	// browser committed the navigation), when the modules had run, the
	// shell and its rows, then every request.
	res := evalAs[string](b, `(n => 'html ' + Math.round(n.responseStart) + '-' + Math.round(n.responseEnd) + ', document ' + Math.round(__marks.doc) + ', modules run by ' + Math.round(n.domContentLoadedEventStart) + ', shell ' + Math.round(__marks.shell) + ', rows ' + Math.round(__marks.rows) + '\n      ')(performance.getEntriesByType('navigation')[0]) + performance.getEntriesByType('resource').map(e => Math.round(e.startTime) + '-' + Math.round(e.responseEnd) + ' ' + e.nextHopProtocol + ' ' + e.encodedBodySize + 'B ' + e.name.replace(location.origin, '').slice(0, 60)).join('\n      ')`)
	netMs := evalAs[float64](b, `(n => Math.max(...performance.getEntriesByType('resource').filter(e => e.startTime < n.domContentLoadedEventStart).map(e => e.responseEnd)) - __marks.doc)(performance.getEntriesByType('navigation')[0])`)
	return ms, netMs, fmt.Sprintf("conversation list usable %.0f ms after navigation (main thread: tasks %.0f ms, script %.0f ms, style %.0f ms, layout %.0f ms; reference script %.0f ms)\n      %s",
		ms, metric["TaskDuration"]*1000, metric["ScriptDuration"]*1000, metric["RecalcStyleDuration"]*1000, metric["LayoutDuration"]*1000, ref, res)
}

// spread sorts figures and returns them as a list, the best and the median.
func spread(figures []float64) (list string, best, median float64) {
	sort.Float64s(figures)
	var l []string
	for _, x := range figures {
		l = append(l, fmt.Sprintf("%.0f", x))
	}
	return strings.Join(l, ", "), figures[0], figures[len(figures)/2]
}

package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"regexp"
	"sort"
	"strings"
	"testing"
)

type manifest struct {
	ID, Name, ShortName, Description, Lang, Dir, StartURL, Scope, Display string
	ThemeColor, BackgroundColor                                           string
	Icons                                                                 []struct{ Src, Sizes, Type, Purpose string }
}

func decodeManifest(t *testing.T, b string) manifest {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(b), &raw); err != nil {
		t.Fatalf("manifest is not JSON: %v", err)
	}
	var m manifest
	conv, _ := json.Marshal(map[string]any{
		"ID": raw["id"], "Name": raw["name"], "ShortName": raw["short_name"], "Description": raw["description"],
		"Lang": raw["lang"], "Dir": raw["dir"], "StartURL": raw["start_url"], "Scope": raw["scope"], "Display": raw["display"],
		"ThemeColor": raw["theme_color"], "BackgroundColor": raw["background_color"], "Icons": raw["icons"],
	})
	if err := json.Unmarshal(conv, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestManifest: the web app manifest is linked from index.html, served in
// the browser's language, and says what an installed app needs: a name,
// start URL and scope, standalone display, colours, and PNG icons of 192
// and 512 pixels plus a maskable one that are served and are that size.
func TestManifest(t *testing.T) {
	h := Handler()
	idx := body(t, get(t, h, "/"))
	if !strings.Contains(idx, `<link rel="manifest" href="/manifest.webmanifest">`) {
		t.Error("index.html does not link the manifest")
	}
	if !regexp.MustCompile(`<link rel="apple-touch-icon" href="/assets/icon-180\.[0-9a-f]{12}\.png">`).MatchString(idx) {
		t.Error("index.html has no hashed apple-touch-icon")
	}
	for _, c := range []struct{ accept, lang, name string }{
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "Tack 团队聊天与办公"},
		{"zh-TW", "zh-CN", "Tack 团队聊天与办公"},
		{"en-GB,en;q=0.9", "en", "Tack — team chat and office"},
		{"fr-FR, zh;q=0.5, en;q=0.4", "zh-CN", "Tack 团队聊天与办公"},
		{"fr-FR", "en", "Tack — team chat and office"},
		{"", "en", "Tack — team chat and office"},
		{"en;q=0.9, zh;q=0.1", "en", "Tack — team chat and office"},
	} {
		res := get(t, h, "/manifest.webmanifest", "Accept-Language", c.accept)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/manifest+json" {
			t.Fatalf("%q: %d %s", c.accept, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if res.Header.Get("Cache-Control") != "no-cache" || !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Language") {
			t.Errorf("%q: headers %v", c.accept, res.Header)
		}
		m := decodeManifest(t, body(t, res))
		if m.Lang != c.lang || m.Name != c.name || m.ShortName != "Tack" || m.Description == "" || m.Dir != "ltr" {
			t.Errorf("%q: lang %q name %q short %q", c.accept, m.Lang, m.Name, m.ShortName)
		}
		if m.StartURL != "/" || m.Scope != "/" || m.ID != "/" || m.Display != "standalone" || m.ThemeColor != ThemeColor || m.BackgroundColor == "" {
			t.Errorf("%q: %+v", c.accept, m)
		}
		want := map[string]bool{"192x192 any": true, "512x512 any": true, "512x512 maskable": true}
		for _, ic := range m.Icons {
			key := ic.Sizes + " " + ic.Purpose
			if !want[key] {
				t.Errorf("unexpected icon %+v", ic)
				continue
			}
			delete(want, key)
			res := get(t, h, ic.Src)
			if res.StatusCode != 200 || ic.Type != "image/png" || res.Header.Get("Content-Type") != "image/png" {
				t.Fatalf("icon %s: %d %s", ic.Src, res.StatusCode, res.Header.Get("Content-Type"))
			}
			img, err := png.Decode(strings.NewReader(body(t, res)))
			if err != nil {
				t.Fatalf("icon %s: %v", ic.Src, err)
			}
			if got := fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy()); got != ic.Sizes {
				t.Errorf("icon %s is %s, declared %s", ic.Src, got, ic.Sizes)
			}
		}
		if len(want) > 0 {
			t.Errorf("%q: icons missing: %v", c.accept, want)
		}
	}
}

// TestIcons: the plain icon has transparent rounded corners, the maskable
// one is opaque to the edge; both are the accent with a white T; they are
// small.
func TestIcons(t *testing.T) {
	for _, c := range []struct {
		size     int
		maskable bool
	}{{192, false}, {512, false}, {512, true}} {
		b := iconPNG(c.size, c.maskable)
		if len(b) > 12000 {
			t.Errorf("%d maskable=%v: %d bytes", c.size, c.maskable, len(b))
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		at := func(x, y int) (r, g, b, a uint32) { return img.At(x, y).RGBA() }
		if _, _, _, a := at(0, 0); (a == 0) == c.maskable {
			t.Errorf("%d maskable=%v: corner alpha %d", c.size, c.maskable, a)
		}
		if r, g, b, a := at(c.size/2, c.size/6); a>>8 != 255 || r>>8 != 0x0e || g>>8 != 0x74 || b>>8 != 0x90 {
			t.Errorf("%d maskable=%v: background %d %d %d %d", c.size, c.maskable, r>>8, g>>8, b>>8, a>>8)
		}
		if r, g, b, _ := at(c.size/2, c.size*20/32); r>>8 != 255 || g>>8 != 255 || b>>8 != 255 {
			t.Errorf("%d maskable=%v: the T's stem is not white: %d %d %d", c.size, c.maskable, r>>8, g>>8, b>>8)
		}
	}
}

var buildPatt = regexp.MustCompile(`const BUILD = (\{.*?\});`)

func swBuildOf(t *testing.T, sw string) swBuild {
	t.Helper()
	m := buildPatt.FindStringSubmatch(sw)
	if m == nil {
		t.Fatalf("sw.js has no filled-in BUILD:\n%.400s", sw)
	}
	var b swBuild
	if err := json.Unmarshal([]byte(m[1]), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestServiceWorkerServed: /sw.js is served uncached, as JavaScript,
// allowed the whole origin, with this release's version and a precache
// list of index.html and every hashed asset (so an offline start has all
// of it); the server's marker is gone.
func TestServiceWorkerServed(t *testing.T) {
	h := Handler()
	res := get(t, h, "/sw.js")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("/sw.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("Service-Worker-Allowed") != "/" {
		t.Errorf("/sw.js headers: %v", res.Header)
	}
	sw := body(t, res)
	if strings.Contains(sw, swMarker) {
		t.Error("the marker is still in sw.js")
	}
	b := swBuildOf(t, sw)
	if len(b.Version) != 16 || b.Version != ServiceWorkerVersion() {
		t.Errorf("version %q", b.Version)
	}
	names := AssetNames()
	want := []string{"/"}
	for _, hn := range names {
		want = append(want, "/assets/"+hn)
	}
	sort.Strings(want[1:])
	if strings.Join(b.Precache, " ") != strings.Join(want, " ") {
		t.Errorf("precache %v\nwant %v", b.Precache, want)
	}
	if b.Icon != "/assets/"+names["icon-192.png"] {
		t.Errorf("icon %q", b.Icon)
	}
	for _, u := range b.Precache[1:] {
		if res := get(t, h, u); res.StatusCode != 200 {
			t.Errorf("precached %s: %d", u, res.StatusCode)
		}
	}
}

// TestServiceWorkerVersion: any change to any file makes a new sw.js (a
// new version and precache list), so browsers replace the cached shell;
// an unchanged build makes the same sw.js.
func TestServiceWorkerVersion(t *testing.T) {
	fsys := fstestMap{
		"static/index.html":     `<link rel="stylesheet" href="/assets/app.css"><script type="module" src="/assets/a.js"></script>`,
		"static/assets/a.js":    "const f = () => import('./f.js');\n",
		"static/assets/f.js":    "export const x = 1;\n",
		"static/assets/app.css": "body { margin: 0; }\n",
		"static/sw.js":          "// the worker\nconst BUILD = {};\nself.addEventListener('fetch', () => {});\n",
	}
	build := func() (swBuild, string) {
		s, err := prepare(fsys.fs())
		if err != nil {
			t.Fatal(err)
		}
		sw := string(s.sw.body)
		return swBuildOf(t, sw), sw
	}
	b1, sw1 := build()
	if strings.Contains(sw1, "the worker") {
		t.Error("comments are served")
	}
	if b2, sw2 := build(); sw2 != sw1 || b2.Version != b1.Version {
		t.Error("the same files made a different sw.js")
	}
	for _, f := range []string{"static/assets/f.js", "static/assets/app.css", "static/index.html"} {
		old := fsys[f]
		fsys[f] = map[string]string{
			"static/assets/f.js":    "export const x = 2;\n",
			"static/assets/app.css": "body { margin: 1px; }\n",
			"static/index.html":     old + "<p>changed</p>",
		}[f]
		b2, sw2 := build()
		if b2.Version == b1.Version || sw2 == sw1 {
			t.Errorf("changing %s did not change sw.js", f)
		}
		fsys[f] = old
	}
	fsys["static/sw.js"] = "self.addEventListener('fetch', () => {});\n"
	if _, err := prepare(fsys.fs()); err == nil || !strings.Contains(err.Error(), "BUILD") {
		t.Errorf("a sw.js without the marker was accepted: %v", err)
	}
}

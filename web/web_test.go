package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// Budgets of the client, JavaScript and CSS before compression, measured on
// its real import graph (see Bundles).
const (
	firstLoadBudget = 110 * 1000 // index.html and what it imports statically
	featureBudget   = 40 * 1000  // each import() target with its own static imports
	totalBudget     = 450 * 1000 // every file
)

func TestBudget(t *testing.T) {
	first, features, total := Bundles()
	t.Logf("first load: %d bytes (%s)", first.Bytes, strings.Join(first.Files, " "))
	if first.Bytes > firstLoadBudget {
		t.Errorf("the first load is %d bytes, over its budget of %d", first.Bytes, firstLoadBudget)
	}
	if len(features) == 0 {
		t.Error("no feature is loaded with import()")
	}
	// The service worker is a bundle of its own, under the feature budget,
	// and counts in the total.
	sw := false
	for _, f := range features {
		sw = sw || f.Name == "sw.js"
	}
	if !sw {
		t.Error("sw.js is not measured")
	}
	for _, f := range features {
		t.Logf("feature %s: %d bytes (%s)", f.Name, f.Bytes, strings.Join(f.Files, " "))
		if f.Bytes > featureBudget {
			t.Errorf("feature %s is %d bytes, over its budget of %d", f.Name, f.Bytes, featureBudget)
		}
	}
	js, css := AssetBytes()
	t.Logf("everything: %d bytes (js %d, css %d)", total, js, css)
	if total > totalBudget {
		t.Errorf("the client is %d bytes, over its budget of %d", total, totalBudget)
	}
	// Gzipped sizes, for the README.
	s, _ := load()
	gz := func(names []string) (n int) {
		for _, f := range names {
			a := s.assets[s.hashed[f]]
			if a.gz != nil {
				n += len(a.gz)
			} else {
				n += len(a.body)
			}
		}
		return n
	}
	var all []string
	for n := range s.hashed {
		if e := path.Ext(n); e == ".js" || e == ".css" {
			all = append(all, n)
		}
	}
	t.Logf("gzipped: first load %d bytes, everything %d bytes", gz(first.Files), gz(all))
}

func get(t *testing.T, h http.Handler, target string, hdr ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	var rd io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		rd = zr
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIndexAndDeepLinks(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/c/abcdefgh12345678", "/anything/else"} {
		res := get(t, h, p)
		if res.StatusCode != 200 {
			t.Fatalf("%s: status %d", p, res.StatusCode)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("%s: Cache-Control %q", p, got)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
		b := body(t, res)
		if !strings.Contains(b, `<div id="app">`) {
			t.Errorf("%s: not index.html", p)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	h := Handler()
	names := AssetNames()
	for _, p := range []string{"/", "/assets/" + names["app.js"], "/assets/nope.js"} {
		res := get(t, h, p)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows unsafe code: %q", p, csp)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", p)
		}
		if res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: Referrer-Policy %q", p, res.Header.Get("Referrer-Policy"))
		}
	}
}

// Nothing in the page may run inline or load from another origin.
func TestNoInlineScriptOrForeignOrigin(t *testing.T) {
	idx := body(t, get(t, Handler(), "/"))
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(idx) {
		t.Error("index.html has an inline script")
	}
	if regexp.MustCompile(`\sstyle=|\son[a-z]+=`).MatchString(idx) {
		t.Error("index.html has an inline style or event handler attribute")
	}
	check := func(name, s string) {
		if m := regexp.MustCompile(`(?i)(?:src|href|url\()\s*=?\s*["']?(?:https?:)?//`).FindString(s); m != "" {
			t.Errorf("%s refers to another origin: %q", name, m)
		}
		if strings.Contains(s, "@import") || strings.Contains(s, "@font-face") {
			t.Errorf("%s loads fonts or imports", name)
		}
	}
	check("index.html", idx)
	fs.WalkDir(static, "static/assets", func(p string, d fs.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		b, _ := fs.ReadFile(static, p)
		check(p, string(b))
		if path.Ext(p) == ".js" && regexp.MustCompile(`\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=|document\.write|\beval\(|new Function`).Match(b) {
			t.Errorf("%s builds markup from strings or evaluates code", p)
		}
		return nil
	})
}

func TestHashedAssets(t *testing.T) {
	h := Handler()
	names := AssetNames()
	idx := body(t, get(t, h, "/"))
	for _, plain := range []string{"app.js", "app.css", "store.js", "icon.svg"} {
		hn, ok := names[plain]
		if !ok {
			t.Fatalf("no hashed name for %s", plain)
		}
		if !regexp.MustCompile(`^[a-z0-9\-]+\.[0-9a-f]{12}\.[a-z]+$`).MatchString(hn) {
			t.Errorf("hashed name %q", hn)
		}
		res := get(t, h, "/assets/"+hn)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", hn, res.StatusCode)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("%s: Cache-Control %q", hn, got)
		}
		if res := get(t, h, "/assets/"+plain); res.StatusCode != 404 {
			t.Errorf("unhashed %s served with %d", plain, res.StatusCode)
		}
	}
	if !strings.Contains(idx, "/assets/"+names["app.js"]) || !strings.Contains(idx, "/assets/"+names["app.css"]) {
		t.Error("index.html does not refer to the hashed names")
	}
	if regexp.MustCompile(`/assets/[a-z\-]+\.(js|css)"`).MatchString(idx) {
		t.Error("index.html still refers to an unhashed asset")
	}
	// Modules import each other by hashed name.
	app := body(t, get(t, h, "/assets/"+names["app.js"]))
	if !strings.Contains(app, "./"+names["store.js"]) {
		t.Errorf("app.js does not import store.js by its hashed name")
	}
	if regexp.MustCompile(`from\s+["']\./[a-z\-]+\.js["']`).MatchString(app) {
		t.Errorf("app.js still imports an unhashed module")
	}
	if ct := get(t, h, "/assets/"+names["app.js"]).Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("app.js Content-Type %q", ct)
	}
}

func TestHashCoversImports(t *testing.T) {
	fsys := fstestMap{
		"static/index.html":     `<script type="module" src="/assets/a.js"></script>`,
		"static/assets/a.js":    `import { x } from './b.js'; x();`,
		"static/assets/b.js":    `export const x = () => 1;`,
		"static/assets/app.css": `body{}`,
	}
	s1, err := prepare(fsys.fs())
	if err != nil {
		t.Fatal(err)
	}
	fsys["static/assets/b.js"] = `export const x = () => 2;`
	s2, err := prepare(fsys.fs())
	if err != nil {
		t.Fatal(err)
	}
	if s1.hashed["a.js"] == s2.hashed["a.js"] {
		t.Error("changing an imported module did not change the importer's hash")
	}
	if !bytes.Contains(s2.assets[s2.hashed["a.js"]].body, []byte("./"+s2.hashed["b.js"])) {
		t.Error("import not rewritten")
	}
	fsys["static/assets/b.js"] = `import './a.js';`
	if _, err := prepare(fsys.fs()); err == nil {
		t.Error("an import cycle was accepted")
	}
}

func TestCompression(t *testing.T) {
	h := Handler()
	names := AssetNames()
	plain := get(t, h, "/assets/"+names["store.js"])
	want := body(t, plain)
	if plain.Header.Get("Content-Encoding") != "" {
		t.Error("compressed without Accept-Encoding")
	}
	zipped := get(t, h, "/assets/"+names["store.js"], "Accept-Encoding", "gzip, deflate, br")
	if zipped.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("not gzip-compressed")
	}
	if !strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
		t.Error("no Vary: Accept-Encoding")
	}
	if zipped.ContentLength >= plain.ContentLength {
		t.Errorf("gzip %d >= plain %d", zipped.ContentLength, plain.ContentLength)
	}
	if got := body(t, zipped); got != want {
		t.Error("gzip body differs")
	}
	if get(t, h, "/", "Accept-Encoding", "gzip").Header.Get("Content-Encoding") != "gzip" {
		t.Error("index.html not compressed")
	}
	if get(t, h, "/", "Accept-Encoding", "gzip;q=0").Header.Get("Content-Encoding") != "" {
		t.Error("compressed although gzip;q=0")
	}
}

func TestConditionalAndMethods(t *testing.T) {
	h := Handler()
	res := get(t, h, "/")
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if res := get(t, h, "/", "If-None-Match", etag); res.StatusCode != 304 {
		t.Errorf("If-None-Match: %d", res.StatusCode)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", nil))
	if w.Code != 405 {
		t.Errorf("POST: %d", w.Code)
	}
	if res := get(t, h, "/api/v1/nothing"); res.StatusCode != 404 || !strings.Contains(res.Header.Get("Content-Type"), "json") {
		t.Errorf("/api path: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestImportGraph: dynamic imports and the stylesheets a module loads are
// rewritten to hashed names and covered by the importer's hash; the first
// load is preloaded; features are measured apart; a cycle through import()
// is refused; comment lines may name files.
func TestImportGraph(t *testing.T) {
	fsys := fstestMap{
		"static/index.html":     `<link rel="stylesheet" href="/assets/app.css"><script type="module" src="/assets/a.js"></script>`,
		"static/assets/a.js":    "import { x } from './b.js';\n  // this comment names './nope.js'\nconst f = () => import('./f.js');\n",
		"static/assets/b.js":    "export const x = 1;\n",
		"static/assets/f.js":    "import { x } from './b.js';\nimport './g.js';\nawait css(new URL('./f.css', import.meta.url));\n",
		"static/assets/g.js":    "export {};\n",
		"static/assets/f.css":   "/* feature */\n.f { color: red; }\n",
		"static/assets/app.css": "body { margin: 0; }\n",
	}
	s1, err := prepare(fsys.fs())
	if err != nil {
		t.Fatal(err)
	}
	a := string(s1.assets[s1.hashed["a.js"]].body)
	if !strings.Contains(a, "import('./"+s1.hashed["f.js"]+"')") {
		t.Errorf("dynamic import not rewritten:\n%s", a)
	}
	if strings.Contains(a, "nope") {
		t.Errorf("comment lines are served:\n%s", a)
	}
	f := string(s1.assets[s1.hashed["f.js"]].body)
	if !strings.Contains(f, "'./"+s1.hashed["f.css"]+"'") {
		t.Errorf("stylesheet reference not rewritten:\n%s", f)
	}
	if css := string(s1.assets[s1.hashed["f.css"]].body); css != ".f{color:red;}\n" {
		t.Errorf("stylesheet served as %q", css)
	}
	idx := string(s1.index.body)
	if !strings.Contains(idx, `<link rel="modulepreload" href="/assets/`+s1.hashed["b.js"]+`">`) {
		t.Errorf("the first load is not preloaded:\n%s", idx)
	}
	if strings.Contains(idx, s1.hashed["f.js"]) || strings.Contains(idx, s1.hashed["g.js"]) {
		t.Errorf("a feature is preloaded:\n%s", idx)
	}
	first, features, total := s1.bundles()
	if got := strings.Join(first.Files, " "); got != "app.css a.js b.js" {
		t.Errorf("first load %q", got)
	}
	if len(features) != 1 || features[0].Name != "f.js" || strings.Join(features[0].Files, " ") != "f.js g.js f.css" {
		t.Errorf("features %+v", features)
	}
	if total != first.Bytes+features[0].Bytes {
		t.Errorf("total %d, first %d + feature %d", total, first.Bytes, features[0].Bytes)
	}
	// A feature's stylesheet is part of its loader's hash.
	fsys["static/assets/f.css"] = ".f { color: blue; }\n"
	s2, err := prepare(fsys.fs())
	if err != nil {
		t.Fatal(err)
	}
	if s1.hashed["a.js"] == s2.hashed["a.js"] {
		t.Error("changing a feature's stylesheet did not change the hash of the module that loads the feature")
	}
	// A feature importing its loader is a cycle that cannot be hashed.
	fsys["static/assets/g.js"] = "import { y } from './a.js';\n"
	if _, err := prepare(fsys.fs()); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("a cycle through import() was accepted: %v", err)
	}
}

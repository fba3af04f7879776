// Package web is Tack's browser client: hand-written ES modules and CSS,
// embedded in the binary and served by Handler.
//
// At start-up the files under static/ are prepared once. Every JavaScript
// module's relative references ('./x.js' in a static import, in a dynamic
// import('./x.js'), or a './x.css' a module loads itself) are rewritten to
// content-hashed names, in dependency order, so a module's hash covers
// everything it refers to. index.html is rewritten to point at the hashed
// names and gets a <link rel="modulepreload"> for every module of the first
// load, so the browser fetches the shell in one round instead of a
// waterfall. Everything is gzip-compressed ahead of time. Assets are served
// under /assets/<name>.<hash>.<ext> with a one-year immutable cache
// lifetime; index.html is served for / and every other path (so deep links
// such as /c/<conversation id> work) with no-cache.
//
// The import graph is also what the size budgets are measured on (see
// Bundles): the first load is what index.html loads and what that imports
// statically; each module loaded with import() is a feature, made of itself,
// its static imports and the CSS it loads, less what the first load already
// brought. Modules reached only through import() never load until used.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is the policy sent with every response of Handler:
// no inline script or style, nothing from another origin.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
	"manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// file is one prepared response body.
type file struct {
	name  string // served name: "index.html" or the hashed asset name
	ctype string
	body  []byte
	gz    []byte // gzip of body, or nil when compressing does not help
	etag  string
}

// refs are the relative references of one module, by plain name.
type refs struct {
	static  []string // import ... from './x.js', import './x.js'
	dynamic []string // import('./x.js')
	assets  []string // any other './x.css' (a stylesheet the module loads)
}

type site struct {
	index  *file
	assets map[string]*file // by hashed name
	hashed map[string]string
	refs   map[string]refs // by plain name, JavaScript modules only
	// entries are what index.html loads itself (module scripts and
	// stylesheets), by plain name.
	entries []string
	// The phone app (pwa.go): the service worker, nil without
	// static/sw.js, and the manifest by language.
	sw        *file
	version   string // of the release, as sw.js has it
	manifests map[string]*file
}

var (
	// current is the prepared site every Handler serves (tests may swap
	// it for another build).
	current     atomic.Pointer[site]
	prepareErr  error
	prepareOnce sync.Once
	// refPatt finds a relative reference to another asset in a module: a
	// quoted './name.ext'. What precedes it says what kind it is.
	refPatt      = regexp.MustCompile(`(["'])\./([A-Za-z0-9_\-]+\.(?:js|css|svg|png|json))(["'])`)
	dynamicPatt  = regexp.MustCompile(`\bimport\s*\(\s*$`)
	staticPatt   = regexp.MustCompile(`(?:\bfrom|\bimport)\s*$`)
	assetRefPatt = regexp.MustCompile(`/assets/([A-Za-z0-9_\-]+\.[a-z]+)`)
	entryPatt    = regexp.MustCompile(`<(?:script type="module" src|link rel="stylesheet" href)="/assets/([A-Za-z0-9_\-]+\.(?:js|css))"`)
)

func load() (*site, error) {
	prepareOnce.Do(func() {
		s, err := prepare(static)
		if err == nil {
			current.Store(s)
		}
		prepareErr = err
	})
	return current.Load(), prepareErr
}

// compact drops what the browser does not need from a module or a
// stylesheet: comment lines, indentation and blank lines (and /* */
// comments in CSS). Line breaks between code lines stay, so semicolon
// insertion works as in the source; multi-line template literals are left
// as they are. It is not a minifier: names and code are untouched.
func compact(name string, b []byte) []byte {
	switch path.Ext(name) {
	case ".js", ".css":
	default:
		return b
	}
	css := path.Ext(name) == ".css"
	var out bytes.Buffer
	out.Grow(len(b))
	inTemplate, inComment := false, false
	for _, line := range bytes.Split(b, []byte("\n")) {
		if inTemplate {
			out.Write(line)
			out.WriteByte('\n')
			inTemplate = bytes.Count(line, []byte("`"))%2 == 0
			continue
		}
		l := bytes.TrimSpace(line)
		if css {
			// Drop /* ... */, possibly over several lines.
			var kept []byte
			for len(l) > 0 {
				if inComment {
					i := bytes.Index(l, []byte("*/"))
					if i < 0 {
						l = nil
						break
					}
					l, inComment = l[i+2:], false
					continue
				}
				i := bytes.Index(l, []byte("/*"))
				if i < 0 {
					kept = append(kept, l...)
					break
				}
				kept = append(kept, l[:i]...)
				l, inComment = l[i+2:], true
			}
			l = []byte(cssSpaces.Replace(string(bytes.TrimSpace(kept))))
		} else if bytes.HasPrefix(l, []byte("//")) {
			continue
		}
		if len(l) == 0 {
			continue
		}
		out.Write(l)
		out.WriteByte('\n')
		inTemplate = !css && bytes.Count(l, []byte("`"))%2 == 1
	}
	return out.Bytes()
}

// cssSpaces drops spaces CSS does not need (never one before ":", which
// can be a descendant combinator before a pseudo-class).
var cssSpaces = cssReplacer{strings.NewReplacer(" {", "{", " }", "}"), strings.NewReplacer("{ ", "{", "; ", ";", ": ", ":", ", ", ",")}

type cssReplacer [2]*strings.Replacer

func (r cssReplacer) Replace(s string) string { return r[1].Replace(r[0].Replace(s)) }

// inComment reports whether the match at i is on a comment line (one that
// starts with //, /* or *): a comment may name a file without referring
// to it.
func inComment(body []byte, i int) bool {
	line := body[bytes.LastIndexByte(body[:i], '\n')+1 : i]
	line = bytes.TrimLeft(line, " \t")
	return bytes.HasPrefix(line, []byte("//")) || bytes.HasPrefix(line, []byte("/*")) || bytes.HasPrefix(line, []byte("*"))
}

// scan lists the relative references of a module's source.
func scan(body []byte) refs {
	var r refs
	for _, m := range refPatt.FindAllSubmatchIndex(body, -1) {
		if inComment(body, m[0]) {
			continue
		}
		name := string(body[m[4]:m[5]])
		before := body[max(0, m[0]-40):m[0]]
		switch {
		case dynamicPatt.Match(before):
			r.dynamic = append(r.dynamic, name)
		case staticPatt.Match(before) && strings.HasSuffix(name, ".js"):
			r.static = append(r.static, name)
		default:
			r.assets = append(r.assets, name)
		}
	}
	return r
}

// prepare reads fsys (which holds static/index.html and static/assets/...)
// and builds the hashed, compressed site.
func prepare(fsys fs.FS) (*site, error) {
	raw := map[string][]byte{}
	err := fs.WalkDir(fsys, "static/assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		raw[path.Base(p)] = compact(path.Base(p), b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := &site{assets: map[string]*file{}, hashed: map[string]string{}, refs: map[string]refs{}}
	// Hash in dependency order: a module's references are rewritten to
	// their hashed names before the module itself is hashed. A cycle, even
	// through import(), cannot be hashed: a feature module must not import
	// the module that loads it.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("web: import cycle through %s", name)
		case 2:
			return nil
		}
		state[name] = 1
		body, ok := raw[name]
		if !ok {
			return fmt.Errorf("web: missing asset %s", name)
		}
		if strings.HasSuffix(name, ".js") {
			s.refs[name] = scan(body)
			var rerr error
			body = replaceRefs(body, func(m []byte) []byte {
				sub := refPatt.FindSubmatch(m)
				dep := string(sub[2])
				if err := visit(dep); err != nil {
					if rerr == nil {
						rerr = fmt.Errorf("%w (from %s)", err, name)
					}
					return m
				}
				return []byte(string(sub[1]) + "./" + s.hashed[dep] + string(sub[3]))
			})
			if rerr != nil {
				return rerr
			}
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		hn := strings.TrimSuffix(name, ext) + "." + h + ext
		s.hashed[name] = hn
		s.assets[hn] = newFile(hn, body, h)
		state[name] = 2
		return nil
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	s.addIcons()
	idx, err := fs.ReadFile(fsys, "static/index.html")
	if err != nil {
		return nil, err
	}
	for _, m := range entryPatt.FindAllSubmatch(idx, -1) {
		s.entries = append(s.entries, string(m[1]))
	}
	// Preload every module of the first load (the entry scripts
	// themselves load anyway).
	var preload strings.Builder
	for _, n := range s.closure(s.entries, false) {
		if strings.HasSuffix(n, ".js") && !contains(s.entries, n) {
			fmt.Fprintf(&preload, "<link rel=\"modulepreload\" href=\"/assets/%s\">\n", n)
		}
	}
	if i := bytes.Index(idx, []byte(`<script type="module"`)); i >= 0 && preload.Len() > 0 {
		idx = append(idx[:i:i], append([]byte(preload.String()), idx[i:]...)...)
	}
	var rerr error
	idx = assetRefPatt.ReplaceAllFunc(idx, func(m []byte) []byte {
		n := string(assetRefPatt.FindSubmatch(m)[1])
		hn, ok := s.hashed[n]
		if !ok {
			rerr = fmt.Errorf("web: index.html refers to missing asset %s", n)
			return m
		}
		return []byte("/assets/" + hn)
	})
	if rerr != nil {
		return nil, rerr
	}
	sum := sha256.Sum256(idx)
	s.index = newFile("index.html", idx, hex.EncodeToString(sum[:])[:16])
	if err := s.addManifests(); err != nil {
		return nil, err
	}
	if err := s.addServiceWorker(fsys); err != nil {
		return nil, err
	}
	return s, nil
}

// replaceRefs is refPatt.ReplaceAllFunc, leaving comment lines alone.
func replaceRefs(body []byte, fn func([]byte) []byte) []byte {
	var out []byte
	last := 0
	for _, m := range refPatt.FindAllIndex(body, -1) {
		out = append(out, body[last:m[0]]...)
		if inComment(body, m[0]) {
			out = append(out, body[m[0]:m[1]]...)
		} else {
			out = append(out, fn(body[m[0]:m[1]])...)
		}
		last = m[1]
	}
	return append(out, body[last:]...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closure returns roots and everything they import statically, in a stable
// order; withAssets adds the stylesheets and other files they load.
func (s *site) closure(roots []string, withAssets bool) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(n string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		out = append(out, n)
		r := s.refs[n]
		for _, d := range r.static {
			walk(d)
		}
		if withAssets {
			for _, d := range r.assets {
				walk(d)
			}
		}
	}
	for _, n := range roots {
		walk(n)
	}
	return out
}

// Bundle is a set of files the browser loads together, by plain name, and
// their size in bytes as served before compression (JavaScript and CSS).
type Bundle struct {
	Name  string   // "first load", or the plain name of a feature module
	Files []string // plain names
	Bytes int
}

// Bundles measures the client on its real import graph: the first load
// (what index.html loads, with the static imports and stylesheets of
// those), each feature (a module loaded with import(), with its own static
// imports and stylesheets, less what the first load brought), and the total
// of every JavaScript and CSS file. The service worker is a bundle of its
// own, listed with the features as "sw.js": the browser fetches it apart
// from the page (after the first screen) and runs it apart, and nothing
// imports it; it counts in the total too.
func Bundles() (first Bundle, features []Bundle, total int) {
	s, err := load()
	if err != nil {
		panic(err)
	}
	return s.bundles()
}

func (s *site) size(name string) int {
	switch path.Ext(name) {
	case ".js", ".css":
		return len(s.assets[s.hashed[name]].body)
	}
	return 0
}

func (s *site) bundles() (first Bundle, features []Bundle, total int) {
	first = Bundle{Name: "first load", Files: s.closure(s.entries, true)}
	have := map[string]bool{}
	for _, n := range first.Files {
		have[n] = true
		first.Bytes += s.size(n)
	}
	targets := map[string]bool{}
	for _, r := range s.refs {
		for _, d := range r.dynamic {
			targets[d] = true
		}
	}
	for n := range targets {
		b := Bundle{Name: n}
		for _, f := range s.closure([]string{n}, true) {
			if !have[f] {
				b.Files = append(b.Files, f)
				b.Bytes += s.size(f)
			}
		}
		features = append(features, b)
	}
	sort.Slice(features, func(i, j int) bool { return features[i].Name < features[j].Name })
	for n := range s.hashed {
		total += s.size(n)
	}
	if s.sw != nil {
		features = append(features, Bundle{Name: "sw.js", Files: []string{"sw.js"}, Bytes: len(s.sw.body)})
		total += len(s.sw.body)
	}
	return first, features, total
}

func newFile(name string, body []byte, hash string) *file {
	f := &file{name: name, body: body, etag: `"` + hash + `"`}
	f.ctype = mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		f.ctype = "text/javascript; charset=utf-8"
	case ".css":
		f.ctype = "text/css; charset=utf-8"
	case ".html":
		f.ctype = "text/html; charset=utf-8"
	case ".svg":
		f.ctype = "image/svg+xml"
	case ".png":
		f.ctype = "image/png"
	}
	if f.ctype == "" {
		f.ctype = "application/octet-stream"
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() < len(body) {
		f.gz = buf.Bytes()
	}
	return f
}

// Handler serves the web client: index.html at / and at every path that is
// not an asset, hashed assets under /assets/. It sets the security headers
// (Content-Security-Policy, X-Content-Type-Options, Referrer-Policy) on every
// response. It panics if the embedded files are inconsistent, which a test
// rules out.
func Handler() http.Handler {
	if _, err := load(); err != nil {
		panic(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { current.Load().ServeHTTP(w, r) })
}

// AssetNames maps each embedded asset's plain name ("app.js") to the hashed
// name it is served under ("app.3f2a9c1b0d4e.js").
func AssetNames() map[string]string {
	s, err := load()
	if err != nil {
		panic(err)
	}
	m := make(map[string]string, len(s.hashed))
	for k, v := range s.hashed {
		m[k] = v
	}
	return m
}

// AssetBytes reports the uncompressed size of all embedded JavaScript and
// CSS, as served.
func AssetBytes() (js, css int) {
	s, err := load()
	if err != nil {
		panic(err)
	}
	for n, f := range s.assets {
		switch path.Ext(n) {
		case ".js":
			js += len(f.body)
		case ".css":
			css += len(f.body)
		}
	}
	return js, css
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"code":"not_found","message":"no such endpoint"}}`)
		return
	}
	if name, ok := strings.CutPrefix(p, "/assets/"); ok {
		f := s.assets[name]
		if f == nil {
			h.Set("Cache-Control", "no-cache")
			http.NotFound(w, r)
			return
		}
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		serveFile(w, r, f)
		return
	}
	if s.servePWA(w, r) {
		return
	}
	if p == "/favicon.ico" {
		// Browsers ask for it whatever the page says; index.html links
		// the real icon.
		h.Set("Cache-Control", "public, max-age=86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h.Set("Cache-Control", "no-cache")
	serveFile(w, r, s.index)
}

func serveFile(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", f.etag)
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, f.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if f.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		params = strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		if q, ok := strings.CutPrefix(params, "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				return false
			}
		}
		return true
	}
	return false
}

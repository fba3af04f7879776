// Package web is Tack's browser client: hand-written ES modules and one CSS
// file, embedded in the binary and served by Handler.
//
// At start-up the files under static/ are prepared once: every JavaScript
// module's relative imports are rewritten to content-hashed names (in
// dependency order, so a module's hash covers the modules it imports),
// index.html is rewritten to point at the hashed names, and everything is
// gzip-compressed ahead of time. Assets are then served under
// /assets/<name>.<hash>.<ext> with a one-year immutable cache lifetime;
// index.html is served for / and every other path (so deep links such as
// /c/<conversation id> work) with no-cache.
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

type site struct {
	index  *file
	assets map[string]*file // by hashed name
	hashed map[string]string
}

var (
	prepared     *site
	prepareErr   error
	prepareOnce  sync.Once
	importPatt   = regexp.MustCompile(`((?:\bfrom|\bimport)\s*\(?\s*)(["'])\./([A-Za-z0-9_\-]+\.js)(["'])`)
	assetRefPatt = regexp.MustCompile(`/assets/([A-Za-z0-9_\-]+\.[a-z]+)`)
)

func load() (*site, error) {
	prepareOnce.Do(func() { prepared, prepareErr = prepare(static) })
	return prepared, prepareErr
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
		raw[path.Base(p)] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	s := &site{assets: map[string]*file{}, hashed: map[string]string{}}
	// Hash in dependency order: a module's imports are rewritten to their
	// hashed names before the module itself is hashed.
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
			var rerr error
			body = importPatt.ReplaceAllFunc(body, func(m []byte) []byte {
				sub := importPatt.FindSubmatch(m)
				dep := string(sub[3])
				if err := visit(dep); err != nil {
					rerr = err
					return m
				}
				return []byte(string(sub[1]) + string(sub[2]) + "./" + s.hashed[dep] + string(sub[4]))
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
	idx, err := fs.ReadFile(fsys, "static/index.html")
	if err != nil {
		return nil, err
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
	return s, nil
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
	s, err := load()
	if err != nil {
		panic(err)
	}
	return s
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

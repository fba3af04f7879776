package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// What makes the client an installable phone app, prepared at start-up
// with the rest:
//
//   - the icons, drawn as PNGs from the SVG's shapes (icon.go) and served
//     as hashed assets like every other file;
//   - the web app manifest at /manifest.webmanifest, in the visitor's
//     language: the browser reads it with its own Accept-Language when it
//     installs the app, so a Chinese phone gets 中文 names and lang "zh-CN"
//     and any other gets English (Vary: Accept-Language);
//   - the service worker at /sw.js (scope /), made from static/sw.js with
//     this release's version and precache list written in: index.html and
//     every hashed asset. Any change to any file changes the list or the
//     version, so the browser sees a new sw.js on its next update check,
//     installs it, and the new release's shell replaces the old in one
//     step (the old cache is kept one release longer for pages still
//     running it, see sw.js).

// icons are the PNG icons: plain name, pixels, maskable.
var icons = []struct {
	name     string
	size     int
	maskable bool
}{
	{"icon-192.png", 192, false},
	{"icon-512.png", 512, false},
	{"icon-maskable-512.png", 512, true},
	{"icon-180.png", 180, true}, // apple-touch-icon: iOS rounds the corners itself
}

// addIcons draws the icons and adds them as hashed assets.
func (s *site) addIcons() {
	for _, ic := range icons {
		body := iconPNG(ic.size, ic.maskable)
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])[:12]
		hn := strings.TrimSuffix(ic.name, ".png") + "." + h + ".png"
		s.hashed[ic.name] = hn
		s.assets[hn] = newFile(hn, body, h)
	}
}

// manifestText is what differs between the languages of the manifest.
var manifestText = map[string]struct{ lang, name, description string }{
	"en": {"en", "Tack — team chat and office", "Messages, colleagues and your organisation's office apps."},
	"zh": {"zh-CN", "Tack 团队聊天与办公", "消息、同事和组织的办公应用。"},
}

// ThemeColor is the colour of the app's title bar and of the manifest.
const ThemeColor = "#0e7490"

// addManifests builds the manifest in each language.
func (s *site) addManifests() error {
	s.manifests = map[string]*file{}
	type icon struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose"`
	}
	var list []icon
	for _, ic := range icons[:3] {
		purpose := "any"
		if ic.maskable {
			purpose = "maskable"
		}
		list = append(list, icon{"/assets/" + s.hashed[ic.name], fmt.Sprintf("%dx%d", ic.size, ic.size), "image/png", purpose})
	}
	for key, txt := range manifestText {
		m := map[string]any{
			"id": "/", "start_url": "/", "scope": "/",
			"name": txt.name, "short_name": "Tack", "description": txt.description,
			"lang": txt.lang, "dir": "ltr",
			"display": "standalone", "orientation": "any",
			"background_color": "#ffffff", "theme_color": ThemeColor,
			"categories": []string{"business", "productivity"},
			"icons":      list,
		}
		b, err := json.MarshalIndent(m, "", "  ")
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		f := newFile("manifest.webmanifest", b, hex.EncodeToString(sum[:])[:16])
		f.ctype = "application/manifest+json"
		s.manifests[key] = f
	}
	return nil
}

// manifestLang picks the manifest's language from an Accept-Language
// header: Chinese or English, whichever the browser prefers; English when
// it names neither.
func manifestLang(header string) string {
	best, bestQ := "en", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary != "zh" && primary != "en" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.ReplaceAll(strings.TrimSpace(params), " ", ""), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// swMarker is the line of static/sw.js the server fills in.
const swMarker = "const BUILD = {};"

// swBuild is what sw.js is told about the release it belongs to.
type swBuild struct {
	Version  string   `json:"version"`
	Precache []string `json:"precache"`
	Icon     string   `json:"icon"`
}

// addServiceWorker makes /sw.js from static/sw.js, if there is one.
func (s *site) addServiceWorker(fsys fs.FS) error {
	src, err := fs.ReadFile(fsys, "static/sw.js")
	if err != nil {
		return nil // a client without a service worker (tests of the graph)
	}
	src = compact("sw.js", src)
	if !bytes.Contains(src, []byte(swMarker)) {
		return fmt.Errorf("web: static/sw.js lacks the line %q", swMarker)
	}
	b := swBuild{Precache: []string{"/"}, Icon: "/assets/" + s.hashed["icon-192.png"]}
	names := make([]string, 0, len(s.assets))
	for n := range s.assets {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	h.Write(s.index.body)
	for _, n := range names {
		b.Precache = append(b.Precache, "/assets/"+n)
		h.Write([]byte(n))
	}
	b.Version = hex.EncodeToString(h.Sum(nil))[:16]
	s.version = b.Version
	j, err := json.Marshal(b)
	if err != nil {
		return err
	}
	body := bytes.Replace(src, []byte(swMarker), []byte("const BUILD = "+string(j)+";"), 1)
	sum := sha256.Sum256(body)
	s.sw = newFile("sw.js", body, hex.EncodeToString(sum[:])[:16])
	return nil
}

func swVersion(s *site) string { return s.version }

// servePWA serves /sw.js and /manifest.webmanifest; it reports whether the
// path was one of them.
func (s *site) servePWA(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	switch r.URL.Path {
	case "/sw.js":
		if s.sw == nil {
			return false
		}
		// Checked for updates on every start; never cached on the way.
		h.Set("Cache-Control", "no-cache")
		h.Set("Service-Worker-Allowed", "/")
		serveFile(w, r, s.sw)
		return true
	case "/manifest.webmanifest":
		if s.manifests == nil {
			return false
		}
		h.Set("Cache-Control", "no-cache")
		h.Add("Vary", "Accept-Language")
		serveFile(w, r, s.manifests[manifestLang(r.Header.Get("Accept-Language"))])
		return true
	}
	return false
}

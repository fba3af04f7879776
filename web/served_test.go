package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"

	"github.com/tackhq/tack/tacktest"
)

// TestServedByServer checks the web client as the real server serves it:
// security headers, compression, cache lifetimes, deep links, and the cookie
// session with its CSRF protection that the client relies on.
func TestServedByServer(t *testing.T) {
	srv := tacktest.NewServer(t)
	get := func(path string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		// A transport that does not add or undo gzip by itself.
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}

	res, page := get("/")
	if res.StatusCode != 200 || !strings.Contains(page, `<div id="app">`) {
		t.Fatalf("GET /: %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("headers: %v", res.Header)
	}
	if res, _ := get("/c/0123456789abcdef"); res.StatusCode != 200 {
		t.Errorf("deep link: %d", res.StatusCode)
	}
	if res, body := get("/api/v1/nope"); res.StatusCode != 404 || strings.Contains(body, "<html") {
		t.Errorf("unknown API path served the page: %d", res.StatusCode)
	}
	m := regexp.MustCompile(`/assets/app\.[0-9a-f]{12}\.js`).FindString(page)
	if m == "" {
		t.Fatal("no hashed app.js in the page")
	}
	res, _ = get(m, "Accept-Encoding", "gzip")
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || res.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("asset: %d %v", res.StatusCode, res.Header)
	}

	// Cookie sign-up: an HttpOnly session cookie and a readable CSRF cookie.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]any{"login": "web@example.com", "password": "web-password", "name": "Web", "cookie": true})
	res, err := c.Post(srv.URL+"/api/v1/accounts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var auth struct {
		Token string `json:"token"`
		CSRF  string `json:"csrf_token"`
	}
	json.NewDecoder(res.Body).Decode(&auth)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("sign up: %d", res.StatusCode)
	}
	if auth.Token != "" {
		t.Error("a cookie sign-up also returned the token to script")
	}
	var session, csrf *http.Cookie
	for _, ck := range res.Cookies() {
		switch ck.Name {
		case "tack_session":
			session = ck
		case "tack_csrf":
			csrf = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie: %+v", session)
	}
	if csrf == nil || csrf.HttpOnly || csrf.Value == "" {
		t.Fatalf("csrf cookie: %+v", csrf)
	}
	// A cookie write without the header is refused; with it, it works.
	post := func(withHeader bool) int {
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/conversations", strings.NewReader(`{"type":"group","members":[],"title":"solo"}`))
		req.Header.Set("Content-Type", "application/json")
		if withHeader {
			req.Header.Set("X-CSRF-Token", csrf.Value)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(false); code != 403 {
		t.Errorf("cookie write without CSRF header: %d, want 403", code)
	}
	if code := post(true); code != 201 {
		t.Errorf("cookie write with CSRF header: %d, want 201", code)
	}
}

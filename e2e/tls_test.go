package e2e

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
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
)

// selfSigned writes a certificate for 127.0.0.1 and localhost and its key
// as PEM files, and returns their paths and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "tack test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:     []string{"localhost"},
		IsCA:         true, BasicConstraintsValid: true,
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
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// tlsNode starts a node with cfg serving HTTPS on one loopback port and its
// plain-HTTP redirect on another; it stops when the test ends.
func tlsNode(t *testing.T, cfg node.Config, httpsLn net.Listener) (n *node.Node, httpsURL, httpURL string) {
	t.Helper()
	if cfg.DataDir == "" && cfg.PostgresURL == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.FastHash, cfg.SendRate = true, 1000
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n, err := node.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	if httpsLn == nil {
		if httpsLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.ServeRedirect(ctx, httpsLn, httpLn, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the node did not stop")
		}
	})
	return n, "https://" + httpsLn.Addr().String(), "http://" + httpLn.Addr().String()
}

// TestTLSSelfSigned serves HTTPS with a certificate from files and uses it
// end to end: register, send, a live stream over wss; HSTS on every HTTPS
// answer, Secure cookies, plain HTTP redirected.
func TestTLSSelfSigned(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	_, base, plain := tlsNode(t, node.Config{TLSCert: certFile, TLSKey: keyFile}, nil)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	ctx := ctxT(t)

	newUser := func(login, name string) *client.Client {
		c := client.New(base)
		c.HTTP = hc
		if _, err := c.Register(ctx, login, "correct horse battery", name); err != nil {
			t.Fatalf("register over HTTPS: %v", err)
		}
		return c
	}
	alice, bob := newUser("alice@tls.example.com", "Alice"), newUser("bob@tls.example.com", "Bob")
	bobMe, _ := bob.Me(ctx)
	conv, err := alice.CreateConversation(ctx, "direct", []string{string(bobMe.ID)}, "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := bob.Connect(ctx, client.StreamOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("stream over wss: %v", err)
	}
	t.Cleanup(func() { s.CloseNow() })
	waitEvent(t, s, "synced", func(e client.Event) bool { return e.Type == "synced" })
	if _, err := alice.Send(ctx, string(conv.ID), client.Draft{ClientID: "tls-1", Text: "over TLS 加密"}); err != nil {
		t.Fatal(err)
	}
	if got := collectTexts(t, s, 1); got[0].Text != "over TLS 加密" {
		t.Errorf("stream got %q", got[0].Text)
	}
	if _, err := s.Send(ctx, string(conv.ID), client.Draft{ClientID: "tls-2", Text: "reply over wss"}); err != nil {
		t.Fatalf("send over wss: %v", err)
	}
	hist, err := alice.History(ctx, string(conv.ID), 0, 0, 10)
	if err != nil || hist[len(hist)-1].Text != "reply over wss" {
		t.Errorf("history after a wss send: %v %v", hist, err)
	}

	// HSTS on API, web and health answers; a web sign-in's cookies are Secure.
	for _, path := range []string{"/healthz", "/", "/api/v1/push/key", "/api/v1/nowhere"} {
		resp, err := hc.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != node.HSTS {
			t.Errorf("GET %s: Strict-Transport-Security %q, want %q", path, got, node.HSTS)
		}
	}
	body, _ := json.Marshal(map[string]any{"login": "carol@tls.example.com", "password": "correct horse battery", "name": "Carol", "cookie": true})
	resp, err := hc.Post(base+"/api/v1/accounts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(resp.Cookies()) < 2 { // session and CSRF, and the known-device cookie
		t.Fatalf("cookie sign-up: %d, %d cookies", resp.StatusCode, len(resp.Cookies()))
	}
	for _, c := range resp.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure over HTTPS", c.Name)
		}
	}

	// Plain HTTP: redirected to the same path over HTTPS, without HSTS.
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, httpsPort, _ := net.SplitHostPort(strings.TrimPrefix(base, "https://"))
	for _, tc := range []struct {
		method string
		status int
	}{{"GET", http.StatusMovedPermanently}, {"HEAD", http.StatusMovedPermanently}, {"POST", http.StatusPermanentRedirect}} {
		req, _ := http.NewRequest(tc.method, plain+"/c/abc?x=1", nil)
		req.Host = "chat.example.com:80"
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := "https://chat.example.com:" + httpsPort + "/c/abc?x=1"
		if resp.StatusCode != tc.status || resp.Header.Get("Location") != want {
			t.Errorf("%s over HTTP: %d %s, want %d %s", tc.method, resp.StatusCode, resp.Header.Get("Location"), tc.status, want)
		}
		if resp.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("HSTS sent over plain HTTP")
		}
	}
	// Plain HTTP on the HTTPS port is refused, not served.
	if resp, err := http.Get("http://" + strings.TrimPrefix(base, "https://") + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("the HTTPS port answered plain HTTP")
		}
	}
}

// TestTLSConfigErrors: certificate flags that cannot work stop the node
// from starting, with a message saying why.
func TestTLSConfigErrors(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	for _, tc := range []struct {
		name string
		cfg  node.Config
		want string
	}{
		{"cert without key", node.Config{TLSCert: certFile}, "go together"},
		{"cert and domain", node.Config{TLSCert: certFile, TLSKey: keyFile, Domain: "chat.example.com"}, "not both"},
		{"key is the cert", node.Config{TLSCert: certFile, TLSKey: certFile}, "TLS certificate"},
		{"missing file", node.Config{TLSCert: certFile + ".nope", TLSKey: keyFile}, "TLS certificate"},
	} {
		tc.cfg.DataDir, tc.cfg.FastHash = t.TempDir(), true
		n, err := node.Start(context.Background(), tc.cfg)
		if err == nil {
			n.Close()
			t.Errorf("%s: started", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
	// A redirect needs HTTPS to redirect to.
	n, err := node.Start(context.Background(), node.Config{DataDir: t.TempDir(), FastHash: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	hl, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	defer hl.Close()
	if err := n.ServeRedirect(context.Background(), ln, hl, time.Second); err == nil || !strings.Contains(err.Error(), "HTTPS") {
		t.Errorf("ServeRedirect without TLS: %v", err)
	}
}

// TestServeTLSFlags: `tack serve --tls-cert --tls-key --http-addr` serves
// HTTPS; --http-addr without a certificate is refused.
func TestServeTLSFlags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	certFile, keyFile, pool := selfSigned(t)
	p := startProcess(t, "--data", t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile, "--http-addr", "127.0.0.1:0")
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("tack serve announced %s, want an https URL", p.URL)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("healthz: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	p.cmd.Process.Signal(os.Interrupt)
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("tack serve did not stop cleanly: %v", err)
	}

	out, err := exec.Command(tackBinary(t), "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--http-addr") {
		t.Errorf("--http-addr without a certificate: %v %s", err, out)
	}
}

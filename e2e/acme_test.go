package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"

	"github.com/tackhq/tack/node"
)

const acmeDomain = "chat.tack-test.example"

// resolver is a DNS server (TCP, as pebble asks it) that answers every A
// question with 127.0.0.1, so that pebble validates against this process.
func resolver(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: ln, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		for _, qq := range q.Question {
			if qq.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: qq.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60},
					A: net.ParseIP("127.0.0.1")})
			}
		}
		_ = w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// pebbleCA runs Let's Encrypt's test CA in this process, validating
// HTTP-01 on httpPort and TLS-ALPN-01 on tlsPort of 127.0.0.1. It returns
// its directory URL, an HTTP client that trusts its API, and its root.
func pebbleCA(t *testing.T, httpPort, tlsPort int) (string, *http.Client, *x509.Certificate) {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")      // no random pauses before validating
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0") // no deliberately rejected nonces
	logger := log.New(io.Discard, "", 0)
	if testing.Verbose() {
		logger = log.New(testWriter{t}, "pebble ", 0)
	}
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "default"}})
	validator := va.New(logger, httpPort, tlsPort, false, resolver(t), store)
	front := wfe.New(logger, store, validator, authority, []string{"pebble.letsencrypt.org"}, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + wfe.DirectoryPath, srv.Client(), authority.GetRootCert(0).Cert
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// fetch connects to addr as a browser visiting https://acmeDomain would,
// trusting only root.
func fetch(t *testing.T, addr string, root *x509.Certificate) *http.Response {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(root)
	hc := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: acmeDomain},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	resp, err := hc.Get("https://" + acmeDomain + "/healthz")
	if err != nil {
		t.Fatalf("GET https://%s/healthz: %v", acmeDomain, err)
	}
	resp.Body.Close()
	return resp
}

// TestACMEWithPebble: with --domain, the first visitor's handshake gets a
// certificate from the ACME CA (pebble, in-process), which every later
// start takes from the database without asking the CA again.
func TestACMEWithPebble(t *testing.T) {
	for _, tc := range []struct {
		name      string
		challenge string
	}{{"tls-alpn-01", "tls-alpn-01"}, {"http-01", "http-01"}} {
		t.Run(tc.name, func(t *testing.T) {
			httpsLn, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			httpsPort := httpsLn.Addr().(*net.TCPAddr).Port
			// The plain-HTTP listener's port is chosen inside tlsNode; pebble
			// must know it first, so reserve one here and hand it over.
			httpLn, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			httpPort := httpLn.Addr().(*net.TCPAddr).Port
			tlsPort := httpsPort
			if tc.challenge == "http-01" {
				tlsPort = 1 // nothing listens: TLS-ALPN-01 fails, autocert falls back to HTTP-01
			}
			dir, hc, root := pebbleCA(t, httpPort, tlsPort)
			dataDir := t.TempDir()
			cfg := node.Config{DataDir: dataDir, Domain: acmeDomain, ACMEDirectory: dir, ACMEHTTPClient: hc, ACMEEmail: "ops@tack-test.example"}
			n, stop := serveACME(t, cfg, httpsLn, httpLn)

			resp := fetch(t, httpsLn.Addr().String(), root)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Strict-Transport-Security") != node.HSTS {
				t.Fatalf("healthz over the ACME certificate: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
			}
			leaf := resp.TLS.PeerCertificates[0]
			if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != acmeDomain {
				t.Errorf("certificate names %v, want [%s]", leaf.DNSNames, acmeDomain)
			}
			if _, err := n.Store.(node.CertStore).ACMEGet(context.Background(), acmeDomain); err != nil {
				t.Errorf("the certificate is not in the database: %v", err)
			}

			// Plain HTTP redirects to the domain.
			noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			r, err := noFollow.Get("http://" + httpLn.Addr().String() + "/c/x")
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if want := "https://" + acmeDomain + ":" + strconv.Itoa(httpsPort) + "/c/x"; r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != want {
				t.Errorf("redirect %d %s, want 301 %s", r.StatusCode, r.Header.Get("Location"), want)
			}

			// Restarted with no CA to reach, the node serves the certificate
			// it keeps in its database.
			stop()
			httpsLn, err = net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			cfg.ACMEDirectory = "https://127.0.0.1:1/dir"
			serveACME(t, cfg, httpsLn, nil)
			again := fetch(t, httpsLn.Addr().String(), root)
			if got := again.TLS.PeerCertificates[0]; !got.Equal(leaf) {
				t.Errorf("after a restart the node serves another certificate (serial %v, was %v)", got.SerialNumber, leaf.SerialNumber)
			}
		})
	}
}

// serveACME starts a node on the given listeners; stop (also run when the
// test ends) stops it.
func serveACME(t *testing.T, cfg node.Config, httpsLn, httpLn net.Listener) (n *node.Node, stop func()) {
	t.Helper()
	cfg.FastHash = true
	n, err := node.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.ServeRedirect(ctx, httpsLn, httpLn, 5*time.Second) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("the node did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return n, stop
}

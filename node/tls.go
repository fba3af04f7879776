package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"

	"github.com/tackhq/tack"
)

// HSTS is the Strict-Transport-Security header of every HTTPS response: a
// year, this host only (subdomains may be other people's services).
const HSTS = "max-age=31536000"

// CertStore keeps ACME data (account key, certificates, challenge tokens)
// in the database, so that every node of a deployment shares one
// certificate. Both stores implement it. ACMEGet returns tack.ErrNotFound
// for a missing key.
type CertStore interface {
	ACMEGet(ctx context.Context, key string) ([]byte, error)
	ACMEPut(ctx context.Context, key string, data []byte) error
	ACMEDelete(ctx context.Context, key string) error
}

// certCache adapts a CertStore to autocert.Cache.
type certCache struct{ s CertStore }

func (c certCache) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := c.s.ACMEGet(ctx, key)
	if errors.Is(err, tack.ErrNotFound) {
		return nil, autocert.ErrCacheMiss
	}
	return b, err
}

func (c certCache) Put(ctx context.Context, key string, data []byte) error {
	return c.s.ACMEPut(ctx, key, data)
}

func (c certCache) Delete(ctx context.Context, key string) error { return c.s.ACMEDelete(ctx, key) }

// setupTLS prepares HTTPS from cfg: a certificate from files, or one from
// an ACME CA for cfg.Domain. It leaves n.tls nil for plain HTTP.
func (n *Node) setupTLS(cfg Config) error {
	files := cfg.TLSCert != "" || cfg.TLSKey != ""
	switch {
	case files && cfg.Domain != "":
		return errors.New("use either a certificate (--tls-cert, --tls-key) or --domain, not both")
	case files && (cfg.TLSCert == "" || cfg.TLSKey == ""):
		return errors.New("--tls-cert and --tls-key go together")
	case files:
		kp := &keyPair{cert: cfg.TLSCert, key: cfg.TLSKey}
		if _, err := kp.load(); err != nil {
			return err
		}
		n.tls = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: kp.get}
	case cfg.Domain != "":
		cs, ok := n.Store.(CertStore)
		if !ok {
			return errors.New("--domain: the store keeps no certificates")
		}
		dir := cfg.ACMEDirectory
		if dir == "" {
			dir = autocert.DefaultACMEDirectory
		}
		n.acme = &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      certCache{cs},
			HostPolicy: hostPolicy(cfg.Domain),
			Email:      cfg.ACMEEmail,
			Client:     &acme.Client{DirectoryURL: dir, HTTPClient: cfg.ACMEHTTPClient},
		}
		n.tls = n.acme.TLSConfig()
		n.tls.MinVersion = tls.VersionTLS12
	}
	n.domain = cfg.Domain
	return nil
}

// hostPolicy admits only domain. It ignores a port in the name: HTTP-01
// challenges arrive with a Host of "domain:port" when the CA checks a port
// other than 80 (test CAs do).
func hostPolicy(domain string) autocert.HostPolicy {
	only := autocert.HostWhitelist(domain)
	return func(ctx context.Context, host string) error {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		return only(ctx, host)
	}
}

// keyPair serves a certificate from files, reloading it when the files
// change (a renewal by certbot or the like needs no restart).
type keyPair struct {
	cert, key string
	mu        sync.Mutex
	c         *tls.Certificate
	mod       time.Time
	checked   time.Time
}

func (k *keyPair) load() (*tls.Certificate, error) {
	c, err := tls.LoadX509KeyPair(k.cert, k.key)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	return &c, nil
}

func (k *keyPair) modTime() time.Time {
	var t time.Time
	for _, f := range []string{k.cert, k.key} {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(t) {
			t = fi.ModTime()
		}
	}
	return t
}

func (k *keyPair) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.c != nil && time.Since(k.checked) < 10*time.Second {
		return k.c, nil
	}
	k.checked = time.Now()
	if mod := k.modTime(); k.c == nil || mod.After(k.mod) {
		c, err := k.load()
		if err != nil {
			if k.c != nil {
				return k.c, nil // half-written renewal: keep the old one
			}
			return nil, err
		}
		k.c, k.mod = c, mod
	}
	return k.c, nil
}

// TLS reports whether the node serves HTTPS.
func (n *Node) TLS() bool { return n.tls != nil }

// withHSTS adds Strict-Transport-Security to every response.
func withHSTS(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", HSTS)
		h.ServeHTTP(w, r)
	})
}

// redirect sends plain-HTTP requests to the same path over HTTPS on
// httpsPort: GET and HEAD with 301, other methods with 308 (which keeps
// the method and body).
func (n *Node) redirect(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := n.domain
		if host == "" {
			host = r.Host
			if h, _, err := net.SplitHostPort(r.Host); err == nil {
				host = h
			}
		}
		if host == "" {
			http.Error(w, "Use HTTPS", http.StatusBadRequest)
			return
		}
		if httpsPort != "443" && httpsPort != "" {
			host = net.JoinHostPort(host, httpsPort)
		} else if net.ParseIP(host) != nil && net.ParseIP(host).To4() == nil {
			host = "[" + host + "]"
		}
		status := http.StatusMovedPermanently
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			status = http.StatusPermanentRedirect
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), status)
	})
}

// serverLog takes the HTTP servers' own messages into the node's log: TLS
// handshake failures (scanners, clients speaking HTTP to the HTTPS port,
// expired clients) at debug level, anything else as a warning.
type serverLog struct{ log *slog.Logger }

func (l serverLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if strings.Contains(msg, "TLS handshake error") {
		l.log.Debug("http server", "msg", msg)
	} else {
		l.log.Warn("http server", "msg", msg)
	}
	return len(p), nil
}

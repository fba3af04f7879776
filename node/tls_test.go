package node

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writePair(t *testing.T, dir, cn string, mod time.Time) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	for name, b := range map[string]*pem.Block{"cert.pem": {Type: "CERTIFICATE", Bytes: der}, "key.pem": {Type: "EC PRIVATE KEY", Bytes: kb}} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCertificateReload: renewed certificate files are picked up without a
// restart; a half-written renewal keeps the old certificate.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Now().Add(-time.Hour)
	writePair(t, dir, "first", t0)
	kp := &keyPair{cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem")}
	cn := func() string {
		t.Helper()
		c, err := kp.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(c.Certificate[0])
		return leaf.Subject.CommonName
	}
	if got := cn(); got != "first" {
		t.Fatalf("serves %q", got)
	}
	writePair(t, dir, "renewed", t0.Add(time.Minute))
	if got := cn(); got != "first" {
		t.Errorf("re-read the files within the check interval: %q", got)
	}
	kp.checked = time.Time{} // the interval passed
	if got := cn(); got != "renewed" {
		t.Errorf("after renewal serves %q, want renewed", got)
	}
	if err := os.WriteFile(kp.key, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	kp.checked = time.Time{}
	if got := cn(); got != "renewed" {
		t.Errorf("with a broken key file serves %q, want the last good one", got)
	}
}

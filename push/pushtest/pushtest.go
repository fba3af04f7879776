// Package pushtest is a browser and its push service, in the test process:
// a subscription with keys made as a browser makes them, an HTTP endpoint
// that receives what Tack pushes, and the receiving side of RFC 8291
// (decryption) and RFC 8292 (checking the VAPID signature), written from
// the RFCs independently of the sending library.
package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

var b64 = base64.RawURLEncoding

// Push is one request the endpoint received.
type Push struct {
	Header http.Header
	Body   []byte
	// Status is what the endpoint answered.
	Status int
}

// Browser is a subscribed browser with its own push service endpoint.
type Browser struct {
	Endpoint string
	P256dh   string // base64url, as PushSubscription.toJSON() gives it
	Auth     string

	priv   *ecdh.PrivateKey
	secret []byte
	srv    *httptest.Server
	pushes chan Push

	mu      sync.Mutex
	answers []answer
}

type answer struct {
	status     int
	retryAfter string
}

// NewBrowser makes a browser key pair and auth secret and starts its push
// endpoint (plain HTTP on 127.0.0.1), stopped when the test ends.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	b := &Browser{priv: priv, secret: secret, pushes: make(chan Push, 64),
		P256dh: b64.EncodeToString(priv.PublicKey().Bytes()), Auth: b64.EncodeToString(secret)}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	b.Endpoint = b.srv.URL + "/wpush/v2/" + strings.Repeat("x", 8) + fmt.Sprint(time.Now().UnixNano())
	return b
}

// Respond makes the endpoint answer the next requests with these statuses
// (429 and 503 with Retry-After: 0), then 201 again.
func (b *Browser) Respond(statuses ...int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range statuses {
		a := answer{status: s}
		if s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable {
			a.retryAfter = "0"
		}
		b.answers = append(b.answers, a)
	}
}

func (b *Browser) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	b.mu.Lock()
	a := answer{status: http.StatusCreated}
	if len(b.answers) > 0 {
		a, b.answers = b.answers[0], b.answers[1:]
	}
	b.mu.Unlock()
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	select {
	case b.pushes <- Push{Header: r.Header.Clone(), Body: body, Status: a.status}:
	default:
	}
}

// Subscription is the browser's PushSubscription as JSON.
func (b *Browser) Subscription() map[string]any {
	return map[string]any{"endpoint": b.Endpoint, "expirationTime": nil,
		"keys": map[string]string{"p256dh": b.P256dh, "auth": b.Auth}}
}

// Next waits up to timeout for the next push, failing the test if none
// comes.
func (b *Browser) Next(t testing.TB, timeout time.Duration) Push {
	t.Helper()
	select {
	case p := <-b.pushes:
		return p
	case <-time.After(timeout):
		t.Fatalf("no push reached %s within %v", b.srv.URL, timeout)
		return Push{}
	}
}

// Pending returns the pushes received and not yet taken by Next.
func (b *Browser) Pending() []Push {
	var out []Push
	for {
		select {
		case p := <-b.pushes:
			out = append(out, p)
		default:
			return out
		}
	}
}

// Decrypt opens an aes128gcm body (RFC 8188) encrypted for this browser
// (RFC 8291) and returns the plaintext without its padding.
func (b *Browser) Decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt := body[:16]
	rs := binary.BigEndian.Uint32(body[16:20])
	idlen := int(body[20])
	if len(body) < 21+idlen || idlen != 65 {
		return nil, fmt.Errorf("key id of %d bytes, want the 65-byte sender key", idlen)
	}
	asPublic := body[21 : 21+idlen]
	records := body[21+idlen:]
	if rs < 18 || len(records) > int(rs) {
		return nil, fmt.Errorf("record size %d for %d bytes: Web Push allows one record", rs, len(records))
	}
	as, err := ecdh.P256().NewPublicKey(asPublic)
	if err != nil {
		return nil, fmt.Errorf("sender key: %w", err)
	}
	shared, err := b.priv.ECDH(as)
	if err != nil {
		return nil, err
	}
	// RFC 8291 §3.3/3.4: IKM from the ECDH secret and the auth secret.
	mac := hmac.New(sha256.New, b.secret)
	mac.Write(shared)
	prkKey := mac.Sum(nil)
	info := append([]byte("WebPush: info\x00"), b.priv.PublicKey().Bytes()...)
	info = append(info, asPublic...)
	mac = hmac.New(sha256.New, prkKey)
	mac.Write(append(info, 1))
	ikm := mac.Sum(nil)
	// RFC 8188 §2.2: key and nonce from IKM and the salt.
	prk, err := hkdf.Extract(sha256.New, ikm, salt)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Expand(sha256.New, prk, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, records, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %w", err)
	}
	// The last record ends with 0x02 and zero padding.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 || plain[i] != 2 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:i], nil
}

// Open checks a push as a push service and a browser would: the VAPID
// Authorization header signed by the key serverKey (base64url), for this
// endpoint's origin, not expired; the aes128gcm encoding; then decrypts
// the body and decodes its JSON into v.
func (b *Browser) Open(p Push, serverKey string, v any) error {
	if err := VerifyVAPID(p.Header.Get("Authorization"), b.Endpoint, serverKey); err != nil {
		return err
	}
	if ce := p.Header.Get("Content-Encoding"); ce != "aes128gcm" {
		return fmt.Errorf("Content-Encoding %q, want aes128gcm", ce)
	}
	plain, err := b.Decrypt(p.Body)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("payload %s: %w", plain, err)
	}
	return nil
}

// VerifyVAPID checks an Authorization header of RFC 8292: "vapid t=JWT,
// k=KEY", KEY being serverKey and JWT an ES256 token signed by it whose aud
// is endpoint's origin, exp in the next 24 hours, and sub a mailto: or
// https: contact.
func VerifyVAPID(header, endpoint, serverKey string) error {
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return fmt.Errorf("Authorization %q is not a vapid one", header)
	}
	var token, key string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			token = v
		case "k":
			key = v
		}
	}
	if key != serverKey {
		return fmt.Errorf("vapid k=%s, want the server's key %s", key, serverKey)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("vapid t is not a JWT")
	}
	hdr, err := b64.DecodeString(parts[0])
	if err != nil {
		return err
	}
	var h struct{ Alg, Typ string }
	if err := json.Unmarshal(hdr, &h); err != nil || h.Alg != "ES256" {
		return fmt.Errorf("JWT header %s: want alg ES256", hdr)
	}
	raw, err := b64.DecodeString(key)
	if err != nil {
		return err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return fmt.Errorf("vapid k: %w", err)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return errors.New("JWT signature is not 64 bytes")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("JWT signature does not verify with the server's key")
	}
	body, err := b64.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(body, &claims); err != nil {
		return err
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	if want := u.Scheme + "://" + u.Host; claims.Aud != want {
		return fmt.Errorf("JWT aud %q, want %q", claims.Aud, want)
	}
	exp := time.Unix(claims.Exp, 0)
	if !exp.After(time.Now()) || exp.After(time.Now().Add(24*time.Hour)) {
		return fmt.Errorf("JWT exp %v is not within the next 24 hours", exp)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:") {
		return fmt.Errorf("JWT sub %q is neither mailto: nor https:", claims.Sub)
	}
	return nil
}

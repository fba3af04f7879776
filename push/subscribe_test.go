package push_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/push"
)

// session makes a user with a signed-in session and returns its caller.
func (f *fixture) session(t *testing.T) context.Context {
	t.Helper()
	ctx := context.Background()
	u := account.User{ID: tack.NewID(), Login: "s." + string(tack.NewID()) + "@example.com", Name: "S", CreatedAt: time.Now()}
	if err := f.db.CreateUser(ctx, u, "x"); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(tack.NewID()))
	s := account.Session{ID: tack.NewID(), UserID: u.ID, TokenHash: h[:], CreatedAt: time.Now(), LastSeenAt: time.Now()}
	if err := f.db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	return tack.WithCaller(ctx, tack.Caller{UserID: u.ID, SessionID: s.ID})
}

// browserKeys are a browser's subscription keys, base64url.
func browserKeys(t *testing.T) (p256dh, auth string) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec := make([]byte, 16)
	rand.Read(sec)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(sec)
}

func subInput(endpoint, p256dh, auth string) push.SubscriptionInput {
	in := push.SubscriptionInput{Endpoint: endpoint}
	in.Keys.P256dh, in.Keys.Auth = p256dh, auth
	return in
}

// TestSubscribeEndpoints states which push endpoints a subscription may
// name: https on a host of the internet, no user info or fragment, at most
// MaxEndpoint bytes; http on loopback only where loopback is allowed.
func TestSubscribeEndpoints(t *testing.T) {
	f := newFixture(t)
	strict := f.service(t, nil, push.Config{})
	loose := f.service(t, nil, push.Config{AllowLoopback: true})
	p, a := browserKeys(t)
	long := "https://push.example.com/"
	long += strings.Repeat("a", push.MaxEndpoint-len(long))
	for _, c := range []struct {
		endpoint     string
		strict, lose bool // accepted by each
	}{
		{"https://push.example.com/wpush/abc", true, true},
		{long, true, true},
		{long + "a", false, false},
		{"", false, false},
		{"push.example.com/abc", false, false},
		{"mailto:push@example.com", false, false},
		{"https://user:pw@push.example.com/abc", false, false},
		{"https://push.example.com/abc#frag", false, false},
		{"http://push.example.com/abc", false, false},
		{"ftp://push.example.com/abc", false, false},
		{"http://127.0.0.1:8080/wpush/1", false, true},
		{"http://localhost:8080/wpush/1", false, true},
		{"http://[::1]:8080/wpush/1", false, true},
		{"https://localhost/wpush/1", false, true},
		{"https://127.0.0.2/wpush/1", false, true},
		{"http://10.0.0.1/wpush/1", false, false},
		{"https://10.0.0.1/wpush/1", false, false},
		{"https://192.168.1.1/wpush/1", false, false},
		{"https://100.64.0.1/wpush/1", false, false},
		{"https://[fe80::1]/wpush/1", false, false},
		{"https://0.0.0.0/wpush/1", false, false},
		{"https://8.8.8.8/wpush/1", true, true},
		{"https://[2001:4860:4860::8888]/wpush/1", true, true},
	} {
		for _, s := range []struct {
			svc  *push.Service
			want bool
			name string
		}{{strict, c.strict, "strict"}, {loose, c.lose, "loopback allowed"}} {
			_, err := s.svc.Subscribe(f.session(t), subInput(c.endpoint, p, a))
			if (err == nil) != s.want {
				t.Errorf("%s: %.60q: %v, want accepted %v", s.name, c.endpoint, err, s.want)
			}
			if err != nil && tack.ErrorCode(err) != tack.EInvalid {
				t.Errorf("%s: %.60q: %v, want invalid", s.name, c.endpoint, err)
			}
		}
	}
}

func TestSubscribeKeys(t *testing.T) {
	f := newFixture(t)
	svc := f.service(t, nil, push.Config{})
	const ep = "https://push.example.com/wpush/"
	p, a := browserKeys(t)
	raw, _ := base64.RawURLEncoding.DecodeString(p)
	sec, _ := base64.RawURLEncoding.DecodeString(a)
	offCurve := append([]byte{4}, make([]byte, 64)...)
	for name, c := range map[string]struct {
		p256dh, auth string
		ok           bool
	}{
		"base64url":               {p, a, true},
		"standard base64, padded": {base64.StdEncoding.EncodeToString(raw), base64.StdEncoding.EncodeToString(sec), true},
		"no p256dh":               {"", a, false},
		"p256dh not base64":       {"!!!", a, false},
		"p256dh of 64 bytes":      {base64.RawURLEncoding.EncodeToString(raw[:64]), a, false},
		"p256dh of 66 bytes":      {base64.RawURLEncoding.EncodeToString(append(raw, 0)), a, false},
		"p256dh not on the curve": {base64.RawURLEncoding.EncodeToString(offCurve), a, false},
		"no auth":                 {p, "", false},
		"auth not base64":         {p, "*", false},
		"auth of 15 bytes":        {p, base64.RawURLEncoding.EncodeToString(sec[:15]), false},
		"auth of 17 bytes":        {p, base64.RawURLEncoding.EncodeToString(append(sec, 1)), false},
	} {
		sub, err := svc.Subscribe(f.session(t), subInput(ep+string(tack.NewID()), c.p256dh, c.auth))
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want accepted %v", name, err, c.ok)
			continue
		}
		if err != nil {
			if tack.ErrorCode(err) != tack.EInvalid {
				t.Errorf("%s: %v, want invalid", name, err)
			}
			continue
		}
		if sub.P256dh != p || sub.Auth != a {
			t.Errorf("%s: keys stored as %q, %q; want base64url without padding", name, sub.P256dh, sub.Auth)
		}
	}
}

func TestSubscribeExpiry(t *testing.T) {
	f := newFixture(t)
	svc := f.service(t, nil, push.Config{})
	p, a := browserKeys(t)
	future := time.Now().Add(time.Hour).Truncate(time.Millisecond)
	for name, c := range map[string]struct {
		ms float64
		ok bool
	}{
		"in an hour":                           {float64(future.UnixMilli()), true},
		"zero":                                 {0, false},
		"negative":                             {-1, false},
		"a minute ago":                         {float64(time.Now().Add(-time.Minute).UnixMilli()), false},
		"past 1e15":                            {1e15 + 1, false},
		"seconds by mistake, not milliseconds": {float64(time.Now().Unix()), false},
	} {
		in := subInput("https://push.example.com/wpush/"+string(tack.NewID()), p, a)
		in.ExpirationTime = &c.ms
		sub, err := svc.Subscribe(f.session(t), in)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want accepted %v", name, err, c.ok)
		} else if err == nil && !sub.ExpiresAt.Equal(future) {
			t.Errorf("%s: expires at %v, want %v", name, sub.ExpiresAt, future)
		}
	}
	// 1e15 ms (year 33658) is the largest accepted.
	ms := 1e15
	in := subInput("https://push.example.com/wpush/"+string(tack.NewID()), p, a)
	in.ExpirationTime = &ms
	if _, err := svc.Subscribe(f.session(t), in); err != nil {
		t.Errorf("expirationTime 1e15: %v", err)
	}
	if _, err := svc.Subscribe(context.Background(), subInput("https://push.example.com/wpush/x", p, a)); tack.ErrorCode(err) != tack.EUnauthorized {
		t.Errorf("signed out: %v", err)
	}
}

func TestUnsubscribeAndSettings(t *testing.T) {
	f := newFixture(t)
	svc := f.service(t, nil, push.Config{})
	p, a := browserKeys(t)
	ctx := f.session(t)
	ep := "https://push.example.com/wpush/" + string(tack.NewID())
	if _, err := svc.Subscribe(ctx, subInput(ep, p, a)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Unsubscribe(f.session(t), ep); tack.ErrorCode(err) != tack.ENotFound {
		t.Errorf("someone else unsubscribes: %v, want not found", err)
	}
	for _, c := range []struct{ ep, code string }{
		{"", tack.EInvalid},
		{strings.Repeat("a", push.MaxEndpoint+1), tack.ENotFound},
		{ep + "x", tack.ENotFound},
		{ep, ""},
		{ep, tack.ENotFound},
	} {
		if err := svc.Unsubscribe(ctx, c.ep); tack.ErrorCode(err) != c.code {
			t.Errorf("Unsubscribe(%.40q): %v, want %q", c.ep, err, c.code)
		}
	}
	if err := svc.Unsubscribe(context.Background(), ep); tack.ErrorCode(err) != tack.EUnauthorized {
		t.Errorf("Unsubscribe signed out: %v", err)
	}

	if _, err := svc.Settings(context.Background()); tack.ErrorCode(err) != tack.EUnauthorized {
		t.Errorf("Settings signed out: %v", err)
	}
	if _, err := svc.SetSettings(context.Background(), push.Settings{}); tack.ErrorCode(err) != tack.EUnauthorized {
		t.Errorf("SetSettings signed out: %v", err)
	}
	if s, err := svc.Settings(ctx); err != nil || s.Previews {
		t.Errorf("default settings %+v, %v: previews are off", s, err)
	}
	if _, err := svc.SetSettings(ctx, push.Settings{Previews: true}); err != nil {
		t.Fatal(err)
	}
	if s, err := svc.Settings(ctx); err != nil || !s.Previews {
		t.Errorf("settings %+v, %v after turning previews on", s, err)
	}
	if svc.Key() != f.keys.Public {
		t.Error("Key is not the deployment's public key")
	}
}

func TestPublicIP(t *testing.T) {
	for ip, want := range map[string]bool{
		"8.8.8.8":           true,
		"100.63.255.255":    true,
		"100.64.0.0":        false, // carrier-grade NAT, 100.64.0.0/10
		"100.127.255.255":   false,
		"100.128.0.0":       true,
		"99.64.0.1":         true,
		"101.64.0.1":        true,
		"::ffff:100.64.0.1": false,
		"10.1.2.3":          false,
		"172.16.0.1":        false,
		"169.254.1.1":       false,
		"224.0.0.1":         false,
		"127.0.0.1":         false,
		"0.0.0.0":           false,
		"::":                false,
		"::1":               false,
		"fc00::1":           false,
		"ff02::1":           false,
		"ff01::1":           false,
		"2001:db8::1":       true,
	} {
		if got := push.PublicIP(net.ParseIP(ip)); got != want {
			t.Errorf("PublicIP(%s) = %v, want %v", ip, got, want)
		}
	}
}

func TestEndpointHost(t *testing.T) {
	for ep, want := range map[string]string{
		"https://fcm.googleapis.com/fcm/send/secret": "fcm.googleapis.com",
		"https://push.example.com:8443/x":            "push.example.com:8443",
		"%zz":                                        "?",
	} {
		if got := (push.Subscription{Endpoint: ep}).EndpointHost(); got != want {
			t.Errorf("EndpointHost(%q) = %q, want %q", ep, got, want)
		}
	}
}

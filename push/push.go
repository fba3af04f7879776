// Package push is Web Push: the browsers that asked to be told of new
// messages when Tack is not open (their subscriptions, one per signed-in
// session), each person's preview setting, and the rules that decide who
// gets a push for what. Encrypting and posting a push to a push service is
// a Sender's job (push/webpush implements it); this package speaks no HTTP.
//
// Which pushes are sent:
//
//   - a new message in a direct chat, to the other person;
//   - a new message in a group, to the people it @mentions (everyone for
//     @all);
//   - whatever Notify is handed later (DING, approvals).
//
// Never to the sender, never for a conversation the recipient muted, and
// (except urgent notifications) never to someone who has Tack open right
// now on some device (Config.Active): like DingTalk and Slack, the phone
// buzzes when the person is not already looking at the app.
//
// Privacy first: a push carries no message text unless its recipient turned
// previews on (Settings.Previews). The default reads "New message from
// 張三": the sender's name and the conversation ID, nothing of what was said.
//
// Exactly once: pushes for a message are planned by the node that committed
// it (the node feeds HandleEvent from its own publisher, not from events it
// hears on the bus), so a deployment of many nodes pushes each message once.
package push

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/tackhq/tack"
)

// Keys is a deployment's VAPID key pair (RFC 8292), both base64url without
// padding: Public is the uncompressed P-256 point (65 bytes) that browsers
// take as applicationServerKey, Private the 32-byte scalar.
type Keys struct {
	Public  string
	Private string
}

// NewKeys makes a fresh key pair.
func NewKeys() (Keys, error) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return Keys{}, fmt.Errorf("vapid keys: %w", err)
	}
	return Keys{Public: b64.EncodeToString(k.PublicKey().Bytes()), Private: b64.EncodeToString(k.Bytes())}, nil
}

// Check reports whether k is a well-formed P-256 pair whose public half
// belongs to its private half.
func (k Keys) Check() error {
	priv, err := decodeKey(k.Private)
	if err != nil {
		return fmt.Errorf("vapid private key: %w", err)
	}
	pk, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return fmt.Errorf("vapid private key: %w", err)
	}
	pub, err := decodeKey(k.Public)
	if err != nil {
		return fmt.Errorf("vapid public key: %w", err)
	}
	if string(pk.PublicKey().Bytes()) != string(pub) {
		return errors.New("vapid public key does not match the private key")
	}
	return nil
}

var b64 = base64.RawURLEncoding

// decodeKey reads base64url (as browsers give it) or standard base64, with
// or without padding.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "+/") {
		return base64.RawStdEncoding.DecodeString(s)
	}
	return b64.DecodeString(s)
}

// Subscription is one browser's push subscription (the Push API's
// PushSubscription), made on one signed-in session. It lives as long as that
// session: signing out removes it.
type Subscription struct {
	UserID    tack.ID
	SessionID tack.ID
	// Endpoint is the push service URL. It is a capability: whoever knows it
	// can push to the browser. Never log it whole (see EndpointHost).
	Endpoint string
	// P256dh is the browser's ECDH public key (65 bytes), Auth its 16-byte
	// authentication secret; both base64url without padding.
	P256dh string
	Auth   string
	// ExpiresAt is when the push service drops the subscription; zero if
	// it did not say.
	ExpiresAt time.Time
	CreatedAt time.Time
}

// EndpointHost is the host of the subscription's push service, which is
// safe to log (the path identifies the browser).
func (s Subscription) EndpointHost() string {
	if u, err := url.Parse(s.Endpoint); err == nil {
		return u.Host
	}
	return "?"
}

// Target is a subscription with its owner's preferences: what a push is
// sent to.
type Target struct {
	Subscription
	Previews bool
}

// Settings are a person's push preferences.
type Settings struct {
	// Previews puts message text into pushes. Off by default.
	Previews bool `json:"previews"`
}

// Store keeps VAPID keys, subscriptions and settings. It decides nothing.
// All methods are safe for concurrent use, across nodes sharing a database.
type Store interface {
	// VAPIDKeys returns the deployment's key pair. If none is stored yet it
	// stores candidate and returns it; callers racing with different
	// candidates (nodes starting together) all get the same, first stored pair.
	VAPIDKeys(ctx context.Context, candidate Keys) (Keys, error)
	// SaveSubscription stores s. A subscription with the same endpoint (the
	// browser subscribing again, perhaps for someone else who signed in on
	// it) or of the same session (the browser's subscription changed) is
	// replaced: an endpoint belongs to one session, a session has at most
	// one subscription. When the session is deleted, the subscription goes
	// with it. The session must exist (else an error).
	SaveSubscription(ctx context.Context, s Subscription) error
	// DeleteSubscription deletes userID's subscription to endpoint;
	// tack.ErrNotFound if userID has none.
	DeleteSubscription(ctx context.Context, userID tack.ID, endpoint string) error
	// DeleteEndpoint deletes the subscription to endpoint, whoever holds it
	// (the push service said it is gone). No error if there is none.
	DeleteEndpoint(ctx context.Context, endpoint string) error
	// PushTargets returns the subscriptions of users among userIDs, each
	// with its owner's Previews setting, in no particular order.
	PushTargets(ctx context.Context, userIDs []tack.ID) ([]Target, error)
	// PushSettings returns userID's settings; the zero Settings if none
	// were ever saved.
	PushSettings(ctx context.Context, userID tack.ID) (Settings, error)
	SetPushSettings(ctx context.Context, userID tack.ID, s Settings) error
}

// LoadKeys returns the deployment's VAPID keys, making and storing a pair
// if there is none yet.
func LoadKeys(ctx context.Context, store Store) (Keys, error) {
	candidate, err := NewKeys()
	if err != nil {
		return Keys{}, err
	}
	k, err := store.VAPIDKeys(ctx, candidate)
	if err != nil {
		return Keys{}, fmt.Errorf("vapid keys: %w", err)
	}
	if err := k.Check(); err != nil {
		return Keys{}, fmt.Errorf("stored %w", err)
	}
	return k, nil
}

// Limits of a subscription.
const (
	MaxEndpoint = 2048
	p256dhLen   = 65
	authLen     = 16
)

// SubscriptionInput is a browser's PushSubscription as its toJSON() gives
// it: {endpoint, expirationTime, keys: {p256dh, auth}}.
type SubscriptionInput struct {
	Endpoint string `json:"endpoint"`
	// ExpirationTime is milliseconds since 1970 (a DOMHighResTimeStamp), or
	// null.
	ExpirationTime *float64 `json:"expirationTime"`
	Keys           struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
}

// checkEndpoint validates a push service URL: https on a host of the
// internet. allowLoopback also admits http://127.0.0.1, http://[::1] and
// http://localhost (tests run a push service in-process).
func checkEndpoint(raw string, allowLoopback bool) error {
	if raw == "" {
		return tack.Invalid("endpoint", "endpoint is required")
	}
	if len(raw) > MaxEndpoint {
		return tack.Invalid("endpoint", "endpoint is longer than %d bytes", MaxEndpoint)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return tack.Invalid("endpoint", "endpoint is not an absolute URL")
	}
	if u.User != nil {
		return tack.Invalid("endpoint", "endpoint must not carry a user name or password")
	}
	if u.Fragment != "" {
		return tack.Invalid("endpoint", "endpoint must not have a #fragment")
	}
	host := u.Hostname()
	loopback := host == "localhost"
	ip := net.ParseIP(host)
	if ip != nil {
		loopback = ip.IsLoopback()
	}
	switch {
	case u.Scheme == "http" && allowLoopback && loopback:
		return nil
	case u.Scheme != "https":
		return tack.Invalid("endpoint", "endpoint must be an https URL")
	case loopback && allowLoopback:
		return nil
	case loopback || ip != nil && !PublicIP(ip):
		return tack.Invalid("endpoint", "endpoint must be a push service on the internet")
	}
	return nil
}

// PublicIP reports whether ip is an address of the internet: not loopback,
// private, link-local, multicast or unspecified. Pushes go only there, so
// that a made-up endpoint cannot make the server post into its own network.
func PublicIP(ip net.IP) bool {
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || isCGNAT(ip))
}

func isCGNAT(ip net.IP) bool {
	v4 := ip.To4()
	return v4 != nil && v4[0] == 100 && v4[1]&0xc0 == 64 // 100.64.0.0/10
}

// checkKeys validates the browser's keys and returns them in base64url
// without padding.
func checkKeys(p256dh, auth string) (string, string, error) {
	if p256dh == "" {
		return "", "", tack.Invalid("keys.p256dh", "keys.p256dh is required")
	}
	pub, err := decodeKey(p256dh)
	if err != nil {
		return "", "", tack.Invalid("keys.p256dh", "keys.p256dh is not base64url")
	}
	if len(pub) != p256dhLen {
		return "", "", tack.Invalid("keys.p256dh", "keys.p256dh must be a %d-byte P-256 public key, not %d bytes", p256dhLen, len(pub))
	}
	if _, err := ecdh.P256().NewPublicKey(pub); err != nil {
		return "", "", tack.Invalid("keys.p256dh", "keys.p256dh is not a point on P-256")
	}
	if auth == "" {
		return "", "", tack.Invalid("keys.auth", "keys.auth is required")
	}
	sec, err := decodeKey(auth)
	if err != nil {
		return "", "", tack.Invalid("keys.auth", "keys.auth is not base64url")
	}
	if len(sec) != authLen {
		return "", "", tack.Invalid("keys.auth", "keys.auth must be %d bytes, not %d", authLen, len(sec))
	}
	return b64.EncodeToString(pub), b64.EncodeToString(sec), nil
}

// Subscribe saves the caller's browser subscription for the caller's
// session, replacing the session's previous one.
func (s *Service) Subscribe(ctx context.Context, in SubscriptionInput) (Subscription, error) {
	c, ok := tack.CallerFrom(ctx)
	if !ok {
		return Subscription{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if err := checkEndpoint(in.Endpoint, s.cfg.AllowLoopback); err != nil {
		return Subscription{}, err
	}
	p256dh, auth, err := checkKeys(in.Keys.P256dh, in.Keys.Auth)
	if err != nil {
		return Subscription{}, err
	}
	now := s.clock.Now()
	sub := Subscription{UserID: c.UserID, SessionID: c.SessionID, Endpoint: in.Endpoint, P256dh: p256dh, Auth: auth, CreatedAt: now}
	if t := in.ExpirationTime; t != nil {
		ms := *t
		if ms <= 0 || ms > 1e15 {
			return Subscription{}, tack.Invalid("expirationTime", "expirationTime must be null or milliseconds since 1970")
		}
		sub.ExpiresAt = time.UnixMilli(int64(ms)).UTC()
		if !sub.ExpiresAt.After(now) {
			return Subscription{}, tack.Invalid("expirationTime", "the subscription has already expired")
		}
	}
	if err := s.store.SaveSubscription(ctx, sub); err != nil {
		return Subscription{}, fmt.Errorf("save subscription: %w", err)
	}
	return sub, nil
}

// Unsubscribe deletes the caller's subscription to endpoint; ENotFound if
// the caller has none.
func (s *Service) Unsubscribe(ctx context.Context, endpoint string) error {
	uid := tack.UserID(ctx)
	if uid == "" {
		return tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if endpoint == "" {
		return tack.Invalid("endpoint", "endpoint is required")
	}
	if len(endpoint) > MaxEndpoint {
		return tack.Errorf(tack.ENotFound, "no such subscription")
	}
	err := s.store.DeleteSubscription(ctx, uid, endpoint)
	if errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "no such subscription")
	}
	return err
}

// Settings returns the caller's push settings.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return Settings{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return s.store.PushSettings(ctx, uid)
}

// SetSettings replaces the caller's push settings.
func (s *Service) SetSettings(ctx context.Context, set Settings) (Settings, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return Settings{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if err := s.store.SetPushSettings(ctx, uid, set); err != nil {
		return Settings{}, fmt.Errorf("push settings: %w", err)
	}
	return set, nil
}

// Key is the VAPID public key browsers subscribe with
// (applicationServerKey): base64url of the uncompressed P-256 point.
func (s *Service) Key() string { return s.keys.Public }

package account

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/limit"
)

// KnownDevice is a device on which a user has signed in before. The device
// keeps a random token; the store keeps its SHA-256 hash.
type KnownDevice struct {
	TokenHash  []byte
	UserID     tack.ID
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// DeviceStore keeps known devices.
type DeviceStore interface {
	// CreateKnownDevice stores d and deletes the oldest (by LastUsedAt)
	// known devices of d.UserID beyond the newest keep.
	CreateKnownDevice(ctx context.Context, d KnownDevice, keep int) error
	// KnownDevice returns the device whose token has hash; tack.ErrNotFound
	// if there is none.
	KnownDevice(ctx context.Context, hash []byte) (KnownDevice, error)
	// TouchKnownDevice sets a device's LastUsedAt; no such device is no error.
	TouchKnownDevice(ctx context.Context, hash []byte, at time.Time) error
}

const (
	// deviceLifetime: a device unused this long is no longer known.
	deviceLifetime = 365 * 24 * time.Hour
	// devicesPerUser bounds the known devices kept per user.
	devicesPerUser = 20
)

// bucket is one limiter key.
type bucket struct {
	k   *limit.Keyed
	key string
}

// SignIn checks a login and password and, if they match, opens a session
// on dev.
//
// Attempts are limited before the password is checked: each attempt takes
// a token from its buckets first and gets it back only if the password was
// right, so a burst of concurrent guesses cannot all reach the check. The
// buckets, so that a stranger cannot lock the owner out:
//
//   - from a device the user signed in on before (dev.Token, see Auth),
//     one bucket for that device alone: failures elsewhere never block it;
//   - otherwise, per login and client address (strict: a few guesses, then
//     one every few minutes), per login from anywhere (loose), and per
//     address for every login (password spraying).
//
// Past a limit the attempt fails with tack.ERateLimited, its RetryAfter
// saying when the next may succeed, without checking the password.
//
// A user with two-factor sign-in on must also give code (SignInWithCode):
// a current authenticator code or a recovery code, each working once.
// Without one the answer is EUnauthorized with Field "code" (and the limits
// are not charged: the password was right); a wrong code is a failure like
// a wrong password.
func (s *Service) SignIn(ctx context.Context, login, password string, dev Device) (Auth, error) {
	return s.SignInWithCode(ctx, login, password, "", dev)
}

// SignInWithCode is SignIn with a second-factor code.
func (s *Service) SignInWithCode(ctx context.Context, login, password, code string, dev Device) (Auth, error) {
	norm, nerr := NormalizeLogin(login)
	if nerr != nil {
		norm = strings.ToLower(strings.TrimSpace(login))
		if len(norm) > 256 {
			norm = norm[:256]
		}
	}
	var u User
	hash, found := "", false
	if nerr == nil {
		var err error
		u, hash, err = s.userByLogin(ctx, norm)
		if err != nil && !errors.Is(err, tack.ErrNotFound) {
			return Auth{}, fmt.Errorf("sign in: %w", err)
		}
		found = err == nil
	}
	now := time.Now()
	var devHash []byte
	known := false
	if found && dev.Token != "" && len(dev.Token) <= 100 {
		devHash = hashToken(dev.Token)
		d, err := s.store.KnownDevice(ctx, devHash)
		known = err == nil && d.UserID == u.ID && s.clock.Now().Sub(d.LastUsedAt) < deviceLifetime
	}
	var buckets []bucket
	if known {
		buckets = []bucket{{s.device, hex.EncodeToString(devHash)}}
	} else {
		ak := addressKey(dev.Address)
		buckets = []bucket{{s.loginAddr, norm + "\x00" + ak}, {s.login, norm}, {s.addr, ak}}
	}
	for i, b := range buckets {
		if ok, wait := b.k.Take(b.key, now); !ok {
			for _, t := range buckets[:i] {
				t.k.Give(t.key, now)
			}
			return Auth{}, tack.RateLimited(wait, "too many failed sign-ins; try again in %s", humanWait(wait))
		}
	}
	fail := tack.Errorf(tack.EUnauthorized, "wrong login or password")
	if !found {
		// Spend the same time as a real check so that timing does not
		// reveal which logins exist.
		_, _ = s.hasher.verify(ctx, password, dummyHash)
		return Auth{}, fail
	}
	ok, err := s.hasher.verify(ctx, password, hash)
	if err != nil {
		return Auth{}, fmt.Errorf("sign in: %w", err)
	}
	if !ok {
		return Auth{}, fail
	}
	has, err := s.HasSecondFactor(ctx, u.ID)
	if err != nil {
		return Auth{}, fmt.Errorf("sign in: %w", err)
	}
	if has {
		if strings.TrimSpace(code) == "" {
			for _, b := range buckets {
				b.k.Give(b.key, now)
			}
			return Auth{}, &tack.Error{Code: tack.EUnauthorized, Field: "code", Message: "enter the 6-digit code from your authenticator app, or a recovery code"}
		}
		ok, err := s.secondFactorOK(ctx, u.ID, code)
		if err != nil {
			return Auth{}, fmt.Errorf("sign in: %w", err)
		}
		if !ok {
			return Auth{}, &tack.Error{Code: tack.EUnauthorized, Field: "code", Message: "wrong or used code"}
		}
	}
	for _, b := range buckets {
		b.k.Give(b.key, now)
	}
	a := Auth{User: u}
	if a.Token, a.Session, err = s.newSession(ctx, u.ID, dev); err != nil {
		return Auth{}, err
	}
	if known {
		_ = s.store.TouchKnownDevice(ctx, devHash, s.clock.Now())
	} else {
		a.DeviceToken = s.rememberDevice(ctx, u.ID)
		if fn := s.alert.Load(); fn != nil {
			// Told in the background: the sign-in does not wait for it.
			go (*fn)(context.WithoutCancel(ctx), u, a.Session, dev)
		}
	}
	return a, nil
}

// SignInAlert is told of each sign-in from a device the user has not
// signed in on before (no known-device token): the node posts a message
// from the account security bot. It runs on a goroutine of its own.
type SignInAlert func(ctx context.Context, u User, s Session, dev Device)

// OnNewDevice sets the SignInAlert (nil: none).
func (s *Service) OnNewDevice(fn SignInAlert) {
	if fn == nil {
		s.alert.Store(nil)
		return
	}
	s.alert.Store(&fn)
}

// userByLogin finds a user by a normalised login, or by an older spelling
// of it (see LoginSpellings).
func (s *Service) userByLogin(ctx context.Context, login string) (User, string, error) {
	var err error
	for _, l := range LoginSpellings(login) {
		var u User
		var hash string
		if u, hash, err = s.store.UserByLogin(ctx, l); err == nil || !errors.Is(err, tack.ErrNotFound) {
			return u, hash, err
		}
	}
	return User{}, "", err
}

// rememberDevice makes a known-device token for userID; "" if it could not
// be stored (the sign-in still succeeds).
func (s *Service) rememberDevice(ctx context.Context, userID tack.ID) string {
	token := newToken("dv_")
	now := s.clock.Now()
	d := KnownDevice{TokenHash: hashToken(token), UserID: userID, CreatedAt: now, LastUsedAt: now}
	if err := s.store.CreateKnownDevice(ctx, d, devicesPerUser); err != nil {
		s.log.Warn("remember device", "err", err)
		return ""
	}
	return token
}

// addressKey is the limiter key of a client address: the address itself,
// or for IPv6 its /64 (one subscriber usually holds a whole /64).
func addressKey(addr string) string {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// dummyHash is checked against when a login does not exist.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$WmF4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg"

// PasswordChecks returns how many password hashes this service has
// computed to check a password (sign-ins, password changes): tests use it
// to see that limits hold before the expensive work.
func (s *Service) PasswordChecks() int64 { return s.hasher.checks.Load() }

// Package account is people and their sessions: registration, sign-in and
// sign-out, the devices a user is signed in on, proof that a person owns
// their login (verification codes), and who may see whom in the user
// directory.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/limit"
)

// User is a person with an account.
type User struct {
	ID        tack.ID   `json:"id"`
	Login     string    `json:"login,omitempty"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	// VerifiedAt is when the person proved that they own Login (by a code
	// sent to it); nil until then. Public profiles leave it out.
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
}

// Verified reports whether the user has proved that they own their login.
func (u User) Verified() bool { return u.VerifiedAt != nil }

// Session is one signed-in device. Its token is known only to the device;
// the store keeps a SHA-256 hash of it.
type Session struct {
	ID         tack.ID   `json:"id"`
	UserID     tack.ID   `json:"user_id"`
	TokenHash  []byte    `json:"-"`
	Device     string    `json:"device"`
	Address    string    `json:"address"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	Current    bool      `json:"current,omitempty"`
}

// UserQuery selects users for the directory. Text matches names and logins
// by prefix (case-insensitive); SharingWith limits the result to users who
// share a conversation with that user; Login, when set, also admits the one
// user with exactly that login.
type UserQuery struct {
	Text        string
	Login       string
	SharingWith tack.ID
	Limit       int
}

// Store keeps users, sessions, pending verifications and known devices.
// Implementations decide nothing: they store, find and delete. Errors:
// tack.ErrNotFound for a missing row; an *tack.Error with code
// tack.EConflict from CreateUser when the login is taken. All methods are
// safe for concurrent use.
type Store interface {
	CreateUser(ctx context.Context, u User, passwordHash string) error
	UserByLogin(ctx context.Context, login string) (u User, passwordHash string, err error)
	User(ctx context.Context, id tack.ID) (User, error)
	// Users returns the users that exist among ids, in no particular order.
	Users(ctx context.Context, ids []tack.ID) ([]User, error)
	SearchUsers(ctx context.Context, q UserQuery) ([]User, error)
	// SetPassword replaces userID's password hash; tack.ErrNotFound if
	// there is no such user.
	SetPassword(ctx context.Context, userID tack.ID, passwordHash string) error

	CreateSession(ctx context.Context, s Session) error
	SessionByTokenHash(ctx context.Context, hash []byte) (Session, error)
	Sessions(ctx context.Context, userID tack.ID) ([]Session, error)
	// DeleteSession deletes session id of userID; tack.ErrNotFound if there is none.
	DeleteSession(ctx context.Context, userID, id tack.ID) error
	// DeleteSessions deletes every session of userID except keep (which
	// may be empty) and returns the IDs of those it deleted.
	DeleteSessions(ctx context.Context, userID, keep tack.ID) ([]tack.ID, error)
	TouchSession(ctx context.Context, id tack.ID, at time.Time) error
	// DeleteExpiredSessions deletes up to limit sessions created before
	// createdBefore or last seen before seenBefore, and returns them.
	DeleteExpiredSessions(ctx context.Context, createdBefore, seenBefore time.Time, limit int) ([]Session, error)

	VerificationStore
	DeviceStore
	ResetStore
	SecondFactorStore
}

// Config tunes the service. The zero value is production settings.
type Config struct {
	Argon2 Argon2Params // zero: OWASPParams
	// Sign-in limits (see SignIn). Each bucket allows Burst failures, then
	// one more per 1/Rate seconds; nil takes the default.
	SignInPerLoginAddress *limit.Keyed // strict: a login from one address; default 5, then 1 per 3 min
	SignInPerLogin        *limit.Keyed // loose: a login from anywhere; default 30, then 30 an hour
	SignInPerAddress      *limit.Keyed // every login from one address; default 30, then 1 per 6 s
	SignInPerDevice       *limit.Keyed // a known device; default 10, then 1 a minute
	// Registrations per client address (IPv6: per /64) and on the whole
	// node; defaults 20 an hour and 600 an hour (bursts of 60).
	RegisterPerAddress, RegisterGlobal *limit.Keyed
	// Session lifetimes: a session unused for SessionIdle, or older than
	// SessionMax, is signed out. Defaults 30 and 90 days.
	SessionIdle, SessionMax time.Duration
	// Mailer sends verification codes to email logins, Texter to phone
	// logins; nil: this server cannot verify such logins.
	Mailer Mailer
	Texter Texter
	// VerifySendLimit bounds verification codes sent per user; default 3,
	// then one per 10 minutes.
	VerifySendLimit *limit.Keyed
	// ResetLink makes the link in password reset emails (nil: the email
	// carries a code instead; see ResetLink).
	ResetLink ResetLink
	// Password reset requests per login (default 3, then one per 10
	// minutes) and per client address (default 10, then 10 an hour).
	ResetPerLogin, ResetPerAddress *limit.Keyed
	Logger                         *slog.Logger
}

// Default session lifetimes.
const (
	DefaultSessionIdle = 30 * 24 * time.Hour
	DefaultSessionMax  = 90 * 24 * time.Hour
)

// Service holds the rules for accounts. It is safe for concurrent use.
type Service struct {
	store  Store
	bus    bus.Publisher
	clock  tack.Clock
	hasher *hasher
	log    *slog.Logger

	loginAddr, login, addr, device *limit.Keyed
	regAddr, regAll                *limit.Keyed
	passwordChange                 *limit.Keyed
	idle, maxAge                   time.Duration

	mailer    Mailer
	texter    Texter
	verifyGen *limit.Keyed

	resetLink             ResetLink
	resetLogin, resetAddr *limit.Keyed
	totpTries             *limit.Keyed

	alert atomic.Pointer[SignInAlert]

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedSession // by token hash

	// Sessions seen in use, written out in the background (see touch).
	touchMu      sync.Mutex
	touched      map[tack.ID]time.Time
	touchRunning bool
}

// NewService returns a Service. pub may be nil on a node of its own.
func NewService(store Store, pub bus.Publisher, clock tack.Clock, cfg Config) *Service {
	or := func(k *limit.Keyed, rate, burst float64) *limit.Keyed {
		if k != nil {
			return k
		}
		return &limit.Keyed{Rate: rate, Burst: burst}
	}
	s := &Service{store: store, bus: pub, clock: clock, hasher: newHasher(cfg.Argon2), log: cfg.Logger,
		loginAddr:      or(cfg.SignInPerLoginAddress, 1.0/180, 5),
		login:          or(cfg.SignInPerLogin, 30.0/3600, 30),
		addr:           or(cfg.SignInPerAddress, 1.0/6, 30),
		device:         or(cfg.SignInPerDevice, 1.0/60, 10),
		regAddr:        or(cfg.RegisterPerAddress, 20.0/3600, 20),
		regAll:         or(cfg.RegisterGlobal, 600.0/3600, 60),
		passwordChange: &limit.Keyed{Rate: 5.0 / 900, Burst: 5},
		verifyGen:      or(cfg.VerifySendLimit, 1.0/600, 3),
		resetLogin:     or(cfg.ResetPerLogin, 1.0/600, 3),
		resetAddr:      or(cfg.ResetPerAddress, 10.0/3600, 10),
		resetLink:      cfg.ResetLink,
		totpTries:      &limit.Keyed{Rate: 1.0 / 60, Burst: 5},
		idle:           cfg.SessionIdle, maxAge: cfg.SessionMax,
		mailer: cfg.Mailer, texter: cfg.Texter,
		cache: make(map[[sha256.Size]byte]cachedSession)}
	if s.idle <= 0 {
		s.idle = DefaultSessionIdle
	}
	if s.maxAge <= 0 {
		s.maxAge = DefaultSessionMax
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// Device describes where a sign-in comes from.
type Device struct {
	Name    string // a user agent or a device name
	Address string // the client's IP address
	// Token is the known-device token the client presented ("" if none):
	// see SignIn.
	Token string
}

// Auth is the result of a registration or a sign-in.
type Auth struct {
	// Token is the new session's token, shown once and never stored.
	Token   string
	Session Session
	User    User
	// DeviceToken marks this device as one the user signed in on; the
	// client presents it at its next sign-ins (see SignIn). Empty when the
	// device presented a valid one.
	DeviceToken string
}

// Register creates an account and signs it in on dev. Registrations are
// limited per client address and on the whole node.
func (s *Service) Register(ctx context.Context, login, password, name string, dev Device) (Auth, error) {
	login, err := NormalizeLogin(login)
	if err != nil {
		return Auth{}, err
	}
	if name, err = ValidateName(name); err != nil {
		return Auth{}, err
	}
	if err := validatePassword("password", password); err != nil {
		return Auth{}, err
	}
	now := time.Now()
	ak := addressKey(dev.Address)
	if ok, wait := s.regAddr.Take(ak, now); !ok {
		return Auth{}, tack.RateLimited(wait, "too many new accounts from your network; try again in %s", humanWait(wait))
	}
	if ok, wait := s.regAll.Take("", now); !ok {
		s.regAddr.Give(ak, now)
		return Auth{}, tack.RateLimited(wait, "this server takes no more new accounts for now; try again in %s", humanWait(wait))
	}
	// An account stored under an older spelling of the same phone number
	// (see LoginSpellings) is the same login.
	for _, old := range LoginSpellings(login)[1:] {
		if _, _, err := s.store.UserByLogin(ctx, old); err == nil {
			return Auth{}, tack.Errorf(tack.EConflict, "that login is taken")
		}
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return Auth{}, fmt.Errorf("register: %w", err)
	}
	u := User{ID: tack.NewID(), Login: login, Name: name, CreatedAt: s.clock.Now()}
	if err := s.store.CreateUser(ctx, u, hash); err != nil {
		return Auth{}, fmt.Errorf("register: %w", err)
	}
	a := Auth{User: u}
	if a.Token, a.Session, err = s.newSession(ctx, u.ID, dev); err != nil {
		return Auth{}, err
	}
	a.DeviceToken = s.rememberDevice(ctx, u.ID)
	return a, nil
}

// humanWait says how long to wait, for messages.
func humanWait(d time.Duration) string {
	switch {
	case d <= time.Second:
		return "a second"
	case d < time.Minute:
		return fmt.Sprintf("%d seconds", int(d.Seconds()+0.999))
	case d < 2*time.Minute:
		return "a minute"
	case d < time.Hour:
		return fmt.Sprintf("%d minutes", int(d.Minutes()+0.999))
	}
	return fmt.Sprintf("%d hours", int(d.Hours()+0.999))
}

func (s *Service) newSession(ctx context.Context, userID tack.ID, dev Device) (string, Session, error) {
	token := newToken("tk_")
	name := dev.Name
	if len(name) > 200 {
		name = name[:200]
	}
	name = strings.ToValidUTF8(name, "")
	now := s.clock.Now()
	sess := Session{ID: tack.NewID(), UserID: userID, TokenHash: hashToken(token), Device: name,
		Address: dev.Address, CreatedAt: now, LastSeenAt: now}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return token, sess, nil
}

// newToken returns prefix and 256 random bits.
func newToken(prefix string) string {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		panic(err)
	}
	return prefix + base64.RawURLEncoding.EncodeToString(raw)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Me returns the signed-in user.
func (s *Service) Me(ctx context.Context) (User, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return User{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return s.store.User(ctx, uid)
}

// User returns a user by ID. It reveals only the public profile.
func (s *Service) User(ctx context.Context, id tack.ID) (User, error) {
	u, err := s.store.User(ctx, id)
	if errors.Is(err, tack.ErrNotFound) {
		return User{}, tack.Errorf(tack.ENotFound, "no such user")
	}
	return public(u), err
}

// public strips what only the user may see of themselves.
func public(u User) User {
	u.Login, u.VerifiedAt = "", nil
	return u
}

// Users returns public profiles of the users among ids that exist.
func (s *Service) Users(ctx context.Context, ids []tack.ID) ([]User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := s.store.Users(ctx, ids)
	for i := range list {
		list[i] = public(list[i])
	}
	return list, err
}

// Search finds people the caller may see: those who share a conversation
// with the caller whose name or login starts with q, and the one person
// whose login is exactly q (so that you can start a chat with someone whose
// email or phone you know). The API merges in org.Service.People:
// colleagues, friends and external contacts by name, pinyin and initials.
func (s *Service) Search(ctx context.Context, q string, limit int) ([]User, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > 100 {
		return nil, tack.Invalid("q", "query is longer than 100 characters")
	}
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	uq := UserQuery{Text: strings.ToLower(q), SharingWith: uid, Limit: limit}
	if login, err := NormalizeLogin(q); err == nil {
		uq.Login = login
	}
	list, err := s.store.SearchUsers(ctx, uq)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	for i := range list {
		login := list[i].Login
		list[i] = public(list[i])
		if login == uq.Login && uq.Login != "" {
			list[i].Login = login
		}
	}
	return list, nil
}

// Reachable returns those of ids that are existing users. It implements
// chat.People for a deployment without organisation rules.
func (s *Service) Reachable(ctx context.Context, from tack.ID, ids []tack.ID) ([]tack.ID, error) {
	list, err := s.store.Users(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]tack.ID, len(list))
	for i, u := range list {
		out[i] = u.ID
	}
	return out, nil
}

// Package account is people and their sessions: registration, sign-in and
// sign-out, the devices a user is signed in on, and who may see whom in the
// user directory.
package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode"
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
}

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

// Store keeps users and sessions. Implementations decide nothing: they
// store, find and delete. Errors: tack.ErrNotFound for a missing row; an
// *tack.Error with code tack.EConflict from CreateUser when the login is taken.
// All methods are safe for concurrent use.
type Store interface {
	CreateUser(ctx context.Context, u User, passwordHash string) error
	UserByLogin(ctx context.Context, login string) (u User, passwordHash string, err error)
	User(ctx context.Context, id tack.ID) (User, error)
	// Users returns the users that exist among ids, in no particular order.
	Users(ctx context.Context, ids []tack.ID) ([]User, error)
	SearchUsers(ctx context.Context, q UserQuery) ([]User, error)

	CreateSession(ctx context.Context, s Session) error
	SessionByTokenHash(ctx context.Context, hash []byte) (Session, error)
	Sessions(ctx context.Context, userID tack.ID) ([]Session, error)
	// DeleteSession deletes session id of userID; tack.ErrNotFound if there is none.
	DeleteSession(ctx context.Context, userID, id tack.ID) error
	TouchSession(ctx context.Context, id tack.ID, at time.Time) error
}

// Config tunes the service. The zero value is production settings.
type Config struct {
	Argon2 Argon2Params // zero: OWASPParams
	// SignInPerLogin and SignInPerAddress bound failed sign-ins: each key may
	// fail Burst times, then one more attempt per 1/Rate seconds.
	SignInPerLogin, SignInPerAddress *limit.Keyed
}

// Service holds the rules for accounts. It is safe for concurrent use.
type Service struct {
	store             Store
	bus               bus.Publisher
	clock             tack.Clock
	hasher            *hasher
	perLogin, perAddr *limit.Keyed

	mu    sync.Mutex
	cache map[string]cachedSession // by token hash

	// Sessions seen in use, written out in the background (see touch).
	touchMu      sync.Mutex
	touched      map[tack.ID]time.Time
	touchRunning bool
}

// touch records, off the request path, that a session was used: "last
// seen" is for the devices list, not worth a write on the path of every
// sign-in or reconnect (10,000 clients reconnecting at once must not queue
// 10,000 transactions in front of their streams).
func (s *Service) touch(id tack.ID) {
	s.touchMu.Lock()
	defer s.touchMu.Unlock()
	if s.touched == nil {
		s.touched = make(map[tack.ID]time.Time)
	}
	s.touched[id] = s.clock.Now()
	if s.touchRunning {
		return
	}
	s.touchRunning = true
	go func() {
		time.Sleep(2 * time.Second) // gather a burst
		s.touchMu.Lock()
		batch := s.touched
		s.touched = nil
		s.touchRunning = false
		s.touchMu.Unlock()
		for id, at := range batch {
			_ = s.store.TouchSession(context.Background(), id, at)
		}
	}()
}

type cachedSession struct {
	s       Session
	expires time.Time
}

// sessionCacheTTL bounds how long a node trusts a cached session. Revocation
// is normally seen at once through the bus; the TTL bounds the damage of a
// dropped bus event.
const sessionCacheTTL = 30 * time.Second

// NewService returns a Service. pub may be nil on a node of its own.
func NewService(store Store, pub bus.Publisher, clock tack.Clock, cfg Config) *Service {
	s := &Service{store: store, bus: pub, clock: clock, hasher: newHasher(cfg.Argon2),
		perLogin: cfg.SignInPerLogin, perAddr: cfg.SignInPerAddress, cache: make(map[string]cachedSession)}
	if s.perLogin == nil {
		s.perLogin = &limit.Keyed{Rate: 1.0 / 60, Burst: 5} // 5 failures, then one a minute
	}
	if s.perAddr == nil {
		s.perAddr = &limit.Keyed{Rate: 1.0 / 6, Burst: 30}
	}
	return s
}

// NormalizeLogin validates a login (an email address or a phone number) and
// returns its canonical form: lower-case email, or phone digits with an
// optional leading +.
func NormalizeLogin(login string) (string, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return "", tack.Invalid("login", "login is required")
	}
	if len(login) > 254 {
		return "", tack.Invalid("login", "login is longer than 254 characters")
	}
	if strings.Contains(login, "@") {
		a, err := mail.ParseAddress(login)
		if err != nil || a.Address != login || a.Name != "" {
			return "", tack.Invalid("login", "login is not a valid email address")
		}
		return strings.ToLower(login), nil
	}
	var b strings.Builder
	for i, r := range login {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", tack.Invalid("login", "login must be an email address or a phone number")
		}
	}
	digits := strings.TrimPrefix(b.String(), "+")
	if len(digits) < 5 || len(digits) > 15 {
		return "", tack.Invalid("login", "a phone number has 5 to 15 digits")
	}
	return b.String(), nil
}

// ValidateName checks a display name: 1 to 64 characters of any script, no
// control characters. It returns the trimmed name.
func ValidateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", tack.Invalid("name", "name is required")
	}
	if !utf8.ValidString(name) {
		return "", tack.Invalid("name", "name is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n > 64 {
		return "", tack.Invalid("name", "name is longer than 64 characters")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return "", tack.Invalid("name", "name contains a control character")
		}
	}
	return name, nil
}

func validatePassword(p string) error {
	if utf8.RuneCountInString(p) < 8 {
		return tack.Invalid("password", "password must have at least 8 characters")
	}
	if len(p) > 256 {
		return tack.Invalid("password", "password is longer than 256 bytes")
	}
	return nil
}

// Device describes where a sign-in comes from.
type Device struct {
	Name    string // a user agent or a device name
	Address string // the client's IP address
}

// Register creates an account and signs it in on dev. It returns the new
// session's token, which is shown once and never stored.
func (s *Service) Register(ctx context.Context, login, password, name string, dev Device) (token string, u User, err error) {
	if login, err = NormalizeLogin(login); err != nil {
		return "", User{}, err
	}
	if name, err = ValidateName(name); err != nil {
		return "", User{}, err
	}
	if err := validatePassword(password); err != nil {
		return "", User{}, err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return "", User{}, fmt.Errorf("register: %w", err)
	}
	u = User{ID: tack.NewID(), Login: login, Name: name, CreatedAt: s.clock.Now()}
	if err := s.store.CreateUser(ctx, u, hash); err != nil {
		return "", User{}, fmt.Errorf("register: %w", err)
	}
	token, _, err = s.newSession(ctx, u.ID, dev)
	return token, u, err
}

// SignIn checks a login and password. Failed attempts are limited per login
// and per address; past the limit every attempt fails with tack.ERateLimited,
// right password or not, until the bucket refills.
func (s *Service) SignIn(ctx context.Context, login, password string, dev Device) (token string, u User, err error) {
	norm, nerr := NormalizeLogin(login)
	if nerr != nil {
		norm = strings.ToLower(strings.TrimSpace(login))
	}
	if !s.perLogin.Peek(norm) || !s.perAddr.Peek(dev.Address) {
		return "", User{}, tack.Errorf(tack.ERateLimited, "too many failed sign-ins; try again later")
	}
	fail := func() (string, User, error) {
		s.perLogin.Allow(norm)
		s.perAddr.Allow(dev.Address)
		return "", User{}, tack.Errorf(tack.EUnauthorized, "wrong login or password")
	}
	if nerr != nil {
		return fail()
	}
	u, hash, err := s.store.UserByLogin(ctx, norm)
	if errors.Is(err, tack.ErrNotFound) {
		// Spend the same time as a real check so that timing does not
		// reveal which logins exist.
		_, _ = s.hasher.verify(ctx, password, dummyHash)
		return fail()
	} else if err != nil {
		return "", User{}, fmt.Errorf("sign in: %w", err)
	}
	ok, err := s.hasher.verify(ctx, password, hash)
	if err != nil {
		return "", User{}, fmt.Errorf("sign in: %w", err)
	}
	if !ok {
		return fail()
	}
	s.perLogin.Reset(norm)
	token, _, err = s.newSession(ctx, u.ID, dev)
	return token, u, err
}

// dummyHash is checked against when a login does not exist.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$WmF4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHg"

func (s *Service) newSession(ctx context.Context, userID tack.ID, dev Device) (string, Session, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Session{}, err
	}
	token := "tk_" + base64.RawURLEncoding.EncodeToString(raw)
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

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Authenticate returns the session a token belongs to, or an error with
// code tack.EUnauthorized. Sessions are cached for a short while; a
// revocation anywhere evicts them through the bus (see HandleEvent).
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	h := hashToken(token)
	key := string(h)
	now := time.Now()
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.s, nil
	}
	sess, err := s.store.SessionByTokenHash(ctx, h)
	if errors.Is(err, tack.ErrNotFound) {
		return Session{}, tack.Errorf(tack.EUnauthorized, "session expired or signed out; sign in again")
	} else if err != nil {
		return Session{}, fmt.Errorf("authenticate: %w", err)
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		s.touch(sess.ID)
	}
	s.mu.Lock()
	if len(s.cache) > 100_000 {
		clear(s.cache)
	}
	s.cache[key] = cachedSession{s: sess, expires: now.Add(sessionCacheTTL)}
	s.mu.Unlock()
	return sess, nil
}

// HandleEvent evicts sessions revoked on any node. Wire it to the bus.
func (s *Service) HandleEvent(e *bus.Event) {
	if e.Kind != bus.SessionRevoked {
		return
	}
	s.forget(e.Subject)
}

func (s *Service) forget(sessionID tack.ID) {
	s.mu.Lock()
	for k, c := range s.cache {
		if c.s.ID == sessionID {
			delete(s.cache, k)
		}
	}
	s.mu.Unlock()
}

// Me returns the signed-in user.
func (s *Service) Me(ctx context.Context) (User, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return User{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return s.store.User(ctx, uid)
}

// Sessions lists the caller's sessions, marking the current one.
func (s *Service) Sessions(ctx context.Context) ([]Session, error) {
	c, ok := tack.CallerFrom(ctx)
	if !ok {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	list, err := s.store.Sessions(ctx, c.UserID)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	for i := range list {
		list[i].Current = list[i].ID == c.SessionID
	}
	return list, nil
}

// Revoke signs out one of the caller's sessions (the current one too). Its
// token stops working on every node at once.
func (s *Service) Revoke(ctx context.Context, sessionID tack.ID) error {
	c, ok := tack.CallerFrom(ctx)
	if !ok {
		return tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if err := s.store.DeleteSession(ctx, c.UserID, sessionID); errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "no such session")
	} else if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	s.forget(sessionID)
	if s.bus != nil {
		_ = s.bus.Publish(ctx, &bus.Event{Kind: bus.SessionRevoked, Subject: sessionID, Users: []tack.ID{c.UserID},
			Payload: []byte(`{"type":"session_revoked","session_id":"` + string(sessionID) + `"}`)})
	}
	return nil
}

// User returns a user by ID. It reveals only the public profile.
func (s *Service) User(ctx context.Context, id tack.ID) (User, error) {
	u, err := s.store.User(ctx, id)
	if errors.Is(err, tack.ErrNotFound) {
		return User{}, tack.Errorf(tack.ENotFound, "no such user")
	}
	u.Login = ""
	return u, err
}

// Users returns public profiles of the users among ids that exist.
func (s *Service) Users(ctx context.Context, ids []tack.ID) ([]User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := s.store.Users(ctx, ids)
	for i := range list {
		list[i].Login = ""
	}
	return list, err
}

// Search finds people the caller may see: those who share a conversation
// with the caller whose name or login starts with q, and the one person
// whose login is exactly q (so that you can start a chat with someone whose
// email or phone you know). Other packages widen this (organisation members,
// friends) by their own directory endpoints.
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
		if list[i].Login != uq.Login || uq.Login == "" {
			list[i].Login = ""
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

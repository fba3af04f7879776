package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
)

// cachedSession is what Authenticate needs of a session, kept per signed-in
// token on every node for as long as its streams live: who it is and its
// lifetimes (the device and address are for the devices list, which reads
// the store). Times are Unix nanoseconds; expires is on cacheClock, which
// is monotonic. 88 bytes, where the whole Session with its strings was
// about 300.
type cachedSession struct {
	id, userID        tack.ID
	created, lastSeen int64
	expires           time.Duration
}

func (c *cachedSession) session() Session {
	return Session{ID: c.id, UserID: c.userID, CreatedAt: time.Unix(0, c.created).UTC(), LastSeenAt: time.Unix(0, c.lastSeen).UTC()}
}

// cacheClock is the origin of cachedSession.expires.
var cacheClock = time.Now()

// sessionCacheTTL bounds how long a node trusts a cached session. Revocation
// is normally seen at once through the bus; the TTL bounds the damage of a
// dropped bus event.
const sessionCacheTTL = 30 * time.Second

// touch records, off the request path, that a session was used: "last
// seen" is for the devices list and the idle lifetime, not worth a write on
// the path of every sign-in or reconnect (10,000 clients reconnecting at
// once must not queue 10,000 transactions in front of their streams).
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

// expired reports whether sess has outlived its idle or absolute lifetime.
func (s *Service) expired(sess Session, now time.Time) bool {
	return now.Sub(sess.CreatedAt) >= s.maxAge || now.Sub(sess.LastSeenAt) >= s.idle
}

var errSignedOut = tack.Errorf(tack.EUnauthorized, "session expired or signed out; sign in again")

// Authenticate returns the session a token belongs to (its ID, UserID,
// CreatedAt and LastSeenAt; Sessions lists the rest), or an error with
// code tack.EUnauthorized. A session unused for longer than its idle
// lifetime, or older than its absolute lifetime, is signed out (and its
// live streams closed). Sessions are cached for a short while; a
// revocation anywhere evicts them through the bus (see HandleEvent).
func (s *Service) Authenticate(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	h := hashToken(token)
	key := [sha256.Size]byte(h)
	wall := time.Since(cacheClock)
	now := s.clock.Now()
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && wall < c.expires {
		sess := c.session()
		if s.expired(sess, now) {
			s.end(sess)
			return Session{}, errSignedOut
		}
		if now.Sub(sess.LastSeenAt) > time.Minute {
			s.touch(sess.ID)
			s.mu.Lock()
			c.lastSeen = now.UnixNano()
			sess.LastSeenAt = time.Unix(0, c.lastSeen).UTC()
			if _, still := s.cache[key]; still {
				s.cache[key] = c
			}
			s.mu.Unlock()
		}
		return sess, nil
	}
	sess, err := s.store.SessionByTokenHash(ctx, h)
	if errors.Is(err, tack.ErrNotFound) {
		return Session{}, errSignedOut
	} else if err != nil {
		return Session{}, fmt.Errorf("authenticate: %w", err)
	}
	if s.expired(sess, now) {
		s.end(sess)
		return Session{}, errSignedOut
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		s.touch(sess.ID)
		sess.LastSeenAt = now
	}
	s.mu.Lock()
	if len(s.cache) > 100_000 {
		clear(s.cache)
	}
	c = cachedSession{id: sess.ID, userID: sess.UserID, created: sess.CreatedAt.UnixNano(), lastSeen: sess.LastSeenAt.UnixNano(),
		expires: wall + sessionCacheTTL}
	s.cache[key] = c
	s.mu.Unlock()
	return c.session(), nil
}

// end deletes an expired session and tells every node, so that its live
// streams close too.
func (s *Service) end(sess Session) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.DeleteSession(ctx, sess.UserID, sess.ID); err != nil && !errors.Is(err, tack.ErrNotFound) {
		s.log.Warn("delete expired session", "err", err)
	}
	s.revoked(ctx, sess.UserID, sess.ID)
}

// revoked forgets a session here and publishes its revocation to every
// node: their caches drop it and its live streams close.
func (s *Service) revoked(ctx context.Context, userID, sessionID tack.ID) {
	s.forget(sessionID)
	if s.bus != nil {
		_ = s.bus.Publish(ctx, &bus.Event{Kind: bus.SessionRevoked, Subject: sessionID, Users: []tack.ID{userID},
			Payload: []byte(`{"type":"session_revoked","session_id":"` + string(sessionID) + `"}`)})
	}
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
		if c.id == sessionID {
			delete(s.cache, k)
		}
	}
	s.mu.Unlock()
}

// Sessions lists the caller's live sessions, marking the current one.
func (s *Service) Sessions(ctx context.Context) ([]Session, error) {
	c, ok := tack.CallerFrom(ctx)
	if !ok {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	list, err := s.store.Sessions(ctx, c.UserID)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	now := s.clock.Now()
	out := list[:0]
	for _, sess := range list {
		if s.expired(sess, now) {
			continue
		}
		sess.Current = sess.ID == c.SessionID
		out = append(out, sess)
	}
	return out, nil
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
	s.revoked(ctx, c.UserID, sessionID)
	return nil
}

// ChangePassword replaces the caller's password, given the current one,
// and signs out every other session of the caller (their live streams
// close); the current session stays. Attempts are limited per user and
// counted before the password is checked.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	c, ok := tack.CallerFrom(ctx)
	if !ok {
		return tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if current == "" {
		return tack.Invalid("current_password", "current_password is required")
	}
	if err := validatePassword("new_password", next); err != nil {
		return err
	}
	if next == current {
		return tack.Invalid("new_password", "the new password is the current one")
	}
	u, err := s.store.User(ctx, c.UserID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	_, hash, err := s.store.UserByLogin(ctx, u.Login)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	key, now := string(c.UserID), time.Now()
	if ok, wait := s.passwordChange.Take(key, now); !ok {
		return tack.RateLimited(wait, "too many wrong passwords; try again in %s", humanWait(wait))
	}
	match, err := s.hasher.verify(ctx, current, hash)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if !match {
		return &tack.Error{Code: tack.EForbidden, Field: "current_password", Message: "the current password is wrong"}
	}
	s.passwordChange.Give(key, now)
	newHash, err := s.hasher.hash(ctx, next)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.store.SetPassword(ctx, c.UserID, newHash); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	ids, err := s.store.DeleteSessions(ctx, c.UserID, c.SessionID)
	if err != nil {
		return fmt.Errorf("sign out other devices: %w", err)
	}
	for _, id := range ids {
		s.revoked(ctx, c.UserID, id)
	}
	return nil
}

// SweepSessions signs out every session past its idle or absolute
// lifetime, and closes their live streams on every node; it returns how
// many it ended. Expired sessions are refused anyway when used; the sweep
// closes streams that make no requests and keeps the table from growing
// with sessions of devices that never come back. Run it now and then.
func (s *Service) SweepSessions(ctx context.Context) (int, error) {
	const batch = 500
	now := s.clock.Now()
	n := 0
	for {
		list, err := s.store.DeleteExpiredSessions(ctx, now.Add(-s.maxAge), now.Add(-s.idle), batch)
		if err != nil {
			return n, fmt.Errorf("sweep sessions: %w", err)
		}
		for _, sess := range list {
			s.revoked(ctx, sess.UserID, sess.ID)
		}
		n += len(list)
		if len(list) < batch {
			return n, nil
		}
	}
}

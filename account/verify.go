package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/tackhq/tack"
)

// Mailer sends email; package notify has one over SMTP.
type Mailer interface {
	// SendEmail sends a plain-text message to one address and returns once
	// the mail server has taken it.
	SendEmail(ctx context.Context, to, subject, text string) error
}

// Texter sends text messages (SMS); package notify defines the providers.
type Texter interface {
	// SendSMS sends text to a phone number in E.164 form.
	SendSMS(ctx context.Context, to, text string) error
}

// Channels of verification.
const (
	ChannelEmail = "email"
	ChannelPhone = "phone"
)

// Verification is a code sent to a user's login to prove that they own it.
// Only a hash of the code is kept.
type Verification struct {
	UserID    tack.ID
	Channel   string // ChannelEmail or ChannelPhone
	Login     string // where the code was sent
	CodeHash  []byte
	Attempts  int // wrong and right codes tried so far
	ExpiresAt time.Time
	CreatedAt time.Time
}

// VerificationStore keeps the one pending verification of each user, and
// who has verified their login.
type VerificationStore interface {
	// PutVerification stores v, replacing the user's pending one.
	PutVerification(ctx context.Context, v Verification) error
	// CountVerificationAttempt adds one to Attempts of userID's pending
	// verification, atomically, and returns the verification as it is
	// after; tack.ErrNotFound if there is none.
	CountVerificationAttempt(ctx context.Context, userID tack.ID) (Verification, error)
	// DeleteVerification deletes userID's pending verification; none is
	// no error.
	DeleteVerification(ctx context.Context, userID tack.ID) error
	// SetVerified sets userID's VerifiedAt to at if its login is still
	// login; tack.ErrNotFound otherwise.
	SetVerified(ctx context.Context, userID tack.ID, login string, at time.Time) error
}

const (
	// CodeLifetime is how long a verification code works.
	CodeLifetime = 15 * time.Minute
	// CodeAttempts is how many codes may be tried against one sent code.
	CodeAttempts = 5
)

// PendingVerification says where a code went.
type PendingVerification struct {
	Channel   string    `json:"channel"`
	SentTo    string    `json:"sent_to"`
	ExpiresAt time.Time `json:"expires_at"`
}

// CanVerify reports whether this server can send a code to login: email
// needs a Mailer, a phone number a Texter.
func (s *Service) CanVerify(login string) bool {
	if IsPhone(login) {
		return s.texter != nil
	}
	return s.mailer != nil
}

// SendCode sends a new 6-digit code to the caller's login over channel
// ("email" or "phone", which must be the kind of login the caller has).
// A new code replaces any earlier one. Codes sent are limited per user.
func (s *Service) SendCode(ctx context.Context, channel string) (PendingVerification, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return PendingVerification{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	u, err := s.store.User(ctx, uid)
	if err != nil {
		return PendingVerification{}, fmt.Errorf("verify: %w", err)
	}
	want := ChannelEmail
	if IsPhone(u.Login) {
		want = ChannelPhone
	}
	switch channel {
	case ChannelEmail, ChannelPhone:
	case "":
		channel = want
	default:
		return PendingVerification{}, tack.Invalid("channel", `channel must be "email" or "phone"`)
	}
	if channel != want {
		return PendingVerification{}, tack.Invalid("channel", "your login is not an %s; use channel %q", map[string]string{ChannelEmail: "email address", ChannelPhone: "phone number"}[channel], want)
	}
	if u.Verified() {
		return PendingVerification{}, tack.Errorf(tack.EConflict, "your login is already verified")
	}
	if !s.CanVerify(u.Login) {
		if channel == ChannelEmail {
			return PendingVerification{}, tack.Errorf(tack.EUnavailable, "this server cannot send email yet (its administrator sets --smtp)")
		}
		return PendingVerification{}, tack.Errorf(tack.EUnavailable, "this server cannot send text messages")
	}
	if ok, wait := s.verifyGen.Take(string(uid), time.Now()); !ok {
		return PendingVerification{}, tack.RateLimited(wait, "a code was sent recently; try again in %s", humanWait(wait))
	}
	code, err := sixDigits()
	if err != nil {
		return PendingVerification{}, err
	}
	now := s.clock.Now()
	v := Verification{UserID: uid, Channel: channel, Login: u.Login, CodeHash: codeHash(uid, u.Login, code),
		ExpiresAt: now.Add(CodeLifetime), CreatedAt: now}
	if err := s.store.PutVerification(ctx, v); err != nil {
		return PendingVerification{}, fmt.Errorf("verify: %w", err)
	}
	text := fmt.Sprintf("Your Tack verification code is %s. It works for %d minutes. If you did not ask for it, ignore this message.\n\n"+
		"您的 Tack 验证码是 %s，%d 分钟内有效。如非本人操作，请忽略本消息。\n", code, int(CodeLifetime.Minutes()), code, int(CodeLifetime.Minutes()))
	if channel == ChannelEmail {
		err = s.mailer.SendEmail(ctx, u.Login, "Your Tack verification code / Tack 验证码", text)
	} else {
		err = s.texter.SendSMS(ctx, e164(u.Login), fmt.Sprintf("Tack 验证码 / code: %s (%d min)", code, int(CodeLifetime.Minutes())))
	}
	if err != nil {
		s.log.Warn("send verification code", "channel", channel, "user", uid, "err", err)
		_ = s.store.DeleteVerification(ctx, uid)
		return PendingVerification{}, tack.Errorf(tack.EUnavailable, "the code could not be sent; try again later")
	}
	return PendingVerification{Channel: channel, SentTo: u.Login, ExpiresAt: v.ExpiresAt}, nil
}

// ConfirmCode checks a code sent by SendCode and, if it is right, marks the
// caller's login verified. Each sent code may be tried CodeAttempts times
// (counted before the comparison, so concurrent guesses cannot exceed it)
// within CodeLifetime.
func (s *Service) ConfirmCode(ctx context.Context, code string) (User, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return User{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return User{}, tack.Invalid("code", "the code has 6 digits")
	}
	v, err := s.store.CountVerificationAttempt(ctx, uid)
	if errors.Is(err, tack.ErrNotFound) {
		return User{}, tack.Errorf(tack.EExpired, "no code is waiting; ask for a new one")
	} else if err != nil {
		return User{}, fmt.Errorf("verify: %w", err)
	}
	now := s.clock.Now()
	if !now.Before(v.ExpiresAt) {
		_ = s.store.DeleteVerification(ctx, uid)
		return User{}, tack.Errorf(tack.EExpired, "the code has expired; ask for a new one")
	}
	if v.Attempts > CodeAttempts {
		_ = s.store.DeleteVerification(ctx, uid)
		return User{}, tack.Errorf(tack.EExpired, "too many wrong codes; ask for a new one")
	}
	if subtle.ConstantTimeCompare(codeHash(uid, v.Login, code), v.CodeHash) != 1 {
		left := CodeAttempts - v.Attempts
		if left == 0 {
			_ = s.store.DeleteVerification(ctx, uid)
			return User{}, &tack.Error{Code: tack.EInvalid, Field: "code", Message: "wrong code; ask for a new one"}
		}
		return User{}, &tack.Error{Code: tack.EInvalid, Field: "code", Message: fmt.Sprintf("wrong code; %d more tries", left)}
	}
	if err := s.store.SetVerified(ctx, uid, v.Login, now); errors.Is(err, tack.ErrNotFound) {
		return User{}, tack.Errorf(tack.EExpired, "your login changed since the code was sent; ask for a new one")
	} else if err != nil {
		return User{}, fmt.Errorf("verify: %w", err)
	}
	_ = s.store.DeleteVerification(ctx, uid)
	return s.store.User(ctx, uid)
}

func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// codeHash binds a code to the user and login it was sent for.
func codeHash(uid tack.ID, login, code string) []byte {
	h := sha256.Sum256([]byte("tack-verify\x00" + string(uid) + "\x00" + login + "\x00" + code))
	return h[:]
}

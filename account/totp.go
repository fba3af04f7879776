package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack"
)

// SecondFactor is a user's TOTP authenticator (RFC 6238: 6 digits, 30 s).
type SecondFactor struct {
	UserID tack.ID
	Secret string // base32
	// EnabledAt is nil while the factor is being set up (the user has not
	// yet shown a code from it).
	EnabledAt *time.Time
	// LastStep is the last time step whose code was accepted: a code works
	// once.
	LastStep  int64
	CreatedAt time.Time
}

// SecondFactorStore keeps each user's authenticator and recovery codes.
type SecondFactorStore interface {
	// SecondFactor returns userID's authenticator, pending or enabled;
	// tack.ErrNotFound if none.
	SecondFactor(ctx context.Context, userID tack.ID) (SecondFactor, error)
	// PutPendingSecondFactor stores f (EnabledAt nil), replacing a pending
	// one; an EConflict error if an enabled one exists.
	PutPendingSecondFactor(ctx context.Context, f SecondFactor) error
	// EnableSecondFactor enables userID's pending authenticator with
	// LastStep step, and replaces its recovery codes with codeHashes, in
	// one transaction; tack.ErrNotFound if none is pending.
	EnableSecondFactor(ctx context.Context, userID tack.ID, at time.Time, step int64, codeHashes [][]byte) error
	// UseSecondFactorStep moves the enabled authenticator's LastStep to
	// step if it is before step; tack.ErrNotFound otherwise (no enabled
	// one, or the code of this step or a later one was used already).
	UseSecondFactorStep(ctx context.Context, userID tack.ID, step int64) error
	// UseRecoveryCode deletes one recovery code; tack.ErrNotFound if
	// userID has no such code.
	UseRecoveryCode(ctx context.Context, userID tack.ID, codeHash []byte) error
	// SetRecoveryCodes replaces userID's recovery codes.
	SetRecoveryCodes(ctx context.Context, userID tack.ID, codeHashes [][]byte) error
	// RecoveryCodesLeft counts userID's unused recovery codes.
	RecoveryCodesLeft(ctx context.Context, userID tack.ID) (int, error)
	// DeleteSecondFactor deletes userID's authenticator and recovery codes.
	DeleteSecondFactor(ctx context.Context, userID tack.ID) error
}

// Recovery codes: how many, and their shape (xxxx-xxxx, base32 lower case).
const RecoveryCodes = 10

// TOTPSetup is what a user scans into an authenticator app.
type TOTPSetup struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"` // otpauth://totp/Tack:login?secret=...
}

// TwoFactor is the state of the caller's two-factor sign-in.
type TwoFactor struct {
	Enabled           bool       `json:"enabled"`
	EnabledAt         *time.Time `json:"enabled_at,omitempty"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
}

const totpPeriod = 30

// HasSecondFactor reports whether userID signs in with an authenticator.
func (s *Service) HasSecondFactor(ctx context.Context, userID tack.ID) (bool, error) {
	f, err := s.store.SecondFactor(ctx, userID)
	if errors.Is(err, tack.ErrNotFound) {
		return false, nil
	}
	return err == nil && f.EnabledAt != nil, err
}

// TwoFactorStatus returns the caller's two-factor state.
func (s *Service) TwoFactorStatus(ctx context.Context) (TwoFactor, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return TwoFactor{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	f, err := s.store.SecondFactor(ctx, uid)
	if errors.Is(err, tack.ErrNotFound) || (err == nil && f.EnabledAt == nil) {
		return TwoFactor{}, nil
	} else if err != nil {
		return TwoFactor{}, fmt.Errorf("two-factor: %w", err)
	}
	n, err := s.store.RecoveryCodesLeft(ctx, uid)
	if err != nil {
		return TwoFactor{}, fmt.Errorf("two-factor: %w", err)
	}
	return TwoFactor{Enabled: true, EnabledAt: f.EnabledAt, RecoveryCodesLeft: n}, nil
}

// SetUpTOTP makes a new authenticator secret for the caller, pending until
// EnableTOTP sees a code from it. A pending one is replaced; an enabled one
// is a conflict (turn it off first).
func (s *Service) SetUpTOTP(ctx context.Context) (TOTPSetup, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return TOTPSetup{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	u, err := s.store.User(ctx, uid)
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("two-factor: %w", err)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Tack", AccountName: u.Login, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPSetup{}, fmt.Errorf("two-factor: %w", err)
	}
	err = s.store.PutPendingSecondFactor(ctx, SecondFactor{UserID: uid, Secret: key.Secret(), CreatedAt: s.clock.Now()})
	if tack.ErrorCode(err) == tack.EConflict {
		return TOTPSetup{}, tack.Errorf(tack.EConflict, "two-factor sign-in is on already; turn it off first to change the authenticator")
	} else if err != nil {
		return TOTPSetup{}, fmt.Errorf("two-factor: %w", err)
	}
	return TOTPSetup{Secret: key.Secret(), URL: key.URL()}, nil
}

// EnableTOTP turns two-factor sign-in on with a code from the pending
// authenticator, and returns RecoveryCodes one-time recovery codes, shown
// this once (only their hashes are kept).
func (s *Service) EnableTOTP(ctx context.Context, code string) ([]string, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	code, err := sixDigitCode(code)
	if err != nil {
		return nil, err
	}
	if ok, wait := s.totpTries.Take(string(uid), time.Now()); !ok {
		return nil, tack.RateLimited(wait, "too many wrong codes; try again in %s", humanWait(wait))
	}
	f, err := s.store.SecondFactor(ctx, uid)
	if errors.Is(err, tack.ErrNotFound) {
		return nil, tack.Errorf(tack.EConflict, "set up an authenticator first")
	} else if err != nil {
		return nil, fmt.Errorf("two-factor: %w", err)
	}
	if f.EnabledAt != nil {
		return nil, tack.Errorf(tack.EConflict, "two-factor sign-in is on already")
	}
	step, ok := matchStep(f.Secret, code, s.clock.Now(), 0)
	if !ok {
		return nil, &tack.Error{Code: tack.EInvalid, Field: "code", Message: "wrong code; check the time on your phone and try the newest code"}
	}
	s.totpTries.Give(string(uid), time.Now())
	codes, hashes := newRecoveryCodes(uid)
	if err := s.store.EnableSecondFactor(ctx, uid, s.clock.Now(), step, hashes); errors.Is(err, tack.ErrNotFound) {
		return nil, tack.Errorf(tack.EConflict, "set up an authenticator first")
	} else if err != nil {
		return nil, fmt.Errorf("two-factor: %w", err)
	}
	return codes, nil
}

// DisableTOTP turns two-factor sign-in off: it needs the password and a
// code (from the authenticator or a recovery code).
func (s *Service) DisableTOTP(ctx context.Context, password, code string) error {
	uid, err := s.checkPasswordAndCode(ctx, password, code)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSecondFactor(ctx, uid); err != nil {
		return fmt.Errorf("two-factor: %w", err)
	}
	return nil
}

// NewRecoveryCodes replaces the caller's recovery codes; it needs a code.
func (s *Service) NewRecoveryCodes(ctx context.Context, code string) ([]string, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if err := s.checkCode(ctx, uid, code); err != nil {
		return nil, err
	}
	codes, hashes := newRecoveryCodes(uid)
	if err := s.store.SetRecoveryCodes(ctx, uid, hashes); err != nil {
		return nil, fmt.Errorf("two-factor: %w", err)
	}
	return codes, nil
}

func (s *Service) checkPasswordAndCode(ctx context.Context, password, code string) (tack.ID, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return "", tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if password == "" {
		return "", tack.Invalid("password", "password is required")
	}
	u, err := s.store.User(ctx, uid)
	if err != nil {
		return "", fmt.Errorf("two-factor: %w", err)
	}
	_, hash, err := s.store.UserByLogin(ctx, u.Login)
	if err != nil {
		return "", fmt.Errorf("two-factor: %w", err)
	}
	key, now := string(uid), time.Now()
	if ok, wait := s.passwordChange.Take(key, now); !ok {
		return "", tack.RateLimited(wait, "too many wrong passwords; try again in %s", humanWait(wait))
	}
	match, err := s.hasher.verify(ctx, password, hash)
	if err != nil {
		return "", fmt.Errorf("two-factor: %w", err)
	}
	if !match {
		return "", &tack.Error{Code: tack.EForbidden, Field: "password", Message: "the password is wrong"}
	}
	s.passwordChange.Give(key, now)
	return uid, s.checkCode(ctx, uid, code)
}

// checkCode accepts a current authenticator code (once) or a recovery code
// (once) of an enabled second factor; tries are limited per user.
func (s *Service) checkCode(ctx context.Context, uid tack.ID, code string) error {
	if ok, wait := s.totpTries.Take(string(uid), time.Now()); !ok {
		return tack.RateLimited(wait, "too many wrong codes; try again in %s", humanWait(wait))
	}
	ok, err := s.secondFactorOK(ctx, uid, code)
	if err != nil {
		return err
	}
	if !ok {
		return &tack.Error{Code: tack.EInvalid, Field: "code", Message: "wrong or used code"}
	}
	s.totpTries.Give(string(uid), time.Now())
	return nil
}

// secondFactorOK checks code against uid's enabled factor: a 6-digit code
// of the current time step or the one before or after it, not used yet, or
// an unused recovery code (spent by this check).
func (s *Service) secondFactorOK(ctx context.Context, uid tack.ID, code string) (bool, error) {
	f, err := s.store.SecondFactor(ctx, uid)
	if errors.Is(err, tack.ErrNotFound) || (err == nil && f.EnabledAt == nil) {
		return false, tack.Errorf(tack.EConflict, "two-factor sign-in is off")
	} else if err != nil {
		return false, fmt.Errorf("two-factor: %w", err)
	}
	if rc, ok := recoveryCode(code); ok {
		err := s.store.UseRecoveryCode(ctx, uid, recoveryHash(uid, rc))
		if errors.Is(err, tack.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	c, err := sixDigitCode(code)
	if err != nil {
		return false, nil
	}
	step, ok := matchStep(f.Secret, c, s.clock.Now(), f.LastStep)
	if !ok {
		return false, nil
	}
	err = s.store.UseSecondFactorStep(ctx, uid, step)
	if errors.Is(err, tack.ErrNotFound) {
		return false, nil // used by a concurrent sign-in
	}
	return err == nil, err
}

// matchStep finds the time step, within one step of now and after
// lastStep, whose code is code.
func matchStep(secret, code string, now time.Time, lastStep int64) (int64, bool) {
	cur := now.Unix() / totpPeriod
	for _, st := range []int64{cur, cur - 1, cur + 1} {
		if st <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(st*totpPeriod, 0), totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && want == code {
			return st, true
		}
	}
	return 0, false
}

func sixDigitCode(code string) (string, error) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", tack.Invalid("code", "the code has 6 digits")
	}
	return code, nil
}

const recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// recoveryCode normalises a recovery code (xxxx-xxxx, any case, the dash
// optional).
func recoveryCode(code string) (string, bool) {
	c := strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(code), "-", ""), " ", ""))
	if len(c) != 8 || strings.Trim(c, recoveryAlphabet) != "" {
		return "", false
	}
	return c[:4] + "-" + c[4:], true
}

// newRecoveryCodes makes RecoveryCodes codes of uid and their hashes.
func newRecoveryCodes(uid tack.ID) (codes []string, hashes [][]byte) {
	for range RecoveryCodes {
		c := randomRecoveryCode()
		codes = append(codes, c)
		hashes = append(hashes, recoveryHash(uid, c))
	}
	return codes, hashes
}

// recoveryHash is what the store keeps of a recovery code.
func recoveryHash(uid tack.ID, code string) []byte {
	return hashToken("recovery:" + string(uid) + ":" + code)
}

func randomRecoveryCode() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = recoveryAlphabet[int(b[i])%len(recoveryAlphabet)]
	}
	return string(b[:4]) + "-" + string(b[4:])
}

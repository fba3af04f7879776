package account

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tackhq/tack"
)

// PasswordReset is a single-use token that lets its holder set a new
// password for one user. Only a hash of the token is kept.
type PasswordReset struct {
	TokenHash []byte
	UserID    tack.ID
	// Login is where the link was sent: the reset works only while it is
	// still the user's login.
	Login       string
	RequestedBy tack.ID // the user, or the admin who sent the link
	ExpiresAt   time.Time
	CreatedAt   time.Time
}

// ResetStore keeps each user's one pending password reset.
type ResetStore interface {
	// PutPasswordReset stores r, replacing the user's pending reset.
	PutPasswordReset(ctx context.Context, r PasswordReset) error
	// TakePasswordReset deletes the reset with this token hash and returns
	// it, atomically: two callers with one token never both get it.
	// tack.ErrNotFound if there is none.
	TakePasswordReset(ctx context.Context, tokenHash []byte) (PasswordReset, error)
}

// ResetLifetime is how long a reset link works.
const ResetLifetime = 30 * time.Minute

// ResetLink makes the link a reset email carries from its token; nil puts
// the token in the email as a code to paste into the sign-in page's
// "forgot password" form (a server that does not know its public address
// must not take it from a request's Host header, which the requester
// chooses).
type ResetLink func(token string) string

// RequestPasswordReset sends a reset link to login if it is an email login
// of this server. It answers the same whether or not the login exists (so
// that it reveals no accounts); it fails only on bad input, on its limits
// (per login and per client address), and when this server cannot send
// email. Phone logins get nothing (documented: reset by email only).
func (s *Service) RequestPasswordReset(ctx context.Context, login, address string) error {
	norm, err := NormalizeLogin(login)
	if err != nil {
		return err
	}
	if s.mailer == nil {
		return tack.Errorf(tack.EUnavailable, "this server cannot send email (its administrator sets --smtp); ask an administrator of your organisation")
	}
	now := time.Now()
	ak := addressKey(address)
	if ok, wait := s.resetAddr.Take(ak, now); !ok {
		return tack.RateLimited(wait, "too many reset requests from your network; try again in %s", humanWait(wait))
	}
	if ok, wait := s.resetLogin.Take(norm, now); !ok {
		return tack.RateLimited(wait, "a reset link was sent to this login recently; try again in %s", humanWait(wait))
	}
	if IsPhone(norm) {
		return nil
	}
	u, _, err := s.userByLogin(ctx, norm)
	if errors.Is(err, tack.ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	return s.sendReset(ctx, u, u.ID)
}

// SendResetLink sends a reset link to userID's login on behalf of by (an
// organisation admin: the caller checks that by may). The admin never
// learns the token or sets the password. Limited per user like
// RequestPasswordReset.
func (s *Service) SendResetLink(ctx context.Context, userID, by tack.ID) error {
	if s.mailer == nil {
		return tack.Errorf(tack.EUnavailable, "this server cannot send email (its administrator sets --smtp)")
	}
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	if IsPhone(u.Login) || strings.HasPrefix(u.Login, "bot:") {
		return tack.Errorf(tack.EConflict, "this member signs in with a phone number; reset links go by email only")
	}
	if ok, wait := s.resetLogin.Take(u.Login, time.Now()); !ok {
		return tack.RateLimited(wait, "a reset link was sent to this member recently; try again in %s", humanWait(wait))
	}
	return s.sendReset(ctx, u, by)
}

func (s *Service) sendReset(ctx context.Context, u User, by tack.ID) error {
	token := newToken("rs_")
	now := s.clock.Now()
	r := PasswordReset{TokenHash: hashToken(token), UserID: u.ID, Login: u.Login, RequestedBy: by, ExpiresAt: now.Add(ResetLifetime), CreatedAt: now}
	if err := s.store.PutPasswordReset(ctx, r); err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	mins := int(ResetLifetime.Minutes())
	var how, how2 string
	if s.resetLink != nil {
		link := s.resetLink(token)
		how = "Open this link to choose a new password:\n\n  " + link
		how2 = "打开以下链接设置新密码：\n\n  " + link
	} else {
		how = "On Tack's sign-in page choose \"Forgot password?\", then \"I have a code\", and paste this code:\n\n  " + token
		how2 = "在 Tack 登录页点击“忘记密码？”，再点击“我有重置码”，粘贴以下重置码：\n\n  " + token
	}
	who := "You (or someone who typed your login) asked"
	who2 := "您（或输入了您账号的人）申请了"
	if by != u.ID {
		who = "An administrator of your organisation asked"
		who2 = "您所在组织的管理员申请了"
	}
	text := fmt.Sprintf("%s to reset your Tack password.\n\n%s\n\nIt works once, for %d minutes. Your other devices will be signed out. If you did not ask for it, ignore this message: your password stays as it is.\n\n"+
		"%s重置 Tack 密码。\n\n%s\n\n仅可使用一次，%d 分钟内有效；重置后其他设备将退出登录。如非本人操作，请忽略本邮件，密码不会改变。\n",
		who, how, mins, who2, how2, mins)
	if err := s.mailer.SendEmail(ctx, u.Login, "Reset your Tack password / 重置 Tack 密码", text); err != nil {
		s.log.Warn("send password reset", "user", u.ID, "err", err)
		return tack.Errorf(tack.EUnavailable, "the email could not be sent; try again later")
	}
	return nil
}

// ResetPassword sets a new password with a token from a reset email. The
// token works once (taken before anything else, so a wrong new password
// spends it too: ask again), within ResetLifetime, and only while the login
// it was sent to is still the user's. Every session of the user is signed
// out; receiving the email proves the login, so it is marked verified.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, "rs_") || len(token) != len("rs_")+43 || strings.Trim(token[3:], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return tack.Invalid("token", "not a reset code; copy it whole from the email")
	}
	if err := validatePassword("new_password", password); err != nil {
		return err
	}
	r, err := s.store.TakePasswordReset(ctx, hashToken(token))
	if errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.EExpired, "this reset link was used or replaced; ask for a new one")
	} else if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	now := s.clock.Now()
	if !now.Before(r.ExpiresAt) {
		return tack.Errorf(tack.EExpired, "this reset link has expired; ask for a new one")
	}
	u, err := s.store.User(ctx, r.UserID)
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	if u.Login != r.Login {
		return tack.Errorf(tack.EExpired, "your login changed since the link was sent; ask for a new one")
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	if err := s.store.SetPassword(ctx, u.ID, hash); err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	if !u.Verified() {
		_ = s.store.SetVerified(ctx, u.ID, u.Login, now)
	}
	ids, err := s.store.DeleteSessions(ctx, u.ID, "")
	if err != nil {
		return fmt.Errorf("sign out devices: %w", err)
	}
	for _, id := range ids {
		s.revoked(ctx, u.ID, id)
	}
	return nil
}

package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/org"
)

// accountRoutes are the routes of proving a login and changing a password.
func (s *Server) accountRoutes() []route {
	return []route{
		{method: "POST", path: "/api/v1/me/verifications", summary: "Send a 6-digit code to your email or phone, to prove you own it", auth: true, req: "StartVerification", resp: "PendingVerification", status: 202, h: s.startVerification},
		{method: "POST", path: "/api/v1/me/verifications/confirm", summary: "Confirm the code: your login is verified", auth: true, req: "ConfirmVerification", resp: "Me", status: 200, h: s.confirmVerification},
		{method: "POST", path: "/api/v1/me/password", summary: "Change your password; signs out your other devices", auth: true, req: "ChangePassword", status: 204, h: s.changePassword},
		{method: "GET", path: "/api/v1/me/2fa", summary: "Whether you sign in with an authenticator app, and how many recovery codes are left", auth: true, resp: "TwoFactor", status: 200, h: s.twoFactor},
		{method: "POST", path: "/api/v1/me/2fa/setup", summary: "A new authenticator secret (otpauth URL), pending until a code from it is confirmed", auth: true, resp: "TOTPSetup", status: 201, h: s.setUpTOTP},
		{method: "POST", path: "/api/v1/me/2fa/enable", summary: "Turn two-factor sign-in on with a code; returns 10 recovery codes, shown once", auth: true, req: "TOTPCode", resp: "RecoveryCodes", status: 200, h: s.enableTOTP},
		{method: "POST", path: "/api/v1/me/2fa/disable", summary: "Turn two-factor sign-in off (password and a code)", auth: true, req: "DisableTOTP", status: 204, h: s.disableTOTP},
		{method: "POST", path: "/api/v1/me/2fa/recovery-codes", summary: "Replace your recovery codes (a code); returns the new ones, shown once", auth: true, req: "TOTPCode", resp: "RecoveryCodes", status: 200, h: s.newRecoveryCodes},
		{method: "POST", path: "/api/v1/password-resets", summary: "Forgot password: email a reset link to this login (answers the same whether or not it exists)", req: "RequestPasswordReset", status: 202, h: s.requestPasswordReset},
		{method: "POST", path: "/api/v1/password-resets/confirm", summary: "Set a new password with the token from a reset email; signs out every device", req: "ConfirmPasswordReset", status: 204, h: s.confirmPasswordReset},
		{method: "POST", path: "/api/v1/orgs/{org_id}/members/{member_id}/password-reset", summary: "Email a member a reset link (owner and admins; they never set the password)", auth: true, status: 202, h: s.withOrg(s.sendMemberPasswordReset)},
	}
}

func init() {
	schemas["StartVerification"] = obj("channel", enum(account.ChannelEmail, account.ChannelPhone))
	schemas["PendingVerification"] = obj("channel", str(), "sent_to", str(), "expires_at", timeT())
	schemas["ConfirmVerification"] = obj("code", str())
	schemas["ChangePassword"] = obj("current_password", str(), "new_password", str())
	schemas["RequestPasswordReset"] = obj("login", str())
	schemas["TwoFactor"] = obj("enabled", boolean(), "enabled_at", timeT(), "recovery_codes_left", integer())
	schemas["TOTPSetup"] = obj("secret", str(), "otpauth_url", str())
	schemas["TOTPCode"] = obj("code", str())
	schemas["DisableTOTP"] = obj("password", str(), "code", str())
	schemas["RecoveryCodes"] = obj("recovery_codes", arr(str()))
	schemas["ConfirmPasswordReset"] = obj("token", str(), "new_password", str())
	schemas["Me"] = obj("id", str(), "login", str(), "name", str(), "created_at", timeT(), "verified", boolean(), "verified_at", timeT())
	schemas["Auth"] = obj("token", str(), "user", ref("User"), "csrf_token", str(), "device_token", str())
	schemas["SignIn"] = obj("login", str(), "password", str(), "code", str(), "cookie", boolean(), "device_token", str())
}

// meOut is the signed-in user as /me shows it: with whether their login
// is verified.
type meOut struct {
	account.User
	Verified bool `json:"verified"`
}

func (s *Server) startVerification(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Channel string `json:"channel"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := s.cfg.Accounts.SendCode(r.Context(), in.Channel)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, p)
	return nil
}

func (s *Server) confirmVerification(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u, err := s.cfg.Accounts.ConfirmCode(r.Context(), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, meOut{User: u, Verified: u.Verified()})
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.cfg.Accounts.ChangePassword(r.Context(), in.Current, in.New); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) twoFactor(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.Accounts.TwoFactorStatus(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) setUpTOTP(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.Accounts.SetUpTOTP(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

type recoveryCodesOut struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (s *Server) enableTOTP(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	codes, err := s.cfg.Accounts.EnableTOTP(r.Context(), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesOut{codes})
	return nil
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Password string `json:"password"`
		Code     string `json:"code"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.cfg.Accounts.DisableTOTP(r.Context(), in.Password, in.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	codes, err := s.cfg.Accounts.NewRecoveryCodes(r.Context(), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoveryCodesOut{codes})
	return nil
}

func (s *Server) requestPasswordReset(w http.ResponseWriter, r *http.Request) error {
	if err := s.sameOriginJSON(r); err != nil {
		return err
	}
	var in struct {
		Login string `json:"login"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.cfg.Accounts.RequestPasswordReset(r.Context(), in.Login, clientAddr(r)); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
	return nil
}

func (s *Server) confirmPasswordReset(w http.ResponseWriter, r *http.Request) error {
	if err := s.sameOriginJSON(r); err != nil {
		return err
	}
	var in struct {
		Token    string `json:"token"`
		Password string `json:"new_password"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.cfg.Accounts.ResetPassword(r.Context(), in.Token, in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) sendMemberPasswordReset(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, mid, err := orgAnd(r, "member_id")
	if err != nil {
		return err
	}
	by := tack.UserID(r.Context())
	err = og.SendPasswordReset(r.Context(), id, mid, func(ctx context.Context, uid tack.ID) error {
		return s.cfg.Accounts.SendResetLink(ctx, uid, by)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, struct{}{})
	return nil
}

// csrfFor returns the CSRF token of a session token: an HMAC keyed by the
// session token, so it is bound to that session, works on every node
// without shared state, and reveals nothing of the token. Cookie-signed
// writes must carry it in X-CSRF-Token (the web client reads it from the
// tack_csrf cookie); a value an attacker plants in that cookie is of no use.
func csrfFor(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("tack csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func validCSRF(sessionToken, header string) bool {
	return header != "" && subtle.ConstantTimeCompare([]byte(csrfFor(sessionToken)), []byte(header)) == 1
}

// sameOriginJSON refuses what a page on another site could make a browser
// send to the sign-in and registration endpoints: a body that is not JSON
// (HTML forms can post only form encodings and text/plain without asking
// first), or an Origin (or Sec-Fetch-Site) that is not this server's.
func (s *Server) sameOriginJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return tack.Errorf(tack.EUnsupported, "send the body as JSON, with Content-Type: application/json")
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return tack.Errorf(tack.EForbidden, "cross-site request refused")
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil // not a browser, or a same-origin GET-like navigation
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !s.ownHost(r, u.Host) {
		return tack.Errorf(tack.EForbidden, "cross-site request refused")
	}
	return nil
}

// ownHost reports whether host (from an Origin) names this server: the
// request's Host, or the X-Forwarded-Host a trusted proxy set.
func (s *Server) ownHost(r *http.Request, host string) bool {
	if strings.EqualFold(host, r.Host) {
		return true
	}
	if fh := r.Header.Get("X-Forwarded-Host"); fh != "" && r.Context().Value(viaProxyKey{}) != nil {
		for _, h := range strings.Split(fh, ",") {
			if strings.EqualFold(strings.TrimSpace(h), host) {
				return true
			}
		}
	}
	return false
}

type viaProxyKey struct{}

// realClient rewrites r.RemoteAddr to the client's address when the peer
// is a trusted proxy: the right-most address of X-Forwarded-For that is
// not itself a trusted proxy. Without trusted proxies the header is
// ignored, so a client cannot choose the address its limits count under.
func (s *Server) realClient(r *http.Request) *http.Request {
	if len(s.cfg.TrustedProxies) == 0 {
		return r
	}
	peer, err := netip.ParseAddr(clientAddr(r))
	if err != nil || !s.trusted(peer) {
		return r
	}
	client := peer
	hops := r.Header.Values("X-Forwarded-For")
	var list []string
	for _, h := range hops {
		list = append(list, strings.Split(h, ",")...)
	}
	for i := len(list) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(list[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !s.trusted(client) {
			break
		}
	}
	r2 := r.Clone(context.WithValue(r.Context(), viaProxyKey{}, true))
	r2.RemoteAddr = net.JoinHostPort(client.String(), "0")
	return r2
}

func (s *Server) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Device-token cookie: see account.SignIn. Scoped to the sign-in path.
const (
	deviceCookie = "tack_device"
	devicePath   = "/api/v1/sessions"
)

func setDeviceCookie(w http.ResponseWriter, r *http.Request, token string) {
	if token == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: token, Path: devicePath, MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteStrictMode})
}

func secureRequest(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// metrics serves /metrics on the main address: only with the metrics
// token (Authorization: Bearer TOKEN), and not at all when none is set
// (metrics are then on the metrics address alone, see node.Config).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.cfg.MetricsToken == "" {
		writeError(w, r, s.log, tack.Errorf(tack.ENotFound, "metrics are served on the metrics address (--metrics-addr), or here with --metrics-token"))
		return
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.MetricsToken)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		writeError(w, r, s.log, tack.Errorf(tack.EUnauthorized, "metrics need Authorization: Bearer <metrics token>"))
		return
	}
	s.metricsHandler.ServeHTTP(w, r)
}

// MetricsHandler serves the Prometheus metrics without any check: for a
// listener of its own on a private address.
func (s *Server) MetricsHandler() http.Handler { return s.metricsHandler }

package platform

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// Scopes an app may be granted.
const (
	ScopeChatWrite      = "chat:write"
	ScopeDirectoryRead  = "directory:read"
	ScopeAttendanceRead = "attendance:read"
	ScopeApprovalRead   = "approval:read"
	ScopeApprovalWrite  = "approval:write"
)

// Scopes lists every scope.
var Scopes = []string{ScopeChatWrite, ScopeDirectoryRead, ScopeAttendanceRead, ScopeApprovalRead, ScopeApprovalWrite}

// Events an app may subscribe to.
const (
	EventMessage    = "message"    // a message in an organisation group (all-staff, department groups)
	EventApproval   = "approval"   // an approval of the organisation changed (asked, decided, withdrawn)
	EventMembership = "membership" // someone joined, asked to join, left, was approved, declined, suspended, removed, or changed role
	EventDirectory  = "directory"  // a department made, changed or removed; a member's profile changed; members imported
	EventAttendance = "attendance" // a punch's result; a work day closed with its results
	EventTest       = "test"       // sent on demand by an admin
)

// Events lists every event an app may subscribe to.
var Events = []string{EventMessage, EventApproval, EventMembership, EventDirectory, EventAttendance}

// EventScope is the scope an app needs to receive each event (none for
// messages: an app sees the groups of its organisation). An app
// subscribed to an event without its scope receives none of it.
var EventScope = map[string]string{
	EventApproval:   ScopeApprovalRead,
	EventMembership: ScopeDirectoryRead,
	EventDirectory:  ScopeDirectoryRead,
	EventAttendance: ScopeAttendanceRead,
}

// eventModule is the switchboard module without which an event is not
// emitted.
var eventModule = map[string]string{
	EventApproval:   ModApprovals,
	EventAttendance: ModAttendance,
}

// App is an integration registered in (installed into) one organisation.
type App struct {
	ID       tack.ID `json:"id"`
	OrgID    tack.ID `json:"org_id"`
	Name     string  `json:"name"`
	ClientID string  `json:"client_id"`
	// SecretHash is the hash of the client secret (HashToken).
	SecretHash string   `json:"-"`
	Scopes     []string `json:"scopes"`
	// BotID is the user the app's messages come from.
	BotID tack.ID `json:"bot_id"`
	// CallbackURL receives the events in Events, signed with
	// CallbackSecret.
	CallbackURL    string    `json:"callback_url,omitempty"`
	CallbackSecret string    `json:"-"`
	Events         []string  `json:"events"`
	CreatedBy      tack.ID   `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// Token is an app access token (client credentials grant).
type Token struct {
	Hash      string
	AppID     tack.ID
	OrgID     tack.ID
	Scopes    []string
	ExpiresAt time.Time
}

// Call is one API call of an app, for the audit log.
type Call struct {
	AppID  tack.ID   `json:"app_id"`
	At     time.Time `json:"at"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Status int       `json:"status"`
}

// AppStore keeps apps, their tokens and their audit log.
type AppStore interface {
	CreateApp(ctx context.Context, a App) error
	App(ctx context.Context, id tack.ID) (App, error)
	AppByClient(ctx context.Context, clientID string) (App, error)
	// Apps lists an organisation's apps, oldest first.
	Apps(ctx context.Context, orgID tack.ID) ([]App, error)
	// AppsFor lists the apps of orgID subscribed to event.
	AppsFor(ctx context.Context, orgID tack.ID, event string) ([]App, error)
	// AppsSubscribed lists the apps of every organisation subscribed to event.
	AppsSubscribed(ctx context.Context, event string) ([]App, error)
	// UpdateApp replaces every field of the app with a's ID.
	UpdateApp(ctx context.Context, a App) error
	// DeleteApp removes an app with its tokens, deliveries and calls.
	DeleteApp(ctx context.Context, id tack.ID) error
	CreateToken(ctx context.Context, t Token) error
	Token(ctx context.Context, hash string) (Token, error)
	// DeleteTokens removes every token of an app.
	DeleteTokens(ctx context.Context, appID tack.ID) error
	// DeleteExpiredTokens removes tokens that expired before t.
	DeleteExpiredTokens(ctx context.Context, t time.Time) error
	AddCall(ctx context.Context, c Call) error
	// Calls lists an app's calls, newest first.
	Calls(ctx context.Context, appID tack.ID, limit int) ([]Call, error)
}

// AppInput creates or changes an app.
type AppInput struct {
	Name        *string   `json:"name"`
	Scopes      *[]string `json:"scopes"`
	CallbackURL *string   `json:"callback_url"`
	Events      *[]string `json:"events"`
}

// AppCredentials is what creating an app (or rotating its secrets)
// returns, once.
type AppCredentials struct {
	App
	ClientSecret   string `json:"client_secret"`
	CallbackSecret string `json:"callback_secret"`
}

// orgAdmin checks that the caller is an owner or admin of orgID.
func (s *Service) orgAdmin(ctx context.Context, orgID tack.ID) (tack.ID, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return "", err
	}
	role, err := s.orgs.OrgRole(ctx, orgID, uid)
	if errors.Is(err, tack.ErrNotFound) {
		return "", tack.Errorf(tack.ENotFound, "no such organisation")
	} else if err != nil {
		return "", err
	}
	if role != "owner" && role != "admin" {
		return "", tack.Errorf(tack.EForbidden, "only the organisation's owner and admins manage apps")
	}
	return uid, s.moduleOn(ctx, orgID, ModApps)
}

func (in AppInput) apply(a *App) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || utf8.RuneCountInString(name) > 50 {
			return tack.Invalid("name", "an app's name is 1 to 50 characters")
		}
		a.Name = name
	}
	if in.Scopes != nil {
		var sc []string
		for _, x := range *in.Scopes {
			if !slices.Contains(Scopes, x) {
				return tack.Invalid("scopes", "unknown scope %q", x)
			}
			if !slices.Contains(sc, x) {
				sc = append(sc, x)
			}
		}
		a.Scopes = sc
	}
	if in.Events != nil {
		var ev []string
		for _, x := range *in.Events {
			if !slices.Contains(Events, x) {
				return tack.Invalid("events", "unknown event %q", x)
			}
			if !slices.Contains(ev, x) {
				ev = append(ev, x)
			}
		}
		a.Events = ev
	}
	if in.CallbackURL != nil {
		u := strings.TrimSpace(*in.CallbackURL)
		if u != "" {
			p, err := url.Parse(u)
			if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || len(u) > 2000 || p.User != nil {
				return tack.Invalid("callback_url", "callback_url must be an http(s) URL")
			}
		}
		a.CallbackURL = u
	}
	if a.Scopes == nil {
		a.Scopes = []string{}
	}
	if a.Events == nil {
		a.Events = []string{}
	}
	return nil
}

const maxAppsPerOrg = 200

// CreateApp registers an app in an organisation (owner and admins).
func (s *Service) CreateApp(ctx context.Context, orgID tack.ID, in AppInput) (AppCredentials, error) {
	uid, err := s.orgAdmin(ctx, orgID)
	if err != nil {
		return AppCredentials{}, err
	}
	if in.Name == nil {
		return AppCredentials{}, tack.Invalid("name", "name is required")
	}
	a := App{ID: tack.NewID(), OrgID: orgID, CreatedBy: uid, CreatedAt: s.clock.Now()}
	if err := in.apply(&a); err != nil {
		return AppCredentials{}, err
	}
	have, err := s.store.Apps(ctx, orgID)
	if err != nil {
		return AppCredentials{}, err
	}
	if len(have) >= maxAppsPerOrg {
		return AppCredentials{}, tack.Errorf(tack.EConflict, "an organisation has at most %d apps", maxAppsPerOrg)
	}
	if a.BotID, err = s.bots.Bot(ctx, "app:"+string(a.ID), a.Name); err != nil {
		return AppCredentials{}, err
	}
	a.ClientID = "tk" + random(10)
	secret, cb := random(32), random(32)
	a.SecretHash, a.CallbackSecret = hashSecret(secret), cb
	if err := s.store.CreateApp(ctx, a); err != nil {
		return AppCredentials{}, err
	}
	s.staleGroups()
	return AppCredentials{App: a, ClientSecret: secret, CallbackSecret: cb}, nil
}

// Apps lists an organisation's apps (owner and admins).
func (s *Service) Apps(ctx context.Context, orgID tack.ID) ([]App, error) {
	if _, err := s.orgAdmin(ctx, orgID); err != nil {
		return nil, err
	}
	return s.store.Apps(ctx, orgID)
}

func (s *Service) appOf(ctx context.Context, orgID, id tack.ID) (App, error) {
	if _, err := s.orgAdmin(ctx, orgID); err != nil {
		return App{}, err
	}
	a, err := s.store.App(ctx, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && a.OrgID != orgID {
		return App{}, tack.Errorf(tack.ENotFound, "no such app")
	}
	return a, err
}

// App returns one app (owner and admins).
func (s *Service) App(ctx context.Context, orgID, id tack.ID) (App, error) {
	return s.appOf(ctx, orgID, id)
}

// UpdateApp changes an app's name, scopes or subscriptions. Narrowing the
// scopes revokes its tokens.
func (s *Service) UpdateApp(ctx context.Context, orgID, id tack.ID, in AppInput) (App, error) {
	a, err := s.appOf(ctx, orgID, id)
	if err != nil {
		return App{}, err
	}
	old := slices.Clone(a.Scopes)
	if err := in.apply(&a); err != nil {
		return App{}, err
	}
	if err := s.store.UpdateApp(ctx, a); err != nil {
		return App{}, err
	}
	s.staleGroups()
	for _, sc := range old {
		if !slices.Contains(a.Scopes, sc) {
			return a, s.store.DeleteTokens(ctx, a.ID)
		}
	}
	return a, nil
}

// RotateApp gives an app a new client secret and callback secret and
// revokes its tokens.
func (s *Service) RotateApp(ctx context.Context, orgID, id tack.ID) (AppCredentials, error) {
	a, err := s.appOf(ctx, orgID, id)
	if err != nil {
		return AppCredentials{}, err
	}
	secret, cb := random(32), random(32)
	a.SecretHash, a.CallbackSecret = hashSecret(secret), cb
	if err := s.store.UpdateApp(ctx, a); err != nil {
		return AppCredentials{}, err
	}
	if err := s.store.DeleteTokens(ctx, a.ID); err != nil {
		return AppCredentials{}, err
	}
	return AppCredentials{App: a, ClientSecret: secret, CallbackSecret: cb}, nil
}

// DeleteApp removes an app, its tokens and its deliveries.
func (s *Service) DeleteApp(ctx context.Context, orgID, id tack.ID) error {
	if _, err := s.appOf(ctx, orgID, id); err != nil {
		return err
	}
	return s.store.DeleteApp(ctx, id)
}

// Calls returns an app's recent API calls (owner and admins).
func (s *Service) Calls(ctx context.Context, orgID, id tack.ID, limit int) ([]Call, error) {
	if _, err := s.appOf(ctx, orgID, id); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.Calls(ctx, id, limit)
}

// Grant is an access token handed to an app.
type Grant struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

var errBadClient = tack.Errorf(tack.EUnauthorized, "unknown client_id or wrong client_secret")

// IssueToken is the client credentials grant: an access token with the
// app's scopes, valid for Config.TokenTTL.
func (s *Service) IssueToken(ctx context.Context, clientID, secret string) (Grant, error) {
	if clientID == "" || secret == "" || len(clientID) > 64 || len(secret) > 128 {
		return Grant{}, errBadClient
	}
	a, err := s.store.AppByClient(ctx, clientID)
	if errors.Is(err, tack.ErrNotFound) {
		return Grant{}, errBadClient
	} else if err != nil {
		return Grant{}, err
	}
	if !hmacEqual(a.SecretHash, hashSecret(secret)) {
		return Grant{}, errBadClient
	}
	if err := s.moduleOn(ctx, a.OrgID, ModApps); err != nil {
		return Grant{}, err
	}
	now := s.clock.Now()
	tok := "tka_" + random(32)
	t := Token{Hash: hashSecret(tok), AppID: a.ID, OrgID: a.OrgID, Scopes: a.Scopes, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return Grant{}, err
	}
	return Grant{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(s.cfg.TokenTTL / time.Second), Scope: strings.Join(a.Scopes, " ")}, nil
}

// Caller is an app making an API call.
type Caller struct {
	App   App
	Token Token
}

// Authorize checks an app access token and that it carries scope, and
// takes one from the app's rate limit. An unknown or expired token is
// tack.EUnauthorized, a missing scope tack.EForbidden.
func (s *Service) Authorize(ctx context.Context, token, scope string) (Caller, error) {
	if !strings.HasPrefix(token, "tka_") || len(token) > 128 {
		return Caller{}, tack.Errorf(tack.EUnauthorized, "not an app access token")
	}
	t, err := s.store.Token(ctx, hashSecret(token))
	if errors.Is(err, tack.ErrNotFound) {
		return Caller{}, tack.Errorf(tack.EUnauthorized, "unknown or revoked access token")
	} else if err != nil {
		return Caller{}, err
	}
	if !s.clock.Now().Before(t.ExpiresAt) {
		return Caller{}, tack.Errorf(tack.EUnauthorized, "the access token expired; ask for a new one")
	}
	a, err := s.store.App(ctx, t.AppID)
	if errors.Is(err, tack.ErrNotFound) {
		return Caller{}, tack.Errorf(tack.EUnauthorized, "unknown or revoked access token")
	} else if err != nil {
		return Caller{}, err
	}
	if err := s.moduleOn(ctx, a.OrgID, ModApps); err != nil {
		return Caller{}, err
	}
	if scope != "" && !slices.Contains(t.Scopes, scope) {
		return Caller{}, tack.Errorf(tack.EForbidden, "the app lacks the %s scope", scope)
	}
	if !s.cfg.AppLimit.Allow(string(a.ID)) {
		return Caller{}, tack.RateLimited(time.Second, "the app is calling too fast")
	}
	return Caller{App: a, Token: t}, nil
}

// Audit records an app's call. Failures are logged, not returned: the
// call already happened.
func (s *Service) Audit(ctx context.Context, c Caller, method, path string, status int) {
	err := s.store.AddCall(ctx, Call{AppID: c.App.ID, At: s.clock.Now(), Method: method, Path: path, Status: status})
	if err != nil {
		s.log.Warn("app audit", "app", c.App.ID, "err", err)
	}
	s.log.Info("app call", "app", c.App.Name, "app_id", c.App.ID, "method", method, "path", path, "status", status)
}

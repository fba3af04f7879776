package platform

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// Robot is a custom robot (自定义机器人) of a group: an incoming webhook.
type Robot struct {
	ID             tack.ID `json:"id"`
	ConversationID tack.ID `json:"conversation_id"`
	Name           string  `json:"name"`
	// BotID is the user the robot's messages come from.
	BotID tack.ID `json:"bot_id"`
	// TokenHash is the hash of the access token (HashToken).
	TokenHash string `json:"-"`
	// Secret is the signing key ("SEC..."): requests must be signed when set.
	Secret    string   `json:"-"`
	Keywords  []string `json:"keywords"`
	Addresses []string `json:"ip_allow"` // IP addresses or CIDR prefixes
	// OutgoingURL, when set, receives the group's messages that say
	// "@Name" (an outgoing robot).
	OutgoingURL string    `json:"outgoing_url,omitempty"`
	CreatedBy   tack.ID   `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	// Signed reports whether requests must be signed.
	Signed bool `json:"signed"`
}

// RobotStore keeps robots.
type RobotStore interface {
	CreateRobot(ctx context.Context, r Robot) error
	Robot(ctx context.Context, id tack.ID) (Robot, error)
	RobotByToken(ctx context.Context, tokenHash string) (Robot, error)
	// Robots lists the robots of a conversation, oldest first.
	Robots(ctx context.Context, convID tack.ID) ([]Robot, error)
	// OutgoingRobots lists every robot with an outgoing URL.
	OutgoingRobots(ctx context.Context) ([]Robot, error)
	// UpdateRobot replaces every field of the robot with r's ID.
	UpdateRobot(ctx context.Context, r Robot) error
	DeleteRobot(ctx context.Context, id tack.ID) error
}

// DingTalk-compatible error codes of the robot webhook.
const (
	CodeOK             = 0
	CodeBadJSON        = 40035  // the body is not JSON
	CodeBadType        = 40008  // an unknown msgtype
	CodeBadMessage     = 400101 // a required field is missing or wrong
	CodeNoToken        = 300001 // no robot has this access token
	CodeSecurity       = 310000 // sign, timestamp, keyword or IP check failed
	CodeTooFast        = 130101 // more than 20 messages a minute
	CodeTooLong        = 460101 // the message is too long
	CodeOff            = 300006 // robots are switched off here
	CodeSessionExpired = 300007 // a session webhook past its hour
	CodeInternal       = -1     // system busy
)

// RobotError is a refusal of the robot webhook, in DingTalk's shape.
type RobotError struct {
	Code int
	Msg  string
}

func (e *RobotError) Error() string { return fmt.Sprintf("robot: %d %s", e.Code, e.Msg) }

var (
	errTooLong = &RobotError{Code: CodeTooLong, Msg: "message too long, exceed 20000 bytes"}
	errNoToken = &RobotError{Code: CodeNoToken, Msg: "token is not exist"}
)

// RobotInput creates or changes a robot.
type RobotInput struct {
	Name *string `json:"name"`
	// Signed defaults to true on creation. At least one of signing,
	// keywords and an IP allow-list must stay on, as in DingTalk.
	Signed    *bool     `json:"signed"`
	Keywords  *[]string `json:"keywords"`
	Addresses *[]string `json:"ip_allow"`
	// OutgoingURL makes the robot an outgoing robot ("" turns it off).
	OutgoingURL *string `json:"outgoing_url"`
}

// RobotCredentials is what creating a robot (or resetting its token)
// returns, once: the access token and the secret are never shown again.
type RobotCredentials struct {
	Robot
	AccessToken string `json:"access_token"`
	Webhook     string `json:"webhook"`
	Secret      string `json:"secret,omitempty"`
}

const maxRobotsPerGroup = 10

func (s *Service) groupAdmin(ctx context.Context, convID tack.ID) (tack.ID, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return "", err
	}
	kind, role, err := s.groups.Role(ctx, convID, uid)
	if errors.Is(err, tack.ErrNotFound) {
		return "", tack.Errorf(tack.ENotFound, "no such conversation")
	} else if err != nil {
		return "", err
	}
	if kind != "group" {
		return "", tack.Invalid("conversation_id", "robots live in groups")
	}
	if role != "owner" && role != "admin" {
		return "", tack.Errorf(tack.EForbidden, "only the group owner and admins manage robots")
	}
	return uid, nil
}

func (in RobotInput) apply(r *Robot) error {
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || utf8.RuneCountInString(name) > 30 {
			return tack.Invalid("name", "a robot's name is 1 to 30 characters")
		}
		r.Name = name
	}
	if in.Signed != nil {
		r.Signed = *in.Signed
	}
	if in.Keywords != nil {
		var ks []string
		for _, k := range *in.Keywords {
			k = strings.TrimSpace(k)
			if k == "" || utf8.RuneCountInString(k) > 20 {
				return tack.Invalid("keywords", "keywords are 1 to 20 characters")
			}
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
		if len(ks) > 10 {
			return tack.Invalid("keywords", "at most 10 keywords")
		}
		r.Keywords = ks
	}
	if in.Addresses != nil {
		var as []string
		for _, a := range *in.Addresses {
			p, err := parseAddress(strings.TrimSpace(a))
			if err != nil {
				return tack.Invalid("ip_allow", "%q is not an IP address or CIDR prefix", a)
			}
			if !slices.Contains(as, p.String()) {
				as = append(as, p.String())
			}
		}
		if len(as) > 10 {
			return tack.Invalid("ip_allow", "at most 10 addresses")
		}
		r.Addresses = as
	}
	if in.OutgoingURL != nil {
		u := strings.TrimSpace(*in.OutgoingURL)
		if u != "" && (!webURL(u) || strings.HasPrefix(u, "dingtalk:")) {
			return tack.Invalid("outgoing_url", "outgoing_url must be an http(s) URL")
		}
		r.OutgoingURL = u
	}
	if !r.Signed && len(r.Keywords) == 0 && len(r.Addresses) == 0 {
		return tack.Invalid("signed", "keep at least one security setting: signing, keywords or an IP allow-list")
	}
	return nil
}

func parseAddress(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// WebhookPath is the path of a robot's webhook with its token.
func WebhookPath(token string) string { return "/robot/send?access_token=" + token }

// CreateRobot adds a robot to a group (group owner and admins).
func (s *Service) CreateRobot(ctx context.Context, convID tack.ID, in RobotInput) (RobotCredentials, error) {
	uid, err := s.groupAdmin(ctx, convID)
	if err != nil {
		return RobotCredentials{}, err
	}
	if err := s.RobotsOn(ctx, convID); err != nil {
		return RobotCredentials{}, err
	}
	if in.Name == nil {
		return RobotCredentials{}, tack.Invalid("name", "name is required")
	}
	r := Robot{ID: tack.NewID(), ConversationID: convID, Signed: true, CreatedBy: uid, CreatedAt: s.clock.Now()}
	if err := in.apply(&r); err != nil {
		return RobotCredentials{}, err
	}
	have, err := s.store.Robots(ctx, convID)
	if err != nil {
		return RobotCredentials{}, err
	}
	if len(have) >= maxRobotsPerGroup {
		return RobotCredentials{}, tack.Errorf(tack.EConflict, "a group has at most %d robots", maxRobotsPerGroup)
	}
	if r.BotID, err = s.bots.Bot(ctx, "robot:"+string(r.ID), r.Name); err != nil {
		return RobotCredentials{}, fmt.Errorf("robot: bot user: %w", err)
	}
	token, secret := random(32), "SEC"+random(32)
	r.TokenHash, r.Secret = hashSecret(token), secret
	if err := s.store.CreateRobot(ctx, r); err != nil {
		return RobotCredentials{}, err
	}
	s.staleOutgoing()
	out := RobotCredentials{Robot: r, AccessToken: token, Webhook: WebhookPath(token)}
	if r.Signed {
		out.Secret = secret
	}
	return out, nil
}

// Robots lists a conversation's robots (its members).
func (s *Service) Robots(ctx context.Context, convID tack.ID) ([]Robot, error) {
	uid, err := callerID(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.groups.Role(ctx, convID, uid); errors.Is(err, tack.ErrNotFound) {
		return nil, tack.Errorf(tack.ENotFound, "no such conversation")
	} else if err != nil {
		return nil, err
	}
	return s.store.Robots(ctx, convID)
}

func (s *Service) robotOf(ctx context.Context, convID, id tack.ID) (Robot, error) {
	if _, err := s.groupAdmin(ctx, convID); err != nil {
		return Robot{}, err
	}
	r, err := s.store.Robot(ctx, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && r.ConversationID != convID {
		return Robot{}, tack.Errorf(tack.ENotFound, "no such robot")
	}
	return r, err
}

// UpdateRobot changes a robot's name or security settings (group admins).
func (s *Service) UpdateRobot(ctx context.Context, convID, id tack.ID, in RobotInput) (Robot, error) {
	r, err := s.robotOf(ctx, convID, id)
	if err != nil {
		return Robot{}, err
	}
	if err := in.apply(&r); err != nil {
		return Robot{}, err
	}
	s.robots.drop(r.ID)
	defer s.staleOutgoing()
	return r, s.store.UpdateRobot(ctx, r)
}

// ResetRobot gives a robot a new access token and secret: the old webhook
// stops working at once (group admins).
func (s *Service) ResetRobot(ctx context.Context, convID, id tack.ID) (RobotCredentials, error) {
	r, err := s.robotOf(ctx, convID, id)
	if err != nil {
		return RobotCredentials{}, err
	}
	token, secret := random(32), "SEC"+random(32)
	r.TokenHash, r.Secret = hashSecret(token), secret
	s.robots.drop(r.ID)
	if err := s.store.UpdateRobot(ctx, r); err != nil {
		return RobotCredentials{}, err
	}
	out := RobotCredentials{Robot: r, AccessToken: token, Webhook: WebhookPath(token)}
	if r.Signed {
		out.Secret = secret
	}
	return out, nil
}

// DeleteRobot removes a robot (group admins).
func (s *Service) DeleteRobot(ctx context.Context, convID, id tack.ID) error {
	if _, err := s.robotOf(ctx, convID, id); err != nil {
		return err
	}
	s.robots.drop(id)
	defer s.staleOutgoing()
	return s.store.DeleteRobot(ctx, id)
}

// RobotRequest is one call of the robot webhook.
type RobotRequest struct {
	AccessToken string
	// Timestamp and Sign are the query parameters, as received (Sign
	// already URL-decoded).
	Timestamp string
	Sign      string
	// Addr is the caller's address.
	Addr netip.Addr
	Body []byte
}

// RobotSend checks a webhook call and posts its message. Errors are
// *RobotError (DingTalk's codes); nothing is posted on any error.
func (s *Service) RobotSend(ctx context.Context, req RobotRequest) error {
	if req.AccessToken == "" || len(req.AccessToken) > 128 {
		return errNoToken
	}
	r, err := s.robotByToken(ctx, hashSecret(req.AccessToken))
	if errors.Is(err, tack.ErrNotFound) {
		return errNoToken
	} else if err != nil {
		s.log.Error("robot lookup", "err", err)
		return &RobotError{Code: CodeInternal, Msg: "system busy"}
	}
	if err := s.checkRobot(r, req); err != nil {
		return err
	}
	_, p, err := ParseMessage(req.Body)
	if err != nil {
		return err
	}
	if len(r.Keywords) > 0 {
		words, found := p.Words(), false
		for _, k := range r.Keywords {
			if strings.Contains(words, k) {
				found = true
				break
			}
		}
		if !found {
			return &RobotError{Code: CodeSecurity, Msg: "keywords not in content"}
		}
	}
	if !s.cfg.RobotLimit.Allow(string(r.ID)) {
		return &RobotError{Code: CodeTooFast, Msg: "send too fast, exceed 20 times per minute"}
	}
	return s.postAsRobot(ctx, r, p, true)
}

// checkRobot applies a robot's IP allow-list and signature.
func (s *Service) checkRobot(r Robot, req RobotRequest) error {
	if len(r.Addresses) > 0 {
		ok := false
		for _, a := range r.Addresses {
			if p, err := netip.ParsePrefix(a); err == nil && req.Addr.IsValid() && p.Contains(req.Addr.Unmap()) {
				ok = true
				break
			}
		}
		if !ok {
			return &RobotError{Code: CodeSecurity, Msg: "ip " + req.Addr.String() + " not in whitelist"}
		}
	}
	if r.Signed {
		return CheckSign(r.Secret, req.Timestamp, req.Sign, s.clock.Now(), s.cfg.SignWindow)
	}
	return nil
}

// CheckSign checks a DingTalk signature: timestamp (Unix milliseconds)
// within window of now, and sign equal to DingTalkSign.
func CheckSign(secret, timestamp, sign string, now time.Time, window time.Duration) error {

	ms, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return &RobotError{Code: CodeSecurity, Msg: "invalid timestamp"}
	}
	d := now.Sub(time.UnixMilli(ms))
	if d > window || d < -window {
		return &RobotError{Code: CodeSecurity, Msg: "invalid timestamp"}
	}
	if !hmacEqual(sign, DingTalkSign(secret, ms)) {
		return &RobotError{Code: CodeSecurity, Msg: "sign not match"}
	}
	return nil
}

// robotTTL is how long a node trusts a robot it looked up by token: a
// reset or removal on another node takes effect here within it (on this
// node at once).
const robotTTL = 2 * time.Second

// robotCache keeps robots by token hash for robotTTL, so a busy webhook
// does not read the database on every post.
type robotCache struct {
	mu sync.Mutex
	m  map[string]cachedRobot
}

type cachedRobot struct {
	r  Robot
	at time.Time
}

func (c *robotCache) get(hash string, now time.Time) (Robot, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || now.Sub(e.at) > robotTTL {
		return Robot{}, false
	}
	return e.r, true
}

func (c *robotCache) put(hash string, r Robot, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedRobot{}
	}
	c.m[hash] = cachedRobot{r, now}
}

func (c *robotCache) drop(id tack.ID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.m {
		if e.r.ID == id {
			delete(c.m, h)
		}
	}
}

func (s *Service) robotByToken(ctx context.Context, hash string) (Robot, error) {
	now := time.Now()
	if r, ok := s.robots.get(hash, now); ok {
		return r, nil
	}
	r, err := s.store.RobotByToken(ctx, hash)
	if err == nil {
		s.robots.put(hash, r, now)
	}
	return r, err
}

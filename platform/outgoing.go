package platform

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack"
)

// Outgoing robots: a message in the group that says "@Name" of a robot with
// an outgoing URL is POSTed there, signed as DingTalk signs its outgoing
// robots (headers timestamp and sign = base64(HMAC-SHA256(secret,
// timestamp + "\n" + secret))). The robot answers with a DingTalk message
// in the response body, or later through the session webhook in the
// request, valid for one hour.

// SessionTTL is how long a session webhook works.
const SessionTTL = time.Hour

// OutgoingCaller makes an outgoing robot's HTTP call and returns the answer's
// status and up to max bytes of its body.
type OutgoingCaller interface {
	Call(ctx context.Context, url string, headers map[string]string, body []byte, max int) (int, []byte, error)
}

// outgoingReq is the body an outgoing robot receives (DingTalk's fields).
type outgoingReq struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
	MsgID                     string  `json:"msgId"`
	CreateAt                  int64   `json:"createAt"`
	ConversationType          string  `json:"conversationType"`
	ConversationID            tack.ID `json:"conversationId"`
	SenderID                  tack.ID `json:"senderId"`
	ChatbotUserID             tack.ID `json:"chatbotUserId"`
	SessionWebhook            string  `json:"sessionWebhook"`
	SessionWebhookExpiredTime int64   `json:"sessionWebhookExpiredTime"`
}

// SessionToken returns the session webhook token of robot r, valid until
// exp: the robot ID, the expiry, and an HMAC of both with the robot's
// secret (so a reset ends every session).
func SessionToken(r Robot, exp time.Time) string {
	p := string(r.ID) + "." + strconv.FormatInt(exp.UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte(r.Secret))
	m.Write([]byte("session\n" + p))
	return p + "." + hex.EncodeToString(m.Sum(nil))
}

// handleOutgoing calls the outgoing robots that a message names.
func (s *Service) handleOutgoing(ctx context.Context, msg json.RawMessage) {
	if s.cfg.Outgoing == nil {
		return
	}
	var m struct {
		ConversationID tack.ID   `json:"conversation_id"`
		Seq            int64     `json:"seq"`
		SenderID       tack.ID   `json:"sender_id"`
		Kind           string    `json:"kind"`
		Text           string    `json:"text"`
		CreatedAt      time.Time `json:"created_at"`
		EditedAt       any       `json:"edited_at"`
	}
	if json.Unmarshal(msg, &m) != nil || m.Kind != "text" || m.EditedAt != nil || !strings.Contains(m.Text, "@") {
		return
	}
	robots, err := s.outgoingIn(ctx, m.ConversationID)
	if err != nil {
		s.log.Warn("outgoing robots", "err", err)
		return
	}
	if len(robots) > 0 && s.RobotsOn(ctx, m.ConversationID) != nil {
		return // switched off (or unknown): nothing leaves
	}
	for _, r := range robots {
		at := "@" + r.Name
		if !strings.Contains(m.Text, at) || r.BotID == m.SenderID {
			continue
		}
		exp := s.clock.Now().Add(SessionTTL)
		var req outgoingReq
		req.MsgType = "text"
		req.Text.Content = strings.TrimSpace(strings.ReplaceAll(m.Text, at, ""))
		req.MsgID = string(m.ConversationID) + ":" + strconv.FormatInt(m.Seq, 10)
		req.CreateAt, req.ConversationType, req.ConversationID = m.CreatedAt.UnixMilli(), "2", m.ConversationID
		req.SenderID, req.ChatbotUserID = m.SenderID, r.BotID
		req.SessionWebhook = s.cfg.BaseURL + "/robot/session?session=" + SessionToken(r, exp)
		req.SessionWebhookExpiredTime = exp.UnixMilli()
		body, _ := json.Marshal(req)
		select {
		case s.calls <- struct{}{}:
		default:
			s.log.Warn("outgoing robots: too many calls at once; one skipped", "robot", r.ID)
			continue
		}
		go func(r Robot) {
			defer func() { <-s.calls }()
			s.callRobot(r, body)
		}(r)
	}
}

func (s *Service) callRobot(r Robot, body []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ms := s.clock.Now().UnixMilli()
	h := map[string]string{"Content-Type": "application/json", "timestamp": strconv.FormatInt(ms, 10), "sign": DingTalkSign(r.Secret, ms)}
	status, answer, err := s.cfg.Outgoing.Call(ctx, r.OutgoingURL, h, body, MaxRobotBody)
	if err != nil || status < 200 || status > 299 {
		s.log.Info("outgoing robot call failed", "robot", r.ID, "status", status, "err", err)
		return
	}
	if len(strings.TrimSpace(string(answer))) == 0 {
		return
	}
	_, p, err := ParseMessage(answer)
	if err != nil {
		return // an answer that is no message is no reply
	}
	if err := s.postAsRobot(ctx, r, p, false); err != nil {
		s.log.Info("outgoing robot reply", "robot", r.ID, "err", err)
	}
}

// postAsRobot posts p as robot r, taking one from its limit unless
// limited says that was done.
func (s *Service) postAsRobot(ctx context.Context, r Robot, p Post, limited bool) error {
	if !limited && !s.cfg.RobotLimit.Allow(string(r.ID)) {
		return &RobotError{Code: CodeTooFast, Msg: "send too fast, exceed 20 times per minute"}
	}
	if err := s.RobotsOn(ctx, r.ConversationID); tack.ErrorCode(err) == EModuleOff {
		return &RobotError{Code: CodeOff, Msg: "robots are switched off by the organisation"}
	} else if err != nil && !errors.Is(err, tack.ErrNotFound) {
		return err
	}
	p.Name = r.Name
	if len(p.Phones) > 0 && s.cfg.Phones != nil {
		ids, err := s.cfg.Phones.UsersByPhone(ctx, p.Phones)
		if err != nil {
			s.log.Warn("robot mentions by phone", "err", err)
		}
		p.Mentions = append(p.Mentions, ids...)
	}
	if err := s.poster.PostRobot(ctx, r.ConversationID, r.BotID, p); err != nil {
		if tack.ErrorCode(err) == tack.ENotFound {
			return errNoToken
		}
		s.log.Error("robot post", "robot", r.ID, "err", err)
		return &RobotError{Code: CodeInternal, Msg: "system busy"}
	}
	return nil
}

// SessionSend posts through a session webhook. Errors are *RobotError.
func (s *Service) SessionSend(ctx context.Context, token string, body []byte) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !tack.ID(parts[0]).Valid() {
		return errNoSession
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return errNoSession
	}
	r, err := s.store.Robot(ctx, tack.ID(parts[0]))
	if errors.Is(err, tack.ErrNotFound) {
		return errNoSession
	} else if err != nil {
		return &RobotError{Code: CodeInternal, Msg: "system busy"}
	}
	if !hmacEqual(token, SessionToken(r, time.UnixMilli(exp))) {
		return errNoSession
	}
	if s.clock.Now().UnixMilli() > exp {
		return &RobotError{Code: CodeSessionExpired, Msg: "session webhook expired"}
	}
	_, p, err := ParseMessage(body)
	if err != nil {
		return err
	}
	return s.postAsRobot(ctx, r, p, false)
}

var errNoSession = &RobotError{Code: CodeNoToken, Msg: "session webhook is not exist"}

// outgoingIn returns the robots of convID with an outgoing URL, from a
// map of every such robot refreshed every groupsTTL.
func (s *Service) outgoingIn(ctx context.Context, convID tack.ID) ([]Robot, error) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	if time.Since(s.outAt) > groupsTTL {
		all, err := s.store.OutgoingRobots(ctx)
		if err != nil {
			return nil, err
		}
		m := map[tack.ID][]Robot{}
		for _, r := range all {
			m[r.ConversationID] = append(m[r.ConversationID], r)
		}
		s.out, s.outAt = m, time.Now()
	}
	return s.out[convID], nil
}

func (s *Service) staleOutgoing() {
	s.outMu.Lock()
	s.outAt = time.Time{}
	s.outMu.Unlock()
}

package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/platform"
)

// platformRoutes are the open platform's routes (see package platform and
// docs/platform.md): robots of groups and their DingTalk-compatible
// webhook, apps with client credentials, app-authenticated calls, event
// deliveries and the module switchboard.
func (s *Server) platformRoutes() []route {
	p := s.withPlatform
	const apps = "/api/v1/orgs/{org_id}/apps"
	const robots = "/api/v1/conversations/{id}/robots"
	return append([]route{
		{method: "POST", path: "/robot/send", summary: "DingTalk-compatible robot webhook (?access_token=&timestamp=&sign=); answers {errcode, errmsg}", req: "RobotMessage", resp: "RobotResult", status: 200, h: s.robotSend, maxBody: platform.MaxRobotBody + 1},

		{method: "POST", path: "/robot/session", summary: "Session webhook of an outgoing robot (?session=, valid 1 h): answer into the group", req: "RobotMessage", resp: "RobotResult", status: 200, h: s.sessionSend, maxBody: platform.MaxRobotBody + 1},
		{method: "POST", path: robots, summary: "Add a custom robot to a group (owner and admins); the token and secret are shown once", auth: true, req: "RobotIn", resp: "RobotCredentials", status: 201, h: p(s.createRobot)},
		{method: "GET", path: robots, summary: "A group's robots (members)", auth: true, resp: "Robots", status: 200, h: p(s.listRobots)},
		{method: "PATCH", path: robots + "/{robot_id}", summary: "Rename a robot or change its security settings", auth: true, req: "RobotIn", resp: "Robot", status: 200, h: p(s.updateRobot)},
		{method: "POST", path: robots + "/{robot_id}/reset", summary: "New access token and secret for a robot (the old webhook stops)", auth: true, resp: "RobotCredentials", status: 200, h: p(s.resetRobot)},
		{method: "DELETE", path: robots + "/{robot_id}", summary: "Remove a robot", auth: true, status: 204, h: p(s.deleteRobot)},

		{method: "GET", path: "/api/v1/orgs/{org_id}/modules", summary: "The module switchboard: which capabilities the organisation has on (members)", auth: true, resp: "Modules", status: 200, h: p(s.modules)},
		{method: "PUT", path: "/api/v1/orgs/{org_id}/modules", summary: "Switch modules on or off (owner and admins)", auth: true, req: "Modules", resp: "Modules", status: 200, h: p(s.setModules)},

		{method: "POST", path: apps, summary: "Register an app (owner and admins); the client secret and callback secret are shown once", auth: true, req: "AppIn", resp: "AppCredentials", status: 201, h: p(s.createApp)},
		{method: "GET", path: apps, summary: "The organisation's apps", auth: true, resp: "Apps", status: 200, h: p(s.listApps)},
		{method: "GET", path: apps + "/{app_id}", summary: "One app", auth: true, resp: "App", status: 200, h: p(s.getApp)},
		{method: "PATCH", path: apps + "/{app_id}", summary: "Change an app's name, scopes, callback URL or events", auth: true, req: "AppIn", resp: "App", status: 200, h: p(s.updateApp)},
		{method: "DELETE", path: apps + "/{app_id}", summary: "Remove an app with its tokens and deliveries", auth: true, status: 204, h: p(s.deleteApp)},
		{method: "POST", path: apps + "/{app_id}/rotate", summary: "New client secret and callback secret; revokes the app's tokens", auth: true, resp: "AppCredentials", status: 200, h: p(s.rotateApp)},
		{method: "GET", path: apps + "/{app_id}/calls", summary: "The app's recent API calls (audit)", auth: true, resp: "AppCalls", status: 200, h: p(s.appCalls)},
		{method: "GET", path: apps + "/{app_id}/deliveries", summary: "Event deliveries, newest first (?state=pending|delivered|dead&before=&limit=)", auth: true, resp: "Deliveries", status: 200, h: p(s.deliveries)},
		{method: "POST", path: apps + "/{app_id}/deliveries/{delivery_id}/replay", summary: "Send a delivery again (dead letters)", auth: true, resp: "Delivery", status: 200, h: p(s.replay)},
		{method: "POST", path: apps + "/{app_id}/test", summary: "Queue a test event to the app's callback URL", auth: true, resp: "Delivery", status: 201, h: p(s.testEvent)},

		{method: "POST", path: "/api/v1/oauth/token", summary: "Client credentials grant: {client_id, client_secret} (JSON or form) → an app access token (2 h)", req: "TokenRequest", resp: "Grant", status: 200, h: p(s.appToken)},
		{method: "GET", path: "/api/v1/app/directory/members", summary: "App call (scope directory:read): the organisation's active members", resp: "AppMembers", status: 200, h: p(s.appMembers)},
		{method: "GET", path: "/api/v1/app/events", summary: "App WebSocket event stream (apps behind firewalls, no callback URL): frames {type: event, delivery_id, event}; answer {type: ack, delivery_id}", status: 101, h: p(s.appEvents)},
		{method: "POST", path: "/api/v1/app/messages", summary: "App call (scope chat:write): post into an organisation group {conversation_id, msgtype, ...}", req: "AppMessage", resp: "OK", status: 200, h: p(s.appMessage)},
	}, s.appDataRoutes()...)
}

func init() {
	statusOf[platform.EModuleOff] = http.StatusForbidden
	robot := obj("id", str(), "conversation_id", str(), "name", str(), "bot_id", str(), "keywords", arr(str()), "ip_allow", arr(str()),
		"signed", boolean(), "created_by", str(), "created_at", timeT())
	app := obj("id", str(), "org_id", str(), "name", str(), "client_id", str(), "scopes", arr(enum(platform.Scopes...)), "bot_id", str(),
		"callback_url", str(), "events", arr(enum(platform.Events...)), "created_by", str(), "created_at", timeT())
	delivery := obj("id", str(), "app_id", str(), "org_id", str(), "event_id", str(), "event", str(), "key", str(), "body", map[string]any{"type": "object"},
		"state", enum(platform.Pending, platform.Delivered, platform.Dead), "attempts", integer(), "next_at", timeT(), "created_at", timeT(),
		"last_status", integer(), "last_error", str(), "done_at", timeT())
	mods := map[string]any{}
	for _, m := range platform.Modules {
		mods[m] = boolean()
	}
	for k, v := range map[string]any{
		"RobotMessage":     obj("msgtype", enum(platform.MsgText, platform.MsgMarkdown, platform.MsgLink, platform.MsgActionCard, platform.MsgFeedCard), "text", obj("content", str()), "at", obj("atUserIds", arr(str()), "atMobiles", arr(str()), "isAtAll", boolean())),
		"RobotResult":      obj("errcode", integer(), "errmsg", str()),
		"RobotIn":          obj("name", str(), "signed", boolean(), "keywords", arr(str()), "ip_allow", arr(str()), "outgoing_url", str()),
		"Robot":            robot,
		"Robots":           obj("robots", arr(robot)),
		"RobotCredentials": obj("id", str(), "name", str(), "webhook", str(), "access_token", str(), "secret", str(), "signed", boolean(), "keywords", arr(str()), "ip_allow", arr(str())),
		"Modules":          obj("modules", map[string]any{"type": "object", "properties": mods}),
		"AppIn":            obj("name", str(), "scopes", arr(enum(platform.Scopes...)), "callback_url", str(), "events", arr(enum(platform.Events...))),
		"App":              app,
		"Apps":             obj("apps", arr(app)),
		"AppCredentials":   obj("id", str(), "name", str(), "client_id", str(), "client_secret", str(), "callback_secret", str(), "scopes", arr(str())),
		"AppCalls":         obj("calls", arr(obj("at", timeT(), "method", str(), "path", str(), "status", integer()))),
		"Delivery":         delivery,
		"Deliveries":       obj("deliveries", arr(delivery)),
		"TokenRequest":     obj("grant_type", str(), "client_id", str(), "client_secret", str()),
		"Grant":            obj("access_token", str(), "token_type", str(), "expires_in", integer(), "scope", str()),
		"AppMembers":       obj("members", arr(map[string]any{"$ref": "#/components/schemas/OrgMember"})),
		"AppMessage":       obj("conversation_id", str(), "msgtype", str(), "text", obj("content", str())),
	} {
		if _, taken := schemas[k]; !taken || k == "OK" {
			schemas[k] = v
		}
	}
	if _, ok := schemas["OK"]; !ok {
		schemas["OK"] = obj("ok", boolean())
	}
}

// withPlatform answers unavailable when the node has no platform.
func (s *Server) withPlatform(h func(*platform.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Platform == nil {
			return tack.Errorf(tack.EUnavailable, "the open platform is not available on this server")
		}
		return h(s.cfg.Platform, w, r)
	}
}

type robotResult struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// robotSend is the DingTalk-compatible webhook. It always answers 200 with
// {errcode, errmsg}, as DingTalk does, so existing scripts read the code.
func (s *Server) robotSend(w http.ResponseWriter, r *http.Request) error {
	ps := s.cfg.Platform
	if ps == nil {
		writeJSON(w, http.StatusOK, robotResult{platform.CodeInternal, "robots are not available on this server"})
		return nil
	}
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(body) > platform.MaxRobotBody {
		writeJSON(w, http.StatusOK, robotResult{platform.CodeTooLong, "message too long, exceed 20000 bytes"})
		return nil
	} else if err != nil {
		return err
	}
	q := r.URL.Query()
	addr, _ := netip.ParseAddr(clientAddr(r))
	// A sign sent without URL encoding has its '+' read as a space.
	sign := strings.ReplaceAll(q.Get("sign"), " ", "+")
	err = ps.RobotSend(r.Context(), platform.RobotRequest{AccessToken: q.Get("access_token"), Timestamp: q.Get("timestamp"), Sign: sign, Addr: addr, Body: body})
	var re *platform.RobotError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, robotResult{0, "ok"})
	case errors.As(err, &re):
		writeJSON(w, http.StatusOK, robotResult{re.Code, re.Msg})
	default:
		s.log.Error("robot send", "err", err)
		writeJSON(w, http.StatusOK, robotResult{platform.CodeInternal, "system busy"})
	}
	return nil
}

// sessionSend is an outgoing robot's session webhook; answers as robotSend.
func (s *Server) sessionSend(w http.ResponseWriter, r *http.Request) error {
	ps := s.cfg.Platform
	if ps == nil {
		writeJSON(w, http.StatusOK, robotResult{platform.CodeInternal, "robots are not available on this server"})
		return nil
	}
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(body) > platform.MaxRobotBody {
		writeJSON(w, http.StatusOK, robotResult{platform.CodeTooLong, "message too long, exceed 20000 bytes"})
		return nil
	} else if err != nil {
		return err
	}
	s.robotAnswer(w, ps.SessionSend(r.Context(), r.URL.Query().Get("session"), body))
	return nil
}

func (s *Server) robotAnswer(w http.ResponseWriter, err error) {
	var re *platform.RobotError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, robotResult{0, "ok"})
	case errors.As(err, &re):
		writeJSON(w, http.StatusOK, robotResult{re.Code, re.Msg})
	default:
		s.log.Error("robot send", "err", err)
		writeJSON(w, http.StatusOK, robotResult{platform.CodeInternal, "system busy"})
	}
}

func (s *Server) createRobot(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in platform.RobotInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := ps.CreateRobot(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) listRobots(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	rs, err := ps.Robots(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"robots": nonNil(rs)})
	return nil
}

// robotPath returns the conversation and robot IDs of a robot route; a
// malformed robot ID reads as one that does not exist.
func robotPath(r *http.Request) (tack.ID, tack.ID, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return "", "", err
	}
	return id, tack.ID(r.PathValue("robot_id")), nil
}

func (s *Server) updateRobot(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	conv, id, err := robotPath(r)
	if err != nil {
		return err
	}
	var in platform.RobotInput
	if err := decode(r, &in); err != nil {
		return err
	}
	rb, err := ps.UpdateRobot(r.Context(), conv, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rb)
	return nil
}

func (s *Server) resetRobot(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	conv, id, err := robotPath(r)
	if err != nil {
		return err
	}
	c, err := ps.ResetRobot(r.Context(), conv, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteRobot(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	conv, id, err := robotPath(r)
	if err != nil {
		return err
	}
	if err := ps.DeleteRobot(r.Context(), conv, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) modules(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	m, err := ps.Switchboard(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"modules": m})
	return nil
}

func (s *Server) setModules(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Modules map[string]bool `json:"modules"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := ps.SetSwitchboard(r.Context(), id, in.Modules)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"modules": m})
	return nil
}

func appPath(r *http.Request) (tack.ID, tack.ID, error) {
	o, err := orgID(r)
	if err != nil {
		return "", "", err
	}
	return o, tack.ID(r.PathValue("app_id")), nil
}

func (s *Server) createApp(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	var in platform.AppInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := ps.CreateApp(r.Context(), o, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) listApps(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, err := orgID(r)
	if err != nil {
		return err
	}
	as, err := ps.Apps(r.Context(), o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"apps": nonNil(as)})
	return nil
}

func (s *Server) getApp(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	a, err := ps.App(r.Context(), o, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) updateApp(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	var in platform.AppInput
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := ps.UpdateApp(r.Context(), o, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) deleteApp(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	if err := ps.DeleteApp(r.Context(), o, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateApp(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	c, err := ps.RotateApp(r.Context(), o, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) appCalls(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	cs, err := ps.Calls(r.Context(), o, id, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": nonNil(cs)})
	return nil
}

func (s *Server) deliveries(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ds, err := ps.Deliveries(r.Context(), o, id, q.Get("state"), tack.ID(q.Get("before")), int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deliveries": nonNil(ds)})
	return nil
}

func (s *Server) replay(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	d, err := ps.Replay(r.Context(), o, id, tack.ID(r.PathValue("delivery_id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) testEvent(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	o, id, err := appPath(r)
	if err != nil {
		return err
	}
	d, err := ps.TestEvent(r.Context(), o, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) appToken(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			return tack.Invalid("body", "the form does not parse")
		}
		in.GrantType, in.ClientID, in.ClientSecret = r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else if err := decode(r, &in); err != nil {
		return err
	}
	if in.GrantType != "" && in.GrantType != "client_credentials" {
		return tack.Invalid("grant_type", "only client_credentials is supported")
	}
	if id, secret, ok := r.BasicAuth(); ok && in.ClientID == "" {
		in.ClientID, in.ClientSecret = id, secret
	}
	g, err := ps.IssueToken(r.Context(), in.ClientID, in.ClientSecret)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, g)
	return nil
}

// appCall authorizes an app's call for scope, runs h, and audits it.
func (s *Server) appCall(ps *platform.Service, w http.ResponseWriter, r *http.Request, scope string, h func(context.Context, platform.Caller) (any, error)) error {
	return s.appCallStatus(ps, w, r, scope, http.StatusOK, h)
}

// appCallStatus is appCall answering status on success.
func (s *Server) appCallStatus(ps *platform.Service, w http.ResponseWriter, r *http.Request, scope string, ok int, h func(context.Context, platform.Caller) (any, error)) error {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	c, err := ps.Authorize(r.Context(), strings.TrimSpace(token), scope)
	if err != nil {
		return err
	}
	out, err := h(r.Context(), c)
	status := ok
	if err != nil {
		status = statusOf[tack.ErrorCode(err)]
	}
	ps.Audit(context.WithoutCancel(r.Context()), c, r.Method, r.URL.Path, status)
	if err != nil {
		return err
	}
	writeJSON(w, ok, out)
	return nil
}

func (s *Server) appMembers(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	return s.appCall(ps, w, r, platform.ScopeDirectoryRead, func(ctx context.Context, c platform.Caller) (any, error) {
		if s.cfg.Org == nil {
			return nil, tack.Errorf(tack.EUnavailable, "the directory is not available on this server")
		}
		ms, err := s.cfg.Org.DirectoryActiveMembers(ctx, c.App.OrgID, nil)
		if err != nil {
			return nil, err
		}
		return map[string]any{"members": nonNil(ms)}, nil
	})
}

func (s *Server) appMessage(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return s.appCall(ps, w, r, platform.ScopeChatWrite, func(ctx context.Context, c platform.Caller) (any, error) {
		var in struct {
			ConversationID tack.ID `json:"conversation_id"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return nil, tack.Invalid("body", "the body is not JSON")
		}
		_, p, err := platform.ParseMessage(body)
		var re *platform.RobotError
		if errors.As(err, &re) {
			if re.Code == platform.CodeTooLong {
				return nil, tack.Errorf(tack.ETooLarge, "%s", re.Msg)
			}
			return nil, tack.Invalid("msgtype", "%s", re.Msg)
		} else if err != nil {
			return nil, err
		}
		if !in.ConversationID.Valid() {
			return nil, tack.Errorf(tack.ENotFound, "no such group in the app's organisation")
		}
		if err := ps.AppPost(ctx, c, in.ConversationID, p); err != nil {
			return nil, err
		}
		return map[string]any{"ok": true}, nil
	})
}

// moduleOfPath is the switchboard module that guards organisation routes
// under each path prefix.
var moduleOfPath = map[string]string{
	"/api/v1/orgs/{org_id}/attendance": platform.ModAttendance,
	"/api/v1/orgs/{org_id}/approvals":  platform.ModApprovals,
	"/api/v1/orgs/{org_id}/leave":      platform.ModApprovals,
	"/api/v1/orgs/{org_id}/dings":      platform.ModDing,
	"/api/v1/orgs/{org_id}/contacts":   platform.ModExternal,
	// Circles: the organisation's announcements and work reports (its
	// colleague circle is refused in circle.Service.Post).
	"/api/v1/orgs/{org_id}/announcements":    platform.ModCircle,
	"/api/v1/orgs/{org_id}/reports":          platform.ModCircle,
	"/api/v1/orgs/{org_id}/report-templates": platform.ModCircle,
	"/api/v1/orgs/{org_id}/report-reminder":  platform.ModCircle,
}

// gateModules makes the organisation routes of switchable modules answer
// module_off (403) when the organisation turned the module off. Outsiders
// still get the route's own 404.
func (s *Server) gateModules(rs []route) []route {
	for i, rt := range rs {
		mod := ""
		for prefix, m := range moduleOfPath {
			if rt.path == prefix || strings.HasPrefix(rt.path, prefix+"/") {
				mod = m
			}
		}
		if mod == "" {
			continue
		}
		h := rt.h
		rs[i].h = func(w http.ResponseWriter, r *http.Request) error {
			if ps := s.cfg.Platform; ps != nil {
				if id, err := orgID(r); err == nil {
					// The switchboard is cached; only a module switched
					// off costs the membership check (a non-member gets
					// the handler's 404, not module_off).
					if on, err := ps.ModuleOn(r.Context(), id, mod); err == nil && !on {
						mods, err := ps.Switchboard(r.Context(), id)
						if err == nil && !mods[mod] {
							return platform.ModuleOff(mod)
						}
					}
				}
			}
			return h(w, r)
		}
	}
	return rs
}

// appEvents is an app's event stream: the deliveries of an app without a
// callback URL, leased to this connection and sent as frames; the app
// acknowledges each, and what it does not acknowledge comes back after
// the lease (on this connection or another).
func (s *Server) appEvents(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	c, err := ps.Authorize(r.Context(), strings.TrimSpace(token), "")
	if err != nil {
		return err
	}
	ps.Audit(context.WithoutCancel(r.Context()), c, r.Method, r.URL.Path, http.StatusSwitchingProtocols)
	authenticated(r)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil // Accept answered
	}
	conn.SetReadLimit(4 << 10)
	go s.serveAppEvents(ps, conn, c)
	return nil
}

func (s *Server) serveAppEvents(ps *platform.Service, conn *websocket.Conn, c platform.Caller) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	owner := "ws-" + string(tack.NewID())
	go func() { // acknowledgements
		defer cancel()
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var f struct {
				Type       string  `json:"type"`
				DeliveryID tack.ID `json:"delivery_id"`
			}
			if json.Unmarshal(b, &f) != nil || f.Type != "ack" {
				conn.Close(websocket.StatusPolicyViolation, "frames are {type: ack, delivery_id}")
				return
			}
			if err := ps.StreamAck(ctx, c, owner, f.DeliveryID); err != nil && tack.ErrorCode(err) != tack.ENotFound {
				s.log.Warn("app stream ack", "app", c.App.ID, "err", err)
			}
		}
	}()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		ds, err := ps.StreamClaim(ctx, c, owner, 50)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("app stream claim", "app", c.App.ID, "err", err)
		}
		for _, d := range ds {
			b, _ := json.Marshal(map[string]any{"type": "event", "delivery_id": d.ID, "event": d.Body})
			if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
				return
			}
		}
		select {
		case <-ctx.Done():
			conn.Close(websocket.StatusGoingAway, "closing")
			return
		case <-t.C:
		}
	}
}
